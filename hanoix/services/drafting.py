"""Guided drafting: what a drafting form shows beside a partly filled request document.

:func:`drafting_check_with` answers, for a document as it is being typed: the kind's form
(:func:`hanoix.documents.drafting.drafting_form`), every finding of the one-pass validation
placed next to its field, whether the Convention applies between the two States on the day
(the treaty module's answer, with its reasons) and, where it does not, the other legal basis
to record; and the deadline the request will set running. Nothing here decides a rule: each
answer comes from the validation, the treaty module or the convention module's periods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from hanoix.convention import RequestKind
from hanoix.documents.drafting import DraftingForm, PlacedFindings, drafting_form, place_findings
from hanoix.errors import InputError, Problem, UnknownStateError
from hanoix.requests import User, rulebook
from hanoix.requests.localtime import local_date
from hanoix.services.validation import (
    DocumentValidation,
    TreatyView,
    user_state,
    validate_document_with,
)
from hanoix.treaty.participants import lookup, state_zone


@dataclass(frozen=True)
class ConventionApplies:
    """Whether the Convention applies between the two States on ``on`` (the requesting State's
    calendar day), the treaty module's reasons, and when it does not, the field that records
    the other legal basis the request then needs, with the article that decides."""

    requesting_state: str
    requested_state: str
    on: date
    applies: bool
    reasons: tuple[str, ...]
    article: str
    basis: str
    other_basis_field: str | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "requesting_state": self.requesting_state,
            "requested_state": self.requested_state,
            "on": self.on.isoformat(),
            "applies": self.applies,
            "reasons": list(self.reasons),
            "article": self.article,
            "basis": self.basis,
            "other_basis_field": self.other_basis_field,
        }


@dataclass(frozen=True)
class SuggestedDeadline:
    """The date a request of the kind sets running once sent (``None`` when the Convention
    sets none), why, and the rule behind it."""

    due: date | None
    reason: str
    article: str
    basis: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "due": self.due.isoformat() if self.due else None,
            "reason": self.reason,
            "article": self.article,
            "basis": self.basis,
        }


@dataclass(frozen=True)
class DraftingCheck:
    """What a drafting form shows for a document: its form, the validation's findings placed
    by field (errors and warnings), whether the Convention applies (``None`` until both States
    are known), and the suggested deadline."""

    form: DraftingForm
    validation: DocumentValidation
    errors: PlacedFindings
    warnings: PlacedFindings
    convention: ConventionApplies | None
    deadline: SuggestedDeadline

    def as_dict(self) -> dict[str, Any]:
        def placed(findings: PlacedFindings) -> dict[str, Any]:
            return {
                "by_field": {
                    path: [p.as_dict() for p in items] for path, items in findings.by_path.items()
                },
                "elsewhere": [p.as_dict() for p in findings.elsewhere],
            }

        return {
            "kind": self.form.kind.value,
            "valid": self.validation.valid,
            "usable": self.validation.usable,
            "errors": placed(self.errors),
            "warnings": placed(self.warnings),
            "convention": self.convention.as_dict() if self.convention else None,
            "deadline": self.deadline.as_dict(),
        }


def _state(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return lookup(value.strip()).code
    except (UnknownStateError, InputError):
        return None


def convention_applies(
    treaty: TreatyView, requesting: str, requested: str, now: datetime
) -> ConventionApplies:
    """The treaty module's answer for the two States on the requesting State's day ``now``,
    as validation asks it (the same question, the same day)."""
    on = local_date(now, state_zone(requesting))
    answer = treaty.status.applies(requesting, requested, on)
    rule = rulebook.envelope_rules()["legal_basis_other"]
    return ConventionApplies(
        requesting_state=requesting,
        requested_state=requested,
        on=on,
        applies=answer.applies,
        reasons=tuple(reason.message for reason in answer.reasons),
        article=str(rule.art),
        basis=rule.basis.value,
        other_basis_field=None if answer.applies else "legal_basis_other",
    )


def suggested_deadline(
    kind: RequestKind, requested: str | None, now: datetime, days: object = None
) -> SuggestedDeadline:
    """The deadline a request of ``kind`` sets running: for a preservation, the end of the
    period asked (never under the Convention's minimum) counted from today on the requested
    State's calendar, by which the follow-up request must reach it; for any other kind, none
    (the requesting State may suggest a date for execution)."""
    if rulebook.is_preservation(kind):
        minimum = rulebook.preservation_minimum_days(kind)
        asked = days if isinstance(days, int) and not isinstance(days, bool) else minimum
        period = max(asked, minimum)
        today = local_date(now, state_zone(requested) if requested else "UTC")
        rule = rulebook.envelope_rules()["preservation_days"]
        return SuggestedDeadline(
            today + timedelta(days=period),
            f"the data stay preserved for {period} days (at least {minimum}); the request "
            "for search, access, seizure or disclosure that follows must reach the requested "
            "State by then, or the preservation be extended",
            str(rulebook.preservation_period_article(kind)),
            rule.basis.value,
        )
    rule = rulebook.envelope_rules()["suggested_deadline"]
    return SuggestedDeadline(
        None,
        "the Convention sets no period for this kind; the requested State executes as soon as "
        "possible, taking full account of any date you suggest (suggested_deadline)",
        str(rule.art),
        rule.basis.value,
    )


def drafting_check_with(
    treaty: TreatyView,
    data: object,
    *,
    node_state: str | None,
    now: datetime,
    user: User | None = None,
) -> DraftingCheck:
    """What the drafting form shows for ``data`` (a request document, however partly filled):
    its kind's form, every finding by field, whether the Convention applies, the deadline.
    InputError when the kind itself cannot be read: no form can be chosen without it."""
    document = data if isinstance(data, Mapping) else {}
    try:
        kind = RequestKind(str(document.get("kind")))
    except ValueError:
        message = f"choose the kind of request, one of: {', '.join(k.value for k in RequestKind)}"
        raise InputError(message, problems=[Problem(message, field="kind")]) from None
    form = drafting_form(kind)
    validation = validate_document_with(treaty, data, node_state=node_state, now=now, user=user)
    requesting = _state(document.get("requesting_state") or user_state(user) or node_state)
    requested = _state(document.get("requested_state"))
    convention = (
        convention_applies(treaty, requesting, requested, now)
        if requesting is not None and requested is not None
        else None
    )
    return DraftingCheck(
        form=form,
        validation=validation,
        errors=place_findings(form, validation.errors),
        warnings=place_findings(form, validation.warnings),
        convention=convention,
        deadline=suggested_deadline(kind, requested, now, document.get("preservation_days")),
    )
