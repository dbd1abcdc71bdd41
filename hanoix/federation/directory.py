"""The directory of nodes: a signed document that says who is who in the network (pure).

A node trusts a peer's key only because the directory lists it. The directory is issued by a
directory authority (the Convention's secretariat, or whoever the States Parties choose) and
signed with that authority's Ed25519 key; each node is configured to trust that one key
(``HOME/directory-trust.pub``, an evidence public key file). A newer directory replaces the one
in use only if it verifies with the trusted key and has a higher serial.

File format (``hanoix-directory/1``)::

    {"format": "hanoix-directory/1",
     "directory": {"serial": 3, "issued": "2026-11-23T12:00:00Z", "nodes": [ENTRY, ...]},
     "signature": {"key_id": "<16 hex>", "value": "<base64 Ed25519 signature>"}}

The signature covers ``"hanoix-directory/1 signature\\n" || RFC 8785(directory)``, so the
file may be pretty-printed. An entry::

    {"origin": "aut.example/ledger/...", "state": "AUT", "base_url": "https://aut.example:8471",
     "authorities": [{"code": "AUT-MOJ", "name": "...", "kind": "central-authority"}],
     "keys": [{"type": "ed25519" | "x25519", "key": "<base64>", "key_id": "<16 hex>",
               "not_before": T, "not_after": T?, "revoked": T?, "revocation_reason": "..."?}],
     "tls": {"sha256": "<64 hex>", "certificate": "<PEM>",
             "next": {"sha256": "<64 hex>", "certificate": "<PEM>"}?}?,
     "ledger": {"vkey": "<note vkey>", "witness_vkey": "<cosignature vkey>"}?}

Key rotation: an entry lists several keys of a kind with overlapping validity; senders use the
newest usable one, receivers accept any usable one. Revocation: a key with ``revoked`` is never
used or accepted again, whatever the time an envelope claims (a stolen key can back-date).
TLS rotation: ``tls.next`` is the certificate the node presents once a directory lists it;
peers accept either of the two until the node's next entry lists only the new one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from typing import Any

from hanoix.evidence.errors import BadSignatureError
from hanoix.evidence.keys import KeyKind, PublicKey, SigningKey, key_id
from hanoix.federation import codec
from hanoix.federation.codec import FieldError
from hanoix.federation.errors import (
    DirectoryError,
    DirectoryVerificationError,
    EnvelopeRejectedError,
    FederationConfigError,
    Reason,
)
from hanoix.federation.transport import check_base_url, fingerprint
from hanoix.ledger.checkpoint import NoteVerifier
from hanoix.ledger.errors import MalformedKeyError
from hanoix.ledger.witness import CosignatureVerifier

DIRECTORY_FORMAT = "hanoix-directory/1"
SIGNATURE_CONTEXT = b"hanoix-directory/1 signature\n"
AUTHORITY_KINDS = ("central-authority", "contact-24-7", "competent-authority")
MAX_DIRECTORY_BYTES = 16 * 1024 * 1024
MAX_NODES = 1000
MAX_KEYS = 32


@dataclass(frozen=True)
class NodeKey:
    """One key of a node, with its validity and, once revoked, when and why."""

    kind: KeyKind
    raw: bytes
    not_before: datetime
    not_after: datetime | None = None
    revoked: datetime | None = None
    revocation_reason: str | None = None

    @cached_property
    def key_id(self) -> str:
        # Looked up for every envelope and receipt (find_key): worked out once per key.
        return key_id(self.kind, self.raw)

    def problem_at(self, now: datetime) -> str | None:
        """Why this key cannot be used at ``now``; ``None`` when it can."""
        if self.revoked is not None:
            why = f" ({self.revocation_reason})" if self.revocation_reason else ""
            return f"key {self.key_id} was revoked at {codec.format_time(self.revoked)}{why}"
        if now < self.not_before:
            return f"key {self.key_id} is valid only from {codec.format_time(self.not_before)}"
        if self.not_after is not None and now >= self.not_after:
            return f"key {self.key_id} expired at {codec.format_time(self.not_after)}"
        return None

    def public(self, origin: str, state: str) -> PublicKey:
        return PublicKey(self.kind, self.raw, origin[:200], state)

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "type": self.kind.value,
            "key": codec.b64(self.raw),
            "key_id": self.key_id,
            "not_before": codec.format_time(self.not_before),
        }
        if self.not_after is not None:
            data["not_after"] = codec.format_time(self.not_after)
        if self.revoked is not None:
            data["revoked"] = codec.format_time(self.revoked)
            if self.revocation_reason:
                data["revocation_reason"] = self.revocation_reason
        return data

    @classmethod
    def from_dict(cls, data: Any) -> NodeKey:
        if not isinstance(data, dict):
            raise FieldError("keys", "each key is a JSON object")
        codec.members(
            data,
            {"type", "key", "key_id", "not_before"},
            {"not_after", "revoked", "revocation_reason"},
            "key",
        )
        try:
            kind = KeyKind(data["type"])
        except ValueError:
            raise FieldError("type", "must be ed25519 or x25519") from None
        key = cls(
            kind=kind,
            raw=codec.unb64(data, "key", size=32),
            not_before=codec.time(data, "not_before"),
            not_after=codec.optional_time(data, "not_after"),
            revoked=codec.optional_time(data, "revoked"),
            revocation_reason=codec.optional_text(data, "revocation_reason", max_length=500),
        )
        if data["key_id"] != key.key_id:
            raise FieldError("key_id", f"does not match the key (it is {key.key_id})")
        return key


@dataclass(frozen=True)
class AuthorityEntry:
    """An authority a node serves: its central authority, 24/7 point of contact, others."""

    code: str
    name: str
    kind: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "kind": self.kind}

    @classmethod
    def from_dict(cls, data: Any) -> AuthorityEntry:
        if not isinstance(data, dict):
            raise FieldError("authorities", "each authority is a JSON object")
        codec.members(data, {"code", "name", "kind"}, set(), "authority")
        kind = codec.text(data, "kind")
        if kind not in AUTHORITY_KINDS:
            raise FieldError("kind", f"must be one of {', '.join(AUTHORITY_KINDS)}")
        return cls(
            codec.text(data, "code", max_length=64), codec.text(data, "name", max_length=200), kind
        )


@dataclass(frozen=True)
class NodeEntry:
    """One node of the network, as the directory describes it."""

    origin: str
    state: str
    base_url: str
    authorities: tuple[AuthorityEntry, ...] = ()
    keys: tuple[NodeKey, ...] = ()
    tls_certificate: str | None = None
    ledger_vkey: str | None = None
    witness_vkey: str | None = None
    # The certificate the node will present once the directory lists it (a TLS rotation);
    # peers accept either meanwhile.
    tls_next_certificate: str | None = None

    @property
    def tls_sha256(self) -> str | None:
        return None if self.tls_certificate is None else fingerprint(self.tls_certificate)

    @property
    def tls_certificates(self) -> tuple[str, ...]:
        """The certificates the node may present: the one in use, and the next one if any."""
        return tuple(c for c in (self.tls_certificate, self.tls_next_certificate) if c)

    @cached_property
    def tls_pins(self) -> tuple[str, ...]:
        # Asked for every delivery: the certificates are parsed once per entry.
        return tuple(fingerprint(c) for c in self.tls_certificates)

    def find_key(self, kind: KeyKind, wanted: str) -> NodeKey | None:
        for key in self.keys:
            if key.kind is kind and key.key_id == wanted:
                return key
        return None

    def current_key(self, kind: KeyKind, now: datetime) -> NodeKey | None:
        """The key of ``kind`` to use now: the usable one with the latest ``not_before``
        (listed last, when two start together)."""
        usable = [
            (k.not_before, position, k)
            for position, k in enumerate(self.keys)
            if k.kind is kind and k.problem_at(now) is None
        ]
        return max(usable, key=lambda item: item[:2])[2] if usable else None

    @property
    def ledger_verifier(self) -> NoteVerifier | None:
        return None if self.ledger_vkey is None else NoteVerifier.from_vkey(self.ledger_vkey)

    @property
    def witness_verifier(self) -> CosignatureVerifier | None:
        if self.witness_vkey is None:
            return None
        verifier = CosignatureVerifier.from_vkey(self.witness_vkey)
        assert isinstance(verifier, CosignatureVerifier)
        return verifier

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "origin": self.origin,
            "state": self.state,
            "base_url": self.base_url,
            "authorities": [a.as_dict() for a in self.authorities],
            "keys": [k.as_dict() for k in self.keys],
        }
        if self.tls_certificate is not None:
            data["tls"] = _tls_dict(self.tls_certificate)
            if self.tls_next_certificate is not None:
                data["tls"]["next"] = _tls_dict(self.tls_next_certificate)
        if self.ledger_vkey is not None:
            data["ledger"] = {"vkey": self.ledger_vkey, "witness_vkey": self.witness_vkey}
        return data

    @classmethod
    def from_dict(cls, data: Any) -> NodeEntry:
        if not isinstance(data, dict):
            raise FieldError("nodes", "each node is a JSON object")
        codec.members(
            data, {"origin", "state", "base_url", "keys"}, {"authorities", "tls", "ledger"}, "node"
        )
        origin = codec.origin(data, "origin")
        try:
            base_url = check_base_url(codec.text(data, "base_url"))
        except FederationConfigError as exc:
            raise FieldError("base_url", exc.message) from None
        authorities = data.get("authorities", [])
        keys = data["keys"]
        if not isinstance(authorities, list) or not isinstance(keys, list):
            raise FieldError("node", "authorities and keys are JSON arrays")
        if len(keys) > MAX_KEYS:
            raise FieldError("keys", f"a node lists at most {MAX_KEYS} keys")
        parsed_keys = tuple(NodeKey.from_dict(k) for k in keys)
        if len({(k.kind, k.key_id) for k in parsed_keys}) != len(parsed_keys):
            raise FieldError("keys", "the same key is listed twice")
        certificate = next_certificate = None
        if data.get("tls") is not None:
            certificate = _tls_certificate(data["tls"], "tls", {"next"})
            if data["tls"].get("next") is not None:
                next_certificate = _tls_certificate(data["tls"]["next"], "tls.next", set())
                if next_certificate == certificate:
                    raise FieldError("tls.next", "is the certificate in use")
        ledger_vkey = witness_vkey = None
        if data.get("ledger") is not None:
            ledger = data["ledger"]
            if not isinstance(ledger, dict):
                raise FieldError("ledger", "must be a JSON object")
            codec.members(ledger, {"vkey", "witness_vkey"}, set(), "ledger")
            ledger_vkey = codec.text(ledger, "vkey")
            witness_vkey = codec.text(ledger, "witness_vkey")
            try:
                NoteVerifier.from_vkey(ledger_vkey)
                CosignatureVerifier.from_vkey(witness_vkey)
            except MalformedKeyError as exc:
                raise FieldError("ledger", exc.message) from None
        return cls(
            origin=origin,
            state=codec.state(data, "state"),
            base_url=base_url,
            authorities=tuple(AuthorityEntry.from_dict(a) for a in authorities),
            keys=parsed_keys,
            tls_certificate=certificate,
            ledger_vkey=ledger_vkey,
            witness_vkey=witness_vkey,
            tls_next_certificate=next_certificate,
        )


def _tls_dict(certificate: str) -> dict[str, Any]:
    return {"sha256": fingerprint(certificate), "certificate": certificate}


def _tls_certificate(tls: Any, where: str, optional: set[str]) -> str:
    """A ``{"sha256", "certificate"}`` member, checked: the certificate's PEM."""
    if not isinstance(tls, dict):
        raise FieldError(where, "must be a JSON object")
    codec.members(tls, {"sha256", "certificate"}, optional, where)
    certificate = codec.text(tls, "certificate", max_length=16384, multiline=True)
    try:
        actual = fingerprint(certificate)
    except FederationConfigError as exc:
        raise FieldError(f"{where}.certificate", exc.message) from None
    if codec.hex_text(tls, "sha256", length=64) != actual:
        raise FieldError(f"{where}.sha256", "does not match the certificate")
    return certificate


