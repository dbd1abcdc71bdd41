"""Removal cases and matching by hash: the use cases (docs/content.md).

Each use case is one unit of work. Content is hashed here, as it arrives, and only the hashes
and the case's facts are stored: the bytes are dropped when the call returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy.orm import Session

from hanoix.content import cases as rules
from hanoix.content.cases import HashEntry, MatchPolicy, MatchResult, RemovalCase
from hanoix.content.signals import MD5, SHA256, VPDQ, ContentHashes, hash_content
from hanoix.errors import InputError, Problem
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.requests import User
from hanoix.services import content_notices as notices
from hanoix.services import custody
from hanoix.services.content_notices import Reupload
from hanoix.services.node import Node
from hanoix.store import content as store


def node_policy(node: Node) -> MatchPolicy:
    """The node's thresholds for PDQ and vPDQ matching (settings ``content_pdq_distance``,
    ``content_pdq_quality`` and the ``content_vpdq_...`` four)."""
    settings = node.settings
    return MatchPolicy(
        pdq_distance=settings.content_pdq_distance,
        pdq_quality=settings.content_pdq_quality,
        vpdq_distance=settings.content_vpdq_distance,
        vpdq_quality=settings.content_vpdq_quality,
        vpdq_query_percent=settings.content_vpdq_query_percent,
        vpdq_compared_percent=settings.content_vpdq_compared_percent,
    )


def hash_file(data: bytes, *, crops: bool = False) -> ContentHashes:
    """Every signal of ``data``: its digests, PDQ for a picture (with its cropped windows'
    hashes if ``crops``: a picture being listed), vPDQ for a video (computed in a process of its
    own: hanoix/services/video.py). Nothing of it is written anywhere."""
    from hanoix.content.video import may_be_video
    from hanoix.services import video

    hashes = hash_content(data, crops=crops)
    if hashes.pdq is not None or not may_be_video(data):
        return hashes  # a picture, or neither picture nor video (a damaged JPEG keeps its note)
    frames, note = video.hash_video(data)
    if frames is None:
        return replace(hashes, note=note)
    return replace(hashes, vpdq=frames, media="video", note=None)


#: The list a node's own cases put their hashes in (imported lists keep their origin's name).
LOCAL_LIST = "local"


def open_case(
    node: Node, user: User, *, article: int, victim_ref: str, consent: Iterable[str]
) -> RemovalCase:
    """Open a removal case for ``user``'s authority."""
    authority = rules.authority_of_case_worker(user)
    checked = rules.new_case(article, victim_ref, consent)
    with node.unit_of_work() as session:
        case = store.insert_case(
            session, checked, authority=authority, opened_by=user.id, at=node.clock.now()
        )
        # The victim's reference stays out of the ledger, which is kept for ever and read by
        # auditors and courts: the case's reference ties the entry to it on this node only.
        _record(
            node,
            session,
            EventKind.CONTENT_CASE_OPENED,
            user,
            case,
            {"article": int(case.article), "consent": sorted(case.consent)},
        )
        return case


def _record(
    node: Node,
    session: Session,
    kind: EventKind,
    user: User,
    case: RemovalCase,
    details: dict[str, Any],
) -> None:
    """Append a custody event about ``case`` in the caller's unit of work."""
    event = CustodyEvent(
        kind=kind,
        actor=user.id,
        authority=case.authority,
        at=node.clock.now(),
        subject={"content_case": case.reference},
        details=details,
    )
    custody.record(session, event, clock=node.clock)


def show_case(node: Node, user: User, reference: str) -> RemovalCase:
    authority = rules.authority_of_case_worker(user)
    with node.reading() as session:
        return rules.visible_case(
            store.find_case(session, rules.case_number(reference)), reference, authority
        )


@dataclass(frozen=True)
class Added:
    """What adding one file to a case listed: its hashes, how many entries were new, a note."""

    name: str
    sha256: str
    pdq: str | None
    listed: int
    note: str | None
    vpdq: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "sha256": self.sha256,
            "pdq": self.pdq,
            "vpdq": self.vpdq,
            "listed": self.listed,
            "note": self.note,
        }


