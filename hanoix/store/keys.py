"""Key files: the one place that reads and writes private keys.

A :class:`KeyStore` is a folder of key files named relative to it: the node's ``HOME/keys``
(the ledger's ``ledger.key`` and ``witness.key``, the federation identity under
``federation/``, ``tls.key``) or an authority's evidence key set (``hanoix keys new --out``).
It serves the custody ledger, the evidence commands and, through
:class:`hanoix.federation.identity.KeyFiles`, the federation protocol. It

* writes every file whole or not at all (:func:`~hanoix.store.files.atomic_file`: a temporary
  sibling, fsynced, linked into place, the folder fsynced) and never overwrites a key;
* makes private files mode 0600 and the folders it creates mode 0700;
* refuses a private key file that other users may read, with the ``chmod`` that fixes it.

Key files a user names (``--sign-key FILE``) are not the node's: :func:`read_key_file` and the
loaders below take them as they are, and unlock a passphrase-protected one with the passphrase
given, else one asked for only when the file needs it.

A signing key file may name a key held in a hardware token instead of holding it
(``protection: pkcs11``): with an :class:`~hanoix.store.hsm.Hsm` configured, the key is used
there (:func:`token_key`); without one, the file is refused with the setting to give.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hanoix import inputs
from hanoix.errors import ConfigurationError, ConflictError, InputError
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.errors import KeyFileError, OutputError
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey, SigningKey
from hanoix.store.files import atomic_file, fsync_dir
from hanoix.store.hsm import Hsm

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
FOLDER_MODE = 0o700
KEY_FILE_LIMIT = 64 * 1024

PassphrasePrompt = Callable[[], bytes]


class KeyAccessError(ConfigurationError):
    """One of the node's private key files is missing, unreadable, or readable by others."""


@dataclass(frozen=True)
class NewKeyFile:
    """A key file to write: its name in the store, its bytes, and whether it is private."""

    name: str
    data: bytes
    private: bool


class KeyStore:
    """The key files under one folder (see the module's rules)."""

    def __init__(self, root: Path, hsm: Hsm | None = None) -> None:
        self.root = Path(root)
        self.hsm = hsm

    def path(self, name: str) -> Path:
        return self.root / name

    def exists(self, name: str) -> bool:
        return self.path(name).exists()

    def names(self, folder: str) -> list[str]:
        """The names of the files in ``folder`` (none when it does not exist)."""
        where = self.path(folder)
        if not where.is_dir():
            return []
        return sorted(entry.name for entry in where.iterdir())

    def modified(self, name: str) -> float:
        """When file ``name`` was last written, in seconds since the epoch."""
        return self.path(name).stat().st_mtime

    def read_private(self, name: str) -> bytes:
        """The bytes of private key file ``name``, refused if other users may read it."""
        path = self.path(name)
        try:
            with path.open("rb") as handle:
                # The mode of the file read, not of whatever the name pointed at a moment ago.
                mode = stat.S_IMODE(os.fstat(handle.fileno()).st_mode)
                if mode & 0o077:
                    raise KeyAccessError(
                        f"the key file {path} can be read by others (mode {mode:o}); "
                        f"run: chmod 600 {path}"
                    )
                return handle.read()
        except FileNotFoundError:
            raise KeyAccessError(
                f"the key file {path} is missing: restore it from a backup"
            ) from None
        except IsADirectoryError:
            raise KeyAccessError(f"the key file {path} is a folder, not a key file") from None
        except PermissionError:
            raise KeyAccessError(
                f"the key file {path} cannot be read by this user: run the node as the user "
                "that owns its keys"
            ) from None

    def signing_key(self, name: str, role: str) -> SigningKey:
        """The Ed25519 signing key of file ``name`` (a hanoix private key file, or one naming a
        key in the hardware token)."""
        data = self.read_private(name)
        source = str(self.path(name))
        in_token = token_key(data, self.hsm, source=source, role=role)
        if in_token is not None:
            return in_token
        return keyfiles.parse_signing_key(data, None, source=source, role=role)

    def decryption_key(self, name: str, role: str) -> DecryptionKey:
        """The X25519 key of file ``name`` (kept in it, or encrypted under the token's AES key)."""
        data = self.read_private(name)
        source = str(self.path(name))
        key = unwrapped_key(data, self.hsm, KeyKind.ENCRYPTION, source=source, role=role)
        if key is not None:
            assert isinstance(key, DecryptionKey)
            return key
        return keyfiles.parse_decryption_key(data, None, source=source, role=role)

    def read_public(self, name: str) -> bytes:
        return self.path(name).read_bytes()

    def write_private(self, name: str, data: bytes) -> None:
        """Write private key file ``name`` (mode 0600) whole; an existing one is an error."""
        self._write(name, data, PRIVATE_MODE)

    def write_public(self, name: str, data: bytes) -> None:
        """Write public file ``name`` (mode 0644) whole; an existing one is an error."""
        self._write(name, data, PUBLIC_MODE)

    def create_private(self, name: str, make: Callable[[], bytes]) -> bytes:
        """Private key file ``name``'s bytes, made with ``make`` first if it does not exist.

        Several processes may start at once: the first key linked into place is the key, and
        the others read it.
        """
        if not self.exists(name):
            with contextlib.suppress(ConflictError):  # another process made it first
                self.write_private(name, make())
        return self.read_private(name)

    def write_set(self, files: Sequence[NewKeyFile]) -> None:
        """Write ``files`` all or none: none may exist, and if one cannot be written those
        written before it are removed."""
        existing = [self.path(f.name) for f in files if self.exists(f.name)]
        if existing:
            raise OutputError(f"{existing[0]} exists already; keys are never overwritten")
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        except OSError as exc:
            raise OutputError(f"cannot create {self.root}: {exc.strerror}") from exc
        written: list[Path] = []
        try:
            for file in files:
                self._write(file.name, file.data, PRIVATE_MODE if file.private else PUBLIC_MODE)
                written.append(self.path(file.name))
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise

    def remove(self, name: str) -> None:
        self.path(name).unlink(missing_ok=True)

    def replace(self, source: str, target: str) -> None:
        """Put file ``source`` in the place of ``target`` in one step, durably."""
        self.path(source).replace(self.path(target))
        fsync_dir(self.path(target).parent)

    def _write(self, name: str, data: bytes, mode: int) -> None:
        path = self.path(name)
        self.root.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        with atomic_file(path) as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)