@dataclass(frozen=True)
class Directory:
    """A verified directory: its serial, when it was issued, and its nodes."""

    serial: int
    issued: datetime
    nodes: tuple[NodeEntry, ...] = field(default=())

    def node(self, origin: str) -> NodeEntry | None:
        for entry in self.nodes:
            if entry.origin == origin:
                return entry
        return None

    def peers(self, own_origin: str) -> list[NodeEntry]:
        return [entry for entry in self.nodes if entry.origin != own_origin]

    def body(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "issued": codec.format_time(self.issued),
            "nodes": [entry.as_dict() for entry in self.nodes],
        }

    def with_node(self, entry: NodeEntry) -> Directory:
        """A copy with ``entry`` added or replacing the entry of the same origin."""
        others = tuple(n for n in self.nodes if n.origin != entry.origin)
        return replace(self, nodes=(*others, entry))


def listed_signing_key(
    directory: Directory,
    sender: str,
    key_id: str,
    now: datetime,
    *,
    step: str,
    envelope_id: str | None = None,
) -> PublicKey:
    """The signing key ``key_id`` that ``directory`` lists for ``sender``, usable ``now``:
    what an envelope's signature (step 3) and a batch's are checked with. Raises
    :class:`EnvelopeRejectedError` naming ``step`` (and ``envelope_id``) otherwise."""
    entry = directory.node(sender)
    if entry is None:
        raise EnvelopeRejectedError(
            Reason.UNKNOWN_SENDER,
            f"{step}: the directory (serial {directory.serial}) lists no node {sender!r}",
            envelope_id=envelope_id,
        )
    key = entry.find_key(KeyKind.SIGNING, key_id)
    if key is None:
        raise EnvelopeRejectedError(
            Reason.UNKNOWN_KEY,
            f"{step}: {sender!r} has no signing key {key_id} in the directory (serial "
            f"{directory.serial})",
            envelope_id=envelope_id,
        )
    problem = key.problem_at(now)
    if problem is not None:
        reason = Reason.REVOKED_KEY if key.revoked is not None else Reason.KEY_NOT_VALID
        message = f"{step}: {sender!r}: {problem}"
        raise EnvelopeRejectedError(reason, message, envelope_id=envelope_id)
    return key.public(entry.origin, entry.state)


