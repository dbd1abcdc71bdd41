"""The one authorisation function every route and every lifecycle step goes through.

Rules, in the order they are checked:

1. A user sees only requests that concern their own State, and never another authority's
   restricted request. Anything else answers exactly like a request that does not exist
   (:class:`~hanoix.errors.NotFoundError`, same message), so nobody learns what exists.
2. The user's roles must allow the action: the transition table for lifecycle steps,
   :data:`~hanoix.requests.roles.READ_AND_USE_PERMISSIONS` for the rest. Administrators hold
   no case permission at all; auditors only read.
3. A lifecycle step is taken on the node of the side the table names; the other side's steps
   arrive as its messages, never from a local user. Evidence is sent by the requested side.
4. A user acts only within their authority: anything but reading needs the request to be
   handled by the user's authority.
5. Four-eyes: whoever drafted or edited a request cannot approve it.

Each check raises; the function returns ``None`` only when every check passed.
"""

from __future__ import annotations

from hanoix.errors import NotFoundError, PermissionDeniedError
from hanoix.requests.model import CooperationRequest, Side
from hanoix.requests.roles import (
    READ_ACTIONS,
    READ_AND_USE_PERMISSIONS,
    Action,
    Actor,
    Counterpart,
    NodeActor,
    Role,
    User,
)
from hanoix.requests.transitions import ENTRY_POINTS_BY_ACTION, TRANSITIONS_BY_ACTION


def not_found(reference: object) -> NotFoundError:
    """The error for a request that does not exist or may not be seen: one message for both.

    The store must raise this same error for a reference it does not hold.
    """
    return NotFoundError(f"request {reference} not found")


def _side_name(side: Side) -> str:
    return "requesting" if side is Side.REQUESTING else "requested"


def allowed_roles(action: Action) -> frozenset[Role]:
    """The roles that may take ``action`` (before the other rules apply)."""
    if action in TRANSITIONS_BY_ACTION:
        return TRANSITIONS_BY_ACTION[action].roles
    if action in ENTRY_POINTS_BY_ACTION:
        return ENTRY_POINTS_BY_ACTION[action].roles
    return READ_AND_USE_PERMISSIONS.get(action, frozenset())


# Actions that are not lifecycle steps but belong to one side: the requested State returns the
# evidence it gathered executing the request (Art. 40(17)).
_SIDE_OF_ACTION = {Action.SEND_EVIDENCE: Side.REQUESTED}


def _step_side(action: Action) -> Side | None:
    if action in TRANSITIONS_BY_ACTION:
        return TRANSITIONS_BY_ACTION[action].side
    if action in ENTRY_POINTS_BY_ACTION:
        return ENTRY_POINTS_BY_ACTION[action].side
    return None


def check_visible(user: User, request: CooperationRequest) -> None:
    """Raise the not-found error unless ``user`` may know that ``request`` exists (rule 1)."""
    authority = user.authority
    if authority is None or authority.state != request.local.state:
        raise not_found(request.reference)
    if request.restricted and authority.code != request.handled_by:
        raise not_found(request.reference)


def check_role(user: User, action: Action) -> None:
    """Raise :class:`~hanoix.errors.PermissionDeniedError` unless one of ``user``'s roles may
    take ``action`` (rule 2), for any request or none."""
    roles = allowed_roles(action)
    if not user.has_any(roles):
        if user.roles <= {Role.ADMINISTRATOR}:
            raise PermissionDeniedError(
                "administrators run the node and see no case content; "
                f"'{action.value}' needs one of the roles: {', '.join(sorted(roles))}"
            )
        needed = ", ".join(sorted(roles)) if roles else "no role (not allowed to anyone)"
        raise PermissionDeniedError(f"'{action.value}' needs one of the roles: {needed}")


def authorise(user: User, action: Action, request: CooperationRequest) -> None:
    """Raise unless ``user`` may take ``action`` on ``request`` (see the module's rules).

    Raises :class:`~hanoix.errors.NotFoundError` when the user may not know the request
    exists, :class:`~hanoix.errors.PermissionDeniedError` when they see it but may not act.
    """
    check_visible(user, request)
    authority = user.authority
    if authority is None:  # already refused by check_visible; kept so the type is narrowed
        raise not_found(request.reference)

    check_role(user, action)

    owner = _SIDE_OF_ACTION.get(action)
    if owner is not None and owner is not request.side:
        raise PermissionDeniedError(
            f"'{action.value}' is for the {_side_name(owner)} State's node; this node holds the "
            f"{_side_name(request.side)} side's copy"
        )
    side = _step_side(action)
    if side is not None and side is not request.side:
        raise PermissionDeniedError(
            f"'{action.value}' is a step of the {_side_name(side)} State; this node holds the "
            f"{_side_name(request.side)} side's copy, where that step is recorded when the "
            f"{_side_name(side)} State's message arrives"
        )

    if action not in READ_ACTIONS and authority.code != request.handled_by:
        raise PermissionDeniedError(
            f"request {request.reference} is handled by {request.handled_by}; you act for "
            f"{authority.code} and may only read it"
        )

    if action is Action.APPROVE and user.id in request.authors:
        raise PermissionDeniedError(
            f"four-eyes: {user.id} drafted or edited request {request.reference} and cannot "
            "approve it; another approver must"
        )


def authorise_actor(actor: Actor, action: Action, request: CooperationRequest) -> None:
    """Raise unless ``actor`` may take lifecycle step ``action`` on this copy of ``request``.

    Users go through :func:`authorise`. A counterpart may only record steps of its own side,
    and only for the State that is the other party of this request. The node itself may only
    take the steps the table marks automatic, on its own side.
    """
    if isinstance(actor, User):
        authorise(actor, action, request)
        return
    side = _step_side(action)
    if side is None:
        raise PermissionDeniedError(f"'{action.value}' is not a lifecycle step")
    if isinstance(actor, Counterpart):
        if actor.state != request.counterpart.state:
            raise PermissionDeniedError(
                f"{actor.state} is not a party to request {request.reference}"
            )
        if side is request.side:
            raise PermissionDeniedError(
                f"'{action.value}' is taken by the {_side_name(side)} State, which is this "
                f"node's side; {actor.state} cannot take it"
            )
        return
    if isinstance(actor, NodeActor):
        automatic = (
            TRANSITIONS_BY_ACTION[action].automatic
            if action in TRANSITIONS_BY_ACTION
            else ENTRY_POINTS_BY_ACTION[action].automatic
        )
        if not automatic or side is not request.side or actor.state != request.local.state:
            raise PermissionDeniedError(
                f"'{action.value}' must be taken by a person; the node takes only automatic steps"
            )
        return
