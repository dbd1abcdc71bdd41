"""Receipts: the receiver's signed statement that it took an envelope (pure).

The receiving node signs a receipt in the same transaction in which the envelope takes effect,
and answers the delivery with it. The sender keeps it as proof of delivery: it names the
envelope by id and by the SHA-256 of its exact bytes, and says when the receiver took it.

Two versions travel (docs/federation.md, "Receipts"):

``hanoix-receipt/1``, one signature per envelope::

    {"format": "hanoix-receipt/1", "envelope_id": "<32 hex>", "envelope_sha256": "<64 hex>",
     "sender": ORIGIN, "recipient": ORIGIN, "received": T, "key_id": "<16 hex>",
     "signature": B64(64)}

The signature is the recipient's Ed25519 signature over ``"hanoix-receipt/1 signature\\n" ||
RFC 8785(every member but the signature)``.

``hanoix-receipt/2``, one signature per batch: the envelopes a batch delivery took are the
leaves of an RFC 9162 Merkle tree, leaf ``i`` being ``RFC 8785({"envelope_id",
"envelope_sha256"})`` of the ``i``-th envelope taken, and the recipient signs
``"hanoix-receipt/2 signature\\n" || RFC 8785({"format", "sender", "recipient", "received",
"key_id", "batch_size", "batch_root"})``. Each envelope's receipt carries that signature and its
own audit path, so it is still a proof on its own::

    {"format": "hanoix-receipt/2", "envelope_id", "envelope_sha256", "sender", "recipient",
     "received", "key_id", "batch_size": N, "batch_index": I, "batch_path": ["<64 hex>", ...],
     "signature": B64(64)}

The root is not written: a verifier computes it from the leaf and the path, so a receipt whose
path or leaf was altered names another root, which the signature does not cover.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from hanoix.evidence.errors import BadSignatureError
from hanoix.evidence.keys import KeyKind, PublicKey, SigningKey
from hanoix.federation import codec
from hanoix.federation.codec import FieldError
from hanoix.federation.directory import Directory
from hanoix.federation.envelope import EnvelopeHeader
from hanoix.federation.errors import ReceiptError
from hanoix.ledger import merkle
from hanoix.ledger.errors import InvalidProofError

RECEIPT_FORMAT = "hanoix-receipt/1"
SIGNATURE_CONTEXT = b"hanoix-receipt/1 signature\n"
BATCH_RECEIPT_FORMAT = "hanoix-receipt/2"
BATCH_SIGNATURE_CONTEXT = b"hanoix-receipt/2 signature\n"
RECEIPT_FORMATS = (RECEIPT_FORMAT, BATCH_RECEIPT_FORMAT)
MAX_RECEIPT_BYTES = 16 * 1024
#: A batch is at most 256 envelopes (the batch route's limit); the tree allows more, the
#: parser no deeper path than a tree of this many leaves needs.
MAX_BATCH_SIZE = 1 << 16
_FIELDS = {
    "format",
    "envelope_id",
    "envelope_sha256",
    "sender",
    "recipient",
    "received",
    "key_id",
    "signature",
}
_BATCH_FIELDS = _FIELDS | {"batch_size", "batch_index", "batch_path"}


@dataclass(frozen=True)
class BatchPosition:
    """Where a ``hanoix-receipt/2`` receipt's envelope sits in its batch's Merkle tree."""

    size: int
    index: int
    path: tuple[bytes, ...]


@dataclass(frozen=True)
class Receipt:
    envelope_id: str
    envelope_sha256: str
    sender: str
    recipient: str
    received: datetime
    key_id: str
    signature: bytes
    batch: BatchPosition | None = None

    @property
    def format(self) -> str:
        return RECEIPT_FORMAT if self.batch is None else BATCH_RECEIPT_FORMAT

    def unsigned(self) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "format": self.format,
            "envelope_id": self.envelope_id,
            "envelope_sha256": self.envelope_sha256,
            "sender": self.sender,
            "recipient": self.recipient,
            "received": codec.format_time(self.received),
            "key_id": self.key_id,
        }
        if self.batch is not None:
            fields["batch_size"] = self.batch.size
            fields["batch_index"] = self.batch.index
            fields["batch_path"] = [node.hex() for node in self.batch.path]
        return fields

    def as_dict(self) -> dict[str, Any]:
        return {**self.unsigned(), "signature": codec.b64(self.signature)}

    def to_bytes(self) -> bytes:
        return codec.canonical(self.as_dict())

    def signed_message(self) -> bytes:
        """The bytes the recipient's signature covers. For ``hanoix-receipt/2``, the batch's
        statement with the root this receipt's leaf and path lead to; raises
        :class:`ReceiptError` when the path cannot belong to a tree of the batch's size."""
        if self.batch is None:
            return _message(self.unsigned())
        try:
            root = merkle.root_from_inclusion_proof(
                batch_leaf(self.envelope_id, self.envelope_sha256),
                self.batch.index,
                self.batch.size,
                self.batch.path,
            )
        except InvalidProofError as exc:
            raise ReceiptError(f"receipt step 3: the batch path is not valid: {exc}") from None
        return _batch_message(
            self.sender, self.recipient, self.received, self.key_id, self.batch.size, root
        )


