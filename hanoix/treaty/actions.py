"""Treaty actions and declarations, as the depositary records them, with their dates.

A :class:`TreatyAction` changes a participant's standing under the Convention (signature, the
instrument that makes it a party, denunciation, withdrawal of a reservation). A domestic
ratification or approval (a parliament's vote, a law signed) is recorded too, as reported, but
it is not an instrument: only an instrument deposited with the Secretary-General makes a party
and counts toward the forty of Art. 65(1).

A :class:`Declaration` is what a participant lodged, kept as it was lodged: the form it took
(reservation, declaration, notification), the article and paragraph it invokes, its date and
text. What it does under the Convention (``kind``: an optional element of an offence, the
dispute-settlement reservation, languages, an authority designated...) is read from the
paragraph invoked (:func:`hanoix.convention.notifications.kind_invoked`) or named outright.
Azerbaijan lodged its choices of optional elements under Arts 7(2) and 9(2) as reservations:
they stay reservations here, and the rules read them as optional elements.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from enum import StrEnum

from hanoix.convention.notifications import NotificationForm, NotificationKind, notification
from hanoix.convention.refs import Art
from hanoix.errors import InputError
from hanoix.treaty.participants import lookup


class ActionKind(StrEnum):
    """What a participant did, as the CSV's ``action`` column writes it (lower case)."""

    SIGNATURE = "signature"
    RATIFICATION = "ratification"
    ACCEPTANCE = "acceptance"
    APPROVAL = "approval"
    ACCESSION = "accession"
    SUCCESSION = "succession"
    DENUNCIATION = "denunciation"
    WITHDRAWAL_OF_RESERVATION = "withdrawal-of-reservation"
    # Acts of a State's own law, reported by its government or press: not deposits.
    DOMESTIC_RATIFICATION = "domestic-ratification"
    DOMESTIC_APPROVAL = "domestic-approval"

    @property
    def is_instrument(self) -> bool:
        """An instrument by which a participant consents to be bound (it becomes a party)."""
        return self in INSTRUMENT_KINDS

    @property
    def needs_signature(self) -> bool:
        """Ratification, acceptance and approval confirm a signature; accession replaces one."""
        return self in CONFIRMING_KINDS

    @property
    def is_domestic(self) -> bool:
        """An act of the State's own law (a ratification law, an approval), not a deposit."""
        return self in DOMESTIC_KINDS

    @property
    def words(self) -> str:
        return self.value.replace("-", " ")


# Succession is listed with the instruments because the depositary's table puts it in the same
# column (mark "d") and a successor State becomes a party by it.
INSTRUMENT_KINDS = frozenset(
    {
        ActionKind.RATIFICATION,
        ActionKind.ACCEPTANCE,
        ActionKind.APPROVAL,
        ActionKind.ACCESSION,
        ActionKind.SUCCESSION,
    }
)
CONFIRMING_KINDS = frozenset({ActionKind.RATIFICATION, ActionKind.ACCEPTANCE, ActionKind.APPROVAL})
DOMESTIC_KINDS = frozenset({ActionKind.DOMESTIC_RATIFICATION, ActionKind.DOMESTIC_APPROVAL})

# Notifications that are treaty actions in their own right; a Declaration never carries them.
_ACTION_CODES = frozenset(kind.value for kind in ActionKind)
DECLARATION_KINDS = frozenset(kind for kind in NotificationKind if kind.value not in _ACTION_CODES)


class SourceBasis(StrEnum):
    """How a row of treaty data is known (the CSV's ``basis`` column)."""

    VERIFIED = "verified"  # read on the depositary's status page (UN Treaty Collection)
    REPORTED = "reported"  # named by the press, not yet checked against the depositary


