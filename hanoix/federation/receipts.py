"""Receipts: the receiver's signed statement that it took an envelope (pure).

The receiving node signs a receipt in the same transaction in which the envelope takes effect,
and answers the delivery with it. The sender keeps it as proof of delivery: it names the
envelope by id and by the SHA-256 of its exact bytes, and says when the receiver took it.

Format (``hanoix-receipt/1``, one JSON object)::

    {"format": "hanoix-receipt/1", "envelope_id": "<32 hex>", "envelope_sha256": "<64 hex>",
     "sender": ORIGIN, "recipient": ORIGIN, "received": T, "key_id": "<16 hex>",
     "signature": B64(64)}

The signature is the recipient's Ed25519 signature over ``"hanoix-receipt/1 signature\\n" ||
RFC 8785(every member but the signature)``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from hanoix.evidence.errors import BadSignatureError
from hanoix.evidence.keys import KeyKind, SigningKey
from hanoix.federation import codec
from hanoix.federation.codec import FieldError
from hanoix.federation.directory import Directory
from hanoix.federation.envelope import EnvelopeHeader
from hanoix.federation.errors import ReceiptError

RECEIPT_FORMAT = "hanoix-receipt/1"
SIGNATURE_CONTEXT = b"hanoix-receipt/1 signature\n"
MAX_RECEIPT_BYTES = 16 * 1024
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


@dataclass(frozen=True)
class Receipt:
    envelope_id: str
    envelope_sha256: str
    sender: str
    recipient: str
    received: datetime
    key_id: str
    signature: bytes

    def unsigned(self) -> dict[str, Any]:
        return {
            "format": RECEIPT_FORMAT,
            "envelope_id": self.envelope_id,
            "envelope_sha256": self.envelope_sha256,
            "sender": self.sender,
            "recipient": self.recipient,
            "received": codec.format_time(self.received),
            "key_id": self.key_id,
        }

    def as_dict(self) -> dict[str, Any]:
        return {**self.unsigned(), "signature": codec.b64(self.signature)}

    def to_bytes(self) -> bytes:
        return codec.canonical(self.as_dict())


def _message(unsigned: dict[str, Any]) -> bytes:
    return SIGNATURE_CONTEXT + codec.canonical(unsigned)


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


def parse_receipt(data: bytes | dict[str, Any]) -> Receipt:
    """Read a receipt (bytes or an already parsed object); raise :class:`ReceiptError`."""
    try:
        if isinstance(data, bytes):
            if len(data) > MAX_RECEIPT_BYTES:
                raise FieldError("receipt", f"larger than {MAX_RECEIPT_BYTES} bytes")
            fields = codec.json_object(data, "receipt")
        elif isinstance(data, dict):
            fields = data
        else:
            raise FieldError("receipt", "must be a JSON object")
        codec.members(fields, _FIELDS, set(), "receipt")
        if fields["format"] != RECEIPT_FORMAT:
            raise FieldError("format", f"must be {RECEIPT_FORMAT}")
        return Receipt(
            envelope_id=codec.hex_text(fields, "envelope_id", length=32),
            envelope_sha256=codec.hex_text(fields, "envelope_sha256", length=64),
            sender=codec.origin(fields, "sender"),
            recipient=codec.origin(fields, "recipient"),
            received=codec.time(fields, "received"),
            key_id=codec.hex_text(fields, "key_id", length=16),
            signature=codec.unb64(fields, "signature", size=64),
        )
    except FieldError as exc:
        raise ReceiptError(f"the receipt is malformed: {exc}") from None


def verify_receipt(
    receipt: Receipt,
    *,
    envelope_id: str,
    envelope_sha256: str,
    sender: str,
    recipient: str,
    directory: Directory,
) -> None:
    """Check a receipt is the recipient's, for exactly this envelope. Steps:

    1. it names this envelope (id and digest), this sender and this recipient;
    2. it is signed by a signing key the directory lists for the recipient, not revoked;
    3. the signature verifies.
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
    try:
        key.public(entry.origin, entry.state).check_signature(
            receipt.signature, _message(receipt.unsigned())
        )
    except BadSignatureError:
        raise ReceiptError(
            f"receipt step 3: the signature of {recipient!r} (key {receipt.key_id}) does not verify"
        ) from None
