"""Conditions on the use of what a State provides, and the consents that widen them.

The requested State may attach conditions to what it gives (Arts 36(1)(b), 40(19), 40(20),
40(26)); the requesting State must keep them. Each condition is a type of its own with the
article it rests on, and :func:`check_use` is the one gate every use of received material goes
through: it raises :class:`UseDeniedError`, naming the condition and its article, for any use
outside them. A consent of the requested State (a recorded step of the lifecycle) is the only
thing that widens them.

Two conditions apply by law to every request, without being attached (see
:func:`statutory_conditions`): use only in the proceeding stated in the request (Art. 40(19))
and no onward transfer of personal data without the sender's prior authorisation (Art. 36(3)).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from hanoix.convention.refs import Art, Basis
from hanoix.errors import InputError, PermissionDeniedError, Problem
from hanoix.requests.localtime import end_of_local_day, require_utc
from hanoix.requests.personal import personal_field


class UseAction(StrEnum):
    """What the holder of received material wants to do with it."""

    OPEN = "open"  # look at it inside the node
    EXPORT = "export"  # take a copy out of the node (to a case file, a court)
    FORWARD = "forward"  # send it on to a third State or an international organisation
    USE_IN_PROCEEDING = "use_in_proceeding"  # rely on it in a named proceeding
    # Disclose, in this State's proceedings, what is exculpatory to an accused person: allowed
    # whatever the use limitation, after notifying the requested State (EXCULPATORY_DISCLOSURE).
    DISCLOSE_EXCULPATORY = "disclose_exculpatory"


@dataclass(frozen=True)
class IntendedUse:
    """A use that someone is about to make of received material.

    ``proceeding`` names the investigation, prosecution or judicial proceeding the use serves
    (required for ``use_in_proceeding``); ``recipient`` is the third State (ISO alpha-3) or
    international organisation that would receive it (required for ``forward``).
    """

    action: UseAction
    proceeding: str | None = personal_field(default=None)
    recipient: str | None = None

    def __post_init__(self) -> None:
        if (
            self.action in (UseAction.USE_IN_PROCEEDING, UseAction.DISCLOSE_EXCULPATORY)
            and not (self.proceeding or "").strip()
        ):
            raise InputError("say in which proceeding the material will be used")
        if self.action is UseAction.FORWARD and not (self.recipient or "").strip():
            raise InputError("say to which State or organisation the material would go")


# --- conditions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UseOnlyForProceeding:
    """Use only for the proceeding stated in the request (Art. 40(19))."""

    proceeding: str = personal_field()
    statutory: bool = False  # True when it applies by law rather than being attached
    code: str = field(default="use-only-for-proceeding", init=False)
    article: Art = field(default=Art(40, 19), init=False)
    basis: Basis = field(default=Basis.RECALLED, init=False)

    def describe(self) -> str:
        """The condition in words, for messages."""
        return "use only for the proceeding stated in the request"


@dataclass(frozen=True)
class NoOnwardTransfer:
    """No sending on to a third State or organisation without prior consent (Art. 36(3)).

    ``written`` records that the transferring State demands its authorisation in writing, as
    Art. 36(3) allows; an oral consent then does not lift the condition.
    """

    written: bool = False
    statutory: bool = False
    code: str = field(default="no-onward-transfer", init=False)
    article: Art = field(default=Art(36, 3), init=False)
    basis: Basis = field(default=Basis.RECALLED, init=False)

    def describe(self) -> str:
        """The condition in words, for messages."""
        suffix = " given in writing" if self.written else ""
        return f"no onward transfer without the sender's prior consent{suffix}"


@dataclass(frozen=True)
class KeepConfidential:
    """Keep the material confidential: no export out of the node and no forwarding without
    consent.

    Art. 40(20) is the confidentiality paragraph of the MLA article; as recalled in FACTS.md it
    binds the *requested* State at the requesting State's demand. A confidentiality condition
    the requested State attaches to what it provides rests rather on Art. 40(5) (spontaneous
    information) and on conditions agreed after consultation (Art. 40(26)); the article is kept
    as 40(20), labelled recalled, for the lawyers to confirm.
    """

    code: str = field(default="keep-confidential", init=False)
    article: Art = field(default=Art(40, 20), init=False)
    basis: Basis = field(default=Basis.RECALLED, init=False)

    def describe(self) -> str:
        """The condition in words, for messages."""
        return "keep confidential"


@dataclass(frozen=True)
class DeleteBy:
    """Delete the material by the end of ``on`` (a condition of lawful transfer, Art. 36(1)(b)).

    The date is read in both States' calendars and the earlier end counts, so no reading of the
    date lets the material live longer than either side meant.
    """

    on: date
    zones: tuple[str, ...] = ("UTC",)
    code: str = field(default="delete-by", init=False)
    article: Art = field(default=Art(36, 1, "b"), init=False)
    basis: Basis = field(default=Basis.RECALLED, init=False)

    def deadline(self) -> datetime:
        """The instant (UTC) after which the material may no longer be held."""
        return min(end_of_local_day(self.on, zone) for zone in self.zones)

    def describe(self) -> str:
        """The condition in words, for messages."""
        return f"delete by {self.on.isoformat()}"


UseCondition = UseOnlyForProceeding | NoOnwardTransfer | KeepConfidential | DeleteBy


def statutory_conditions(proceeding: str) -> tuple[UseCondition, ...]:
    """The conditions that apply by law to what is provided for a request made for
    ``proceeding``: Art. 40(19) limits use to it, Art. 36(3) bars onward transfer."""
    return (
        UseOnlyForProceeding(proceeding=proceeding, statutory=True),
        NoOnwardTransfer(statutory=True),
    )


# --- consents -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UseConsent:
    """The requested State's prior consent to one use outside the conditions.

    A consent covers exactly the use it names: the action, and the proceeding or the recipient
    when given. ``written`` says the consent exists in writing (Art. 36(3) may demand it);
    ``letter`` is the reference of that writing.
    """

    action: UseAction
    granted_by: str
    granted_at: datetime
    proceeding: str | None = personal_field(default=None)
    recipient: str | None = None
    written: bool = False
    letter: str | None = None

    def __post_init__(self) -> None:
        require_utc(self.granted_at, what="time of consent")
        if self.action is UseAction.USE_IN_PROCEEDING and not (self.proceeding or "").strip():
            raise InputError("a consent to use in another proceeding must name that proceeding")
        if self.action is UseAction.FORWARD and not (self.recipient or "").strip():
            raise InputError("a consent to forward must name the State or organisation")

    def covers(self, use: IntendedUse) -> bool:
        """Whether this consent covers ``use``."""
        if self.action is not use.action:
            return False
        if self.proceeding is not None and self.proceeding != use.proceeding:
            return False
        return self.recipient is None or self.recipient == use.recipient


@dataclass(frozen=True)
class RetentionConsent:
    """The requested State's consent to keep the material until a later date than a
    :class:`DeleteBy` condition allows."""

    until: date
    granted_by: str
    granted_at: datetime
    written: bool = False
    letter: str | None = None

    def __post_init__(self) -> None:
        require_utc(self.granted_at, what="time of consent")


Consent = UseConsent | RetentionConsent


@dataclass(frozen=True)
class ConditionSet:
    """The conditions attached to a request's material and the consents given since."""

    conditions: tuple[UseCondition, ...] = ()
    consents: tuple[Consent, ...] = ()

    def attach(self, conditions: tuple[UseCondition, ...]) -> ConditionSet:
        """A copy with ``conditions`` added (an identical condition is not repeated)."""
        merged = self.conditions + tuple(c for c in conditions if c not in self.conditions)
        return replace(self, conditions=merged)

    def consent(self, consent: Consent) -> ConditionSet:
        """A copy with ``consent`` recorded."""
        return replace(self, consents=(*self.consents, consent))


