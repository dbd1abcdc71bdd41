"""Cooperation requests: the pure domain, from draft to closure.

No I/O: time comes from the caller (a :class:`~hanoix.clock.Clock`'s ``now()``), ids from an
injected source, rules from :mod:`hanoix.convention`, treaty status through an ``applies``
function. The store, API and CLI build on these values and functions:

* :mod:`.model`: :class:`CooperationRequest` and its parts (immutable dataclasses; personal
  fields marked, :meth:`CooperationRequest.loggable` for logs);
* :mod:`.transitions`: the lifecycle as a table (:data:`TRANSITIONS`) and its Mermaid diagram;
* :mod:`.lifecycle`: :func:`draft_request`, :func:`register_incoming`, :func:`apply`,
  :func:`create_follow_up_mla`, each returning the new request and its domain event;
* :mod:`.validation`: :func:`validate` against the Convention and a :class:`StateProfile`;
* :mod:`.deadlines`: :func:`deadlines_due` and the urgent expectations (node policy);
* :mod:`.conditions`: conditions on use and :func:`check_use`;
* :mod:`.roles`, :mod:`.authorisation`: roles, actions and :func:`authorise`;
* :mod:`.references`: ``AUT-2026-000123``.
"""

from __future__ import annotations

from hanoix.requests.authorisation import authorise, authorise_actor, check_visible, not_found
from hanoix.requests.conditions import (
    ConditionSet,
    Consent,
    DeleteBy,
    IntendedUse,
    KeepConfidential,
    NoOnwardTransfer,
    RetentionConsent,
    UseAction,
    UseCondition,
    UseConsent,
    UseDeniedError,
    UseOnlyForProceeding,
    check_use,
    statutory_conditions,
)
from hanoix.requests.deadlines import (
    DEFAULT_POLICY,
    URGENT_EXPECTATIONS,
    Deadline,
    DeadlineKind,
    DeadlinePolicy,
    DeadlineState,
    DeadlineStatus,
    Owner,
    OwnerKind,
    UrgentExpectation,
    deadlines_due,
    deadlines_for,
)
from hanoix.requests.lifecycle import (
    FollowUp,
    IdSource,
    IncomingRequest,
    NewRequest,
    RequestEvent,
    Step,
    apply,
    create_follow_up_mla,
    draft_request,
    open_steps,
    register_incoming,
)
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
)
from hanoix.requests.payloads import (
    CLEARABLE,
    ConditionsAttachment,
    ExecutionReport,
    FollowUpLink,
    Payload,
    RequestEdit,
)
from hanoix.requests.personal import loggable, personal_field, personal_field_names
from hanoix.requests.references import RequestReference, make_reference, reference_year
from hanoix.requests.roles import (
    Action,
    Actor,
    Authority,
    AuthorityKind,
    Counterpart,
    NodeActor,
    Role,
    User,
)
from hanoix.requests.terms import TERM_NAMES, RequestTerms, amend
from hanoix.requests.transitions import (
    ENTRY_POINTS,
    TRANSITIONS,
    EntryPoint,
    Transition,
    mermaid_state_diagram,
    possible_actions,
)
from hanoix.requests.validation import (
    Applies,
    LodgedStatement,
    StateProfile,
    ValidationReport,
    validate,
)

__all__ = [
    "CLEARABLE",
    "DEFAULT_POLICY",
    "ENTRY_POINTS",
    "TERM_NAMES",
    "TRANSITIONS",
    "URGENT_EXPECTATIONS",
    "Action",
    "Actor",
    "Applies",
    "Authority",
    "AuthorityKind",
    "Channel",
    "ConditionSet",
    "ConditionsAttachment",
    "Consent",
    "CooperationRequest",
    "Counterpart",
    "Deadline",
    "DeadlineKind",
    "DeadlinePolicy",
    "DeadlineState",
    "DeadlineStatus",
    "DeleteBy",
    "EntryPoint",
    "ExecutionReport",
    "FollowUp",
    "FollowUpLink",
    "HistoryEntry",
    "IdSource",
    "IncomingRequest",
    "IntendedUse",
    "KeepConfidential",
    "LegalBasis",
    "LodgedStatement",
    "NewRequest",
    "NoOnwardTransfer",
    "NodeActor",
    "Owner",
    "OwnerKind",
    "Party",
    "Payload",
    "Postponement",
    "Preservation",
    "PreservationExtension",
    "Refusal",
    "RequestEdit",
    "RequestEvent",
    "RequestReference",
    "RequestTerms",
    "RetentionConsent",
    "Role",
    "Side",
    "StateProfile",
    "Status",
    "Step",
    "Transfer",
    "Transition",
    "UrgentExpectation",
    "UseAction",
    "UseCondition",
    "UseConsent",
    "UseDeniedError",
    "UseOnlyForProceeding",
    "User",
    "ValidationReport",
    "amend",
    "apply",
    "authorise",
    "authorise_actor",
    "check_use",
    "check_visible",
    "create_follow_up_mla",
    "deadlines_due",
    "deadlines_for",
    "draft_request",
    "loggable",
    "make_reference",
    "mermaid_state_diagram",
    "not_found",
    "open_steps",
    "personal_field",
    "personal_field_names",
    "possible_actions",
    "reference_year",
    "register_incoming",
    "statutory_conditions",
    "validate",
]
