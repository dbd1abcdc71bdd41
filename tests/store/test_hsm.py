"""Ed25519 keys in a SoftHSM2 token through PKCS#11: made there, not extractable, signing
verified by the ordinary Ed25519 verifiers, and each way of failing named."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hanoix.evidence import keys as keyfiles
from hanoix.evidence.errors import KeyFileError
from hanoix.store.hsm import Hsm, TokenError, token_reference
from hanoix.store.keys import KeyStore, load_signing_key
from tests.softhsm import SoftHsm

MESSAGE = b"checkpoint text\n"


def reference_file(tmp_path: Path, softhsm: SoftHsm, hsm: Hsm, label: str) -> Path:
    raw = hsm.generate(softhsm.token, label)
    path = tmp_path / "signing.key"
    reference = token_reference(softhsm.token, label, raw, "Ministry of Justice", "AUT")
    path.write_text(keyfiles.dump_token_reference(reference))
    path.chmod(0o600)
    return path


def test_a_key_made_in_the_token_signs_there_and_never_leaves_it(softhsm: SoftHsm) -> None:
    hsm = softhsm.hsm()
    label = softhsm.label()
    raw = hsm.generate(softhsm.token, label)
    reference = token_reference(softhsm.token, label, raw, None, None)

    key = hsm.signing_key(reference, source="test")
    Ed25519PublicKey.from_public_bytes(raw).verify(key.sign(MESSAGE), MESSAGE)
    assert key.public.raw == raw
    assert hsm.key_attributes(softhsm.token, label) == {
        "sensitive": True,
        "extractable": False,
        "never_extractable": True,
    }
    with pytest.raises(KeyFileError, match="held in a hardware token"):
        keyfiles.dump_private(key)


def test_an_imported_key_signs_as_the_file_did_and_is_no_longer_extractable(
    softhsm: SoftHsm,
) -> None:
    hsm = softhsm.hsm()
    original = Ed25519PrivateKey.generate()
    label = softhsm.label("imported")
    raw = hsm.import_key(softhsm.token, label, original)
    assert raw == original.public_key().public_bytes_raw()

    key = hsm.signing_key(token_reference(softhsm.token, label, raw, None, None), source="t")
    # Ed25519 is deterministic: the token's signature is the file key's.
    assert key.sign(MESSAGE) == original.sign(MESSAGE)
    attributes = hsm.key_attributes(softhsm.token, label)
    assert attributes["sensitive"] and not attributes["extractable"]


def test_a_reference_file_loads_as_a_signing_key_only_with_an_hsm(
    tmp_path: Path,
    softhsm: SoftHsm,
) -> None:
    hsm = softhsm.hsm()
    path = reference_file(tmp_path, softhsm, hsm, softhsm.label())

    key = load_signing_key(path, hsm=hsm)
    key.public.check_signature(key.sign(MESSAGE), MESSAGE)
    assert (key.authority, key.state) == ("Ministry of Justice", "AUT")
    assert KeyStore(tmp_path, hsm).signing_key("signing.key", "test").public == key.public

    with pytest.raises(KeyFileError, match="set hsm_module"):
        load_signing_key(path)


def test_a_wrong_pin_is_named_with_where_it_came_from(
    tmp_path: Path,
    softhsm: SoftHsm,
) -> None:
    path = reference_file(tmp_path, softhsm, softhsm.hsm(), softhsm.label())
    wrong = tmp_path / "wrong-pin"
    wrong.write_text("not-the-pin")

    with pytest.raises(TokenError, match=f"the PIN from hsm_pin_file {wrong} is not the user PIN"):
        load_signing_key(path, hsm=softhsm.hsm(wrong))
    with pytest.raises(TokenError, match=r"HANOIX_HSM_PIN is empty or unset"):
        load_signing_key(path, hsm=Hsm(softhsm.module, environ={}))
    # The token the PIN is checked against by the token itself (C_Login), not yet opened.
    elsewhere = Hsm(softhsm.module, environ={"HANOIX_HSM_PIN": "not-the-pin"})
    with pytest.raises(TokenError, match=r"the PIN from \$HANOIX_HSM_PIN is not the user PIN"):
        elsewhere.generate(softhsm.pin_token, "never-made")


def test_a_token_without_the_key_names_the_token_and_the_label(
    tmp_path: Path,
    softhsm: SoftHsm,
) -> None:
    label = softhsm.label()
    path = reference_file(tmp_path, softhsm, softhsm.hsm(), label)
    text = path.read_text().replace(f"token: {softhsm.token}", f"token: {softhsm.empty_token}")
    path.write_text(text)

    with pytest.raises(TokenError, match=f"token '{softhsm.empty_token}' holds no Ed25519 private"):
        load_signing_key(path, hsm=softhsm.hsm())


def test_a_missing_token_lists_those_there(tmp_path: Path, softhsm: SoftHsm) -> None:
    path = reference_file(tmp_path, softhsm, softhsm.hsm(), softhsm.label())
    path.write_text(path.read_text().replace(f"token: {softhsm.token}", "token: nowhere"))

    with pytest.raises(TokenError, match=r"no token labelled 'nowhere'.*'hanoix-test'"):
        load_signing_key(path, hsm=softhsm.hsm())


def test_a_token_key_that_is_not_the_one_named_is_refused(
    tmp_path: Path,
    softhsm: SoftHsm,
) -> None:
    hsm = softhsm.hsm()
    path = reference_file(tmp_path, softhsm, hsm, softhsm.label())
    other = softhsm.label()
    hsm.generate(softhsm.token, other)
    text = path.read_text()
    label_line = next(line for line in text.splitlines() if line.startswith("object: "))
    path.write_text(text.replace(label_line, f"object: {other}"))

    with pytest.raises(TokenError, match="is not the key this file names"):
        load_signing_key(path, hsm=hsm)


def test_labels_are_never_reused_and_a_missing_library_is_named(
    tmp_path: Path,
    softhsm: SoftHsm,
) -> None:
    hsm = softhsm.hsm()
    label = softhsm.label()
    hsm.generate(softhsm.token, label)
    with pytest.raises(TokenError, match=f"holds a key labelled '{label}' already"):
        hsm.generate(softhsm.token, label)
    with pytest.raises(TokenError, match=r"hsm_module: .*nothing.so does not exist"):
        Hsm(tmp_path / "nothing.so", pin_file=softhsm.pin_file).generate(softhsm.token, "k")


def test_an_aes_key_of_the_token_encrypts_key_files_and_never_leaves_it(softhsm: SoftHsm) -> None:
    hsm = softhsm.hsm()
    label = softhsm.label("wrap")
    hsm.generate_wrapping_key(softhsm.token, label)
    assert hsm.has_wrapping_key(softhsm.token, label)
    nonce, secret, aad = bytes(range(12)), bytes(range(32)), b"bound to this key"

    wrapped = hsm.encrypt(softhsm.token, label, nonce, secret, aad)
    assert len(wrapped) == 48 and secret not in wrapped
    assert hsm.decrypt(softhsm.token, label, nonce, wrapped, aad) == secret
    with pytest.raises(TokenError, match=f"the AES key labelled '{label}'.*could not decrypt"):
        hsm.decrypt(softhsm.token, label, nonce, wrapped, b"another key's")
    with pytest.raises(TokenError, match="holds no AES key labelled 'absent' to decrypt"):
        hsm.decrypt(softhsm.token, "absent", nonce, wrapped, aad)
    attributes = hsm.key_attributes(softhsm.token, label, aes=True)
    assert attributes == {"sensitive": True, "extractable": False, "never_extractable": True}
