"""Sender-signed batches (``hanoix-batch/1``) and the envelopes that travel only in them
(``hanoix-envelope/2``): pure, no I/O.

A ``hanoix-envelope/1`` pays for a fresh X25519 key, a key agreement and an Ed25519 signature
when it is sealed, and for an agreement and a signature check when it is opened: most of the
CPU a small message costs. A ``hanoix-envelope/2`` is sealed under a key agreed once per
*session* (an ephemeral X25519 key the sender keeps for a while for one recipient key) and is
not signed on its own: the sender signs, when it delivers, the RFC 9162 Merkle root of the
SHA-256 of every envelope of the request, once. The receiver checks that signature once and
agrees each session's key once. docs/federation.md, "Envelopes (``hanoix-envelope/2``)" and
"Signed batches", says what each member means and why it is as safe as version 1.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hanoix.evidence.errors import BadSignatureError
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey, SigningKey
from hanoix.federation import codec
from hanoix.federation.codec import FieldError
from hanoix.federation.directory import Directory, listed_signing_key
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.ledger import merkle

BATCH_FORMAT = "hanoix-batch/1"
BATCH_SIGNATURE_CONTEXT = b"hanoix-batch/1 signature\n"
SESSION_INFO = b"hanoix-envelope/2 session key"
CONTENT_KEY_CONTEXT = b"hanoix-envelope/2 content key\n"
#: How long, and for how many envelopes, a sender keeps one ephemeral key for one recipient
#: key: whoever takes the sender's memory within that window reads that window's envelopes
#: (the recipient's own key reads them all, as with version 1).
SESSION_LIFETIME = timedelta(minutes=10)
SESSION_ENVELOPES = 100_000
_BATCH_MEMBERS = {"format", "sender", "recipient", "key_id", "signature"}


def _session_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    if not any(shared):
        raise ValueError("a low-order X25519 key gives an all-zero shared secret")
    return HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=ephemeral_public + recipient_public,
        info=SESSION_INFO,
    ).derive(shared)


def content_key(session_key: bytes, envelope_id: str) -> bytes:
    """The AES-256-GCM key of one envelope: HKDF-Expand's single block (an HMAC-SHA256) of the
    session key over the envelope's id, so that no two envelopes share a key and the fixed
    nonce of version 1 stays safe."""
    return hmac.digest(session_key, CONTENT_KEY_CONTEXT + envelope_id.encode() + b"\x01", "sha256")


@dataclass
class _Session:
    ephemeral_public: bytes
    key: bytes
    started: datetime
    used: int = 0


class SealingSessions:
    """The sender's ephemeral X25519 key per recipient key, with the key agreed from it, kept
    for :data:`SESSION_LIFETIME` or :data:`SESSION_ENVELOPES`, whichever ends first. In memory
    only: a new process starts new sessions. Thread-safe."""

    def __init__(self, random: Callable[[int], bytes] = os.urandom) -> None:
        self._random = random
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}

    def session(self, recipient_key: PublicKey, now: datetime) -> tuple[bytes, bytes]:
        """(ephemeral public key, session key) for an envelope to ``recipient_key`` now."""
        if recipient_key.kind is not KeyKind.ENCRYPTION:
            raise ValueError("an envelope is encrypted to an X25519 encryption key")
        with self._lock:
            current = self._sessions.get(recipient_key.key_id)
            if (
                current is None
                or current.used >= SESSION_ENVELOPES
                or not current.started <= now < current.started + SESSION_LIFETIME
            ):
                ephemeral = X25519PrivateKey.from_private_bytes(self._random(32))
                public = ephemeral.public_key().public_bytes_raw()
                shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_key.raw))
                current = _Session(public, _session_key(shared, public, recipient_key.raw), now)
                self._sessions[recipient_key.key_id] = current
            current.used += 1
            return current.ephemeral_public, current.key


class OpeningSessions:
    """The receiver's session keys, by its key id and the sender's ephemeral key: one
    agreement per session instead of one per envelope. Bounded (least recently used out);
    the value is a function of the key, so nothing a sender sends can change what another's
    envelopes open with. Thread-safe."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._keys: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()

    def key(self, own: DecryptionKey, ephemeral_public: bytes) -> bytes:
        """Raises ``ValueError`` for a key that agrees on nothing (low order, malformed)."""
        name = (own.public.key_id, ephemeral_public)
        with self._lock:
            found = self._keys.get(name)
            if found is not None:
                self._keys.move_to_end(name)
                return found
        shared = own.private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _session_key(shared, ephemeral_public, own.public.raw)
        with self._lock:
            self._keys[name] = key
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
        return key


