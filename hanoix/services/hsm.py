"""Keys in the HSM: make or copy signing keys into a token, and write the files that name them.

What ``hanoix keys hsm`` does (docs/hsm.md). A key made here is made in the token, sensitive
and not extractable; the node and the evidence commands then sign through the token with the
reference file written beside the other keys. The ledger's and the witness's keys are named by
``HOME/keys/ledger.key`` and ``witness.key``; a federation key generation by
``HOME/keys/federation/signing-N.key`` (``hanoix node rotate-keys --hsm-token``); an authority's
evidence-signing key by the ``signing.key`` given to ``--sign-key``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from hanoix.config import Settings
from hanoix.errors import ConfigurationError
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.errors import KeyFileError
from hanoix.evidence.keys import DecryptionKey, TokenReference
from hanoix.services.custody import LEDGER_KEY_FILE, WITNESS_KEY_FILE, parse_pem_key
from hanoix.store.hsm import Hsm, token_reference
from hanoix.store.hsm import configured as configured
from hanoix.store.keys import KeyStore, NewKeyFile, read_key_file

NODE_KEYS = {"ledger": LEDGER_KEY_FILE, "witness": WITNESS_KEY_FILE}


def _require(hsm: Hsm | None) -> Hsm:
    if hsm is None:
        raise ConfigurationError(
            "no HSM is configured: set hsm_module in hanoix.toml (or HANOIX_HSM_MODULE) to the "
            "HSM's PKCS#11 library, and its user PIN in hsm_pin_file or HANOIX_HSM_PIN"
        )
    return hsm


def generate_in_token(
    hsm: Hsm | None, token: str, label: str, authority: str | None, state: str | None
) -> TokenReference:
    """Make an Ed25519 key in ``token`` under ``label``; return the reference to it."""
    keyfiles.check_identity(authority, state)
    raw = _require(hsm).generate(token, label)
    return token_reference(token, label, raw, authority, state)


def _reference_files(reference: TokenReference, stem: str) -> list[NewKeyFile]:
    return [
        NewKeyFile(
            f"{stem}.key", keyfiles.dump_token_reference(reference).encode("utf-8"), private=True
        ),
        NewKeyFile(
            f"{stem}.pub", keyfiles.dump_public(reference.public).encode("utf-8"), private=False
        ),
    ]


def _describe(reference: TokenReference, files: list[Path]) -> dict[str, Any]:
    return {
        "token": reference.token,
        "label": reference.label,
        "key_id": reference.public.key_id,
        "authority": reference.public.authority,
        "state": reference.public.state,
        "files": [str(path) for path in files],
    }


def generate_key_file(
    hsm: Hsm | None,
    token: str,
    label: str,
    out: Path,
    *,
    authority: str | None = None,
    state: str | None = None,
) -> dict[str, Any]:
    """Make a signing key in the token and write ``out`` (naming it) and its ``.pub`` beside.
    Neither file may exist; the token's label must be free."""
    target = Path(out)
    stem = target.name.removesuffix(".key")
    store = KeyStore(target.parent)
    for name in (f"{stem}.key", f"{stem}.pub"):  # before anything is made in the token
        if store.exists(name):
            raise KeyFileError(f"{store.path(name)} exists already; keys are never overwritten")
    reference = generate_in_token(hsm, token, label, authority, state)
    files = _reference_files(reference, stem)
    store.write_set(files)
    return _describe(reference, [store.path(file.name) for file in files])


def _file_key(data: bytes, source: str) -> tuple[Ed25519PrivateKey, str | None, str | None]:
    """The Ed25519 key of a node's PEM key file or of a hanoix private key file."""
    if data.lstrip().startswith(b"-----BEGIN"):
        return parse_pem_key(Path(source), data), None, None
    if keyfiles.parse_token_reference(data, source=source, role="the key to import"):
        raise KeyFileError(f"{source} names a key in a token already; there is nothing to import")
    signing = keyfiles.parse_signing_key(data, None, source=source, role="the key to import")
    if not isinstance(signing.private, Ed25519PrivateKey):  # pragma: no cover - parsed from a file
        raise KeyFileError(f"{source} does not hold its key")
    return signing.private, signing.authority, signing.state


