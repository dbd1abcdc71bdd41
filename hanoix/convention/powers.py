"""Procedural powers each State gives its authorities (Chapter IV, Arts 23-34; FACTS.md §5).

The powers apply within the scope of Art. 23 and under the conditions and safeguards of
Art. 24. Their text is recalled, not verified; each has a verified twin in the Budapest
Convention, named in ``budapest`` so a lawyer can compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hanoix.convention.periods import Bound, Period, TimeUnit
from hanoix.convention.refs import Art, Basis
from hanoix.convention.rules import Provision
from hanoix.errors import NotFoundError

V2, R = Basis.SECONDARY, Basis.RECALLED


@dataclass(frozen=True)
class ProceduralPower:
    """A power the State must have, with its limits.

    ``limits`` are the periods that bound it; ``confidentiality`` says whether whoever is
    ordered must keep the measure secret; ``reservation`` is the paragraph allowing a
    reservation to it, if any.
    """

    code: str
    art: Art
    title: str
    description: str
    basis: Basis
    limits: tuple[Period, ...] = ()
    confidentiality: bool = False
    reservation: Art | None = None
    budapest: str = ""
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "article": str(self.art),
            "title": self.title,
            "description": self.description,
            "basis": self.basis.value,
            "limits": [item.as_dict() for item in self.limits],
            "confidentiality": self.confidentiality,
            "reservation": str(self.reservation) if self.reservation else None,
            "budapest": self.budapest,
            "note": self.note,
        }


DOMESTIC_PRESERVATION_MAXIMUM = Period(
    "domestic-preservation-order",
    "a domestic order to preserve specified stored data lasts as long as necessary, up to",
    90,
    TimeUnit.DAYS,
    Bound.MAXIMUM,
    Art(25),
    R,
    renewable=True,
    note="Paragraph not recalled; Budapest Art. 16(2) is identical [BUDAPEST-V].",
)

PROCEDURAL_SCOPE: tuple[Provision, ...] = (
    Provision(
        "convention-offences",
        "the powers apply to the offences established under the Convention",
        Art(23, 2, "a"),
        R,
    ),
    Provision(
        "other-ict-offences",
        "to other criminal offences committed by means of an ICT system",
        Art(23, 2, "b"),
        V2,
    ),
    Provision(
        "evidence-of-any-offence",
        "to collecting evidence in electronic form of any criminal offence",
        Art(23, 2, "c"),
        V2,
    ),
)

SAFEGUARDS: tuple[Provision, ...] = (
    Provision(
        "human-rights-and-proportionality",
        "every power is subject to domestic conditions and safeguards protecting human rights "
        "under international human rights law, including proportionality",
        Art(24),
        R,
        "Article exists [V-2]; text recalled (Budapest Art. 15 twin).",
    ),
    Provision(
        "review-remedy-grounds-limits",
        "as fits the power: judicial or other independent review, an effective remedy, grounds "
        "justifying its use and limits on its scope and duration",
        Art(24),
        R,
    ),
    Provision(
        "third-parties",
        "the impact of a power on the rights and interests of third parties is considered",
        Art(24),
        R,
    ),
)

POWERS: tuple[ProceduralPower, ...] = (
    ProceduralPower(
        "expedited-preservation",
        Art(25),
        "Expedited preservation of stored electronic data",
        "Ordering the quick preservation of specified stored electronic data (traffic, "
        "content, subscriber), especially where it may be lost or modified.",
        R,
        limits=(DOMESTIC_PRESERVATION_MAXIMUM,),
        confidentiality=True,
        budapest="Art. 16",
    ),
    ProceduralPower(
        "traffic-preservation-partial-disclosure",
        Art(26),
        "Expedited preservation and partial disclosure of traffic data",
        "Preserving traffic data whatever the number of service providers involved, and "
        "quickly disclosing enough of it to identify the providers and the path of the "
        "communication.",
        R,
        budapest="Art. 17",
    ),
    ProceduralPower(
        "production-order",
        Art(27),
        "Production order",
        "Ordering a person in the territory to submit specified electronic data in their "
        "possession or control, and a service provider offering services in the territory to "
        "submit subscriber information.",
        R,
        budapest="Art. 18",
    ),
    ProceduralPower(
        "search-and-seizure",
        Art(28),
        "Search and seizure of stored or processed electronic data",
        "Searching or accessing systems, data and storage media in the territory, extending "
        "to connected systems there, seizing or securing data (copying, keeping integrity, "
        "making it inaccessible or removing it), and ordering knowledgeable persons to help.",
        R,
        budapest="Art. 19",
    ),
    ProceduralPower(
        "real-time-traffic-collection",
        Art(29),
        "Real-time collection of traffic data",
        "Collecting or recording traffic data in real time, by the authorities or by "
        "compelling service providers within their existing technical capability.",
        R,
        confidentiality=True,
        reservation=Art(23, 3),
        budapest="Art. 20",
    ),
    ProceduralPower(
        "interception",
        Art(30),
        "Interception of content data",
        "Collecting or recording content data in real time, for a range of serious offences "
        "defined by domestic law.",
        R,
        confidentiality=True,
        budapest="Art. 21",
    ),
    ProceduralPower(
        "freezing-seizure-confiscation",
        Art(31),
        "Freezing, seizure and confiscation of the proceeds of crime",
        "Freezing, seizing and confiscating proceeds, instrumentalities and property of "
        "equivalent value; reaching bank records; the burden of proof may be reversed where "
        "domestic law allows.",
        R,
        budapest="none (UNTOC Art. 12 model)",
    ),
    ProceduralPower(
        "criminal-record",
        Art(32),
        "Establishment of criminal record",
        "Taking into account previous convictions in another State.",
        R,
        budapest="none (UNTOC Art. 22 model)",
    ),
    ProceduralPower(
        "witness-protection",
        Art(33),
        "Protection of witnesses",
        "Protecting witnesses (relocation, non-disclosure of identity, testimony by video), "
        "including victims who are witnesses.",
        R,
        budapest="none (UNTOC Art. 24 model)",
    ),
    ProceduralPower(
        "victim-assistance",
        Art(34),
        "Assistance to and protection of victims",
        "Assisting and protecting victims, with compensation and restitution; for victims of "
        "Arts 14-16 offences, recovery and endeavouring to remove or disable access to the "
        "content.",
        R,
        budapest="none (UNTOC Art. 25 model)",
        note="The content-removal paragraph is recalled as about Art. 34(6); verify.",
    ),
)

_BY_ARTICLE = {item.art.article: item for item in POWERS}


def power(article_number: int) -> ProceduralPower:
    """The procedural power of ``article_number`` (25 to 34)."""
    found = _BY_ARTICLE.get(article_number)
    if found is None:
        raise NotFoundError(f"procedural powers are in articles 25 to 34; got {article_number}")
    return found
