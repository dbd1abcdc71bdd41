"""Byte layout of an evidence package, format version 1 (see docs/evidence-format.md).

::

    package  = preamble header chunk* trailer footer
    preamble = MAGIC(8) version(u16) flags(u16) header_length(u32)        16 bytes
    header   = header_length bytes of JSON (public, signed)
    chunk_i  = AES-256-GCM ciphertext of plaintext chunk i, tag included
    trailer  = summary_length(u32) summary(JSON) leaf_hashes(32*N)
               manifest_length(u32) manifest(AES-256-GCM) signature(64)
    footer   = trailer_length(u64) END_MAGIC(8)                             16 bytes

Integers are unsigned big-endian. Everything here is pure: it packs and parses bytes.
Malformed input raises :class:`MalformedError`, which verification turns into a finding; only
the preamble (not a package at all, or an unknown version) raises input errors directly.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from hanoix.evidence.errors import NotAPackageError, UnsupportedVersionError

MAGIC = b"\x89HXEV\r\n\x1a"
END_MAGIC = b"HXEV-END"
FORMAT_VERSION = 1
PREAMBLE_SIZE = 16
FOOTER_SIZE = 16
TAG_SIZE = 16
HASH_SIZE = 32
SIGNATURE_SIZE = 64
KEY_SIZE = 32
SALT_SIZE = 16
NONCE_PREFIX_SIZE = 7
WRAPPED_KEY_SIZE = KEY_SIZE + TAG_SIZE

DEFAULT_CHUNK_SIZE = 1024 * 1024
MIN_CHUNK_SIZE = 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
MAX_HEADER_SIZE = 1024 * 1024
MAX_SUMMARY_SIZE = 4096
MAX_MANIFEST_SIZE = 256 * 1024 * 1024
MAX_RECIPIENTS = 64
MAX_CHUNKS = 2**32 - 1  # the chunk index is a u32 in the nonce
MAX_TEXT = 1000  # request reference, authority name

_PREAMBLE = struct.Struct(">8sHHI")
_FOOTER = struct.Struct(">Q8s")
_U32 = struct.Struct(">I")
_STATE = re.compile(r"^[A-Z]{3}$")


class MalformedError(Exception):
    """A structural defect in a package: what is wrong, and where (``field``)."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- small strict codecs ------------------------------------------------------------------


