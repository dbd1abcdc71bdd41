"""What a request asks, declared once: its terms.

The terms are what a drafter writes and what stays the same whichever side holds the request:
the proceeding, the contents, the language, the legal basis and the statements and wishes
around them. Every shape of a request in the core holds them as one value rather than
repeating them field by field: a new outgoing request (:class:`~hanoix.requests.lifecycle.
NewRequest`), one that arrived (:class:`~hanoix.requests.lifecycle.IncomingRequest`), the
document's draft (:class:`hanoix.documents.requests.DraftInput`) and each copy of a request
(:class:`~hanoix.requests.model.CooperationRequest`); a draft's changes
(:class:`~hanoix.requests.payloads.RequestEdit`) are applied term by term by one function.

Who asks whom, by which channel and for which kind stay outside: each entry point settles them
its own way (a drafter may leave the channel to the kind, a received request names the parties
the sender gave), and the node's own bookkeeping (owner, authors, follow-ups) is not asked of
the other State.

A new term is declared here, read through a property of :class:`~hanoix.requests.model.
CooperationRequest`, offered by :class:`RequestEdit`, and written by the codecs, whose formats
are versioned and so change only on purpose.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar

from hanoix.requests.personal import personal_field
from hanoix.requests.rulebook import ContentValue

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True)
class RequestTerms:
    """What a request asks. ``proceeding`` and ``contents`` may hold personal data (Art. 36).

    ``legal_basis_other`` names a basis other than the Convention (a bilateral treaty,
    reciprocity); ``convention_offence`` says whether the offence is one established under
    the Convention (Arts 7-21, Art. 42(5)); ``dual_criminality`` is the requesting side's
    statement that the conduct is a crime in both States (Art. 35(3)).
    """

    language: str
    proceeding: str = personal_field()
    contents: Mapping[str, ContentValue] = personal_field(default_factory=dict)
    urgent: bool = False
    restricted: bool = False
    legal_basis_other: str | None = None
    convention_offence: bool | None = None
    dual_criminality: bool | None = None
    preservation_days: int | None = None
    suggested_deadline: date | None = None


#: The names of the terms, in their declared order.
TERM_NAMES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RequestTerms))


_Holder = TypeVar("_Holder", bound="DataclassInstance")


def amend(holder: _Holder, **changes: Any) -> _Holder:
    """``holder``, a dataclass with a ``terms`` field, with ``changes`` applied: those that
    name a term go to its terms, the others to ``holder`` itself (``dataclasses.replace``)."""
    term_changes = {name: value for name, value in changes.items() if name in TERM_NAMES}
    own = {name: value for name, value in changes.items() if name not in TERM_NAMES}
    if term_changes:
        # getattr: the type of a dataclass in general does not know it has terms.
        own["terms"] = dataclasses.replace(getattr(holder, "terms"), **term_changes)  # noqa: B009
    return dataclasses.replace(holder, **own)
