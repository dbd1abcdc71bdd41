"""What a follow-up request takes over from the preservation it follows up.

One rule serves the one-click follow-up (:func:`hanoix.requests.lifecycle.create_follow_up_mla`)
and the draft document a form opens with (:func:`hanoix.documents.follow_ups.follow_up_document`):
every content of the follow-up's kind that the preservation states, under the same name or
under another name that means the same thing (:data:`hanoix.convention.follow_ups.SAME_MEANING`),
and the preservation's reference where the follow-up's kind asks for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from hanoix.convention import RequestKind
from hanoix.convention.checks import is_missing
from hanoix.convention.follow_ups import PRESERVATION_REFERENCE, SAME_MEANING
from hanoix.errors import InputError
from hanoix.requests import rulebook
from hanoix.requests.model import Channel, CooperationRequest, Side
from hanoix.requests.rulebook import ContentValue
from hanoix.requests.terms import RequestTerms

#: A follow-up asks for search, access, seizure or disclosure: a request to the central
#: authority (Art. 40(13)), not to the 24/7 point of contact the preservation may have used.
FOLLOW_UP_CHANNEL = Channel.CENTRAL_AUTHORITY


@dataclass(frozen=True)
class CarriedContent:
    """Content ``target`` of the follow-up, taken from ``source`` of the preservation
    (``None`` for the preservation's reference), and why they mean the same thing."""

    target: str
    source: str | None
    why: str


def follow_up_kind(
    preservation: CooperationRequest, kind: RequestKind | None = None
) -> RequestKind:
    """The kind of the follow-up of ``preservation`` (the requesting side's copy of a
    preservation): ``kind`` if its declaration lists it among its follow-ups, by default the
    first it lists; InputError otherwise."""
    if preservation.side is not Side.REQUESTING:
        raise InputError("a follow-up request is drafted on the requesting side's copy")
    preservation_kind = preservation.kind
    if not rulebook.is_preservation(preservation_kind):
        raise InputError(
            f"only a preservation request is followed up by an MLA request; "
            f"{preservation.reference} is '{preservation_kind}'"
        )
    allowed = rulebook.follow_up_kinds(preservation_kind)
    chosen = kind if kind is not None else allowed[0]
    if chosen not in allowed:
        raise InputError(
            f"a '{preservation_kind}' request is followed up by one of: "
            f"{', '.join(str(k) for k in allowed)}; not '{chosen}'"
        )
    return chosen


def carried_contents(
    contents: Mapping[str, ContentValue], kind: RequestKind, reference: str
) -> tuple[dict[str, ContentValue], tuple[CarriedContent, ...]]:
    """The contents a follow-up of ``kind`` takes from a preservation's ``contents`` (its
    reference is ``reference``), and for each, where it comes from and why."""
    wanted = rulebook.content_names(kind)
    carried: dict[str, ContentValue] = {}
    why: list[CarriedContent] = []
    for name, value in contents.items():
        if name in wanted and not is_missing(value):
            carried[name] = value
            why.append(CarriedContent(name, name, "the same content in both declarations"))
    for same in SAME_MEANING:
        found = contents.get(same.source)
        if same.target in wanted and same.target not in carried and found is not None:
            if is_missing(found):
                continue
            carried[same.target] = found
            why.append(
                CarriedContent(
                    same.target, same.source, f"{same.source_art} ~ {same.target_art}: {same.why}"
                )
            )
    if PRESERVATION_REFERENCE in wanted:
        carried[PRESERVATION_REFERENCE] = reference
        why.append(CarriedContent(PRESERVATION_REFERENCE, None, "the preservation followed up"))
    return carried, tuple(why)


def follow_up_terms(terms: RequestTerms, contents: Mapping[str, ContentValue]) -> RequestTerms:
    """The terms of a follow-up of a preservation with ``terms``: the same language,
    proceeding, restriction, other legal basis and statements on the offence, with
    ``contents``. It asks for itself: it is not urgent, and neither a preservation period nor
    the preservation's suggested date carries over."""
    return replace(
        terms, contents=contents, urgent=False, preservation_days=None, suggested_deadline=None
    )
