"""The backup archive, ``hanoix-backup/1``: one POSIX tar file, written and read as a stream.

Members, in this order::

    hanoix-backup.json        the header: who made it, when, of which node, what it holds, and
                              its key slots (below)
    secrets.enc               the home's keys and configuration: an inner tar encrypted with
                              AES-256-GCM under the backup's encryption key
    database/...              the database snapshot (SQLite file or pg_dump custom format)
    blobs/sha256/<64 hex>     each evidence package the snapshot refers to, as stored: sealed
    manifest.json             every member above with its size and SHA-256, and an HMAC of the
                              whole list under the backup's manifest key

Keys: each backup has a random 32-byte master key; HKDF-SHA256 derives from it the encryption
key and the manifest key (so one never serves as the other). The header's ``slots`` hold the
master key wrapped for whoever may open the backup, as age does: a passphrase (``scrypt``:
stretched with scrypt, 2^17 as the key files, then AES-256-GCM) and any number of recipients'
X25519 keys (``x25519``: the evidence packages' own key wrapping, an ephemeral X25519 agreement,
HKDF-SHA256 and AES-256-GCM, named by the key's id). A recipient's key lets a machine take
backups that it cannot itself open: it holds the public key only.

Why this shape:

* A stream, so that a backup of many gigabytes of packages is written and read in one pass,
  never staged whole; the manifest comes last because only then are the digests known. A copy
  cut short loses its manifest (or ends inside a member), so truncation is always seen.
* The digests catch damage without any key (``hanoix backup verify FILE``); the HMAC proves, to
  whoever can open the backup, that nobody changed, added or removed a member. The header (its
  slots too) is hashed into the encryption's associated data and listed in the manifest, so
  ``secrets.enc`` cannot be moved under another backup's header.
* Only the keys and configuration are encrypted: the packages are sealed to their recipients
  already (a backup never holds evidence in the clear), and the database is protected as the
  database itself is.

Nothing here knows what a node is: :mod:`hanoix.services.backup` decides what goes in.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import os
import re
import tarfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from hanoix.errors import InputError, VerificationError
from hanoix.evidence import crypto
from hanoix.evidence.keys import DecryptionKey, KeyKind, PublicKey

FORMAT = "hanoix-backup/1"
HEADER_NAME = "hanoix-backup.json"
SECRETS_NAME = "secrets.enc"
MANIFEST_NAME = "manifest.json"
SCRYPT_LOG_N = 17  # 128 MiB, about half a second, as for key files: it guards a State's keys
SCRYPT_R = 8
SCRYPT_P = 1
#: The most the header, the manifest or the secrets may weigh (they are read into memory).
MAX_SMALL_MEMBER = 64 * 1024 * 1024
_COPY_BUFFER = 1024 * 1024
_NAME = re.compile(r"^(?:database|blobs|config|keys)(?:/[A-Za-z0-9._-]+)+$")


class BackupError(VerificationError):
    """A backup that cannot be trusted: truncated, corrupted, altered, or not openable with the
    passphrase or key given."""

    code = "backup-invalid"


class PassphraseError(BackupError):
    """The passphrase or key given does not open the backup."""

    code = "backup-passphrase"


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass(frozen=True)
class _Keys:
    encryption: bytes
    mac: bytes


def _expand(master: bytes) -> _Keys:
    """The two keys of one backup, from its master key."""

    def expand(purpose: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=None, info=FORMAT.encode() + b" " + purpose).derive(
            master
        )

    return _Keys(expand(b"encryption"), expand(b"manifest"))


_SLOT_AAD = FORMAT.encode() + b" master key"


def _scrypt(passphrase: bytes, salt: bytes, log_n: int) -> bytes:
    if not passphrase:
        raise InputError("the backup passphrase is empty; give a real one")
    return Scrypt(salt=salt, length=32, n=1 << log_n, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase)


def _passphrase_slot(
    master: bytes, passphrase: bytes, random: Callable[[int], bytes], log_n: int
) -> dict[str, Any]:
    salt = random(16)
    # A fresh salt makes a fresh key for this one encryption: the zero nonce is never reused.
    wrapped = AESGCM(_scrypt(passphrase, salt, log_n)).encrypt(bytes(12), master, _SLOT_AAD)
    return {
        "kind": "scrypt",
        "log_n": log_n,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "salt": salt.hex(),
        "wrapped": wrapped.hex(),
    }


def _recipient_slot(
    master: bytes, recipient: PublicKey, random: Callable[[int], bytes]
) -> dict[str, Any]:
    if recipient.kind is not KeyKind.ENCRYPTION:
        raise InputError(f"{recipient.describe()} is a signing key; give an encryption key")
    try:
        ephemeral, wrapped = crypto.wrap(master, recipient.raw, random(32))
    except crypto.WrapError as exc:
        raise InputError(f"{recipient.describe()}: {exc}") from None
    return {
        "kind": "x25519",
        "key_id": recipient.key_id,
        "ephemeral": ephemeral.hex(),
        "wrapped": wrapped.hex(),
    }


def _secrets_aad(header_bytes: bytes) -> bytes:
    return FORMAT.encode() + b" secrets\n" + hashlib.sha256(header_bytes).digest()


def _mac(keys: _Keys, members: list[dict[str, Any]]) -> str:
    return hmac.new(
        keys.mac, _canonical({"format": FORMAT, "members": members}), "sha256"
    ).hexdigest()


@dataclass(frozen=True)
class SecretFile:
    """A file of the home kept encrypted in the backup: its path relative to the home, its
    bytes and its mode."""

    name: str
    data: bytes
    mode: int


class _Hashing(io.RawIOBase):
    """Reads a stream through, hashing and counting what passes."""

    def __init__(self, source: IO[bytes], on_bytes: Callable[[int], None] | None = None) -> None:
        self.source = source
        self.sha256 = hashlib.sha256()
        self.size = 0
        self.on_bytes = on_bytes

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.source.read(size)
        if data:
            self.sha256.update(data)
            self.size += len(data)
            if self.on_bytes is not None:
                self.on_bytes(len(data))
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class ArchiveWriter:
    """Writes one backup to ``stream``: the header at once, then the members, then
    :meth:`finish` adds the manifest. Members are written as they are given."""

    def __init__(
        self,
        stream: Any,
        header: dict[str, Any],
        passphrase: bytes | None = None,
        *,
        recipients: Sequence[PublicKey] = (),
        random: Callable[[int], bytes] = os.urandom,
        log_n: int = SCRYPT_LOG_N,
    ) -> None:
        if passphrase is None and not recipients:
            raise InputError("a backup needs a passphrase or a recipient's key to encrypt to")
        master = random(32)
        self._keys = _expand(master)
        self._random = random
        slots = [] if passphrase is None else [_passphrase_slot(master, passphrase, random, log_n)]
        slots += [_recipient_slot(master, recipient, random) for recipient in recipients]
        self.header = {**header, "format": FORMAT, "slots": slots, "cipher": "AES-256-GCM"}
        self._header_bytes = _canonical(self.header)
        # Closed by finish(); a writer abandoned midway leaves its caller's file to discard.
        self._tar = tarfile.open(fileobj=stream, mode="w|", format=tarfile.PAX_FORMAT)  # noqa: SIM115
        self._members: list[dict[str, Any]] = []
        self._mtime = int(time.time())
        self._add(HEADER_NAME, io.BytesIO(self._header_bytes), len(self._header_bytes))

    def _add(
        self,
        name: str,
        source: IO[bytes],
        size: int,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o600
        info.mtime = self._mtime
        hashing = _Hashing(source, on_bytes)
        self._tar.addfile(info, hashing)
        if hashing.size != size:
            raise InputError(f"{name} changed size while it was backed up; take the backup again")
        self._members.append({"name": name, "size": size, "sha256": hashing.sha256.hexdigest()})

    def add_secrets(self, files: Sequence[SecretFile]) -> None:
        """The home's keys and configuration, encrypted under the backup's encryption key."""
        inner = io.BytesIO()
        with tarfile.open(fileobj=inner, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for secret in files:
                info = tarfile.TarInfo(secret.name)
                info.size = len(secret.data)
                info.mode = secret.mode & 0o777
                info.mtime = self._mtime
                tar.addfile(info, io.BytesIO(secret.data))
        nonce = self._random(12)
        sealed = nonce + AESGCM(self._keys.encryption).encrypt(
            nonce, inner.getvalue(), _secrets_aad(self._header_bytes)
        )
        self._add(SECRETS_NAME, io.BytesIO(sealed), len(sealed))

    def add_file(
        self, name: str, path: Path, on_bytes: Callable[[int], None] | None = None
    ) -> None:
        """The file at ``path`` as member ``name`` (``database/...``, ``blobs/...``)."""
        _check_name(name)
        with path.open("rb") as handle:
            self._add(name, handle, os.fstat(handle.fileno()).st_size, on_bytes)

    def add_stream(
        self,
        name: str,
        source: IO[bytes],
        size: int,
        on_bytes: Callable[[int], None] | None = None,
    ) -> None:
        """``size`` bytes of ``source`` as member ``name``."""
        _check_name(name)
        self._add(name, source, size, on_bytes)

    def finish(self) -> list[dict[str, Any]]:
        """Add the manifest and end the archive; returns the members written."""
        manifest = {
            "format": FORMAT,
            "members": self._members,
            "mac": _mac(self._keys, self._members),
        }
        data = _canonical(manifest)
        info = tarfile.TarInfo(MANIFEST_NAME)
        info.size = len(data)
        info.mode = 0o600
        info.mtime = self._mtime
        self._tar.addfile(info, io.BytesIO(data))
        self._tar.close()
        return list(self._members)


def _check_name(name: str) -> None:
    if not _NAME.match(name) or ".." in name.split("/"):
        raise BackupError(f"{name!r} is not a member a backup may hold")


# --- reading -------------------------------------------------------------------------------


@dataclass
class ReadBackup:
    """What reading a backup through found: its header, its members, its secrets (when a
    passphrase opened them), and whether the manifest's HMAC was checked."""

    header: dict[str, Any]
    members: list[dict[str, Any]] = field(default_factory=list)
    secrets: list[SecretFile] = field(default_factory=list)
    authenticated: bool = False

    @property
    def data_bytes(self) -> int:
        return sum(int(m["size"]) for m in self.members)


