"""Notifications, declarations and reservations a State makes under the Convention.

FACTS.md §9.2 and §9.3. Each :class:`NotificationKind` code is stable: the treaty module stores
a State's notifications by it. Each :class:`NotificationSpec` says what the act is, which
article asks for it, when it is made, what it holds and how sure the rule is. All are addressed
to the UN Secretary-General (the depositary, Art. 68); the one communication that goes to the
Conference of the States Parties instead (Art. 57 reporting) is not a notification and is left
out.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hanoix.convention.refs import Art, Basis
from hanoix.errors import NotFoundError


class NotificationKind(StrEnum):
    """What a State notifies, declares or reserves; the codes are stored by treaty status."""

    CENTRAL_AUTHORITY = "central-authority"
    LANGUAGES = "languages"
    CONTACT_24_7 = "contact-24-7"
    EXTRADITION_LEGAL_BASIS = "extradition-legal-basis"
    RESERVATION_MISUSE_OF_DEVICES = "reservation-misuse-of-devices"
    RESERVATION_REAL_TIME_TRAFFIC = "reservation-real-time-traffic"
    RESERVATION_PRESERVATION_DUAL_CRIMINALITY = "reservation-preservation-dual-criminality"
    RESERVATION_DISPUTE_SETTLEMENT = "reservation-dispute-settlement"
    WITHDRAWAL_OF_RESERVATION = "withdrawal-of-reservation"
    REIO_COMPETENCE = "reio-competence"
    AMENDMENT_PROPOSAL = "amendment-proposal"
    AMENDMENT_ACCEPTANCE = "amendment-acceptance"
    DENUNCIATION = "denunciation"
    CONFISCATION_LAWS = "confiscation-laws"
    PREVENTION_AUTHORITY = "prevention-authority"
    EXTRADITION_AUTHORITY = "extradition-authority"
    OPTIONAL_ELEMENT = "optional-element"


class NotificationForm(StrEnum):
    """What kind of act it is in treaty law."""

    NOTIFICATION = "notification"
    DECLARATION = "declaration"
    RESERVATION = "reservation"
    INSTRUMENT = "instrument"  # an instrument deposited (acceptance of an amendment)


class Timing(StrEnum):
    """When the act is made."""

    AT_DEPOSIT = "at-deposit"  # with the instrument of ratification, acceptance, approval...
    AT_SIGNATURE_OR_DEPOSIT = "at-signature-or-deposit"
    ANY_TIME = "any-time"
    AFTER_FIVE_YEARS_IN_FORCE = "after-five-years-in-force"
    NOT_STATED = "not-stated"  # the text as known sets no time


class ValueType(StrEnum):
    """The type of one item a notification holds."""

    TEXT = "text"
    CONTACT = "contact"  # postal address, telephone, e-mail of an authority
    LANGUAGE_CODES = "language-codes"  # ISO 639 codes, e.g. ["en", "fr"]
    BOOLEAN = "boolean"
    TEXT_LIST = "text-list"
    NOTIFICATION_CODE = "notification-code"  # a NotificationKind code
    DOCUMENTS = "documents"  # copies of texts (laws, regulations)


@dataclass(frozen=True)
class NotificationField:
    """One item a notification holds."""

    name: str
    description: str
    type: ValueType
    required: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "type": self.type.value,
            "required": self.required,
        }


@dataclass(frozen=True)
class NotificationSpec:
    """The declaration of one kind of notification, with its article and basis."""

    kind: NotificationKind
    form: NotificationForm
    title: str
    description: str
    art: Art
    timing: Timing
    fields: tuple[NotificationField, ...]
    basis: Basis
    note: str = ""

    @property
    def code(self) -> str:
        return self.kind.value

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "form": self.form.value,
            "title": self.title,
            "description": self.description,
            "article": str(self.art),
            "timing": self.timing.value,
            "fields": [item.as_dict() for item in self.fields],
            "basis": self.basis.value,
            "note": self.note,
        }


_K, _F, _T, _VT = NotificationKind, NotificationForm, Timing, ValueType
_R, _V, _V2, _I = Basis.RECALLED, Basis.VERIFIED, Basis.SECONDARY, Basis.INFERRED

# Seen in the depositary's record as relayed by the Dutch treaty database (record 013891).
_LODGED_BY_AZE = "Azerbaijan lodged one at signature, 2025-10-25 (Dutch treaty database 013891)"
# Seen in national law: Azerbaijan's law approving the Convention (signed 23 February 2026).
_AZE_LAW = "Azerbaijan's law approving the Convention (23 Feb 2026, press: Trend, Report.az)"


def _authority(what: str) -> tuple[NotificationField, ...]:
    return (
        NotificationField("authority", f"name of the {what}", _VT.TEXT),
        NotificationField("contact", f"how to reach the {what}", _VT.CONTACT),
    )


_RESERVATION_TEXT = NotificationField("text", "the text of the reservation", _VT.TEXT)

NOTIFICATIONS: tuple[NotificationSpec, ...] = (
    NotificationSpec(
        _K.CENTRAL_AUTHORITY,
        _F.NOTIFICATION,
        "Central authority for mutual legal assistance",
        "The authority that receives requests for mutual legal assistance and executes them or "
        "passes them on; a separate one may be named for a special region or territory.",
        Art(40, 13),
        _T.AT_DEPOSIT,
        (
            *_authority("central authority"),
            NotificationField(
                "territory",
                "the special region or territory it serves, if not the whole State",
                _VT.TEXT,
                required=False,
            ),
        ),
        _R,
        note="Same in substance as UNTOC 18(13) [UNTOC-V].",
    ),
    NotificationSpec(
        _K.LANGUAGES,
        _F.NOTIFICATION,
        "Languages acceptable for requests",
        "The language or languages in which the State accepts requests for mutual legal "
        "assistance.",
        Art(40, 14),
        _T.AT_DEPOSIT,
        (NotificationField("languages", "accepted languages, ISO 639 codes", _VT.LANGUAGE_CODES),),
        _R,
        note="Same in substance as UNTOC 18(14) [UNTOC-V].",
    ),
    NotificationSpec(
        _K.CONTACT_24_7,
        _F.NOTIFICATION,
        "24/7 point of contact",
        "The point of contact available 24 hours a day, 7 days a week; the Secretary-General "
        "keeps a register and circulates an updated list to States Parties every year.",
        Art(41, 2),
        _T.ANY_TIME,
        _authority("point of contact"),
        _R,
        note="Not tied to deposit in the text as recalled, but needed from entry into force.",
    ),
    NotificationSpec(
        _K.EXTRADITION_LEGAL_BASIS,
        _F.NOTIFICATION,
        "Convention as legal basis for extradition",
        "Whether a State that makes extradition conditional on a treaty will take the "
        "Convention as the legal basis for extradition with other States Parties.",
        Art(37),
        _T.AT_DEPOSIT,
        (
            NotificationField(
                "uses_convention", "the Convention is taken as legal basis", _VT.BOOLEAN
            ),
        ),
        _R,
        note="Paragraph not recalled; modelled on UNTOC 16(5)(a) [UNTOC-V].",
    ),
    NotificationSpec(
        _K.RESERVATION_MISUSE_OF_DEVICES,
        _F.RESERVATION,
        "Reservation on misuse of devices",
        "Not applying the misuse-of-devices offence (Art. 11(1)), except for selling, "
        "distributing or otherwise making available passwords, access credentials and similar "
        "data (Art. 11(1)(a)(ii)).",
        Art(11, 3),
        _T.AT_SIGNATURE_OR_DEPOSIT,
        (_RESERVATION_TEXT,),
        _V,
        note="Timing follows treaty practice (VCLT); the clause itself is verified (Arabic).",
    ),
    NotificationSpec(
        _K.RESERVATION_REAL_TIME_TRAFFIC,
        _F.RESERVATION,
        "Reservation on real-time collection of traffic data",
        "Applying real-time collection of traffic data (Art. 29) only to listed offences or "
        "categories of offences, no narrower than those for interception (Art. 30), or not to "
        "closed-user-group systems.",
        Art(23, 3),
        _T.AT_SIGNATURE_OR_DEPOSIT,
        (
            NotificationField(
                "offences", "offences or categories to which it is limited", _VT.TEXT_LIST
            ),
            NotificationField(
                "excludes_closed_groups",
                "systems serving a closed group of users are excluded",
                _VT.BOOLEAN,
                required=False,
            ),
        ),
        _R,
        note="Mirrors Budapest Art. 14(3) [BUDAPEST-V].",
    ),
    NotificationSpec(
        _K.RESERVATION_PRESERVATION_DUAL_CRIMINALITY,
        _F.RESERVATION,
        "Reservation on dual criminality for preservation",
        "Reserving the right to refuse preservation for offences other than those established "
        "under the Convention, where dual criminality will not be met when the data is to be "
        "disclosed.",
        Art(42, 5),
        _T.AT_SIGNATURE_OR_DEPOSIT,
        (_RESERVATION_TEXT,),
        _R,
    ),
    NotificationSpec(
        _K.RESERVATION_DISPUTE_SETTLEMENT,
        _F.RESERVATION,
        "Reservation on settlement of disputes",
        "Not being bound by the paragraph that sends disputes to arbitration and then to the "
        "International Court of Justice.",
        Art(63, 3),
        _T.AT_SIGNATURE_OR_DEPOSIT,
        (_RESERVATION_TEXT,),
        _V2,
        note=f"{_LODGED_BY_AZE}, 'under Article 63(3)' [V-2]; the text of the paragraph is "
        "recalled (UNTOC 35(3) model [UNTOC-V]).",
    ),
    NotificationSpec(
        _K.WITHDRAWAL_OF_RESERVATION,
        _F.NOTIFICATION,
        "Withdrawal of a reservation",
        "Withdrawing a reservation made earlier, by notification to the Secretary-General.",
        Art(63, 4),
        _T.ANY_TIME,
        (
            NotificationField(
                "reservation", "code of the reservation withdrawn", _VT.NOTIFICATION_CODE
            ),
        ),
        _R,
        note="Art. 63(4) covers the dispute-settlement reservation; other reservations are "
        "withdrawn the same way under general treaty law.",
    ),
    NotificationSpec(
        _K.REIO_COMPETENCE,
        _F.DECLARATION,
        "Extent of competence of a regional economic integration organization",
        "A regional economic integration organization declares the matters governed by the "
        "Convention for which its member States have transferred competence to it, and later "
        "changes to that extent.",
        Art(64, 3),
        _T.AT_DEPOSIT,
        (
            NotificationField("matters", "the matters within its competence", _VT.TEXT),
            NotificationField(
                "modification", "this declaration changes an earlier one", _VT.BOOLEAN, False
            ),
        ),
        _R,
        note="Made with the instrument (Art. 64(3)-(4)); modifications at any time.",
    ),
    NotificationSpec(
        _K.AMENDMENT_PROPOSAL,
        _F.NOTIFICATION,
        "Proposal of an amendment",
        "A proposed amendment filed with the Secretary-General, who sends it to the States "
        "Parties and the Conference of the States Parties.",
        Art(66, 1),
        _T.AFTER_FIVE_YEARS_IN_FORCE,
        (NotificationField("text", "the text of the proposed amendment", _VT.TEXT),),
        _R,
    ),
    NotificationSpec(
        _K.AMENDMENT_ACCEPTANCE,
        _F.INSTRUMENT,
        "Acceptance of an amendment",
        "The instrument of ratification, acceptance or approval of an adopted amendment; the "
        "amendment enters into force for the State 90 days after it is deposited.",
        Art(66, 3),
        _T.ANY_TIME,
        (NotificationField("amendment", "which adopted amendment is accepted", _VT.TEXT),),
        _R,
        note="Art. 66(3)-(4).",
    ),
    NotificationSpec(
        _K.DENUNCIATION,
        _F.NOTIFICATION,
        "Denunciation",
        "Written notification denouncing the Convention, effective one year after the "
        "Secretary-General receives it; it also denounces the protocols.",
        Art(67, 1),
        _T.ANY_TIME,
        (),
        _R,
    ),
    NotificationSpec(
        _K.CONFISCATION_LAWS,
        _F.NOTIFICATION,
        "Laws on confiscation cooperation",
        "Copies of the laws and regulations that give effect to international cooperation for "
        "confiscation, and of later changes.",
        Art(50),
        _T.NOT_STATED,
        (NotificationField("laws", "the laws and regulations, or their copies", _VT.DOCUMENTS),),
        _I,
        note="Inferred from UNTOC 13(5) [UNTOC-V]; not confirmed in the UN text.",
    ),
    NotificationSpec(
        _K.PREVENTION_AUTHORITY,
        _F.NOTIFICATION,
        "Authority for prevention",
        "The authority that can assist other States Parties in developing measures to prevent "
        "cybercrime.",
        Art(53),
        _T.NOT_STATED,
        _authority("authority"),
        _V2,
        note=f"Existence [V-2]: {_AZE_LAW} designates one. The article is recalled (UNTOC "
        "31(6) model [UNTOC-V]); the paragraph is not known.",
    ),
    NotificationSpec(
        _K.EXTRADITION_AUTHORITY,
        _F.NOTIFICATION,
        "Authority for extradition and provisional arrest",
        "The authority responsible for making or receiving requests for extradition and for "
        "provisional arrest under the Convention.",
        Art(37),
        _T.NOT_STATED,
        _authority("authority"),
        _V2,
        note=f"Existence [V-2]: {_AZE_LAW} designates its Ministry of Justice. Article and "
        "paragraph recalled (Art. 37; Budapest Art. 24(7) has such a designation "
        "[BUDAPEST-V]).",
    ),
    NotificationSpec(
        _K.OPTIONAL_ELEMENT,
        _F.RESERVATION,
        "Optional element of an offence",
        "The State's choice of an element the Convention lets it require for an offence "
        "(Arts 7(2), 8(2), 9(2), 12(2), 14(3)-(4), 15(2)-(4)): the conduct is an offence in its "
        "law only with that element.",
        Art(7, 2),
        _T.AT_SIGNATURE_OR_DEPOSIT,
        (
            NotificationField("element", "the article and paragraph invoked", _VT.TEXT),
            NotificationField("text", "the text lodged", _VT.TEXT),
        ),
        _V2,
        note=f"{_LODGED_BY_AZE}: its choices under Arts 7(2) and 9(2) were lodged as "
        "reservations [V-2]. Whether the text requires them to be declared is not confirmed. "
        "A statement of this kind cites the paragraph it invokes.",
    ),
)

# Paragraphs that let a State require an element of an offence (FACTS.md §4, Arabic text [V]).
OPTIONAL_ELEMENT_PARAGRAPHS: frozenset[Art] = frozenset(
    {
        Art(7, 2), Art(8, 2), Art(9, 2), Art(12, 2), Art(14, 3), Art(14, 4), Art(15, 2),
        Art(15, 3), Art(15, 4),
    }
)  # fmt: skip

_BY_KIND = {spec.kind: spec for spec in NOTIFICATIONS}


def kind_invoked(art: Art) -> NotificationKind | None:
    """What a statement lodged under ``art`` does, read from the paragraph it invokes: an
    optional element (Art. 7(2)...), or the notification that paragraph asks for (Art. 11(3):
    the misuse-of-devices reservation). ``None`` when no paragraph known here fits, or when
    more than one does."""
    if art in OPTIONAL_ELEMENT_PARAGRAPHS:
        return NotificationKind.OPTIONAL_ELEMENT
    fitting = [
        spec.kind
        for spec in NOTIFICATIONS
        if spec.kind is not NotificationKind.OPTIONAL_ELEMENT and spec.art == art
    ]
    # Art. 37 alone asks for two things (legal basis, authority): the article cannot tell.
    return fitting[0] if len(fitting) == 1 else None


def notification(kind: NotificationKind | str) -> NotificationSpec:
    """The spec of ``kind``; an unknown code raises :class:`NotFoundError` listing the valid."""
    try:
        return _BY_KIND[NotificationKind(kind)]
    except ValueError:
        valid = ", ".join(item.value for item in NotificationKind)
        raise NotFoundError(f"unknown notification {str(kind)!r}; valid codes: {valid}") from None
