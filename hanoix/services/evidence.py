"""Evidence packages on a real file system, and their custody events on a node.

The pure core (:mod:`hanoix.evidence`) works on streams; this adapter walks folders into
sources, writes packages atomically, opens packages into a staging folder that is renamed into
place only once every check has passed, reads key files, and, when a node is given, records
each operation as a custody event in the same unit of work.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, cast

from hanoix.clock import Clock
from hanoix.errors import Problem
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.errors import (
    OutputError,
    PackageVerificationError,
    SourceError,
)
from hanoix.evidence.format import DEFAULT_CHUNK_SIZE
from hanoix.evidence.keys import DecryptionKey, PublicKey, SigningKey
from hanoix.evidence.manifest import FileEntry
from hanoix.evidence.open import OpenedPackage, open_package
from hanoix.evidence.seal import SealedPackage, seal
from hanoix.evidence.streams import Readable, Source, WritableFile
from hanoix.evidence.verify import PackageReport, VerifiedPackage, verify
from hanoix.store import leased
from hanoix.store.files import StreamingWriter, atomic_file, fsync_dir
from hanoix.store.keys import KeyStore, NewKeyFile

# The loaders of key files a user names, kept in the KeyStore's module with its passphrase rule;
# the commands reach them here.
from hanoix.store.keys import key_is_protected as key_is_protected
from hanoix.store.keys import load_decryption_key as load_decryption_key
from hanoix.store.keys import load_public_key as load_public_key
from hanoix.store.keys import load_signing_key as load_signing_key

if TYPE_CHECKING:
    # The node (SQLAlchemy, Alembic) and the ledger are loaded only when a node is given:
    # standalone, `hanoix evidence pack` starts without them.
    from hanoix.ledger.events import CustodyEvent
    from hanoix.services.node import Node

# The custody events of packages, by their EventKind value.
PackageEvent = Literal["package.sealed", "package.sent", "package.verified", "package.opened"]

Progress = Callable[[int], None]


# --- keys -----------------------------------------------------------------------------------


def write_key_set(
    out_dir: Path,
    *,
    authority: str | None,
    state: str | None,
    passphrase: bytes | None,
) -> dict[str, Any]:
    """Create DIR/{signing,encryption}.{key,pub}; private files 0600; refuse to overwrite."""
    signing, encryption = keyfiles.generate(authority, state)
    files: list[NewKeyFile] = []
    for stem, private in (("signing", signing), ("encryption", encryption)):
        secret = keyfiles.dump_private(private, passphrase).encode("utf-8")
        files.append(NewKeyFile(f"{stem}.key", secret, private=True))
        public = keyfiles.dump_public(private.public).encode("utf-8")
        files.append(NewKeyFile(f"{stem}.pub", public, private=False))
    KeyStore(out_dir).write_set(files)
    return {
        "directory": str(out_dir),
        "signing_key_id": signing.public.key_id,
        "encryption_key_id": encryption.public.key_id,
        "authority": authority,
        "state": state,
        "protected": passphrase is not None,
        "files": [str(out_dir / f.name) for f in files],
    }


# --- sources --------------------------------------------------------------------------------


def _modified(info: os.stat_result) -> datetime:
    return datetime.fromtimestamp(info.st_mtime_ns / 1e9, UTC)


def _open_source(path: Path) -> Readable:
    return cast(Readable, leased.open_for_reading(path))


def _source(path: Path, name: str) -> Source:
    try:
        info = path.lstat()
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
    if stat.S_ISLNK(info.st_mode):
        raise SourceError(f"{path} is a symbolic link; seal the file it points to, not the link")
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(f"{path} is not a regular file (a device, socket or pipe)")
    # Open once now, so an unreadable file stops the command before any output is written.
    try:
        os.close(os.open(path, os.O_RDONLY))
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
    return Source(name, lambda: _open_source(path), _modified(info), info.st_size)


def collect_sources(paths: Sequence[Path]) -> list[Source]:
    """Files to seal, in a stable order: each PATH in turn; a folder's files sorted by path,
    named ``FOLDER/relative/path`` (the folder's own name first)."""
    if not paths:
        raise SourceError("give at least one file or folder to seal")
    leased.prepare()
    sources: list[Source] = []
    for given in paths:
        path = Path(given)
        try:
            info = path.lstat()
        except FileNotFoundError as exc:
            raise SourceError(f"{path}: no such file or folder") from exc
        except OSError as exc:
            raise SourceError(f"cannot read {path}: {exc.strerror}") from exc
        top = path.resolve().name or "root"
        if not stat.S_ISDIR(info.st_mode):
            sources.append(_source(path, top))
            continue

        def refuse(error: OSError) -> None:
            raise SourceError(f"cannot read folder {error.filename}: {error.strerror}") from error

        found: list[tuple[str, Path]] = []
        for folder, dirs, names in os.walk(path, onerror=refuse):
            dirs.sort()
            for dirname in dirs:
                if (Path(folder) / dirname).is_symlink():
                    raise SourceError(
                        f"{Path(folder) / dirname} is a symbolic link; "
                        "seal the folder it points to, not the link"
                    )
            for name in names:
                full = Path(folder) / name
                found.append(((Path(top) / full.relative_to(path)).as_posix(), full))
        for name, full in sorted(found):
            sources.append(_source(full, name))
    return sources


# --- seal, verify, open ---------------------------------------------------------------------


@dataclass(frozen=True)
class Actor:
    """Who runs an operation, for custody events: a person and the authority they act for."""

    name: str
    authority: str


def _record(
    node: Node | None,
    kind: PackageEvent,
    actor: Actor,
    package_id: str,
    details: dict[str, Any],
) -> None:
    if node is None:
        return
    from hanoix.ledger.events import CustodyEvent, EventKind
    from hanoix.services import custody

    event = CustodyEvent(
        kind=EventKind(kind),
        actor=actor.name,
        authority=actor.authority,
        at=node.clock.now(),
        subject={"package": package_id},
        details=details,
    )
    with node.unit_of_work() as session:
        custody.record(session, event, clock=node.clock)


def seal_files(
    sources: Sequence[Source],
    out: Path,
    *,
    signer: SigningKey,
    recipients: Sequence[PublicKey],
    clock: Clock,
    request: str | None = None,
    note: str | None = None,
    examiner: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Progress | None = None,
    node: Node | None = None,
    actor: Actor | None = None,
) -> SealedPackage:
    """Seal ``sources`` (see :func:`collect_sources`) into ``out``, written atomically."""
    with atomic_file(out) as handle:
        sealed = seal(
            sources,
            handle,
            signer=signer,
            recipients=recipients,
            clock=clock,
            request=request,
            note=note,
            examiner=examiner,
            chunk_size=chunk_size,
            progress=progress,
        )
    if node is not None:
        who = actor or Actor("hanoix", signer.authority or signer.public.key_id)
        _record(
            node,
            "package.sealed",
            who,
            sealed.package_id,
            {
                "request": sealed.header.request,
                "files": sealed.summary.files,
                "bytes": sealed.summary.plaintext_bytes,
                "signer": signer.public.key_id,
                "recipients": [r.key_id for r in recipients],
            },
        )
    return sealed


def _open_package_file(path: Path) -> BinaryIO:
    leased.prepare()
    try:
        return cast(BinaryIO, leased.open_for_reading(path))
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: no such package file") from exc
    except IsADirectoryError as exc:
        raise SourceError(f"{path} is a folder, not a package file") from exc
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror}") from exc


