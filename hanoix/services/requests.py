"""Cooperation requests: the use cases the API and the CLI share.

Every use case that changes a request is one unit of work, in this order::

    load (visible to the user, or not found) -> domain step (hanoix.requests.apply)
    -> save the new version if the stored one is still the version read (else 412)
    -> custody.record(the step's event) -> the step's row with its ledger index -> commit

so a state change and its custody entry commit together or not at all. Reading use cases go
through the same visibility rule: a request of another State, or another authority's
restricted one, answers exactly like a missing one.

Who acts is a :class:`hanoix.requests.User`, made from the node's user store
(:func:`user_for_principal` for the API, :func:`user_named` for the CLI). Profiles of the
requested States (:func:`state_profile`) come from the node's treaty data: languages and
reservations a State notified, where known; see ``docs/api.md`` for the assumptions made when a
State notified nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal
from weakref import WeakKeyDictionary

from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoix.convention import RequestKind
from hanoix.convention.assistance import EXCULPATORY_DISCLOSURE
from hanoix.documents.requests import DraftChanges, DraftInput, default_channel
from hanoix.errors import (
    InputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
)
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.merkle import leaf_hash
from hanoix.ledger.proofs import InclusionProof
from hanoix.requests import (
    Action,
    Authority,
    AuthorityKind,
    CooperationRequest,
    Counterpart,
    DeadlineStatus,
    FollowUpLink,
    IncomingRequest,
    IntendedUse,
    NodeActor,
    Payload,
    RequestEdit,
    RequestReference,
    Role,
    Side,
    StateProfile,
    Status,
    Step,
    UseAction,
    UseDeniedError,
    User,
    ValidationReport,
    apply,
    authorise,
    check_use,
    check_visible,
    create_follow_up_mla,
    deadlines_due,
    deadlines_for,
    draft_request,
    not_found,
    open_steps,
    reference_year,
    register_incoming,
)
from hanoix.requests.rulebook import ContentValue
from hanoix.requests.transitions import TRANSITIONS_BY_ACTION
from hanoix.services import custody
from hanoix.services.auth import Principal
from hanoix.services.drafting import DraftingCheck, drafting_check_with
from hanoix.services.node import Node
from hanoix.services.validation import (
    AUTHENTIC_LANGUAGES,
    DocumentValidation,
    DraftValidation,
    TreatyView,
    edit_spec,
    known_state,
    new_id,
    new_request_spec,
    require_role,
    validate_document_with,
    validate_draft_with,
    validate_with,
)
from hanoix.store import requests as store
from hanoix.store import retention as retention_store
from hanoix.store import treaty as treaty_store
from hanoix.store.auth import AuthorityRow, UserRow
from hanoix.store.requests import (
    LIST_ORDERS,
    ListFilter,
    Page,
    StaleVersionError,
    StoredStep,
    Visibility,
)
from hanoix.store.retention import Erasure
from hanoix.treaty.participants import state_zone
from hanoix.treaty.status import TreatyStatus

__all__ = [
    "AUTHENTIC_LANGUAGES",
    "IDEMPOTENCY_LIFETIME",
    "LIST_ORDERS",
    "MAX_PAGE",
    "AwaitingApproval",
    "Created",
    "DisclosureNotice",
    "DocumentValidation",
    "DraftInput",
    "DraftValidation",
    "DraftingCheck",
    "History",
    "HistoryStep",
    "IdempotencyKeyReusedError",
    "ListFilter",
    "Page",
    "RequestEvents",
    "StaleVersionError",
    "StepTaken",
    "UseDecision",
    "approval_queue",
    "check_intended_use",
    "create",
    "deadlines",
    "default_channel",
    "drafting_check",
    "follow_up",
    "history",
    "list_and_count",
    "list_requests",
    "load_authorised",
    "proved_history",
    "record_counterpart_step",
    "register",
    "require_role",
    "show",
    "shown_in",
    "state_profile",
    "state_zone",
    "take_step",
    "user_for_principal",
    "user_named",
    "validate_document",
    "validate_draft",
    "validate_request",
    "validation_in",
]

#: How long the answer to a creation is kept for its Idempotency-Key.
IDEMPOTENCY_LIFETIME = timedelta(hours=24)
#: The largest page a list returns.
MAX_PAGE = 500


class IdempotencyKeyReusedError(InputError):
    """The Idempotency-Key was used before with a different request body (HTTP 422)."""

    http_status = 422
    code = "idempotency-key-reused"


# --- who acts -------------------------------------------------------------------------------


def _user(session: Session, row: UserRow) -> User:
    authority = None
    if row.authority_code is not None:
        found = session.get(AuthorityRow, row.authority_code)
        if found is None:  # a foreign key guards this; fail closed all the same
            raise PermissionDeniedError(
                f"user {row.username}: authority {row.authority_code} is gone"
            )
        authority = Authority(found.code, found.state, AuthorityKind(found.kind))
    return User(row.username, authority, frozenset(Role(r) for r in row.roles.split()))


def user_from_principal(principal: Principal) -> User | None:
    """The caller as :func:`user_for_principal` sees them, from what their authentication read
    (no I/O); ``None`` when their authority must be read from the authorities table."""
    roles = frozenset(Role(r) for r in principal.roles)
    code, state, kind = principal.authority, principal.state, principal.authority_kind
    if code is None:
        return User(principal.username, None, roles)
    if state is not None and kind is not None:
        return User(principal.username, Authority(code, state, AuthorityKind(kind)), roles)
    return None


def user_for_principal(node: Node, principal: Principal) -> User:
    """The requests domain's view of an authenticated caller (the API's principal): roles as
    :class:`~hanoix.requests.Role`, the authority with its kind from the authorities table."""
    known = user_from_principal(principal)
    if known is not None:
        return known  # read with the credential in this call's authentication
    roles = frozenset(Role(r) for r in principal.roles)
    code = principal.authority
    with node.unit_of_work() as session:
        found = session.get(AuthorityRow, code)
        if found is None:
            raise PermissionDeniedError(f"user {principal.username}: authority {code} is gone")
        authority = Authority(found.code, found.state, AuthorityKind(found.kind))
    return User(principal.username, authority, roles)


def user_named(node: Node, username: str) -> User:
    """The active user ``username`` of this node's user store (the CLI's ``--as``)."""
    with node.unit_of_work() as session:
        row = session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None or not row.active:
            raise InputError(
                f"no active user named {username!r} on this node; list them with "
                "'hanoix user list', or add one with 'hanoix user add'"
            )
        return _user(session, row)


# --- States: profiles and the Convention's applicability ------------------------------------


# The treaty data of each node's database, read once and again only after an import: keyed by
# the engine (one per node), checked against the store's generation marker on every use, so an
# import by this process or another (``hanoix treaty import`` while the server runs) is seen
# by the next request. The marker is read before the data: a cached entry is never older
# than its marker.
_treaties: WeakKeyDictionary[Any, tuple[tuple[int, int], TreatyView]] = WeakKeyDictionary()


def _treaty(session: Session) -> TreatyView:
    bind = session.get_bind()
    engine = getattr(bind, "engine", bind)
    marker = treaty_store.generation(session)
    cached = _treaties.get(engine)
    if cached is not None and cached[0] == marker:
        return cached[1]
    data = treaty_store.load(session)
    treaty = TreatyView(TreatyStatus(data.actions, data.declarations))
    _treaties[engine] = (marker, treaty)
    return treaty


def state_profile(node: Node, state: str) -> StateProfile:
    """What ``state`` has declared that matters for requests sent to it."""
    known_state(state, "state")
    with node.unit_of_work() as session:
        return _treaty(session).profile(state)


def _validate(
    session: Session, request: CooperationRequest, at: datetime, treaty: TreatyView | None = None
) -> ValidationReport:
    return validate_with(treaty or _treaty(session), request, at)


# --- drafting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    """A created request, its validation report, and whether this answer is a replay of the
    first answer given under the same Idempotency-Key."""

    request: CooperationRequest
    report: ValidationReport
    replayed: bool = False


def create(
    node: Node, user: User, draft: DraftInput, *, idempotency_key: str | None = None
) -> Created:
    """Draft a new outgoing request for ``user``'s authority; validate it (the report is
    returned, a draft may still be incomplete); record it in the ledger.

    With ``idempotency_key``, a retry with the same body returns the first answer and creates
    nothing; the same key with another body is :class:`IdempotencyKeyReusedError`.
    """
    authority = require_role(user, Action.CREATE)
    now = node.clock.now()
    fingerprint = draft.fingerprint()
    with node.unit_of_work() as session:
        treaty = _treaty(session)
        if idempotency_key is not None:
            answer = store.find_answer(session, user.id, idempotency_key, now)
            if answer is not None:
                if answer.fingerprint != fingerprint:
                    raise IdempotencyKeyReusedError(
                        "this Idempotency-Key was used for a different request body; use a new "
                        "key for a new request",
                        problems=[
                            Problem("used before with another body", field="Idempotency-Key")
                        ],
                    )
                first = answer.request
                return Created(first, _validate(session, first, first.created_at, treaty), True)
        spec, _ = new_request_spec(treaty, authority, draft)
        year = reference_year(now, spec.requesting.zone)
        sequence = store.next_sequence(session, spec.requesting.state, year)
        step = draft_request(spec, author=user, at=now, new_id=new_id, sequence=sequence)
        _insert(session, node, step)
        if idempotency_key is not None:
            store.save_answer(
                session,
                username=user.id,
                key=idempotency_key,
                fingerprint=fingerprint,
                request=step.request,
                status_code=201,
                now=now,
                expires_at=now + IDEMPOTENCY_LIFETIME,
            )
        return Created(step.request, _validate(session, step.request, now, treaty))


def validate_draft(node: Node, draft: DraftInput, *, user: User | None = None) -> DraftValidation:
    """Validate a request document against the node's treaty data without storing anything
    (see :func:`hanoix.services.validation.validate_draft_with`)."""
    with node.unit_of_work() as session:
        treaty = _treaty(session)
    return validate_draft_with(
        treaty, draft, node_state=node.settings.state, now=node.clock.now(), user=user
    )


def validate_document(node: Node, data: object, *, user: User | None = None) -> DocumentValidation:
    """Validate a raw request document in one pass against the node's treaty data, storing
    nothing: every problem of a document that cannot be used yet, with every gap, or the
    findings of one that can (see :func:`hanoix.services.validation.validate_document_with`).
    The API's validate route and the drafting form call this."""
    with node.unit_of_work() as session:
        treaty = _treaty(session)
    return validate_document_with(
        treaty, data, node_state=node.settings.state, now=node.clock.now(), user=user
    )


