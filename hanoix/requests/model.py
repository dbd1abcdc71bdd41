"""The cooperation request as plain, immutable data.

A request exists once on each node that takes part in it: the requesting State's node holds
one copy, the requested State's node another, both walking the same lifecycle (see
:mod:`hanoix.requests.transitions`). :attr:`CooperationRequest.side` says which copy this is.
Every change returns a new value (``dataclasses.replace``), so the service layer can persist
the new version and its custody event in one unit of work, or neither.

Fields that can hold personal data are marked with :func:`personal_field` (Art. 36), those of a
request's terms in :mod:`hanoix.requests.terms`; :meth:`CooperationRequest.loggable` is the
view for logs.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from hanoix.convention import RequestKind
from hanoix.convention.refs import Art
from hanoix.requests.conditions import ConditionSet
from hanoix.requests.localtime import period_end
from hanoix.requests.personal import loggable, personal_field
from hanoix.requests.references import RequestReference
from hanoix.requests.roles import Action
from hanoix.requests.rulebook import ContentValue
from hanoix.requests.terms import RequestTerms


def present(value: ContentValue) -> bool:
    """Whether a content value says something (blank text, ``False`` and ``()`` do not)."""
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


class Side(StrEnum):
    """The two sides of a request. Each lifecycle step is taken by one of them."""

    REQUESTING = "requesting"
    REQUESTED = "requested"

    @property
    def other(self) -> Side:
        """The other side."""
        return Side.REQUESTED if self is Side.REQUESTING else Side.REQUESTING


class Status(StrEnum):
    """Where a request stands. The same states on both nodes."""

    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    APPROVED = "approved"
    SENT = "sent"
    RECEIVED = "received"
    ACKNOWLEDGED = "acknowledged"
    MORE_INFORMATION_REQUESTED = "more_information_requested"
    IN_EXECUTION = "in_execution"
    PARTIALLY_EXECUTED = "partially_executed"
    EXECUTED = "executed"
    POSTPONED = "postponed"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


# A decision on a request, in the sense of Art. 42(8): after it a preservation need not go on.
# Partial execution is not one: the rest of the request may still be executed.
DECIDED = frozenset({Status.EXECUTED, Status.REFUSED, Status.WITHDRAWN, Status.CLOSED})


class Channel(StrEnum):
    """How one request actually travels (Arts 40(13), 41, 47).

    The codes shared with :class:`hanoix.convention.kinds.Channel` (the channel a *kind*
    typically uses) have the same values, so the two can be compared.
    """

    CENTRAL_AUTHORITY = "central-authority"  # the rule: central authority to central authority
    CONTACT_24_7 = "contact-24-7"  # the 24/7 points of contact, Art. 41
    COMPETENT_AUTHORITIES = "competent-authorities"  # police to police etc., Arts 47-48
    DIPLOMATIC = "diplomatic"  # where the requested State requires it, Art. 40(13)
    INTERPOL = "interpol"  # urgent and agreed, Art. 40(13)


class LegalBasis(StrEnum):
    """The legal basis a request is made on."""

    CONVENTION = "convention"
    OTHER = "other"  # a bilateral treaty, reciprocity, domestic law: named in legal_basis_other


@dataclass(frozen=True)
class Party:
    """One side's State, the authority acting for it, and its IANA time zone."""

    state: str
    authority: str
    zone: str


@dataclass(frozen=True)
class Refusal:
    """A refusal: grounds from the Convention's list (codes) and the reasons, which are
    mandatory (Art. 40(23) as recalled). ``consulted`` records that the States consulted
    before the refusal, as the Convention asks."""

    grounds: tuple[str, ...]
    reasons: str = personal_field()
    consulted: bool = False


@dataclass(frozen=True)
class Postponement:
    """A postponement of execution, with its reason and until when."""

    until: date
    reason: str = personal_field()
    consulted: bool = False


@dataclass(frozen=True)
class PreservationExtension:
    """A recorded extension of a preservation by ``days`` more days (Art. 42(9), recalled)."""

    days: int
    reason: str = personal_field(default="")


