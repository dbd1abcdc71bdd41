"""The facts a statistics report is computed from: counts and durations, never a case.

The store's adapter (:mod:`hanoix.services.statistics`) reads them with aggregate queries; the
core (:mod:`hanoix.statistics.report`) turns them into tables. Nothing here names a request,
a person or an authority: a fact is a kind, a State, an outcome and a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Direction(StrEnum):
    """Which way a request went, seen from the reporting node."""

    SENT = "sent"  # this node's State asked (the requesting side's copy, once sent)
    RECEIVED = "received"  # this node's State was asked (the requested side's copy)


class Outcome(StrEnum):
    """Where a request ended (or stands) at the end of the period, from its recorded steps.

    A refusal or a withdrawal ends a request whatever came before; otherwise a full execution
    counts over a partial one; everything else is pending (closing a request does not change
    its outcome: closed after a partial execution is still partly executed).
    """

    EXECUTED = "executed"
    PARTLY_EXECUTED = "partly_executed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    PENDING = "pending"


def outcome_of(*, refused: bool, withdrawn: bool, executed: bool, partly: bool) -> Outcome:
    """The outcome of a request from which of the deciding steps it has taken."""
    if refused:
        return Outcome.REFUSED
    if withdrawn:
        return Outcome.WITHDRAWN
    if executed:
        return Outcome.EXECUTED
    if partly:
        return Outcome.PARTLY_EXECUTED
    return Outcome.PENDING


class Measure(StrEnum):
    """The times measured from the moment a request was sent (or received)."""

    ACKNOWLEDGEMENT = "acknowledgement"  # the requested State acknowledged it
    FIRST_ANSWER = "first_answer"  # its first answer of substance (see docs/statistics.md)
    EXECUTION = "execution"  # executed in full


class Fate(StrEnum):
    """What became of a preservation (Art. 42, recalled: FACTS.md §6.7): followed up by a
    request for the data before it lapsed, lapsed without one, or neither yet."""

    FOLLOWED_UP_IN_TIME = "followed_up_in_time"
    LAPSED = "lapsed"
    OPEN = "open"


def preservation_fate(
    expires_at: datetime | None, followed_up_at: datetime | None, as_of: datetime
) -> Fate:
    """The fate of one preservation at ``as_of``.

    ``expires_at`` is the end of its period (extensions included; ``None`` while nothing has
    been preserved yet), ``followed_up_at`` when the first follow-up request was sent.
    """
    if expires_at is None:
        return Fate.OPEN
    if followed_up_at is not None and followed_up_at <= expires_at:
        return Fate.FOLLOWED_UP_IN_TIME
    if expires_at <= as_of:
        return Fate.LAPSED
    return Fate.OPEN


@dataclass(frozen=True)
class RequestCount:
    """How many requests went one way, of one kind, with one counterpart State, and how they
    ended."""

    direction: Direction
    kind: str
    counterpart: str
    outcome: Outcome
    count: int


@dataclass(frozen=True)
class GroundCount:
    """How many refusals cited one coded ground (a refusal may cite several)."""

    direction: Direction
    ground: str
    count: int


@dataclass(frozen=True)
class Durations:
    """The durations, in seconds, of one measure for one direction; ``contact_24_7`` holds
    those of the requests that travelled through the 24/7 network (Art. 41, recalled)."""

    direction: Direction
    measure: Measure
    seconds: tuple[float, ...]
    contact_24_7: bool = False


@dataclass(frozen=True)
class PreservationCount:
    direction: Direction
    fate: Fate
    count: int


@dataclass(frozen=True)
class ContentCount:
    """How many content-removal cases were opened under one article (Art. 14 or 16;
    the cases are hanoix.content's, Art. 34 recalled)."""

    article: int
    count: int


@dataclass(frozen=True)
class NoticeCount:
    """How many removal notices sent in the period stand in ``state`` (sent, acknowledged,
    removed, refused, reuploaded: hanoix.content.notices) for one kind of ``recipient`` (a
    service provider or a State). Notices keep no steps of their own beside the custody
    ledger, so where one stands is read when the report is made, not as of the period's end."""

    recipient: str
    state: str
    count: int


@dataclass(frozen=True)
class Facts:
    """Everything one report is made of, for the days ``start`` to ``end`` (both included,
    UTC)."""

    start: date
    end: date
    requests: tuple[RequestCount, ...] = ()
    grounds: tuple[GroundCount, ...] = ()
    durations: tuple[Durations, ...] = ()
    preservations: tuple[PreservationCount, ...] = ()
    content: tuple[ContentCount, ...] = field(default=())
    notices: tuple[NoticeCount, ...] = field(default=())
