"""The Convention's nine chapters and sixty-eight articles (FACTS.md §2).

Each article carries two bases: ``basis`` for its number and existence, ``title_basis`` for its
short title, because several titles are recalled while the number is verified: Art. 2(m) cites
the number 17, Art. 3(b) the numbers 23 and 35, the depositary's page "article 64" and the text
of Art. 65(1), and none of them gives a title. Both must agree with the source table of
:mod:`hanoix.convention.sources`, which names the source of every fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hanoix.convention.refs import Basis
from hanoix.errors import NotFoundError

V, V2, R = Basis.VERIFIED, Basis.SECONDARY, Basis.RECALLED

ARTICLE_COUNT = 68


@dataclass(frozen=True)
class Chapter:
    """A chapter: its number, roman numeral, title and the articles it spans (inclusive)."""

    number: int
    roman: str
    title: str
    first_article: int
    last_article: int
    basis: Basis

    @property
    def article_numbers(self) -> range:
        return range(self.first_article, self.last_article + 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "roman": self.roman,
            "title": self.title,
            "first_article": self.first_article,
            "last_article": self.last_article,
            "basis": self.basis.value,
        }


@dataclass(frozen=True)
class Article:
    """An article: number, short title, chapter number and how each is known."""

    number: int
    title: str
    chapter: int
    basis: Basis
    title_basis: Basis

    def as_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "title": self.title,
            "chapter": self.chapter,
            "basis": self.basis.value,
            "title_basis": self.title_basis.value,
        }


# The nine-chapter structure is [V-2] (dig.watch, onlineopinion); the Arabic text confirms that
# Chapter II begins at Art. 7, and the article table fixes the other boundaries.
CHAPTERS: tuple[Chapter, ...] = (
    Chapter(1, "I", "General provisions", 1, 6, V2),
    Chapter(2, "II", "Criminalization", 7, 21, V2),
    Chapter(3, "III", "Jurisdiction", 22, 22, V2),
    Chapter(4, "IV", "Procedural measures and law enforcement", 23, 34, V2),
    Chapter(5, "V", "International cooperation", 35, 52, V2),
    Chapter(6, "VI", "Preventive measures", 53, 53, V2),
    Chapter(7, "VII", "Technical assistance and information exchange", 54, 56, V2),
    Chapter(8, "VIII", "Mechanism of implementation", 57, 58, V2),
    Chapter(9, "IX", "Final provisions", 59, 68, V2),
)

# (number, short title, basis of the number, basis of the title), as FACTS.md §2 labels them.
_TABLE: tuple[tuple[int, str, Basis, Basis], ...] = (
    (1, "Statement of purpose", V, V),
    (2, "Use of terms", V, V),
    (3, "Scope of application", V, V),
    (4, "Offences established in accordance with other UN conventions and protocols", V, V),
    (5, "Protection of sovereignty", V, V),
    (6, "Respect for human rights", V, V),
    (7, "Illegal access", V, V),
    (8, "Illegal interception", V, V),
    (9, "Interference with electronic data", V, V),
    (10, "Interference with an ICT system", V, V),
    (11, "Misuse of devices", V, V),
    (12, "ICT-system-related forgery", V, V),
    (13, "ICT-system-related theft or fraud", V, V),
    (
        14,
        "Offences related to online child sexual abuse or child sexual exploitation material",
        V,
        V,
    ),
    (
        15,
        "Solicitation or grooming for the purpose of committing a sexual offence against a child",
        V,
        V,
    ),
    (16, "Non-consensual dissemination of intimate images", V2, V2),
    (17, "Laundering of proceeds of crime", V, R),
    (18, "Liability of legal persons", V2, V2),
    (19, "Participation and attempt", V2, R),
    (20, "Statute of limitations", R, R),
    (21, "Prosecution, adjudication and sanctions", R, R),
    (22, "Jurisdiction", R, R),
    (23, "Scope of procedural measures", V, R),
    (24, "Conditions and safeguards", V2, V2),
    (25, "Expedited preservation of stored electronic data", R, R),
    (26, "Expedited preservation and partial disclosure of traffic data", R, R),
    (27, "Production order", R, R),
    (28, "Search and seizure of stored or processed electronic data", R, R),
    (29, "Real-time collection of traffic data", R, R),
    (30, "Interception of content data", R, R),
    (31, "Freezing, seizure and confiscation of the proceeds of crime", R, R),
    (32, "Establishment of criminal record", R, R),
    (33, "Protection of witnesses", R, R),
    (34, "Assistance to and protection of victims", R, R),
    (35, "General principles of international cooperation", V, R),
    (36, "Protection of personal data", V2, R),
    (37, "Extradition", R, R),
    (38, "Transfer of sentenced persons", R, R),
    (39, "Transfer of criminal proceedings", R, R),
    (40, "General principles and procedures relating to mutual legal assistance", V2, R),
    (41, "24/7 network", V2, R),
    (
        42,
        "International cooperation for the purpose of expedited preservation of stored "
        "electronic data",
        R,
        R,
    ),
    (
        43,
        "International cooperation for the purpose of expedited disclosure of preserved "
        "traffic data",
        R,
        R,
    ),
    (44, "Mutual legal assistance in accessing stored electronic data", R, R),
    (45, "Mutual legal assistance in the real-time collection of traffic data", R, R),
    (46, "Mutual legal assistance in the interception of content data", R, R),
    (47, "Law enforcement cooperation", R, R),
    (48, "Joint investigations", R, R),
    (
        49,
        "Mechanisms for the recovery of property through international cooperation in confiscation",
        R,
        R,
    ),
    (50, "International cooperation for purposes of confiscation", R, R),
    (51, "Special cooperation", R, R),
    (52, "Return and disposal of confiscated proceeds of crime or property", R, R),
    (53, "Preventive measures", R, R),
    (54, "Technical assistance and capacity-building", R, R),
    (55, "Exchange of information", R, R),
    (
        56,
        "Implementation of the Convention through economic development and technical assistance",
        R,
        R,
    ),
    (57, "Conference of the States Parties to the Convention", V2, V2),
    (58, "Secretariat", R, R),
    (59, "Implementation of the Convention", R, R),
    (60, "Effects of the Convention", R, R),
    (61, "Relation with protocols", R, R),
    (62, "Adoption of supplementary protocols", R, R),
    (63, "Settlement of disputes", V2, R),
    (64, "Signature, ratification, acceptance, approval and accession", V, R),
    (65, "Entry into force", V, R),
    (66, "Amendment", R, R),
    (67, "Denunciation", R, R),
    (68, "Depositary and languages", R, R),
)


def _chapter_of(number: int) -> int:
    for chapter_ in CHAPTERS:
        if number in chapter_.article_numbers:
            return chapter_.number
    raise ValueError(f"article {number} lies in no chapter")


ARTICLES: tuple[Article, ...] = tuple(
    Article(number, title, _chapter_of(number), basis, title_basis)
    for number, title, basis, title_basis in _TABLE
)

_BY_NUMBER = {item.number: item for item in ARTICLES}


def article(number: int) -> Article:
    """The article ``number``; raises :class:`NotFoundError` outside 1 to 68."""
    found = _BY_NUMBER.get(number)
    if found is None:
        raise NotFoundError(f"the Convention has articles 1 to {ARTICLE_COUNT}; got {number}")
    return found


def _find_chapter(number: int) -> Chapter:
    if not 1 <= number <= len(CHAPTERS):
        raise NotFoundError(f"the Convention has chapters 1 to {len(CHAPTERS)}; got {number}")
    return CHAPTERS[number - 1]


def chapter(number: int) -> Chapter:
    """The chapter ``number`` (1 to 9); raises :class:`NotFoundError` otherwise."""
    return _find_chapter(number)


def articles(chapter: int | None = None) -> tuple[Article, ...]:
    """All articles in order, or those of chapter ``chapter`` (raises for an unknown one)."""
    if chapter is None:
        return ARTICLES
    wanted = _find_chapter(chapter)
    return tuple(item for item in ARTICLES if item.chapter == wanted.number)