def drafting_check(node: Node, data: object, *, user: User | None = None) -> DraftingCheck:
    """What the drafting form shows for a partly filled document, against the node's treaty
    data (see :func:`hanoix.services.drafting.drafting_check_with`); stores nothing."""
    with node.unit_of_work() as session:
        treaty = _treaty(session)
    return drafting_check_with(
        treaty, data, node_state=node.settings.state, now=node.clock.now(), user=user
    )


# --- saving steps ---------------------------------------------------------------------------


def _next_deadline(session: Session, request: CooperationRequest) -> datetime | None:
    others = store.follow_ups_of(session, str(request.reference)) if request.preservation else []
    dues = [d.due for d in deadlines_for(request, others) if d.due is not None]
    return min(dues) if dues else None


def _record(
    session: Session, node: Node, steps: Sequence[Step]
) -> list[tuple[int, dict[str, Any]]]:
    events: list[CustodyEvent] = [s.event.custody_event() for s in steps]
    # Each step keeps its entry as the log holds it, so that its proof checks against it.
    recorded = custody.record_entries(session, events, clock=node.clock)
    return [(index, written.as_dict()) for index, written in recorded]


def _refresh_linked(session: Session, request: CooperationRequest) -> None:
    """A follow-up changed: the preservation it follows up may now be held or released."""
    if request.follows_up is None:
        return
    preservation = store.load(session, str(request.follows_up))
    if preservation is not None:
        store.set_next_deadline(session, preservation.id, _next_deadline(session, preservation))