class UseDeniedError(PermissionDeniedError):
    """A use of received material falls outside the conditions attached to it.

    ``problems`` holds one finding per condition that forbids the use, each naming the
    condition (``field``) and its article.
    """

    code = "use-not-permitted"


def _violation(condition: UseCondition, use: IntendedUse, consents: tuple[Consent, ...]) -> bool:
    use_consents = [c for c in consents if isinstance(c, UseConsent)]

    def consented(*, written: bool = False) -> bool:
        return any(c.covers(use) and (c.written or not written) for c in use_consents)

    if isinstance(condition, UseOnlyForProceeding):
        if use.action is UseAction.DISCLOSE_EXCULPATORY:
            return False  # the exception to this very paragraph: EXCULPATORY_DISCLOSURE
        if use.action is UseAction.FORWARD:
            # Art. 40(19) forbids transmitting as well as using for other proceedings.
            return not consented()
        if use.action in (UseAction.USE_IN_PROCEEDING, UseAction.EXPORT):
            if use.proceeding is None or use.proceeding == condition.proceeding:
                # An export without a named proceeding is for the stated one; using it
                # elsewhere later goes through this gate again.
                return False
            return not consented()
        return False
    if isinstance(condition, NoOnwardTransfer):
        return use.action is UseAction.FORWARD and not consented(written=condition.written)
    if isinstance(condition, KeepConfidential):
        # The exculpatory exception lifts the use limitation only, not confidentiality.
        shared = (UseAction.EXPORT, UseAction.FORWARD, UseAction.DISCLOSE_EXCULPATORY)
        return use.action in shared and not consented()
    return False


