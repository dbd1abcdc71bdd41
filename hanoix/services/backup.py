"""Backing a node up while it serves, checking a backup, and bringing a node back from one.

What a backup holds (the archive's format: :mod:`hanoix.store.backup_archive`):

* the database, copied at one instant (:mod:`hanoix.store.snapshot`);
* every evidence package that copy names, as stored: sealed to its recipients, never opened;
* the home's keys (``HOME/keys``: ledger, witness, federation, TLS, the authorities' evidence
  keys) and configuration (``hanoix.toml``, ``federation.toml``, ``directory-trust.pub``),
  encrypted under the passphrase given at creation, or to a recipient's public key, or both.

What it leaves out, on purpose: what the node makes again by itself (the peers' certificate
bundle, written at start; the treaty data copy, which the database answers without), what
belongs to one running process (logs, locks, wake-up sockets), half-received transfers (the
sender sends them again) and files users staged in the browser and have not sealed yet (they
are evidence in the clear: they never go into a backup).

A restore writes into an empty home only, everything first into a staging folder beside it
that is renamed into place once the whole archive checked out: a bad backup, a wrong
passphrase (or key) or a home that is not empty leave nothing behind and change nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import hanoix
from hanoix.config import CONFIG_FILE_NAME, Settings, config_file, load_settings
from hanoix.errors import ConfigurationError, ConflictError, HanoixError, InputError
from hanoix.evidence.keys import DecryptionKey, PublicKey
from hanoix.federation.settings import FILE_NAME as FEDERATION_FILE
from hanoix.federation.settings import TRUST_FILE
from hanoix.services.custody import ORIGIN_META_KEY
from hanoix.services.node import Node
from hanoix.store import migrate
from hanoix.store.backup_archive import (
    SCRYPT_LOG_N,
    ArchiveWriter,
    BackupError,
    ReadBackup,
    SecretFile,
    read_backup,
)
from hanoix.store.blobs import FileBlobStore, check_key, open_blob_store
from hanoix.store.db import make_engine
from hanoix.store.files import atomic_file, fsync_dir
from hanoix.store.meta import get_meta
from hanoix.store.snapshot import restore_snapshot, take_snapshot

#: The configuration files of a home that a backup keeps (under ``config/``).
CONFIG_FILES = (CONFIG_FILE_NAME, FEDERATION_FILE, TRUST_FILE)
_RESTORE_WORK = ".restore"


class Progress(Protocol):
    """Who shows how far a long backup or restore has gone (the CLI: a progress bar)."""

    def stage(self, title: str, total: int | None) -> None:
        """A new stage begins; ``total`` bytes, when known."""

    def advance(self, done: int) -> None:
        """``done`` more bytes of the current stage."""


class _Silent:
    def stage(self, title: str, total: int | None) -> None:
        pass

    def advance(self, done: int) -> None:
        pass


@dataclass(frozen=True)
class _Opener:
    """Who may open a backup being made: a passphrase, recipients' keys, or both."""

    passphrase: bytes | None
    recipients: tuple[PublicKey, ...]
    log_n: int


@dataclass(frozen=True)
class NodeIdentity:
    """Which node a home or a backup is: its origin (its lasting name) and State."""

    origin: str | None
    state: str | None

    def describe(self) -> str:
        if self.origin is None:
            return "a node without an origin"
        return f"{self.origin} ({self.state or 'no State'})"

    def as_dict(self) -> dict[str, str | None]:
        return {"origin": self.origin, "state": self.state}


# --- creating -------------------------------------------------------------------------------


def create_backup(
    node: Node,
    out: Path,
    passphrase: bytes | None,
    *,
    recipients: Sequence[PublicKey] = (),
    progress: Progress | None = None,
    log_n: int | None = None,
) -> dict[str, Any]:
    """Write a backup of ``node`` to ``out`` (made whole or not at all; an existing file is not
    overwritten) and return what it holds."""
    try:
        opener = _Opener(passphrase, tuple(recipients), log_n or SCRYPT_LOG_N)
        return _write_backup(node, out, opener, progress or _Silent())
    except OSError as exc:
        raise InputError(
            f"cannot back up to {out}: {exc.strerror or exc}; nothing was written"
        ) from exc


def _write_backup(node: Node, out: Path, opener: _Opener, shown: Progress) -> dict[str, Any]:
    secrets = _home_secrets(node)
    with tempfile.TemporaryDirectory(prefix=".hanoix-backup-", dir=out.parent) as work:
        shown.stage("copying the database", None)
        snapshot = take_snapshot(node.engine, Path(work))
        header = {
            "created": node.clock.now().isoformat(),
            "hanoix": hanoix.__version__,
            "node": _identity(node).as_dict(),
            "database": snapshot.kind,
            "schema": snapshot.revision,
            "packages": len(snapshot.blob_keys),
        }
        with atomic_file(out) as stream:
            writer = ArchiveWriter(
                stream,
                header,
                opener.passphrase,
                recipients=opener.recipients,
                log_n=opener.log_n,
            )
            writer.add_secrets(secrets)
            size = snapshot.path.stat().st_size
            shown.stage("database", size)
            writer.add_file(snapshot.member, snapshot.path, shown.advance)
            shown.stage(f"{len(snapshot.blob_keys)} evidence packages", snapshot.blob_bytes)
            for key in snapshot.blob_keys:
                _add_blob(node, writer, key, shown)
            members = writer.finish()
    return {
        "path": str(out),
        "size": out.stat().st_size,
        "created": header["created"],
        "node": header["node"],
        "database": snapshot.kind,
        "schema": snapshot.revision,
        "packages": len(snapshot.blob_keys),
        "members": len(members) + 1,
        "key_files": sum(1 for s in secrets if s.name.startswith("keys/")),
    }


