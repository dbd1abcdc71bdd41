"""The node's federation identity: its key generations, its TLS certificate, its entry.

Files in the node's key store (``HOME/keys``, made by ``hanoix init``, private files mode 0600;
this module reads and writes them through :class:`KeyFiles`, which the store implements):

* ``federation/signing-<n>.key|.pub``: Ed25519 key generation ``n`` (evidence key format);
* ``federation/encryption-<n>.key|.pub``: X25519 key generation ``n``;
* ``tls.key``, ``tls.crt``: the node's ECDSA P-256 key and self-signed certificate;
* ``tls-next.key``, ``tls-next.crt``: during a TLS rotation, the next ones. They are listed in
  the node's entry beside the certificate in use, and put in its place (:func:`promote_tls`)
  once a directory in force lists them: peers then accept both.

Rotation adds generation ``n+1``; old generations stay, so envelopes already sealed to them can
still be opened. The node signs with the newest generation the directory lists as usable (so a
new key is not used before peers can know it), and decrypts with whichever generation an
envelope names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from hanoix.evidence import keys as keyfiles
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey, SigningKey, TokenReference
from hanoix.federation.directory import AuthorityEntry, Directory, NodeEntry, NodeKey
from hanoix.federation.errors import FederationConfigError
from hanoix.federation.transport import (
    TLS_CERT_FILE,
    TLS_KEY_FILE,
    TlsIdentity,
    check_base_url,
    make_certificate,
)

KEY_DIR = "federation"
_GENERATION = re.compile(r"^signing-([1-9][0-9]{0,5})\.key$")
_TLS_NEXT_KEY_FILE = "tls-next.key"
_TLS_NEXT_CERT_FILE = "tls-next.crt"


class KeyFiles(Protocol):
    """The node's key files, by name under one folder (:class:`hanoix.store.keys.KeyStore`).

    Writes are whole or nothing and never overwrite; private files are mode 0600, and one that
    other users may read is refused when read.
    """

    def path(self, name: str) -> Path: ...

    def exists(self, name: str) -> bool: ...

    def names(self, folder: str) -> list[str]: ...

    def modified(self, name: str) -> float: ...

    def read_private(self, name: str) -> bytes: ...

    def signing_key(self, name: str, role: str) -> SigningKey:
        """The signing key of file ``name``: held in it, or in the hardware token it names."""
        ...

    def decryption_key(self, name: str, role: str) -> DecryptionKey:
        """The decryption key of file ``name``: in it, or encrypted under a token's key."""
        ...

    def write_private(self, name: str, data: bytes) -> None: ...

    def write_public(self, name: str, data: bytes) -> None: ...

    def remove(self, name: str) -> None: ...

    def replace(self, source: str, target: str) -> None: ...


@dataclass(frozen=True)
class KeyGeneration:
    number: int
    signing: SigningKey
    decryption: DecryptionKey
    created: datetime


@dataclass(frozen=True)
class NodeIdentity:
    """Everything the node proves itself with. Loaded from files; holds private keys."""

    origin: str
    state: str | None
    generations: tuple[KeyGeneration, ...]
    tls: TlsIdentity
    # Where the next certificate lies during a TLS rotation (the files exist only then). Read
    # when needed, not cached: a rotation is started and put in force by other processes.
    tls_next: TlsIdentity | None = None

    def signing_key(self, directory: Directory | None, now: datetime) -> SigningKey:
        """The newest generation the directory lists as usable; before any directory lists
        this node, the newest generation."""
        entry = directory.node(self.origin) if directory is not None else None
        if entry is not None:
            for generation in sorted(self.generations, key=lambda g: -g.number):
                listed = entry.find_key(KeyKind.SIGNING, generation.signing.public.key_id)
                if listed is not None and listed.problem_at(now) is None:
                    return generation.signing
            raise FederationConfigError(
                f"the directory (serial {directory.serial if directory else 0}) lists none of "
                f"this node's signing keys as usable now: ask the directory authority to list "
                f"the key shown by 'hanoix node identity'"
            )
        return max(self.generations, key=lambda g: g.number).signing

    def decryption_key(self, key_id: str) -> DecryptionKey | None:
        for generation in self.generations:
            if generation.decryption.public.key_id == key_id:
                return generation.decryption
        return None

    def entry(
        self,
        base_url: str,
        authorities: tuple[AuthorityEntry, ...],
        ledger_vkey: str,
        witness_vkey: str,
    ) -> NodeEntry:
        """This node's directory entry, as proposed to the directory authority."""
        if self.state is None:
            raise FederationConfigError(
                'the node has no State: set state = "AUT" in hanoix.toml (or HANOIX_STATE)'
            )
        keys: list[NodeKey] = []
        for generation in sorted(self.generations, key=lambda g: g.number):
            for public in (generation.signing.public, generation.decryption.public):
                keys.append(NodeKey(public.kind, public.raw, not_before=generation.created))
        return NodeEntry(
            origin=self.origin,
            state=self.state,
            base_url=check_base_url(base_url),
            authorities=authorities,
            keys=tuple(keys),
            tls_certificate=self.tls.certificate_pem,
            ledger_vkey=ledger_vkey,
            witness_vkey=witness_vkey,
            tls_next_certificate=self._next_certificate(),
        )

    def _next_certificate(self) -> str | None:
        if self.tls_next is None:
            return None
        try:
            return self.tls_next.certificate_pem
        except FileNotFoundError:
            return None  # no rotation under way, or it was just put in force