@dataclass(frozen=True)
class Preservation:
    """The running preservation of a preservation request, on the requested State's calendar.

    ``starts_on`` is the local date the data was preserved; the period is counted in days
    from it (see :mod:`hanoix.requests.localtime`).
    """

    starts_on: date
    zone: str
    days: int
    extensions: tuple[PreservationExtension, ...] = ()

    @property
    def total_days(self) -> int:
        """The period in days, extensions included."""
        return self.days + sum(e.days for e in self.extensions)

    def expires_at(self) -> datetime:
        """The instant (UTC) the preservation period ends, before any Art. 42(8) hold."""
        return period_end(self.starts_on, self.total_days, self.zone)


@dataclass(frozen=True)
class Transfer:
    """A transfer of personal data between the States, with its legal basis (Art. 36(1)(a))."""

    at: datetime
    from_state: str
    to_state: str
    what: str
    legal_basis: str
    article: Art = field(default=Art(36, 1, "a"))


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded step. ``from_status`` is ``None`` for the step that created the copy."""

    seq: int
    action: Action
    from_status: Status | None
    to_status: Status
    at: datetime
    side: Side
    actor: str
    authority: str
    note: str | None = personal_field(default=None)
    details: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CooperationRequest:
    """One copy of a cooperation request.

    ``side`` is the side of the node holding this copy; ``handled_by`` the local authority in
    charge of it. ``authors`` are the users who drafted or edited it: none of them may approve
    it (four-eyes). ``version`` counts the recorded steps and equals ``len(history)``.
    """

    id: str
    reference: RequestReference
    kind: RequestKind
    side: Side
    requesting: Party
    requested: Party
    handled_by: str
    status: Status
    created_at: datetime
    channel: Channel
    terms: RequestTerms
    # Follows the terms' legal_basis_other: the Convention unless another basis is named.
    legal_basis: LegalBasis = LegalBasis.CONVENTION
    owner: str | None = None
    drafted_by: str | None = None
    authors: frozenset[str] = frozenset()
    approved_by: str | None = None
    follows_up: RequestReference | None = None
    follow_ups: tuple[RequestReference, ...] = ()
    preservation: Preservation | None = None
    conditions: ConditionSet = field(default_factory=ConditionSet)
    refusal: Refusal | None = None
    postponement: Postponement | None = None
    transfers: tuple[Transfer, ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    version: int = 0

    # The terms read as the request's own, as every reader of a request has always had them;
    # they change through the terms (hanoix.requests.terms.amend), never one by one.
    @property
    def language(self) -> str:
        return self.terms.language

    @property
    def proceeding(self) -> str:
        return self.terms.proceeding

    @property
    def contents(self) -> Mapping[str, ContentValue]:
        return self.terms.contents

    @property
    def urgent(self) -> bool:
        return self.terms.urgent

    @property
    def restricted(self) -> bool:
        return self.terms.restricted

    @property
    def legal_basis_other(self) -> str | None:
        return self.terms.legal_basis_other

    @property
    def convention_offence(self) -> bool | None:
        return self.terms.convention_offence

    @property
    def dual_criminality(self) -> bool | None:
        return self.terms.dual_criminality

    @property
    def preservation_days(self) -> int | None:
        return self.terms.preservation_days

    @property
    def suggested_deadline(self) -> date | None:
        return self.terms.suggested_deadline

    @property
    def local(self) -> Party:
        """The party of the node holding this copy."""
        return self.requesting if self.side is Side.REQUESTING else self.requested

    @property
    def counterpart(self) -> Party:
        """The other party."""
        return self.requested if self.side is Side.REQUESTING else self.requesting

    def party(self, side: Side) -> Party:
        """The party on ``side``."""
        return self.requesting if side is Side.REQUESTING else self.requested

    def loggable(self) -> dict[str, Any]:
        """A JSON-ready view without personal data, for logs and diagnostics.

        Personal fields are withheld (their names stay, with a marker when they held
        something); ``contents_present`` lists which contents exist, not what they say.
        """
        view: dict[str, Any] = loggable(self)
        # The terms appear as the request's own fields, as they did before they were a value.
        view.update(view.pop("terms"))
        view["reference"] = str(self.reference)
        view["follows_up"] = str(self.follows_up) if self.follows_up else None
        view["follow_ups"] = [str(r) for r in self.follow_ups]
        view["contents_present"] = sorted(k for k, v in self.contents.items() if present(v))
        return view
