"""Key files: the published public format, private keys with and without a passphrase."""

from __future__ import annotations

import pytest

from hanoix.evidence import keys
from hanoix.evidence.errors import BadSignatureError, KeyFileError
from hanoix.evidence.keys import KeyKind
from tests.evidence.helpers import authority, rng_source

A = authority(1)
FAST = 10  # scrypt work factor for tests; files record theirs, readers accept 10..22


def test_public_key_files_round_trip_with_identity() -> None:
    text = keys.dump_public(A.sender)
    assert "format: hanoix-public-key/1" in text
    assert f"key-id: {A.sender.key_id}" in text
    parsed = keys.parse_public(text.encode(), KeyKind.SIGNING, source="s.pub", role="--sender-key")
    assert parsed == A.sender
    assert parsed.authority == "Ministry of Justice" and parsed.state == "AUT"


@pytest.mark.parametrize("passphrase", [None, b"correct horse battery staple"])
def test_private_key_files_round_trip(passphrase: bytes | None) -> None:
    text = keys.dump_private(A.decryption, passphrase, random=rng_source(3), log_n=FAST)
    assert ("protection: scrypt" in text) == (passphrase is not None)
    parsed = keys.parse_decryption_key(text.encode(), passphrase, source="e.key")
    assert parsed.public == A.recipient


def test_a_protected_key_keeps_its_secret_out_of_the_file() -> None:
    text = keys.dump_private(A.signing, b"pass phrase", random=rng_source(3), log_n=FAST)
    raw = A.signing.private.private_bytes_raw()
    from hanoix.evidence.format import b64encode

    assert b64encode(raw) not in text


def test_wrong_or_missing_passphrase_is_an_input_error() -> None:
    data = keys.dump_private(A.signing, b"right", random=rng_source(3), log_n=FAST).encode()
    with pytest.raises(KeyFileError, match="wrong passphrase"):
        keys.parse_signing_key(data, b"wrong", source="s.key")
    with pytest.raises(KeyFileError, match="protected by a passphrase"):
        keys.parse_signing_key(data, None, source="s.key")
    assert keys.is_protected(data)


def test_a_corrupted_private_key_is_detected_not_used() -> None:
    text = keys.dump_private(A.signing)
    line = next(x for x in text.splitlines() if x.startswith("secret: "))
    value = line.removeprefix("secret: ")
    flipped = ("B" if value[0] != "B" else "C") + value[1:]
    with pytest.raises(KeyFileError, match="corrupted"):
        keys.parse_signing_key(text.replace(value, flipped).encode(), None, source="s.key")


def test_a_corrupted_public_key_is_detected_by_its_key_id() -> None:
    text = keys.dump_public(A.recipient)
    value = next(x for x in text.splitlines() if x.startswith("key: ")).removeprefix("key: ")
    flipped = ("B" if value[0] != "B" else "C") + value[1:]
    with pytest.raises(KeyFileError, match="does not match its key-id"):
        keys.parse_public(
            text.replace(value, flipped).encode(), KeyKind.ENCRYPTION, source="e.pub", role="--to"
        )


def test_keys_of_the_wrong_kind_are_named() -> None:
    signing_pub = keys.dump_public(A.sender).encode()
    with pytest.raises(KeyFileError, match="Ed25519 signing key; --to needs an X25519"):
        keys.parse_public(signing_pub, KeyKind.ENCRYPTION, source="s.pub", role="--to")
    with pytest.raises(KeyFileError, match="is a public key; --key needs the private key"):
        keys.parse_decryption_key(keys.dump_public(A.recipient).encode(), None, source="e.pub")
    private = keys.dump_private(A.decryption).encode()
    with pytest.raises(KeyFileError, match="is a private key"):
        keys.parse_public(private, KeyKind.ENCRYPTION, source="e.key", role="--to")
    with pytest.raises(KeyFileError, match="X25519 encryption key; --sign-key needs an Ed25519"):
        keys.parse_signing_key(private, None, source="e.key")


@pytest.mark.parametrize(
    "data",
    [b"", b"\xff\xfe garbage", b"format: something-else/1\n", b"no colon here\n", b"a: 1\na: 2\n"],
)
def test_files_that_are_not_key_files_are_input_errors(data: bytes) -> None:
    with pytest.raises(KeyFileError):
        keys.parse_signing_key(data, None, source="x")
    with pytest.raises(KeyFileError):
        keys.parse_public(data, KeyKind.SIGNING, source="x", role="--sender-key")


def test_identity_is_checked() -> None:
    with pytest.raises(KeyFileError, match="alpha-3"):
        keys.generate("Ministry", "Austria")


def test_signature_checks_raise_instead_of_returning_false() -> None:
    message = b"hanoix-evidence/v1 signature\n" + bytes(64)
    signature = A.signing.sign(message)
    A.sender.check_signature(signature, message)
    with pytest.raises(BadSignatureError, match=A.sender.key_id):
        A.sender.check_signature(signature, message + b"x")
    with pytest.raises(BadSignatureError):
        authority(9).sender.check_signature(signature, message)
