"""How long a node keeps what it holds, and what is due for erasure (docs/retention.md).

The Convention sets no period: Art. 36(2) (recalled) has the receiving State subject personal
data to "effective and appropriate safeguards" under its own law, and Art. 36(1)(b) (recalled)
lets the sending State attach conditions to a transfer, among them a date by which the
material is deleted (:class:`~hanoix.requests.conditions.DeleteBy`). Keeping data no longer
than needed is the first of those safeguards; the periods are the State's choice, so each is a
setting of the node with a default stated in the docs.

Five categories, each counted from the moment its data stops being needed:

* ``personal-data``: the fields of a request marked as personal data
  (:func:`~hanoix.requests.personal.personal_field`: the proceeding, the contents, notes,
  reasons), counted from the request's decision (executed, refused, withdrawn or closed);
* ``request-contents``: the rest of a decided request's file (its remaining terms, what its
  transfers carried, the evidence packages received for it), later than its personal data;
* ``inbox-payloads``: the decrypted payload of a message from another node, counted from its
  import (the request or step it carried is written when it arrives);
* ``opened-evidence``: the copies of evidence opened in the node's home, counted from opening;
* ``sessions``: web sessions and API tokens, counted from their end (expiry or revocation).

A ``delete-by`` condition attached to what was received brings the erasure of that request's
personal data and contents forward to its deadline, whatever the policy says.

Pure: the caller says what it holds (:class:`Held`) and what time it is; :func:`due` says what
goes and under which rule. Nothing here reads or writes anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from hanoix.convention.refs import Art, Basis
from hanoix.errors import InputError
from hanoix.requests.conditions import deletion_deadline
from hanoix.requests.model import DECIDED, CooperationRequest, Side
from hanoix.requests.personal import is_personal
from hanoix.requests.terms import RequestTerms


class Category(StrEnum):
    """A category of data with a retention period of its own."""

    PERSONAL_DATA = "personal-data"
    REQUEST_CONTENTS = "request-contents"
    INBOX_PAYLOADS = "inbox-payloads"
    OPENED_EVIDENCE = "opened-evidence"
    SESSIONS = "sessions"
    ACCESS_RECORDS = "access-records"


@dataclass(frozen=True)
class Period:
    """A category's default period, what it counts from, and the rule it rests on."""

    category: Category
    default_days: int
    counts_from: str
    article: Art
    basis: Basis


#: The categories with their defaults (days). The periods are domestic law, not the
#: Convention's: Art. 36(2) asks for safeguards and names none, so the defaults are the node's
#: proposal (docs/retention.md says why each), set per node with the ``retention`` setting.
PERIODS: Mapping[Category, Period] = {
    p.category: p
    for p in (
        Period(Category.PERSONAL_DATA, 365, "the request's decision", Art(36, 2), Basis.RECALLED),
        Period(
            Category.REQUEST_CONTENTS, 5 * 365, "the request's decision", Art(36, 2), Basis.RECALLED
        ),
        Period(Category.INBOX_PAYLOADS, 30, "the message's import", Art(36, 2), Basis.RECALLED),
        Period(Category.OPENED_EVIDENCE, 7, "the opening", Art(36, 2), Basis.RECALLED),
        Period(Category.SESSIONS, 90, "the session's end", Art(36, 2), Basis.RECALLED),
        # Who read what is the trail a data-protection officer answers from: kept a year
        # longer than the longest default above, so that it outlives what it is about.
        Period(Category.ACCESS_RECORDS, 6 * 365, "the reading", Art(36, 2), Basis.RECALLED),
    )
}

#: The rule of a ``delete-by`` condition attached by the sending State (Art. 36(1)(b)).
DELETE_BY_RULE = "delete-by-condition"
DELETE_BY_ARTICLE = Art(36, 1, "b")

#: What a personal text that may not be empty reads once erased.
ERASED = "(erased)"

#: The longest period accepted, in days (a hundred years: beyond it a period is a typo).
MAX_DAYS = 36_500


@dataclass(frozen=True)
class RetentionPolicy:
    """The node's periods, in days, one per category (every category has one)."""

    days: Mapping[Category, int] = dataclasses.field(
        default_factory=lambda: {c: p.default_days for c, p in PERIODS.items()}
    )

    @classmethod
    def parse(cls, given: Mapping[str, Any]) -> RetentionPolicy:
        """The defaults with ``given`` (category name to days) applied; an unknown category, a
        period that is not a whole number of days, a negative or absurd one is refused."""
        days = {c: p.default_days for c, p in PERIODS.items()}
        known = ", ".join(c.value for c in Category)
        for name, value in given.items():
            try:
                category = Category(str(name))
            except ValueError:
                raise InputError(
                    f"unknown category {name!r}; the categories are: {known}"
                ) from None
            if isinstance(value, bool) or not isinstance(value, int):
                if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                    value = int(value)
                else:
                    raise InputError(
                        f"{category.value}: {value!r} is not a number of days "
                        "(write a whole number, e.g. 365)"
                    )
            if value < 0:
                raise InputError(
                    f"{category.value}: a period cannot be negative ({value} days); "
                    "write 0 to erase as soon as the period starts"
                )
            if value > MAX_DAYS:
                raise InputError(
                    f"{category.value}: {value} days is more than {MAX_DAYS} "
                    "(a hundred years); write the period in days"
                )
            days[category] = value
        return cls(days)

    def period(self, category: Category) -> timedelta:
        return timedelta(days=self.days[category])

    def rule(self, category: Category) -> str:
        """The rule's name as erasures record it: ``personal-data:365d``."""
        return f"{category.value}:{self.days[category]}d"

    def as_dict(self) -> dict[str, int]:
        return {c.value: self.days[c] for c in Category}