#: Called with each member after the header and secrets: its name, size and stream. It may read
#: the stream (the rest is drained and hashed after it returns).
MemberHandler = Callable[[str, int, BinaryIO], None]


def read_backup(
    path: Path,
    passphrase: bytes | None,
    on_member: MemberHandler | None = None,
    *,
    key: DecryptionKey | None = None,
    on_header: Callable[[dict[str, Any]], None] | None = None,
    on_bytes: Callable[[int], None] | None = None,
) -> ReadBackup:
    """Read the backup at ``path`` from end to end and check it: every member present once, in
    order, whole, with the manifest's size and SHA-256; with ``passphrase`` or ``key`` (a
    recipient's private key), the manifest's HMAC
    and the secrets decrypted. Raises :class:`BackupError` at the first fault (a handler's
    work before then is the caller's to discard)."""
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read the backup {path}: {exc.strerror}") from exc
    with handle:
        try:
            return _read(path, handle, (passphrase, key), on_member, on_header, on_bytes)
        except (tarfile.TarError, EOFError) as exc:
            raise BackupError(
                f"{path} is truncated or corrupted ({exc}); it cannot be used: take or fetch "
                "another copy"
            ) from None


def _read(
    path: Path,
    handle: BinaryIO,
    opener: tuple[bytes | None, DecryptionKey | None],
    on_member: MemberHandler | None,
    on_header: Callable[[dict[str, Any]], None] | None,
    on_bytes: Callable[[int], None] | None,
) -> ReadBackup:
    with tarfile.open(fileobj=handle, mode="r|") as tar:
        return _read_members(path, _members(tar, path), opener, on_member, on_header, on_bytes)


