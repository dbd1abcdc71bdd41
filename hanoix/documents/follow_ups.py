"""The draft request document that follows up a preservation, "in one click".

:func:`follow_up_document` builds, from the requesting side's copy of a preservation, the
request document of its follow-up (by default the Art. 44 request for access to the stored
data; any follow-up its declaration lists), carrying over every field that means the same
thing, and says for each field what it took and why, and for each it left out why. It uses the
rules the one-click follow-up uses (:mod:`hanoix.requests.follow_ups`), so the form a drafter
opens holds what :func:`hanoix.requests.lifecycle.create_follow_up_mla` would draft.

Pure: no I/O. A page shows the document in the kind's drafting form; the drafter completes it
and creates it with ``services.requests.follow_up`` (which links the two) or ``create``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hanoix.convention import RequestKind
from hanoix.documents.requests import RequestDocument
from hanoix.requests import CooperationRequest
from hanoix.requests.follow_ups import (
    FOLLOW_UP_CHANNEL,
    carried_contents,
    follow_up_kind,
    follow_up_terms,
)
from hanoix.requests.rulebook import content_path


@dataclass(frozen=True)
class CarriedField:
    """Field ``path`` of the follow-up document, taken from ``source`` of the preservation
    (``None`` where the value is the preservation's reference), and why."""

    path: str
    source: str | None
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "source": self.source, "why": self.why}


# The envelope, field by field: what the follow-up takes from the preservation and why, and
# what it leaves out and why. Every field of the request document is in one of the two.
ENVELOPE_CARRIED: tuple[tuple[str, str], ...] = (
    ("requesting_state", "the same State asks for the data it had preserved"),
    ("requested_state", "the data are preserved in the same requested State"),
    ("language", "the requested State accepts it; it accepted the preservation in it"),
    ("proceeding", "the same investigation or proceeding, which limits the use (Art. 40(19))"),
    ("restricted", "the same confidentiality within the node"),
    ("legal_basis_other", "the same two States: the same other legal basis, if any"),
    ("convention_offence", "the same offence"),
    ("dual_criminality", "the same conduct"),
)
ENVELOPE_LEFT_OUT: tuple[tuple[str, str], ...] = (
    ("kind", "the follow-up's own kind"),
    (
        "channel",
        "a follow-up goes to the central authority (Art. 40(13)), not by the 24/7 network",
    ),
    (
        "requested_authority",
        "the preservation's was the 24/7 point of contact; the follow-up goes to the central "
        "authority, the default",
    ),
    ("urgent", "the follow-up asks for itself; the preservation's urgency does not carry"),
    ("preservation_days", "a follow-up preserves nothing; it holds the preservation (Art. 42(8))"),
    ("suggested_deadline", "the date suggested for the preservation is not the follow-up's"),
    ("owner", "the one who drafts the follow-up is in charge of it"),
    ("document_version", "the current version"),
    ("contents", "carried content by content"),
)


@dataclass(frozen=True)
class FollowUpDraft:
    """The follow-up document of a preservation, what it carries and what it leaves out.

    ``follows_up`` is the preservation's reference (``services.requests.follow_up`` links it);
    ``carried`` lists each field taken over, ``left_out`` each of the preservation's fields and
    contents not taken over, each with why.
    """

    kind: RequestKind
    follows_up: str
    document: RequestDocument
    carried: tuple[CarriedField, ...]
    left_out: tuple[CarriedField, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "follows_up": self.follows_up,
            "document": self.document.model_dump(mode="json", exclude_none=True),
            "carried": [item.as_dict() for item in self.carried],
            "left_out": [item.as_dict() for item in self.left_out],
        }


def follow_up_document(
    preservation: CooperationRequest, kind: RequestKind | None = None
) -> FollowUpDraft:
    """The draft document of the request that follows up ``preservation`` (the requesting
    side's copy), of ``kind`` (default: the first follow-up its declaration lists, the Art. 44
    request for access to stored data); InputError for another side's copy, a kind that is not
    a preservation, or a follow-up kind its declaration does not list."""
    chosen = follow_up_kind(preservation, kind)
    reference = str(preservation.reference)
    contents, taken = carried_contents(preservation.contents, chosen, reference)
    terms = follow_up_terms(preservation.terms, contents)
    document = RequestDocument(
        kind=chosen.value,
        requesting_state=preservation.requesting.state,
        requested_state=preservation.requested.state,
        language=terms.language,
        proceeding=terms.proceeding,
        restricted=terms.restricted,
        legal_basis_other=terms.legal_basis_other,
        convention_offence=terms.convention_offence,
        dual_criminality=terms.dual_criminality,
        channel=FOLLOW_UP_CHANNEL,
        contents={k: list(v) if isinstance(v, tuple) else v for k, v in contents.items()},
    )
    carried = [CarriedField(name, name, why) for name, why in ENVELOPE_CARRIED]
    carried += [
        CarriedField(
            content_path(item.target),
            content_path(item.source) if item.source else None,
            item.why,
        )
        for item in taken
    ]
    used = {item.source for item in taken}
    left_out = [CarriedField(name, name, why) for name, why in ENVELOPE_LEFT_OUT]
    left_out += [
        CarriedField(
            content_path(name),
            content_path(name),
            f"a '{chosen.value}' request asks for nothing that means the same thing",
        )
        for name in preservation.contents
        if name not in used
    ]
    return FollowUpDraft(chosen, reference, document, tuple(carried), tuple(left_out))