def _insert(session: Session, node: Node, step: Step) -> None:
    request = step.request
    store.insert_request(session, request, next_deadline=_next_deadline(session, request))
    store.add_steps(session, request, 0, _record(session, node, [step]))
    _refresh_linked(session, request)


def _update(session: Session, node: Node, before: CooperationRequest, step: Step) -> None:
    request = step.request
    store.update_request(
        session,
        request,
        expected_version=before.version,
        next_deadline=_next_deadline(session, request),
    )
    store.add_steps(session, request, before.version, _record(session, node, [step]))
    _refresh_linked(session, request)


def _load_visible(session: Session, user: User, reference: str) -> CooperationRequest:
    try:
        parsed = str(RequestReference.parse(reference))
    except InputError:
        # A malformed reference is a reference this node does not hold: the same answer.
        raise not_found(reference) from None
    request = store.load(session, parsed)
    if request is None:
        raise not_found(reference)
    check_visible(user, request)
    return request


def load_authorised(
    session: Session, user: User, reference: str, action: Action
) -> CooperationRequest:
    """Request ``reference`` if ``user`` may take ``action`` on it; a request they may not see,
    or a malformed reference, answers exactly like a missing one."""
    request = _load_visible(session, user, reference)
    authorise(user, action, request)
    return request


