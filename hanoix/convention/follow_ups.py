"""What a preservation's follow-up takes over from it: contents that mean the same thing.

A content of the same name in two declarations means the same thing (``requesting_authority``,
``summary_of_facts``); :data:`SAME_MEANING` lists the contents that mean the same thing under
another name, each with the articles of both sides and why, so that a follow-up drafted "in one
click" asks again for nothing the preservation already said. A lawyer reviewing the reading
edits this table, not code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hanoix.convention.refs import Art, Basis


@dataclass(frozen=True)
class SameMeaning:
    """Content ``source`` of a preservation says what content ``target`` of its follow-up asks."""

    source: str
    source_art: Art
    target: str
    target_art: Art
    basis: Basis
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_article": str(self.source_art),
            "target": self.target,
            "target_article": str(self.target_art),
            "basis": self.basis.value,
            "why": self.why,
        }


SAME_MEANING: tuple[SameMeaning, ...] = (
    SameMeaning(
        "offence",
        Art(42, 3, "b"),
        "subject_and_nature",
        Art(40, 15, "b"),
        Basis.INFERRED,
        "the offence that is the subject of the investigation or proceeding is its subject "
        "matter; the follow-up serves the same investigation",
    ),
    SameMeaning(
        "data_to_preserve",
        Art(42, 3, "c"),
        "data_sought",
        Art(44),
        Basis.INFERRED,
        "the stored data preserved are the data whose search, access, seizure or disclosure "
        "Art. 42(1) announces and Art. 44 asks for",
    ),
)

#: The content of a follow-up that names the preservation it builds on (Art. 44: "including
#: data preserved under Art. 42"; Art. 43: traffic data preserved).
PRESERVATION_REFERENCE = "preservation_reference"
