"""What a lifecycle step carries besides who and when.

Each step in the transition table names the payload type it needs (if any); the lifecycle
refuses a step whose payload is missing or of another type. The API layer maps request bodies
onto these types; nothing here knows about HTTP or JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import date

from hanoix.requests.conditions import Consent, UseCondition
from hanoix.requests.model import Channel, Party, Postponement, PreservationExtension, Refusal
from hanoix.requests.personal import personal_field
from hanoix.requests.references import RequestReference
from hanoix.requests.rulebook import ContentValue
from hanoix.requests.terms import RequestTerms

#: What an edit may unset again (:attr:`RequestEdit.cleared`): the terms a new request leaves
#: unset unless the drafter gives them, and the owner.
CLEARABLE = frozenset(
    {f.name for f in fields(RequestTerms) if f.default is None and f.name != "contents"} | {"owner"}
)


@dataclass(frozen=True)
class RequestEdit:
    """Changes to a draft. ``None`` leaves a field as it is; ``contents`` entries replace the
    entries of the same name, and an empty value (blank, ``False``, ``()``) removes one.

    Its fields are the terms (:class:`~hanoix.requests.terms.RequestTerms`, with the same
    personal-data marks), the channel, the requested party and the owner, each optional; the
    lifecycle applies whichever are set, by name, so a field added here is applied without
    more code. ``cleared`` names fields of :data:`CLEARABLE` to unset (a suggested deadline
    taken back); a field both set and cleared is set.
    """

    contents: Mapping[str, ContentValue] = personal_field(default_factory=dict)
    proceeding: str | None = personal_field(default=None)
    language: str | None = None
    channel: Channel | None = None
    urgent: bool | None = None
    restricted: bool | None = None
    legal_basis_other: str | None = None
    convention_offence: bool | None = None
    dual_criminality: bool | None = None
    preservation_days: int | None = None
    suggested_deadline: date | None = None
    requested: Party | None = None
    owner: str | None = None
    cleared: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ExecutionReport:
    """What the requested State reports when it executes (in part or in full).

    For a preservation, ``preserved_on`` is the local date in the requested State on which the
    data was preserved; the period runs from it (default: the day of the step).
    """

    preserved_on: date | None = None
    summary: str = personal_field(default="")


@dataclass(frozen=True)
class ConditionsAttachment:
    """Conditions the requested State attaches to what it provides."""

    conditions: tuple[UseCondition, ...]


@dataclass(frozen=True)
class FollowUpLink:
    """Links a preservation to the MLA request that follows it up (Art. 42(1), 42(8))."""

    reference: RequestReference


Payload = (
    RequestEdit
    | Refusal
    | Postponement
    | ExecutionReport
    | PreservationExtension
    | ConditionsAttachment
    | Consent
    | FollowUpLink
)

# Keep the record types importable from here too: they double as payloads.
__all__ = [
    "CLEARABLE",
    "ConditionsAttachment",
    "Consent",
    "ExecutionReport",
    "FollowUpLink",
    "Payload",
    "Postponement",
    "PreservationExtension",
    "Refusal",
    "RequestEdit",
]
