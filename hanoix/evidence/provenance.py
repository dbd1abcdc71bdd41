"""The provenance of a package as a CASE/UCO JSON-LD graph (CASE 1.5 / UCO 1.4 terms).

What the graph says, all of it taken from the package (and, when given, from custody events):

* the package file (``uco-observable:File``) with its name, size and SHA-256;
* with a recipient's key: each evidence file with its path, size, modification time and
  SHA-256, ``Contained_Within`` the package (``uco-core:Relationship``);
* the sealing authority and each recipient authority (``uco-identity:Organization``);
* the sealing (``case-investigation:InvestigativeAction``: performer, objects, result, time,
  instrument ``hanoix``) and one action per custody event (verified, sent, opened, ...);
* a ``case-investigation:ProvenanceRecord`` over the package and its files, naming the request
  it answers.

Identifiers are UUIDv5 of the package id, so the same package always gives the same graph.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from hanoix.evidence.format import format_time
from hanoix.evidence.keys import PublicKey
from hanoix.evidence.manifest import Manifest
from hanoix.evidence.verify import PackageReport
from hanoix.ledger.events import CustodyEvent

CONTEXT = {
    "kb": "urn:hanoix:kb:",
    "case-investigation": "https://ontology.caseontology.org/case/investigation/",
    "uco-action": "https://ontology.unifiedcyberontology.org/uco/action/",
    "uco-core": "https://ontology.unifiedcyberontology.org/uco/core/",
    "uco-identity": "https://ontology.unifiedcyberontology.org/uco/identity/",
    "uco-observable": "https://ontology.unifiedcyberontology.org/uco/observable/",
    "uco-tool": "https://ontology.unifiedcyberontology.org/uco/tool/",
    "uco-types": "https://ontology.unifiedcyberontology.org/uco/types/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
_NAMESPACE = uuid.UUID("6c0a1c52-4b8e-5e53-9d0e-68616e6f6978")


def _time(at: datetime) -> dict[str, str]:
    return {"@type": "xsd:dateTime", "@value": format_time(at)}


def _hash(node_id: str, digest_hex: str) -> dict[str, Any]:
    return {
        "@id": node_id,
        "@type": "uco-types:Hash",
        # UCO 1.4+: a plain xsd:string from the HashNameVocab values.
        "uco-types:hashMethod": "SHA256",
        "uco-types:hashValue": {"@type": "xsd:hexBinary", "@value": digest_hex.upper()},
    }


def _ref(node_id: str) -> dict[str, str]:
    return {"@id": node_id}


def provenance_graph(
    report: PackageReport,
    *,
    package_name: str,
    package_sha256: str,
    manifest: Manifest | None = None,
    events: Sequence[CustodyEvent] = (),
    generator: str = "hanoix",
) -> dict[str, Any]:
    """The CASE/UCO JSON-LD document (a dict) for a verified package.

    ``package_sha256`` is the hex SHA-256 of the package's bytes; ``manifest`` (from opening
    the package) adds the evidence files; ``events`` adds custody events as actions.
    """
    header = report.header
    if header is None or report.package_id is None:
        raise ValueError("provenance needs a package whose header and trailer were read")
    seed = report.package_id

    def iri(kind: str, *parts: str) -> str:
        return f"kb:{kind}-{uuid.uuid5(_NAMESPACE, '|'.join((seed, kind, *parts)))}"

    graph: list[dict[str, Any]] = []
    organizations: dict[str, str] = {}

    def organization(key: PublicKey) -> str:
        name = key.authority or f"holder of key {key.key_id}"
        label = f"{name} ({key.state})" if key.state else name
        if label not in organizations:
            node = iri("organization", label)
            organizations[label] = node
            graph.append(
                {
                    "@id": node,
                    "@type": "uco-identity:Organization",
                    "uco-core:name": label,
                }
            )
        return organizations[label]

    signer = report.signer
    assert signer is not None
    sender_node = organization(signer)
    recipient_nodes = [organization(r) for r in report.recipients]

    package_node = iri("file", "package")
    graph.append(
        {
            "@id": package_node,
            "@type": "uco-observable:File",
            "uco-core:name": package_name,
            "uco-core:description": (
                f"Hanoi Exchange evidence package {report.package_id}, signed with Ed25519 key "
                f"{signer.key_id}, encrypted for "
                + ", ".join(r.describe() for r in report.recipients)
            ),
            "uco-core:hasFacet": [
                {
                    "@id": iri("file-facet", "package"),
                    "@type": "uco-observable:FileFacet",
                    "uco-observable:fileName": package_name,
                    "uco-observable:sizeInBytes": {
                        "@type": "xsd:integer",
                        "@value": str(report.size),
                    },
                },
                {
                    "@id": iri("content-data-facet", "package"),
                    "@type": "uco-observable:ContentDataFacet",
                    "uco-observable:hash": [_hash(iri("hash", "package"), package_sha256)],
                },
            ],
        }
    )

    file_nodes: list[str] = []
    for entry in manifest.files if manifest else ():
        node = iri("file", entry.path)
        file_nodes.append(node)
        graph.append(
            {
                "@id": node,
                "@type": "uco-observable:File",
                "uco-core:name": entry.path,
                "uco-core:hasFacet": [
                    {
                        "@id": iri("file-facet", entry.path),
                        "@type": "uco-observable:FileFacet",
                        "uco-observable:fileName": entry.path.rsplit("/", 1)[-1],
                        "uco-observable:filePath": entry.path,
                        "uco-observable:sizeInBytes": {
                            "@type": "xsd:integer",
                            "@value": str(entry.size),
                        },
                        "uco-observable:modifiedTime": _time(entry.modified),
                    },
                    {
                        "@id": iri("content-data-facet", entry.path),
                        "@type": "uco-observable:ContentDataFacet",
                        "uco-observable:hash": [_hash(iri("hash", entry.path), entry.sha256.hex())],
                    },
                ],
            }
        )
        graph.append(
            {
                "@id": iri("relationship", entry.path),
                "@type": "uco-core:Relationship",
                "uco-core:source": [_ref(node)],
                "uco-core:target": _ref(package_node),
                "uco-core:kindOfRelationship": "Contained_Within",
                "uco-core:isDirectional": True,
            }
        )

    tool_node = iri("tool", generator)
    graph.append({"@id": tool_node, "@type": "uco-tool:Tool", "uco-core:name": generator})

    record_node = iri("provenance-record")
    record: dict[str, Any] = {
        "@id": record_node,
        "@type": "case-investigation:ProvenanceRecord",
        "case-investigation:exhibitNumber": report.package_id,
        "uco-core:object": [_ref(n) for n in [package_node, *file_nodes]],
    }
    if header.request:
        record["uco-core:description"] = f"Evidence answering request {header.request}"
    graph.append(record)

    sealing: dict[str, Any] = {
        "@id": iri("action", "sealed"),
        "@type": "case-investigation:InvestigativeAction",
        "uco-core:name": "package.sealed",
        "uco-core:description": (
            "Sealed into an evidence package (SHA-256 per file, AES-256-GCM, BLAKE3 tree, "
            "Ed25519 signature)"
            + (f" in answer to request {header.request}" if header.request else "")
        ),
        "uco-action:performer": _ref(sender_node),
        "uco-action:instrument": [_ref(tool_node)],
        "uco-action:startTime": _time(header.created),
        "uco-action:endTime": _time(header.created),
        "uco-action:result": [_ref(package_node), _ref(record_node)],
    }
    if file_nodes:
        sealing["uco-action:object"] = [_ref(n) for n in file_nodes]
    if recipient_nodes:
        sealing["uco-action:participant"] = [_ref(n) for n in recipient_nodes]
    graph.append(sealing)

    for number, event in enumerate(events):
        performer = iri("organization", event.authority)
        if performer not in organizations.values():
            organizations[event.authority] = performer
            graph.append(
                {
                    "@id": performer,
                    "@type": "uco-identity:Organization",
                    "uco-core:name": event.authority,
                }
            )
        graph.append(
            {
                "@id": iri("action", "event", str(number)),
                "@type": "case-investigation:InvestigativeAction",
                "uco-core:name": event.kind.value,
                "uco-core:description": f"{event.kind.value} by {event.actor}",
                "uco-action:performer": _ref(performer),
                "uco-action:startTime": _time(event.at),
                "uco-action:endTime": _time(event.at),
                "uco-action:object": [_ref(package_node)],
            }
        )
    return {"@context": CONTEXT, "@graph": graph}
