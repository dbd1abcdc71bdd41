"""The node's federation identity: its key generations, its TLS certificate, its entry.

Files under ``settings.keys_dir`` (made by ``hanoix init``, private files mode 0600):

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

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hanoix.config import Settings
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey, SigningKey
from hanoix.federation.directory import AuthorityEntry, Directory, NodeEntry, NodeKey
from hanoix.federation.errors import FederationConfigError
from hanoix.federation.transport import (
    TLS_CERT_FILE,
    TLS_KEY_FILE,
    TlsIdentity,
    check_base_url,
    make_certificate,
)
from hanoix.store.files import atomic_file, fsync_dir

KEY_DIR = "federation"
_GENERATION = re.compile(r"^signing-([1-9][0-9]{0,5})\.key$")


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


def _write(path: Path, text: str, mode: int) -> None:
    with atomic_file(path) as handle:
        os.fchmod(handle.fileno(), mode)
        handle.write(text.encode("utf-8"))


def _key_dir(settings: Settings) -> Path:
    return settings.keys_dir / KEY_DIR


def _generation_numbers(settings: Settings) -> list[int]:
    folder = _key_dir(settings)
    if not folder.is_dir():
        return []
    numbers = []
    for path in folder.iterdir():
        match = _GENERATION.match(path.name)
        if match:
            numbers.append(int(match.group(1)))
    return sorted(numbers)


def new_generation(settings: Settings, origin: str) -> int:
    """Make key generation ``n+1`` (both keys); return ``n+1``. Never overwrites."""
    folder = _key_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    number = (max(_generation_numbers(settings), default=0)) + 1
    signing, decryption = keyfiles.generate(origin[:200], settings.state)
    # The encryption pair first: a generation counts once its signing key exists.
    for stem, private in (("encryption", decryption), ("signing", signing)):
        _write(folder / f"{stem}-{number}.pub", keyfiles.dump_public(private.public), 0o644)
        _write(folder / f"{stem}-{number}.key", keyfiles.dump_private(private), 0o600)
    return number


def _read(path: Path) -> bytes:
    mode = path.stat().st_mode & 0o777
    if path.suffix == ".key" and mode & 0o077:
        raise FederationConfigError(
            f"the key file {path} can be read by others (mode {mode:o}); run: chmod 600 {path}"
        )
    return path.read_bytes()


def _tls_files(settings: Settings, *, following: bool = False) -> TlsIdentity:
    if following:
        return TlsIdentity(settings.keys_dir / "tls-next.key", settings.keys_dir / "tls-next.crt")
    return TlsIdentity(settings.keys_dir / TLS_KEY_FILE, settings.keys_dir / TLS_CERT_FILE)


def ensure_tls(settings: Settings, origin: str, now: datetime) -> TlsIdentity:
    identity = _tls_files(settings)
    if not identity.key_file.exists():
        _make_tls(identity, settings, origin, now)
    return identity


def _make_tls(identity: TlsIdentity, settings: Settings, origin: str, now: datetime) -> None:
    settings.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    key_pem, cert_pem = make_certificate(origin, now)
    # Left over by an interrupted attempt: made again, together.
    identity.cert_file.unlink(missing_ok=True)
    identity.key_file.unlink(missing_ok=True)
    _write(identity.key_file, key_pem.decode("ascii"), 0o600)
    _write(identity.cert_file, cert_pem.decode("ascii"), 0o644)


def new_tls(settings: Settings, origin: str, now: datetime) -> TlsIdentity:
    """Start a TLS rotation: make the next key and certificate (the current ones stay in use)."""
    following = _tls_files(settings, following=True)
    if following.cert_file.exists():
        raise FederationConfigError(
            f"a TLS rotation is under way already: {following.cert_file} waits for a directory "
            "that lists it (send 'hanoix node identity --json' to the directory authority)"
        )
    _make_tls(following, settings, origin, now)
    return following


def promote_tls(settings: Settings, directory: Directory, origin: str) -> bool:
    """Put the next TLS certificate in use if ``directory`` lists it for this node, so that
    peers holding that directory accept it. True when it did."""
    following = _tls_files(settings, following=True)
    entry = directory.node(origin)
    if entry is None or not following.cert_file.exists():
        return False
    if following.certificate_pem not in entry.tls_certificates:
        return False
    current = _tls_files(settings)
    # Key first: a listener that looks between the two renames finds a key that does not
    # match its certificate, keeps its last good context, and looks again at the next
    # handshake.
    following.key_file.replace(current.key_file)
    following.cert_file.replace(current.cert_file)
    fsync_dir(settings.keys_dir)
    return True


def load_identity(settings: Settings, origin: str, *, create: bool = False) -> NodeIdentity:
    """Read the node's keys; with ``create``, make what is missing (``hanoix init``)."""
    now = datetime.now(UTC)
    if create and not _generation_numbers(settings):
        new_generation(settings, origin)
    numbers = _generation_numbers(settings)
    if not numbers:
        raise FederationConfigError(
            f"no federation keys under {_key_dir(settings)}: run 'hanoix init'"
        )
    generations = []
    folder = _key_dir(settings)
    for number in numbers:
        signing_path = folder / f"signing-{number}.key"
        decryption_path = folder / f"encryption-{number}.key"
        signing = keyfiles.parse_signing_key(
            _read(signing_path), None, source=str(signing_path), role="node signing key"
        )
        decryption = keyfiles.parse_decryption_key(
            _read(decryption_path), None, source=str(decryption_path), role="node key"
        )
        created = datetime.fromtimestamp(int(signing_path.stat().st_mtime), UTC)
        generations.append(KeyGeneration(number, signing, decryption, created))
    tls = ensure_tls(settings, origin, now) if create else _tls_files(settings)
    return NodeIdentity(
        origin, settings.state, tuple(generations), tls, _tls_files(settings, following=True)
    )


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