# --- key files a user names -------------------------------------------------------------------


def read_key_file(path: Path, role: str) -> bytes:
    """The bytes of the key file ``path`` given as ``role``; a clear error if there is none."""
    # A key file is a few hundred bytes; reading stops well before anything else fills memory.
    if not Path(path).exists():
        raise KeyFileError(f"{role}: no such key file {path}")
    if Path(path).is_dir():
        raise KeyFileError(f"{role}: {path} is a folder, not a key file")
    try:
        return inputs.read_input(Path(path), f"{role}: key file", limit=KEY_FILE_LIMIT)
    except InputError as exc:
        raise KeyFileError(exc.message) from None


def key_is_protected(path: Path, role: str) -> bool:
    """Whether the private key file at ``path`` needs a passphrase."""
    return keyfiles.is_protected(read_key_file(path, role))


def _passphrase(data: bytes, given: bytes | None, ask: PassphrasePrompt | None) -> bytes | None:
    """The passphrase to use: the one given, else asked for only if the key is protected."""
    if given is None and ask is not None and keyfiles.is_protected(data):
        return ask()
    return given


def token_key(data: bytes, hsm: Hsm | None, *, source: str, role: str) -> SigningKey | None:
    """The key in the hardware token that the key file ``data`` names; None when the file holds
    its key itself."""
    reference = keyfiles.parse_token_reference(data, source=source, role=role)
    if reference is None:
        return None
    if hsm is None:
        raise KeyFileError(
            f"{source} names a key held in the hardware token {reference.token!r}: set "
            "hsm_module in hanoix.toml (or HANOIX_HSM_MODULE) to the HSM's PKCS#11 library"
        )
    return hsm.signing_key(reference, source=source)


def unwrapped_key(
    data: bytes, hsm: Hsm | None, kind: KeyKind, *, source: str, role: str
) -> keyfiles.PrivateKey | None:
    """The key of a file encrypted under a token's AES key, decrypted there; None when the file
    is protected otherwise."""
    wrapped = keyfiles.parse_wrapped(data, kind, source=source, role=role)
    if wrapped is None:
        return None
    if hsm is None:
        raise KeyFileError(
            f"{source} is encrypted under a key of the hardware token {wrapped.token!r}: set "
            "hsm_module in hanoix.toml (or HANOIX_HSM_MODULE) to the HSM's PKCS#11 library"
        )
    secret = hsm.decrypt(wrapped.token, wrapped.label, wrapped.nonce, wrapped.wrapped, wrapped.aad)
    return wrapped.unwrap(secret, source=source)


def load_signing_key(
    path: Path,
    passphrase: bytes | None = None,
    *,
    ask: PassphrasePrompt | None = None,
    role: str = "--sign-key",
    hsm: Hsm | None = None,
) -> SigningKey:
    data = read_key_file(path, role)
    in_token = token_key(data, hsm, source=f"{role} {path}", role=role)
    if in_token is not None:
        return in_token
    return keyfiles.parse_signing_key(
        data, _passphrase(data, passphrase, ask), source=f"{role} {path}", role=role
    )


def load_decryption_key(
    path: Path,
    passphrase: bytes | None = None,
    *,
    ask: PassphrasePrompt | None = None,
    role: str = "--key",
    hsm: Hsm | None = None,
) -> DecryptionKey:
    data = read_key_file(path, role)
    key = unwrapped_key(data, hsm, KeyKind.ENCRYPTION, source=f"{role} {path}", role=role)
    if key is not None:
        assert isinstance(key, DecryptionKey)
        return key
    return keyfiles.parse_decryption_key(
        data, _passphrase(data, passphrase, ask), source=f"{role} {path}", role=role
    )


def load_public_key(path: Path, kind: KeyKind, role: str) -> PublicKey:
    return keyfiles.parse_public(
        read_key_file(path, role), kind, source=f"{role} {path}", role=role
    )
