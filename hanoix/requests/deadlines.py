"""Deadlines: one engine for every kind of request.

A deadline is derived from a request's data, never stored apart from it, so it cannot drift
from the request it belongs to. :func:`deadlines_for` lists a request's deadlines;
:func:`deadlines_due` lists the deadlines of many requests with their status at ``now``,
overdue first (most overdue first), then the soonest, then those on hold.

Times are UTC instants; :attr:`DeadlineStatus.local` shows each party's local time. Periods in
days are counted on the local calendar of the State where they run (see
:mod:`hanoix.requests.localtime`).

The deadlines:

* **preservation expiry** (Art. 42(8)): at least the Convention's minimum period from the day
  the data was preserved, longer if asked for or extended. Once the follow-up MLA request has
  reached the requested State, the preservation is *held* until a decision on it; after the
  decision, it ends at the later of its own expiry and the decision.
* **urgent expectations** (Art. 41): for urgent requests, an acknowledgement and a first answer
  within the times of :data:`URGENT_EXPECTATIONS`. These are this node's policy: the
  Convention asks for immediate assistance but sets no response time.
* **suggested execution date** (Art. 40(25), recalled: UNTOC 18(24) shifted by one by the
  persecution clause, as the rulebook's ``execute-promptly`` provision says): the date the
  requesting State asked for, with reasons, in the request.
* **end of a postponement**: the date until which execution was postponed.
* **deletion date**: a ``delete-by`` condition on what was received (Art. 36(1)(b)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from hanoix.convention.refs import Art
from hanoix.requests import rulebook
from hanoix.requests.conditions import DeleteBy, RetentionConsent
from hanoix.requests.localtime import end_of_local_day, local_time, require_utc
from hanoix.requests.model import DECIDED, CooperationRequest, Side, Status
from hanoix.requests.references import RequestReference
from hanoix.requests.roles import Action


class DeadlineKind(StrEnum):
    """The kinds of deadline the engine derives (see the module docstring)."""

    PRESERVATION_EXPIRY = "preservation-expiry"
    URGENT_ACKNOWLEDGEMENT = "urgent-acknowledgement"
    URGENT_RESPONSE = "urgent-response"
    SUGGESTED_EXECUTION = "suggested-execution"
    POSTPONED_UNTIL = "postponed-until"
    DELETE_BY = "delete-by"


class DeadlineState(StrEnum):
    """Where a deadline stands at one instant."""

    OVERDUE = "overdue"
    WARNING = "warning"  # due within the warning window
    RUNNING = "running"
    HELD = "held"  # suspended by a rule (Art. 42(8)); no due time while it holds


class OwnerKind(StrEnum):
    """Whether a deadline falls on a user or on an authority."""

    USER = "user"
    AUTHORITY = "authority"


@dataclass(frozen=True)
class Owner:
    """Who must act before a deadline: a user of this node, or an authority (possibly the
    other State's)."""

    kind: OwnerKind
    id: str
    state: str


@dataclass(frozen=True)
class UrgentExpectation:
    """What the 24/7 network expects of the requested side for an urgent request.

    ``measured_from`` are the steps whose time starts the clock (sending on the requesting
    node, registration on the requested one); ``met_by`` the steps that fulfil it.
    """

    kind: DeadlineKind
    label: str
    within: timedelta
    article: Art
    measured_from: frozenset[Action]
    met_by: frozenset[Action]
    basis: str = "node policy: the Convention sets no response time"


_ANSWERS = frozenset(
    {
        Action.START_EXECUTION,
        Action.EXECUTE_PARTIALLY,
        Action.EXECUTE,
        Action.REFUSE,
        Action.POSTPONE,
        Action.REQUEST_MORE_INFORMATION,
        Action.WITHDRAW,
    }
)

URGENT_EXPECTATIONS: tuple[UrgentExpectation, ...] = (
    UrgentExpectation(
        kind=DeadlineKind.URGENT_ACKNOWLEDGEMENT,
        label="acknowledge the urgent request",
        within=timedelta(hours=4),
        article=Art(41, 1),
        measured_from=frozenset({Action.SEND, Action.REGISTER}),
        met_by=_ANSWERS | {Action.ACKNOWLEDGE},
        basis=(
            "node policy: the Convention sets no response time; Art. 41(1) asks the 24/7 "
            "point of contact for immediate assistance"
        ),
    ),
    UrgentExpectation(
        kind=DeadlineKind.URGENT_RESPONSE,
        label="first answer to the urgent request (executing, preserving, asking, refusing)",
        within=timedelta(hours=24),
        article=Art(41, 3),
        measured_from=frozenset({Action.SEND, Action.REGISTER}),
        met_by=_ANSWERS,
        basis=(
            "node policy: the Convention sets no response time; Art. 41(3) lists the "
            "assistance the 24/7 point of contact gives, preservation included"
        ),
    ),
)
"""The 24/7 expectations, as data. The times are this node's policy, not the Convention's."""


@dataclass(frozen=True)
class DeadlinePolicy:
    """How deadlines are watched: the warning window (per kind, with a default) and the
    urgent expectations."""

    warning_window: timedelta = timedelta(days=10)
    warning_windows: Mapping[DeadlineKind, timedelta] = field(
        default_factory=lambda: {
            DeadlineKind.URGENT_ACKNOWLEDGEMENT: timedelta(hours=1),
            DeadlineKind.URGENT_RESPONSE: timedelta(hours=4),
        }
    )
    urgent_expectations: tuple[UrgentExpectation, ...] = URGENT_EXPECTATIONS

    def window(self, kind: DeadlineKind) -> timedelta:
        """The warning window for deadlines of ``kind``."""
        return self.warning_windows.get(kind, self.warning_window)


DEFAULT_POLICY = DeadlinePolicy()


@dataclass(frozen=True)
class Deadline:
    """One deadline of one request. ``due`` is ``None`` while the deadline is held."""

    kind: DeadlineKind
    request_id: str
    reference: RequestReference
    label: str
    due: datetime | None
    owner: Owner
    article: Art | None
    basis: str
    zones: Mapping[str, str]
    held_by: RequestReference | None = None

    def time_left(self, now: datetime) -> timedelta | None:
        """Time until due (negative when overdue); ``None`` while held."""
        return None if self.due is None else self.due - require_utc(now)

    def local_due(self) -> dict[str, datetime]:
        """The due instant in each party's local time, keyed by State."""
        if self.due is None:
            return {}
        return {state: local_time(self.due, zone) for state, zone in self.zones.items()}


@dataclass(frozen=True)
class DeadlineStatus:
    """A deadline as seen at one instant."""

    deadline: Deadline
    state: DeadlineState
    time_left: timedelta | None
    local: Mapping[str, datetime]


def _owner(request: CooperationRequest, side: Side) -> Owner:
    party = request.party(side)
    if side is request.side and request.owner:
        return Owner(OwnerKind.USER, request.owner, party.state)
    if side is request.side:
        return Owner(OwnerKind.AUTHORITY, request.handled_by, party.state)
    return Owner(OwnerKind.AUTHORITY, party.authority, party.state)


def _zones(request: CooperationRequest) -> dict[str, str]:
    return {
        request.requesting.state: request.requesting.zone,
        request.requested.state: request.requested.zone,
    }


def _deadline(
    request: CooperationRequest,
    kind: DeadlineKind,
    label: str,
    due: datetime | None,
    side: Side,
    article: Art | None,
    basis: str,
    held_by: RequestReference | None = None,
) -> Deadline:
    return Deadline(
        kind=kind,
        request_id=request.id,
        reference=request.reference,
        label=label,
        due=due,
        owner=_owner(request, side),
        article=article,
        basis=basis,
        zones=_zones(request),
        held_by=held_by,
    )


def _entered_at(request: CooperationRequest, statuses: frozenset[Status]) -> datetime | None:
    for entry in request.history:
        if entry.to_status in statuses and entry.from_status not in statuses:
            return entry.at
    return None


# The follow-up request has reached the requested State and awaits its decision.
_AT_REQUESTED_STATE = frozenset(
    {
        Status.RECEIVED,
        Status.ACKNOWLEDGED,
        Status.MORE_INFORMATION_REQUESTED,
        Status.IN_EXECUTION,
        Status.PARTIALLY_EXECUTED,
        Status.POSTPONED,
    }
)


def _preservation_deadline(
    request: CooperationRequest, by_reference: Mapping[RequestReference, list[CooperationRequest]]
) -> Deadline | None:
    preservation = request.preservation
    if preservation is None or request.status in (Status.WITHDRAWN, Status.REFUSED, Status.CLOSED):
        return None
    article = rulebook.preservation_period_article()
    label = f"preservation ends (at least {rulebook.preservation_minimum_days()} days)"
    basis = "Convention"
    due = preservation.expires_at()
    follow_ups = set(request.follow_ups)
    follow_ups.update(
        r.reference
        for copies in by_reference.values()
        for r in copies
        if r.follows_up == request.reference
    )
    decided_at: list[datetime] = []
    for reference in sorted(follow_ups):
        for copy in by_reference.get(reference, []):
            if copy.status in _AT_REQUESTED_STATE:
                return _deadline(
                    request,
                    DeadlineKind.PRESERVATION_EXPIRY,
                    f"preservation held until a decision on {reference}",
                    None,
                    Side.REQUESTING,
                    article,
                    basis,
                    held_by=reference,
                )
            if copy.status in DECIDED:
                decided = _entered_at(copy, DECIDED)
                if decided is not None:
                    decided_at.append(decided)
    if decided_at:
        due = max(due, *decided_at)
    return _deadline(
        request, DeadlineKind.PRESERVATION_EXPIRY, label, due, Side.REQUESTING, article, basis
    )


def _urgent_deadlines(request: CooperationRequest, policy: DeadlinePolicy) -> list[Deadline]:
    if not request.urgent or request.status in (Status.WITHDRAWN, Status.CLOSED):
        return []
    out: list[Deadline] = []
    for expectation in policy.urgent_expectations:
        started = next(
            (e.at for e in request.history if e.action in expectation.measured_from), None
        )
        if started is None:
            continue
        met = any(e.action in expectation.met_by and e.at >= started for e in request.history)
        if met:
            continue
        out.append(
            _deadline(
                request,
                expectation.kind,
                expectation.label,
                started + expectation.within,
                Side.REQUESTED,
                expectation.article,
                expectation.basis,
            )
        )
    return out


def deadlines_for(
    request: CooperationRequest,
    others: Iterable[CooperationRequest] = (),
    *,
    policy: DeadlinePolicy = DEFAULT_POLICY,
) -> list[Deadline]:
    """The open deadlines of ``request``; ``others`` are the requests it may be linked to (the
    follow-up MLA request of a preservation), usually the same list as ``deadlines_due``'s."""
    by_reference: dict[RequestReference, list[CooperationRequest]] = {}
    for other in others:
        by_reference.setdefault(other.reference, []).append(other)
    return _deadlines(request, by_reference, policy)


def _deadlines(
    request: CooperationRequest,
    by_reference: Mapping[RequestReference, list[CooperationRequest]],
    policy: DeadlinePolicy,
) -> list[Deadline]:
    out: list[Deadline] = []
    preservation = _preservation_deadline(request, by_reference)
    if preservation is not None:
        out.append(preservation)
    out.extend(_urgent_deadlines(request, policy))
    open_at_requested = request.status in _AT_REQUESTED_STATE | {Status.SENT}
    if request.suggested_deadline is not None and open_at_requested:
        out.append(
            _deadline(
                request,
                DeadlineKind.SUGGESTED_EXECUTION,
                "execution date suggested by the requesting State",
                end_of_local_day(request.suggested_deadline, request.requesting.zone),
                Side.REQUESTED,
                rulebook.suggested_deadline_article(),
                "Convention (take full account of the suggested date)",
            )
        )
    if request.status is Status.POSTPONED and request.postponement is not None:
        out.append(
            _deadline(
                request,
                DeadlineKind.POSTPONED_UNTIL,
                "postponement ends: resume, refuse or postpone again",
                end_of_local_day(request.postponement.until, request.requested.zone),
                Side.REQUESTED,
                rulebook.postponement_article(),
                "decision of the requested State",
            )
        )
    retention = [c.until for c in request.conditions.consents if isinstance(c, RetentionConsent)]
    for condition in request.conditions.conditions:
        if isinstance(condition, DeleteBy):
            later = [d for d in retention if d > condition.on]
            effective = DeleteBy(on=max(later), zones=condition.zones) if later else condition
            out.append(
                _deadline(
                    request,
                    DeadlineKind.DELETE_BY,
                    "delete what was received",
                    effective.deadline(),
                    Side.REQUESTING,
                    condition.article,
                    "condition of the requested State",
                )
            )
    return out


def _status(deadline: Deadline, now: datetime, policy: DeadlinePolicy) -> DeadlineStatus:
    left = deadline.time_left(now)
    if left is None:
        state = DeadlineState.HELD
    elif left <= timedelta(0):
        state = DeadlineState.OVERDUE
    elif left <= policy.window(deadline.kind):
        state = DeadlineState.WARNING
    else:
        state = DeadlineState.RUNNING
    return DeadlineStatus(
        deadline=deadline, state=state, time_left=left, local=deadline.local_due()
    )


def deadlines_due(
    requests: Iterable[CooperationRequest],
    now: datetime,
    *,
    policy: DeadlinePolicy = DEFAULT_POLICY,
    within: timedelta | None = None,
) -> list[DeadlineStatus]:
    """Every open deadline of ``requests`` with its state at ``now``.

    Overdue deadlines come first, most overdue first; then the others by due time, soonest
    first; held deadlines last. ``within`` keeps only those due before ``now + within``
    (overdue ones are always kept).
    """
    now = require_utc(now, what="current time")
    pool = list(requests)
    by_reference: dict[RequestReference, list[CooperationRequest]] = {}
    for request in pool:
        by_reference.setdefault(request.reference, []).append(request)
    statuses = [
        _status(deadline, now, policy)
        for request in pool
        for deadline in _deadlines(request, by_reference, policy)
    ]
    if within is not None:
        statuses = [
            s for s in statuses if s.deadline.due is not None and s.deadline.due <= now + within
        ]

    def order(status: DeadlineStatus) -> tuple[int, datetime, str]:
        due = status.deadline.due
        rank = 0 if status.state is DeadlineState.OVERDUE else 1 if due is not None else 2
        return (rank, due or now, str(status.deadline.reference))

    return sorted(statuses, key=order)
