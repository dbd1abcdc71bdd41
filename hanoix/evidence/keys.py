"""An authority's keys and their files (format ``hanoix-public-key/1`` / ``hanoix-private-key/1``).

An authority holds two key pairs: Ed25519 to sign the packages it seals, X25519 to receive
packages sealed for it. Both file kinds are small UTF-8 texts of ``name: value`` lines, with
``#`` comments, so a public key can be published in the directory of authorities and read by
a person. A private key is stored raw (``protection: none``) or encrypted under a passphrase
with scrypt + AES-256-GCM (``protection: scrypt``); it always carries its public key, so a
corrupted file is detected instead of yielding a different key. See docs/evidence-format.md.

A signing key may instead live in a hardware token (``protection: pkcs11``): the file then holds
no secret, only the token's label, the key's label in it, and the public key, which the token's
key must match when it is used (:mod:`hanoix.store.hsm`, docs/hsm.md).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from hanoix.evidence.errors import BadSignatureError, KeyFileError
from hanoix.evidence.format import (
    KEY_SIZE,
    MalformedError,
    Party,
    b64decode,
    b64encode,
)
from hanoix.signer import Ed25519Signer

PUBLIC_FORMAT = "hanoix-public-key/1"
PRIVATE_FORMAT = "hanoix-private-key/1"
TOKEN_PROTECTION = "pkcs11"  # noqa: S105 - the name of a kind of file, not a secret
WRAPPED_PROTECTION = "pkcs11-aes-gcm"
SCRYPT_LOG_N = 17  # 128 MiB, about half a second: the passphrase guards a State's key
_SCRYPT_R = 8
_SCRYPT_P = 1
_MAX_KEY_FILE = 64 * 1024
_STATE = re.compile(r"^[A-Z]{3}$")
_FIELD = re.compile(r"^([a-z][a-z0-9-]*): ?(.*)$")


class KeyKind(StrEnum):
    """What a key is for. The value is the algorithm's name as written in key files."""

    SIGNING = "ed25519"
    ENCRYPTION = "x25519"

    @property
    def label(self) -> str:
        return "Ed25519 signing" if self is KeyKind.SIGNING else "X25519 encryption"

    @property
    def file_stem(self) -> str:
        return "signing" if self is KeyKind.SIGNING else "encryption"


@functools.lru_cache(maxsize=256)
def _verifier(raw: bytes) -> Ed25519PublicKey:
    """The loaded Ed25519 key of ``raw``: loading decompresses the point, about a tenth of a
    signature check, and a node checks thousands of signatures by the same few peers' keys.
    The object is immutable, so sharing it is safe; the cache is bounded."""
    return Ed25519PublicKey.from_public_bytes(raw)


def key_id(kind: KeyKind, raw: bytes) -> str:
    """Short fingerprint: 16 hex digits of SHA-256("<type>:" || public key)."""
    return hashlib.sha256(kind.value.encode() + b":" + raw).hexdigest()[:16]


@dataclass(frozen=True)
class PublicKey:
    """A public key and the authority that holds it."""

    kind: KeyKind
    raw: bytes
    authority: str | None = None
    state: str | None = None

    @functools.cached_property
    def key_id(self) -> str:
        return key_id(self.kind, self.raw)

    def party(self) -> Party:
        return Party(self.raw, self.authority, self.state)

    def check_signature(self, signature: bytes, message: bytes) -> None:
        """Raise :class:`BadSignatureError` unless ``signature`` is this key's over
        ``message``. There is no boolean variant: a failed check cannot be mistaken for a pass."""
        if self.kind is not KeyKind.SIGNING:
            raise KeyFileError("only a signing key can check a signature")
        try:
            _verifier(self.raw).verify(signature, message)
        except InvalidSignature as exc:
            raise BadSignatureError(
                f"the signature does not verify with key {self.key_id}"
            ) from exc

    def describe(self) -> str:
        who = ", ".join(p for p in (self.authority, self.state) if p)
        return f"{self.key_id} ({who})" if who else self.key_id


