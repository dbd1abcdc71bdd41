"""Cooperation requests in the node's database: current versions, steps, conditions, counters,
idempotency keys.

Layout (SQLite and PostgreSQL alike; every time is UTC, see :class:`~hanoix.store.db.UTCDateTime`):

* ``requests``: one row per request copy held by this node, at its current version. The whole
  value is the JSON ``document`` (written and read by the storage codec,
  :mod:`hanoix.store.request_codec`, nothing else); the columns next to it repeat what lists
  filter and sort on (kind, States, status, handling authority, next deadline, times, the end
  of a preservation's period) and the
  ``version`` that is the optimistic-lock token.
* ``request_steps``: one row per recorded step (seq 1..version), with the index of its custody
  event in the ledger, so the history can be proved entry by entry.
* ``request_conditions``: the conditions on use and the consents of each request as they stand
  (rewritten with every version), queryable without opening the documents.
* ``request_sequences``: one counter per requesting State and local year, for references.
* ``idempotency_keys``: the first answer to a creation made with an ``Idempotency-Key``, per
  user, so a retry gets the same answer and a different body under the same key is refused.

Nothing here commits: every function runs in the caller's unit of work. No ORM row leaves this
module; callers get domain values (:class:`~hanoix.requests.CooperationRequest`) or the plain
dataclasses below.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column
from sqlalchemy.sql.elements import BindParameter

from hanoix.errors import ConflictError, InputError
from hanoix.requests import CooperationRequest, UseConsent
from hanoix.store.db import Base, UTCDateTime
from hanoix.store.request_codec import (
    decode_request,
    encode_condition,
    encode_consent,
    encode_request,
)

# --- tables ---------------------------------------------------------------------------------


class RequestRow(Base):
    __tablename__ = "requests"
    __table_args__ = (
        # The list's order and cursor (newest first) within what a user may see.
        Index("ix_requests_local_state_created", "local_state", "created_at", "id"),
        # The common filter (kind, status, either party's State), one per party column
        # (migration 0008_requests_index).
        *(
            Index(
                f"ix_requests_filter_{party}",
                "local_state",
                "kind",
                "status",
                f"{party}_state",
                "created_at",
                "id",
            )
            for party in ("requesting", "requested")
        ),
        # The desks' order (the next deadline first, none last, then newest: see _order), so
        # that a desk's page reads its rows in order instead of sorting every visible request;
        # and the counts by status beside a list, read from the index alone (migration
        # 0014_desk_indexes).
        Index(
            "ix_requests_deadline_order",
            "local_state",
            text("(next_deadline IS NULL)"),
            "next_deadline",
            text("created_at DESC"),
            text("id DESC"),
        ),
        Index("ix_requests_status_counts", "local_state", "status", "restricted", "handled_by"),
        # The same counts under a deadline filter (migration 0015_deadline_counts).
        Index(
            "ix_requests_deadline_counts",
            "local_state",
            "next_deadline",
            "status",
            "restricted",
            "handled_by",
        ),
        # The desk's text filter (part of a reference or of an authority's code, anywhere in
        # it) through trigrams on PostgreSQL, instead of reading every row. SQLite has no
        # trigrams: there they are plain indexes, which keep both databases' schemas alike
        # (migration 0014_desk_indexes).
        *(
            Index(
                f"ix_requests_{column}_trgm",
                column,
                postgresql_using="gin",
                postgresql_ops={column: "gin_trgm_ops"},
            )
            for column in ("reference", "handled_by")
        ),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    side: Mapped[str] = mapped_column(String(12))
    # The State of the node's own party (visibility: users see their State's copies only).
    local_state: Mapped[str] = mapped_column(String(3))
    requesting_state: Mapped[str] = mapped_column(String(3), index=True)
    requested_state: Mapped[str] = mapped_column(String(3), index=True)
    status: Mapped[str] = mapped_column(String(40), index=True)
    handled_by: Mapped[str] = mapped_column(String(64), index=True)
    restricted: Mapped[bool] = mapped_column(Boolean)
    urgent: Mapped[bool] = mapped_column(Boolean)
    next_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # When a preservation's period ends, extensions included (statistics read it without
    # opening the document: migration 0023_statistics).
    preservation_ends: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    follows_up: Mapped[str | None] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class RequestStepRow(Base):
    __tablename__ = "request_steps"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    side: Mapped[str] = mapped_column(String(12))
    actor: Mapped[str] = mapped_column(String(256))
    authority: Mapped[str] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    ledger_index: Mapped[int] = mapped_column(Integer)
    # The custody event as the ledger recorded it (its canonical form is the Merkle leaf).
    event: Mapped[dict[str, Any]] = mapped_column(JSON)


class RequestConditionRow(Base):
    __tablename__ = "request_conditions"

    request_id: Mapped[str] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(12), primary_key=True)  # condition | consent
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), index=True)
    article: Mapped[str | None] = mapped_column(String(40))
    statutory: Mapped[bool] = mapped_column(Boolean)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)


class RequestSequenceRow(Base):
    __tablename__ = "request_sequences"

    state: Mapped[str] = mapped_column(String(3), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class IdempotencyKeyRow(Base):
    __tablename__ = "idempotency_keys"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(32))
    status_code: Mapped[int] = mapped_column(Integer)
    # The request as the first answer showed it (a document of the same layout as requests').
    response: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


REQUEST_TABLES = (
    "requests",
    "request_steps",
    "request_conditions",
    "request_sequences",
    "idempotency_keys",
)


# --- counters -------------------------------------------------------------------------------


def next_sequence(session: Session, state: str, year: int) -> int:
    """Take the next number of ``state``'s counter for ``year`` (1 for a new year).

    One statement (an upsert returning the new value) on both databases, so two writers never
    get the same number: the row lock (PostgreSQL) or the write lock (SQLite) orders them.
    """
    table = RequestSequenceRow.__table__
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    statement = (
        module.insert(table)
        .values(state=state, year=year, last_value=1)
        .on_conflict_do_update(
            index_elements=["state", "year"],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    value = session.execute(statement).scalar_one()
    return int(value)


# --- requests -------------------------------------------------------------------------------


def row_values(request: CooperationRequest, next_deadline: datetime | None) -> dict[str, Any]:
    """The ``requests`` row of ``request`` (without its id): list columns and document."""
    updated_at = request.history[-1].at if request.history else request.created_at
    return {
        "reference": str(request.reference),
        "kind": request.kind.value,
        "side": request.side.value,
        "local_state": request.local.state,
        "requesting_state": request.requesting.state,
        "requested_state": request.requested.state,
        "status": request.status.value,
        "handled_by": request.handled_by,
        "restricted": request.restricted,
        "urgent": request.urgent,
        "next_deadline": next_deadline,
        "preservation_ends": request.preservation.expires_at() if request.preservation else None,
        "follows_up": str(request.follows_up) if request.follows_up else None,
        "created_at": request.created_at,
        "updated_at": updated_at,
        "version": request.version,
        "document": encode_request(request),
    }


def _replace_conditions(session: Session, request: CooperationRequest) -> None:
    session.execute(delete(RequestConditionRow).where(RequestConditionRow.request_id == request.id))
    rows: list[dict[str, Any]] = [
        {
            "request_id": request.id,
            "category": "condition",
            "position": i,
            "code": c.code,
            "article": str(c.article),
            "statutory": bool(getattr(c, "statutory", False)),
            "document": encode_condition(c),
        }
        for i, c in enumerate(request.conditions.conditions)
    ]
    rows.extend(
        {
            "request_id": request.id,
            "category": "consent",
            "position": i,
            "code": f"consent-{'use' if isinstance(c, UseConsent) else 'retention'}",
            "article": None,
            "statutory": False,
            "document": encode_consent(c),
        }
        for i, c in enumerate(request.conditions.consents)
    )
    if rows:
        session.execute(insert(RequestConditionRow), rows)


def step_rows(
    request: CooperationRequest, since: int, recorded: Sequence[tuple[int, dict[str, Any]]]
) -> list[dict[str, Any]]:
    """The ``request_steps`` rows of the steps of ``request`` after version ``since``, each
    with the index and the content of its custody event in the ledger (for a bulk insert of
    many requests' steps at once; :func:`add_steps` inserts one request's)."""
    entries = [e for e in request.history if e.seq > since]
    if len(entries) != len(recorded):
        raise ValueError(
            f"{len(entries)} new step(s) of {request.reference} but {len(recorded)} ledger "
            "entries: every step is recorded in the ledger"
        )
    return [
        {
            "request_id": request.id,
            "seq": entry.seq,
            "action": entry.action.value,
            "from_status": entry.from_status.value if entry.from_status else None,
            "to_status": entry.to_status.value,
            "side": entry.side.value,
            "actor": entry.actor,
            "authority": entry.authority,
            "at": entry.at,
            "ledger_index": index,
            "event": event,
        }
        for entry, (index, event) in zip(entries, recorded, strict=True)
    ]


def add_steps(
    session: Session,
    request: CooperationRequest,
    since: int,
    recorded: Sequence[tuple[int, dict[str, Any]]],
) -> None:
    """Record the steps of ``request`` after version ``since``, each with the index and the
    content of its custody event in the ledger."""
    session.execute(insert(RequestStepRow), step_rows(request, since, recorded))


def insert_request(
    session: Session, request: CooperationRequest, *, next_deadline: datetime | None
) -> None:
    """Store a new request copy (its steps follow with :func:`add_steps`).

    A second copy with the same reference on this node is a :class:`ConflictError`.
    """
    existing = session.scalar(
        select(RequestRow.id).where(RequestRow.reference == str(request.reference))
    )
    if existing is not None:
        raise ConflictError(f"request {request.reference} is already held by this node")
    session.add(RequestRow(id=request.id, **row_values(request, next_deadline)))
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(f"request {request.reference} is already held by this node") from None
    _replace_conditions(session, request)


class StaleVersionError(ConflictError):
    """The request changed since the caller read it: read it again and retry (HTTP 412)."""

    http_status = 412
    code = "precondition-failed"


def update_request(
    session: Session,
    request: CooperationRequest,
    *,
    expected_version: int,
    next_deadline: datetime | None,
) -> None:
    """Store the new version of ``request`` if the stored one is still ``expected_version``.

    The compare-and-set is one UPDATE; if another writer got there first nothing is written
    and :class:`StaleVersionError` is raised (the caller's unit of work then rolls back). The
    new steps follow with :func:`add_steps`.
    """
    values = row_values(request, next_deadline)
    result = session.execute(
        update(RequestRow)
        .where(RequestRow.id == request.id, RequestRow.version == expected_version)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise StaleVersionError(
            f"request {request.reference} changed since version {expected_version} was read; "
            "read it again and retry"
        )
    _replace_conditions(session, request)


def overwrite_contents(session: Session, request: CooperationRequest) -> None:
    """Write ``request``'s document and conditions over the stored ones, at the same version:
    for an erasure, which empties contents without being a step of the request. Raises
    :class:`StaleVersionError` if the request took a step since it was read."""
    result = session.execute(
        update(RequestRow)
        .where(RequestRow.id == request.id, RequestRow.version == request.version)
        .values(document=encode_request(request))
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise StaleVersionError(
            f"request {request.reference} changed since version {request.version} was read"
        )
    _replace_conditions(session, request)
    # The first answers kept for retried creations hold the document as it was.
    session.execute(
        delete(IdempotencyKeyRow).where(IdempotencyKeyRow.reference == str(request.reference))
    )


def set_next_deadline(session: Session, request_id: str, due: datetime | None) -> None:
    """Refresh the derived deadline column (a linked request changed); not a new version."""
    session.execute(
        update(RequestRow)
        .where(RequestRow.id == request_id)
        .values(next_deadline=due)
        .execution_options(synchronize_session=False)
    )


def load(session: Session, reference: str) -> CooperationRequest | None:
    """The current version of the request with ``reference``, or ``None``."""
    document = session.scalar(select(RequestRow.document).where(RequestRow.reference == reference))
    return None if document is None else decode_request(document)


def load_many(session: Session, references: Sequence[str]) -> list[CooperationRequest]:
    """The requests among ``references`` that this node holds."""
    if not references:
        return []
    documents = session.scalars(
        select(RequestRow.document).where(RequestRow.reference.in_(list(references)))
    )
    return [decode_request(d) for d in documents]


def follow_ups_of(session: Session, reference: str) -> list[CooperationRequest]:
    """The requests on this node that follow up ``reference``."""
    documents = session.scalars(
        select(RequestRow.document).where(RequestRow.follows_up == reference)
    )
    return [decode_request(d) for d in documents]


# --- history --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredStep:
    """One recorded step of a request and where its custody event sits in the ledger."""

    seq: int
    action: str
    from_status: str | None
    to_status: str
    side: str
    actor: str
    authority: str
    at: datetime
    ledger_index: int
    event: dict[str, Any]


def steps(session: Session, request_id: str) -> list[StoredStep]:
    """The recorded steps of a request, in order."""
    rows = session.scalars(
        select(RequestStepRow)
        .where(RequestStepRow.request_id == request_id)
        .order_by(RequestStepRow.seq)
    )
    return [
        StoredStep(
            seq=r.seq,
            action=r.action,
            from_status=r.from_status,
            to_status=r.to_status,
            side=r.side,
            actor=r.actor,
            authority=r.authority,
            at=r.at,
            ledger_index=r.ledger_index,
            event=dict(r.event),
        )
        for r in rows
    ]


# --- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Visibility:
    """What a user may see, as the store filters it (the same rule as
    :func:`hanoix.requests.check_visible`): copies held for the user's State, and restricted
    ones only when handled by the user's authority."""

    state: str
    authority: str


@dataclass(frozen=True)
class ListFilter:
    """Filters of a request list; ``None`` filters nothing."""

    kind: str | None = None
    state: str | None = None  # either party's State
    status: str | None = None
    side: str | None = None
    deadline_before: datetime | None = None
    overdue_at: datetime | None = None  # next deadline at or before this instant
    text: str | None = None  # part of the reference or of the handling authority's code

    def __post_init__(self) -> None:
        if self.text is not None and not self.text.strip():
            object.__setattr__(self, "text", None)


#: The orders a list comes in: newest first, or by next deadline (the most overdue first, then
#: the soonest, then those without a deadline, each tie newest first).
LIST_ORDERS = ("newest", "deadline")


@dataclass(frozen=True)
class RequestSummary:
    """A row of a request list: what the indexed columns say, without personal data."""

    id: str
    reference: str
    kind: str
    side: str
    requesting_state: str
    requested_state: str
    status: str
    handled_by: str
    restricted: bool
    urgent: bool
    next_deadline: datetime | None
    follows_up: str | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class Page:
    """One page of a list and the cursor of the next (``None`` on the last page)."""

    items: list[RequestSummary]
    next_cursor: str | None


def encode_cursor(created_at: datetime, request_id: str) -> str:
    """An opaque cursor: the sort key of the last row shown."""
    raw = json.dumps([created_at.isoformat(), request_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def encode_deadline_cursor(deadline: datetime | None, created_at: datetime, request_id: str) -> str:
    """The cursor of a list by deadline: the last row's deadline joins its sort key."""
    key = ["deadline", deadline.isoformat() if deadline else None, created_at.isoformat()]
    raw = json.dumps([*key, request_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _cursor_refused() -> InputError:
    return InputError(
        "cursor: not a cursor this node handed out for this order; use the next_cursor of a "
        "previous page, or omit it for the first page"
    )


def decode_deadline_cursor(cursor: str) -> tuple[datetime | None, datetime, str]:
    """The sort key in a cursor of :func:`encode_deadline_cursor`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        marker, deadline, created, request_id = json.loads(raw)
        at = datetime.fromisoformat(created)
        due = None if deadline is None else datetime.fromisoformat(deadline)
        if marker != "deadline" or not isinstance(request_id, str) or at.tzinfo is None:
            raise ValueError("bad cursor")
        if due is not None and due.tzinfo is None:
            raise ValueError("bad cursor")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise _cursor_refused() from None
    return due, at, request_id


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The sort key in ``cursor``; InputError for anything this node did not hand out."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, request_id = json.loads(raw)
        at = datetime.fromisoformat(created)
        if not isinstance(request_id, str) or at.tzinfo is None:
            raise ValueError("bad cursor")
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InputError(
            "cursor: not a cursor this node handed out; use the next_cursor of a previous page, "
            "or omit it for the first page"
        ) from None
    return at, request_id


def visible_to(visibility: Visibility) -> Any:
    """The SQL form of :func:`hanoix.requests.check_visible` on :class:`RequestRow`: every list
    that shows request material (requests, deadlines, the federation inbox) filters by it."""
    return _visible(visibility.state, visibility.authority)


def _visible(state: Any, authority: Any) -> Any:
    """:func:`visible_to` for values or statement parameters."""
    return and_(
        RequestRow.local_state == state,
        or_(RequestRow.restricted == false(), RequestRow.handled_by == authority),
    )


def visible_references(
    session: Session, references: Sequence[str], visibility: Visibility
) -> set[str]:
    """Which of ``references`` name a request this node holds that ``visibility`` may see."""
    if not references:
        return set()
    query = select(RequestRow.reference).where(
        RequestRow.reference.in_(sorted(set(references))), visible_to(visibility)
    )
    return set(session.scalars(query))


# The list's filters other than the State, each as its condition on a statement parameter.
_CONDITIONS: dict[str, Callable[[Any], Any]] = {
    "kind": lambda value: RequestRow.kind == value,
    "status": lambda value: RequestRow.status == value,
    "side": lambda value: RequestRow.side == value,
    "deadline_before": lambda value: RequestRow.next_deadline < value,
    "overdue_at": lambda value: RequestRow.next_deadline <= value,
    # LIKE's own wildcards in what the user typed are escaped by _list_parameters.
    "text": lambda value: or_(
        RequestRow.reference.ilike(value, escape="\\"),
        RequestRow.handled_by.ilike(value, escape="\\"),
    ),
}
_NEWEST_FIRST = (RequestRow.created_at.desc(), RequestRow.id.desc())


def _order(columns: Any, by_deadline: bool) -> tuple[Any, ...]:
    """The list's order over ``columns`` (the table's, or a merged subquery's)."""
    newest = (columns.created_at.desc(), columns.id.desc())
    if not by_deadline:
        return newest
    # Written out rather than NULLS LAST, which SQLite before 3.30 and some plans handle badly.
    return (columns.next_deadline.is_(None), columns.next_deadline.asc(), *newest)


def _like(text: str) -> str:
    escaped = text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _list_parameters(
    visibility: Visibility, filters: ListFilter, cursor: str | None, by_deadline: bool
) -> dict[str, Any]:
    given: dict[str, Any] = {
        "visible_state": visibility.state,
        "visible_authority": visibility.authority,
    }
    for name in (*_CONDITIONS, "state"):
        value = getattr(filters, name)
        if value is not None:
            given[name] = _like(value) if name == "text" else value
    if cursor is not None and by_deadline:
        deadline, given["after_created_at"], given["after_id"] = decode_deadline_cursor(cursor)
        if deadline is not None:
            given["after_deadline"] = deadline
    elif cursor is not None:
        given["after_created_at"], given["after_id"] = decode_cursor(cursor)
    return given


def _after(given: frozenset[str], by_deadline: bool) -> Any:
    """The condition for the rows after the cursor's, in the list's order."""
    after: BindParameter[datetime] = bindparam("after_created_at")
    newer = or_(
        RequestRow.created_at < after,
        and_(RequestRow.created_at == after, RequestRow.id < bindparam("after_id")),
    )
    if not by_deadline:
        return newer
    due = RequestRow.next_deadline
    if "after_deadline" not in given:  # past every row with a deadline
        return and_(due.is_(None), newer)
    deadline: BindParameter[datetime] = bindparam("after_deadline")
    return or_(due.is_(None), due > deadline, and_(due == deadline, newer))


@lru_cache(maxsize=256)
def _list_statement(given: frozenset[str], rows: int, by_deadline: bool = False) -> Select[Any]:
    """The list's statement for the parameters named ``given`` (names, not values), cut at
    ``rows``: built once for each combination, since building one (and, for the State filter,
    its union of two subqueries) cost the API more than PostgreSQL spent running it."""
    columns = [c for c in RequestRow.__table__.columns if c.name != "document"]
    query = select(*columns).where(
        _visible(bindparam("visible_state"), bindparam("visible_authority"))
    )
    if "after_created_at" in given:
        query = query.where(_after(given, by_deadline))
    for name, condition in _CONDITIONS.items():
        if name in given:
            query = query.where(condition(bindparam(name)))
    order = _order(RequestRow, by_deadline)
    if "state" not in given:
        return query.order_by(*order).limit(rows)
    state: BindParameter[str] = bindparam("state")
    if "kind" in given and "status" in given:
        return _either_party(query, state, rows, by_deadline)
    query = query.where(
        or_(RequestRow.requesting_state == state, RequestRow.requested_state == state)
    )
    return query.order_by(*order).limit(rows)


def _either_party(query: Select[Any], state: Any, rows: int, by_deadline: bool) -> Select[Any]:
    """``query`` filtered with ``state`` as either party, as two ordered ranges merged: one of
    each party's composite index (kind, status, State, then the list's order), each cut at
    ``rows``. Written as an OR of the two columns, PostgreSQL walks the newest-first index
    instead and filters out every row of another kind, status or State (3,000 rows read for a
    page of 50 in the benchmark's data)."""
    requesting = query.where(RequestRow.requesting_state == state)
    # A request with the State on both sides is the first range's already.
    requested = query.where(
        RequestRow.requested_state == state, RequestRow.requesting_state != state
    )
    ranges = [
        select(branch.order_by(*_order(RequestRow, by_deadline)).limit(rows).subquery())
        for branch in (requesting, requested)
    ]
    merged = union_all(*ranges).subquery()
    return select(merged).order_by(*_order(merged.c, by_deadline)).limit(rows)


def list_requests(
    session: Session,
    visibility: Visibility,
    filters: ListFilter,
    *,
    limit: int,
    cursor: str | None = None,
    order: str = "newest",
) -> Page:
    """A page of the requests ``visibility`` allows, newest first (keyset pagination).

    The order is ``(created_at, id)`` descending: both never change, so a cursor stays exact
    while requests are created or updated between pages (no row is skipped or shown twice).
    ``order="deadline"`` puts the next deadline first (ascending, so the most overdue lead;
    none last): a deadline moves as a request does, so a row whose deadline changed between
    two pages may be shown twice or not at all; a desk reloads, it does not export.
    """
    by_deadline = order == "deadline"
    given = _list_parameters(visibility, filters, cursor, by_deadline)
    statement = _list_statement(frozenset(given), limit + 1, by_deadline)
    # Columns, not entities: run on the connection, past the ORM's handling of a statement.
    rows = session.connection().execute(statement, given).mappings().all()
    items = [
        RequestSummary(
            id=r["id"],
            reference=r["reference"],
            kind=r["kind"],
            side=r["side"],
            requesting_state=r["requesting_state"],
            requested_state=r["requested_state"],
            status=r["status"],
            handled_by=r["handled_by"],
            restricted=r["restricted"],
            urgent=r["urgent"],
            next_deadline=r["next_deadline"],
            follows_up=r["follows_up"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            version=r["version"],
        )
        for r in rows[:limit]
    ]
    more = len(rows) > limit
    next_cursor = None
    if more and items and by_deadline:
        last = items[-1]
        next_cursor = encode_deadline_cursor(last.next_deadline, last.created_at, last.id)
    elif more and items:
        next_cursor = encode_cursor(items[-1].created_at, items[-1].id)
    return Page(items, next_cursor)


def count_by_status(
    session: Session, visibility: Visibility, filters: ListFilter
) -> dict[str, int]:
    """How many of the requests ``visibility`` allows match ``filters`` in each status (the
    status filter aside, so that every status's count shows beside the one chosen)."""
    given = _list_parameters(visibility, replace(filters, status=None), None, False)
    query = select(RequestRow.status, func.count()).where(visible_to(visibility))
    for name, condition in _CONDITIONS.items():
        if name in given:
            query = query.where(condition(given[name]))
    if "state" in given:
        query = query.where(
            or_(
                RequestRow.requesting_state == given["state"],
                RequestRow.requested_state == given["state"],
            )
        )
    rows = session.execute(query.group_by(RequestRow.status)).all()
    return {status: int(number) for status, number in rows}


def with_deadlines(
    session: Session, visibility: Visibility, before: datetime | None
) -> tuple[list[CooperationRequest], list[CooperationRequest]]:
    """The visible requests with a deadline (before ``before`` if given), for the deadline
    engine; and, apart, the requests that follow them up (a preservation's hold depends on
    its follow-up). Without ``before``, preservations held by a follow-up come too: their
    expiry has no due time while held, yet it is an open deadline to show."""
    if before is not None:
        has_deadline = RequestRow.next_deadline < before
    else:
        followed_up = select(RequestRow.follows_up).where(RequestRow.follows_up.is_not(None))
        has_deadline = or_(
            RequestRow.next_deadline.is_not(None), RequestRow.reference.in_(followed_up)
        )
    query = select(RequestRow.document).where(visible_to(visibility), has_deadline)
    found = [decode_request(d) for d in session.scalars(query)]
    held = [str(r.reference) for r in found if r.preservation is not None]
    linked: list[CooperationRequest] = []
    if held:
        documents = session.scalars(
            select(RequestRow.document).where(RequestRow.follows_up.in_(held))
        )
        linked = [decode_request(d) for d in documents]
    return found, linked


def count(session: Session) -> int:
    """How many request copies this node holds."""
    return int(session.scalar(select(func.count()).select_from(RequestRow)) or 0)


# --- idempotency ----------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredAnswer:
    """The first answer given to a creation under an idempotency key."""

    fingerprint: str
    reference: str
    status_code: int
    request: CooperationRequest
    expires_at: datetime


def find_answer(session: Session, username: str, key: str, now: datetime) -> StoredAnswer | None:
    """The answer stored for ``username``'s ``key``; an expired one is forgotten."""
    row = session.get(IdempotencyKeyRow, (username, key))
    if row is None:
        return None
    if row.expires_at <= now:
        session.delete(row)
        session.flush()
        return None
    return StoredAnswer(
        fingerprint=row.fingerprint,
        reference=row.reference,
        status_code=row.status_code,
        request=decode_request(row.response),
        expires_at=row.expires_at,
    )


def save_answer(
    session: Session,
    *,
    username: str,
    key: str,
    fingerprint: str,
    request: CooperationRequest,
    status_code: int,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Keep the answer to a creation under ``key``. Another creation that stored the same key
    first (a concurrent retry) makes this one fail with :class:`ConflictError`."""
    session.add(
        IdempotencyKeyRow(
            username=username,
            key=key,
            fingerprint=fingerprint,
            reference=str(request.reference),
            status_code=status_code,
            response=encode_request(request),
            created_at=now,
            expires_at=expires_at,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        raise ConflictError(
            "another request with the same Idempotency-Key is being processed; retry in a moment"
        ) from None