def add_content(
    node: Node,
    user: User,
    reference: str,
    files: Sequence[tuple[str, bytes]],
    policy: MatchPolicy | None = None,
) -> list[Added]:
    """List each file's hashes in case ``reference``: never the file itself."""
    authority = rules.authority_of_case_worker(user)
    number = rules.case_number(reference)
    policy = policy or node_policy(node)
    # Hashed before the transaction: decoding pictures and videos holds no lock.
    hashed = [(name, hash_file(data, crops=True)) for name, data in files]
    added: list[Added] = []
    with node.unit_of_work() as session:
        case = rules.visible_case(store.find_case(session, number), reference, authority)
        for name, hashes in hashed:
            entries, note = rules.entries_of(case.reference, LOCAL_LIST, hashes, policy)
            listed = store.add_entries(session, number, entries, node.clock.now())
            pdq = next((e.value for e in entries if e.signal == "pdq"), None)
            vpdq = None
            if hashes.vpdq is not None and any(e.signal == VPDQ for e in entries):
                vpdq = {"digest": hashes.vpdq.digest, "frames": len(hashes.vpdq.frames)}
            added.append(Added(name, hashes.sha256, pdq, listed, note, vpdq))
            if listed:
                details = {"sha256": hashes.sha256, "signals": listed}
                _record(node, session, EventKind.CONTENT_LISTED, user, case, details)
    return added


def match(
    node: Node,
    user: User,
    files: Sequence[tuple[str, bytes]],
    policy: MatchPolicy | None = None,
) -> list[MatchResult]:
    """Match each file against every list the node holds (see :func:`match_and_reopen`)."""
    return match_and_reopen(node, user, files, policy).results


@dataclass(frozen=True)
class Matched:
    """What matching found, and the removal notices it reopened as re-uploads."""

    results: list[MatchResult]
    reopened: list[Reupload]


def match_and_reopen(
    node: Node,
    user: User,
    files: Sequence[tuple[str, bytes]],
    policy: MatchPolicy | None = None,
) -> Matched:
    """Match each file against every list the node holds; a match of a case whose content was
    removed reopens its notices as a re-upload (docs/content.md)."""
    results = _match(node, user, files, policy)
    return Matched(results, notices.reopen_reuploads(node, user, results))


def _match(
    node: Node,
    user: User,
    files: Sequence[tuple[str, bytes]],
    policy: MatchPolicy | None,
) -> list[MatchResult]:
    rules.check_matcher(user)
    policy = policy or node_policy(node)
    hashed = [(name, hash_file(data)) for name, data in files]
    results: list[MatchResult] = []
    with node.reading() as session:
        if any(h.pdq for _, h in hashed):
            node.listed_pdq.refresh(session, policy.pdq_distance)
        if any(h.vpdq for _, h in hashed):
            node.listed_videos.refresh(session, policy)
        for name, hashes in hashed:
            exact = store.exact_entries(session, [(SHA256, hashes.sha256), (MD5, hashes.md5)])
            near = node.listed_pdq.near(hashes) if hashes.pdq else []
            # Only the listed videos the index finds near are compared frame by frame.
            videos = node.listed_videos.near(hashes) if hashes.vpdq else []
            results.append(rules.match(name, hashes, exact, near, policy, videos))
    return results


