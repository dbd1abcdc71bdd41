"""Retention: erase what is due, and keep the proof that it existed (docs/retention.md).

A run finds what the node holds in each category (:mod:`hanoix.store.retention`), asks the
core which items are due (:func:`hanoix.requests.retention.due`), and erases each in a unit of
work of its own together with its ``data.erased`` custody event (category, rule, subject,
never the content) and its row in ``retention_erasures``: the erasure and its proof commit
together or not at all. Files go after the commit that records them (a folder is first moved
aside, so a failed commit puts it back); the database is compacted at the end, so that the
erased bytes leave its files too.

``hanoix retention run`` calls :func:`run`; ``hanoix serve`` calls it every
``retention_interval_minutes`` (:class:`Scheduler`).
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.logs import get_logger
from hanoix.requests import CooperationRequest
from hanoix.requests.retention import (
    Category,
    Due,
    Held,
    RetentionPolicy,
    due,
    request_items,
    without_contents,
    without_personal_data,
)
from hanoix.services import custody
from hanoix.services.node import Node
from hanoix.store import federation as federation_store
from hanoix.store import requests as request_store
from hanoix.store import retention as store
from hanoix.store.meta import get_meta, set_meta
from hanoix.store.requests import StaleVersionError

_log = get_logger("hanoix.retention")

#: Who erases: the node itself, under its policy.
ACTOR = "retention"
#: Where the web pages open evidence for their users (hanoix.web.evidence): HOME/evidence/opened.
OPENED = Path("evidence") / "opened"
_ERASING = Path("evidence") / ".erasing"
#: What an erased inbox payload keeps: the identifiers and keys the node still needs to find
#: a package received for a request, or to seal evidence to the requesting authority (a
#: public key); never the request's document, a note or a text.
KEPT_PAYLOAD_KEYS = frozenset(
    {"transfer", "package_id", "sha256", "size", "evidence_key", "action", "reference", "request"}
)
PACKAGE_MESSAGE = "evidence.package"


def node_policy(node: Node) -> RetentionPolicy:
    """The node's periods: the defaults with its ``retention`` setting applied."""
    return RetentionPolicy.parse(node.settings.retention)


@dataclass(frozen=True)
class RunReport:
    """What a run found due and did: the items (each with its rule), how many were erased,
    those skipped (with why), and how the database was compacted."""

    at: datetime
    dry_run: bool
    policy: dict[str, int]
    items: list[Due]
    erased: int = 0
    skipped: list[str] = field(default_factory=list)
    compaction: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": _stamp(self.at),
            "dry_run": self.dry_run,
            "policy": self.policy,
            "due": [item.as_dict() for item in self.items],
            "erased": self.erased,
            "skipped": self.skipped,
            "compaction": self.compaction,
        }


# --- what the node holds --------------------------------------------------------------------


def _opened_copies(home: Path) -> Iterator[Held]:
    root = home / OPENED
    try:
        references = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return
    for folder in references:
        for copy in sorted(p for p in folder.iterdir() if p.is_dir()):
            opened = datetime.fromtimestamp(copy.stat().st_mtime, UTC)
            yield Held(Category.OPENED_EVIDENCE, f"{folder.name}/{copy.name}", opened)


def _held(node: Node, session: Session, policy: RetentionPolicy, now: datetime) -> list[Held]:
    held: list[Held] = []
    personal_done = store.erased_subjects(session, Category.PERSONAL_DATA.value)
    for request in store.decided_requests(
        session,
        personal_before=now - policy.period(Category.PERSONAL_DATA),
        contents_before=now - policy.period(Category.REQUEST_CONTENTS),
        personal_category=Category.PERSONAL_DATA.value,
        contents_category=Category.REQUEST_CONTENTS.value,
    ):
        held.extend(
            item
            for item in request_items(request)
            if not (item.category is Category.PERSONAL_DATA and item.subject in personal_done)
        )
    inbox_cutoff = now - policy.period(Category.INBOX_PAYLOADS)
    held.extend(
        Held(Category.INBOX_PAYLOADS, message.envelope_id, message.received_at)
        for message in store.inbox_received_before(
            session, inbox_cutoff, Category.INBOX_PAYLOADS.value
        )
    )
    held.extend(_opened_copies(node.settings.home))
    sessions_cutoff = now - policy.period(Category.SESSIONS)
    held.extend(
        Held(Category.SESSIONS, f"{s.kind}:{s.id}", s.ended_at)
        for s in store.sessions_ended_before(session, sessions_cutoff)
    )
    # The records of reading go together, up to the latest that is due: one erasure (and one
    # custody entry) a run, not one a reading.
    count, latest = store.reads_until(session, now - policy.period(Category.ACCESS_RECORDS))
    if count and latest is not None:
        held.append(Held(Category.ACCESS_RECORDS, f"{READS_UNTIL}{_stamp(latest)}", latest))
    return held


