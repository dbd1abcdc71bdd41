"""Builders for request tests: two States' nodes, their users and profiles, and complete
requests of every kind made from the convention module's own declarations."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from hanoix.convention import Channel as KindChannel
from hanoix.convention import RequestKind, Requirement, kind_spec
from hanoix.convention.assistance import ConfiscationMeasure
from hanoix.requests import (
    Action,
    Authority,
    AuthorityKind,
    Channel,
    CooperationRequest,
    Counterpart,
    IncomingRequest,
    NewRequest,
    NodeActor,
    Party,
    RequestTerms,
    Role,
    StateProfile,
    Step,
    User,
    amend,
    apply,
    draft_request,
    register_incoming,
    validate,
)
from hanoix.requests.rulebook import ContentValue

T0 = datetime(2026, 2, 10, 9, 0, tzinfo=UTC)

AUT_ZONE = "Europe/Vienna"
VNM_ZONE = "Asia/Ho_Chi_Minh"
ZAF_ZONE = "Africa/Johannesburg"

AUT_CA = Authority("AUT-CA", "AUT", AuthorityKind.CENTRAL_AUTHORITY)
AUT_POC = Authority("AUT-POC", "AUT", AuthorityKind.POINT_OF_CONTACT_24_7)
AUT_PROS = Authority("AUT-PROS", "AUT", AuthorityKind.COMPETENT_AUTHORITY)
VNM_CA = Authority("VNM-CA", "VNM", AuthorityKind.CENTRAL_AUTHORITY)
VNM_POC = Authority("VNM-POC", "VNM", AuthorityKind.POINT_OF_CONTACT_24_7)
ZAF_CA = Authority("ZAF-CA", "ZAF", AuthorityKind.CENTRAL_AUTHORITY)


def user(uid: str, authority: Authority | None, *roles: Role) -> User:
    return User(uid, authority, frozenset(roles))


AUT_DRAFTER = user("aut.drafter", AUT_CA, Role.DRAFTER)
AUT_EDITOR = user("aut.editor", AUT_CA, Role.DRAFTER)
AUT_APPROVER = user("aut.approver", AUT_CA, Role.APPROVER)
AUT_DRAFTER_APPROVER = user("aut.both", AUT_CA, Role.DRAFTER, Role.APPROVER)
AUT_EXAMINER = user("aut.examiner", AUT_CA, Role.EXAMINER)
AUT_AUDITOR = user("aut.auditor", AUT_CA, Role.AUDITOR)
AUT_ADMIN = user("aut.admin", AUT_CA, Role.ADMINISTRATOR)
AUT_OFFICER = user("aut.officer", AUT_POC, Role.OFFICER_24_7)
VNM_CLERK = user("vnm.clerk", VNM_CA, Role.DRAFTER)
VNM_APPROVER = user("vnm.approver", VNM_CA, Role.APPROVER)
VNM_EXAMINER = user("vnm.examiner", VNM_CA, Role.EXAMINER)

AUT_NODE = NodeActor("AUT")
VNM_NODE = NodeActor("VNM")
FROM_AUT = Counterpart("AUT", "AUT-CA")
FROM_VNM = Counterpart("VNM", "VNM-CA")

AUT_PARTY = Party("AUT", "AUT-CA", AUT_ZONE)
VNM_PARTY = Party("VNM", "VNM-CA", VNM_ZONE)
ZAF_PARTY = Party("ZAF", "ZAF-CA", ZAF_ZONE)

PROFILES = {
    "AUT": StateProfile("AUT", AUT_ZONE, frozenset({"de", "en"}), central_authority="AUT-CA"),
    "VNM": StateProfile("VNM", VNM_ZONE, frozenset({"vi", "en"}), central_authority="VNM-CA"),
    "ZAF": StateProfile("ZAF", ZAF_ZONE, frozenset({"en"}), central_authority="ZAF-CA"),
}

PROCEEDING = "AUT-StA-Wien-123/26"


def in_force(requesting: str, requested: str, on: date) -> tuple[bool, list[str]]:
    return True, [f"in force between {requesting} and {requested} on {on.isoformat()}"]


def not_in_force(requesting: str, requested: str, on: date) -> tuple[bool, list[str]]:
    return False, [f"{requested} has not ratified the Convention"]


def ids(prefix: str = "req") -> Callable[[], str]:
    """A deterministic id source."""
    counter = itertools.count(1)
    return lambda: f"{prefix}-{next(counter)}"


def channel_for(kind: RequestKind) -> Channel:
    """The channel a kind of request normally takes, from its declaration."""
    declared = kind_spec(kind).channel
    if declared in (KindChannel.CONTACT_24_7, KindChannel.EITHER):
        return Channel.CONTACT_24_7
    if declared is KindChannel.COMPETENT_AUTHORITIES:
        return Channel.COMPETENT_AUTHORITIES
    return Channel.CENTRAL_AUTHORITY


def complete_contents(kind: RequestKind) -> dict[str, ContentValue]:
    """Every content the declaration of ``kind`` lists, filled in."""
    contents: dict[str, ContentValue] = {}
    for content in kind_spec(kind).contents:
        if content.name == "intent_to_request_mla":
            contents[content.name] = True
        elif content.name == "measure_sought":
            contents[content.name] = ConfiscationMeasure.EXECUTE_FOREIGN_ORDER.value
        else:
            contents[content.name] = f"{content.description} (test value)"
    return contents


def required_contents(kind: RequestKind) -> list[str]:
    """Names of the contents whose absence is a problem in a complete request."""
    return [
        c.name
        for c in kind_spec(kind).contents
        if c.requirement in (Requirement.MANDATORY, Requirement.CONDITIONAL)
    ]


def optional_contents(kind: RequestKind) -> list[str]:
    return [
        c.name
        for c in kind_spec(kind).contents
        if c.requirement in (Requirement.WHERE_POSSIBLE, Requirement.IF_APPLICABLE)
    ]


def new_request(
    kind: RequestKind = RequestKind.MLA,
    *,
    requesting: Party = AUT_PARTY,
    requested: Party = VNM_PARTY,
    contents: Mapping[str, ContentValue] | None = None,
    **overrides: Any,
) -> NewRequest:
    spec = NewRequest(
        kind=kind,
        requesting=requesting,
        requested=requested,
        channel=channel_for(kind),
        terms=RequestTerms(
            language="en",
            proceeding=PROCEEDING,
            contents=dict(complete_contents(kind) if contents is None else contents),
            dual_criminality=True,
            convention_offence=True,
        ),
    )
    return amend(spec, **overrides)


def drafted(
    kind: RequestKind = RequestKind.MLA,
    *,
    author: User = AUT_DRAFTER,
    at: datetime = T0,
    sequence: int = 1,
    **overrides: Any,
) -> CooperationRequest:
    spec = new_request(kind, **overrides)
    return draft_request(spec, author=author, at=at, new_id=ids(), sequence=sequence).request


def step(
    request: CooperationRequest,
    action: Action,
    actor: User | Counterpart | NodeActor,
    at: datetime = T0,
    **kwargs: object,
) -> CooperationRequest:
    return apply(request, action, actor, at, **kwargs).request  # type: ignore[arg-type]


def validated_step(
    request: CooperationRequest, action: Action, actor: User, at: datetime = T0
) -> Step:
    report = validate(request, PROFILES[request.requested.state], in_force, at)
    return apply(request, action, actor, at, report=report)


def sent(
    kind: RequestKind = RequestKind.MLA,
    *,
    at: datetime = T0,
    author: User = AUT_DRAFTER,
    approver: User = AUT_APPROVER,
    **overrides: Any,
) -> CooperationRequest:
    """A request drafted by ``author`` (AUT by default), approved by ``approver`` and sent."""
    request = drafted(kind, at=at, author=author, **overrides)
    request = validated_step(request, Action.SUBMIT, author, at).request
    request = validated_step(request, Action.APPROVE, approver, at).request
    return validated_step(request, Action.SEND, author, at).request


def incoming(request: CooperationRequest, *, handled_by: str | None = None) -> IncomingRequest:
    """What the requested State's node receives for ``request``."""
    return IncomingRequest(
        reference=request.reference,
        kind=request.kind,
        requesting=request.requesting,
        requested=request.requested,
        handled_by=handled_by or request.requested.authority,
        channel=request.channel,
        terms=request.terms,
        follows_up=request.follows_up,
    )


def received(request: CooperationRequest, at: datetime = T0) -> CooperationRequest:
    """The requested State's copy of a sent request, as registered by its node."""
    node = NodeActor(request.requested.state)
    return register_incoming(incoming(request), actor=node, at=at, new_id=ids("in")).request