@dataclass(frozen=True)
class Held:
    """Something the node holds: its category, its subject (a request's reference, an
    envelope id, an opened copy's folder, a session's or token's id), when its period starts,
    and an earlier end a condition imposes (``deadline``)."""

    category: Category
    subject: str
    since: datetime
    deadline: datetime | None = None


@dataclass(frozen=True)
class Due:
    """An item due for erasure, with the rule that makes it due and since when."""

    category: Category
    subject: str
    rule: str
    article: Art
    basis: Basis
    due_at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "category": self.category.value,
            "subject": self.subject,
            "rule": self.rule,
            "article": str(self.article),
            "basis": self.basis.value,
            "due_at": self.due_at.isoformat().replace("+00:00", "Z"),
        }


def due_one(item: Held, policy: RetentionPolicy, now: datetime) -> Due | None:
    """Whether ``item`` is due at ``now`` under ``policy`` (the earlier of its period's end and
    its condition's deadline), and under which rule; ``None`` when it may still be kept."""
    if now.tzinfo is None:
        raise InputError("the time retention is judged at must be timezone-aware (UTC)")
    period = PERIODS[item.category]
    at = item.since + policy.period(item.category)
    rule, article, basis = policy.rule(item.category), period.article, period.basis
    if item.deadline is not None and item.deadline < at:
        at, rule, article, basis = item.deadline, DELETE_BY_RULE, DELETE_BY_ARTICLE, Basis.RECALLED
    if at > now:
        return None
    return Due(item.category, item.subject, rule, article, basis, at)


def due(held: Iterable[Held], policy: RetentionPolicy, now: datetime) -> list[Due]:
    """The items of ``held`` due for erasure at ``now``, oldest due first."""
    found = [d for d in (due_one(item, policy, now) for item in held) if d is not None]
    return sorted(found, key=lambda d: (d.due_at, d.category.value, d.subject))


# --- requests ---------------------------------------------------------------------------------


def decided_at(request: CooperationRequest) -> datetime | None:
    """When ``request`` was decided (the step that took it into a decided status and where it
    has stayed since), or ``None`` while it is not decided."""
    if request.status not in DECIDED:
        return None
    when = None
    for entry in request.history:
        if entry.to_status in DECIDED and (
            entry.from_status is None or entry.from_status not in DECIDED
        ):
            when = entry.at
    return when if when is not None else (request.history[-1].at if request.history else None)


def request_items(request: CooperationRequest) -> list[Held]:
    """The request's personal data and contents as items held, once it is decided; a
    ``delete-by`` condition on what it received sets their deadline."""
    since = decided_at(request)
    if since is None:
        return []
    deadline = deletion_deadline(request.conditions) if request.side is Side.REQUESTING else None
    reference = str(request.reference)
    return [
        Held(Category.PERSONAL_DATA, reference, since, deadline),
        Held(Category.REQUEST_CONTENTS, reference, since, deadline),
    ]


def _blank(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return ""
    if isinstance(value, Mapping):
        return {}
    if isinstance(value, tuple | list | frozenset | set):
        return type(value)()
    return value


def _without_personal(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes: dict[str, Any] = {}
        for f in dataclasses.fields(value):
            if not f.init:
                continue
            item = getattr(value, f.name)
            new = _blank(item) if is_personal(f) else _without_personal(item)
            if new is not item:
                changes[f.name] = new
        if not changes:
            return value
        try:
            return dataclasses.replace(value, **changes)
        except InputError:
            # A record that must name something (a consent names the proceeding it allows)
            # names that it was erased instead of being emptied.
            marked = {k: ERASED if v == "" else v for k, v in changes.items()}
            return dataclasses.replace(value, **marked)
    if isinstance(value, tuple):
        walked = tuple(_without_personal(v) for v in value)
        return walked if any(a is not b for a, b in zip(walked, value, strict=True)) else value
    return value


def without_personal_data(request: CooperationRequest) -> CooperationRequest:
    """``request`` with every field marked as personal data emptied, wherever it is (the
    terms, the history's notes, the reasons of a refusal or postponement, the conditions):
    what stays is its reference, kind, parties, statuses and the times and actors of its
    steps, which its history and the custody ledger need."""
    erased: CooperationRequest = _without_personal(request)
    return erased


def without_contents(request: CooperationRequest) -> CooperationRequest:
    """``request`` with its personal data and the rest of its terms emptied (the language
    stays, to read what is left), and what its transfers carried."""
    erased = without_personal_data(request)
    transfers = tuple(dataclasses.replace(t, what="", legal_basis="") for t in erased.transfers)
    return dataclasses.replace(
        erased,
        terms=RequestTerms(language=erased.terms.language, proceeding=""),
        transfers=transfers,
    )