def verify_file(
    path: Path,
    *,
    sender: PublicKey | None = None,
    progress: Progress | None = None,
    node: Node | None = None,
    actor: Actor | None = None,
) -> VerifiedPackage:
    """Verify a package file. With a node, the verification is recorded whatever its outcome
    (``details.verified`` says which), as long as the package could be identified."""
    with _open_package_file(path) as handle:
        return verify_stream(handle, sender=sender, progress=progress, node=node, actor=actor)


def verify_stream(
    handle: BinaryIO,
    *,
    sender: PublicKey | None = None,
    progress: Progress | None = None,
    node: Node | None = None,
    actor: Actor | None = None,
) -> VerifiedPackage:
    """Verify a package read from ``handle`` (a file, a blob), recorded as
    :func:`verify_file` records it."""
    try:
        verified = verify(handle, sender=sender, progress=progress)
    except PackageVerificationError as failure:
        report = failure.report
        if node is not None and report is not None and report.package_id is not None:
            _record_verification(node, actor, report, failure.problems)
        raise
    if node is not None:
        _record_verification(node, actor, verified.report, ())
    return verified


def _record_verification(
    node: Node, actor: Actor | None, report: PackageReport, problems: Sequence[Problem]
) -> None:
    assert report.package_id is not None
    _record(
        node,
        "package.verified",
        actor or Actor("hanoix", node.settings.origin or node.settings.state or "local"),
        report.package_id,
        {
            "verified": not problems,
            "problems": [p.message for p in problems],
            "signer": report.signer.key_id if report.signer else None,
        },
    )


def package_events(node: Node, package_id: str) -> list[CustodyEvent]:
    """The custody events this node's ledger holds about one package, in log order."""
    from hanoix.ledger.events import CustodyEvent
    from hanoix.services.custody import CustodyLedger

    return [
        CustodyEvent.from_dict(json.loads(entry.entry))
        for entry in CustodyLedger(node).history("package", package_id)
    ]