@dataclass(frozen=True)
class TreatyAction:
    """One dated act of one participant. ``participant`` is an alpha-3 code or ``EUU``."""

    participant: str
    kind: ActionKind
    date: dt.date
    basis: SourceBasis | None = None
    source: str | None = None
    # Where the action was read ("treaty.csv line 7"), for error messages; not part of its identity.
    origin: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        lookup(self.participant)  # raises UnknownStateError with suggestions
        if self.participant != self.participant.upper():
            raise ValueError(f"participant codes are upper case: {self.participant!r}")

    @property
    def key(self) -> tuple[str, str, dt.date]:
        """Identity of the act: the same participant, kind and date is the same act."""
        return (self.participant, self.kind.value, self.date)

    def as_dict(self) -> dict[str, str | None]:
        return {
            "participant": self.participant,
            "action": self.kind.value,
            "date": self.date.isoformat(),
            "basis": self.basis.value if self.basis else None,
            "source": self.source,
        }


@dataclass(frozen=True)
class Declaration:
    """What a participant lodged on a date, as it was lodged, with its text if known.

    ``kind`` is what it does under the Convention; ``form`` the form it was lodged in and
    ``art`` the article and paragraph it invokes, when the source says (else the notification's
    own, see :attr:`lodged_form` and :attr:`article`).
    """

    participant: str
    kind: NotificationKind
    date: dt.date
    text: str = ""
    basis: SourceBasis | None = None
    source: str | None = None
    origin: str | None = field(default=None, compare=False, repr=False)
    form: NotificationForm | None = None
    art: Art | None = None

    def __post_init__(self) -> None:
        lookup(self.participant)
        if self.participant != self.participant.upper():
            raise ValueError(f"participant codes are upper case: {self.participant!r}")
        if self.kind not in DECLARATION_KINDS:
            raise ValueError(f"{self.kind.value} is a treaty action, not a declaration")

    @property
    def lodged_form(self) -> NotificationForm:
        """The form it was lodged in: as the source says, else the notification's."""
        return self.form or notification(self.kind).form

    @property
    def article(self) -> Art:
        """The article and paragraph it invokes: as the source says, else the notification's."""
        return self.art or notification(self.kind).art

    @property
    def key(self) -> tuple[str, str, dt.date, str, str]:
        """Identity of the declaration: the same notification, day, text and paragraph invoked
        is the same one (two optional elements lodged the same day differ by paragraph)."""
        return (self.participant, self.kind.value, self.date, self.text, str(self.article))

    def describe(self) -> str:
        """``"reservation under Art. 9(2) of 2025-10-25"``: how a problem cites it."""
        return f"{self.lodged_form.value} under {self.article} of {self.date.isoformat()}"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "participant": self.participant,
            "kind": self.kind.value,
            "form": self.lodged_form.value,
            "article": str(self.article),
            "date": self.date.isoformat(),
            "text": self.text,
            "basis": self.basis.value if self.basis else None,
            "source": self.source,
        }


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date(text: str, what: str = "date") -> dt.date:
    """A calendar date written exactly ``YYYY-MM-DD`` (ISO 8601 extended form).

    ``what`` names the input in the error: ``--on: 2026-13-01 is not a date; write YYYY-MM-DD``.
    """
    value = text.strip()
    if _ISO_DATE.match(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise InputError(f"{what}: {text} is not a date; write YYYY-MM-DD")


def parse_kind(text: str) -> ActionKind | NotificationKind:
    """The action or notification that the CSV's ``action`` column names (lower case).

    Treaty actions win over notifications of the same code (``denunciation``). Raises
    :class:`InputError` naming the closest known action.
    """
    value = text.strip()
    for kind in ActionKind:
        if kind.value == value:
            return kind
    for declared in DECLARATION_KINDS:
        if declared.value == value:
            return declared
    known = sorted([*(k.value for k in ActionKind), *(k.value for k in DECLARATION_KINDS)])
    close = difflib.get_close_matches(value.lower(), known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise InputError(f"unknown action {text!r}: {hint}known actions: {', '.join(known)}")
