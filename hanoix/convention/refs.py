"""Value types for citing the Convention: an article reference and the basis of a rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class Basis(StrEnum):
    """How sure a rule is, as ``shared/convention/FACTS.md`` labels it.

    A State's lawyers review every rule whose basis is not ``verified``; correcting a rule is a
    change of data, not of code.
    """

    VERIFIED = "verified"  # [V]: checked against the treaty text or the depositary's record
    SECONDARY = "secondary"  # [V-2]: a secondary source that names the article
    RECALLED = "recalled"  # [R]: recalled from the adopted text, not checked
    INFERRED = "inferred"  # [INFERRED]: deduced from the model clause (UNTOC, UNCAC)

    @property
    def label(self) -> str:
        """The label FACTS.md writes for this basis, e.g. ``[V-2]``."""
        return _LABELS[self]

    @property
    def needs_review(self) -> bool:
        """True unless the rule was checked against the treaty text or the depositary."""
        return self is not Basis.VERIFIED


_LABELS = {
    Basis.VERIFIED: "[V]",
    Basis.SECONDARY: "[V-2]",
    Basis.RECALLED: "[R]",
    Basis.INFERRED: "[INFERRED]",
}


_ART_PATTERN = re.compile(
    r"^\s*(?:Art(?:icle)?\.?\s*)?(?P<article>\d+)"
    r"(?:\s*\((?P<paragraph>\d+)\))?"
    r"(?:\s*\((?P<point>[a-z]{1,4})\))?"
    r"(?:\s*\((?P<subpoint>[ivx]+)\))?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, order=True)
class Art:
    """A reference to an article of the Convention, down to paragraph, point and sub-point.

    ``Art(40, 15, "c")`` prints as ``Art. 40(15)(c)``.
    """

    article: int
    paragraph: int | None = None
    point: str | None = None
    subpoint: str | None = None

    def __post_init__(self) -> None:
        if self.article < 1:
            raise ValueError(f"article numbers start at 1, got {self.article}")
        if self.paragraph is not None and self.paragraph < 1:
            raise ValueError(f"paragraph numbers start at 1, got {self.paragraph}")
        if self.point is not None and self.paragraph is None and self.article != 2:
            # Art. 2 is the one article whose points hang directly on the article.
            raise ValueError("a point needs a paragraph, except in Art. 2")
        if self.subpoint is not None and self.point is None:
            raise ValueError("a sub-point needs a point")

    def __str__(self) -> str:
        text = f"Art. {self.article}"
        if self.paragraph is not None:
            text += f"({self.paragraph})"
        if self.point is not None:
            text += f"({self.point})"
        if self.subpoint is not None:
            text += f"({self.subpoint})"
        return text

    @classmethod
    def parse(cls, text: str) -> Art:
        """Read ``"Art. 40(15)(c)"``, ``"40(15)(c)"`` or ``"article 42"``."""
        match = _ART_PATTERN.match(text)
        if match is None:
            raise ValueError(f"not an article reference: {text!r} (write it like 'Art. 40(15)(c)')")
        paragraph = match.group("paragraph")
        return cls(
            article=int(match.group("article")),
            paragraph=int(paragraph) if paragraph else None,
            point=match.group("point"),
            subpoint=match.group("subpoint"),
        )

    @property
    def whole_article(self) -> Art:
        return Art(self.article)

    def covers(self, other: Art) -> bool:
        """True if ``other`` is this reference or lies inside it.

        ``Art(40, 15)`` covers ``Art(40, 15, "c")`` and itself, not ``Art(40)`` nor
        ``Art(40, 16)``.
        """
        parts = (self.article, self.paragraph, self.point, self.subpoint)
        others = (other.article, other.paragraph, other.point, other.subpoint)
        return all(
            mine is None or mine == theirs for mine, theirs in zip(parts, others, strict=True)
        )