class _StagedFile:
    """An opened file being written into the staging folder; complete and fsynced on close."""

    def __init__(self, writer: StreamingWriter) -> None:
        self._writer = writer

    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        return self._writer.write(data)

    def close(self) -> None:
        try:
            self._writer.finish()
        finally:
            self._writer.close()


_FOLDER_FLAGS = os.O_RDONLY | os.O_DIRECTORY | getattr(os, "O_CLOEXEC", 0)


class _FolderWalk:
    """The target folder, walked one component at a time from its own descriptor.

    No symbolic link below the target folder is ever followed: a folder already there that
    is a link (say ``case`` -> ``/etc``) is refused, not written through, because each
    component is opened with ``O_NOFOLLOW`` relative to the one before it, and files are
    linked in by name relative to their folder's descriptor. Descriptors of the folders
    walked are kept, so that each can be fsynced once and closed.
    """

    def __init__(self, target: Path) -> None:
        self.target = target
        self._fds: dict[str, int] = {}

    def __enter__(self) -> _FolderWalk:
        return self

    def __exit__(self, *exc: object) -> None:
        for fd in self._fds.values():
            with contextlib.suppress(OSError):
                os.close(fd)
        self._fds.clear()

    def folder(self, relative: str, *, create: bool) -> int | None:
        """The descriptor of ``relative`` (``""`` is the target), or None when it does not
        exist and ``create`` is false. A component that is a link or a file is refused."""
        if relative in self._fds:
            return self._fds[relative]
        if not relative:
            try:
                fd = os.open(self.target, _FOLDER_FLAGS)
            except FileNotFoundError:
                return None
            except NotADirectoryError as exc:
                raise OutputError(f"{self.target} exists and is not a folder") from exc
        else:
            head, _, name = relative.rpartition("/")
            parent = self.folder(head, create=create)
            if parent is None:
                return None
            fd_or_none = self._open_child(parent, name, relative, create=create)
            if fd_or_none is None:
                return None
            fd = fd_or_none
        self._fds[relative] = fd
        return fd

    def _open_child(self, parent: int, name: str, relative: str, *, create: bool) -> int | None:
        shown = self.target / relative
        for attempt in range(2):
            try:
                return os.open(name, _FOLDER_FLAGS | os.O_NOFOLLOW, dir_fd=parent)
            except FileNotFoundError:
                if not create or attempt:
                    return None
                with contextlib.suppress(FileExistsError):  # made meanwhile: opened below
                    os.mkdir(name, 0o777, dir_fd=parent)
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise OutputError(
                        f"{shown} is a symbolic link or not a folder; opened files are never "
                        "written through one: remove it or open into a new folder"
                    ) from exc
                raise
        return None

    def exists(self, path: str) -> bool:
        """Whether ``path`` names anything already (a dangling link included)."""
        head, _, name = path.rpartition("/")
        parent = self.folder(head, create=False)
        if parent is None:
            return False
        try:
            os.stat(name, dir_fd=parent, follow_symlinks=False)
        except FileNotFoundError:
            return False
        return True

    def link(self, source: Path, path: str) -> None:
        """Hard-link ``source`` as ``path`` below the target; never replaces anything."""
        head, _, name = path.rpartition("/")
        parent = self.folder(head, create=True)
        if parent is None:  # removed by someone else as it was made
            raise OutputError(f"cannot create the folder {self.target / head}")
        try:
            os.link(source, name, dst_dir_fd=parent, follow_symlinks=False)
        except FileExistsError as exc:
            raise OutputError(
                f"{self.target / path} exists already; open into a new folder"
            ) from exc

    def sync(self) -> None:
        for fd in self._fds.values():
            os.fsync(fd)


