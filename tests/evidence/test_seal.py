"""seal.py's refusals of its inputs, each with its class and whole message."""

from __future__ import annotations

import io

import pytest

from hanoix.clock import FixedClock
from hanoix.evidence import seal
from hanoix.evidence.errors import EvidenceInputError
from hanoix.evidence.keys import KeyKind, PublicKey
from tests.evidence.helpers import WHEN, authority, rng_source, sources


def test_a_low_order_recipient_key_is_an_input_error_naming_the_key() -> None:
    # A key file can hold any 32 bytes; zero is a point of small order (RFC 7748 section 6.1).
    weak = PublicKey(KeyKind.ENCRYPTION, bytes(32), None, None)
    out = io.BytesIO()
    with pytest.raises(EvidenceInputError) as refused:
        seal(
            sources({"a": b"x"}),
            out,
            signer=authority(1).signing,
            recipients=[authority(2).recipient, weak],
            clock=FixedClock(WHEN),
            random=rng_source(7),
        )
    assert str(refused.value) == (
        f"recipient key {weak.key_id} cannot be used: "
        "the X25519 agreement gave an all-zero secret (a low-order key)"
    )
    assert out.getvalue() == b""