# --- signed batches ----------------------------------------------------------------------


def batch_root(digests: Sequence[str]) -> bytes:
    """The RFC 9162 root over the envelopes of a batch, in order: leaf ``i`` is
    ``SHA-256(0x00 || SHA-256(envelope i))``."""
    return merkle.root_from_leaves([merkle.leaf_hash(bytes.fromhex(d)) for d in digests])


def _statement(sender: str, recipient: str, key_id: str, size: int, root: bytes) -> bytes:
    return BATCH_SIGNATURE_CONTEXT + codec.canonical(
        {
            "format": BATCH_FORMAT,
            "sender": sender,
            "recipient": recipient,
            "key_id": key_id,
            "batch_size": size,
            "batch_root": root.hex(),
        }
    )


def sign_batch(
    digests: Sequence[str], *, sender: str, recipient: str, signer: SigningKey
) -> dict[str, Any]:
    """The ``batch`` member of a request carrying the envelopes of SHA-256 ``digests`` (hex,
    in the order sent) from ``sender`` to ``recipient``: one signature for them all."""
    if not digests:
        raise ValueError("a signed batch carries at least one envelope")
    key_id = signer.public.key_id
    root = batch_root(digests)
    signature = signer.sign(_statement(sender, recipient, key_id, len(digests), root))
    return {
        "format": BATCH_FORMAT,
        "sender": sender,
        "recipient": recipient,
        "key_id": key_id,
        "signature": codec.b64(signature),
    }


@dataclass(frozen=True)
class BatchSigner:
    """Who signed a batch, once its signature verified: every ``hanoix-envelope/2`` of the
    batch must name this sender."""

    sender: str
    key_id: str
    root: bytes


def verify_batch(
    batch: object,
    digests: Sequence[str],
    *,
    recipient: str,
    directory: Directory,
    now: datetime,
) -> BatchSigner:
    """Check the ``batch`` member over the envelopes of SHA-256 ``digests`` (hex, in the order
    received), with the checks of a version 1 envelope's steps 1 to 4: well-formed, addressed
    here, signed by a key the directory lists for the sender and usable now, signature valid.
    Raises :class:`EnvelopeRejectedError` (without an envelope id: the caller names each)."""
    try:
        if not isinstance(batch, dict):
            raise FieldError("batch", "must be an object")
        if batch.get("format") != BATCH_FORMAT:
            raise FieldError("format", f"must be {BATCH_FORMAT}")
        codec.members(batch, _BATCH_MEMBERS, set(), "batch")
        sender = codec.origin(batch, "sender")
        addressed = codec.origin(batch, "recipient")
        key_id = codec.hex_text(batch, "key_id", length=16)
        signature = codec.unb64(batch, "signature", size=64)
    except FieldError as exc:
        raise EnvelopeRejectedError(Reason.MALFORMED, f"signed batch: {exc}") from None
    if addressed != recipient:
        raise EnvelopeRejectedError(
            Reason.WRONG_RECIPIENT,
            f"signed batch: addressed to {addressed!r}, this node is {recipient!r}",
        )
    public = listed_signing_key(directory, sender, key_id, now, step="signed batch")
    root = batch_root(digests)
    try:
        public.check_signature(signature, _statement(sender, addressed, key_id, len(digests), root))
    except BadSignatureError:
        raise EnvelopeRejectedError(
            Reason.BAD_SIGNATURE,
            f"signed batch: the signature of {sender} (key {key_id}) does not verify over "
            "these envelopes: one was altered, added, left out or moved",
        ) from None
    return BatchSigner(sender, key_id, root)


def batch_digests(envelopes: Sequence[bytes]) -> list[str]:
    return [hashlib.sha256(data).hexdigest() for data in envelopes]
