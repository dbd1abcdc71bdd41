"""The node's federation identity: its key generations, its TLS certificate, its entry.

Files under ``settings.keys_dir`` (made by ``hanoix init``, private files mode 0600):

* ``federation/signing-<n>.key|.pub``: Ed25519 key generation ``n`` (evidence key format);
* ``federation/encryption-<n>.key|.pub``: X25519 key generation ``n``;
* ``tls.key``, ``tls.crt``: the node's ECDSA P-256 key and self-signed certificate.

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
from hanoix.store.files import atomic_file

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
        )


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


def ensure_tls(settings: Settings, origin: str, now: datetime) -> TlsIdentity:
    identity = TlsIdentity(settings.keys_dir / TLS_KEY_FILE, settings.keys_dir / TLS_CERT_FILE)
    if not identity.key_file.exists():
        settings.keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        key_pem, cert_pem = make_certificate(origin, now)
        identity.cert_file.unlink(missing_ok=True)
        _write(identity.key_file, key_pem.decode("ascii"), 0o600)
        _write(identity.cert_file, cert_pem.decode("ascii"), 0o644)
    return identity


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
    if create:
        tls = ensure_tls(settings, origin, now)
    else:
        tls = TlsIdentity(settings.keys_dir / TLS_KEY_FILE, settings.keys_dir / TLS_CERT_FILE)
    return NodeIdentity(origin, settings.state, tuple(generations), tls)


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
