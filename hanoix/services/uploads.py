"""Files uploaded through the web pages to seal into a package for a request.

An upload is created with its name and size, then its bytes arrive in ranges, each starting
where the node holds the file up to (the offset is the staged file's length on disk, so an
upload cut off anywhere resumes from what really arrived). Staged files live in the node's
home next to incoming transfers, belong to one user and one request, are bounded by the
node's ``evidence_upload_max_bytes``, and are removed once sealed, or after
``evidence_upload_expiry_hours``. They are known outside by an opaque id only: their names
stay in a metadata file beside them, never in a URL or a log line.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

from hanoix.errors import ConflictError, InputError, NotFoundError, StorageFullError
from hanoix.evidence.manifest import layout_problem, path_problem
from hanoix.evidence.streams import Readable, Source
from hanoix.logs import get_logger
from hanoix.requests import User
from hanoix.services import exchange
from hanoix.services.evidence import Actor, load_signing_key, seal_files
from hanoix.services.node import Node
from hanoix.store.files import atomic_file

_log = get_logger("hanoix.uploads")

UPLOADS = Path("evidence") / "uploads"
SEALED = Path("evidence") / "sealed"
_ID = re.compile(r"[A-Za-z0-9_-]{32}")
_RANGE = re.compile(r"bytes (\d{1,19})-(\d{1,19})/(\d{1,19})")


class UploadTooLargeError(InputError):
    """More than the node accepts for one package."""

    http_status = 413


class RangeMismatchError(ConflictError):
    """A range that does not start where the node holds the file up to."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.offset = offset


@dataclass(frozen=True)
class StagedUpload:
    """One file being uploaded: whose, for which request, its name and size, and how much of
    it the node holds."""

    upload_id: str
    owner: str
    reference: str
    name: str
    size: int
    created: datetime
    received: int

    @property
    def complete(self) -> bool:
        return self.received == self.size


def uploads_dir(node: Node) -> Path:
    return node.settings.home / UPLOADS


def _paths(node: Node, upload_id: str) -> tuple[Path, Path]:
    folder = uploads_dir(node)
    return folder / f"{upload_id}.part", folder / f"{upload_id}.json"


def _load(node: Node, upload_id: str) -> StagedUpload | None:
    part, meta = _paths(node, upload_id)
    try:
        data = json.loads(meta.read_text("utf-8"))
        received = part.stat().st_size
    except (OSError, ValueError):
        return None
    return StagedUpload(
        upload_id,
        str(data["owner"]),
        str(data["reference"]),
        str(data["name"]),
        int(data["size"]),
        datetime.fromisoformat(str(data["created"])),
        received,
    )


def _all(node: Node) -> Iterator[StagedUpload]:
    try:
        metas = sorted(uploads_dir(node).glob("*.json"))
    except OSError:
        return
    for meta in metas:
        staged = _load(node, meta.stem)
        if staged is not None:
            yield staged


def _remove(node: Node, upload_id: str) -> None:
    for path in _paths(node, upload_id):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def remove_expired(node: Node) -> int:
    """Remove the uploads begun more than the node's expiry ago; returns how many."""
    limit = node.clock.now() - timedelta(hours=node.settings.evidence_upload_expiry_hours)
    gone = 0
    for staged in list(_all(node)):
        if staged.created < limit:
            _remove(node, staged.upload_id)
            gone += 1
    if gone:
        _log.info("uploads.expired", count=gone)
    return gone


def staged_for(node: Node, user: User, reference: str) -> list[StagedUpload]:
    """The user's uploads for ``reference``, oldest first."""
    mine = [s for s in _all(node) if s.owner == user.id and s.reference == reference]
    return sorted(mine, key=lambda s: (s.created, s.name))


def start(node: Node, user: User, reference: str, name: str, size: int) -> StagedUpload:
    """Begin an upload of ``name`` (``size`` bytes) for ``reference``, once the user may
    return evidence for it; refused whole, leaving nothing, when too large. The user's
    unfinished upload of the same name and size is resumed instead (its ``received`` says
    from where)."""
    exchange.check_may_return_evidence(node, user, reference)
    remove_expired(node)
    name = unicodedata.normalize("NFC", name.strip().replace("\\", "/")).lstrip("/")
    problem = path_problem(name)
    if problem:
        raise InputError(f"the file name cannot go into a package: {problem}")
    if size < 0:
        raise InputError("the file size must be zero or more bytes")
    earlier = staged_for(node, user, reference)
    for staged in earlier:
        # The same file chosen again after the page was closed mid-way: go on with it.
        if staged.name == name and staged.size == size and not staged.complete:
            return staged
    problem = layout_problem([*(s.name for s in earlier), name])
    if problem:
        raise InputError(f"the files cannot go into one package: {problem}")
    limit = node.settings.evidence_upload_max_bytes
    total = size + sum(s.size for s in earlier)
    if total > limit:
        raise UploadTooLargeError(
            f"this node accepts at most {limit:,} bytes of files for one package; with this "
            f"file there would be {total:,}: seal fewer or smaller files, or ask the node's "
            "administrator"
        )
    upload_id = secrets.token_urlsafe(24)
    folder = uploads_dir(node)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    part, meta = _paths(node, upload_id)
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    created = node.clock.now()
    record = {
        "owner": user.id,
        "reference": reference,
        "name": name,
        "size": size,
        "created": created.astimezone(UTC).isoformat(),
    }
    with atomic_file(meta) as handle:
        handle.write(json.dumps(record).encode("utf-8"))
    _log.info("uploads.started", upload=upload_id, size=size)
    return StagedUpload(upload_id, user.id, reference, name, size, created, 0)


