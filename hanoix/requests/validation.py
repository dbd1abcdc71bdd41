"""Validation of a request against the Convention and the requested State's declarations.

:func:`validate` runs every check and returns a :class:`ValidationReport` with all errors and
warnings at once, each naming its article, so a drafter fixes everything in one pass. The
steps that submit, approve and send a request demand a current report without errors.

What is checked:

* the contents the Convention requires for the kind of request (the convention module's
  declaration and engine: exactly that list, each gap with its article and paragraph);
* the requested State's declarations (:class:`StateProfile`): languages it accepts
  (Art. 40(14)), channels (Art. 40(13)), reservations such as Art. 42(5), and whether it
  requires dual criminality;
* whether the Convention applies between the two States on the day (the treaty module plugs
  in as ``applies``). If it does not, that is a warning: the request may still go on another
  legal basis, which must then be recorded in ``legal_basis_other``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from hanoix.convention import DualCriminalityRule, NotificationKind, RequestKind
from hanoix.convention.refs import Art
from hanoix.errors import InputError, Problem, RuleViolationError
from hanoix.requests import rulebook
from hanoix.requests.limits import size_problems
from hanoix.requests.localtime import load_zone, local_date, require_utc
from hanoix.requests.model import Channel, CooperationRequest, LegalBasis
from hanoix.requests.references import check_state_code
from hanoix.requests.rulebook import ContentValue

Applies = Callable[[str, str, date], tuple[bool, list[str]]]
"""``applies(requesting_state, requested_state, on) -> (in_force, reasons)``: whether the
Convention applies between two States on a date, and the reasons (the treaty module's
answer: who ratified when, entry into force, ...)."""


@dataclass(frozen=True)
class LodgedStatement:
    """A reservation, declaration or notification a State lodged, as it was lodged: its form,
    the article and paragraph it invokes, its date and text, and what it does (``kind``)."""

    form: str
    art: Art
    kind: NotificationKind
    on: date
    text: str = ""
    source: str | None = None

    def cite(self, state: str) -> str:
        """``"AZE's reservation under Art. 9(2) of 2025-10-25"``: the instrument, for a problem."""
        return f"{state}'s {self.form} under {self.art} of {self.on.isoformat()}"

    def quoted(self, limit: int = 160) -> str:
        text = " ".join(self.text.split())
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# What a statement changes for requests: the conduct under the offence it concerns is criminal
# in that State only on the conditions it lodged, which dual criminality then has to meet.
CONDITIONS_ON_OFFENCES = frozenset(
    {NotificationKind.OPTIONAL_ELEMENT, NotificationKind.RESERVATION_MISUSE_OF_DEVICES}
)


@dataclass(frozen=True)
class StateProfile:
    """What a State has declared that matters for requests sent to it.

    ``languages`` are the languages it accepts for requests (ISO 639-1, notified under
    Art. 40(14)); ``channels`` the channels it accepts, preferred first (Art. 40(13));
    ``reservations`` the reservations it made, as the convention module's notification codes
    (e.g. ``NotificationKind.RESERVATION_PRESERVATION_DUAL_CRIMINALITY`` for Art. 42(5));
    ``requires_dual_criminality`` whether it requires dual criminality where the Convention
    lets it; ``zone`` its IANA time zone, in which its periods are counted and its times shown.
    ``statements`` are what it lodged, as lodged, from which the rest is derived where known;
    ``extradition_authority`` and ``prevention_authority`` the authorities it designated.
    """

    state: str
    zone: str
    languages: frozenset[str]
    channels: tuple[Channel, ...] = (Channel.CENTRAL_AUTHORITY,)
    reservations: frozenset[NotificationKind] = frozenset()
    requires_dual_criminality: bool = False
    central_authority: str | None = None
    contact_24_7: str | None = None
    extradition_authority: str | None = None
    prevention_authority: str | None = None
    statements: tuple[LodgedStatement, ...] = ()

    def __post_init__(self) -> None:
        check_state_code(self.state)
        load_zone(self.zone)
        if not self.languages:
            raise InputError(f"the profile of {self.state} names no accepted language")
        if not self.channels:
            raise InputError(f"the profile of {self.state} names no accepted channel")

    def accepts_language(self, language: str) -> bool:
        """Whether requests in ``language`` (ISO 639-1, any case) are accepted."""
        return language.strip().lower() in {lang.lower() for lang in self.languages}

    def has_reservation(self, reservation: NotificationKind) -> bool:
        """Whether the State made ``reservation``."""
        return reservation in self.reservations

    def lodged(self, *kinds: NotificationKind) -> tuple[LodgedStatement, ...]:
        """The statements it lodged that do one of ``kinds``, in date order."""
        return tuple(item for item in self.statements if item.kind in kinds)

    @property
    def optional_elements(self) -> tuple[Art, ...]:
        """The paragraphs of optional elements of offences the State applies (Art. 7(2)...)."""
        return tuple(item.art for item in self.lodged(NotificationKind.OPTIONAL_ELEMENT))

    @property
    def preferred_channel(self) -> Channel:
        """The channel the State prefers (the first it lists)."""
        return self.channels[0]


@dataclass(frozen=True)
class ValidationReport:
    """The findings of :func:`validate` for one version of one request.

    ``errors`` stop the request from being submitted, approved or sent; ``warnings`` are shown
    and recorded but do not stop it. No ``__bool__`` on purpose: ask :attr:`has_errors` or
    call :meth:`raise_for_errors`.
    """

    request_id: str
    version: int
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def has_errors(self) -> bool:
        """Whether any finding stops the request."""
        return bool(self.errors)

    def raise_for_errors(self) -> None:
        """Raise :class:`~hanoix.errors.RuleViolationError` carrying every error, if any."""
        if self.errors:
            first = self.errors[0]
            # The convention engine's messages already start with their article.
            cited = first.article and not first.message.startswith(first.article)
            where = f"{first.article}: " if cited else ""
            more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
            raise RuleViolationError(
                f"the request is not valid: {where}{first.message}{more}", problems=self.errors
            )


def cited(message: str, field: str) -> Problem:
    """A finding on envelope field ``field``, citing the rule behind it (article and basis)."""
    rule = rulebook.envelope_rules()[field]
    return Problem(message, field=field, article=str(rule.art), basis=rule.basis.value)


def document_gaps(
    kind: RequestKind, contents: Mapping[str, ContentValue], proceeding: str
) -> list[Problem]:
    """What a request of ``kind`` lacks that its own words show, with no State's declarations
    or treaty data: every content the Convention requires for the kind (``contents.<name>``)
    and the proceeding that limits the use of what is provided. :func:`validate` reports them
    first; a document whose other fields cannot be read yet is checked for them too, so that
    one pass shows every gap."""
    problems = rulebook.check_contents(kind, contents)
    if not proceeding.strip():
        problems.append(
            cited(
                "name the investigation, prosecution or proceeding the request is made for: "
                "the limits on use of what is provided depend on it",
                "proceeding",
            )
        )
    return problems


def _form(request: CooperationRequest, profile: StateProfile) -> list[Problem]:
    problems: list[Problem] = []
    if not profile.accepts_language(request.language):
        accepted = ", ".join(sorted(profile.languages))
        problems.append(
            cited(
                f"{profile.state} does not accept requests in '{request.language}'; it accepts: "
                f"{accepted}",
                "language",
            )
        )
    if not _channel_accepted(request, profile):
        accepted = ", ".join(c.value for c in profile.channels)
        problems.append(
            cited(
                f"{profile.state} does not accept requests through '{request.channel.value}'; "
                f"it accepts: {accepted}",
                "channel",
            )
        )
    return problems


def _channel_accepted(request: CooperationRequest, profile: StateProfile) -> bool:
    # The 24/7 points of contact carry what Art. 41(3) lists (preservation above all) and
    # competent authorities deal directly where the kind says so (Arts 47, 48), whatever
    # channel the State requires for ordinary requests.
    if request.channel is Channel.CONTACT_24_7 and rulebook.travels_through_24_7(request.kind):
        return True
    if request.channel is Channel.COMPETENT_AUTHORITIES:
        return rulebook.travels_between_competent_authorities(request.kind)
    if request.channel is Channel.INTERPOL:
        # Only when urgent and agreed (Art. 40(13)): the profile listing it is the agreement.
        return request.urgent and Channel.INTERPOL in profile.channels
    return request.channel in profile.channels


def _periods(request: CooperationRequest, at: datetime) -> list[Problem]:
    problems: list[Problem] = []
    if rulebook.is_preservation(request.kind) and request.preservation_days is not None:
        minimum = rulebook.preservation_minimum_days(request.kind)
        if request.preservation_days < minimum:
            problems.append(
                Problem(
                    f"a preservation lasts at least {minimum} days; "
                    f"{request.preservation_days} asked",
                    field="preservation_days",
                    article=str(rulebook.preservation_period_article(request.kind)),
                    basis=rulebook.envelope_rules()["preservation_days"].basis.value,
                )
            )
    return problems


def _suggested_deadline(request: CooperationRequest, at: datetime) -> list[Problem]:
    if request.suggested_deadline is None:
        return []
    today = local_date(at, request.requesting.zone)
    if request.suggested_deadline <= today:
        return [
            cited(
                f"the suggested date {request.suggested_deadline.isoformat()} is not in the future",
                "suggested_deadline",
            )
        ]
    return []


def _legal_basis(
    request: CooperationRequest, applies: Applies, on: date
) -> tuple[list[Problem], list[Problem]]:
    in_force, reasons = applies(request.requesting.state, request.requested.state, on)
    if in_force:
        return [], []
    why = "; ".join(reasons) if reasons else "no reason given by the treaty module"
    rule = rulebook.envelope_rules()["legal_basis_other"]
    article = str(rule.art)
    warnings = [
        Problem(
            f"the Convention is not in force between {request.requesting.state} and "
            f"{request.requested.state} on {on.isoformat()} ({why}); the request can only "
            "proceed on another legal basis",
            field="legal_basis",
            article=article,
            basis=rule.basis.value,
        )
    ]
    errors: list[Problem] = []
    if request.legal_basis is not LegalBasis.OTHER or not (request.legal_basis_other or "").strip():
        errors.append(
            Problem(
                "record the other legal basis the request is made on (legal_basis_other: a "
                "bilateral treaty, reciprocity, ...)",
                field="legal_basis_other",
                article=article,
                basis=rule.basis.value,
            )
        )
    return warnings, errors


def _dual_criminality(
    request: CooperationRequest, profile: StateProfile
) -> tuple[list[Problem], list[Problem]]:
    errors: list[Problem] = []
    warnings: list[Problem] = []
    rule = rulebook.dual_criminality(request.kind)
    if rule is DualCriminalityRule.REQUIRED:
        if request.dual_criminality is False:
            errors.append(
                Problem(
                    "dual criminality is required for this kind of request and the request "
                    "states it is not met",
                    field="dual_criminality",
                    article=str(rulebook.dual_criminality_article(request.kind)),
                    basis=rulebook.dual_criminality_rule(request.kind).basis.value,
                )
            )
        elif request.dual_criminality is None:
            warnings.append(
                Problem(
                    "dual criminality is required for this kind of request: state whether the "
                    "conduct is a crime in both States",
                    field="dual_criminality",
                    article=str(rulebook.dual_criminality_article(request.kind)),
                    basis=rulebook.dual_criminality_rule(request.kind).basis.value,
                )
            )
    elif (
        rule is DualCriminalityRule.MAY_BE_REQUIRED
        and profile.requires_dual_criminality
        and request.dual_criminality is not True
    ):
        warnings.append(
            Problem(
                f"{profile.state} requires dual criminality and may refuse unless the "
                "conduct is a crime in both States (whatever it is called there)",
                field="dual_criminality",
                article=str(rulebook.dual_criminality_article(request.kind)),
                basis=rulebook.dual_criminality_rule(request.kind).basis.value,
            )
        )
    reservation = rulebook.preservation_reservation_article()
    reserved_preservation = rulebook.is_preservation(request.kind) and profile.has_reservation(
        rulebook.PRESERVATION_RESERVATION
    )
    if reserved_preservation and request.convention_offence is not True:
        lodged = profile.lodged(rulebook.PRESERVATION_RESERVATION)
        who = lodged[0].cite(profile.state) if lodged else f"{profile.state}'s reservation"
        warnings.append(
            Problem(
                f"{who}: {profile.state} reserved the right to refuse preservation for offences "
                "other than those established under the Convention where dual criminality will "
                "not be met at disclosure; say whether the offence is one of Arts 7-21",
                field="convention_offence",
                article=str(lodged[0].art if lodged else reservation),
            )
        )
    # Conditions the State lodged on offences matter wherever dual criminality may be tested.
    tested = rule is not DualCriminalityRule.NOT_REQUIRED or reserved_preservation
    if tested:
        warnings.extend(_conditions_on_offences(profile))
    return errors, warnings


def _conditions_on_offences(profile: StateProfile) -> list[Problem]:
    """One warning per condition a State lodged on an offence, citing its instrument: conduct
    under that offence is criminal there only on that condition (Art. 35(3) conduct test)."""
    return [
        Problem(
            f"{item.cite(profile.state)}: {profile.state} made conduct under "
            f"Art. {item.art.article} an offence only on the condition it lodged"
            + (f' ("{item.quoted()}")' if item.text else "")
            + "; if the request concerns such conduct, dual criminality is met only where the "
            "conduct meets that condition",
            field="dual_criminality",
            article=str(item.art),
        )
        for item in profile.lodged(*CONDITIONS_ON_OFFENCES)
    ]


def validate(
    request: CooperationRequest, profile: StateProfile, applies: Applies, at: datetime
) -> ValidationReport:
    """Check ``request`` against the Convention and the requested State's ``profile`` at
    ``at``; every finding is collected, none stops the others."""
    at = require_utc(at, what="time of validation")
    if profile.state != request.requested.state:
        raise InputError(
            f"the profile is {profile.state}'s, but request {request.reference} is addressed to "
            f"{request.requested.state}"
        )
    errors: list[Problem] = []
    warnings: list[Problem] = []
    errors.extend(document_gaps(request.kind, request.contents, request.proceeding))
    errors.extend(size_problems(request.contents, request.proceeding, request.legal_basis_other))
    errors.extend(_form(request, profile))
    errors.extend(_periods(request, at))
    warnings.extend(_suggested_deadline(request, at))
    basis_warnings, basis_errors = _legal_basis(
        request, applies, local_date(at, request.requesting.zone)
    )
    warnings.extend(basis_warnings)
    errors.extend(basis_errors)
    dc_errors, dc_warnings = _dual_criminality(request, profile)
    errors.extend(dc_errors)
    warnings.extend(dc_warnings)
    return ValidationReport(
        request_id=request.id,
        version=request.version,
        errors=tuple(errors),
        warnings=tuple(warnings),
    )
