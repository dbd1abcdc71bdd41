"""Envelopes: every message between nodes, signed and encrypted (pure: seal and open).

Choice: **encrypt, then sign everything, with the header bound into the encryption.**

* The payload (canonical JSON) is encrypted with AES-256-GCM under a fresh random content key;
  the content key is wrapped for the recipient's X25519 key with the evidence module's key
  wrapping (ephemeral X25519 + HKDF-SHA256 + AES-256-GCM). The AEAD's associated data is the
  SHA-256 of the canonical header, so the ciphertext cannot be moved under another header:
  changing sender, recipient, type, id, times, in-reply-to, urgency or key ids breaks it.
* The sender's Ed25519 key signs ``"hanoix-envelope/1 signature\\n" || RFC 8785(every member
  but the signature)``, ciphertext included. A receiver therefore checks who sent an envelope,
  and to whom, before it spends anything on decryption; and because the header is bound into the
  AEAD, nobody can strip the signature and re-sign the ciphertext as their own (the sender's
  name is in the associated data).

Wire format (one JSON object, at most :data:`MAX_ENVELOPE_BYTES`)::

    {"format": "hanoix-envelope/1", "id": "<32 hex>", "sender": ORIGIN, "recipient": ORIGIN,
     "type": "request.submit", "urgent": false, "created": T, "expires": T,
     "in_reply_to": "<32 hex>" | null, "sender_key": "<key id>", "recipient_key": "<key id>",
     "ephemeral": B64(32), "wrapped_key": B64(48), "ciphertext": B64, "signature": B64(64)}

Replays (an id already seen) are the receiver's store's business: see the federation service.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hanoix.errors import InputError
from hanoix.evidence import crypto
from hanoix.evidence.errors import BadSignatureError
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey, SigningKey
from hanoix.federation import batch as batching
from hanoix.federation import codec
from hanoix.federation.codec import FieldError
from hanoix.federation.directory import Directory, listed_signing_key
from hanoix.federation.errors import EnvelopeRejectedError, Reason

#: The protocol version of the envelopes this node seals unless told otherwise. It changes
#: when the wire format does; a node refuses an envelope of a version it does not read by name
#: (``unsupported-version``) and says which it reads, so two nodes that share none learn why
#: (docs/federation.md). Version 2 travels only in a signed batch (:mod:`.batch`).
ENVELOPE_VERSION = 1
ENVELOPE_FORMAT = f"hanoix-envelope/{ENVELOPE_VERSION}"
BATCHED_VERSION = 2
BATCHED_FORMAT = f"hanoix-envelope/{BATCHED_VERSION}"
READ_VERSIONS = (ENVELOPE_VERSION, BATCHED_VERSION)
BATCHED_HEADER_CONTEXT = b"hanoix-envelope/2 header\n"
_VERSIONED_FORMAT = re.compile(r"^hanoix-envelope/([1-9][0-9]{0,5})$")
SIGNATURE_CONTEXT = b"hanoix-envelope/1 signature\n"
HEADER_CONTEXT = b"hanoix-envelope/1 header\n"
MAX_ENVELOPE_BYTES = 1024 * 1024
MAX_PAYLOAD_BYTES = 700 * 1024
DEFAULT_MAX_SKEW = timedelta(minutes=5)
MAX_LIFETIME = timedelta(days=30)
ZERO_NONCE = bytes(12)

_ID = re.compile(r"^[0-9a-f]{32}$")
_TYPE = re.compile(r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)+$")
_HEADER_FIELDS = {
    "format",
    "id",
    "sender",
    "recipient",
    "type",
    "urgent",
    "created",
    "expires",
    "in_reply_to",
    "sender_key",
    "recipient_key",
    "ephemeral",
    "wrapped_key",
}
_FIELDS = _HEADER_FIELDS | {"ciphertext", "signature"}
# Version 2: no content key to wrap (it comes from the session's agreement), no sender key
# and no signature (the batch names and makes them).
_BATCHED_HEADER_FIELDS = _HEADER_FIELDS - {"wrapped_key", "sender_key"}
_BATCHED_FIELDS = _BATCHED_HEADER_FIELDS | {"ciphertext"}


def new_envelope_id(random: Callable[[int], bytes] = os.urandom) -> str:
    return random(16).hex()


def check_type(name: str) -> str:
    if len(name) > 100 or not _TYPE.match(name):
        raise ValueError(
            f"message type {name!r} must be dotted lower-case words, such as request.submit"
        )
    return name


@dataclass(frozen=True)
class EnvelopeHeader:
    """Everything about an envelope that is not its payload; all of it is signed."""

    id: str
    sender: str
    recipient: str
    type: str
    created: datetime
    expires: datetime
    in_reply_to: str | None = None
    urgent: bool = False

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError("an envelope id is 32 lower-case hex digits")
        if self.in_reply_to is not None and not _ID.match(self.in_reply_to):
            raise ValueError("in_reply_to is an envelope id: 32 lower-case hex digits")
        check_type(self.type)
        codec.check_origin(self.sender)
        codec.check_origin(self.recipient)
        if self.created.tzinfo is None or self.expires.tzinfo is None:
            raise ValueError("envelope times are timezone-aware")
        if not self.created < self.expires <= self.created + MAX_LIFETIME:
            raise ValueError(f"an envelope expires after its creation, within {MAX_LIFETIME}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "sender": self.sender,
            "recipient": self.recipient,
            "type": self.type,
            "urgent": self.urgent,
            "created": codec.format_time(self.created),
            "expires": codec.format_time(self.expires),
            "in_reply_to": self.in_reply_to,
        }


@dataclass(frozen=True)
class SealedEnvelope:
    """An envelope ready to send: its header, its bytes and their SHA-256 (hex)."""

    header: EnvelopeHeader
    data: bytes
    digest: str


@dataclass(frozen=True)
class ParsedEnvelope:
    """An envelope read but not yet trusted: nothing in it is believed until steps 3-6 pass.
    Version 2 has no ``wrapped_key`` nor ``signature`` (empty), and its ``sender_key`` is
    the key that signed its batch, filled in once that signature verified (empty before)."""

    header: EnvelopeHeader
    sender_key: str
    recipient_key: str
    ephemeral: bytes
    wrapped_key: bytes
    ciphertext: bytes
    signature: bytes
    fields: dict[str, Any]
    digest: str
    version: int = ENVELOPE_VERSION


@dataclass(frozen=True)
class OpenedEnvelope:
    """A verified, decrypted envelope: what handlers receive."""

    header: EnvelopeHeader
    payload: dict[str, Any]
    digest: str
    sender_key: str

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def sender(self) -> str:
        return self.header.sender

    @property
    def type(self) -> str:
        return self.header.type


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _aad(header_fields: dict[str, Any]) -> bytes:
    return hashlib.sha256(HEADER_CONTEXT + codec.canonical(header_fields)).digest()


def _signed(fields: dict[str, Any]) -> bytes:
    return SIGNATURE_CONTEXT + codec.canonical(
        {k: v for k, v in fields.items() if k != "signature"}
    )


def seal_envelope(
    header: EnvelopeHeader,
    payload: dict[str, Any],
    *,
    signer: SigningKey,
    recipient_key: PublicKey,
    random: Callable[[int], bytes] = os.urandom,
) -> SealedEnvelope:
    """Encrypt ``payload`` for ``recipient_key`` and sign the whole envelope with ``signer``."""
    if recipient_key.kind is not KeyKind.ENCRYPTION:
        raise ValueError("an envelope is encrypted to an X25519 encryption key")
    plaintext = _checked_payload(payload)
    content_key = random(32)
    ephemeral, wrapped = crypto.wrap(content_key, recipient_key.raw, random(32))
    fields: dict[str, Any] = {
        "format": ENVELOPE_FORMAT,
        **header.as_dict(),
        "sender_key": signer.public.key_id,
        "recipient_key": recipient_key.key_id,
        "ephemeral": codec.b64(ephemeral),
        "wrapped_key": codec.b64(wrapped),
    }
    ciphertext = AESGCM(content_key).encrypt(ZERO_NONCE, plaintext, _aad(fields))
    fields["ciphertext"] = codec.b64(ciphertext)
    fields["signature"] = codec.b64(signer.sign(_signed(fields)))
    data = codec.canonical(fields)
    return SealedEnvelope(header, data, digest(data))


def _checked_payload(payload: dict[str, Any]) -> bytes:
    plaintext = codec.canonical(payload)
    if len(plaintext) > MAX_PAYLOAD_BYTES:
        # Requests are bounded so that this cannot happen (hanoix.requests.limits); should a
        # message still be too large, it is the caller's input, refused before anything is
        # queued (a 400 naming the limit), never a server error.
        raise InputError(
            f"the message is {len(plaintext)} bytes; at most {MAX_PAYLOAD_BYTES} travel in an "
            "envelope (send large material as an evidence package)"
        )
    return plaintext


def seal_batched_envelope(
    header: EnvelopeHeader,
    payload: dict[str, Any],
    *,
    sessions: batching.SealingSessions,
    recipient_key: PublicKey,
) -> SealedEnvelope:
    """A ``hanoix-envelope/2``: ``payload`` encrypted under the key of this sender's session
    with ``recipient_key``, the header bound in as in version 1, and no signature (the batch
    that carries it is signed when it is sent: :func:`hanoix.federation.batch.sign_batch`)."""
    plaintext = _checked_payload(payload)
    ephemeral, session_key = sessions.session(recipient_key, header.created)
    fields: dict[str, Any] = {
        "format": BATCHED_FORMAT,
        **header.as_dict(),
        "recipient_key": recipient_key.key_id,
        "ephemeral": codec.b64(ephemeral),
    }
    header_json = codec.canonical(fields)
    aad = hashlib.sha256(BATCHED_HEADER_CONTEXT + header_json).digest()
    key = batching.content_key(session_key, header.id)
    ciphertext = AESGCM(key).encrypt(ZERO_NONCE, plaintext, aad)
    # "ciphertext" sorts before every member of the header and base64 needs no escape, so
    # the canonical envelope is the canonical header with it put first: no second encoding.
    data = b'{"ciphertext":"' + base64.b64encode(ciphertext) + b'",' + header_json[1:]
    return SealedEnvelope(header, data, digest(data))


def envelope_version(format_name: object) -> int | None:
    """The protocol version a ``format`` member names (``hanoix-envelope/N``), or ``None`` when
    it names no envelope format at all."""
    if not isinstance(format_name, str):
        return None
    match = _VERSIONED_FORMAT.match(format_name)
    return int(match.group(1)) if match else None


def claimed_sender(fields: dict[str, Any]) -> str | None:
    """The ``sender`` an envelope names, unauthenticated, when it is a name a node could have
    (no control characters, nothing long enough to flood a log): for logs and counts only."""
    claimed = fields.get("sender")
    if isinstance(claimed, str):
        with contextlib.suppress(ValueError):
            return codec.check_origin(claimed)
    return None


def _refuse_format(fields: dict[str, Any], envelope_id: str | None) -> None:
    found = fields.get("format")
    version = envelope_version(found)
    if version is None:
        raise FieldError("format", f"must be {ENVELOPE_FORMAT}")
    claimed = claimed_sender(fields)
    sender = f" (it says it is from {claimed})" if claimed else ""
    raise EnvelopeRejectedError(
        Reason.UNSUPPORTED_VERSION,
        f"the envelope is {found}, protocol version {version}{sender}; this node reads "
        f"versions {ENVELOPE_VERSION} and {BATCHED_VERSION} only ({ENVELOPE_FORMAT}, "
        f"{BATCHED_FORMAT}): the two nodes run versions of hanoix without a protocol version "
        "in common; upgrade the older one",
        envelope_id=envelope_id,
    )


def read_envelope(data: bytes) -> ParsedEnvelope:
    """Step 1: the bytes are a well-formed envelope of bounded size. Nothing is trusted yet."""
    if len(data) > MAX_ENVELOPE_BYTES:
        raise EnvelopeRejectedError(
            Reason.TOO_LARGE, f"the envelope is larger than {MAX_ENVELOPE_BYTES} bytes"
        )
    envelope_id: str | None = None
    try:
        fields = codec.json_object(data, "envelope")
        raw_id = fields.get("id")
        envelope_id = raw_id if isinstance(raw_id, str) and _ID.match(raw_id) else None
        found = fields.get("format")
        version = BATCHED_VERSION if found == BATCHED_FORMAT else ENVELOPE_VERSION
        if found != ENVELOPE_FORMAT and version != BATCHED_VERSION:
            _refuse_format(fields, envelope_id)
        batched = version == BATCHED_VERSION
        codec.members(fields, _BATCHED_FIELDS if batched else _FIELDS, set(), "envelope")
        in_reply_to = fields["in_reply_to"]
        if in_reply_to is not None and not isinstance(in_reply_to, str):
            raise FieldError("in_reply_to", "must be an envelope id or null")
        try:
            header = EnvelopeHeader(
                id=codec.text(fields, "id", max_length=32),
                sender=codec.origin(fields, "sender"),
                recipient=codec.origin(fields, "recipient"),
                type=codec.text(fields, "type", max_length=100),
                created=codec.time(fields, "created"),
                expires=codec.time(fields, "expires"),
                in_reply_to=in_reply_to,
                urgent=codec.boolean(fields, "urgent"),
            )
        except ValueError as exc:
            if isinstance(exc, FieldError):
                raise
            raise FieldError("header", str(exc)) from None
        parsed = ParsedEnvelope(
            header=header,
            sender_key="" if batched else codec.hex_text(fields, "sender_key", length=16),
            recipient_key=codec.hex_text(fields, "recipient_key", length=16),
            ephemeral=codec.unb64(fields, "ephemeral", size=32),
            wrapped_key=b"" if batched else codec.unb64(fields, "wrapped_key", size=48),
            ciphertext=codec.unb64(fields, "ciphertext", max_size=MAX_ENVELOPE_BYTES),
            signature=b"" if batched else codec.unb64(fields, "signature", size=64),
            fields=fields,
            digest=digest(data),
            version=version,
        )
    except FieldError as exc:
        raise EnvelopeRejectedError(
            Reason.MALFORMED, f"envelope step 1: {exc}", envelope_id=envelope_id
        ) from None
    return parsed


def verify_signature(envelope: ParsedEnvelope, sender_key: PublicKey) -> None:
    """Step 4: the sender's key signed every member of the envelope."""
    if sender_key.key_id != envelope.sender_key:
        raise EnvelopeRejectedError(
            Reason.UNKNOWN_KEY,
            f"envelope step 4: signed with key {envelope.sender_key}, not {sender_key.key_id}",
            envelope_id=envelope.header.id,
        )
    try:
        message = _signed(envelope.fields)
    except (TypeError, ValueError) as exc:
        raise EnvelopeRejectedError(
            Reason.MALFORMED,
            f"envelope step 4: not canonical JSON ({exc})",
            envelope_id=envelope.header.id,
        ) from None
    try:
        sender_key.check_signature(envelope.signature, message)
    except BadSignatureError:
        raise EnvelopeRejectedError(
            Reason.BAD_SIGNATURE,
            f"envelope step 4: the signature of {envelope.header.sender} (key "
            f"{envelope.sender_key}) does not verify: the envelope was altered or forged",
            envelope_id=envelope.header.id,
        ) from None


