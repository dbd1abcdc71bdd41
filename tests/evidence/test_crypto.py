"""Key wrapping and the Merkle tree of crypto.py: each refusal with its class and message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hanoix.evidence import crypto

RECIPIENT = X25519PrivateKey.from_private_bytes(bytes(range(32)))
RECIPIENT_PUBLIC = RECIPIENT.public_key().public_bytes_raw()
EPHEMERAL_SECRET = bytes(range(32, 64))
CONTENT_KEY = bytes(range(64, 96))
# A point of small order on Curve25519 (RFC 7748 section 6.1 warns of them): zero, whose
# agreement with any key is the all-zero secret.
LOW_ORDER = bytes(32)


def test_a_wrapped_content_key_opens_with_the_recipient_key() -> None:
    ephemeral, wrapped = crypto.wrap(CONTENT_KEY, RECIPIENT_PUBLIC, EPHEMERAL_SECRET)
    assert ephemeral == (
        X25519PrivateKey.from_private_bytes(EPHEMERAL_SECRET).public_key().public_bytes_raw()
    )
    assert len(wrapped) == 32 + 16
    assert crypto.unwrap(RECIPIENT, ephemeral, wrapped) == CONTENT_KEY


def test_a_content_key_is_not_wrapped_for_a_low_order_key() -> None:
    with pytest.raises(crypto.WrapError) as refused:
        crypto.wrap(CONTENT_KEY, LOW_ORDER, EPHEMERAL_SECRET)
    assert str(refused.value) == "the X25519 agreement gave an all-zero secret (a low-order key)"


@pytest.mark.parametrize(
    "change",
    [
        lambda ephemeral, wrapped: (ephemeral, wrapped[:-1] + bytes([wrapped[-1] ^ 1])),
        lambda ephemeral, wrapped: (bytes([ephemeral[0] ^ 1]) + ephemeral[1:], wrapped),
        lambda ephemeral, wrapped: (LOW_ORDER, wrapped),
        lambda ephemeral, wrapped: (ephemeral[:31], wrapped),
    ],
    ids=["wrapped key altered", "ephemeral key altered", "low-order ephemeral", "short ephemeral"],
)
def test_a_wrapped_key_that_was_altered_does_not_open(
    change: Callable[[bytes, bytes], tuple[bytes, bytes]],
) -> None:
    ephemeral, wrapped = change(*crypto.wrap(CONTENT_KEY, RECIPIENT_PUBLIC, EPHEMERAL_SECRET))
    with pytest.raises(crypto.WrapError) as refused:
        crypto.unwrap(RECIPIENT, ephemeral, wrapped)
    assert str(refused.value) == "the wrapped content key does not open with this key"


def test_a_wrapped_key_of_the_wrong_length_is_refused_once_opened() -> None:
    ephemeral, wrapped = crypto.wrap(CONTENT_KEY[:16], RECIPIENT_PUBLIC, EPHEMERAL_SECRET)
    with pytest.raises(crypto.WrapError) as refused:
        crypto.unwrap(RECIPIENT, ephemeral, wrapped)
    assert str(refused.value) == "the wrapped content key has the wrong length"


def test_the_tree_of_no_chunks_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a package has at least one chunk$"):
        crypto.merkle_root([])