def parse_body(body: Any) -> Directory:
    """Read an (unsigned) directory body; raise :class:`DirectoryError` naming the field."""
    try:
        if not isinstance(body, dict):
            raise FieldError("directory", "must be a JSON object")
        codec.members(body, {"serial", "issued", "nodes"}, set(), "directory")
        nodes = body["nodes"]
        if not isinstance(nodes, list) or len(nodes) > MAX_NODES:
            raise FieldError("nodes", f"must be a JSON array of at most {MAX_NODES} nodes")
        entries: list[NodeEntry] = []
        for position, node in enumerate(nodes):
            try:
                entries.append(NodeEntry.from_dict(node))
            except FieldError as exc:
                raise FieldError(f"nodes[{position}].{exc.field}", exc.message) from None
        origins = [e.origin for e in entries]
        if len(set(origins)) != len(origins):
            raise FieldError("nodes", "two entries have the same origin")
        return Directory(
            serial=codec.integer(body, "serial", low=1, high=2**53),
            issued=codec.time(body, "issued"),
            nodes=tuple(entries),
        )
    except FieldError as exc:
        raise DirectoryError(f"directory field {exc.field}: {exc.message}") from None


def signed_message(body: dict[str, Any]) -> bytes:
    return SIGNATURE_CONTEXT + codec.canonical(body)


