"""The facts of a statistics report, read from the database with aggregate queries.

One statement groups each request's recorded steps into the moments that matter (when it was
sent or received, acknowledged, first answered, executed) and the deciding steps it took, and
hands back one row of codes and numbers per request: its side, kind, counterpart State, which
deciding steps it took, its durations in seconds (worked out by the database), the grounds of
its refusal, and for a preservation its reference and the end of its period (a column of the
row, kept by the store with every version: no document is opened). The statement runs once (a
common table expression used by several statements ran once for each of them: four times the
work). No request's document is read, and no name, reference or free text leaves this module:
the references of preservations only match them with their follow-ups.

The tables of a secretariat node's received reports live here too (:class:`ReceivedReportRow`).

The period is ``start`` to ``end`` (both included, UTC days). A request counts in it when it
was sent (the requesting side's copy) or received (the requested side's copy) in it; what
happened to it is read as of the end of the period, so a report of a closed period stays the
same when it is made again later.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Index,
    Integer,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from hanoix.convention import RequestKind
from hanoix.statistics.facts import (
    ContentCount,
    Direction,
    Durations,
    Facts,
    Fate,
    GroundCount,
    Measure,
    NoticeCount,
    Outcome,
    PreservationCount,
    RequestCount,
    outcome_of,
    preservation_fate,
)
from hanoix.store.auth import AuthorityRow
from hanoix.store.content import ContentCaseRow
from hanoix.store.content_notices import ContentNoticeRow
from hanoix.store.db import Base, UTCDateTime
from hanoix.store.requests import RequestRow, RequestStepRow


class ReceivedReportRow(Base):
    """A signed report a secretariat node received (migration 0023_statistics)."""

    __tablename__ = "statistics_reports"
    __table_args__ = (Index("ix_statistics_reports_period", "period_from", "period_to", "origin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    origin: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(3))
    period_from: Mapped[str] = mapped_column(String(10))
    period_to: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    digest: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(Text)


def add_received(
    session: Session,
    *,
    origin: str,
    state: str,
    period: tuple[str, str],
    at: datetime,
    digest: str,
    document: str,
) -> None:
    """Keep a verified report; one already kept (the same digest) is not kept twice."""
    known = session.scalar(
        select(ReceivedReportRow.id).where(
            ReceivedReportRow.digest == digest, ReceivedReportRow.withdrawn_at.is_(None)
        )
    )
    if known is None:
        session.add(
            ReceivedReportRow(
                origin=origin,
                state=state,
                period_from=period[0],
                period_to=period[1],
                received_at=at,
                digest=digest,
                document=document,
            )
        )


def withdraw_received(session: Session, origin: str, period: tuple[str, str], at: datetime) -> int:
    """Mark the reports of ``origin`` for ``period`` withdrawn; how many were."""
    result = session.execute(
        update(ReceivedReportRow)
        .where(
            ReceivedReportRow.origin == origin,
            ReceivedReportRow.period_from == period[0],
            ReceivedReportRow.period_to == period[1],
            ReceivedReportRow.withdrawn_at.is_(None),
        )
        .values(withdrawn_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def current_received(session: Session, period: tuple[str, str]) -> list[tuple[str, str, str]]:
    """The newest report of each node for ``period`` not withdrawn: (origin, state, document)."""
    rows = session.execute(
        select(ReceivedReportRow.origin, ReceivedReportRow.state, ReceivedReportRow.document)
        .where(
            ReceivedReportRow.period_from == period[0],
            ReceivedReportRow.period_to == period[1],
            ReceivedReportRow.withdrawn_at.is_(None),
        )
        .order_by(ReceivedReportRow.origin, ReceivedReportRow.id.desc())
    )
    newest: dict[str, tuple[str, str, str]] = {}
    for origin, state, document in rows:
        newest.setdefault(origin, (origin, state, document))
    return list(newest.values())


def received_reports(
    session: Session, period: tuple[str, str] | None = None
) -> list[ReceivedReportRow]:
    """Every report kept (withdrawn or not), oldest first; those of ``period`` only if given."""
    query = select(ReceivedReportRow).order_by(ReceivedReportRow.id)
    if period is not None:
        query = query.where(
            ReceivedReportRow.period_from == period[0], ReceivedReportRow.period_to == period[1]
        )
    return list(session.scalars(query))


def received_periods(session: Session) -> list[tuple[str, str]]:
    """The periods some State has sent a report for, the latest first."""
    rows = session.execute(
        select(ReceivedReportRow.period_from, ReceivedReportRow.period_to)
        .distinct()
        .order_by(ReceivedReportRow.period_to.desc(), ReceivedReportRow.period_from.desc())
    )
    return [(first, last) for first, last in rows]


# The steps that open a request's copy: sending it, or registering it where it arrives.
_OPENING = ("send", "register")
# The answers of substance from the requested State (docs/statistics.md, "First answer").
_ANSWERS = ("request_more_information", "postpone", "execute_partially", "execute", "refuse")
_CONTACT_24_7 = "contact-24-7"
_SIDE_DIRECTION = {"requesting": Direction.SENT, "requested": Direction.RECEIVED}


def day_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants the days ``start`` to ``end`` (included) run from and to (excluded)."""
    return (
        datetime.combine(start, time(), UTC),
        datetime.combine(end + timedelta(days=1), time(), UTC),
    )


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    """``later - earlier`` in seconds, in the database's own arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(func.extract("epoch", later - earlier), Float)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _first(condition: ColumnElement[bool], at: Any) -> ColumnElement[Any]:
    return func.min(case((condition, at)))


def _took(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.max(case((condition, 1), else_=0))


def read_facts(session: Session, state: str, start: date, end: date, as_of: datetime) -> Facts:
    """The facts of the node of ``state`` for the days ``start`` to ``end``; ``as_of`` is now
    (a preservation lapses only once its period has ended before the earlier of now and the
    end of the period).

    One statement groups each request's steps (the database does the grouping and the
    arithmetic of durations); one more finds when each preservation was followed up; the
    content cases are counted in the database. Rows come back as plain tuples of numbers and
    codes, one per request of the period.
    """
    since, until = day_bounds(start, end)
    step = RequestStepRow
    request = RequestRow
    authority = aliased(AuthorityRow)
    # Only the steps of the period: every step a report reads comes at or after the one that
    # opened the request (nothing is acknowledged, answered or refused before it arrives), so
    # a request opened in the period has all of them here, and one opened before has no
    # opening step here and drops out. Years of history are not grouped for one year's report.
    in_time = and_(step.at >= since, step.at < until)
    opened = _first(step.action.in_(_OPENING), step.at)
    # Each request's steps grouped on the narrow steps table alone; the requests' rows (which
    # hold whole documents) are joined after, once each.
    per = (
        select(
            step.request_id.label("id"),
            opened.label("opened"),
            _first(step.action == "acknowledge", step.at).label("acknowledged"),
            _first(step.action.in_(_ANSWERS), step.at).label("answered"),
            _first(step.action == "execute", step.at).label("executed_at"),
            _took(step.action == "refuse").label("refused"),
            _took(step.action == "withdraw").label("withdrawn"),
            _took(step.action == "execute").label("executed"),
            _took(step.action == "execute_partially").label("partly"),
            func.max(
                case((step.action == "refuse", step.event["details"]["grounds"].as_string()))
            ).label("grounds"),
        )
        .where(in_time)
        .group_by(step.request_id)
        .having(and_(opened >= since, opened < until))
        .subquery("per_request")
    )
    counterpart = case(
        (request.side == "requesting", request.requested_state), else_=request.requesting_state
    )
    is_preservation = request.kind == RequestKind.PRESERVATION.value
    grouped = (
        select(
            request.side,
            request.kind,
            counterpart,
            func.coalesce(authority.kind, "") == _CONTACT_24_7,
            per.c.refused,
            per.c.withdrawn,
            per.c.executed,
            per.c.partly,
            *(
                _seconds(session, moment, per.c.opened)
                for moment in (per.c.acknowledged, per.c.answered, per.c.executed_at)
            ),
            per.c.grounds,
            # Only what a preservation needs, and only for those (no document is opened).
            case((is_preservation, request.reference)),
            request.preservation_ends,
        )
        .join(request, request.id == per.c.id)
        .outerjoin(authority, authority.code == request.handled_by)
        .where(request.local_state == state)
    )
    flags: Counter[tuple[str, str, str, int, int, int, int]] = Counter()
    measured: dict[tuple[str, bool], tuple[list[float], list[float], list[float]]] = {}
    grounds: Counter[tuple[str, str]] = Counter()
    preservations: list[tuple[str, str, datetime | None]] = []
    # Through the connection and all at once: plain rows, without the ORM's result machinery
    # or a call per row (together half the time of a report over 100,000 requests).
    rows = session.connection().execute(grouped).all()
    for (
        side,
        kind,
        other,
        contact,
        refused,
        withdrawn,
        executed,
        partly,
        acknowledged,
        answered,
        done,
        listed,
        reference,
        expires,
    ) in rows:
        flags[(side, kind, other, refused, withdrawn, executed, partly)] += 1
        if acknowledged is not None or answered is not None or done is not None:
            lists = measured.get((side, contact))
            if lists is None:
                lists = measured[(side, contact)] = ([], [], [])
            if acknowledged is not None:
                lists[0].append(acknowledged)
            if answered is not None:
                lists[1].append(answered)
            if done is not None:
                lists[2].append(done)
        if listed:
            for ground in sorted({g.strip() for g in listed.split(",") if g.strip()}):
                grounds[(side, ground)] += 1
        if reference is not None:
            preservations.append((side, reference, expires))
    counts: Counter[tuple[str, str, str, Outcome]] = Counter()
    for (side, kind, other, *decided), n in flags.items():
        refused, withdrawn, executed, partly = (bool(flag) for flag in decided)
        outcome = outcome_of(refused=refused, withdrawn=withdrawn, executed=executed, partly=partly)
        counts[(side, kind, other, outcome)] += n
    measures = (Measure.ACKNOWLEDGEMENT, Measure.FIRST_ANSWER, Measure.EXECUTION)
    durations = [
        Durations(
            _SIDE_DIRECTION[side],
            measure,
            tuple(float(v) for v in values),
            contact_24_7=bool(contact),
        )
        for (side, contact), lists in sorted(measured.items())
        for measure, values in zip(measures, lists, strict=True)
        if values
    ]

    followed = _followed_up(session, [reference for _, reference, _ in preservations], since)
    fates: Counter[tuple[str, Fate]] = Counter()
    moment = min(as_of, until)
    for side, reference, expires in preservations:
        fates[(side, preservation_fate(expires, followed.get(reference), moment))] += 1

    content = [
        ContentCount(article, count)
        for article, count in session.execute(
            select(ContentCaseRow.article, func.count())
            .where(ContentCaseRow.opened_at >= since, ContentCaseRow.opened_at < until)
            .group_by(ContentCaseRow.article)
        )
    ]
    notices = [
        NoticeCount(recipient, state, count)
        for recipient, state, count in session.execute(
            select(ContentNoticeRow.recipient_kind, ContentNoticeRow.state, func.count())
            .where(ContentNoticeRow.sent_at >= since, ContentNoticeRow.sent_at < until)
            .group_by(ContentNoticeRow.recipient_kind, ContentNoticeRow.state)
        )
    ]
    return Facts(
        start=start,
        end=end,
        requests=tuple(
            RequestCount(_SIDE_DIRECTION[side], kind, other, outcome, n)
            for (side, kind, other, outcome), n in sorted(counts.items())
        ),
        grounds=tuple(
            GroundCount(_SIDE_DIRECTION[side], ground, n)
            for (side, ground), n in sorted(grounds.items())
        ),
        durations=tuple(durations),
        preservations=tuple(
            PreservationCount(_SIDE_DIRECTION[side], fate, n)
            for (side, fate), n in sorted(fates.items())
        ),
        content=tuple(sorted(content, key=lambda x: x.article)),
        notices=tuple(sorted(notices, key=lambda x: (x.recipient, x.state))),
    )


def _followed_up(session: Session, references: list[str], since: datetime) -> dict[str, datetime]:
    """When each of ``references`` was first followed up: the earliest sending (or receipt) of
    a request on this node that names it as the preservation it follows up (from ``since``:
    a follow-up comes after the preservation, which the period opened)."""
    if not references:
        return {}
    wanted = set(references)
    step = RequestStepRow
    found: dict[str, datetime] = {}
    rows = session.execute(
        select(RequestRow.follows_up, func.min(step.at))
        .join(step, step.request_id == RequestRow.id)
        .where(
            RequestRow.follows_up.is_not(None),
            step.action.in_(_OPENING),
            step.at >= since,
        )
        .group_by(RequestRow.follows_up)
    )
    for reference, at in rows:
        if reference in wanted and at is not None:
            if isinstance(at, str):  # SQLite hands back an aggregate's time as text
                at = datetime.fromisoformat(at)
            found[reference] = at if at.tzinfo else at.replace(tzinfo=UTC)
    return found
