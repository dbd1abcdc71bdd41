"""A request's letter as words: pure, no I/O.

:func:`compose` reads a request and its kind's declaration (:mod:`hanoix.convention`) and gives
the letter's parts in the order central authorities lay them out: letterhead, addressee,
reference and date, subject, legal basis, every content of the kind under its heading with its
article, conditions on use and confidentiality, deadlines and urgency, contact, signature block.
Every label and fixed phrase goes through the translation function it is handed (``gettext``
of the letter's catalogue); the facts of the case (the contents, the proceeding, another legal
basis) stay as the drafter wrote them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from hanoix.convention import kind_spec
from hanoix.convention.refs import Art
from hanoix.requests import CooperationRequest

Translate = Callable[[str], str]


def N_(message: str) -> str:  # noqa: N802  (the name gettext tools know)
    """Mark ``message`` for the catalogue without translating it (extraction reads it)."""
    return message


@dataclass(frozen=True)
class Section:
    """One heading of the letter, the article it answers (the catalogue's words before and
    after the number, and the number, which is set left to right in every script), and its
    text: paragraphs, or items of a list; ``missing`` when the request does not give it;
    ``facts`` when the text is the drafter's (set in the direction of the request's
    language, not the letter's)."""

    heading: str
    article: tuple[str, str, str] = ("", "", "")
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    missing: bool = False
    facts: bool = False


@dataclass(frozen=True)
class LetterText:
    """Everything a letter says, already in its language (but the facts)."""

    language: str
    direction: str  # "ltr" or "rtl"
    facts_direction: str  # the direction of the request's own language, in which facts stand
    title: str
    letterhead: tuple[str, ...]
    addressee: tuple[str, ...]
    reference_label: str
    reference: str
    date_label: str
    date: str
    subject_label: str
    subject: str
    sections: tuple[Section, ...]
    signature: tuple[str, ...]
    draft: bool
    draft_mark: str
    qr_caption: str
    attachment_note: str
    page_label: str
    review_note: str = ""


@dataclass(frozen=True)
class Parties:
    """Who writes and who is addressed, by name in the letter's language (the service looks
    the names up: the authorities' in the user store, the States' in Babel's data)."""

    requesting_state: str
    requesting_authority: str
    requested_state: str
    requested_authority: str
    officer: str


def article(art: Art | str, _: Translate) -> str:
    """``Art. 40(15)(c)`` as the catalogue writes an article (``art. 40(15)(c)``,
    ``第40(15)(c)条``)."""
    written = _(N_("Art. {ref}"))
    ref = str(art).removeprefix("Art. ")
    if any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in written):
        # In right-to-left text "40(15)(c)" is held left to right by two marks (LRM), or the bidi
        # algorithm reorders its digits and brackets.
        ref = f"\u200e{ref}\u200e"
    return written.format(ref=ref)


def cited(art: Art, _: Translate) -> tuple[str, str, str]:
    """:func:`article` in three parts: the words before the number, the number, the words
    after (``("art. ", "40(15)(c)", "")``, ``("第", "40(15)(c)", "条")``)."""
    before, _marker, after = _(N_("Art. {ref}")).partition("{ref}")
    return before, str(art).removeprefix("Art. "), after


def _yes_no(value: bool, _: Translate) -> str:
    return _(N_("Yes")) if value else _(N_("No"))


def _heading(description: str, _: Translate) -> str:
    text = _(description)
    return text[:1].upper() + text[1:]


def _content_section(request: CooperationRequest, name: str, _: Translate) -> Section:
    spec = kind_spec(request.kind)
    declared = next(c for c in spec.contents if c.name == name)
    value = request.contents.get(name)
    heading = _heading(declared.description, _)
    where = cited(declared.art, _)
    if value is None or value == "" or value == ():
        return Section(heading, where, (_(N_("Not provided.")),), missing=True)
    if isinstance(value, bool):
        return Section(heading, where, (_yes_no(value, _),))
    if isinstance(value, tuple):
        return Section(heading, where, items=tuple(value), facts=True)
    return Section(heading, where, tuple(p for p in value.split("\n\n") if p.strip()), facts=True)


def _legal_basis(request: CooperationRequest, _: Translate) -> Section:
    spec = kind_spec(request.kind)
    cited = ", ".join(article(a, _) for a in spec.legal_basis)
    paragraphs = [
        _(N_("United Nations Convention against Cybercrime: {articles}.")).format(articles=cited)
    ]
    if request.legal_basis_other:
        paragraphs.append(_(N_("Other legal basis:")) + " " + request.legal_basis_other)
    if request.convention_offence is not None:
        paragraphs.append(
            _(N_("The offence is one established under Articles 7 to 21 of the Convention:"))
            + " "
            + _yes_no(request.convention_offence, _)
        )
    if request.dual_criminality is not None:
        paragraphs.append(
            _(N_("The conduct is a criminal offence in both States:"))
            + " "
            + _yes_no(request.dual_criminality, _)
        )
    return Section(_(N_("Legal basis")), paragraphs=tuple(paragraphs))