def _message(unsigned: dict[str, Any]) -> bytes:
    return SIGNATURE_CONTEXT + codec.canonical(unsigned)


_HEX_ONLY = re.compile(r"[0-9a-f]*\Z")


def batch_leaf(envelope_id: str, envelope_sha256: str) -> bytes:
    """The Merkle leaf hash of one envelope of a ``hanoix-receipt/2`` batch."""
    if _HEX_ONLY.match(envelope_id) and _HEX_ONLY.match(envelope_sha256):
        # Hex digits need no escape: these are the canonical bytes, written directly (the
        # leaf is worked out for every envelope a batch delivery takes, and again for every
        # receipt the sender checks). tests/federation/test_receipts.py holds them equal.
        member = f'{{"envelope_id":"{envelope_id}","envelope_sha256":"{envelope_sha256}"}}'
        return merkle.leaf_hash(member.encode())
    return merkle.leaf_hash(
        codec.canonical({"envelope_id": envelope_id, "envelope_sha256": envelope_sha256})
    )


# Every receipt of one batch leads to the same statement (all that differs between them is
# the leaf and the path, which lead to the one root): it is written once, not per receipt.
@lru_cache(maxsize=64)
def _batch_message(
    sender: str, recipient: str, received: datetime, key_id: str, size: int, root: bytes
) -> bytes:
    return BATCH_SIGNATURE_CONTEXT + codec.canonical(
        {
            "format": BATCH_RECEIPT_FORMAT,
            "sender": sender,
            "recipient": recipient,
            "received": codec.format_time(received),
            "key_id": key_id,
            "batch_size": size,
            "batch_root": root.hex(),
        }
    )


def sign_receipt(
    header: EnvelopeHeader, envelope_sha256: str, received: datetime, signer: SigningKey
) -> Receipt:
    """The receiver's receipt for the envelope ``header`` whose bytes hash to the digest."""
    draft = Receipt(
        envelope_id=header.id,
        envelope_sha256=envelope_sha256,
        sender=header.sender,
        recipient=header.recipient,
        received=received,
        key_id=signer.public.key_id,
        signature=b"",
    )
    return replace(draft, signature=signer.sign(_message(draft.unsigned())))


def _root_and_paths(leaves: Sequence[bytes]) -> tuple[bytes, list[list[bytes]]]:
    """``MTH`` of ``leaves`` and every leaf's audit path, in one pass over the tree
    (RFC 9162, 2.1.3.1: ``PATH(m, D[n])`` is the path in the subtree of ``m`` followed by the
    hash of the other subtree, split at the largest power of two below ``n``). Asking
    :func:`merkle.inclusion_proof` leaf by leaf plans and walks the tree again for each."""
    if len(leaves) == 1:
        return leaves[0], [[]]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    left, left_paths = _root_and_paths(leaves[:split])
    right, right_paths = _root_and_paths(leaves[split:])
    for path in left_paths:
        path.append(right)
    for path in right_paths:
        path.append(left)
    return merkle.node_hash(left, right), left_paths + right_paths


def sign_batch_receipts(
    envelopes: Sequence[tuple[EnvelopeHeader, str]], received: datetime, signer: SigningKey
) -> list[Receipt]:
    """``hanoix-receipt/2`` receipts for the envelopes (header, SHA-256 of the bytes) that one
    batch delivery took, all from the same sender to the same recipient: one signature."""
    if not envelopes:
        return []
    first = envelopes[0][0]
    if any(h.sender != first.sender or h.recipient != first.recipient for h, _ in envelopes):
        raise ValueError("a batch receipt covers envelopes of one sender to one recipient")
    size = len(envelopes)
    root, paths = _root_and_paths([batch_leaf(header.id, digest) for header, digest in envelopes])
    key_id = signer.public.key_id
    signature = signer.sign(
        _batch_message(first.sender, first.recipient, received, key_id, size, root)
    )
    return [
        Receipt(
            envelope_id=header.id,
            envelope_sha256=digest,
            sender=header.sender,
            recipient=header.recipient,
            received=received,
            key_id=key_id,
            signature=signature,
            batch=BatchPosition(size, index, tuple(path)),
        )
        for index, ((header, digest), path) in enumerate(zip(envelopes, paths, strict=True))
    ]


def _batch_position(fields: dict[str, Any]) -> BatchPosition:
    size = codec.integer(fields, "batch_size", low=1, high=MAX_BATCH_SIZE)
    index = codec.integer(fields, "batch_index", low=0, high=size - 1)
    raw = fields.get("batch_path")
    if not isinstance(raw, list) or len(raw) > MAX_BATCH_SIZE.bit_length():
        raise FieldError("batch_path", "must be a list of at most 17 hashes")
    for node in raw:
        if not isinstance(node, str) or len(node) != 64 or not _HEX_ONLY.match(node):
            raise FieldError("hash", "must be 64 lower-case hex digits")
    return BatchPosition(size, index, tuple(map(bytes.fromhex, raw)))


