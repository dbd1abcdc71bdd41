"""Two nodes, Austria's and Viet Nam's, with keys, a signed directory and sealed envelopes: the
valid documents the federation fuzz targets start from."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from hanoix.evidence import keys
from hanoix.evidence.keys import DecryptionKey, KeyKind, SigningKey
from hanoix.federation.directory import AuthorityEntry, Directory, NodeEntry, NodeKey
from hanoix.federation.envelope import EnvelopeHeader, seal_envelope
from hanoix.federation.transport import make_certificate
from hanoix.ledger.checkpoint import NoteSigner
from hanoix.ledger.witness import Cosigner

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
AUT = "aut.hanoix.test"
VNM = "vnm.hanoix.test"


def _party(seed: int, origin: str, state: str) -> tuple[SigningKey, DecryptionKey, NodeEntry]:
    signing, decryption = keys.generate(origin, state, rng(seed))
    log = NoteSigner(origin, signing.private)
    witness = Cosigner(f"{origin}/witness", signing.private)
    entry = NodeEntry(
        origin=origin,
        state=state,
        base_url=f"http://127.0.0.1:{9000 + seed}",
        authorities=(
            AuthorityEntry(f"{state}-CA", "Central authority", "central-authority"),
            AuthorityEntry(f"{state}-POC", "24/7 point of contact", "contact-24-7"),
        ),
        keys=(
            NodeKey(KeyKind.SIGNING, signing.public.raw, EPOCH),
            NodeKey(KeyKind.ENCRYPTION, decryption.public.raw, EPOCH),
            NodeKey(
                KeyKind.SIGNING,
                keys.generate(origin, state, rng(seed + 100))[0].public.raw,
                EPOCH,
                EPOCH + timedelta(days=400),
                EPOCH + timedelta(days=10),
                "rotated",
            ),
        ),
        tls_certificate=make_certificate(origin, NOW)[1].decode(),
        ledger_vkey=log.verifier().vkey,
        witness_vkey=witness.verifier().vkey,
    )
    return signing, decryption, entry


def rng(seed: int) -> Callable[[int], bytes]:
    return random.Random(seed).randbytes


A_SIGN, A_DEC, A_ENTRY = _party(1, AUT, "AUT")
B_SIGN, B_DEC, B_ENTRY = _party(2, VNM, "VNM")
DIRECTORY = Directory(3, NOW, (A_ENTRY, B_ENTRY))
AUTHORITY = keys.generate("Directory authority", None, rng(99))[0]


def header(number: int, **changes: object) -> EnvelopeHeader:
    values: dict[str, object] = {
        "id": f"{number:032x}",
        "sender": AUT,
        "recipient": VNM,
        "type": "federation.notice",
        "created": NOW,
        "expires": NOW + timedelta(days=1),
        **changes,
    }
    return EnvelopeHeader(**values)  # type: ignore[arg-type]


PAYLOADS: list[tuple[EnvelopeHeader, dict[str, object]]] = [
    (header(1), {"text": "please preserve account X"}),
    (header(2, type="federation.ping", urgent=True), {}),
    (
        header(3, type="request.submit", in_reply_to=f"{7:032x}"),
        {
            "reference": "AUT-2026-0001",
            "kind": "preservation",
            "contents": {"facts": "a summary", "urgent": True, "items": ["a", "b"]},
            "numbers": [0, -1, 2**40, 1.5],
            "nested": {"a": {"b": {"c": None}}},
        },
    ),
]


def envelopes() -> dict[str, bytes]:
    return {
        f"envelope-{number}": seal_envelope(
            envelope_header,
            payload,
            signer=A_SIGN,
            recipient_key=B_DEC.public,
            random=rng(10 + number),
        ).data
        for number, (envelope_header, payload) in enumerate(PAYLOADS)
    }


def decryption_key(key_id: str) -> DecryptionKey | None:
    return B_DEC if key_id == B_DEC.public.key_id else None