def _home_secrets(node: Node) -> list[SecretFile]:
    home = node.settings.home
    found: list[SecretFile] = []
    for name in CONFIG_FILES:
        path = config_file(home) if name == CONFIG_FILE_NAME else home / name
        if path.is_file():
            found.append(SecretFile(f"config/{name}", path.read_bytes(), path.stat().st_mode))
    keys = node.settings.keys_dir
    if keys.is_dir():
        for path in sorted(keys.rglob("*")):
            if path.is_file():
                name = "keys/" + path.relative_to(keys).as_posix()
                found.append(SecretFile(name, path.read_bytes(), path.stat().st_mode))
    return found


def _add_blob(node: Node, writer: ArchiveWriter, key: str, shown: Progress) -> None:
    member = "blobs/sha256/" + check_key(key)
    try:
        handle = node.blobs.get(key)
    except HanoixError as exc:
        raise ConfigurationError(
            f"the evidence package {key}, named by the database, is missing from the blob "
            f"store ({exc.message}); nothing was written: check the store, then back up again"
        ) from exc
    with handle:
        # Both stores hand back a file (the object store's is a local copy): its size is known.
        size = os.fstat(handle.fileno()).st_size
        writer.add_stream(member, handle, size, shown.advance)


# --- checking -------------------------------------------------------------------------------


def _summary(path: Path, found: ReadBackup) -> dict[str, Any]:
    header = found.header
    return {
        "path": str(path),
        "ok": True,
        "authenticated": found.authenticated,
        "created": header.get("created"),
        "hanoix": header.get("hanoix"),
        "node": header.get("node"),
        "database": header.get("database"),
        "schema": header.get("schema"),
        "packages": sum(1 for m in found.members if str(m["name"]).startswith("blobs/")),
        "members": len(found.members) + 1,
        "bytes": found.data_bytes,
    }