def parse_receipt(data: bytes | dict[str, Any]) -> Receipt:
    """Read a receipt of either version (bytes or an already parsed object); raise
    :class:`ReceiptError`."""
    try:
        if isinstance(data, bytes):
            if len(data) > MAX_RECEIPT_BYTES:
                raise FieldError("receipt", f"larger than {MAX_RECEIPT_BYTES} bytes")
            fields = codec.json_object(data, "receipt")
        elif isinstance(data, dict):
            fields = data
        else:
            raise FieldError("receipt", "must be a JSON object")
        version = fields.get("format")
        if version not in RECEIPT_FORMATS:
            raise FieldError("format", f"must be one of {', '.join(RECEIPT_FORMATS)}")
        batched = version == BATCH_RECEIPT_FORMAT
        codec.members(fields, _BATCH_FIELDS if batched else _FIELDS, set(), "receipt")
        return Receipt(
            envelope_id=codec.hex_text(fields, "envelope_id", length=32),
            envelope_sha256=codec.hex_text(fields, "envelope_sha256", length=64),
            sender=codec.origin(fields, "sender"),
            recipient=codec.origin(fields, "recipient"),
            received=codec.time(fields, "received"),
            key_id=codec.hex_text(fields, "key_id", length=16),
            signature=codec.unb64(fields, "signature", size=64),
            batch=_batch_position(fields) if batched else None,
        )
    except FieldError as exc:
        raise ReceiptError(f"the receipt is malformed: {exc}") from None


def choose_format(batch: dict[str, Any]) -> str:
    """The receipt format to answer ``batch`` (the parsed body) with: the first of the
    sender's ``receipts`` list (its preference) that this node signs. Without the member,
    ``hanoix-receipt/1``, what a sender from before ``hanoix-receipt/2`` expects. Raises
    :class:`FieldError` for a member that is not such a list (``null`` included) or names no
    format known here."""
    if "receipts" not in batch:
        return RECEIPT_FORMAT
    wanted = batch["receipts"]
    if (
        not isinstance(wanted, list)
        or not 1 <= len(wanted) <= 16
        or not all(isinstance(name, str) for name in wanted)
    ):
        raise FieldError("receipts", "must be a list of 1 to 16 receipt formats")
    for name in wanted:
        if name in RECEIPT_FORMATS:
            return str(name)
    raise FieldError(
        "receipts", f"names no receipt format this node signs ({', '.join(RECEIPT_FORMATS)})"
    )


class VerifiedSignatures:
    """The signatures already checked while verifying the receipts of one answer.

    Every ``hanoix-receipt/2`` receipt of a batch carries the same signature over the same
    statement: it is checked once. Only a signature that verified is remembered, keyed by the
    public key, the exact message and the signature, so a hit proves exactly what a check
    would. Keep one per answer (or per round), not for the process's life."""

    def __init__(self) -> None:
        self._seen: set[tuple[bytes, bytes, bytes]] = set()

    def check(self, key: PublicKey, signature: bytes, message: bytes) -> None:
        """Raise :class:`BadSignatureError` unless ``signature`` is ``key``'s over ``message``."""
        entry = (key.raw, message, signature)
        if entry in self._seen:
            return
        key.check_signature(signature, message)
        self._seen.add(entry)


def verify_receipt(
    receipt: Receipt,
    *,
    envelope_id: str,
    envelope_sha256: str,
    sender: str,
    recipient: str,
    directory: Directory,
    verified: VerifiedSignatures | None = None,
) -> None:
    """Check a receipt (either version) is the recipient's, for exactly this envelope. Steps:

    1. it names this envelope (id and digest), this sender and this recipient;
    2. it is signed by a signing key the directory lists for the recipient, not revoked;
    3. the signature verifies (for ``hanoix-receipt/2``, over the batch's statement with the
       root that the envelope's leaf and audit path lead to).

    ``verified``: signatures already checked for this answer, so that a batch's receipts cost
    one signature check in all.
    """
    expected = (envelope_id, envelope_sha256, sender, recipient)
    actual = (receipt.envelope_id, receipt.envelope_sha256, receipt.sender, receipt.recipient)
    if actual != expected:
        raise ReceiptError(
            "receipt step 1: the receipt is for another envelope or other parties "
            f"({receipt.envelope_id} from {receipt.sender} to {receipt.recipient})"
        )
    entry = directory.node(recipient)
    key = None if entry is None else entry.find_key(KeyKind.SIGNING, receipt.key_id)
    if entry is None or key is None:
        raise ReceiptError(
            f"receipt step 2: {recipient!r} has no signing key {receipt.key_id} in the directory"
        )
    if key.revoked is not None:
        raise ReceiptError(f"receipt step 2: {recipient!r}'s key {key.key_id} is revoked")
    public = key.public(entry.origin, entry.state)
    message = receipt.signed_message()
    try:
        if verified is None:
            public.check_signature(receipt.signature, message)
        else:
            verified.check(public, receipt.signature, message)
    except BadSignatureError:
        raise ReceiptError(
            f"receipt step 3: the signature of {recipient!r} (key {receipt.key_id}) does not verify"
        ) from None
