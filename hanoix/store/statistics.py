"""The facts of a statistics report, read from the database with aggregate queries.

One query groups each request's recorded steps into the moments that matter (when it was sent
or received, acknowledged, first answered, executed) and the deciding steps it took; the
counts are grouped again in the database, and only numbers come back: the durations in
seconds (one row of numbers per measured request) and counts per kind, State and outcome. No
request's document is read except the preservation period of preservation requests, and no
name, reference or free text leaves this module.

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
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from hanoix.convention import RequestKind
from hanoix.requests.localtime import period_end
from hanoix.statistics.facts import (
    ContentCount,
    Direction,
    Durations,
    Facts,
    GroundCount,
    Measure,
    PreservationCount,
    RequestCount,
    outcome_of,
    preservation_fate,
)
from hanoix.store.auth import AuthorityRow
from hanoix.store.content import ContentCaseRow
from hanoix.store.db import Base, UTCDateTime
from hanoix.store.requests import RequestRow, RequestStepRow


class ReceivedReportRow(Base):
    """A signed report a secretariat node received (migration 0017_statistics)."""

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
    end of the period)."""
    since, until = day_bounds(start, end)
    step = RequestStepRow
    request = RequestRow
    authority = aliased(AuthorityRow)
    counterpart = case(
        (request.side == "requesting", request.requested_state), else_=request.requesting_state
    )
    in_time = step.at < until
    opened = _first(and_(step.action.in_(_OPENING), in_time), step.at)
    per_request = (
        select(
            request.id.label("id"),
            request.reference.label("reference"),
            request.side.label("side"),
            request.kind.label("kind"),
            counterpart.label("counterpart"),
            (func.coalesce(func.max(authority.kind), "") == _CONTACT_24_7).label("contact"),
            opened.label("opened"),
            _first(and_(step.action == "acknowledge", in_time), step.at).label("acknowledged"),
            _first(and_(step.action.in_(_ANSWERS), in_time), step.at).label("answered"),
            _first(and_(step.action == "execute", in_time), step.at).label("executed_at"),
            _took(and_(step.action == "refuse", in_time)).label("refused"),
            _took(and_(step.action == "withdraw", in_time)).label("withdrawn"),
            _took(and_(step.action == "execute", in_time)).label("executed"),
            _took(and_(step.action == "execute_partially", in_time)).label("partly"),
        )
        .join(step, step.request_id == request.id)
        .outerjoin(authority, authority.code == request.handled_by)
        .where(request.local_state == state, request.created_at < until)
        .group_by(
            request.id,
            request.reference,
            request.side,
            request.kind,
            request.requesting_state,
            request.requested_state,
        )
        .having(and_(opened >= since, opened < until))
        .cte("per_request")
    )
    c = per_request.c

    counts: list[RequestCount] = []
    flags = (c.side, c.kind, c.counterpart, c.refused, c.withdrawn, c.executed, c.partly)
    for side, kind, other, refused, withdrawn, executed, partly, count in session.execute(
        select(*flags, func.count()).group_by(*flags)
    ):
        counts.append(
            RequestCount(
                direction=_SIDE_DIRECTION[side],
                kind=kind,
                counterpart=other,
                outcome=outcome_of(
                    refused=bool(refused),
                    withdrawn=bool(withdrawn),
                    executed=bool(executed),
                    partly=bool(partly),
                ),
                count=count,
            )
        )

    measured: dict[tuple[str, bool, Measure], list[float]] = {}
    columns = (
        (Measure.ACKNOWLEDGEMENT, c.acknowledged),
        (Measure.FIRST_ANSWER, c.answered),
        (Measure.EXECUTION, c.executed_at),
    )
    rows = session.execute(
        select(
            c.side, c.contact, *(_seconds(session, column, c.opened) for _, column in columns)
        ).where(or_(*(column.is_not(None) for _, column in columns)))
    )
    for side, contact, *seconds in rows:
        for (measure, _), value in zip(columns, seconds, strict=True):
            if value is not None:
                measured.setdefault((side, bool(contact), measure), []).append(float(value))
    durations = tuple(
        Durations(_SIDE_DIRECTION[side], measure, tuple(values), contact_24_7=contact)
        for (side, contact, measure), values in sorted(measured.items())
    )

    grounds: Counter[tuple[str, str]] = Counter()
    for side, listed in session.execute(
        select(c.side, step.event["details"]["grounds"].as_string())
        .join(step, step.request_id == c.id)
        .where(c.refused == 1, step.action == "refuse", step.at < until)
    ):
        for ground in sorted({g.strip() for g in (listed or "").split(",") if g.strip()}):
            grounds[(side, ground)] += 1

    preservations = _preservations(session, per_request, min(as_of, until))

    content = [
        ContentCount(article, count)
        for article, count in session.execute(
            select(ContentCaseRow.article, func.count())
            .where(ContentCaseRow.opened_at >= since, ContentCaseRow.opened_at < until)
            .group_by(ContentCaseRow.article)
        )
    ]
    return Facts(
        start=start,
        end=end,
        requests=tuple(counts),
        grounds=tuple(
            GroundCount(_SIDE_DIRECTION[side], ground, n)
            for (side, ground), n in sorted(grounds.items())
        ),
        durations=durations,
        preservations=preservations,
        content=tuple(sorted(content, key=lambda x: x.article)),
    )


def _preservations(
    session: Session, per_request: Any, as_of: datetime
) -> tuple[PreservationCount, ...]:
    """Each preservation of the period by fate: its period's end against the first follow-up
    request sent (or received) for it on this node."""
    c = per_request.c
    follow_up = aliased(RequestRow)
    follow_step = aliased(RequestStepRow)
    followed_up_at = (
        select(func.min(follow_step.at))
        .join(follow_up, follow_up.id == follow_step.request_id)
        .where(follow_up.follows_up == c.reference, follow_step.action.in_(_OPENING))
        .scalar_subquery()
    )
    preservation = RequestRow.document["preservation"]
    fates: Counter[tuple[str, Any]] = Counter()
    for side, starts_on, zone, days, extensions, followed in session.execute(
        select(
            c.side,
            preservation["starts_on"].as_string(),
            preservation["zone"].as_string(),
            preservation["days"].as_integer(),
            preservation["extensions"],
            followed_up_at,
        )
        .join(RequestRow, RequestRow.id == c.id)
        .where(c.kind == RequestKind.PRESERVATION.value)
    ):
        expires = None
        if starts_on and zone and days is not None:
            extra = sum(int(e.get("days", 0)) for e in extensions or ())
            expires = period_end(date.fromisoformat(starts_on), int(days) + extra, zone)
        if isinstance(followed, str):  # SQLite hands back a scalar subquery's time as text
            followed = datetime.fromisoformat(followed)
        if followed is not None and followed.tzinfo is None:
            followed = followed.replace(tzinfo=UTC)
        fates[(side, preservation_fate(expires, followed, as_of))] += 1
    return tuple(
        PreservationCount(_SIDE_DIRECTION[side], fate, n)
        for (side, fate), n in sorted(fates.items())
    )
