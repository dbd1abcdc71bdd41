"""Key files: the published public format, private keys with and without a passphrase."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hanoix.evidence import keys
from hanoix.evidence.errors import BadSignatureError, KeyFileError
from hanoix.evidence.format import b64encode
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


# --- each refusal named with its file, line and reason (keys.py's survivors, issue 20) -------


def _refusal(read: Callable[[bytes], object], data: bytes) -> str:
    with pytest.raises(KeyFileError) as refused:
        read(data)
    return str(refused.value)


def _public(data: bytes) -> object:
    return keys.parse_public(data, KeyKind.SIGNING, source="s.pub", role="--sender-key")


def _private(passphrase: bytes | None = None) -> Callable[[bytes], object]:
    return lambda data: keys.parse_decryption_key(data, passphrase, source="e.key")


def _edit(text: str, name: str, value: str | None) -> bytes:
    """``text`` with the line ``name: ...`` replaced by ``name: value`` (removed if None)."""
    lines = [x for x in text.splitlines() if not x.startswith(f"{name}: ")]
    if value is not None:
        lines.append(f"{name}: {value}")
    return ("\n".join(lines) + "\n").encode()


PUBLIC = keys.dump_public(A.sender)
PRIVATE = keys.dump_private(A.decryption)
PROTECTED = keys.dump_private(A.decryption, b"pw", random=rng_source(3), log_n=FAST)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"#" * (64 * 1024 + 1), "s.pub is not a hanoix key file (it is too large)"),
        (b"\xff\xfe", "s.pub is not a hanoix key file (not UTF-8 text)"),
        (b"# a comment\n\nno colon here\n", "s.pub, line 3: expected 'name: value'"),
        (b"format: a\nformat: b\n", "s.pub, line 2: format is given twice"),
        (b"format: x/1\n", "s.pub is not a hanoix public key (format: hanoix-public-key/1)"),
        (_edit(PUBLIC, "type", None), "s.pub: unknown key type None"),
        (_edit(PUBLIC, "type", "rsa"), "s.pub: unknown key type 'rsa'"),
        (_edit(PUBLIC, "key", None), "s.pub: the key line is missing"),
        (
            _edit(_edit(PUBLIC, "key-id", None).decode(), "key", "AAAA"),
            "s.pub is corrupted: key must be 32 bytes in canonical base64",
        ),
        (
            _edit(PUBLIC, "state", "Austria"),
            "s.pub: --state must be an ISO 3166-1 alpha-3 code like AUT, not 'Austria'",
        ),
        (
            _edit(PUBLIC, "authority", "x" * 201),
            "s.pub: --authority must be one line of at most 200 characters",
        ),
    ],
)
def test_each_refusal_of_a_public_key_file_is_named(data: bytes, message: str) -> None:
    assert _refusal(_public, data) == message


def test_a_key_file_of_exactly_the_largest_size_is_read() -> None:
    padding = 64 * 1024 - len(PUBLIC.encode()) - 1
    data = PUBLIC.encode() + b"#" * padding + b"\n"
    assert len(data) == 64 * 1024
    assert _public(data) == A.sender


_CORRUPTED = "e.key is corrupted: {} must be {} bytes in canonical base64"
_LOG_N = "e.key: scrypt-log-n must be {}"
_PROTECTION = "e.key: protection must be 'none', 'scrypt', 'pkcs11' or 'pkcs11-aes-gcm'"
# (line changed, its new value or None to remove it, the refusal), in a file without and
# then with a passphrase
_UNPROTECTED_EDITS = [
    ("type", "rsa", "e.key: unknown key type 'rsa'"),
    ("public", "AAAA", _CORRUPTED.format("public", 32)),
    ("state", "aut", "e.key: --state must be an ISO 3166-1 alpha-3 code like AUT, not 'aut'"),
    ("secret", "AAAA", _CORRUPTED.format("secret", 32)),
    ("protection", "rot13", _PROTECTION),
    ("protection", None, _PROTECTION),
]
_PROTECTED_EDITS = [
    ("scrypt-log-n", None, _LOG_N.format("a number")),
    ("scrypt-log-n", "ten", _LOG_N.format("a number")),
    ("scrypt-log-n", "9", _LOG_N.format("from 10 to 22")),
    ("scrypt-log-n", "23", _LOG_N.format("from 10 to 22")),  # before any work: 2**23 is 8 GiB
    ("scrypt-salt", "AAAA", _CORRUPTED.format("scrypt-salt", 16)),
    ("secret", "AAAA", _CORRUPTED.format("secret", 48)),
    ("scrypt-log-n", "11", "e.key: wrong passphrase (or the file is corrupted)"),
]


@pytest.mark.parametrize(
    ("data", "passphrase", "message"),
    [
        (
            b"format: x/1\n",
            None,
            "e.key is not a hanoix private key (format: hanoix-private-key/1)",
        ),
        *[
            (_edit(PRIVATE, name, value), None, message)
            for name, value, message in _UNPROTECTED_EDITS
        ],
        *[
            (_edit(PROTECTED, name, value), b"pw", message)
            for name, value, message in _PROTECTED_EDITS
        ],
    ],
)
def test_each_refusal_of_a_private_key_file_is_named(
    data: bytes, passphrase: bytes | None, message: str
) -> None:
    assert _refusal(_private(passphrase), data) == message


def test_a_protected_key_file_is_scrypt_and_aes_gcm_as_documented() -> None:
    # Written here with hashlib's scrypt, not keys.py's: n = 2**log_n, r = 8, p = 1.
    salt, secret = bytes(range(16)), A.decryption.private.private_bytes_raw()
    kek = hashlib.scrypt(b"pw", salt=salt, n=2**FAST, r=8, p=1, dklen=32)
    public = A.recipient.raw
    aad = b"hanoix-private-key/1 x25519 " + public
    wrapped = AESGCM(kek).encrypt(bytes(12), secret, aad)
    text = (
        "format: hanoix-private-key/1\ntype: x25519\n"
        f"public: {b64encode(public)}\nprotection: scrypt\nscrypt-log-n: {FAST}\n"
        f"scrypt-salt: {b64encode(salt)}\nsecret: {b64encode(wrapped)}\n"
    )
    assert keys.parse_decryption_key(text.encode(), b"pw", source="e.key").public.raw == public


def test_a_protected_key_file_records_the_work_factor_it_was_written_with() -> None:
    assert "scrypt-log-n: 10\n" in PROTECTED
    assert "scrypt-log-n: 11\n" in keys.dump_private(
        A.decryption, b"pw", random=rng_source(3), log_n=11
    )


def test_an_empty_passphrase_is_refused() -> None:
    with pytest.raises(KeyFileError) as refused:
        keys.dump_private(A.signing, b"")
    assert str(refused.value) == "the passphrase is empty; give a real one or none at all"


@pytest.mark.parametrize("passphrase", [None, b"pw"])
def test_a_private_key_file_gives_back_its_holder(passphrase: bytes | None) -> None:
    text = keys.dump_private(A.signing, passphrase, random=rng_source(3), log_n=FAST)
    parsed = keys.parse_signing_key(text.encode(), passphrase, source="s.key")
    assert (parsed.authority, parsed.state) == ("Ministry of Justice", "AUT")
    assert parsed.public == A.sender


@pytest.mark.parametrize(
    ("authority", "accepted"),
    [
        ("x" * 200, True),
        ("x" * 201, False),
        ("two\nlines", False),
        ("   ", False),
        ("", False),
        ("Police", True),
    ],
)
def test_an_authority_is_one_line_of_at_most_200_characters(authority: str, accepted: bool) -> None:
    if accepted:
        assert keys.generate(authority, None, rng_source(1))[0].authority == authority
        return
    with pytest.raises(KeyFileError) as refused:
        keys.generate(authority, "AUT", rng_source(1))
    assert str(refused.value) == "--authority must be one line of at most 200 characters"


def test_a_key_without_authority_or_state_has_neither() -> None:
    signing, _ = keys.generate(None, None, rng_source(1))
    assert (signing.authority, signing.state) == (None, None)
    assert keys.generate(None, "AUT", rng_source(1))[0].state == "AUT"


@pytest.mark.parametrize(
    ("authority", "state", "described"),
    [
        ("Police", "VNM", "{id} (Police, VNM)"),
        ("Police", None, "{id} (Police)"),
        (None, "VNM", "{id} (VNM)"),
        (None, None, "{id}"),
    ],
)
def test_a_public_key_describes_itself_by_id_and_holder(
    authority: str | None, state: str | None, described: str
) -> None:
    key = keys.PublicKey(KeyKind.ENCRYPTION, A.recipient.raw, authority, state)
    assert key.describe() == described.format(id=A.recipient.key_id)


def test_only_a_signing_key_checks_a_signature() -> None:
    with pytest.raises(KeyFileError) as refused:
        A.recipient.check_signature(bytes(64), b"message")
    assert str(refused.value) == "only a signing key can check a signature"


def test_a_decryption_key_names_its_file_in_its_refusals() -> None:
    with pytest.raises(KeyFileError) as refused:
        keys.parse_decryption_key(b"format: x/1\n", None, source="mine.key")
    assert str(refused.value) == (
        "mine.key is not a hanoix private key (format: hanoix-private-key/1)"
    )


def test_a_private_key_file_that_is_not_text_names_its_file() -> None:
    assert _refusal(_private(), b"\xff\xfe") == "e.key is not a hanoix key file (not UTF-8 text)"
    with pytest.raises(KeyFileError) as refused:
        keys.parse_signing_key(b"format: x/1\n", None, source="sign.key")
    assert str(refused.value) == (
        "sign.key is not a hanoix private key (format: hanoix-private-key/1)"
    )