#: The subject of the access records' erasure: the records dated up to the time that follows.
READS_UNTIL = "reads-until:"


def _stamp(at: datetime) -> str:
    return at.isoformat().replace("+00:00", "Z")


def plan(node: Node, policy: RetentionPolicy | None = None) -> list[Due]:
    """What is due for erasure now, under the node's policy (or ``policy``)."""
    policy = policy or node_policy(node)
    now = node.clock.now()
    with node.reading() as session:
        return due(_held(node, session, policy, now), policy, now)


# --- erasing --------------------------------------------------------------------------------


def _event(node: Node, item: Due, subject: dict[str, str], authority: str) -> CustodyEvent:
    return CustodyEvent(
        kind=EventKind.DATA_ERASED,
        actor=ACTOR,
        authority=authority,
        at=node.clock.now(),
        subject=subject,
        details={
            "category": item.category.value,
            "rule": item.rule,
            "article": str(item.article),
            "basis": item.basis.value,
            "due_at": _stamp(item.due_at),
        },
    )


def _record(
    node: Node,
    session: Session,
    item: Due,
    subject: dict[str, str],
    authority: str,
    also: tuple[Category, ...] = (),
) -> None:
    index = custody.record(session, _event(node, item, subject, authority), clock=node.clock)
    for category in (item.category, *also):
        store.record_erasure(
            session,
            store.Erasure(
                category.value,
                item.subject,
                item.rule,
                str(item.article),
                node.clock.now(),
                index,
            ),
        )


def _received_blobs(session: Session, reference: str) -> list[tuple[str, str]]:
    """The (transfer, blob key) of every package received for ``reference``."""
    found = []
    for row in federation_store.inbox_for_request(session, reference, PACKAGE_MESSAGE):
        transfer_id = json.loads(row.payload).get("transfer")
        transfer = federation_store.get_transfer(session, str(transfer_id)) if transfer_id else None
        if transfer is not None and transfer.blob_key is not None:
            found.append((transfer.id, transfer.blob_key))
    return found


def _erase_request(node: Node, item: Due, blobs: list[str]) -> None:
    with node.unit_of_work() as session:
        request = request_store.load(session, item.subject)
        if request is None:
            raise StaleVersionError(f"request {item.subject} is gone")
        also: tuple[Category, ...] = ()
        erased: CooperationRequest
        if item.category is Category.REQUEST_CONTENTS:
            erased = without_contents(request)
            personal = store.erased_subjects(session, Category.PERSONAL_DATA.value)
            also = () if item.subject in personal else (Category.PERSONAL_DATA,)
            for transfer_id, key in _received_blobs(session, item.subject):
                store.forget_blob(session, transfer_id)
                blobs.append(key)
        else:
            erased = without_personal_data(request)
        request_store.overwrite_contents(session, erased)
        _record(node, session, item, {"request": item.subject}, request.handled_by, also)


def _erase_payload(node: Node, item: Due) -> None:
    with node.unit_of_work() as session:
        message = federation_store.get_inbox(session, item.subject)
        if message is None:
            return
        payload = json.loads(message.payload)
        # Only the named identifiers, and only as plain values: a record under such a name
        # (a step's payload, a document) is content.
        kept = {
            k: v
            for k, v in payload.items()
            if k in KEPT_PAYLOAD_KEYS and (v is None or isinstance(v, str | int | bool))
        }
        text = json.dumps(kept, sort_keys=True, ensure_ascii=False)
        store.replace_inbox_payload(session, item.subject, text)
        _record(node, session, item, {"envelope": item.subject}, _node_authority(node))


def _erase_opened(node: Node, item: Due) -> None:
    home = node.settings.home
    reference, _, name = item.subject.partition("/")
    folder = home / OPENED / reference / name
    aside = home / _ERASING / f"{reference}-{name}"
    aside.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    folder.replace(aside)
    try:
        with node.unit_of_work() as session:
            subject = {"request": reference, "copy": name}
            _record(node, session, item, subject, _node_authority(node))
    except BaseException:
        aside.replace(folder)
        raise
    shutil.rmtree(aside)
    with contextlib.suppress(OSError):
        (home / OPENED / reference).rmdir()  # only when it held nothing else


