"""The lifecycle of a request as data: one table of steps, read by the lifecycle engine, by
:func:`hanoix.requests.authorise` and by the documentation generator.

Each step names the states it may start from, the state it leads to (or none: a recorded step
that keeps the state, such as an extension or a consent), the side that takes it, the roles
allowed to take it there, the custody event it produces, and what it must carry. On the node of
the other side the same step is recorded when that side's message arrives, with the
counterpart as actor: both copies of a request walk the same table.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from hanoix.convention import RequestKind
from hanoix.convention.refs import Art
from hanoix.ledger.events import EventKind
from hanoix.requests import rulebook
from hanoix.requests.conditions import RetentionConsent, UseConsent
from hanoix.requests.model import Side, Status
from hanoix.requests.payloads import (
    ConditionsAttachment,
    ExecutionReport,
    FollowUpLink,
    Postponement,
    PreservationExtension,
    Refusal,
    RequestEdit,
)
from hanoix.requests.roles import Action, Role


@dataclass(frozen=True)
class Transition:
    """One step of the lifecycle.

    ``target`` is ``None`` for a recorded step that keeps the current state. ``payload`` lists
    the payload types the step accepts; ``payload_required`` says one must be given.
    ``needs_note`` makes a free-text reason mandatory; ``needs_valid`` demands a current,
    error-free validation report; ``automatic`` lets the node itself take the step (receipt by
    the inbox); ``transfers_personal_data`` records a transfer with its legal basis (Art. 36).
    """

    action: Action
    sources: frozenset[Status]
    target: Status | None
    side: Side
    roles: frozenset[Role]
    event: EventKind
    label: str
    article: Art | None = None
    payload: tuple[type[object], ...] = ()
    payload_required: bool = False
    needs_note: bool = False
    needs_valid: bool = False
    automatic: bool = False
    transfers_personal_data: bool = False

    def leads_to(self, current: Status) -> Status:
        """The state after taking this step from ``current``."""
        return current if self.target is None else self.target


@dataclass(frozen=True)
class EntryPoint:
    """How a copy of a request comes into existence on a node."""

    action: Action
    target: Status
    side: Side
    roles: frozenset[Role]
    event: EventKind
    label: str
    automatic: bool = False


S = Status
_CLERKS = frozenset({Role.DRAFTER, Role.OFFICER_24_7})
_CASE_HANDLERS = frozenset({Role.DRAFTER, Role.APPROVER, Role.OFFICER_24_7})
_EXECUTORS = _CASE_HANDLERS | {Role.EXAMINER}
_APPROVERS = frozenset({Role.APPROVER})

# States in which the request is with the requested State and still open.
_OPEN_AT_REQUESTED = frozenset(
    {
        S.RECEIVED,
        S.ACKNOWLEDGED,
        S.MORE_INFORMATION_REQUESTED,
        S.IN_EXECUTION,
        S.PARTIALLY_EXECUTED,
        S.POSTPONED,
    }
)

ENTRY_POINTS: tuple[EntryPoint, ...] = (
    EntryPoint(
        action=Action.CREATE,
        target=S.DRAFT,
        side=Side.REQUESTING,
        roles=_CLERKS,
        event=EventKind.REQUEST_CREATED,
        label="draft an outgoing request",
    ),
    EntryPoint(
        action=Action.REGISTER,
        target=S.RECEIVED,
        side=Side.REQUESTED,
        roles=_CLERKS,
        event=EventKind.REQUEST_CREATED,
        label="register an incoming request",
        automatic=True,
    ),
)

TRANSITIONS: tuple[Transition, ...] = (
    # --- the requesting State prepares and sends -------------------------------------------
    Transition(
        action=Action.EDIT,
        sources=frozenset({S.DRAFT}),
        target=None,
        side=Side.REQUESTING,
        roles=_CLERKS,
        event=EventKind.REQUEST_CHANGED,
        label="edit the draft",
        payload=(RequestEdit,),
        payload_required=True,
    ),
    Transition(
        action=Action.SUBMIT,
        sources=frozenset({S.DRAFT}),
        target=S.AWAITING_APPROVAL,
        side=Side.REQUESTING,
        roles=_CLERKS,
        event=EventKind.REQUEST_CHANGED,
        label="submit for approval",
        needs_valid=True,
    ),
    Transition(
        action=Action.RETURN_TO_DRAFT,
        sources=frozenset({S.AWAITING_APPROVAL, S.APPROVED}),
        target=S.DRAFT,
        side=Side.REQUESTING,
        roles=_CASE_HANDLERS,
        event=EventKind.REQUEST_CHANGED,
        label="return to draft",
        needs_note=True,
    ),
    Transition(
        action=Action.APPROVE,
        sources=frozenset({S.AWAITING_APPROVAL}),
        target=S.APPROVED,
        side=Side.REQUESTING,
        roles=_APPROVERS,
        event=EventKind.REQUEST_APPROVED,
        label="approve (four-eyes)",
        needs_valid=True,
    ),
    Transition(
        action=Action.SEND,
        sources=frozenset({S.APPROVED}),
        target=S.SENT,
        side=Side.REQUESTING,
        roles=_CASE_HANDLERS,
        event=EventKind.REQUEST_SENT,
        label="send",
        article=rulebook.procedure_article("written-form"),
        needs_valid=True,
        transfers_personal_data=True,
    ),
    # --- the requested State receives and answers ------------------------------------------
    Transition(
        action=Action.RECEIVE,
        sources=frozenset({S.SENT}),
        target=S.RECEIVED,
        side=Side.REQUESTED,
        roles=_CLERKS,
        event=EventKind.REQUEST_CHANGED,
        label="receipt confirmed",
        automatic=True,
    ),
    Transition(
        action=Action.ACKNOWLEDGE,
        sources=frozenset({S.RECEIVED}),
        target=S.ACKNOWLEDGED,
        side=Side.REQUESTED,
        roles=_CASE_HANDLERS,
        event=EventKind.REQUEST_ACKNOWLEDGED,
        label="acknowledge",
    ),
    Transition(
        action=Action.REQUEST_MORE_INFORMATION,
        sources=frozenset({S.RECEIVED, S.ACKNOWLEDGED, S.IN_EXECUTION}),
        target=S.MORE_INFORMATION_REQUESTED,
        side=Side.REQUESTED,
        roles=_EXECUTORS,
        event=EventKind.REQUEST_CHANGED,
        label="ask for more information",
        article=rulebook.procedure_article("additional-information"),
        needs_note=True,
    ),
    Transition(
        action=Action.SUPPLY_INFORMATION,
        sources=frozenset({S.MORE_INFORMATION_REQUESTED}),
        target=S.ACKNOWLEDGED,
        side=Side.REQUESTING,
        roles=_CASE_HANDLERS,
        event=EventKind.REQUEST_CHANGED,
        label="supply the information",
        article=rulebook.procedure_article("additional-information"),
        needs_note=True,
        transfers_personal_data=True,
    ),
    Transition(
        action=Action.START_EXECUTION,
        sources=frozenset({S.ACKNOWLEDGED}),
        target=S.IN_EXECUTION,
        side=Side.REQUESTED,
        roles=_EXECUTORS,
        event=EventKind.REQUEST_CHANGED,
        label="start execution",
        article=rulebook.procedure_article("execution-under-requested-law"),
    ),
    Transition(
        action=Action.POSTPONE,
        sources=frozenset({S.ACKNOWLEDGED, S.IN_EXECUTION}),
        target=S.POSTPONED,
        side=Side.REQUESTED,
        roles=_APPROVERS,
        event=EventKind.REQUEST_CHANGED,
        label="postpone",
        article=rulebook.postponement_article(),
        payload=(Postponement,),
        payload_required=True,
    ),
    Transition(
        action=Action.RESUME,
        sources=frozenset({S.POSTPONED}),
        target=S.IN_EXECUTION,
        side=Side.REQUESTED,
        roles=_EXECUTORS,
        event=EventKind.REQUEST_CHANGED,
        label="resume execution",
    ),
    Transition(
        action=Action.EXECUTE_PARTIALLY,
        sources=frozenset({S.IN_EXECUTION, S.PARTIALLY_EXECUTED}),
        target=S.PARTIALLY_EXECUTED,
        side=Side.REQUESTED,
        roles=_EXECUTORS,
        event=EventKind.REQUEST_CHANGED,
        label="execute in part",
        payload=(ExecutionReport,),
        transfers_personal_data=True,
    ),
    Transition(
        action=Action.EXECUTE,
        sources=frozenset({S.IN_EXECUTION, S.PARTIALLY_EXECUTED}),
        target=S.EXECUTED,
        side=Side.REQUESTED,
        roles=_EXECUTORS,
        event=EventKind.REQUEST_EXECUTED,
        label="execute",
        payload=(ExecutionReport,),
        transfers_personal_data=True,
    ),
    Transition(
        action=Action.REFUSE,
        sources=_OPEN_AT_REQUESTED,
        target=S.REFUSED,
        side=Side.REQUESTED,
        roles=_APPROVERS,
        event=EventKind.REQUEST_REFUSED,
        label="refuse (grounds and reasons)",
        article=rulebook.refusal_article(RequestKind.MLA),
        payload=(Refusal,),
        payload_required=True,
    ),
    # --- the requesting State ends it ------------------------------------------------------
    Transition(
        action=Action.WITHDRAW,
        sources=frozenset({S.DRAFT, S.AWAITING_APPROVAL, S.APPROVED, S.SENT}) | _OPEN_AT_REQUESTED,
        target=S.WITHDRAWN,
        side=Side.REQUESTING,
        roles=_CASE_HANDLERS,
        event=EventKind.REQUEST_CHANGED,
        label="withdraw",
        article=rulebook.suggested_deadline_article(),
        needs_note=True,
    ),
    Transition(
        action=Action.CLOSE,
        sources=frozenset({S.EXECUTED, S.PARTIALLY_EXECUTED, S.REFUSED, S.WITHDRAWN}),
        target=S.CLOSED,
        side=Side.REQUESTING,
        roles=_CASE_HANDLERS,
        event=EventKind.REQUEST_CLOSED,
        label="close",
    ),
    # --- recorded steps that keep the state ------------------------------------------------
    Transition(
        action=Action.EXTEND_PRESERVATION,
        sources=frozenset({S.PARTIALLY_EXECUTED, S.EXECUTED}),
        target=None,
        side=Side.REQUESTED,
        roles=_CASE_HANDLERS,
        event=EventKind.REQUEST_CHANGED,
        label="extend the preservation",
        article=rulebook.extension_article(),
        payload=(PreservationExtension,),
        payload_required=True,
    ),
    Transition(
        action=Action.ATTACH_CONDITIONS,
        sources=frozenset(
            {S.ACKNOWLEDGED, S.IN_EXECUTION, S.PARTIALLY_EXECUTED, S.EXECUTED, S.POSTPONED}
        ),
        target=None,
        side=Side.REQUESTED,
        roles=_APPROVERS,
        event=EventKind.REQUEST_CHANGED,
        label="attach conditions on use",
        article=Art(36, 1, "b"),
        payload=(ConditionsAttachment,),
        payload_required=True,
    ),
    Transition(
        action=Action.CONSENT_TO_USE,
        sources=frozenset({S.IN_EXECUTION, S.PARTIALLY_EXECUTED, S.EXECUTED, S.CLOSED}),
        target=None,
        side=Side.REQUESTED,
        roles=_APPROVERS,
        event=EventKind.REQUEST_CHANGED,
        label="consent to another use",
        article=rulebook.procedure_article("limits-on-use"),
        payload=(UseConsent, RetentionConsent),
        payload_required=True,
    ),
    Transition(
        action=Action.LINK_FOLLOW_UP,
        sources=frozenset({S.SENT} | _OPEN_AT_REQUESTED | {S.EXECUTED}),
        target=None,
        side=Side.REQUESTING,
        roles=_CASE_HANDLERS,
        event=EventKind.REQUEST_CHANGED,
        label="link the follow-up MLA request",
        article=rulebook.preservation_period_article(),
        payload=(FollowUpLink,),
        payload_required=True,
    ),
)

TRANSITIONS_BY_ACTION: dict[Action, Transition] = {t.action: t for t in TRANSITIONS}
ENTRY_POINTS_BY_ACTION: dict[Action, EntryPoint] = {e.action: e for e in ENTRY_POINTS}


def possible_actions(status: Status) -> tuple[Action, ...]:
    """The steps the table allows from ``status``, in table order."""
    return tuple(t.action for t in TRANSITIONS if status in t.sources)


def reachable_states() -> frozenset[Status]:
    """Every state reachable from an entry point through the table."""
    seen = {e.target for e in ENTRY_POINTS}
    frontier = list(seen)
    while frontier:
        current = frontier.pop()
        for t in TRANSITIONS:
            if current in t.sources:
                nxt = t.leads_to(current)
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
    return frozenset(seen)


def mermaid_state_diagram(
    transitions: Iterable[Transition] = TRANSITIONS,
    entry_points: Iterable[EntryPoint] = ENTRY_POINTS,
) -> str:
    """The lifecycle as a Mermaid ``stateDiagram-v2``, generated from the table.

    State-changing steps become arrows labelled with the step and the side that takes it
    (``[A]`` requesting, ``[B]`` requested); steps that keep the state are left out of the
    diagram (they are listed in docs/requests.md from the same table). ``closed`` is the
    final state.
    """
    mark = {Side.REQUESTING: "A", Side.REQUESTED: "B"}
    lines = ["stateDiagram-v2"]
    for entry in entry_points:
        lines.append(
            f"    [*] --> {entry.target.value} : {entry.action.value} [{mark[entry.side]}]"
        )
    order = list(Status)
    for t in transitions:
        if t.target is None:
            continue
        for source in sorted(t.sources, key=order.index):
            lines.append(
                f"    {source.value} --> {t.target.value} : {t.action.value} [{mark[t.side]}]"
            )
    lines.append(f"    {Status.CLOSED.value} --> [*]")
    return "\n".join(lines) + "\n"


def markdown_transition_table(transitions: Iterable[Transition] = TRANSITIONS) -> str:
    """The transition table as a Markdown table, for docs/requests.md."""
    order = list(Status)
    role_order = list(Role)
    lines = [
        "| step | from | to | side | roles | article | carries |",
        "|---|---|---|---|---|---|---|",
    ]
    for t in transitions:
        sources = ", ".join(s.value for s in sorted(t.sources, key=order.index))
        target = t.target.value if t.target is not None else "(same)"
        roles = ", ".join(r.value for r in sorted(t.roles, key=role_order.index))
        carries = [p.__name__ for p in t.payload]
        if t.needs_note:
            carries.append("note")
        if t.needs_valid:
            carries.append("validation report")
        if t.automatic:
            carries.append("(node may take it)")
        article = str(t.article) if t.article is not None else ""
        lines.append(
            f"| {t.action.value} | {sources} | {target} | {t.side.value} | {roles} | "
            f"{article} | {', '.join(carries)} |"
        )
    return "\n".join(lines) + "\n"
