"""The lifecycle engine: creating a request's copy, taking steps, and the events they produce.

Every function here is pure. It takes a request value, an actor, the time (from the caller's
clock) and what the step carries, and returns a :class:`Step`: the new request value and the
domain event to record. The service layer stores the new version and turns the event into a
custody event (:meth:`RequestEvent.custody_event`) in the same unit of work.

The order of checks is fixed, so callers and tests can rely on which error comes first:
visibility (not found), state (:class:`~hanoix.errors.TransitionError`), authorisation
(:class:`~hanoix.errors.PermissionDeniedError`), then what the step carries
(:class:`~hanoix.errors.InputError`, :class:`~hanoix.errors.RuleViolationError`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from hanoix.convention import RequestKind
from hanoix.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RuleViolationError,
    TransitionError,
)
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.requests import rulebook
from hanoix.requests.authorisation import authorise, authorise_actor, check_visible
from hanoix.requests.conditions import (
    ConditionSet,
    DeleteBy,
    RetentionConsent,
    UseConsent,
    statutory_conditions,
)
from hanoix.requests.follow_ups import (
    FOLLOW_UP_CHANNEL,
    carried_contents,
    follow_up_kind,
    follow_up_terms,
)
from hanoix.requests.limits import check_size
from hanoix.requests.localtime import local_date, require_utc
from hanoix.requests.model import (
    Channel,
    CooperationRequest,
    HistoryEntry,
    LegalBasis,
    Party,
    Postponement,
    Preservation,
    PreservationExtension,
    Refusal,
    Side,
    Status,
    Transfer,
    present,
)
from hanoix.requests.payloads import (
    CLEARABLE,
    ConditionsAttachment,
    ExecutionReport,
    FollowUpLink,
    Payload,
    RequestEdit,
)
from hanoix.requests.references import RequestReference, make_reference
from hanoix.requests.roles import Action, Actor, NodeActor, User, actor_authority, actor_id
from hanoix.requests.rulebook import ContentValue
from hanoix.requests.terms import RequestTerms, amend
from hanoix.requests.transitions import (
    ENTRY_POINTS_BY_ACTION,
    TRANSITIONS_BY_ACTION,
    Transition,
    possible_actions,
)
from hanoix.requests.validation import ValidationReport

IdSource = Callable[[], str]
"""Where new request ids come from (the service passes a UUID source; tests a counter)."""


@dataclass(frozen=True)
class RequestEvent:
    """What happened to a request in one step: the domain event of that step.

    It holds no personal data (notes stay in the request's history), so it can be logged and
    written to the custody ledger as it is.
    """

    request_id: str
    reference: RequestReference
    kind: EventKind
    action: Action
    from_status: Status | None
    to_status: Status
    side: Side
    actor: str
    authority: str
    at: datetime
    details: Mapping[str, str] = field(default_factory=dict)

    def custody_event(self) -> CustodyEvent:
        """This event as the custody event the ledger records."""
        details: dict[str, Any] = {
            "action": self.action.value,
            "from": self.from_status.value if self.from_status else None,
            "to": self.to_status.value,
            "side": self.side.value,
        }
        details.update(self.details)
        return CustodyEvent(
            kind=self.kind,
            actor=self.actor,
            authority=self.authority,
            at=self.at,
            subject={"request": str(self.reference)},
            details=details,
        )


@dataclass(frozen=True)
class Step:
    """The result of a step: the request after it and the event it produced."""

    request: CooperationRequest
    event: RequestEvent


@dataclass(frozen=True)
class NewRequest:
    """What a drafter supplies to open a new outgoing request: its kind, the parties, the
    channel and its terms; ``owner`` is the user in charge (default: the drafter)."""

    kind: RequestKind
    requesting: Party
    requested: Party
    channel: Channel
    terms: RequestTerms
    owner: str | None = None
    follows_up: RequestReference | None = None


@dataclass(frozen=True)
class IncomingRequest:
    """What arrives with a request from another State (or is typed in from paper).

    ``handled_by`` is the local authority that receives it (the central authority, or the
    24/7 point of contact for what comes through the network).
    """

    reference: RequestReference
    kind: RequestKind
    requesting: Party
    requested: Party
    handled_by: str
    channel: Channel
    terms: RequestTerms
    follows_up: RequestReference | None = None


def _entry(
    request: CooperationRequest,
    action: Action,
    from_status: Status | None,
    side: Side,
    actor: Actor,
    at: datetime,
    note: str | None,
    details: Mapping[str, str],
) -> tuple[CooperationRequest, HistoryEntry]:
    entry = HistoryEntry(
        seq=request.version + 1,
        action=action,
        from_status=from_status,
        to_status=request.status,
        at=at,
        side=side,
        actor=actor_id(actor),
        authority=actor_authority(actor),
        note=note,
        details=dict(details),
    )
    recorded = replace(request, history=(*request.history, entry), version=request.version + 1)
    return recorded, entry


def _event(request: CooperationRequest, entry: HistoryEntry, kind: EventKind) -> RequestEvent:
    return RequestEvent(
        request_id=request.id,
        reference=request.reference,
        kind=kind,
        action=entry.action,
        from_status=entry.from_status,
        to_status=entry.to_status,
        side=entry.side,
        actor=entry.actor,
        authority=entry.authority,
        at=entry.at,
        details=entry.details,
    )


def _legal_basis_text(request: CooperationRequest) -> str:
    if request.legal_basis is LegalBasis.OTHER and request.legal_basis_other:
        return request.legal_basis_other
    return f"UN Convention against Cybercrime, {rulebook.legal_basis_article(request.kind)}"


def _opened(
    spec: NewRequest | IncomingRequest,
    at: datetime,
    *,
    id: str,
    reference: RequestReference,
    side: Side,
    handled_by: str,
    status: Status,
    owner: str | None = None,
    drafted_by: str | None = None,
    authors: frozenset[str] = frozenset(),
) -> CooperationRequest:
    """A request as either side opens it: the spec's fields, plus what only that side knows.

    Conditions that apply by law (Arts 40(19), 36(3)) are in place from the start.
    """
    return CooperationRequest(
        id=id,
        reference=reference,
        side=side,
        handled_by=handled_by,
        status=status,
        owner=owner,
        drafted_by=drafted_by,
        authors=authors,
        kind=spec.kind,
        requesting=spec.requesting,
        requested=spec.requested,
        created_at=at,
        channel=spec.channel,
        # The copy's own contents, so that it shares no mapping with the caller.
        terms=replace(spec.terms, contents=dict(spec.terms.contents)),
        legal_basis=LegalBasis.OTHER if spec.terms.legal_basis_other else LegalBasis.CONVENTION,
        follows_up=spec.follows_up,
        conditions=ConditionSet(conditions=statutory_conditions(spec.terms.proceeding)),
    )


def draft_request(
    spec: NewRequest, *, author: User, at: datetime, new_id: IdSource, sequence: int
) -> Step:
    """Open a new outgoing request as a draft of ``author``'s authority.

    ``sequence`` is the next number of the requesting State's counter for the local year
    (:func:`hanoix.requests.references.reference_year` tells the store which year).
    Conditions that apply by law (Arts 40(19), 36(3)) are in place from the start.
    """
    at = require_utc(at, what="time of drafting")
    if author.authority is None or author.authority.state != spec.requesting.state:
        raise InputError(
            f"a request is drafted for the user's own State; {spec.requesting.state} is not "
            f"the State of {author.id}"
        )
    if spec.requesting.state == spec.requested.state:
        raise InputError("the requested State must be another State than the requesting one")
    check_size(spec.terms.contents, spec.terms.proceeding, spec.terms.legal_basis_other)
    entry_point = ENTRY_POINTS_BY_ACTION[Action.CREATE]
    request = _opened(
        spec,
        at,
        id=new_id(),
        reference=make_reference(spec.requesting.state, at, spec.requesting.zone, sequence),
        side=Side.REQUESTING,
        handled_by=author.authority.code,
        status=entry_point.target,
        owner=spec.owner or author.id,
        drafted_by=author.id,
        authors=frozenset({author.id}),
    )
    authorise(author, Action.CREATE, request)
    details = {"kind": str(spec.kind), "requested_state": spec.requested.state}
    if spec.follows_up is not None:
        details["follows_up"] = str(spec.follows_up)
    recorded, entry = _entry(
        request, Action.CREATE, None, Side.REQUESTING, author, at, None, details
    )
    return Step(recorded, _event(recorded, entry, entry_point.event))


def register_incoming(
    spec: IncomingRequest, *, actor: User | NodeActor, at: datetime, new_id: IdSource
) -> Step:
    """Create the requested side's copy of a request that arrived, in state ``received``.

    The node's inbox registers with a :class:`~hanoix.requests.roles.NodeActor`; a clerk
    typing in a request that came on paper registers as a user.
    """
    at = require_utc(at, what="time of receipt")
    check_size(spec.terms.contents, spec.terms.proceeding, spec.terms.legal_basis_other)
    entry_point = ENTRY_POINTS_BY_ACTION[Action.REGISTER]
    request = _opened(
        spec,
        at,
        id=new_id(),
        reference=spec.reference,
        side=Side.REQUESTED,
        handled_by=spec.handled_by,
        status=entry_point.target,
    )
    if spec.requesting.state == spec.requested.state:
        raise InputError("the requesting and requested States of a request must differ")
    authorise_actor(actor, Action.REGISTER, request)
    details = {"kind": str(spec.kind), "requesting_state": spec.requesting.state}
    if spec.follows_up is not None:
        details["follows_up"] = str(spec.follows_up)
    recorded, entry = _entry(
        request, Action.REGISTER, None, Side.REQUESTED, actor, at, None, details
    )
    return Step(recorded, _event(recorded, entry, entry_point.event))


# --- taking a step ------------------------------------------------------------------------


def _check_state(request: CooperationRequest, transition: Transition) -> None:
    if request.status in transition.sources:
        return
    options = possible_actions(request.status)
    listed = ", ".join(a.value for a in options) if options else "none"
    raise TransitionError(
        f"cannot '{transition.action.value}' request {request.reference}: it is "
        f"'{request.status.value}'; possible steps from '{request.status.value}': {listed}",
    )


def _check_payload(transition: Transition, payload: Payload | None) -> None:
    if payload is None:
        if transition.payload_required:
            names = " or ".join(t.__name__ for t in transition.payload)
            raise InputError(f"'{transition.action.value}' needs its details ({names})")
        return
    if not transition.payload or not isinstance(payload, transition.payload):
        raise InputError(
            f"'{transition.action.value}' does not take {type(payload).__name__} details"
        )


def _check_report(request: CooperationRequest, transition: Transition, report: Any) -> None:
    if not transition.needs_valid:
        return
    if not isinstance(report, ValidationReport):
        raise RuleViolationError(
            f"'{transition.action.value}' needs the request validated first (validate and pass "
            "the report)"
        )
    if report.request_id != request.id or report.version != request.version:
        raise ConflictError(
            f"the validation report is for another version of request {request.reference}; "
            "validate it again"
        )
    report.raise_for_errors()


def _transfer(request: CooperationRequest, transition: Transition, at: datetime) -> Transfer:
    sender = request.party(transition.side)
    receiver = request.party(transition.side.other)
    return Transfer(
        at=at,
        from_state=sender.state,
        to_state=receiver.state,
        what=transition.action.value,
        legal_basis=_legal_basis_text(request),
    )


Effect = Callable[
    [CooperationRequest, Any, Actor, datetime], tuple[CooperationRequest, dict[str, str]]
]


def _edit(
    request: CooperationRequest, edit: RequestEdit, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    unknown = rulebook.unknown_contents(request.kind, edit.contents)
    if unknown:
        raise InputError(f"{unknown[0].field}: {unknown[0].message}", problems=unknown)
    contents = dict(request.contents)
    for name, value in edit.contents.items():
        if present(value):
            contents[name] = value
        else:
            contents.pop(name, None)
    # Every field of the edit but the contents (merged above) replaces the request's own.
    given = {
        f.name
        for f in fields(edit)
        if f.name not in ("contents", "cleared") and getattr(edit, f.name) is not None
    }
    cannot = sorted(edit.cleared - CLEARABLE)
    if cannot:
        raise InputError(
            f"{cannot[0]} cannot be left empty: give its new value",
            problems=[Problem("cannot be left empty", field=name) for name in cannot],
        )
    changed = sorted(given | edit.cleared)
    updates: dict[str, Any] = {name: getattr(edit, name) for name in changed}
    if edit.proceeding is not None:
        # The statutory use limit follows the proceeding the request is made for.
        kept = tuple(c for c in request.conditions.conditions if not getattr(c, "statutory", False))
        updates["conditions"] = replace(
            request.conditions, conditions=statutory_conditions(edit.proceeding) + kept
        )
    if "legal_basis_other" in updates:
        updates["legal_basis"] = (
            LegalBasis.OTHER if (edit.legal_basis_other or "").strip() else LegalBasis.CONVENTION
        )
        updates["legal_basis_other"] = (edit.legal_basis_other or "").strip() or None
    author = actor_id(actor)
    edited = amend(request, contents=contents, authors=request.authors | {author}, **updates)
    check_size(edited.contents, edited.proceeding, edited.legal_basis_other)
    listed = changed + (["contents:" + ",".join(sorted(edit.contents))] if edit.contents else [])
    return edited, {"changed": ";".join(listed)}


def _postpone(
    request: CooperationRequest, decision: Postponement, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    if not decision.reason.strip():
        raise RuleViolationError(
            f"a postponement must give its reason ({rulebook.postponement_article()})",
            problems=[
                Problem(
                    "say why execution is postponed",
                    field="reason",
                    article=str(rulebook.postponement_article()),
                )
            ],
        )
    today = local_date(at, request.requested.zone)
    if decision.until <= today:
        raise InputError(
            f"a postponement runs until a later date than today ({today.isoformat()} in "
            f"{request.requested.state}); got {decision.until.isoformat()}"
        )
    return replace(request, postponement=decision), {"until": decision.until.isoformat()}


def _refuse(
    request: CooperationRequest, refusal: Refusal, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    # The convention engine reports missing, ruled-out (bank secrecy) and unknown grounds.
    problems = rulebook.check_refusal_grounds(request.kind, refusal.grounds)
    if not refusal.reasons.strip():
        problems.append(
            Problem(
                "reasons must be given for any refusal",
                field="reasons",
                article=str(rulebook.reasons_article(request.kind)),
            )
        )
    if problems:
        raise RuleViolationError(
            f"refusal of {request.reference} not accepted: {problems[0].message}",
            problems=problems,
        )
    details = {"grounds": ",".join(refusal.grounds)}
    # A contested ground (Art. 42(6) legal system) carries the refusal, with the doubt on record.
    cautions = rulebook.refusal_cautions(request.kind, refusal.grounds)
    if cautions:
        details["contested_grounds"] = "; ".join(p.message for p in cautions)
    return replace(request, refusal=refusal), details


def _execute(
    request: CooperationRequest, report: ExecutionReport | None, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    if not rulebook.is_preservation(request.kind) or request.preservation is not None:
        return request, {}
    zone = request.requested.zone
    starts_on = (report.preserved_on if report else None) or local_date(at, zone)
    minimum = rulebook.preservation_minimum_days(request.kind)
    days = max(request.preservation_days or minimum, minimum)
    preservation = Preservation(starts_on=starts_on, zone=zone, days=days)
    details = {
        "preserved_on": starts_on.isoformat(),
        "days": str(days),
        "expires_at": preservation.expires_at().isoformat(),
    }
    return replace(request, preservation=preservation), details


def _extend(
    request: CooperationRequest, extension: PreservationExtension, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    preservation = request.preservation
    if preservation is None:
        raise InputError(
            f"request {request.reference} holds no running preservation to extend "
            "(only an executed preservation request does)"
        )
    if extension.days < 1:
        raise InputError(f"an extension adds at least one day, got {extension.days}")
    if at >= preservation.expires_at() and not request.follow_ups:
        raise RuleViolationError(
            f"the preservation of {request.reference} ended at "
            f"{preservation.expires_at().isoformat()}; an extension is asked before the period "
            f"ends ({rulebook.extension_article()})",
            problems=[
                Problem(
                    "the preservation period has already ended",
                    field="days",
                    article=str(rulebook.extension_article()),
                )
            ],
        )
    extended = replace(preservation, extensions=(*preservation.extensions, extension))
    details = {"days": str(extension.days), "expires_at": extended.expires_at().isoformat()}
    return replace(request, preservation=extended), details


def _attach(
    request: CooperationRequest, attachment: ConditionsAttachment, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    if not attachment.conditions:
        raise InputError("attach at least one condition")
    zones = (request.requesting.zone, request.requested.zone)
    # A deletion date is read in both calendars (see DeleteBy), whatever zone the caller gave.
    conditions = tuple(
        replace(c, zones=zones) if isinstance(c, DeleteBy) else c for c in attachment.conditions
    )
    codes = ",".join(c.code for c in conditions)
    return replace(request, conditions=request.conditions.attach(conditions)), {"conditions": codes}


def _consent(
    request: CooperationRequest,
    consent: UseConsent | RetentionConsent,
    actor: Actor,
    at: datetime,
) -> tuple[CooperationRequest, dict[str, str]]:
    if not consent.granted_by.strip():
        raise InputError("a consent names the authority that granted it")
    details = {"written": str(consent.written).lower()}
    if isinstance(consent, UseConsent):
        details["use"] = consent.action.value
        if consent.recipient:
            details["recipient"] = consent.recipient
    else:
        details["retain_until"] = consent.until.isoformat()
    return replace(request, conditions=request.conditions.consent(consent)), details


def _link(
    request: CooperationRequest, link: FollowUpLink, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    if not rulebook.is_preservation(request.kind):
        raise InputError(
            f"only a preservation request is followed up by an MLA request; {request.reference} "
            f"is '{request.kind}'"
        )
    if link.reference in request.follow_ups or link.reference == request.reference:
        raise InputError(f"{link.reference} is already linked to {request.reference}")
    follow_ups = (*request.follow_ups, link.reference)
    return replace(request, follow_ups=follow_ups), {"follow_up": str(link.reference)}


def _no_effect(
    request: CooperationRequest, payload: Any, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    return request, {}


def _approve(
    request: CooperationRequest, payload: Any, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    return replace(request, approved_by=actor_id(actor)), {}


def _unapprove(
    request: CooperationRequest, payload: Any, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    return replace(request, approved_by=None), {}


def _resume(
    request: CooperationRequest, payload: Any, actor: Actor, at: datetime
) -> tuple[CooperationRequest, dict[str, str]]:
    return replace(request, postponement=None), {}


_EFFECTS: dict[Action, Effect] = {
    Action.EDIT: _edit,
    Action.RETURN_TO_DRAFT: _unapprove,
    Action.APPROVE: _approve,
    Action.POSTPONE: _postpone,
    Action.RESUME: _resume,
    Action.EXECUTE_PARTIALLY: _execute,
    Action.EXECUTE: _execute,
    Action.REFUSE: _refuse,
    Action.EXTEND_PRESERVATION: _extend,
    Action.ATTACH_CONDITIONS: _attach,
    Action.CONSENT_TO_USE: _consent,
    Action.LINK_FOLLOW_UP: _link,
}


def apply(
    request: CooperationRequest,
    action: Action,
    actor: Actor,
    at: datetime,
    *,
    payload: Payload | None = None,
    note: str | None = None,
    report: ValidationReport | None = None,
) -> Step:
    """Take lifecycle step ``action`` on ``request`` as ``actor`` at ``at``.

    ``payload`` carries what the step needs (see the transition table), ``note`` the free-text
    reason some steps require, ``report`` a current validation report for the steps that send
    or approve. Returns the new request and the step's event; raises without changing anything
    otherwise.
    """
    transition = TRANSITIONS_BY_ACTION.get(action)
    if transition is None:
        raise InputError(f"'{action.value}' is not a lifecycle step")
    at = require_utc(at, what="time of the step")
    if isinstance(actor, User):
        check_visible(actor, request)
    _check_state(request, transition)
    authorise_actor(actor, action, request)
    _check_payload(transition, payload)
    if transition.needs_note and not (note or "").strip():
        raise InputError(f"'{action.value}' needs a note saying why")
    _check_report(request, transition, report)

    before = request.status
    changed, details = _EFFECTS.get(action, _no_effect)(request, payload, actor, at)
    changed = replace(changed, status=transition.leads_to(before))
    if transition.transfers_personal_data:
        changed = replace(
            changed, transfers=(*changed.transfers, _transfer(changed, transition, at))
        )
    recorded, entry = _entry(
        changed, action, before, transition.side, actor, at, (note or "").strip() or None, details
    )
    return Step(recorded, _event(recorded, entry, transition.event))


# Steps the table allows from a state that make sense only for some requests: what the step
# changes must exist. The effects above refuse them all the same; this lets a page leave them out.
_APPLIES: dict[Action, Callable[[CooperationRequest], bool]] = {
    Action.EXTEND_PRESERVATION: lambda request: request.preservation is not None,
    Action.LINK_FOLLOW_UP: lambda request: rulebook.is_preservation(request.kind),
    Action.REFUSE: lambda request: bool(rulebook.spec(request.kind).refusal_grounds),
}


def open_steps(user: User, request: CooperationRequest) -> tuple[Action, ...]:
    """The lifecycle steps ``user`` may take on ``request`` now, in table order: those the
    table allows from its status that a person takes (not the node's automatic ones), that
    :func:`authorise` lets ``user`` take on this copy, and that apply to this request.

    A step listed may still be refused for what it carries (a refusal's grounds, a
    postponement's reason) or, for submit, approve and send, for the request's own gaps:
    :func:`apply` decides, with the message that says why.
    """
    check_visible(user, request)
    open_to_user = []
    for action in possible_actions(request.status):
        if TRANSITIONS_BY_ACTION[action].automatic:
            continue
        applies = _APPLIES.get(action)
        if applies is not None and not applies(request):
            continue
        try:
            authorise(user, action, request)
        except (PermissionDeniedError, NotFoundError):
            continue
        open_to_user.append(action)
    return tuple(open_to_user)


# --- preservation followed by MLA ---------------------------------------------------------


@dataclass(frozen=True)
class FollowUp:
    """The result of :func:`create_follow_up_mla`: the new draft and the linked preservation."""

    mla: Step
    preservation: Step


def create_follow_up_mla(
    preservation: CooperationRequest,
    *,
    author: User,
    at: datetime,
    new_id: IdSource,
    sequence: int,
    kind: RequestKind | None = None,
    contents: Mapping[str, ContentValue] | None = None,
) -> FollowUp:
    """Draft the MLA request that follows up a preservation, and link the two, in one call.

    The new draft carries the preservation's reference (``follows_up``) and every content the
    preservation already states that the follow-up's kind asks for, under the same name or one
    that means the same thing (:func:`hanoix.requests.follow_ups.carried_contents`);
    ``contents`` adds or overrides. ``kind`` defaults to the first follow-up the convention
    module declares for a preservation (the Art. 44 request for access to stored data, which
    is what Art. 42(1) announces); another declared follow-up (a general MLA request) may be
    chosen instead. Once the requested State has received the MLA request, the preservation is
    held until a decision on it (Art. 42(8)); :mod:`hanoix.requests.deadlines` applies that.
    """
    follow_up = follow_up_kind(preservation, kind)
    carried, _ = carried_contents(preservation.contents, follow_up, str(preservation.reference))
    carried.update(contents or {})
    spec = NewRequest(
        kind=follow_up,
        requesting=preservation.requesting,
        requested=preservation.requested,
        channel=FOLLOW_UP_CHANNEL,
        terms=follow_up_terms(preservation.terms, carried),
        follows_up=preservation.reference,
    )
    mla = draft_request(spec, author=author, at=at, new_id=new_id, sequence=sequence)
    linked = apply(
        preservation,
        Action.LINK_FOLLOW_UP,
        author,
        at,
        payload=FollowUpLink(reference=mla.request.reference),
    )
    return FollowUp(mla=mla, preservation=linked)
