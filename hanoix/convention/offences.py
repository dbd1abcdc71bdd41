"""Offences States Parties must establish (Arts 7-17), liability (18), participation (19),
and the penalty thresholds that decide what cooperation is available (FACTS.md §4).

Arts 7-15 are verified against the official Arabic text; Art. 16 exists [V-2] but its detail
is recalled; Arts 17-19 are recalled in detail. Optional elements ("a State Party may require
…") narrow an offence. States lodge their choice with the depositary, and Azerbaijan lodged its
choices under Arts 7(2), 9(2) and 11(3) as reservations [V-2, Dutch treaty database 013891]:
what a State lodged is kept as it was lodged (``hanoix.treaty.actions.Declaration``). The one
reservation clause on an offence in the text is Art. 11(3).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hanoix.convention.periods import Bound, Period, TimeUnit
from hanoix.convention.refs import Art, Basis
from hanoix.errors import NotFoundError

V, R = Basis.VERIFIED, Basis.RECALLED


class OffenceRole(StrEnum):
    """What an entry of the catalogue is."""

    OFFENCE = "offence"  # an offence to be established (Arts 7-17)
    LIABILITY = "liability"  # liability of legal persons (Art. 18)
    PARTICIPATION = "participation"  # participation and attempt (Art. 19)


@dataclass(frozen=True)
class OptionalElement:
    """Something a State may add to an offence, narrowing or widening it in its law."""

    art: Art
    description: str
    basis: Basis

    def as_dict(self) -> dict[str, Any]:
        return {
            "article": str(self.art),
            "description": self.description,
            "basis": self.basis.value,
        }


@dataclass(frozen=True)
class Offence:
    """One entry of the catalogue, keyed by article, so that a request can cite its basis.

    ``reservation`` is the paragraph allowing a reservation to this offence, if any.
    """

    code: str
    art: Art
    title: str
    description: str
    role: OffenceRole
    basis: Basis
    optional_elements: tuple[OptionalElement, ...] = ()
    reservation: Art | None = None
    note: str = ""

    @property
    def reservation_permitted(self) -> bool:
        return self.reservation is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "article": str(self.art),
            "title": self.title,
            "description": self.description,
            "role": self.role.value,
            "basis": self.basis.value,
            "optional_elements": [item.as_dict() for item in self.optional_elements],
            "reservation_permitted": self.reservation_permitted,
            "reservation": str(self.reservation) if self.reservation else None,
            "note": self.note,
        }


_O = OffenceRole.OFFENCE

OFFENCES: tuple[Offence, ...] = (
    Offence(
        "illegal-access",
        Art(7),
        "Illegal access",
        "Intentional access without right to the whole or any part of an ICT system.",
        _O,
        V,
        (
            OptionalElement(
                Art(7, 2),
                "breach of a security measure, intent to obtain data or other dishonest or "
                "criminal intent, or a system connected to another",
                V,
            ),
        ),
    ),
    Offence(
        "illegal-interception",
        Art(8),
        "Illegal interception",
        "Intentional interception without right, by technical means, of non-public "
        "transmissions of electronic data to, from or within an ICT system, including "
        "electromagnetic emissions.",
        _O,
        V,
        (
            OptionalElement(
                Art(8, 2), "dishonest or criminal intent, or a system connected to another", V
            ),
        ),
    ),
    Offence(
        "data-interference",
        Art(9),
        "Interference with electronic data",
        "Intentional damaging, deletion, deterioration, alteration or suppression of "
        "electronic data without right.",
        _O,
        V,
        (OptionalElement(Art(9, 2), "that the conduct results in serious harm", V),),
    ),
    Offence(
        "system-interference",
        Art(10),
        "Interference with an ICT system",
        "Intentional serious hindering without right of an ICT system's functioning by "
        "inputting, transmitting, damaging, deleting, deteriorating, altering or suppressing "
        "electronic data.",
        _O,
        V,
    ),
    Offence(
        "misuse-of-devices",
        Art(11),
        "Misuse of devices",
        "Obtaining, producing, selling, procuring for use, importing, distributing or making "
        "available devices or programs made mainly for Arts 7-10 offences, or passwords, "
        "access credentials, electronic signatures or similar data, with intent to commit "
        "them; and possessing such items with that intent.",
        _O,
        V,
        reservation=Art(11, 3),
        note="Art. 11(2): no liability for authorized testing or protection of a system. The "
        "reservation cannot cover selling, distributing or making available the Art. "
        "11(1)(a)(ii) items.",
    ),
    Offence(
        "forgery",
        Art(12),
        "ICT-system-related forgery",
        "Input, alteration, deletion or suppression of electronic data producing inauthentic "
        "data meant to be treated or acted on as authentic for legal purposes.",
        _O,
        V,
        (OptionalElement(Art(12, 2), "intent to defraud or similar dishonest intent", V),),
    ),
    Offence(
        "theft-or-fraud",
        Art(13),
        "ICT-system-related theft or fraud",
        "Causing another to lose property by manipulating data, interfering with a system or "
        "deceiving a person through an ICT system, with fraudulent or dishonest intent to "
        "gain money or property without right.",
        _O,
        V,
    ),
    Offence(
        "child-sexual-abuse-material",
        Art(14),
        "Offences related to online child sexual abuse or child sexual exploitation material",
        "Producing, offering, selling, distributing, transmitting, broadcasting, displaying, "
        "publishing or making available such material; soliciting, procuring or accessing it; "
        "possessing or controlling it; and financing these acts. A child is under 18.",
        _O,
        V,
        (
            OptionalElement(
                Art(14, 2), "covering written or audio material as well as visual material", V
            ),
            OptionalElement(
                Art(14, 3), "limiting the offence to real persons or to visual depictions", V
            ),
            OptionalElement(
                Art(14, 4),
                "excluding material children produce of themselves and consensual private material",
                V,
            ),
        ),
        note="Art. 14(5): more protective obligations of a State prevail.",
    ),
    Offence(
        "grooming",
        Art(15),
        "Solicitation or grooming for the purpose of committing a sexual offence against a child",
        "Communicating with, soliciting, grooming or making arrangements with a child through "
        "an ICT system in order to commit a sexual offence against the child.",
        _O,
        V,
        (
            OptionalElement(Art(15, 2), "an act in furtherance of the conduct", V),
            OptionalElement(Art(15, 3), "extending it to a person believed to be a child", V),
            OptionalElement(Art(15, 4), "excluding conduct between children", V),
        ),
    ),
    Offence(
        "non-consensual-intimate-images",
        Art(16),
        "Non-consensual dissemination of intimate images",
        "Intentionally and without right selling, distributing, transmitting, publishing or "
        "making available through an ICT system an intimate image of a person aged 18 or "
        "over, without that person's consent.",
        _O,
        R,
        (
            OptionalElement(Art(16), "intent to cause harm", R),
            OptionalElement(
                Art(16),
                "extending it to persons under 18 who are of legal sexual age, where no abuse "
                "is depicted",
                R,
            ),
        ),
        note="The article exists [V-2 UN News]; its detail and paragraph numbers are recalled.",
    ),
    Offence(
        "laundering",
        Art(17),
        "Laundering of proceeds of crime",
        "Converting or transferring, concealing or disguising, acquiring, possessing or using "
        "proceeds of crime, and participating in these acts; predicate offences include those "
        "established under the Convention.",
        _O,
        R,
        note="Number verified through Art. 2(m); content recalled (UNTOC Art. 6 model).",
    ),
    Offence(
        "liability-of-legal-persons",
        Art(18),
        "Liability of legal persons",
        "Criminal, civil or administrative liability of legal persons for participating in "
        "Convention offences, with effective, proportionate and dissuasive sanctions, "
        "including monetary ones.",
        OffenceRole.LIABILITY,
        R,
        note="Article confirmed [V-2 EFF]; detail recalled.",
    ),
    Offence(
        "participation-and-attempt",
        Art(19),
        "Participation and attempt",
        "Participation as accomplice, assistant or instigator in a Convention offence must be "
        "an offence.",
        OffenceRole.PARTICIPATION,
        R,
        (OptionalElement(Art(19), "making attempt and preparation offences too", R),),
        note="Article confirmed [V-2 EFF]; detail and paragraph numbers recalled.",
    ),
)

_BY_ARTICLE = {item.art.article: item for item in OFFENCES}


def offence(article_number: int) -> Offence:
    """The catalogue entry of ``article_number`` (7 to 19)."""
    found = _BY_ARTICLE.get(article_number)
    if found is None:
        raise NotFoundError(
            f"offences and liability rules are in articles 7 to 19; got {article_number}"
        )
    return found


# --- thresholds ---------------------------------------------------------------------------

SERIOUS_CRIME_THRESHOLD = Period(
    "serious-crime",
    "an offence punishable by a maximum deprivation of liberty of at least this, or a more "
    "serious penalty, is a serious crime",
    4,
    TimeUnit.YEARS,
    Bound.MINIMUM,
    Art(2, None, "h"),
    V,
    note="Electronic-evidence cooperation covers any serious crime (Art. 35(1)(c), V-2).",
)

EXTRADITION_THRESHOLD = Period(
    "extradition-penalty",
    "extradition applies where the offence is punishable in both States by a maximum "
    "deprivation of liberty of at least this, or a more serious penalty",
    1,
    TimeUnit.YEARS,
    Bound.MINIMUM,
    Art(37, 1),
    R,
    note="Same one-year test as Budapest Art. 24(1)(a) [BUDAPEST-V].",
)


def _meets(threshold: Period, max_penalty_months: int | None) -> bool:
    # None stands for a penalty with no maximum term (life imprisonment or more severe),
    # which the Convention's "or a more serious penalty" always lets through.
    return max_penalty_months is None or max_penalty_months >= threshold.in_months()


def is_serious_crime(max_penalty_months: int | None) -> bool:
    """Whether an offence with this maximum penalty is a "serious crime" (Art. 2(h)).

    ``None`` means no maximum term: life imprisonment or a more serious penalty.
    """
    return _meets(SERIOUS_CRIME_THRESHOLD, max_penalty_months)


def meets_extradition_threshold(
    requesting_max_months: int | None, requested_max_months: int | None
) -> bool:
    """Whether the offence is punishable in both States by at least one year (Art. 37(1))."""
    return _meets(EXTRADITION_THRESHOLD, requesting_max_months) and _meets(
        EXTRADITION_THRESHOLD, requested_max_months
    )