def _deletion_deadline(condition: DeleteBy, consents: tuple[Consent, ...]) -> datetime:
    later = [
        c.until for c in consents if isinstance(c, RetentionConsent) and c.until > condition.on
    ]
    if not later:
        return condition.deadline()
    return replace(condition, on=max(later)).deadline()


def deletion_deadline(conditions: ConditionSet) -> datetime | None:
    """The earliest instant by which a ``delete-by`` condition (Art. 36(1)(b)) has the material
    deleted, consents to keep it longer counted; ``None`` when no such condition is attached."""
    deadlines = [
        _deletion_deadline(c, conditions.consents)
        for c in conditions.conditions
        if isinstance(c, DeleteBy)
    ]
    return min(deadlines) if deadlines else None


def check_use(conditions: ConditionSet, intended_use: IntendedUse, now: datetime) -> None:
    """Raise :class:`UseDeniedError` unless ``intended_use`` is allowed at ``now``.

    Every condition is checked and every one that forbids the use is reported, each with its
    article, so the user sees at once what consent would be needed. Returns ``None`` when the
    use is allowed; there is no boolean variant on purpose (fail closed).
    """
    now = require_utc(now, what="time of use")
    problems: list[Problem] = []
    for condition in conditions.conditions:
        if isinstance(condition, DeleteBy):
            deadline = _deletion_deadline(condition, conditions.consents)
            if now >= deadline:
                problems.append(
                    Problem(
                        message=(
                            f"condition '{condition.code}' ({condition.article}): the material "
                            f"had to be deleted by {condition.on.isoformat()}; no use is allowed "
                            "after that without the sender's consent to keep it"
                        ),
                        field=condition.code,
                        article=str(condition.article),
                    )
                )
            continue
        if _violation(condition, intended_use, conditions.consents):
            what = intended_use.action.value.replace("_", " ")
            problems.append(
                Problem(
                    message=(
                        f"condition '{condition.code}' ({condition.article}): "
                        f"{condition.describe()}; '{what}' needs the requested State's prior "
                        "consent, recorded as a consent step"
                    ),
                    field=condition.code,
                    article=str(condition.article),
                )
            )
    if problems:
        first = problems[0].message
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UseDeniedError(f"use not permitted: {first}{more}", problems=problems)