def _check_version(request: CooperationRequest, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != request.version:
        raise StaleVersionError(
            f"request {request.reference} is at version {request.version}, not "
            f"{expected_version}: read it again and retry"
        )


# --- who hears of the steps ----------------------------------------------------------------


@dataclass(frozen=True)
class StepTaken:
    """A lifecycle step one of this node's users took, published inside its unit of work
    (``session``), so that what a listener writes commits with the step or not at all.
    ``request`` is the request after the step (its last history entry is the step)."""

    request: CooperationRequest
    action: Action
    user: User
    session: Session
    payload: Payload | None
    note: str | None


@dataclass(frozen=True)
class DisclosureNotice:
    """The notice the requested State must have before the requesting State discloses
    exculpatory material it received (Art. 40(19), EXCULPATORY_DISCLOSURE)."""

    request: CooperationRequest
    user: User
    proceeding: str


StepListener = Callable[[StepTaken], None]
#: Delivers a notice to the other State (True), or cannot (False: the user gives it another way).
NoticeCarrier = Callable[[DisclosureNotice], bool]


class RequestEvents:
    """Who hears of what this node's users do with requests. A node holds one
    (:attr:`hanoix.services.node.Node.request_events`), with the listeners that
    :mod:`hanoix.services.registry` subscribes: this module knows none of them."""

    def __init__(self) -> None:
        self._step_listeners: list[StepListener] = []
        self._notice_carriers: list[NoticeCarrier] = []

    def on_step(self, listener: StepListener) -> None:
        """Call ``listener`` with every step, in the order the steps are taken."""
        self._step_listeners.append(listener)

    def on_disclosure_notice(self, carrier: NoticeCarrier) -> None:
        """Ask ``carrier`` to deliver each notice of an exculpatory disclosure."""
        self._notice_carriers.append(carrier)

    def step_taken(self, step: StepTaken) -> None:
        for listener in self._step_listeners:
            listener(step)

    def carry_notice(self, notice: DisclosureNotice) -> bool:
        """Whether a carrier delivered ``notice`` (the first that can does)."""
        return any(carry(notice) for carry in self._notice_carriers)


def _publish(
    node: Node, session: Session, user: User, step: Step, payload: Payload | None, note: str | None
) -> None:
    request = step.request
    taken = StepTaken(request, request.history[-1].action, user, session, payload, note)
    node.request_events.step_taken(taken)


def take_step(
    node: Node,
    user: User,
    reference: str,
    action: Action,
    *,
    expected_version: int | None,
    payload: Payload | DraftChanges | None = None,
    note: str | None = None,
) -> CooperationRequest:
    """Take lifecycle step ``action`` on request ``reference`` as ``user``, in one unit of work.

    ``expected_version`` is the version the caller last read (the API's If-Match); a request
    that moved on since is :class:`StaleVersionError`. Steps that need a valid request
    (submit, approve, send) are validated here, against the current version. A draft's
    changes as a document gives them (:class:`DraftChanges`, the edit of the API, the CLI
    and the drafting form) have their parties settled against the treaty data here.
    """
    if action not in TRANSITIONS_BY_ACTION:
        raise InputError(f"'{action.value}' is not a lifecycle step")
    now = node.clock.now()
    with node.unit_of_work() as session:
        request = _load_visible(session, user, reference)
        _check_version(request, expected_version)
        if isinstance(payload, DraftChanges):
            payload = _settled(session, user, request, action, payload, now)
        report = None
        if TRANSITIONS_BY_ACTION[action].needs_valid:
            report = _validate(session, request, now)
        step = apply(request, action, user, now, payload=payload, note=note, report=report)
        _update(session, node, request, step)
        # Listeners (the other State's node) learn of the step in the same unit of work.
        _publish(node, session, user, step, payload, note)
        return step.request


def _settled(
    session: Session,
    user: User,
    request: CooperationRequest,
    action: Action,
    changes: DraftChanges,
    now: datetime,
) -> RequestEdit:
    if action is not Action.EDIT:
        raise InputError(f"'{action.value}' does not take a draft's changes")
    # Refused as any step is (status, role, authority) before the changes are read.
    _refuse_edit(user, request, now)
    return edit_spec(_treaty(session), request, changes)


def _refuse_edit(user: User, request: CooperationRequest, now: datetime) -> None:
    """Raise the lifecycle's own refusal unless ``user`` may edit ``request`` now."""
    if Action.EDIT not in open_steps(user, request):
        apply(request, Action.EDIT, user, now, payload=RequestEdit())


def editable_draft(node: Node, user: User, reference: str) -> CooperationRequest:
    """The draft ``reference`` if ``user`` may edit it now, for the drafting form to show it;
    otherwise the refusal the edit itself would give (not a draft any more, another role or
    authority), and for a request the user may not see, not found."""
    now = node.clock.now()
    with node.unit_of_work() as session:
        request = _load_visible(session, user, reference)
        _refuse_edit(user, request, now)
        # The form shows every field it has saved: a reading of its contents like any other.
        record_content_read(session, user, request, "draft-form", now)
    return request


def record_counterpart_step(
    node: Node,
    reference: str,
    action: Action,
    actor: Counterpart | NodeActor,
    *,
    at: datetime,
    payload: Payload | None = None,
    note: str | None = None,
    session: Session | None = None,
) -> CooperationRequest:
    """Record on this node a step the other State took (its signed message arrived), or an
    automatic step of the node itself. For the federation inbox; no user is involved, so the
    domain's actor rules (:func:`hanoix.requests.authorise_actor`) decide. With ``session``
    (the inbox transaction) it joins that unit of work instead of opening one."""
    with _joined(node, session) as unit:
        request = store.load(unit, str(RequestReference.parse(reference)))
        if request is None:
            raise not_found(reference)
        step = apply(request, action, actor, at, payload=payload, note=note)
        _update(unit, node, request, step)
        return step.request


@contextmanager
def _joined(node: Node, session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
        return
    with node.unit_of_work() as own:
        yield own


def register(
    node: Node,
    actor: User | NodeActor,
    incoming: IncomingRequest,
    *,
    session: Session | None = None,
) -> CooperationRequest:
    """Register a request that arrived from another State (the inbox, or a clerk typing in one
    that came on paper) as this node's ``received`` copy. With ``session`` (the inbox
    transaction) it joins that unit of work."""
    if isinstance(actor, User):
        authority = require_role(actor, Action.REGISTER)
        if incoming.handled_by != authority.code:
            raise PermissionDeniedError(
                f"you act for {authority.code}; register requests for your own authority"
            )
    now = node.clock.now()
    with _joined(node, session) as unit:
        step = register_incoming(incoming, actor=actor, at=now, new_id=new_id)
        _insert(unit, node, step)
        return step.request


@dataclass(frozen=True)
class FollowUpResult:
    """The follow-up MLA draft and the preservation it is now linked to."""

    mla: CooperationRequest
    preservation: CooperationRequest
    report: ValidationReport


def follow_up(
    node: Node,
    user: User,
    reference: str,
    *,
    expected_version: int | None,
    kind: RequestKind | None = None,
    contents: Mapping[str, ContentValue] | None = None,
) -> FollowUpResult:
    """Draft the MLA request that follows up preservation ``reference`` and link the two, in
    one unit of work (two custody events)."""
    authority = require_role(user, Action.CREATE)
    now = node.clock.now()
    with node.unit_of_work() as session:
        preservation = _load_visible(session, user, reference)
        _check_version(preservation, expected_version)
        year = reference_year(now, preservation.requesting.zone)
        sequence = store.next_sequence(session, authority.state, year)
        result = create_follow_up_mla(
            preservation,
            author=user,
            at=now,
            new_id=new_id,
            sequence=sequence,
            kind=kind,
            contents=contents,
        )
        _insert(session, node, result.mla)
        _update(session, node, preservation, result.preservation)
        link = FollowUpLink(reference=result.mla.request.reference)
        _publish(node, session, user, result.preservation, link, None)
        mla = result.mla.request
        return FollowUpResult(mla, result.preservation.request, _validate(session, mla, now))


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """A request as its reader may see it, with its open deadlines at ``now`` and the
    lifecycle steps the reader may take on it now (:func:`hanoix.requests.open_steps`)."""

    request: CooperationRequest
    deadlines: list[DeadlineStatus]
    steps: tuple[Action, ...] = ()
    #: What retention erased of it (docs/retention.md), oldest first.
    erasures: tuple[Erasure, ...] = ()


def show(node: Node, user: User, reference: str) -> Shown:
    """The request with its contents (personal data: only for those allowed to read it)."""
    now = node.clock.now()
    with node.unit_of_work() as session:
        request = load_authorised(session, user, reference, Action.READ_CONTENT)
        return shown_in(session, user, request, now)


def shown_in(session: Session, user: User, request: CooperationRequest, now: datetime) -> Shown:
    """:func:`show` for a request already loaded and authorised in ``session``."""
    others = store.follow_ups_of(session, str(request.reference)) if request.preservation else []
    statuses = deadlines_due([request, *others], now)
    own = [s for s in statuses if s.deadline.request_id == request.id]
    erasures = record_content_read(session, user, request, "request-contents", now)
    return Shown(request, own, open_steps(user, request), erasures)


def record_content_read(
    session: Session, user: User, request: CooperationRequest, what: str, at: datetime
) -> tuple[Erasure, ...]:
    """Record that ``user`` read ``request``'s contents (``what``: the request, its letter),
    unless its personal data is erased already; returns what retention erased of it.

    Reading a request's contents is reading its personal data: the data-protection officer can
    then say who did, and when (docs/retention.md)."""
    reference = str(request.reference)
    erasures = tuple(retention_store.erasures_of(session, [reference]))
    erased = any(e.category in ("personal-data", "request-contents") for e in erasures)
    if user.authority is not None and not erased:
        retention_store.record_read(
            session, retention_store.Read(reference, what, user.id, user.authority.code, at)
        )
    return erasures


def validate_request(node: Node, user: User, reference: str) -> ValidationReport:
    """Validate the current version of a stored request (the report names that version)."""
    now = node.clock.now()
    with node.unit_of_work() as session:
        request = load_authorised(session, user, reference, Action.READ_CONTENT)
        return validation_in(session, request, now)


def validation_in(session: Session, request: CooperationRequest, at: datetime) -> ValidationReport:
    """:func:`validate_request` for a request already loaded and authorised in ``session``."""
    return _validate(session, request, at)


def list_requests(
    node: Node,
    user: User,
    filters: ListFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    order: str = "newest",
) -> Page:
    """A page of the requests ``user`` may see, newest first (or by next deadline, the most
    overdue first: ``order="deadline"``); ``cursor`` continues a list in the same order."""
    return _listed(node, user, filters, limit, cursor, order, counted=False)[0]


def list_and_count(
    node: Node,
    user: User,
    filters: ListFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    order: str = "newest",
) -> tuple[Page, dict[str, int]]:
    """:func:`list_requests`, and how many requests ``user`` may see match ``filters`` in each
    status (the status filter itself aside): a list with the counts beside it."""
    return _listed(node, user, filters, limit, cursor, order, counted=True)


def _listed(
    node: Node,
    user: User,
    filters: ListFilter,
    limit: int,
    cursor: str | None,
    order: str,
    *,
    counted: bool,
) -> tuple[Page, dict[str, int]]:
    authority = require_role(user, Action.VIEW)
    if not 1 <= limit <= MAX_PAGE:
        raise InputError(
            f"limit: ask for 1 to {MAX_PAGE} requests per page, not {limit}",
            problems=[Problem(f"between 1 and {MAX_PAGE}", field="limit")],
        )
    if order not in LIST_ORDERS:
        message = f"order: one of {', '.join(LIST_ORDERS)}, not {order!r}"
        raise InputError(message, problems=[Problem(message, field="order")])
    visibility = Visibility(authority.state, authority.code)
    # Each statement is its own snapshot: the page's (and the counts') own.
    with node.reading() as session:
        page = store.list_requests(
            session, visibility, filters, limit=limit, cursor=cursor, order=order
        )
        counts = store.count_by_status(session, visibility, filters) if counted else {}
    return page, counts


@dataclass(frozen=True)
class AwaitingApproval:
    """A request submitted for approval, and whether this approver may approve it: ``refused``
    is what the four-eyes and authority rules answer (:func:`~hanoix.requests.authorise`)."""

    request: store.RequestSummary
    refused: str | None


def approval_queue(
    node: Node, user: User, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[AwaitingApproval], str | None]:
    """The requests ``user`` may see that wait for approval, each with the answer
    :func:`~hanoix.requests.authorise` gives ``user`` for approving it; and the next cursor."""
    require_role(user, Action.APPROVE)
    waiting = ListFilter(status=Status.AWAITING_APPROVAL.value)
    page = list_requests(node, user, waiting, limit=limit, cursor=cursor)
    with node.reading() as session:
        held = {
            str(r.reference): r
            for r in store.load_many(session, [item.reference for item in page.items])
        }
    queue = []
    for item in page.items:
        request = held.get(item.reference)
        if request is None:  # gone since the page was read: nothing to approve
            continue
        try:
            authorise(user, Action.APPROVE, request)
        except (PermissionDeniedError, NotFoundError) as refused:
            queue.append(AwaitingApproval(item, refused.message))
        else:
            queue.append(AwaitingApproval(item, None))
    return queue, page.next_cursor


def deadlines(node: Node, user: User, *, within: timedelta | None = None) -> list[DeadlineStatus]:
    """Every open deadline of the requests ``user`` may see: overdue first, then soonest."""
    authority = require_role(user, Action.VIEW)
    now = node.clock.now()
    with node.unit_of_work() as session:
        found, linked = store.with_deadlines(
            session,
            Visibility(authority.state, authority.code),
            now + within if within is not None else None,
        )
    ids = {r.id for r in found}
    return [
        s
        for s in deadlines_due([*found, *linked], now, within=within)
        if s.deadline.request_id in ids
    ]


@dataclass(frozen=True)
class HistoryStep:
    """One step with its custody event and the proof that the ledger holds that event."""

    step: StoredStep
    proof: InclusionProof
    entry_matches: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.step.seq,
            "action": self.step.action,
            "from_status": self.step.from_status,
            "to_status": self.step.to_status,
            "side": self.step.side,
            "actor": self.step.actor,
            "authority": self.step.authority,
            "at": self.step.at.isoformat().replace("+00:00", "Z"),
            "ledger_index": self.step.ledger_index,
            "event": self.step.event,
            "entry_matches": self.entry_matches,
            "proof": self.proof.as_dict(),
        }


@dataclass(frozen=True)
class History:
    """A request's recorded steps, each proved against one signed checkpoint of the ledger."""

    reference: str
    version: int
    tree_size: int
    steps: list[HistoryStep]
    #: What retention erased of the request (docs/retention.md): its steps stay.
    erasures: tuple[Erasure, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "version": self.version,
            "tree_size": self.tree_size,
            "steps": [s.as_dict() for s in self.steps],
            "erasures": [
                {k: v for k, v in e.as_dict().items() if k != "subject"} for e in self.erasures
            ],
        }


def history(node: Node, user: User, reference: str) -> History:
    """The custody events of every step of a request, with their inclusion proofs.

    Each proof is checked before it is handed out (the ledger never gives a proof that does
    not verify), and ``entry_matches`` says the stored event hashes to the proved leaf.
    """
    now = node.clock.now()
    with node.unit_of_work() as session:
        request = load_authorised(session, user, reference, Action.READ_HISTORY)
        stored = store.steps(session, request.id)
        # The steps' notes and reasons are personal data (docs/retention.md): a reading.
        erasures = record_content_read(session, user, request, "request-history", now)
    return dataclasses.replace(proved_history(node, request, stored), erasures=erasures)


def proved_history(node: Node, request: CooperationRequest, stored: list[StoredStep]) -> History:
    """:func:`history` for a request already authorised, from its stored steps."""
    ledger = node.custody_ledger
    # Every step against the same tree, read once: one proof each, one checkpoint for all.
    proofs = ledger.prove_inclusions([step.ledger_index for step in stored])
    size = proofs[0].tree_size if proofs else ledger.head().size
    proved = []
    for step, proof in zip(stored, proofs, strict=True):
        entry = CustodyEvent.from_dict(step.event).canonical_bytes()
        proved.append(HistoryStep(step, proof, leaf_hash(entry) == proof.leaf_hash))
    return History(str(request.reference), request.version, size, proved)


_USE_ACTIONS = {
    UseAction.OPEN: Action.OPEN_EVIDENCE,
    UseAction.EXPORT: Action.EXPORT_EVIDENCE,
    UseAction.FORWARD: Action.FORWARD_EVIDENCE,
    UseAction.USE_IN_PROCEEDING: Action.USE_IN_PROCEEDING,
    UseAction.DISCLOSE_EXCULPATORY: Action.USE_IN_PROCEEDING,
}

Notice = Literal["sent", "by-other-means"]


@dataclass(frozen=True)
class UseDecision:
    """A use allowed. ``notice`` says, for an exculpatory disclosure, whether the notice the
    requested State must have first went to its node ("sent") or must be given another way
    (it has no node, or the request did not travel over the network)."""

    action: UseAction
    notice: Notice | None = None


def check_intended_use(node: Node, user: User, reference: str, use: IntendedUse) -> UseDecision:
    """Raise unless ``user`` may make ``use`` of what was received for request ``reference``:
    their role (:func:`authorise`), then the conditions on use and the consents given
    (:func:`hanoix.requests.check_use`, each refusal naming its condition and article).

    An exculpatory disclosure (Art. 40(19), EXCULPATORY_DISCLOSURE) that is allowed queues
    its notice to the requested State's node before the answer is given.
    """
    now = node.clock.now()
    with node.unit_of_work() as session:
        request = _load_visible(session, user, reference)
    authorise(user, _USE_ACTIONS[use.action], request)
    if use.action is UseAction.DISCLOSE_EXCULPATORY and request.side is not Side.REQUESTING:
        raise InputError(
            f"an exculpatory disclosure ({EXCULPATORY_DISCLOSURE.art}) is made by the requesting "
            f"State in its proceedings; this node holds {request.reference} as the requested State"
        )
    try:
        check_use(request.conditions, use, now)
    except UseDeniedError as refused:
        _record_use(node, user, request, use, refused)
        raise
    notice: Notice | None = None
    if use.action is UseAction.DISCLOSE_EXCULPATORY:
        notice_given = DisclosureNotice(request, user, use.proceeding or "")
        notice = "sent" if node.request_events.carry_notice(notice_given) else "by-other-means"
    _record_use(node, user, request, use, None, notice)
    return UseDecision(use.action, notice)


def _record_use(
    node: Node,
    user: User,
    request: CooperationRequest,
    use: IntendedUse,
    refused: UseDeniedError | None,
    notice: Notice | None = None,
) -> None:
    """Every decision on a use of received material goes into the custody ledger, refusals
    included: they commit on their own, since the refused use itself changes nothing."""
    details: dict[str, Any] = {
        "step": "use-checked",
        "use": use.action.value,
        "outcome": "refused" if refused else "allowed",
    }
    if use.recipient:
        details["recipient"] = use.recipient
    if notice is not None:
        details["notice"] = notice
    if refused is not None:
        details["conditions"] = [p.field for p in refused.problems if p.field]
        details["articles"] = [p.article for p in refused.problems if p.article]
    event = CustodyEvent(
        kind=EventKind.REQUEST_CHANGED,
        actor=user.id,
        authority=user.authority.code if user.authority else "node",
        at=node.clock.now(),
        subject={"request": str(request.reference)},
        details=details,
    )
    with node.unit_of_work() as session:
        custody.record(session, event, clock=node.clock)