def _read_members(
    path: Path,
    entries: Iterator[tuple[tarfile.TarInfo, BinaryIO]],
    opener: tuple[bytes | None, DecryptionKey | None],
    on_member: MemberHandler | None,
    on_header: Callable[[dict[str, Any]], None] | None,
    on_bytes: Callable[[int], None] | None,
) -> ReadBackup:
    data = _small(entries, path, HEADER_NAME)
    header = _json(data.getvalue(), path, HEADER_NAME)
    if header.get("format") != FORMAT:
        raise BackupError(
            f"{path} is not a {FORMAT} backup (its header says {header.get('format')!r})"
        )
    found = ReadBackup(header)
    found.members.append(_digest(HEADER_NAME, data.getvalue()))
    if on_header is not None:
        on_header(header)
    passphrase, key = opener
    opened = passphrase is not None or key is not None
    keys = _unlock(header, passphrase, key, path) if opened else None
    secrets = _small(entries, path, SECRETS_NAME)
    found.members.append(_digest(SECRETS_NAME, secrets.getvalue()))
    if keys is not None:
        found.secrets = _open_secrets(secrets.getvalue(), keys, data.getvalue(), path)
    for info, stream in entries:
        if info.name == MANIFEST_NAME:
            manifest = _json(stream.read(MAX_SMALL_MEMBER + 1), path, MANIFEST_NAME)
            break
        _check_name(info.name)
        if any(m["name"] == info.name for m in found.members):
            raise BackupError(f"{path} holds {info.name} twice; it was altered")
        hashing = _Hashing(stream, on_bytes)
        if on_member is not None:
            on_member(info.name, info.size, hashing)  # type: ignore[arg-type]
        while hashing.read(_COPY_BUFFER):
            pass
        if hashing.size != info.size:
            raise BackupError(f"{path} ends inside {info.name}: it is truncated")
        found.members.append(
            {"name": info.name, "size": info.size, "sha256": hashing.sha256.hexdigest()}
        )
    else:
        raise BackupError(f"{path} has no manifest at its end: it is truncated")
    if next(entries, None) is not None:
        raise BackupError(f"{path} holds members after its manifest; it was altered")
    _check_manifest(manifest, found, path)
    if keys is not None:
        if not hmac.compare_digest(str(manifest.get("mac", "")), _mac(keys, found.members)):
            raise BackupError(
                f"{path}: the manifest's HMAC does not match: the backup was altered since it "
                "was made"
            )
        found.authenticated = True
    return found