def sign_directory(directory: Directory, signer: SigningKey) -> bytes:
    """The directory file, signed by the directory authority's key (pretty-printed JSON)."""
    body = directory.body()
    parse_body(json.loads(json.dumps(body)))  # never sign what would not read back
    document = {
        "format": DIRECTORY_FORMAT,
        "directory": body,
        "signature": {
            "key_id": signer.public.key_id,
            "value": codec.b64(signer.sign(signed_message(body))),
        },
    }
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def open_directory(data: bytes, trusted: PublicKey) -> Directory:
    """Verify and read a directory file. Steps:

    1. it is a ``hanoix-directory/1`` JSON document of bounded size (:class:`DirectoryError`);
    2. it is signed by the trusted directory key (:class:`DirectoryVerificationError`);
    3. its body is well-formed (:class:`DirectoryError`).
    """
    if len(data) > MAX_DIRECTORY_BYTES:
        raise DirectoryError(f"directory step 1: larger than {MAX_DIRECTORY_BYTES} bytes")
    try:
        document = codec.json_object(data, "directory file")
        codec.members(document, {"format", "directory", "signature"}, set(), "directory file")
        if document["format"] != DIRECTORY_FORMAT:
            raise FieldError("format", f"must be {DIRECTORY_FORMAT}")
        signature = document["signature"]
        if not isinstance(signature, dict):
            raise FieldError("signature", "must be a JSON object")
        codec.members(signature, {"key_id", "value"}, set(), "signature")
        value = codec.unb64(signature, "value", size=64)
        body = document["directory"]
        message = signed_message(body)
    except FieldError as exc:
        raise DirectoryError(f"directory step 1: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise DirectoryError(f"directory step 1: not canonical JSON ({exc})") from None
    if signature["key_id"] != trusted.key_id:
        raise DirectoryVerificationError(
            f"directory step 2: signed by key {signature['key_id']}, but this node trusts "
            f"only the directory key {trusted.key_id}"
        )
    try:
        trusted.check_signature(value, message)
    except BadSignatureError:
        raise DirectoryVerificationError(
            f"directory step 2: the signature of the directory key {trusted.key_id} does not "
            "verify: the document was altered"
        ) from None
    try:
        return parse_body(body)
    except DirectoryError as exc:
        raise DirectoryError(f"directory step 3: {exc.message}") from None


def check_newer(current: Directory | None, incoming: Directory) -> None:
    """A directory replaces the one in use only with a higher serial (no roll-back)."""
    if current is not None and incoming.serial <= current.serial:
        raise DirectoryVerificationError(
            f"the directory has serial {incoming.serial}, not newer than serial "
            f"{current.serial} in use; ask the directory authority for the current one"
        )


def revoke_key(
    directory: Directory, origin: str, key: str, at: datetime, reason: str | None = None
) -> Directory:
    """A copy of ``directory`` in which ``origin``'s key ``key`` (a key id) is revoked."""
    entry = directory.node(origin)
    if entry is None:
        raise DirectoryError(f"the directory lists no node {origin!r}")
    keys = []
    found = False
    for node_key in entry.keys:
        if node_key.key_id == key:
            node_key = replace(node_key, revoked=at, revocation_reason=reason)
            found = True
        keys.append(node_key)
    if not found:
        raise DirectoryError(f"node {origin!r} has no key {key}")
    return directory.with_node(replace(entry, keys=tuple(keys)))


def certificates(directory: Directory) -> Iterable[str]:
    """Every certificate a directory node may present (during a rotation, two of one node)."""
    return [certificate for n in directory.nodes for certificate in n.tls_certificates]