def import_key_file(
    hsm: Hsm | None, key_file: Path, token: str, label: str, out: Path
) -> dict[str, Any]:
    """Copy the Ed25519 key of ``key_file`` into the token and write ``out`` naming it. The
    original file is left where it is: the operator destroys it once the node signs with the
    token (docs/hsm.md says how)."""
    source = str(key_file)
    key, authority, state = _file_key(read_key_file(key_file, "the key to import"), source)
    target = Path(out)
    store = KeyStore(target.parent)
    if store.exists(target.name):
        raise KeyFileError(f"{target} exists already; keys are never overwritten")
    raw = _require(hsm).import_key(token, label, key)
    reference = token_reference(token, label, raw, authority, state)
    store.write_set(_reference_files(reference, target.name.removesuffix(".key")))
    return _describe(reference, [target])


def sealed_text(hsm: Hsm | None, key: DecryptionKey, token: str, label: str) -> str:
    """The key file's text of ``key`` encrypted (AES-256-GCM) in the token under its AES key
    ``label``, made there first if the token has none of that label."""
    device = _require(hsm)
    if not device.has_wrapping_key(token, label):
        device.generate_wrapping_key(token, label)
    assert isinstance(key.private, X25519PrivateKey)
    nonce = os.urandom(keyfiles.WRAP_NONCE_SIZE)
    wrapped = device.encrypt(
        token, label, nonce, key.private.private_bytes_raw(), keyfiles.wrapped_aad(key)
    )
    return keyfiles.dump_wrapped(key, token, label, nonce, wrapped)


def seal_key_file(
    hsm: Hsm | None, key_file: Path, token: str, label: str, out: Path
) -> dict[str, Any]:
    """Write ``out``: the X25519 key of ``key_file`` encrypted under the token's AES key
    ``label``. The original is the operator's to destroy once the node reads ``out``."""
    source = str(key_file)
    key = keyfiles.parse_decryption_key(
        read_key_file(key_file, "the key to encrypt"), None, source=source, role="the key"
    )
    target = Path(out)
    store = KeyStore(target.parent)
    if store.exists(target.name):
        raise KeyFileError(f"{target} exists already; keys are never overwritten")
    text = sealed_text(hsm, key, token, label)
    store.write_set([NewKeyFile(target.name, text.encode("utf-8"), private=True)])
    return {
        "token": token,
        "label": label,
        "key_id": key.public.key_id,
        "authority": key.authority,
        "state": key.state,
        "files": [str(target)],
    }


def check_key_file(hsm: Hsm | None, key_file: Path) -> dict[str, Any]:
    """Sign once through the token with the key ``key_file`` names, and tell whether the key
    can leave the token."""
    data = read_key_file(key_file, "the key file")
    source = str(key_file)
    reference = keyfiles.parse_token_reference(data, source=source, role="the key file")
    if reference is None:
        raise KeyFileError(f"{source} holds its key itself; it names no key in a token")
    device = _require(hsm)
    device.signing_key(reference, source=source)  # signs once and checks the signature
    attributes = device.key_attributes(reference.token, reference.label)
    return {**_describe(reference, [key_file]), **attributes, "signs": True}


def node_key_file(keys: KeyStore, which: str) -> Path:
    """The file of the node's ``ledger`` or ``witness`` key."""
    if which not in NODE_KEYS:
        raise KeyFileError(
            f"the node's key to make in the token is {' or '.join(NODE_KEYS)}, not {which!r}"
        )
    return keys.path(NODE_KEYS[which])


def generate_node_key(settings: Settings, which: str, token: str, label: str) -> dict[str, Any]:
    """Make the node's ledger or witness key in the token, before the node has one."""
    keys = KeyStore(settings.keys_dir, configured(settings))
    path = node_key_file(keys, which)
    if path.exists():
        raise KeyFileError(
            f"{path} exists already: the node signs with that key; copy it into the token with "
            f"'hanoix keys hsm import {path} --token {token} --label {label} --out FILE' instead"
        )
    reference = generate_in_token(keys.hsm, token, label, None, None)
    keys.write_private(path.name, keyfiles.dump_token_reference(reference).encode("utf-8"))
    return _describe(reference, [path])