def b64encode(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def b64decode(value: object, size: int, field: str) -> bytes:
    if not isinstance(value, str):
        raise MalformedError(f"{field} must be a base64 string", field)
    try:
        raw = base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise MalformedError(f"{field} is not valid base64", field) from exc
    if len(raw) != size or b64encode(raw) != value:
        raise MalformedError(f"{field} must be {size} bytes in canonical base64", field)
    return raw


def format_time(at: datetime) -> str:
    """RFC 3339 in UTC with a ``Z``; microseconds only when there are any."""
    if at.tzinfo is None:
        raise ValueError("times in a package must be timezone-aware")
    text = at.astimezone(UTC).isoformat()
    return text.replace("+00:00", "Z")


def parse_time(value: object, field: str) -> datetime:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise MalformedError(f"{field} must be an RFC 3339 UTC time ending in Z", field)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise MalformedError(f"{field} is not an RFC 3339 time: {value!r}", field) from exc
    if format_time(parsed) != value:
        raise MalformedError(f"{field} is not in canonical form: {value!r}", field)
    return parsed


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON: one byte string per value, so signatures are reproducible."""
    return bytes(rfc8785.dumps(value))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate member {key!r}")
        result[key] = value
    return result


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def strict_json_object(data: bytes, field: str) -> dict[str, Any]:
    """Parse UTF-8 JSON that must be an object, without duplicate members or NaN."""
    try:
        value = json.loads(
            data.decode("utf-8"),
            object_pairs_hook=_no_duplicates,
            parse_constant=_no_constants,
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedError(f"{field} is not valid JSON: {exc}", field) from exc
    except RecursionError:
        # Python's decoder gives up past about a thousand levels; nothing of ours nests so.
        raise MalformedError(f"{field} is nested too deeply to be read", field) from None
    if not isinstance(value, dict):
        raise MalformedError(f"{field} must be a JSON object", field)
    return value


def check_members(obj: dict[str, Any], required: set[str], optional: set[str], field: str) -> None:
    missing = required - obj.keys()
    if missing:
        raise MalformedError(f"{field} lacks {', '.join(sorted(missing))}", field)
    unknown = obj.keys() - required - optional
    if unknown:
        raise MalformedError(f"{field} has unknown members {', '.join(sorted(unknown))}", field)


def get_int(obj: dict[str, Any], name: str, field: str, *, low: int, high: int) -> int:
    value = obj[name]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise MalformedError(f"{field}.{name} must be an integer from {low} to {high}", field)
    return value


def get_text(obj: dict[str, Any], name: str, field: str, *, optional: bool = False) -> str | None:
    value = obj.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, str) or not value or len(value) > MAX_TEXT:
        raise MalformedError(f"{field}.{name} must be a non-empty string (<= {MAX_TEXT})", field)
    return value


# --- preamble and footer -------------------------------------------------------------------


def pack_preamble(header_length: int) -> bytes:
    return _PREAMBLE.pack(MAGIC, FORMAT_VERSION, 0, header_length)


def parse_preamble(data: bytes) -> int:
    """Check magic and version; return the header length. Raises input errors (exit 2):
    a file that is not a package, or a version this software does not read."""
    if len(data) < PREAMBLE_SIZE or not data.startswith(MAGIC):
        raise NotAPackageError("not a Hanoi Exchange evidence package (its first bytes differ)")
    _magic, version, flags, header_length = _PREAMBLE.unpack(data[:PREAMBLE_SIZE])
    if version != FORMAT_VERSION:
        raise UnsupportedVersionError(
            f"evidence package format version {version} is not supported "
            f"(this hanoix reads version {FORMAT_VERSION}); upgrade hanoix to read it"
        )
    if flags != 0:
        raise UnsupportedVersionError(
            f"evidence package uses format flags {flags:#06x} that this hanoix does not know"
        )
    if not 2 <= header_length <= MAX_HEADER_SIZE:
        raise MalformedError(f"header length {header_length} is out of range", "preamble")
    return int(header_length)


def pack_footer(trailer_length: int) -> bytes:
    return _FOOTER.pack(trailer_length, END_MAGIC)


def parse_footer(data: bytes) -> int:
    trailer_length, end = _FOOTER.unpack(data)
    if end != END_MAGIC:
        raise MalformedError(
            "the package is truncated or has trailing bytes: its end marker is missing",
            "footer",
        )
    return int(trailer_length)


# --- header ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Party:
    """A sender or recipient as the header names it: public key and who holds it."""

    key: bytes
    authority: str | None = None
    state: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"key": b64encode(self.key), "authority": self.authority, "state": self.state}


@dataclass(frozen=True)
class RecipientStanza:
    """One recipient: its X25519 public key, the sender's ephemeral X25519 public key and
    the content key wrapped for it."""

    recipient: Party
    ephemeral: bytes
    wrapped_key: bytes

    def as_json(self) -> dict[str, Any]:
        data = self.recipient.as_json()
        data["ephemeral"] = b64encode(self.ephemeral)
        data["wrapped_key"] = b64encode(self.wrapped_key)
        return data


@dataclass(frozen=True)
class Header:
    """The public, signed header: everything known before the first chunk is written."""

    chunk_size: int
    salt: bytes
    nonce_prefix: bytes
    created: datetime
    request: str | None
    sender: Party
    recipients: tuple[RecipientStanza, ...]

    def encode(self) -> bytes:
        return canonical_json(
            {
                "chunk_size": self.chunk_size,
                "salt": b64encode(self.salt),
                "nonce_prefix": b64encode(self.nonce_prefix),
                "created": format_time(self.created),
                "request": self.request,
                "sender": self.sender.as_json(),
                "recipients": [r.as_json() for r in self.recipients],
            }
        )


def _parse_party(obj: object, field: str, extra: set[str]) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise MalformedError(f"{field} must be an object", field)
    check_members(obj, {"key", "authority", "state"} | extra, set(), field)
    state = obj["state"]
    if state is not None and (not isinstance(state, str) or not _STATE.match(state)):
        raise MalformedError(f"{field}.state must be an ISO 3166-1 alpha-3 code or null", field)
    get_text(obj, "authority", field, optional=True)
    return obj


def parse_header(data: bytes) -> Header:
    obj = strict_json_object(data, "header")
    check_members(
        obj,
        {"chunk_size", "salt", "nonce_prefix", "created", "request", "sender", "recipients"},
        set(),
        "header",
    )
    chunk_size = get_int(obj, "chunk_size", "header", low=MIN_CHUNK_SIZE, high=MAX_CHUNK_SIZE)
    if chunk_size & (chunk_size - 1):
        raise MalformedError("header.chunk_size must be a power of two", "header")
    sender_obj = _parse_party(obj["sender"], "header.sender", set())
    sender = Party(
        b64decode(sender_obj["key"], KEY_SIZE, "header.sender.key"),
        sender_obj["authority"],
        sender_obj["state"],
    )
    raw_recipients = obj["recipients"]
    if not isinstance(raw_recipients, list) or not 1 <= len(raw_recipients) <= MAX_RECIPIENTS:
        raise MalformedError(
            f"header.recipients must list 1 to {MAX_RECIPIENTS} recipients", "header"
        )
    stanzas = []
    for i, raw in enumerate(raw_recipients):
        where = f"header.recipients[{i}]"
        r = _parse_party(raw, where, {"ephemeral", "wrapped_key"})
        stanzas.append(
            RecipientStanza(
                Party(b64decode(r["key"], KEY_SIZE, f"{where}.key"), r["authority"], r["state"]),
                b64decode(r["ephemeral"], KEY_SIZE, f"{where}.ephemeral"),
                b64decode(r["wrapped_key"], WRAPPED_KEY_SIZE, f"{where}.wrapped_key"),
            )
        )
    if len({s.recipient.key for s in stanzas}) != len(stanzas):
        raise MalformedError("header.recipients names the same key twice", "header")
    return Header(
        chunk_size=chunk_size,
        salt=b64decode(obj["salt"], SALT_SIZE, "header.salt"),
        nonce_prefix=b64decode(obj["nonce_prefix"], NONCE_PREFIX_SIZE, "header.nonce_prefix"),
        created=parse_time(obj["created"], "header.created"),
        request=get_text(obj, "request", "header", optional=True),
        sender=sender,
        recipients=tuple(stanzas),
    )


# --- chunk layout ---------------------------------------------------------------------------


def chunk_count(plaintext_bytes: int, chunk_size: int) -> int:
    """Chunks for a payload: every chunk full except the last; an empty payload is one empty
    chunk. A payload of exactly ``chunk_size`` bytes is one chunk (no empty chunk after it)."""
    return max(1, -(-plaintext_bytes // chunk_size))


def plaintext_length(index: int, count: int, plaintext_bytes: int, chunk_size: int) -> int:
    if index < count - 1:
        return chunk_size
    return plaintext_bytes - (count - 1) * chunk_size


def payload_length(plaintext_bytes: int, chunk_size: int) -> int:
    """Bytes of ciphertext between the header and the trailer."""
    return plaintext_bytes + TAG_SIZE * chunk_count(plaintext_bytes, chunk_size)


# --- trailer --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    """The public, signed facts known once the payload is written."""

    chunks: int
    plaintext_bytes: int
    files: int
    root: bytes

    def encode(self) -> bytes:
        return canonical_json(
            {
                "chunks": self.chunks,
                "bytes": self.plaintext_bytes,
                "files": self.files,
                "root": b64encode(self.root),
            }
        )


def parse_summary(data: bytes) -> Summary:
    obj = strict_json_object(data, "summary")
    check_members(obj, {"chunks", "bytes", "files", "root"}, set(), "summary")
    return Summary(
        chunks=get_int(obj, "chunks", "summary", low=1, high=MAX_CHUNKS),
        plaintext_bytes=get_int(obj, "bytes", "summary", low=0, high=2**63 - 1),
        files=get_int(obj, "files", "summary", low=0, high=2**32 - 1),
        root=b64decode(obj["root"], HASH_SIZE, "summary.root"),
    )


@dataclass(frozen=True)
class Trailer:
    summary: Summary
    leaves: bytes  # the chunks' leaf hashes, 32 bytes each, in order
    manifest: bytes  # the encrypted manifest
    signature: bytes
    body: bytes  # the trailer's bytes before the signature: what the signature covers

    def leaf(self, index: int) -> bytes:
        return self.leaves[index * HASH_SIZE : (index + 1) * HASH_SIZE]


def pack_trailer_body(summary: Summary, leaves: bytes, manifest: bytes) -> bytes:
    encoded = summary.encode()
    return b"".join((_U32.pack(len(encoded)), encoded, leaves, _U32.pack(len(manifest)), manifest))


def parse_trailer(data: bytes) -> Trailer:
    """Parse the trailer (footer excluded); every length must add up exactly."""
    view = memoryview(data)
    pos = 0

    def take(n: int, what: str) -> bytes:
        nonlocal pos
        if n > len(view) - pos:
            raise MalformedError(f"the trailer is too short for its {what}", "trailer")
        piece = bytes(view[pos : pos + n])
        pos += n
        return piece

    summary_length = _U32.unpack(take(4, "summary length"))[0]
    if not 2 <= summary_length <= MAX_SUMMARY_SIZE:
        raise MalformedError(f"summary length {summary_length} is out of range", "trailer")
    summary = parse_summary(take(summary_length, "summary"))
    leaves = take(summary.chunks * HASH_SIZE, "chunk hashes")
    manifest_length = _U32.unpack(take(4, "manifest length"))[0]
    if not TAG_SIZE <= manifest_length <= MAX_MANIFEST_SIZE:
        raise MalformedError(f"manifest length {manifest_length} is out of range", "trailer")
    manifest = take(manifest_length, "manifest")
    body_end = pos
    signature = take(SIGNATURE_SIZE, "signature")
    if pos != len(view):
        raise MalformedError(
            f"the trailer has {len(view) - pos} bytes more than its fields", "trailer"
        )
    return Trailer(summary, leaves, manifest, signature, bytes(view[:body_end]))