def _generation_numbers(keys: KeyFiles) -> list[int]:
    numbers = []
    for name in keys.names(KEY_DIR):
        match = _GENERATION.match(name)
        if match:
            numbers.append(int(match.group(1)))
    return sorted(numbers)


def new_generation(
    keys: KeyFiles,
    origin: str,
    state: str | None,
    *,
    in_token: TokenReference | None = None,
    seal: Callable[[DecryptionKey], str] | None = None,
) -> int:
    """Make key generation ``n+1`` (both keys); return ``n+1``. Never overwrites.

    With ``in_token``, the generation's signing key is that key, made in a hardware token
    already: its file names it. The X25519 key cannot live in the token
    (docs/decisions/0011-keys-in-hardware.md): with ``seal``, its file is the text ``seal``
    makes of it (encrypted under a key of the token)."""
    number = (max(_generation_numbers(keys), default=0)) + 1
    signing, decryption = keyfiles.generate(origin[:200], state)
    files: list[tuple[str, PublicKey, str]] = [
        (
            "encryption",
            decryption.public,
            seal(decryption) if seal is not None else keyfiles.dump_private(decryption),
        ),
        ("signing", signing.public, keyfiles.dump_private(signing)),
    ]
    if in_token is not None:
        files[1] = ("signing", in_token.public, keyfiles.dump_token_reference(in_token))
    # The encryption pair first: a generation counts once its signing key exists.
    for stem, public, private_text in files:
        name = f"{KEY_DIR}/{stem}-{number}"
        keys.write_public(f"{name}.pub", keyfiles.dump_public(public).encode("utf-8"))
        keys.write_private(f"{name}.key", private_text.encode("utf-8"))
    return number


def _tls_names(*, following: bool = False) -> tuple[str, str]:
    if following:
        return _TLS_NEXT_KEY_FILE, _TLS_NEXT_CERT_FILE
    return TLS_KEY_FILE, TLS_CERT_FILE


def _tls_files(keys: KeyFiles, *, following: bool = False) -> TlsIdentity:
    key_name, cert_name = _tls_names(following=following)
    return TlsIdentity(keys.path(key_name), keys.path(cert_name))


def ensure_tls(keys: KeyFiles, origin: str, now: datetime) -> TlsIdentity:
    if not keys.exists(TLS_KEY_FILE):
        _make_tls(keys, origin, now)
    return _tls_files(keys)


def _make_tls(keys: KeyFiles, origin: str, now: datetime, *, following: bool = False) -> None:
    key_name, cert_name = _tls_names(following=following)
    key_pem, cert_pem = make_certificate(origin, now)
    # Left over by an interrupted attempt: made again, together.
    keys.remove(cert_name)
    keys.remove(key_name)
    keys.write_private(key_name, key_pem)
    keys.write_public(cert_name, cert_pem)


def new_tls(keys: KeyFiles, origin: str, now: datetime) -> TlsIdentity:
    """Start a TLS rotation: make the next key and certificate (the current ones stay in use)."""
    following = _tls_files(keys, following=True)
    if following.cert_file.exists():
        raise FederationConfigError(
            f"a TLS rotation is under way already: {following.cert_file} waits for a directory "
            "that lists it (send 'hanoix node identity --json' to the directory authority)"
        )
    _make_tls(keys, origin, now, following=True)
    return following


def promote_tls(keys: KeyFiles, directory: Directory, origin: str) -> bool:
    """Put the next TLS certificate in use if ``directory`` lists it for this node, so that
    peers holding that directory accept it. True when it did."""
    following = _tls_files(keys, following=True)
    entry = directory.node(origin)
    if entry is None or not following.cert_file.exists():
        return False
    if following.certificate_pem not in entry.tls_certificates:
        return False
    # Key first: a listener that looks between the two renames finds a key that does not
    # match its certificate, keeps its last good context, and looks again at the next
    # handshake.
    keys.replace(_TLS_NEXT_KEY_FILE, TLS_KEY_FILE)
    keys.replace(_TLS_NEXT_CERT_FILE, TLS_CERT_FILE)
    return True


def load_identity(
    keys: KeyFiles, origin: str, state: str | None, *, create: bool = False
) -> NodeIdentity:
    """Read the node's keys; with ``create``, make what is missing (``hanoix init``)."""
    now = datetime.now(UTC)
    if create and not _generation_numbers(keys):
        new_generation(keys, origin, state)
    numbers = _generation_numbers(keys)
    if not numbers:
        raise FederationConfigError(
            f"no federation keys under {keys.path(KEY_DIR)}: run 'hanoix init'"
        )
    generations = []
    for number in numbers:
        signing_name = f"{KEY_DIR}/signing-{number}.key"
        decryption_name = f"{KEY_DIR}/encryption-{number}.key"
        signing = keys.signing_key(signing_name, "node signing key")
        decryption = keys.decryption_key(decryption_name, "node key")
        created = datetime.fromtimestamp(int(keys.modified(signing_name)), UTC)
        generations.append(KeyGeneration(number, signing, decryption, created))
    tls = ensure_tls(keys, origin, now) if create else _tls_files(keys)
    return NodeIdentity(origin, state, tuple(generations), tls, _tls_files(keys, following=True))


def load_trust_anchor(path: Path) -> PublicKey:
    """The directory authority's public key this node trusts."""
    if not path.is_file():
        raise FederationConfigError(
            f"no directory trust anchor at {path}: copy the directory authority's public key "
            "(a hanoix-public-key/1 signing key file) there"
        )
    return keyfiles.parse_public(
        path.read_bytes(), KeyKind.SIGNING, source=str(path), role="directory trust anchor"
    )