@dataclass(frozen=True)
class SigningKey:
    """An authority's private Ed25519 key, used to sign the packages it seals: read from a
    file, or held in a hardware token (then it cannot be written out)."""

    private: Ed25519Signer
    authority: str | None = None
    state: str | None = None

    @functools.cached_property
    def public(self) -> PublicKey:
        # Immutable, and asked for every envelope sealed or opened (its key id): made once.
        raw = self.private.public_key().public_bytes_raw()
        return PublicKey(KeyKind.SIGNING, raw, self.authority, self.state)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


@dataclass(frozen=True)
class DecryptionKey:
    """An authority's private X25519 key, used to open the packages sealed for it."""

    private: X25519PrivateKey
    authority: str | None = None
    state: str | None = None

    @functools.cached_property
    def public(self) -> PublicKey:
        # Immutable, and asked for every envelope sealed or opened (its key id): made once.
        raw = self.private.public_key().public_bytes_raw()
        return PublicKey(KeyKind.ENCRYPTION, raw, self.authority, self.state)


PrivateKey = SigningKey | DecryptionKey


def check_identity(authority: str | None, state: str | None) -> None:
    if authority is not None and (
        not authority.strip() or "\n" in authority or len(authority) > 200
    ):
        raise KeyFileError("--authority must be one line of at most 200 characters")
    if state is not None and not _STATE.match(state):
        raise KeyFileError(f"--state must be an ISO 3166-1 alpha-3 code like AUT, not {state!r}")


def generate(
    authority: str | None = None,
    state: str | None = None,
    random: Callable[[int], bytes] = os.urandom,
) -> tuple[SigningKey, DecryptionKey]:
    """A new authority key set: (signing key, decryption key)."""
    check_identity(authority, state)
    signing = Ed25519PrivateKey.from_private_bytes(random(KEY_SIZE))
    encryption = X25519PrivateKey.from_private_bytes(random(KEY_SIZE))
    return SigningKey(signing, authority, state), DecryptionKey(encryption, authority, state)


# --- files ----------------------------------------------------------------------------------


def _identity_lines(authority: str | None, state: str | None) -> list[str]:
    lines = []
    if authority:
        lines.append(f"authority: {authority}")
    if state:
        lines.append(f"state: {state}")
    return lines


def dump_public(key: PublicKey) -> str:
    lines = [
        f"# Hanoi Exchange public key ({key.kind.label}). Publish it freely; it is not secret.",
        f"format: {PUBLIC_FORMAT}",
        f"type: {key.kind.value}",
        f"key: {b64encode(key.raw)}",
        f"key-id: {key.key_id}",
        *_identity_lines(key.authority, key.state),
    ]
    return "\n".join(lines) + "\n"


def _private_raw(key: PrivateKey) -> bytes:
    if not isinstance(key.private, Ed25519PrivateKey | X25519PrivateKey):
        raise KeyFileError(
            f"the key {key.public.key_id} is held in a hardware token and never leaves it; "
            "it cannot be written to a file"
        )
    return key.private.private_bytes_raw()


def _scrypt(passphrase: bytes, salt: bytes, log_n: int) -> bytes:
    return Scrypt(salt=salt, length=KEY_SIZE, n=1 << log_n, r=_SCRYPT_R, p=_SCRYPT_P).derive(
        passphrase
    )


def _secret_aad(kind: KeyKind, public: bytes) -> bytes:
    return f"{PRIVATE_FORMAT} {kind.value} ".encode() + public