def _erase_session(node: Node, item: Due) -> None:
    kind, _, identifier = item.subject.partition(":")
    with node.unit_of_work() as session:
        store.delete_session(session, store.SessionHeld(kind, identifier, "", item.due_at))
        _record(node, session, item, {kind: identifier}, _node_authority(node))


def _erase_reads(node: Node, item: Due) -> None:
    until = datetime.fromisoformat(item.subject.removeprefix(READS_UNTIL))
    with node.unit_of_work() as session:
        if store.delete_reads_until(session, until):
            _record(node, session, item, {"access_records": _stamp(until)}, _node_authority(node))


def _node_authority(node: Node) -> str:
    return node.settings.state or "node"


def _erase(node: Node, item: Due, blobs: list[str]) -> None:
    if item.category in (Category.PERSONAL_DATA, Category.REQUEST_CONTENTS):
        _erase_request(node, item, blobs)
    elif item.category is Category.INBOX_PAYLOADS:
        _erase_payload(node, item)
    elif item.category is Category.OPENED_EVIDENCE:
        _erase_opened(node, item)
    elif item.category is Category.ACCESS_RECORDS:
        _erase_reads(node, item)
    else:
        _erase_session(node, item)


def _remove_blobs(node: Node, keys: list[str]) -> None:
    for key in keys:
        with node.reading() as session:
            if store.blob_in_use(session, key):
                continue
        node.blobs.delete(key)


def run(
    node: Node,
    *,
    dry_run: bool = False,
    policy: RetentionPolicy | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RunReport:
    """Erase what is due now (or, ``dry_run``, only say what is). Each item is erased in a
    unit of work of its own with its custody event; one that changed meanwhile (a request
    that took a step) is skipped and comes again at the next run."""
    policy = policy or node_policy(node)
    items = plan(node, policy)
    report = RunReport(node.clock.now(), dry_run, policy.as_dict(), items)
    if dry_run:
        return report
    if not items:
        return replace(report, compaction=_compact(node) if _compaction_pending(node) else None)
    erased, skipped, blobs = 0, list[str](), list[str]()
    for done, item in enumerate(items, start=1):
        try:
            _erase(node, item, blobs)
            erased += 1
        except (StaleVersionError, FileNotFoundError, IntegrityError) as exc:
            skipped.append(f"{item.category.value} {item.subject}: {exc}")
        if progress is not None:
            progress(done, len(items))
    _remove_blobs(node, blobs)
    compaction = _compact(node) if erased or _compaction_pending(node) else None
    _log.info("retention.run", erased=erased, skipped=len(skipped), compaction=compaction)
    return RunReport(report.at, False, report.policy, items, erased, skipped, compaction)


#: Set while erased bytes may still be in the database's files (a compaction failed or was
#: cut short): the next run compacts even when nothing more is due.
COMPACTION_PENDING = "retention.compaction_pending"


def _compaction_pending(node: Node) -> bool:
    with node.reading() as session:
        return get_meta(session, COMPACTION_PENDING) == "yes"


def _compact(node: Node) -> str:
    with node.unit_of_work() as session:
        set_meta(session, COMPACTION_PENDING, "yes")
    try:
        done = store.compact(node.engine)
    except DBAPIError as exc:
        _log.warning("retention.compaction_failed", error=type(exc.orig).__name__)
        return "failed: tried again at the next run"
    if done == "vacuum":  # otherwise the log could not be emptied: again at the next run
        with node.unit_of_work() as session:
            set_meta(session, COMPACTION_PENDING, "no")
    return done


class Scheduler:
    """Runs :func:`run` every ``retention_interval_minutes`` in a thread of ``hanoix serve``,
    until stopped. A failed run is logged and tried again at the next interval."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def interval(self) -> float:
        return float(self._node.settings.retention_interval_minutes * 60)

    def run_once(self) -> RunReport | None:
        try:
            return run(self._node)
        except Exception:  # noqa: BLE001  (logged; the next interval tries again)
            _log.exception("retention.failed")
            return None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.run_once()

    def start(self) -> bool:
        """Start the thread (not when the interval is 0); whether it started."""
        if self.interval <= 0:
            return False
        self._thread = threading.Thread(target=self._loop, name="hanoix-retention", daemon=True)
        self._thread.start()
        return True

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
