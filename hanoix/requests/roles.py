"""Who acts on requests: roles, authorities, users, and the actions they can ask to take.

Roles and actions are data: the lifecycle's transition table names the roles allowed for each
step, and :data:`READ_AND_USE_PERMISSIONS` names them for everything that is not a step
(reading, creating, using received evidence). :func:`hanoix.requests.authorise` reads both.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from hanoix.errors import InputError
from hanoix.requests.references import check_state_code


class Role(StrEnum):
    """What a user of a node may do. A user holds one or more roles."""

    DRAFTER = "drafter"  # drafts and sends requests, registers and answers incoming ones
    APPROVER = "approver"  # four-eyes approval; refusals and postponements
    OFFICER_24_7 = "officer_24_7"  # the 24/7 point of contact's duty officer (Art. 41)
    EXAMINER = "examiner"  # forensic examiner: executes, packs and opens evidence
    AUDITOR = "auditor"  # reads everything they may see; changes nothing
    ADMINISTRATOR = "administrator"  # runs the node; sees no case content
    MATCHER = "matcher"  # a platform's or hotline's integration: matches content, nothing else
    # The data-protection officer: finds where the node holds a person's data and who read it
    # (docs/retention.md), and nothing else.
    DATA_PROTECTION_OFFICER = "data_protection_officer"


class AuthorityKind(StrEnum):
    """The authorities a node serves (Arts 40(13) and 41(1))."""

    # The values are the codes the node's user store uses (hanoix.services.auth).
    CENTRAL_AUTHORITY = "central-authority"  # Art. 40(13)
    POINT_OF_CONTACT_24_7 = "contact-24-7"  # Art. 41(1)
    COMPETENT_AUTHORITY = "competent-authority"  # a prosecutor, court or police unit


@dataclass(frozen=True)
class Authority:
    """An authority of a State, known by a code unique on the network (``AUT-CA``)."""

    code: str
    state: str
    kind: AuthorityKind

    def __post_init__(self) -> None:
        if not self.code.strip():
            raise InputError("an authority needs a code")
        check_state_code(self.state, what="authority's State")


@dataclass(frozen=True)
class User:
    """A person using this node, acting for one authority with a set of roles.

    Only an administrator may have no authority; such a user can act on no request.
    """

    id: str
    authority: Authority | None
    roles: frozenset[Role]

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise InputError("a user needs an id")

    def has_any(self, roles: frozenset[Role]) -> bool:
        """Whether the user holds at least one of ``roles``."""
        return not self.roles.isdisjoint(roles)


@dataclass(frozen=True)
class Counterpart:
    """The other State's node, acting through a federation message it signed.

    Steps taken by the other side (the requested State acknowledging, executing, refusing; the
    requesting State withdrawing) are recorded on this node with this actor; the federation
    layer vouches that the message came from ``authority`` of ``state``.
    """

    state: str
    authority: str

    def __post_init__(self) -> None:
        check_state_code(self.state, what="counterpart's State")
        if not self.authority.strip():
            raise InputError("a counterpart needs an authority code")


@dataclass(frozen=True)
class NodeActor:
    """This node itself, for the few steps it takes without a person (registering receipt)."""

    state: str
    name: str = "node"

    def __post_init__(self) -> None:
        check_state_code(self.state, what="node's State")


Actor = User | Counterpart | NodeActor


def actor_id(actor: Actor) -> str:
    """The identifier recorded in history and custody events for ``actor``."""
    if isinstance(actor, User):
        return actor.id
    if isinstance(actor, Counterpart):
        return f"{actor.state}:{actor.authority}"
    return f"{actor.state}:{actor.name}"


def actor_authority(actor: Actor) -> str:
    """The authority on whose behalf ``actor`` acts (recorded with every step)."""
    if isinstance(actor, User):
        return actor.authority.code if actor.authority is not None else f"user:{actor.id}"
    if isinstance(actor, Counterpart):
        return actor.authority
    return f"{actor.state}:{actor.name}"


class Action(StrEnum):
    """Everything a caller can ask to do with a request.

    The lifecycle steps (``submit`` … ``link_follow_up``) are governed by the transition table;
    the others (reading, creating, using received evidence) by
    :data:`READ_AND_USE_PERMISSIONS`.
    """

    # reading
    VIEW = "view"  # the loggable summary: reference, kind, status, parties, deadlines
    READ_CONTENT = "read_content"  # the contents, including personal data
    READ_HISTORY = "read_history"  # history and custody events
    # entering the lifecycle
    CREATE = "create"  # draft an outgoing request
    REGISTER = "register"  # register an incoming request
    # lifecycle steps
    EDIT = "edit"
    SUBMIT = "submit"
    RETURN_TO_DRAFT = "return_to_draft"
    APPROVE = "approve"
    SEND = "send"
    RECEIVE = "receive"
    ACKNOWLEDGE = "acknowledge"
    REQUEST_MORE_INFORMATION = "request_more_information"
    SUPPLY_INFORMATION = "supply_information"
    START_EXECUTION = "start_execution"
    POSTPONE = "postpone"
    RESUME = "resume"
    EXECUTE_PARTIALLY = "execute_partially"
    EXECUTE = "execute"
    REFUSE = "refuse"
    WITHDRAW = "withdraw"
    CLOSE = "close"
    EXTEND_PRESERVATION = "extend_preservation"
    ATTACH_CONDITIONS = "attach_conditions"
    CONSENT_TO_USE = "consent_to_use"
    LINK_FOLLOW_UP = "link_follow_up"
    # returning what execution gathered (not a step: one request may be answered with several
    # evidence packages, before and after it is executed)
    SEND_EVIDENCE = "send_evidence"
    # using what the other State provided (also checked against its conditions: check_use)
    OPEN_EVIDENCE = "open_evidence"
    EXPORT_EVIDENCE = "export_evidence"
    FORWARD_EVIDENCE = "forward_evidence"
    USE_IN_PROCEEDING = "use_in_proceeding"


_CASEWORKERS = frozenset({Role.DRAFTER, Role.APPROVER, Role.OFFICER_24_7, Role.EXAMINER})
_READERS = _CASEWORKERS | {Role.AUDITOR}

READ_AND_USE_PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.VIEW: _READERS,
    Action.READ_CONTENT: _READERS,
    Action.READ_HISTORY: _READERS,
    Action.CREATE: frozenset({Role.DRAFTER, Role.OFFICER_24_7}),
    Action.REGISTER: frozenset({Role.DRAFTER, Role.OFFICER_24_7}),
    # Returning evidence is part of executing the request under the requested State's law
    # (Art. 40(17)): the roles that execute it (the steps execute, execute_partially), on the
    # requested State's node (hanoix.requests.authorisation).
    Action.SEND_EVIDENCE: _CASEWORKERS,
    Action.OPEN_EVIDENCE: _CASEWORKERS,
    Action.EXPORT_EVIDENCE: frozenset({Role.EXAMINER, Role.APPROVER}),
    # Sending received material on to a third State is a decision, not a clerk's task.
    Action.FORWARD_EVIDENCE: frozenset({Role.APPROVER}),
    Action.USE_IN_PROCEEDING: frozenset({Role.DRAFTER, Role.APPROVER, Role.EXAMINER}),
}
"""Roles allowed for each action that is not a lifecycle step. Administrators appear nowhere:
they run the node and see no case content; auditors appear only for reading."""

READ_ACTIONS = frozenset({Action.VIEW, Action.READ_CONTENT, Action.READ_HISTORY})
