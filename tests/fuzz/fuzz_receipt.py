"""Fuzz target: a delivery receipt, as a peer answers a delivery with it.

``parse_receipt`` then ``verify_receipt`` against the envelope it should name; the documented
outcome of a bad receipt is :class:`ReceiptError`. Seeds of both versions: ``hanoix-receipt/1``
and a ``hanoix-receipt/2`` receipt of a batch of three (its audit path, index and size are
fuzzed too).
"""

from __future__ import annotations

from dataclasses import replace

from hanoix.federation.envelope import digest
from hanoix.federation.errors import ReceiptError
from hanoix.federation.receipts import (
    parse_receipt,
    sign_batch_receipts,
    sign_receipt,
    verify_receipt,
)
from tests.fuzz import federation_world as world
from tests.fuzz.harness import Parse, Target

_HEADER, _PAYLOAD = world.PAYLOADS[0]


def _envelope_digest() -> str:
    return digest(world.envelopes()["envelope-0"])


def seeds() -> dict[str, bytes]:
    batch = [(_HEADER, _envelope_digest())] + [
        (replace(_HEADER, id=f"{n:032x}"), f"{n:064x}") for n in (1, 2)
    ]
    return {
        "receipt": sign_receipt(_HEADER, _envelope_digest(), world.NOW, world.B_SIGN).to_bytes(),
        "receipt-v2": sign_batch_receipts(batch, world.NOW, world.B_SIGN)[0].to_bytes(),
    }


def prepare() -> Parse:
    expected_digest = _envelope_digest()

    def parse(data: bytes) -> object:
        receipt = parse_receipt(data)
        verify_receipt(
            receipt,
            envelope_id=_HEADER.id,
            envelope_sha256=expected_digest,
            sender=world.AUT,
            recipient=world.VNM,
            directory=world.DIRECTORY,
        )
        return receipt

    return parse


TARGET = Target(
    name="receipt",
    reads="delivery receipts (hanoix/federation/receipts.py) in a peer's answer",
    documented=(ReceiptError,),
    seeds=seeds,
    prepare=prepare,
    short_runs=1000,
)