def _unsigned_alone(header: EnvelopeHeader) -> EnvelopeRejectedError:
    return EnvelopeRejectedError(
        Reason.MALFORMED,
        f"envelope step 3: a {BATCHED_FORMAT} is signed by the batch that carries it and "
        "travels only in a signed batch (POST /federation/v1/envelopes/batch with its "
        "batch member)",
        envelope_id=header.id,
    )


def signed_by_batch(
    envelope: ParsedEnvelope, signer: batching.BatchSigner | None
) -> ParsedEnvelope:
    """Steps 3 and 4 of a ``hanoix-envelope/2``: the batch that carried it was signed by a
    key the directory lists, and verified (``signer``, once for the batch; ``None``: it came
    without one), and that signer is the sender the envelope names (whose name is bound into
    the decryption too). Returns the envelope with the batch's key as its ``sender_key``."""
    header = envelope.header
    if signer is None:
        raise _unsigned_alone(header)
    if signer.sender != header.sender:
        raise EnvelopeRejectedError(
            Reason.BAD_SIGNATURE,
            f"envelope step 4: the batch is signed by {signer.sender}, the envelope says it "
            f"is from {header.sender}",
            envelope_id=header.id,
        )
    return replace(envelope, sender_key=signer.key_id)


def check_time(header: EnvelopeHeader, now: datetime, max_skew: timedelta) -> None:
    """Step 5: created no later than now + skew; not expired (with the same tolerance)."""
    if header.created > now + max_skew:
        raise EnvelopeRejectedError(
            Reason.FUTURE_DATED,
            f"envelope step 5: created at {codec.format_time(header.created)}, but it is "
            f"{codec.format_time(now)} here (allowed skew {int(max_skew.total_seconds())} s): "
            "check the sender's clock",
            envelope_id=header.id,
        )
    if header.expires + max_skew <= now:
        raise EnvelopeRejectedError(
            Reason.EXPIRED,
            f"envelope step 5: expired at {codec.format_time(header.expires)} "
            f"(it is {codec.format_time(now)} here)",
            envelope_id=header.id,
        )