class ListedPdq:
    """The node's listed PDQ hashes and their index (:class:`PdqIndex`), for this process.

    Each match first asks the database whether the lists changed (one aggregate query): new
    rows are added to the index, and anything else (a row removed, another radius) rebuilds
    it. The index only finds the candidates; :func:`hanoix.content.cases.match` measures each
    and applies the quality threshold, as it did when it compared with every hash."""

    def __init__(self) -> None:
        # faiss loads here, at a process's first match, not with the API.
        from hanoix.content.index import PdqIndex

        self._new_index = PdqIndex
        self._lock = threading.Lock()
        self._generation: tuple[int, int, tuple[int, ...]] = (0, 0, (0, 0, 0, 0))
        self._entries: list[HashEntry] = []
        # The entry each position of the index stands for: an entry's own hash and its cropped
        # windows' take one position each.
        self._owners: list[int] = []
        self._index = PdqIndex(MatchPolicy().pdq_distance)

    def refresh(self, session: Session, radius: int) -> None:
        generation = store.pdq_generation(session)
        with self._lock:
            if generation == self._generation and radius == self._index.radius:
                return
            count, highest, imported = self._generation
            # This node's new rows are appended; anything else (a withdrawal, an imported list
            # changed, another radius) rebuilds, imported entries after the node's own.
            rebuild = (
                radius != self._index.radius or generation[0] < count or generation[2] != imported
            )
            added = [] if rebuild else store.pdq_entries_after(session, highest)
            if not rebuild and count + len(added) != generation[0]:
                rebuild = True  # rows withdrawn as others came: start over
            extra: list[HashEntry] = []
            if rebuild:
                count, highest = 0, 0
                added = store.pdq_entries_after(session, 0)
                extra = store.imported_pdq_entries(session)
                self._entries, self._owners = [], []
                self._index = self._new_index(radius)
            # Entries before the index: a match reading both meanwhile finds no position
            # that its lists do not have yet.
            entries = [entry for _, entry in added] + extra
            first = len(self._entries)
            self._entries.extend(entries)
            values: list[str] = []
            for number, entry in enumerate(entries, start=first):
                hashes = entry.pdq_values()
                values.extend(hashes)
                self._owners.extend([number] * len(hashes))
            self._index.add(values)
            self._generation = (
                count + len(added),
                added[-1][0] if added else highest,
                generation[2] if rebuild else imported,
            )

    def near(self, hashes: ContentHashes) -> list[HashEntry]:
        """The listed entries within the radius of ``hashes``'s PDQ hash or of one of its
        rotations and mirror images."""
        assert hashes.pdq is not None
        with self._lock:
            entries, owners, index = self._entries, self._owners, self._index
        found = index.within([hashes.pdq.value, *hashes.pdq.variants])
        return [entries[number] for number in sorted({owners[p] for p in found})]


class ListedVideos:
    """The node's listed videos (its cases' and the imported lists') and the index of their
    frames (:class:`~hanoix.content.index.VideoIndex`), for this process.

    Each match of a video asks the database whether the listed videos changed (one aggregate
    query); any change, or other thresholds, rebuilds the index. The index only names the
    candidates; :func:`hanoix.content.cases.match` compares each by the vPDQ rule, as it did
    when every listed video was compared."""

    def __init__(self) -> None:
        from hanoix.content.index import VideoIndex

        self._new_index = VideoIndex
        self._lock = threading.Lock()
        self._generation: tuple[int, ...] | None = None
        self._entries: list[HashEntry] = []
        self._index = VideoIndex(MatchPolicy().vpdq_distance, MatchPolicy().vpdq_quality)

    def refresh(self, session: Session, policy: MatchPolicy) -> None:
        generation = store.video_generation(session)
        with self._lock:
            if (
                generation == self._generation
                and policy.vpdq_distance == self._index.radius
                and policy.vpdq_quality == self._index.quality
            ):
                return
            entries = store.video_entries(session)
            index = self._new_index(policy.vpdq_distance, policy.vpdq_quality)
            index.add([entry.frames for entry in entries])
            self._entries, self._index, self._generation = entries, index, generation

    def near(self, hashes: ContentHashes) -> list[HashEntry]:
        """The listed videos with a frame near one of ``hashes``'s video frames."""
        assert hashes.vpdq is not None
        with self._lock:
            entries, index = self._entries, self._index
        return [entries[number] for number in index.candidates(hashes.vpdq.frames)]


def add_files(
    node: Node,
    user: User,
    reference: str,
    files: Sequence[tuple[str, bytes]],
    *,
    preserve: bool = False,
    consent: Iterable[str] = (),
    ask: Callable[[], bytes] | None = None,
) -> list[dict[str, Any]]:
    """Add files to case ``reference`` as the CLI, the API and the case page do: their hashes
    listed, and with ``preserve`` each also sealed into an evidence package for the case
    (refused unless the victim's consent to preservation is recorded on the case or given in
    ``consent``). Each file's answer is :meth:`Added.as_dict`, with its ``package_id`` when
    sealed."""
    if not files:
        message = "no file to add: choose one or more files"
        raise InputError(message, problems=[Problem(message, field="files")])
    preserved: list[str] = []
    if preserve:
        # Sealed first: a failure leaves nothing listed, and a sealed package is kept only
        # with its custody event.
        sealed = notices.preserve(node, user, reference, files, consent=consent, ask=ask)
        preserved = [item.package_id for item in sealed]
    results = [item.as_dict() for item in add_content(node, user, reference, files)]
    for item, package_id in zip(results, preserved, strict=False):
        item["package_id"] = package_id
    return results
