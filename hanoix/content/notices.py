"""Removal notices with deadlines: pure values and rules, no I/O (docs/content.md).

A removal notice asks a service provider, or another State, to remove or disable access to the
content of a removal case (its hashes) by a deadline. States endeavour to provide for that
removal for content covered by Arts 14 and 16 (Art. 34, recalled: FACTS.md §7 places it in a
late paragraph of Art. 34, about 34(6), from memory). A notice is tracked like a request: sent,
acknowledged, removed (with the provider's confirmation reference) or refused (with a reason);
a match of the same content after it was removed reopens it as a re-upload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from hanoix.content.cases import CaseArticle
from hanoix.errors import InputError, Problem, TransitionError

#: Where the duty to remove comes from, and how sure it is (FACTS.md §7: "Art. 34 (I recall a
#: late paragraph, about 34(6))", basis recalled).
REMOVAL_RULE = ("Art. 34", "recalled")


class NoticeState(StrEnum):
    """Where a removal notice stands."""

    SENT = "sent"  # sent to the provider or State, no answer yet
    ACKNOWLEDGED = "acknowledged"  # they said they have it
    REMOVED = "removed"  # they removed or disabled it (a confirmation reference is kept)
    REFUSED = "refused"  # they will not (a reason is kept)
    REUPLOADED = "reuploaded"  # removed, then matched again: open once more


class RecipientKind(StrEnum):
    """Who is asked: a service provider, or another State (by its ISO 3166-1 alpha-3 code)."""

    PROVIDER = "provider"
    STATE = "state"


#: The answers each state may take; a state not listed here is final.
TRANSITIONS: dict[NoticeState, frozenset[NoticeState]] = {
    NoticeState.SENT: frozenset(
        {NoticeState.ACKNOWLEDGED, NoticeState.REMOVED, NoticeState.REFUSED}
    ),
    NoticeState.ACKNOWLEDGED: frozenset({NoticeState.REMOVED, NoticeState.REFUSED}),
    NoticeState.REUPLOADED: frozenset(
        {NoticeState.ACKNOWLEDGED, NoticeState.REMOVED, NoticeState.REFUSED}
    ),
    NoticeState.REMOVED: frozenset({NoticeState.REUPLOADED}),
    NoticeState.REFUSED: frozenset(),
}

#: The states in which the notice waits on its recipient, so its deadline runs.
OPEN_STATES = frozenset({NoticeState.SENT, NoticeState.ACKNOWLEDGED, NoticeState.REUPLOADED})

NOTICE_PREFIX = "RN-"
NOTICE_REF = re.compile(r"RN-(\d{1,12})")
STATE_CODE = re.compile(r"[A-Z]{3}")
#: A provider's name or a confirmation reference: printable, one line, not too long.
MAX_NAME = 128
MAX_REASON = 2000
#: The shortest and longest deadline a notice may be given.
MIN_PERIOD = timedelta(minutes=10)
MAX_PERIOD = timedelta(days=365)


def notice_reference(number: int) -> str:
    return f"{NOTICE_PREFIX}{number:06d}"


def notice_number(reference: str) -> int:
    """The number of the notice ``reference`` names (``RN-000003`` is 3)."""
    found = NOTICE_REF.fullmatch(reference.strip())
    if found is None:
        raise InputError(f"{reference!r} is not a removal notice's reference: give RN-NNNNNN")
    return int(found.group(1))


def legal_basis(article: CaseArticle) -> str:
    """The basis a notice cites: the offence whose content it is, and the duty to remove."""
    return (
        f"Art. {int(article)} content; removal or disabling of access under {REMOVAL_RULE[0]} "
        f"(basis: {REMOVAL_RULE[1]})"
    )


def _one_line(value: str, what: str, field: str, limit: int) -> tuple[str, list[Problem]]:
    text = value.strip()
    if not text or len(text) > limit or not text.isprintable():
        return text, [
            Problem(f"{what}: one printable line of 1 to {limit} characters", field=field)
        ]
    return text, []


@dataclass(frozen=True)
class NewNotice:
    """A notice as asked for, checked."""

    recipient: str
    recipient_kind: RecipientKind
    deadline: datetime


def new_notice(recipient: str, kind: str, deadline: datetime, now: datetime) -> NewNotice:
    """Check a notice before it is sent; every problem is reported at once."""
    problems: list[Problem] = []
    try:
        checked_kind = RecipientKind(kind)
    except ValueError:
        checked_kind = RecipientKind.PROVIDER
        problems.append(Problem(f"recipient kind {kind!r}: give provider or state", field="kind"))
    name, bad = _one_line(recipient, "the recipient", "to", MAX_NAME)
    problems += bad
    if checked_kind is RecipientKind.STATE:
        name = name.upper()
        if not STATE_CODE.fullmatch(name):
            problems.append(
                Problem(
                    f"{recipient!r}: a State is named by its ISO 3166-1 alpha-3 code (AUT, VNM)",
                    field="to",
                )
            )
    if deadline.tzinfo is None:
        problems.append(Problem("the deadline needs a time zone (UTC)", field="deadline"))
    elif deadline - now < MIN_PERIOD:
        problems.append(
            Problem("the deadline must be at least 10 minutes from now", field="deadline")
        )
    elif deadline - now > MAX_PERIOD:
        problems.append(Problem("the deadline must be within a year", field="deadline"))
    if problems:
        raise InputError("the removal notice cannot be sent", problems=problems)
    return NewNotice(name, checked_kind, deadline)


@dataclass(frozen=True)
class RemovalNotice:
    """A removal notice as the node keeps it."""

    reference: str
    case: str
    authority: str
    recipient: str
    recipient_kind: RecipientKind
    legal_basis: str
    content: tuple[str, ...]  # the SHA-256 digests of the case's content when it was sent
    state: NoticeState
    sent_at: datetime
    sent_by: str
    deadline: datetime
    updated_at: datetime
    confirmation: str | None = None
    reason: str | None = None
    reuploads: int = 0
    version: int = 1

    def overdue(self, now: datetime) -> bool:
        """Whether the deadline has passed with the notice still waiting on its recipient."""
        return self.state in OPEN_STATES and now > self.deadline

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            "notice": self.reference,
            "case": self.case,
            "authority": self.authority,
            "to": self.recipient,
            "to_kind": str(self.recipient_kind),
            "legal_basis": self.legal_basis,
            "content": list(self.content),
            "state": str(self.state),
            "sent_at": self.sent_at,
            "sent_by": self.sent_by,
            "deadline": self.deadline,
            "overdue": self.overdue(now),
            "updated_at": self.updated_at,
            "confirmation": self.confirmation,
            "reason": self.reason,
            "reuploads": self.reuploads,
        }


@dataclass(frozen=True)
class Answer:
    """An answer to a notice: the new state and what comes with it."""

    state: NoticeState
    confirmation: str | None = None
    reason: str | None = None


def answer(state: str, *, confirmation: str | None = None, reason: str | None = None) -> Answer:
    """Check an answer: a removal needs the provider's confirmation reference, a refusal its
    reason; an acknowledgement takes neither."""
    try:
        checked = NoticeState(state)
    except ValueError:
        raise InputError(f"{state!r}: answer acknowledged, removed or refused") from None
    if checked not in (NoticeState.ACKNOWLEDGED, NoticeState.REMOVED, NoticeState.REFUSED):
        raise InputError(f"{state!r}: answer acknowledged, removed or refused")
    problems: list[Problem] = []
    if checked is NoticeState.REMOVED:
        confirmation, problems = _one_line(
            confirmation or "", "the provider's confirmation reference", "confirmation", MAX_NAME
        )
        return _checked(Answer(checked, confirmation=confirmation), problems)
    if checked is NoticeState.REFUSED:
        reason, problems = _one_line(
            (reason or "").replace("\n", " "), "the reason given", "reason", MAX_REASON
        )
        return _checked(Answer(checked, reason=reason), problems)
    return Answer(checked)


def _checked(given: Answer, problems: list[Problem]) -> Answer:
    if problems:
        raise InputError(f"the notice cannot be marked {given.state}", problems=problems)
    return given


def transition(notice: RemovalNotice, to: NoticeState) -> None:
    """Refuse a change of state the notice cannot take (a refused notice is final)."""
    if to not in TRANSITIONS[notice.state]:
        allowed = ", ".join(sorted(TRANSITIONS[notice.state])) or "nothing: it is final"
        raise TransitionError(
            f"notice {notice.reference} is {notice.state}: it may become {allowed}"
        )


def reopened_deadline(notice: RemovalNotice, now: datetime) -> datetime:
    """A re-uploaded notice's new deadline: the period it was first given, from now."""
    return now.replace(microsecond=0) + (notice.deadline - notice.sent_at)


_PERIOD = re.compile(r"(\d{1,4})\s*([hd])")


def parse_deadline(text: str, now: datetime) -> datetime:
    """A deadline as given: a period from now (``48h``, ``7d``), a day (``2026-12-10``: by the
    end of that day, UTC) or a time (``2026-12-10T12:00:00Z``; one without a zone is UTC)."""
    from datetime import UTC, date

    given = text.strip()
    period = _PERIOD.fullmatch(given)
    if period is not None:
        amount = int(period.group(1))
        span = timedelta(hours=amount) if period.group(2) == "h" else timedelta(days=amount)
        return now.replace(microsecond=0) + span
    try:
        day = date.fromisoformat(given)
    except ValueError:
        pass
    else:
        if len(given) == 10:
            return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    try:
        at = datetime.fromisoformat(given.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(
            f"deadline {text!r}: give a period (48h, 7d), a day (2026-12-10) or a time "
            "(2026-12-10T12:00:00Z)"
        ) from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)