def decrypt(
    envelope: ParsedEnvelope,
    key: DecryptionKey,
    sessions: batching.OpeningSessions | None = None,
) -> dict[str, Any]:
    """Step 6: unwrap the content key with ``key`` (version 2: derive it from the session's
    key, agreed once per session and kept in ``sessions``) and decrypt the payload (a JSON
    object)."""
    try:
        if envelope.version == BATCHED_VERSION:
            header_fields = {k: v for k, v in envelope.fields.items() if k != "ciphertext"}
            aad = hashlib.sha256(BATCHED_HEADER_CONTEXT + codec.canonical(header_fields)).digest()
            session_key = (sessions or batching.OpeningSessions(1)).key(key, envelope.ephemeral)
            content_key = batching.content_key(session_key, envelope.header.id)
        else:
            header_fields = {k: v for k, v in envelope.fields.items() if k in _HEADER_FIELDS}
            aad = _aad(header_fields)
            content_key = crypto.unwrap(key.private, envelope.ephemeral, envelope.wrapped_key)
        plaintext = AESGCM(content_key).decrypt(ZERO_NONCE, envelope.ciphertext, aad)
    except (crypto.WrapError, InvalidTag, ValueError):
        raise EnvelopeRejectedError(
            Reason.UNDECRYPTABLE,
            f"envelope step 6: the payload does not decrypt with key {key.public.key_id}",
            envelope_id=envelope.header.id,
        ) from None
    try:
        return codec.json_object(plaintext, "payload")
    except FieldError as exc:
        raise EnvelopeRejectedError(
            Reason.BAD_PAYLOAD, f"envelope step 6: {exc}", envelope_id=envelope.header.id
        ) from None