def dump_private(
    key: PrivateKey,
    passphrase: bytes | None = None,
    *,
    random: Callable[[int], bytes] = os.urandom,
    log_n: int | None = None,
) -> str:
    """The private key file's text; encrypted with scrypt + AES-256-GCM under ``passphrase``."""
    public = key.public
    lines = [
        f"# Hanoi Exchange private key ({public.kind.label}). Keep it secret.",
        f"format: {PRIVATE_FORMAT}",
        f"type: {public.kind.value}",
        f"public: {b64encode(public.raw)}",
        *_identity_lines(key.authority, key.state),
    ]
    secret = _private_raw(key)
    if passphrase is None:
        lines += ["protection: none", f"secret: {b64encode(secret)}"]
    else:
        if not passphrase:
            raise KeyFileError("the passphrase is empty; give a real one or none at all")
        salt = random(16)
        log_n = log_n or SCRYPT_LOG_N
        wrapped = AESGCM(_scrypt(passphrase, salt, log_n)).encrypt(
            bytes(12), secret, _secret_aad(public.kind, public.raw)
        )
        lines += [
            "protection: scrypt",
            f"scrypt-log-n: {log_n}",
            f"scrypt-salt: {b64encode(salt)}",
            f"secret: {b64encode(wrapped)}",
        ]
    return "\n".join(lines) + "\n"