def _members(tar: tarfile.TarFile, path: Path) -> Iterator[tuple[tarfile.TarInfo, BinaryIO]]:
    for info in tar:
        if not info.isfile():
            raise BackupError(f"{path} holds {info.name!r}, which is not a file; it was altered")
        stream = tar.extractfile(info)
        assert stream is not None  # a regular file always has a stream
        yield info, stream  # type: ignore[misc]


def _small(
    entries: Iterator[tuple[tarfile.TarInfo, BinaryIO]], path: Path, expected: str
) -> io.BytesIO:
    entry = next(entries, None)
    if entry is None:
        raise BackupError(f"{path} ends before its {expected}: it is truncated or not a backup")
    info, stream = entry
    if info.name != expected:
        raise BackupError(
            f"{path} does not begin as a backup does ({expected} expected, {info.name} found)"
        )
    if info.size > MAX_SMALL_MEMBER:
        raise BackupError(f"{path}: {expected} is too large to be a backup's")
    data = stream.read(info.size)
    if len(data) != info.size:
        raise BackupError(f"{path} ends inside {expected}: it is truncated")
    return io.BytesIO(data)


def _json(data: bytes, path: Path, name: str) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except ValueError:
        raise BackupError(f"{path}: {name} is not JSON; the backup is corrupted") from None
    if not isinstance(value, dict):
        raise BackupError(f"{path}: {name} is not a JSON object; the backup is corrupted")
    return value