def sender_key(envelope: ParsedEnvelope, directory: Directory, now: datetime) -> PublicKey:
    """Step 3: the sender is in the directory and signed with a key it lists, usable now."""
    header = envelope.header
    if envelope.version == BATCHED_VERSION:
        # Its signature is its batch's: alone, nobody vouches for it.
        raise _unsigned_alone(header)
    return listed_signing_key(
        directory,
        header.sender,
        envelope.sender_key,
        now,
        step="envelope step 3",
        envelope_id=header.id,
    )


def open_envelope(
    data: bytes,
    *,
    recipient: str,
    directory: Directory,
    decryption_key: Callable[[str], DecryptionKey | None],
    now: datetime,
    max_skew: timedelta = DEFAULT_MAX_SKEW,
) -> OpenedEnvelope:
    """Verify and decrypt an envelope for ``recipient``. Steps, each raising
    :class:`EnvelopeRejectedError` with its reason:

    1. well-formed and not too large;
    2. addressed to ``recipient``;
    3. from a node of the directory, signed with a key it lists and that is usable now;
    4. the signature verifies;
    5. not future-dated beyond ``max_skew``, not expired;
    6. the payload decrypts with this node's key named in the envelope.
    """
    parsed = read_envelope(data)
    header = parsed.header
    if header.recipient != recipient:
        raise EnvelopeRejectedError(
            Reason.WRONG_RECIPIENT,
            f"envelope step 2: addressed to {header.recipient!r}, this node is {recipient!r}",
            envelope_id=header.id,
        )
    key = sender_key(parsed, directory, now)
    verify_signature(parsed, key)
    check_time(header, now, max_skew)
    own = decryption_key(parsed.recipient_key)
    if own is None:
        raise EnvelopeRejectedError(
            Reason.UNDECRYPTABLE,
            f"envelope step 6: encrypted to key {parsed.recipient_key}, which this node does "
            "not hold",
            envelope_id=header.id,
        )
    payload = decrypt(parsed, own)
    return OpenedEnvelope(header, payload, parsed.digest, parsed.sender_key)