def _fields(data: bytes, source: str) -> dict[str, str]:
    if len(data) > _MAX_KEY_FILE:
        raise KeyFileError(f"{source} is not a hanoix key file (it is too large)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise KeyFileError(f"{source} is not a hanoix key file (not UTF-8 text)") from exc
    fields: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        match = _FIELD.match(line)
        if match is None:
            raise KeyFileError(f"{source}, line {number}: expected 'name: value'")
        name, value = match.groups()
        if name in fields:
            raise KeyFileError(f"{source}, line {number}: {name} is given twice")
        fields[name] = value.strip()
    return fields


def _kind(fields: dict[str, str], expected: KeyKind, source: str, role: str) -> KeyKind:
    value = fields.get("type")
    try:
        kind = KeyKind(value or "")
    except ValueError as exc:
        raise KeyFileError(f"{source}: unknown key type {value!r}") from exc
    if kind is not expected:
        raise KeyFileError(
            f"{source} holds an {kind.label} key; {role} needs an {expected.label} key"
        )
    return kind


def _identity(fields: dict[str, str], source: str) -> tuple[str | None, str | None]:
    authority, state = fields.get("authority"), fields.get("state")
    try:
        check_identity(authority, state)
    except KeyFileError as exc:
        raise KeyFileError(f"{source}: {exc.message}") from exc
    return authority, state


def _raw(fields: dict[str, str], name: str, size: int, source: str) -> bytes:
    if name not in fields:
        raise KeyFileError(f"{source}: the {name} line is missing")
    try:
        return b64decode(fields[name], size, name)
    except MalformedError as exc:
        raise KeyFileError(f"{source} is corrupted: {exc.message}") from exc


def parse_public(data: bytes, expected: KeyKind, *, source: str, role: str) -> PublicKey:
    """Read a public key file; ``role`` names the option in messages (``--to``)."""
    fields = _fields(data, source)
    if fields.get("format") == PRIVATE_FORMAT:
        raise KeyFileError(
            f"{source} is a private key; {role} needs the public key "
            f"({expected.file_stem}.pub); never hand out the private one"
        )
    if fields.get("format") != PUBLIC_FORMAT:
        raise KeyFileError(f"{source} is not a hanoix public key (format: {PUBLIC_FORMAT})")
    kind = _kind(fields, expected, source, role)
    raw = _raw(fields, "key", KEY_SIZE, source)
    if "key-id" in fields and fields["key-id"] != key_id(kind, raw):
        raise KeyFileError(f"{source} is corrupted: its key does not match its key-id")
    authority, state = _identity(fields, source)
    return PublicKey(kind, raw, authority, state)


def is_protected(data: bytes) -> bool:
    return b"\nprotection: scrypt" in data


def parse_private(
    data: bytes,
    expected: KeyKind,
    passphrase: bytes | None,
    *,
    source: str,
    role: str,
) -> PrivateKey:
    """Read a private key file; its derived public key must match the one it records."""
    fields = _fields(data, source)
    if fields.get("format") == PUBLIC_FORMAT:
        raise KeyFileError(
            f"{source} is a public key; {role} needs the private key ({expected.file_stem}.key)"
        )
    if fields.get("format") != PRIVATE_FORMAT:
        raise KeyFileError(f"{source} is not a hanoix private key (format: {PRIVATE_FORMAT})")
    kind = _kind(fields, expected, source, role)
    public = _raw(fields, "public", KEY_SIZE, source)
    authority, state = _identity(fields, source)
    protection = fields.get("protection")
    if protection == "none":
        secret = _raw(fields, "secret", KEY_SIZE, source)
    elif protection in (TOKEN_PROTECTION, WRAPPED_PROTECTION):
        raise KeyFileError(
            f"{source} needs the hardware token {fields.get('token')!r}: configure hsm_module "
            "(docs/hsm.md) to use it"
        )
    elif protection == "scrypt":
        if passphrase is None:
            raise KeyFileError(f"{source} is protected by a passphrase; give the passphrase")
        try:
            log_n = int(fields.get("scrypt-log-n", ""))
        except ValueError as exc:
            raise KeyFileError(f"{source}: scrypt-log-n must be a number") from exc
        if not 10 <= log_n <= 22:
            raise KeyFileError(f"{source}: scrypt-log-n must be from 10 to 22")
        salt = _raw(fields, "scrypt-salt", 16, source)
        wrapped = _raw(fields, "secret", KEY_SIZE + 16, source)
        try:
            secret = AESGCM(_scrypt(passphrase, salt, log_n)).decrypt(
                bytes(12), wrapped, _secret_aad(kind, public)
            )
        except InvalidTag as exc:
            raise KeyFileError(f"{source}: wrong passphrase (or the file is corrupted)") from exc
    else:
        raise KeyFileError(
            f"{source}: protection must be 'none', 'scrypt', 'pkcs11' or 'pkcs11-aes-gcm'"
        )
    return _from_secret(kind, secret, public, authority, state, source)


def _from_secret(
    kind: KeyKind,
    secret: bytes,
    public: bytes,
    authority: str | None,
    state: str | None,
    source: str,
) -> PrivateKey:
    key: PrivateKey
    if kind is KeyKind.SIGNING:
        key = SigningKey(Ed25519PrivateKey.from_private_bytes(secret), authority, state)
    else:
        key = DecryptionKey(X25519PrivateKey.from_private_bytes(secret), authority, state)
    if key.public.raw != public:
        raise KeyFileError(f"{source} is corrupted: its secret does not match its public key")
    return key


def parse_signing_key(
    data: bytes, passphrase: bytes | None, *, source: str, role: str = "--sign-key"
) -> SigningKey:
    key = parse_private(data, KeyKind.SIGNING, passphrase, source=source, role=role)
    assert isinstance(key, SigningKey)
    return key


def parse_decryption_key(
    data: bytes, passphrase: bytes | None, *, source: str, role: str = "--key"
) -> DecryptionKey:
    key = parse_private(data, KeyKind.ENCRYPTION, passphrase, source=source, role=role)
    assert isinstance(key, DecryptionKey)
    return key


# --- keys held in a hardware token ----------------------------------------------------------

_TOKEN_LABEL_SIZE = 32  # PKCS#11 token labels are 32 bytes, blank-padded
_OBJECT_LABEL_SIZE = 200


@dataclass(frozen=True)
class TokenReference:
    """Where a signing key lives in a hardware token: the token's label and the key's, and the
    public key the token's key must have."""

    token: str
    label: str
    public: PublicKey


def check_token_labels(token: str, label: str) -> None:
    """Refuse labels a token cannot hold or a key file cannot carry on one line."""
    for what, value, size in (
        ("the token label", token, _TOKEN_LABEL_SIZE),
        ("the key label", label, _OBJECT_LABEL_SIZE),
    ):
        if not value.strip() or value != value.strip() or "\n" in value:
            raise KeyFileError(f"{what} must be one line of text, without surrounding spaces")
        if len(value.encode("utf-8")) > size:
            raise KeyFileError(f"{what} {value!r} is longer than {size} bytes")


def dump_token_reference(reference: TokenReference) -> str:
    """The private key file's text for a key held in a token: no secret, only where it is."""
    public = reference.public
    check_token_labels(reference.token, reference.label)
    lines = [
        f"# Hanoi Exchange private key ({public.kind.label}), held in a hardware token.",
        "# This file names it; the key itself never leaves the token.",
        f"format: {PRIVATE_FORMAT}",
        f"type: {public.kind.value}",
        f"public: {b64encode(public.raw)}",
        *_identity_lines(public.authority, public.state),
        f"protection: {TOKEN_PROTECTION}",
        f"token: {reference.token}",
        f"object: {reference.label}",
    ]
    return "\n".join(lines) + "\n"


def parse_token_reference(data: bytes, *, source: str, role: str) -> TokenReference | None:
    """The token reference in a private key file, or None when the file holds its key itself."""
    found = _in_token(data, TOKEN_PROTECTION, KeyKind.SIGNING, source=source, role=role)
    if found is None:
        return None
    _, reference = found
    return reference


def _in_token(
    data: bytes, protection: str, expected: KeyKind, *, source: str, role: str
) -> tuple[dict[str, str], TokenReference] | None:
    """The fields of a key file of this ``protection`` and the token key it names; None for a
    file protected otherwise."""
    if f"\nprotection: {protection}".encode() not in data:
        return None
    fields = _fields(data, source)
    if fields.get("format") != PRIVATE_FORMAT or fields.get("protection") != protection:
        return None
    kind = _kind(fields, expected, source, role)
    public = _raw(fields, "public", KEY_SIZE, source)
    authority, state = _identity(fields, source)
    token, label = fields.get("token", ""), fields.get("object", "")
    try:
        check_token_labels(token, label)
    except KeyFileError as exc:
        raise KeyFileError(f"{source}: {exc.message}") from None
    return fields, TokenReference(token, label, PublicKey(kind, public, authority, state))


# --- keys encrypted at rest under a token's AES key -----------------------------------------

WRAP_NONCE_SIZE = 12


@dataclass(frozen=True)
class WrappedSecret:
    """A private key whose secret is encrypted (AES-256-GCM) under an AES key held in a token:
    the file is of no use without the token. For the X25519 keys, which no token here can hold
    (docs/decisions/0011-keys-in-hardware.md)."""

    token: str
    label: str
    public: PublicKey
    nonce: bytes
    wrapped: bytes

    @property
    def aad(self) -> bytes:
        return _secret_aad(self.public.kind, self.public.raw)

    def unwrap(self, secret: bytes, *, source: str) -> PrivateKey:
        """The key, from its secret as the token decrypted it."""
        public = self.public
        return _from_secret(public.kind, secret, public.raw, public.authority, public.state, source)


def wrapped_aad(key: PrivateKey) -> bytes:
    """What the encrypted secret of ``key`` is bound to: its format, type and public key."""
    return _secret_aad(key.public.kind, key.public.raw)


def dump_wrapped(key: PrivateKey, token: str, label: str, nonce: bytes, wrapped: bytes) -> str:
    """The private key file's text for ``key`` encrypted under the token's AES key ``label``."""
    public = key.public
    check_token_labels(token, label)
    lines = [
        f"# Hanoi Exchange private key ({public.kind.label}), encrypted under a key held in a "
        "hardware token.",
        f"format: {PRIVATE_FORMAT}",
        f"type: {public.kind.value}",
        f"public: {b64encode(public.raw)}",
        *_identity_lines(key.authority, key.state),
        f"protection: {WRAPPED_PROTECTION}",
        f"token: {token}",
        f"object: {label}",
        f"nonce: {b64encode(nonce)}",
        f"secret: {b64encode(wrapped)}",
    ]
    return "\n".join(lines) + "\n"


def parse_wrapped(
    data: bytes, expected: KeyKind, *, source: str, role: str
) -> WrappedSecret | None:
    """The encrypted secret of a key file protected by a token's AES key, or None when the
    file is protected otherwise."""
    found = _in_token(data, WRAPPED_PROTECTION, expected, source=source, role=role)
    if found is None:
        return None
    fields, where = found
    nonce = _raw(fields, "nonce", WRAP_NONCE_SIZE, source)
    wrapped = _raw(fields, "secret", KEY_SIZE + 16, source)
    return WrappedSecret(where.token, where.label, where.public, nonce, wrapped)