class DirectorySink:
    """Stages opened files in a hidden sibling of the target folder; ``commit`` moves them in.

    Nothing appears in the target folder until every check has passed; an existing file is
    never overwritten (checked before anything is written, and again by ``link`` on commit),
    and no symbolic link below the target folder is followed (see :class:`_FolderWalk`).
    """

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        if self.target.exists() and not self.target.is_dir():
            raise OutputError(f"{self.target} exists and is not a folder")
        parent = self.target.resolve().parent
        if not parent.is_dir():
            raise OutputError(f"cannot open into {self.target}: {parent} does not exist")
        try:
            self.staging = Path(
                tempfile.mkdtemp(prefix=f".{self.target.name}.opening-", dir=parent)
            )
        except OSError as exc:
            raise OutputError(f"cannot write into {parent}: {exc.strerror}") from exc

    def check_free(self, files: Sequence[str]) -> None:
        try:
            with _FolderWalk(self.target) as walk:
                for name in files:
                    if walk.exists(name):
                        raise OutputError(
                            f"{self.target / name} exists already; open into a new folder"
                        )
        except OSError as exc:
            raise OutputError(f"cannot read {self.target}: {exc.strerror}") from exc

    def create(self, path: str) -> WritableFile:
        self.check_free([path])  # fail before decrypting the rest, not at the very end
        staged = self.staging / path
        try:
            staged.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except OSError as exc:
            raise OutputError(f"cannot write {staged}: {exc.strerror}") from exc
        return _StagedFile(StreamingWriter(fd, staged, name=str(self.target / path)))

    def commit(self, files: Sequence[FileEntry]) -> None:
        """Move the staged files into the target folder. Each file was fsynced when it was
        closed; the folders holding them are fsynced here, before and after the move."""
        try:
            for entry in files:
                stamp = entry.modified.timestamp()
                os.utime(self.staging / entry.path, (stamp, stamp))
            folders = {(self.staging / entry.path).parent for entry in files}
            for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
                fsync_dir(folder)
            if not self.target.exists():
                self.staging.rename(self.target)
                fsync_dir(self.target.resolve().parent)
                return
            self.check_free([f.path for f in files])
            with _FolderWalk(self.target) as walk:
                for entry in files:
                    walk.link(self.staging / entry.path, entry.path)
                walk.sync()
        except OSError as exc:
            raise OutputError(f"cannot move the opened files into {self.target}: {exc}") from exc
        finally:
            self.abort()

    def abort(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def open_file(
    path: Path,
    key: DecryptionKey,
    out_dir: Path,
    *,
    sender: PublicKey | None = None,
    progress: Progress | None = None,
    node: Node | None = None,
    actor: Actor | None = None,
) -> OpenedPackage:
    """Open a package file into ``out_dir``; nothing lands there unless every check holds."""
    with _open_package_file(path) as handle:
        return open_stream(
            handle, key, out_dir, sender=sender, progress=progress, node=node, actor=actor
        )


def open_stream(
    handle: BinaryIO,
    key: DecryptionKey,
    out_dir: Path,
    *,
    sender: PublicKey | None = None,
    progress: Progress | None = None,
    node: Node | None = None,
    actor: Actor | None = None,
) -> OpenedPackage:
    """Open a package read from ``handle`` (a file, a blob) into ``out_dir``, as
    :func:`open_file` does."""
    sink = DirectorySink(out_dir)
    opened = open_package(handle, key, sink, sender=sender, progress=progress)
    if node is not None:
        who = actor or Actor("hanoix", key.authority or key.public.key_id)
        _record(
            node,
            "package.opened",
            who,
            opened.package_id,
            {"recipient": key.public.key_id, "files": len(opened.manifest.files)},
        )
    return opened


class _Discard:
    def write(self, data: bytes | bytearray | memoryview, /) -> int:
        return len(data)

    def close(self) -> None:
        pass


class _DiscardSink:
    """A sink that keeps nothing: for checks that need the digests, not the files."""

    def create(self, path: str) -> WritableFile:
        return _Discard()

    def commit(self, files: Sequence[FileEntry]) -> None:
        pass

    def abort(self) -> None:
        pass


def record_sent(node: Node, package_id: str, actor: Actor, to: Sequence[str]) -> None:
    """Record that a package left this node for ``to`` (authorities or node origins)."""
    _record(node, "package.sent", actor, package_id, {"to": list(to)})


def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    with _open_package_file(path) as handle:
        while block := handle.read(1024 * 1024):
            hasher.update(block)
    return hasher.hexdigest()


def provenance_file(
    path: Path,
    *,
    key: DecryptionKey | None = None,
    sender: PublicKey | None = None,
    node: Node | None = None,
) -> dict[str, Any]:
    """The CASE/UCO graph of a package file. The package is verified first; with a key it is
    also decrypted and every digest checked (nothing is kept) so the graph lists each file.
    With a node, the custody events its ledger holds about the package are included."""
    report: PackageReport
    manifest = None
    if key is None:
        report = verify_file(path, sender=sender).report
    else:
        # Decrypt and check every digest, keeping nothing: the graph needs the manifest only.
        with _open_package_file(path) as handle:
            opened = open_package(handle, key, _DiscardSink(), sender=sender)
        report, manifest = opened.report, opened.manifest
    assert report.package_id is not None
    events = package_events(node, report.package_id) if node is not None else []
    from hanoix.evidence.provenance import provenance_graph

    return provenance_graph(
        report,
        package_name=Path(path).name,
        package_sha256=file_sha256(path),
        manifest=manifest,
        events=events,
    )
