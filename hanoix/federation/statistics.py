"""A statistics report signed by the node that made it, and its verification against the
directory of nodes.

The signed file is one JSON document::

    {"format": "hanoix-signed-statistics/1",
     "report": {... the report's body, hanoix.statistics.report ...},
     "signature": {"origin": "aut.example", "key_id": "…", "value": "<base64 Ed25519>"}}

The signature is over ``SIGNATURE_CONTEXT`` and the RFC 8785 canonical form of the body, with
the node's federation signing key (the one peers already know from the directory). The report
travels as it is to the secretariat (message ``statistics.report``) and to anyone who wants to
check it: the directory alone is enough to verify it, offline.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hanoix.errors import FileFormatError, VerificationError
from hanoix.evidence.errors import BadSignatureError
from hanoix.evidence.keys import KeyKind, SigningKey
from hanoix.federation import codec
from hanoix.federation.directory import Directory

SIGNED_FORMAT = "hanoix-signed-statistics/1"
SIGNATURE_CONTEXT = b"hanoix-statistics/1 signature\n"
#: A report is a few tables: a file above this is not one.
MAX_REPORT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class VerifiedReport:
    """A report whose signature verified: its body, who signed it and with which key."""

    report: dict[str, Any]
    origin: str
    state: str
    key_id: str


def signed_message(body: dict[str, Any]) -> bytes:
    return SIGNATURE_CONTEXT + codec.canonical(body)


def sign_report(body: dict[str, Any], origin: str, signer: SigningKey) -> bytes:
    """The signed report file (pretty-printed JSON, UTF-8)."""
    document = {
        "format": SIGNED_FORMAT,
        "report": body,
        "signature": {
            "origin": origin,
            "key_id": signer.public.key_id,
            "value": codec.b64(signer.sign(signed_message(body))),
        },
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def read_signed(data: bytes) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """Step 1: the file is a signed report (its body, its signature block, the signature)."""
    if len(data) > MAX_REPORT_BYTES:
        raise FileFormatError(f"step 1: larger than {MAX_REPORT_BYTES} bytes: not a report")
    try:
        document = codec.json_object(data, "report file")
        codec.members(document, {"format", "report", "signature"}, set(), "report file")
        if document["format"] != SIGNED_FORMAT:
            raise codec.FieldError("format", f"must be {SIGNED_FORMAT}")
        signature = document["signature"]
        body = document["report"]
        if not isinstance(signature, dict) or not isinstance(body, dict):
            raise codec.FieldError("report file", "report and signature are JSON objects")
        codec.members(signature, {"origin", "key_id", "value"}, set(), "signature")
        codec.origin(signature, "origin")
        codec.text(signature, "key_id", max_length=64)
        value = codec.unb64(signature, "value", size=64)
        for member in ("origin", "state"):
            codec.text(body, member, max_length=253)
    except codec.FieldError as exc:
        raise FileFormatError(f"step 1: not a signed statistics report ({exc})") from None
    return body, signature, value


def verify_report(data: bytes, directory: Directory) -> VerifiedReport:
    """Verify a signed report against ``directory``. Steps, each failing closed:

    1. it is a signed statistics report (:class:`FileFormatError`, exit 2);
    2. the directory lists the node that signed it, of the State the report names, and the
       key it names among that node's signing keys, not revoked (:class:`VerificationError`:
       a foreign or unknown signer);
    3. the signature verifies over the canonical body (:class:`VerificationError`: altered).
    """
    body, signature, value = read_signed(data)
    origin = signature["origin"]
    entry = directory.node(origin)
    if entry is None:
        raise VerificationError(
            f"step 2: signed by {origin!r}, a node the directory (serial {directory.serial}) "
            "does not list: a foreign or unknown signer"
        )
    if body["origin"] != origin or body["state"] != entry.state:
        raise VerificationError(
            f"step 2: the report says it is from {body['origin']!r} of {body['state']}, but it "
            f"is signed by {origin!r} of {entry.state}"
        )
    key = entry.find_key(KeyKind.SIGNING, signature["key_id"])
    if key is None:
        raise VerificationError(
            f"step 2: signed with key {signature['key_id']}, which the directory does not list "
            f"for {origin!r}"
        )
    if key.revoked is not None:
        raise VerificationError(f"step 2: {key.problem_at(key.revoked)}")
    try:
        key.public(origin, entry.state).check_signature(value, signed_message(body))
    except BadSignatureError:
        raise VerificationError(
            f"step 3: the signature of {origin!r} (key {key.key_id}) does not verify: the "
            "report was altered after it was signed"
        ) from None
    return VerifiedReport(report=body, origin=origin, state=entry.state, key_id=key.key_id)
