"""Validating a request document against treaty data, with or without the node's database.

What a validation needs from a node is its treaty data (the requested State's profile: the
languages, reservations and authorities it lodged; whether the Convention applies between the
two States on the day), its configured State and its clock. The node's use cases
(:mod:`hanoix.services.requests`) read the treaty data from the database; ``hanoix request
validate FILE`` reads it with :func:`home_treaty`, which opens no database (issue 13), and
both validate through :func:`validate_draft_with`, so the answer is the same. Nothing here
imports SQLAlchemy.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pycountry

from hanoix.convention import NotificationKind, RequestKind
from hanoix.documents.requests import (
    DocumentReading,
    DraftChanges,
    DraftInput,
    all_problems,
    default_channel,
    read_document,
)
from hanoix.errors import InputError, PermissionDeniedError, Problem, UnknownStateError
from hanoix.requests import (
    Action,
    Applies,
    Authority,
    AuthorityKind,
    Channel,
    CooperationRequest,
    LodgedStatement,
    NewRequest,
    Party,
    RequestEdit,
    Role,
    StateProfile,
    User,
    ValidationReport,
    draft_request,
    validate,
)
from hanoix.requests.authorisation import check_role
from hanoix.requests.references import check_state_code
from hanoix.store import treaty_file
from hanoix.treaty.participants import lookup, state_zone
from hanoix.treaty.status import TreatyStatus

if TYPE_CHECKING:
    from hanoix.config import Settings

#: The Convention's authentic languages (FACTS §13.17), assumed accepted by a State that has
#: notified no languages under Art. 40(14) in the node's treaty data.
AUTHENTIC_LANGUAGES = frozenset({"ar", "en", "es", "fr", "ru", "zh"})


def require_role(user: User, action: Action) -> Authority:
    """The role check of :func:`authorise` for use cases that concern no single request;
    returns the authority the user acts for."""
    check_role(user, action)
    if user.authority is None:
        raise PermissionDeniedError(f"{user.id} acts for no authority")
    return user.authority


# --- States: profiles and the Convention's applicability ------------------------------------


def _language_codes(text: str) -> set[str]:
    codes: set[str] = set()
    for token in text.replace(";", ",").replace(" and ", ",").split(","):
        word = token.strip()
        if not word:
            continue
        if len(word) == 2 and word.isalpha():
            codes.add(word.lower())
            continue
        language = pycountry.languages.get(name=word.title())
        code = getattr(language, "alpha_2", None) if language is not None else None
        if code:
            codes.add(str(code))
    return codes


def _profile(status: TreatyStatus, state: str) -> StateProfile:
    """What ``state`` lodged, as lodged, and what the rules derive from it: the languages it
    accepts, its reservations, the authorities it designated."""
    languages: set[str] = set()
    reservations: set[NotificationKind] = set()
    authorities: dict[NotificationKind, str] = {}
    statements: list[LodgedStatement] = []
    for declaration in status.declarations:
        if declaration.participant != state:
            continue
        statements.append(
            LodgedStatement(
                form=declaration.lodged_form.value,
                art=declaration.article,
                kind=declaration.kind,
                on=declaration.date,
                text=declaration.text,
                source=declaration.source,
            )
        )
        if declaration.kind is NotificationKind.LANGUAGES:
            languages |= _language_codes(declaration.text)
        elif declaration.kind.value.startswith("reservation-"):
            reservations.add(declaration.kind)
        elif declaration.kind in _AUTHORITIES and declaration.text:
            authorities[declaration.kind] = declaration.text.strip()
    return StateProfile(
        state=state,
        zone=state_zone(state),
        languages=frozenset(languages or AUTHENTIC_LANGUAGES),
        channels=(Channel.CENTRAL_AUTHORITY, Channel.DIPLOMATIC),
        reservations=frozenset(reservations),
        central_authority=authorities.get(NotificationKind.CENTRAL_AUTHORITY),
        contact_24_7=authorities.get(NotificationKind.CONTACT_24_7),
        extradition_authority=authorities.get(NotificationKind.EXTRADITION_AUTHORITY),
        prevention_authority=authorities.get(NotificationKind.PREVENTION_AUTHORITY),
        statements=tuple(statements),
    )


# The designations whose text names the authority.
_AUTHORITIES = frozenset(
    {
        NotificationKind.CENTRAL_AUTHORITY,
        NotificationKind.CONTACT_24_7,
        NotificationKind.EXTRADITION_AUTHORITY,
        NotificationKind.PREVENTION_AUTHORITY,
    }
)


@dataclass(frozen=True)
class TreatyView:
    """Treaty data as requests read it: each State's profile (computed once) and whether the
    Convention applies between two States on a day."""

    status: TreatyStatus
    _profiles: dict[str, StateProfile] = field(default_factory=dict, compare=False, repr=False)

    def profile(self, state: str) -> StateProfile:
        known = self._profiles.get(state)
        if known is None:
            known = self._profiles[state] = _profile(self.status, state)
        return known

    def applies(self) -> Applies:
        def answer(requesting: str, requested: str, on: date) -> tuple[bool, list[str]]:
            result = self.status.applies(requesting, requested, on)
            return result.applies, [reason.message for reason in result.reasons]

        return answer


def known_state(code: str, field_name: str) -> str:
    try:
        check_state_code(code, what=field_name)
        return lookup(code).code
    except UnknownStateError as exc:
        raise InputError(exc.message, problems=[Problem(exc.message, field=field_name)]) from None
    except InputError as exc:
        raise InputError(exc.message, problems=[Problem(exc.message, field=field_name)]) from None


# --- drafting -------------------------------------------------------------------------------


def _requested_authority(draft: DraftInput, channel: Channel, profile: StateProfile) -> str:
    if draft.requested_authority:
        return draft.requested_authority
    if channel is Channel.CONTACT_24_7:
        return profile.contact_24_7 or f"{profile.state}-247"
    return profile.central_authority or f"{profile.state}-CA"


def new_request_spec(
    treaty: TreatyView, authority: Authority, draft: DraftInput
) -> tuple[NewRequest, StateProfile]:
    requested = known_state(draft.requested_state, "requested_state")
    if draft.requesting_state is not None and draft.requesting_state != authority.state:
        message = (
            f"you act for {authority.code} of {authority.state}; a request is drafted for your "
            f"own State, not {draft.requesting_state}"
        )
        raise InputError(message, problems=[Problem(message, field="requesting_state")])
    profile = treaty.profile(requested)
    own = treaty.profile(authority.state)
    channel = default_channel(draft, profile)
    spec = NewRequest(
        kind=draft.kind,
        requesting=Party(authority.state, authority.code, own.zone),
        requested=Party(requested, _requested_authority(draft, channel, profile), profile.zone),
        channel=channel,
        terms=replace(
            draft.terms, legal_basis_other=(draft.terms.legal_basis_other or "").strip() or None
        ),
        owner=draft.owner,
    )
    return spec, profile


def edit_spec(
    treaty: TreatyView, request: CooperationRequest, changes: DraftChanges
) -> RequestEdit:
    """The lifecycle's edit of the draft ``request`` for ``changes``, with the requested party
    settled as a new request's is (:func:`new_request_spec`): a State the treaty module knows,
    and, unless the changes name one, the authority a new request would address there when
    the requested State or the channel changes or the authority is given as null. A draft
    keeps its requesting State (its reference names it)."""
    if changes.requesting_state is not None:
        requesting = known_state(changes.requesting_state, "requesting_state")
        if requesting != request.requesting.state:
            message = (
                f"{request.reference} is requested by {request.requesting.state}, the State it "
                f"was drafted for; a draft cannot be moved to {requesting}"
            )
            raise InputError(message, problems=[Problem(message, field="requesting_state")])
    edit = changes.edit
    state = request.requested.state
    if changes.requested_state is not None:
        state = known_state(changes.requested_state, "requested_state")
    profile = treaty.profile(state)
    urgent = request.urgent if edit.urgent is None else edit.urgent
    draft = DraftInput(
        kind=request.kind,
        requested_state=state,
        terms=replace(request.terms, urgent=urgent),
        requested_authority=changes.requested_authority,
    )
    channel = edit.channel
    if channel is None and "channel" in changes.defaulted:
        channel = default_channel(draft, profile)
    authority = changes.requested_authority
    moved = state != request.requested.state or (channel not in (None, request.channel))
    if authority is None and (moved or "requested_authority" in changes.defaulted):
        authority = _requested_authority(draft, channel or request.channel, profile)
    requested = Party(state, authority or request.requested.authority, profile.zone)
    return replace(
        edit, channel=channel, requested=None if requested == request.requested else requested
    )


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class DraftValidation:
    """The validation of a document that is not stored: the kind and the findings."""

    kind: RequestKind
    report: ValidationReport

    @property
    def valid(self) -> bool:
        return not self.report.has_errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "kind": self.kind.value,
            "problems": [p.as_dict() for p in self.report.errors],
            "warnings": [p.as_dict() for p in self.report.warnings],
        }


def user_state(user: User | None) -> str | None:
    return user.authority.state if user is not None and user.authority is not None else None


def requesting_state_missing(
    node_state: str | None, requesting_state: str | None, *, user: User | None = None
) -> Problem | None:
    """The problem of a document that names no requesting State when neither the acting user
    nor the node's configured State (``node_state``) gives one; ``None`` when a State is
    known. Needs no database: ``request validate`` asks it of a file it opens no node for."""
    if requesting_state or user_state(user) or node_state:
        return None
    return Problem(
        "say which State requests: put requesting_state in the document, act as a user "
        "(--as or HANOIX_USER), or configure the node's State (HANOIX_STATE)",
        field="requesting_state",
    )


def validate_with(
    treaty: TreatyView, request: CooperationRequest, at: datetime
) -> ValidationReport:
    """``request`` validated on ``at`` against ``treaty``."""
    return validate(request, treaty.profile(request.requested.state), treaty.applies(), at)


def validate_draft_with(
    treaty: TreatyView,
    draft: DraftInput,
    *,
    node_state: str | None,
    now: datetime,
    user: User | None = None,
) -> DraftValidation:
    """Validate a request document against ``treaty`` without storing anything.

    The requesting State is the document's, else the user's, else the node's configured State
    (``node_state``). Validation needs a request value, so the draft is built in memory with a
    stand-in author of that State; it is never stored and has no reference of its own.
    """
    if user is not None:
        require_role(user, Action.VIEW)
    missing = requesting_state_missing(node_state, draft.requesting_state, user=user)
    if missing is not None:
        raise InputError(missing.message, problems=[missing])
    state = known_state(
        draft.requesting_state or user_state(user) or node_state or "", "requesting_state"
    )
    author = User(
        "validator",
        Authority(f"{state}-CA", state, AuthorityKind.CENTRAL_AUTHORITY),
        frozenset({Role.DRAFTER}),
    )
    assert author.authority is not None
    spec, _ = new_request_spec(treaty, author.authority, draft)
    request = draft_request(spec, author=author, at=now, new_id=new_id, sequence=1).request
    return DraftValidation(draft.kind, validate_with(treaty, request, now))


@dataclass(frozen=True)
class DocumentValidation:
    """Every finding on a request document, in one pass, whether or not it can be used.

    ``usable`` says whether the document can be read as a request: when it cannot, ``errors``
    say why and list every gap with it (and the API answers 422, the CLI exits 2); when it
    can, they are the validation's against the treaty data. Each finding names its field path
    in the document (``contents.summary_of_facts``), and where a rule is behind it, the
    article and its basis.
    """

    kind: RequestKind | None
    usable: bool
    errors: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()

    @property
    def valid(self) -> bool:
        return self.usable and not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "valid": self.valid,
            "usable": self.usable,
            "kind": self.kind.value if self.kind is not None else None,
            "problems": [p.as_dict() for p in self.errors],
            "warnings": [p.as_dict() for p in self.warnings],
        }

    def raise_if_unusable(self) -> None:
        """InputError carrying every problem, if the document cannot be read as a request."""
        if not self.usable:
            first = self.errors[0]
            where = f"{first.field}: " if first.field else ""
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            raise InputError(
                f"the request document is not usable: {where}{first.message}{more}",
                problems=self.errors,
            )


def unusable_document(
    reading: DocumentReading,
    *,
    node_state: str | None,
    requesting_state: str | None = None,
    user: User | None = None,
) -> DocumentValidation | None:
    """The findings on a document that cannot be validated against treaty data (it cannot be
    read as a request, or no State is known to request it), with every gap; ``None`` when it
    can be."""
    named = requesting_state
    if named is None and reading.draft is not None:
        named = reading.draft.requesting_state
    missing = requesting_state_missing(node_state, named, user=user)
    if reading.draft is not None and missing is None:
        return None
    problems = all_problems(list(reading.unusable), [missing] if missing else [])
    return DocumentValidation(
        reading.kind, False, tuple(all_problems(problems, list(reading.gaps)))
    )


def validate_document_with(
    treaty: TreatyView,
    data: object,
    *,
    node_state: str | None,
    now: datetime,
    user: User | None = None,
) -> DocumentValidation:
    """Validate a raw request document (parsed JSON) in one pass: when it cannot be read as a
    request, why and every gap at once; else :func:`validate_draft_with`'s findings. Stores
    nothing; this is what ``request validate``, the API's validate route and the drafting form
    answer with."""
    if user is not None:
        require_role(user, Action.VIEW)
    reading = read_document(data)
    named = data.get("requesting_state") if isinstance(data, Mapping) else None
    refused = unusable_document(
        reading,
        node_state=node_state,
        requesting_state=named if isinstance(named, str) else None,
        user=user,
    )
    if refused is not None:
        return refused
    assert reading.draft is not None
    result = validate_draft_with(treaty, reading.draft, node_state=node_state, now=now, user=user)
    return DocumentValidation(result.kind, True, result.report.errors, result.report.warnings)


def home_treaty(settings: Settings) -> TreatyView | None:
    """The node's treaty data without opening its database, or ``None`` when only the database
    can tell (``request validate`` then opens the node).

    * a database named by ``HANOIX_DATABASE_URL``: ``None``; it may be shared with machines
      whose imports this home never sees;
    * no database in the home yet: the shipped data, which opening the node would load into a
      new database before answering;
    * else the copy of the database's treaty data in the home (:mod:`hanoix.store.treaty_file`),
      ``None`` when there is none (a home of an earlier version until ``hanoix init``, or a
      change that did not finish).
    """
    if not treaty_file.kept_for(settings):
        return None
    if not settings.default_database_file.exists():
        from hanoix.treaty.shipped import shipped_data

        shipped = shipped_data()
        return TreatyView(TreatyStatus(shipped.actions, shipped.declarations))
    copied = treaty_file.read(settings.home)
    return None if copied is None else TreatyView(TreatyStatus(copied.actions, copied.declarations))