def find(node: Node, user: User, reference: str, upload_id: str) -> StagedUpload:
    """The user's upload ``upload_id`` for ``reference``; anyone else's answers as missing."""
    staged = _load(node, upload_id) if _ID.fullmatch(upload_id) else None
    if staged is None or staged.owner != user.id or staged.reference != reference:
        raise NotFoundError("no such upload: it was sealed, removed or has expired; start again")
    return staged


def discard(node: Node, user: User, reference: str, upload_id: str) -> None:
    _remove(node, find(node, user, reference, upload_id).upload_id)


def parse_range(header: str | None, size: int) -> tuple[int, int]:
    """``Content-Range: bytes START-END/SIZE`` of an upload of ``size`` bytes: (start, end
    exclusive)."""
    found = _RANGE.fullmatch((header or "").strip())
    if found is None:
        raise InputError("send each part with a header 'Content-Range: bytes START-END/SIZE'")
    start, last, total = (int(group) for group in found.groups())
    if total != size:
        raise InputError(f"the upload was begun for {size} bytes, not {total}")
    if last < start or last >= size:
        raise InputError(f"the range {start}-{last} is not within the file's {size} bytes")
    return start, last + 1


class Receiver:
    """Writes one range of an upload, from the node's offset on; see :func:`receive`."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        self._fd = fd
        self.start = start
        self.end = end
        self.offset = start

    def write(self, data: bytes) -> None:
        if self.offset + len(data) > self.end:
            raise InputError(
                f"more bytes arrived than the range {self.start}-{self.end - 1} announces"
            )
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view)
            except OSError as exc:
                if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                    raise StorageFullError(
                        "the node's disk is full: the upload keeps what arrived and resumes "
                        "once there is room again"
                    ) from None
                raise
            view = view[written:]
            self.offset += written


@contextlib.contextmanager
def receive(
    node: Node, user: User, reference: str, upload_id: str, start: int, end: int
) -> Iterator[Receiver]:
    """Receive bytes ``start`` to ``end`` of the user's upload. ``start`` must be the node's
    offset (else :class:`RangeMismatchError` carries it). Bytes received before the body is
    cut off stay: the next range starts after them. A range found wrong mid-way (more bytes
    than announced) leaves the file as it was before it."""
    staged = find(node, user, reference, upload_id)
    part, _ = _paths(node, staged.upload_id)
    fd = os.open(part, os.O_WRONLY | os.O_APPEND)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RangeMismatchError(
                "another part of this upload is arriving now; resume once it has ended",
                os.fstat(fd).st_size,
            ) from None
        held = os.fstat(fd).st_size
        if start != held:
            raise RangeMismatchError(
                f"the node holds this file up to byte {held}: send the part starting there",
                held,
            )
        receiver = Receiver(fd, start, end)
        try:
            yield receiver
        except InputError:
            os.ftruncate(fd, held)
            raise
    finally:
        os.close(fd)


def _opener(path: Path) -> Readable:
    handle: Readable = path.open("rb")
    return handle


def seal_and_send(
    node: Node,
    user: User,
    reference: str,
    *,
    note: str | None = None,
    passphrase: str | None = None,
) -> exchange.SentEvidence:
    """Seal the user's complete uploads for ``reference`` into one package, encrypted to the
    requesting authority's key and signed with the key of the authority the user acts for,
    and send it (the services ``hanoix evidence pack`` and ``hanoix exchange send-evidence``
    use). The uploads are removed once the package has left for the outbox."""
    exchange.check_may_return_evidence(node, user, reference)
    staged = staged_for(node, user, reference)
    if not staged:
        raise InputError("upload at least one file to seal")
    waiting = [s for s in staged if not s.complete]
    if waiting:
        raise InputError(
            f"{len(waiting)} of the files have not arrived whole: resume or remove them first"
        )
    if note is not None and len(note) > exchange.MAX_NOTE:
        raise InputError(f"the note is longer than {exchange.MAX_NOTE} characters")
    recipient = exchange.requesting_authority_key(node, user, reference)
    if user.authority is None:
        raise InputError("you act for no authority: no key of yours can sign a package")
    authority = user.authority.code
    key_file = exchange.authority_keys_dir(node, authority) / "signing.key"
    if not key_file.is_file():
        raise NotFoundError(
            f"the node holds no signing key of {authority}: the administrator creates it "
            f"with 'hanoix keys new --out {exchange.AUTHORITY_KEYS / authority}' in the "
            "node's home"
        )
    secret = passphrase.encode("utf-8") if passphrase else None

    def ask() -> bytes:
        if secret is None:
            raise InputError(f"the signing key of {authority} is protected: type its passphrase")
        return secret

    signer = load_signing_key(key_file, ask=ask)
    sources = [
        Source(
            item.name, partial(_opener, _paths(node, item.upload_id)[0]), item.created, item.size
        )
        for item in staged
    ]
    folder = node.settings.home / SEALED
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    package = folder / f"{secrets.token_urlsafe(16)}.hxp"
    try:
        seal_files(
            sources,
            package,
            signer=signer,
            recipients=[recipient],
            clock=node.clock,
            request=reference,
            note=note or None,
            node=node,
            actor=Actor(user.id, authority),
        )
        sent = exchange.send_evidence(node, user, reference, package)
    finally:
        # The outbox keeps its own copy in the blob store; a package not sent is sealed
        # again from the uploads, which stay until it is.
        with contextlib.suppress(FileNotFoundError):
            package.unlink()
    for item in staged:
        _remove(node, item.upload_id)
    _log.info("uploads.sealed", files=len(staged), package=sent.package_id)
    return sent
