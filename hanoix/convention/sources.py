"""What the sources show, fact by fact: the table every label in the data is checked against.

A rule's basis says how sure the rule is; but a rule cites an article, a paragraph or a point,
and each of those is a fact of its own. Art. 3(b) cites articles 23 and 35: it verifies their
*numbers*, not their titles. The depositary's status page cites "article 64" and quotes
Art. 65(1): it verifies the number 64, not a paragraph 1 of it, nor the titles of Arts 64 and 65.
So the basis is kept per fact (FACTS.md, corrections of 2026-12-03):

* :attr:`FactKind.NUMBER`: that an article with this number exists (and is the one meant);
* :attr:`FactKind.TITLE`: its short title;
* :attr:`FactKind.PARAGRAPH`: that a paragraph (or point) with this number says what the data
  says it does. A fact on a whole article (``Art(7)``) covers every paragraph of it: the
  Arabic text of Arts 1-15 was read in full.

Anything not listed is recalled. A test walks every rule and refuses a ``verified`` label that
rests on a fact this table does not list as verified, so labels cannot drift again; raising a
label is adding the fact here with the source that shows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hanoix.convention.refs import Art, Basis

V, V2, R = Basis.VERIFIED, Basis.SECONDARY, Basis.RECALLED


class FactKind(StrEnum):
    """Which fact about an article a source shows."""

    NUMBER = "number"
    TITLE = "title"
    PARAGRAPH = "paragraph"


@dataclass(frozen=True)
class SourceFact:
    """One fact, how it is known and the source that shows it."""

    kind: FactKind
    art: Art
    basis: Basis
    source: str
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "article": str(self.art),
            "basis": self.basis.value,
            "source": self.source,
            "note": self.note,
        }


ARABIC = "official Arabic text of Arts 1-15 (FACTS.md §3)"
UNTC = "UN Treaty Collection status page, chapter XVIII-16"
DUTCH_DB = "Dutch government treaty database, record 013891 (relays the depositary)"


def _arabic(number: int) -> tuple[SourceFact, ...]:
    return (
        SourceFact(FactKind.NUMBER, Art(number), V, ARABIC),
        SourceFact(FactKind.TITLE, Art(number), V, ARABIC),
        SourceFact(FactKind.PARAGRAPH, Art(number), V, ARABIC, "the whole article was read"),
    )


SOURCE_FACTS: tuple[SourceFact, ...] = (
    *(fact for number in range(1, 16) for fact in _arabic(number)),
    SourceFact(FactKind.NUMBER, Art(16), V2, "UN News, idcontrol.com"),
    SourceFact(FactKind.TITLE, Art(16), V2, "UN News, idcontrol.com"),
    SourceFact(FactKind.NUMBER, Art(17), V, "Art. 2(m) of the Arabic text cites 'article 17'"),
    SourceFact(FactKind.NUMBER, Art(18), V2, "EFF letter"),
    SourceFact(FactKind.TITLE, Art(18), V2, "EFF letter"),
    SourceFact(FactKind.NUMBER, Art(19), V2, "EFF letter"),
    SourceFact(FactKind.NUMBER, Art(23), V, "Art. 3(b) of the Arabic text cites 'article 23'"),
    SourceFact(FactKind.PARAGRAPH, Art(23, 2), V2, "EFF letter on Art. 23(2)(b)-(c)"),
    SourceFact(FactKind.NUMBER, Art(24), V2, "idcontrol.com; dig.watch"),
    SourceFact(FactKind.TITLE, Art(24), V2, "idcontrol.com; dig.watch"),
    SourceFact(FactKind.NUMBER, Art(35), V, "Art. 3(b) of the Arabic text cites 'article 35'"),
    SourceFact(FactKind.PARAGRAPH, Art(35, 1, "c"), V2, "EFF letter on Art. 35(1)(c)"),
    SourceFact(FactKind.NUMBER, Art(36), V2, "dig.watch, 8th meeting"),
    SourceFact(FactKind.NUMBER, Art(40), V2, "dig.watch"),
    SourceFact(FactKind.NUMBER, Art(41), V2, "dig.watch"),
    SourceFact(FactKind.NUMBER, Art(57), V2, "dig.watch ('rules outlined in Article 57')"),
    SourceFact(FactKind.TITLE, Art(57), V2, "dig.watch"),
    SourceFact(
        FactKind.PARAGRAPH,
        Art(63, 3),
        V2,
        f"{DUTCH_DB}: Azerbaijan's reservation 'under Article 63(3)' at signature, 2025-10-25",
    ),
    SourceFact(
        FactKind.PARAGRAPH,
        Art(63, 2),
        R,
        "recalled (UNTOC 35(2) model)",
        "indirect support: a reservation under 63(3) is the opt-out from the paragraph before",
    ),
    SourceFact(FactKind.NUMBER, Art(63), V2, DUTCH_DB),
    SourceFact(FactKind.NUMBER, Art(64), V, f"{UNTC} ('article 64', no paragraph)"),
    SourceFact(FactKind.NUMBER, Art(65), V, f"{UNTC} (quotes Art. 65(1))"),
    SourceFact(FactKind.PARAGRAPH, Art(65, 1), V, f"{UNTC} (quotes its text)"),
)


def _matches(fact: SourceFact, kind: FactKind, art: Art) -> bool:
    if fact.kind is not kind:
        return False
    if kind is FactKind.PARAGRAPH:
        return fact.art.covers(art)
    return fact.art == art.whole_article


def source_fact(kind: FactKind, art: Art) -> SourceFact | None:
    """The most specific listed fact of ``kind`` about ``art``, if any."""
    found = [fact for fact in SOURCE_FACTS if _matches(fact, kind, art)]
    if not found:
        return None
    # The most specific first: Art(63, 3) before Art(63).
    return max(found, key=lambda fact: sum(part is not None for part in _parts(fact.art)))


def _parts(art: Art) -> tuple[object, ...]:
    return (art.paragraph, art.point, art.subpoint)


def fact_basis(kind: FactKind, art: Art) -> Basis:
    """How ``art`` is known as a fact of ``kind``; recalled unless the table lists it."""
    found = source_fact(kind, art)
    return found.basis if found is not None else R


def reference_basis(art: Art) -> Basis:
    """How sure the reference itself is: the paragraph's fact if it names one, else the
    number's. ``Art(64, 1)`` is recalled though ``Art(64)`` is verified."""
    if art.paragraph is None and art.point is None:
        return fact_basis(FactKind.NUMBER, art)
    return fact_basis(FactKind.PARAGRAPH, art)