def _use_and_confidentiality(request: CooperationRequest, _: Translate) -> Section:
    paragraphs = [
        _(
            N_(
                "The requested State is asked not to use the information or evidence for "
                "investigations, prosecutions or proceedings other than those stated in this "
                "request without the prior consent of the requesting State."
            )
        )
    ]
    if request.restricted:
        paragraphs.append(_(N_("This request and its contents are to be kept confidential.")))
    return Section(
        _(N_("Conditions on use and confidentiality")), cited(Art(40, 19), _), tuple(paragraphs)
    )


def _deadlines(request: CooperationRequest, when: Callable[[date], str], _: Translate) -> Section:
    paragraphs = []
    if request.urgent:
        paragraphs.append(_(N_("This request is urgent: please handle it without delay.")))
    if request.suggested_deadline is not None:
        paragraphs.append(
            _(N_("Execution is requested by {date}.")).format(date=when(request.suggested_deadline))
        )
    if request.preservation_days is not None:
        paragraphs.append(
            _(N_("Preservation is requested for {days} days.")).format(
                days=request.preservation_days
            )
        )
    if not paragraphs:
        paragraphs.append(_(N_("No particular deadline is requested.")))
    return Section(_(N_("Deadlines and urgency")), paragraphs=tuple(paragraphs))


def compose(
    request: CooperationRequest,
    parties: Parties,
    *,
    language: str,
    right_to_left: bool,
    facts_right_to_left: bool = False,
    issued_on: date,
    when: Callable[[date], str],
    draft: bool,
    reviewed: bool,
    _: Translate,
) -> LetterText:
    """The letter of ``request`` in ``language``: labels through ``_``, dates through ``when``
    (the catalogue's long date), the facts as written. ``draft`` marks a letter of a request
    not yet approved (watermarked, unsigned); ``reviewed`` is false for a catalogue whose
    wording awaits review by a person, which the letter says."""
    spec = kind_spec(request.kind)
    sections = [_legal_basis(request, _)]
    if request.proceeding:
        sections.append(
            Section(
                _(N_("Investigation, prosecution or proceeding")),
                cited(Art(40, 15, "b"), _),
                (request.proceeding,),
                facts=True,
            )
        )
    sections += [_content_section(request, c.name, _) for c in spec.contents]
    sections.append(_use_and_confidentiality(request, _))
    sections.append(_deadlines(request, when, _))
    sections.append(
        Section(
            _(N_("Contact")),
            paragraphs=(
                _(N_("Responsible officer: {officer}, {authority}.")).format(
                    officer=parties.officer, authority=parties.requesting_authority
                ),
            ),
        )
    )
    signature: tuple[str, ...]
    if draft:
        signature = (
            _(N_("DRAFT: this request has not been approved and this letter is not signed.")),
        )
    else:
        signature = (
            _(N_("For the requesting authority: {authority}")).format(
                authority=parties.requesting_authority
            ),
            _(N_("Approved by: {approver}")).format(approver=request.approved_by or ""),
            _(
                N_(
                    "Signed electronically (PAdES); the signature can be checked with "
                    "'hanoix letter verify'."
                )
            ),
        )
    return LetterText(
        language=language,
        direction="rtl" if right_to_left else "ltr",
        facts_direction="rtl" if facts_right_to_left else "ltr",
        title=_(N_("Request for international cooperation")),
        letterhead=(parties.requesting_authority, parties.requesting_state),
        addressee=(
            _(N_("To:")),
            parties.requested_authority,
            parties.requested_state,
        ),
        reference_label=_(N_("Our reference:")),
        reference=str(request.reference),
        date_label=_(N_("Date:")),
        date=when(issued_on),
        subject_label=_(N_("Subject:")),
        subject=_(spec.title),
        sections=tuple(sections),
        signature=signature,
        draft=draft,
        draft_mark=_(N_("DRAFT")),
        qr_caption=_(N_("Reference and SHA-256 of the embedded request document")),
        attachment_note=_(
            N_("The request's document is embedded in this PDF (request.json) for import.")
        ),
        page_label=_(N_("Page")),
        review_note="" if reviewed else _(N_("Translation awaiting review.")),
    )