def verify_backup(
    path: Path,
    passphrase: bytes | None,
    *,
    key: DecryptionKey | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Check the backup at ``path`` without restoring it (see
    :func:`~hanoix.store.backup_archive.read_backup`); raises :class:`BackupError`."""
    shown = progress or _Silent()
    shown.stage("checking", _size(path))
    found = read_backup(path, passphrase, key=key, on_bytes=shown.advance)
    return _summary(path, found)


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def _identity(node: Node) -> NodeIdentity:
    """The node by its configured origin, else by the origin its custody ledger took when it
    was first used (a node set up without ``--origin`` still has a lasting name there)."""
    origin = node.settings.origin
    if not origin:
        with node.reading() as session:
            origin = get_meta(session, ORIGIN_META_KEY)
    return NodeIdentity(origin, node.settings.state)


# --- restoring ------------------------------------------------------------------------------


def home_identity(home: Path, environ: dict[str, str]) -> NodeIdentity | None:
    """The node whose configuration ``home`` holds; ``None`` when it names none readably."""
    if not (home / CONFIG_FILE_NAME).is_file():
        return None
    try:
        settings = load_settings(home, environ=environ)
    except HanoixError:
        return None
    return NodeIdentity(settings.origin, settings.state)


def _refuse_live_home(home: Path, backup_of: NodeIdentity, environ: dict[str, str]) -> None:
    if not home.exists():
        return
    if not home.is_dir():
        raise ConflictError(f"{home} is a file, not a folder; restore into an empty folder")
    if not any(home.iterdir()):
        return
    there = home_identity(home, environ)
    if there is not None and there != backup_of:
        raise ConflictError(
            f"{home} holds the node {there.describe()}, but this backup is of "
            f"{backup_of.describe()}: a restore never writes over another node's home; "
            "nothing was changed. Restore into an empty folder"
        )
    raise ConflictError(
        f"{home} is not empty; a restore writes only into an empty or new folder, and "
        "nothing was changed. Move the old home aside (keep it until the restored node runs), "
        "then restore again"
    )


def restore_backup(
    path: Path,
    home: Path,
    passphrase: bytes | None,
    *,
    key: DecryptionKey | None = None,
    environ: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Bring the node of the backup at ``path`` back into ``home`` (empty or new). The
    database goes where the restored configuration (or ``environ``) says: the home's SQLite
    file, or an empty PostgreSQL database."""
    env = {
        k: v
        for k, v in (os.environ if environ is None else environ).items()
        if k not in {"HANOIX_HOME", "HANOIX_CONFIG"}
    }
    if passphrase is None and key is None:
        raise InputError("a restore needs the backup's passphrase or a recipient's key")
    shown = progress or _Silent()
    home = home.absolute()
    identity: list[NodeIdentity] = []

    def check_home(header: dict[str, Any]) -> None:
        node = header.get("node") or {}
        identity.append(NodeIdentity(node.get("origin"), node.get("state")))
        _refuse_live_home(home, identity[0], env)
        schema = header.get("schema")
        if schema is not None and schema not in migrate.known_revisions():
            raise ConfigurationError(
                f"the backup's database is at schema {schema}, which this version of hanoix, "
                f"{hanoix.__version__}, does not know: restore it with the version that made "
                f"it, {header.get('hanoix')}, or a newer one"
            )

    try:
        home.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{home.name}.restoring-", dir=home.parent))
    except OSError as exc:
        raise InputError(f"cannot restore into {home}: {exc.strerror or exc}") from exc
    try:
        work = staging / _RESTORE_WORK
        work.mkdir()
        staged_blobs = FileBlobStore(staging / "blobs")
        database: dict[str, Path] = {}

        def take(name: str, size: int, stream: BinaryIO) -> None:
            if name.startswith("database/"):
                target = work / Path(name).name
                with target.open("wb") as handle:
                    shutil.copyfileobj(stream, handle, 1024 * 1024)
                database[name] = target
            elif name.startswith("blobs/sha256/"):
                key = staged_blobs.put(stream)
                if key != "sha256:" + name.rsplit("/", 1)[1]:
                    raise BackupError(f"{path}: {name} does not hash to its name; it was altered")

        shown.stage("reading the backup", _size(path))
        found = read_backup(
            path, passphrase, take, key=key, on_header=check_home, on_bytes=shown.advance
        )
        _write_secrets(staging, found.secrets)
        settings = load_settings(staging, environ=env)
        kind = str(found.header.get("database"))
        if len(database) != 1:
            raise BackupError(f"{path} holds {len(database)} databases, not one")
        shown.stage("restoring the database", None)
        engine = make_engine(settings.effective_database_url)
        try:
            restore_snapshot(kind, next(iter(database.values())), engine)
        finally:
            engine.dispose()
        restarted = _restart_transfers(settings)
        _place_blobs(staging, settings.blob_url, settings.effective_blob_dir, staged_blobs)
        shutil.rmtree(work)
        _refuse_live_home(home, identity[0], env)  # nothing appeared meanwhile
        if home.exists():
            home.rmdir()
        staging.rename(home)
        fsync_dir(home.parent)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        raise InputError(
            f"cannot restore into {home}: {exc.strerror or exc}; nothing was restored"
        ) from exc
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    summary = _summary(path, found)
    summary.pop("path")
    current = summary.get("schema") == migrate.HEAD_REVISION
    summary.update(
        {
            "backup": str(path),
            "home": str(home),
            "transfers_restarted": restarted,
            "schema_current": current,
            "next": "start the node: hanoix serve"
            if current
            else f"upgrade the schema first: hanoix --home {home} init",
        }
    )
    return summary


def _restart_transfers(settings: Settings) -> int:
    """Half-received packages start over: their staged chunks are not in a backup, and the
    sender asks where to resume from (see :mod:`hanoix.services.federation.transfers`)."""
    from hanoix.store import federation as federation_store

    node = Node.open(settings)
    try:
        with node.unit_of_work() as session:
            return federation_store.restart_incoming_transfers(session, node.clock.now())
    finally:
        node.close()


def _write_secrets(staging: Path, secrets: list[SecretFile]) -> None:
    for secret in secrets:
        top, _, rest = secret.name.partition("/")
        target = staging / rest if top == "config" else staging / "keys" / rest
        if top not in {"config", "keys"}:
            raise InputError(f"the backup's secrets hold {secret.name}, which is not a home file")
        private = top == "keys" and not target.name.endswith((".pub", ".crt"))
        mode = 0o600 if private else secret.mode & 0o644
        folder_mode = 0o700 if top == "keys" else 0o755
        for parent in reversed(target.relative_to(staging).parents[:-1]):
            (staging / parent).mkdir(mode=folder_mode, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(secret.data)
            handle.flush()
            os.fsync(handle.fileno())


def _place_blobs(
    staging: Path, blob_url: str | None, blob_dir: Path, staged: FileBlobStore
) -> None:
    """The packages staged in ``staging/blobs``: there they stay when that is the restored
    node's blob folder; else they are put into the store it names (idempotent: the same
    package is stored once)."""
    if blob_url is None and blob_dir.absolute() == staged.root.absolute():
        return
    store = open_blob_store(blob_url, blob_dir)
    root = staged.root / "sha256"
    if root.is_dir():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                with path.open("rb") as handle:
                    store.put(handle)
    shutil.rmtree(staged.root, ignore_errors=True)