def _digest(name: str, data: bytes) -> dict[str, Any]:
    return {"name": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def _slots(header: dict[str, Any], kind: str, path: Path) -> list[dict[str, Any]]:
    slots = header.get("slots")
    if not isinstance(slots, list) or not all(isinstance(slot, dict) for slot in slots):
        raise BackupError(f"{path}: the header's key slots are not ones this version reads")
    return [slot for slot in slots if slot.get("kind") == kind]


def _unlock(
    header: dict[str, Any], passphrase: bytes | None, key: DecryptionKey | None, path: Path
) -> _Keys:
    """The backup's keys, from the master key one of its slots gives up to what was given."""
    if key is not None:
        mine = [s for s in _slots(header, "x25519", path) if s.get("key_id") == key.public.key_id]
        if not mine:
            raise PassphraseError(
                f"{path} was not made for the key {key.public.key_id}; give the private key of "
                "a recipient it names, or its passphrase"
            )
        try:
            master = crypto.unwrap(
                key.private, bytes.fromhex(mine[0]["ephemeral"]), bytes.fromhex(mine[0]["wrapped"])
            )
        except (crypto.WrapError, KeyError, TypeError, ValueError):
            raise PassphraseError(f"the key {key.public.key_id} does not open {path}") from None
        return _expand(master)
    assert passphrase is not None
    slots = _slots(header, "scrypt", path)
    if not slots:
        raise PassphraseError(
            f"{path} was made for a recipient's key, not a passphrase: give --key with the "
            "recipient's private key"
        )
    slot = slots[0]
    try:
        log_n, salt = int(slot["log_n"]), bytes.fromhex(slot["salt"])
        wrapped = bytes.fromhex(slot["wrapped"])
        if not (10 <= log_n <= 22 and len(salt) == 16 and (slot["r"], slot["p"]) == (8, 1)):
            raise ValueError("scrypt parameters out of range")
    except (KeyError, TypeError, ValueError):
        raise BackupError(
            f"{path}: the header's key derivation is not one this version reads"
        ) from None
    try:
        master = AESGCM(_scrypt(passphrase, salt, log_n)).decrypt(bytes(12), wrapped, _SLOT_AAD)
    except InvalidTag:
        raise PassphraseError(f"the passphrase does not open {path}") from None
    return _expand(master)


def _open_secrets(sealed: bytes, keys: _Keys, header_bytes: bytes, path: Path) -> list[SecretFile]:
    try:
        inner = AESGCM(keys.encryption).decrypt(
            sealed[:12], sealed[12:], _secrets_aad(header_bytes)
        )
    except (InvalidTag, ValueError):
        raise BackupError(f"{path}: its encrypted keys were altered") from None
    files = []
    with tarfile.open(fileobj=io.BytesIO(inner), mode="r:") as tar:
        for info in tar:
            stream = tar.extractfile(info)
            if not info.isfile() or stream is None:
                raise BackupError(f"{path}: the secrets hold {info.name!r}, not a file")
            _check_name(info.name)
            files.append(SecretFile(info.name, stream.read(), info.mode))
    return files


def _check_manifest(manifest: dict[str, Any], found: ReadBackup, path: Path) -> None:
    listed = manifest.get("members")
    if manifest.get("format") != FORMAT or not isinstance(listed, list):
        raise BackupError(f"{path}: the manifest is not a {FORMAT} manifest")
    by_name = {str(m.get("name")): m for m in listed if isinstance(m, dict)}
    for member in found.members:
        expected = by_name.pop(member["name"], None)
        if expected is None:
            raise BackupError(f"{path} holds {member['name']}, which its manifest does not list")
        if expected.get("size") != member["size"] or expected.get("sha256") != member["sha256"]:
            raise BackupError(
                f"{path}: {member['name']} is corrupted (its SHA-256 or size differs from the "
                "manifest's); the backup cannot be used"
            )
    if by_name:
        missing = ", ".join(sorted(by_name)[:3])
        raise BackupError(f"{path} lacks {missing}, which its manifest lists: it was cut")
    if [m["name"] for m in found.members] != [str(m.get("name")) for m in listed]:
        raise BackupError(f"{path}: its members are not in the manifest's order; it was altered")
