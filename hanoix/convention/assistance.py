"""The vocabulary of mutual assistance that several kinds of request share.

FACTS.md §6.1, §6.5 and §6.6: the scope of cooperation (Art. 35(1)), the purposes of mutual
legal assistance (Art. 40(3)), its grounds of refusal and the grounds it rules out (Arts 40(8),
40(21)-(23)), the procedural rules of Art. 40 a clerk meets, and what the 24/7 point of contact
does (Art. 41(3)). Everything here is recalled unless labelled otherwise: the English text was
not at hand, and paragraph numbers of Art. 40 must be checked.
"""

from __future__ import annotations

from enum import StrEnum

from hanoix.convention.kinds import RefusalGround
from hanoix.convention.refs import Art, Basis
from hanoix.convention.rules import Provision

R, V2 = Basis.RECALLED, Basis.SECONDARY

# FACTS.md recalls a persecution clause at Art. 40(22) that UNTOC 18 lacks, which pushes the
# paragraphs modelled on UNTOC 18(22)-(30) down by one. If the text shows no such shift, set
# this to 0: every paragraph below that depends on it moves back at once.
PERSECUTION_SHIFT = 1


def mla_paragraph(untoc_paragraph: int, point: str | None = None) -> Art:
    """The paragraph of Art. 40 modelled on UNTOC 18(``untoc_paragraph``), 22 or above."""
    if untoc_paragraph < 22:
        raise ValueError("paragraphs before UNTOC 18(22) are not shifted; cite Art(40, n)")
    return Art(40, untoc_paragraph + PERSECUTION_SHIFT, point)


class MlaPurpose(StrEnum):
    """The purposes for which mutual legal assistance may be asked (Art. 40(3), recalled)."""

    TAKE_EVIDENCE = "take-evidence"
    SERVE_DOCUMENTS = "serve-judicial-documents"
    SEARCH_SEIZE_FREEZE = "search-seizure-freezing"
    ACCESS_STORED_DATA = "access-stored-data"
    REAL_TIME_TRAFFIC_DATA = "real-time-traffic-data"
    INTERCEPT_CONTENT_DATA = "intercept-content-data"
    EXAMINE_OBJECTS_AND_SITES = "examine-objects-and-sites"
    PROVIDE_INFORMATION = "provide-information-evidence-expertise"
    PROVIDE_RECORDS = "provide-documents-and-records"
    TRACE_PROCEEDS = "identify-trace-proceeds"
    VOLUNTARY_APPEARANCE = "voluntary-appearance"
    RECOVER_PROCEEDS = "recover-proceeds"
    OTHER = "other-assistance"


def _purpose(purpose: MlaPurpose, letter: str, text: str, note: str = "") -> Provision:
    # Every item shares the same doubt: FACTS.md recalls the list but not its exact letters.
    doubt = "Order, letters and count (13) recalled, not verified."
    return Provision(purpose.value, text, Art(40, 3, letter), R, f"{note} {doubt}".strip())


MLA_PURPOSES: tuple[Provision, ...] = (
    _purpose(MlaPurpose.TAKE_EVIDENCE, "a", "taking evidence or statements from persons"),
    _purpose(MlaPurpose.SERVE_DOCUMENTS, "b", "serving judicial documents"),
    _purpose(MlaPurpose.SEARCH_SEIZE_FREEZE, "c", "executing searches and seizures, and freezing"),
    _purpose(
        MlaPurpose.ACCESS_STORED_DATA,
        "d",
        "searching or similarly accessing, seizing or similarly securing, and disclosing "
        "electronic data stored in an ICT system (Art. 44)",
    ),
    _purpose(
        MlaPurpose.REAL_TIME_TRAFFIC_DATA, "e", "collecting traffic data in real time (Art. 45)"
    ),
    _purpose(MlaPurpose.INTERCEPT_CONTENT_DATA, "f", "intercepting content data (Art. 46)"),
    _purpose(MlaPurpose.EXAMINE_OBJECTS_AND_SITES, "g", "examining objects and sites"),
    _purpose(
        MlaPurpose.PROVIDE_INFORMATION,
        "h",
        "providing information, evidence and expert evaluations",
        "'Evidence' replaced 'evidentiary items' late in the negotiation [V-2 dig.watch].",
    ),
    _purpose(
        MlaPurpose.PROVIDE_RECORDS,
        "i",
        "providing originals or certified copies of documents and records, including "
        "government, bank, financial, corporate or business records",
    ),
    _purpose(
        MlaPurpose.TRACE_PROCEEDS,
        "j",
        "identifying or tracing proceeds of crime, property, instrumentalities or other things "
        "for evidentiary purposes",
    ),
    _purpose(
        MlaPurpose.VOLUNTARY_APPEARANCE,
        "k",
        "facilitating the voluntary appearance of persons in the requesting State",
    ),
    _purpose(MlaPurpose.RECOVER_PROCEEDS, "l", "recovering proceeds of crime"),
    _purpose(
        MlaPurpose.OTHER,
        "m",
        "any other assistance not contrary to the requested State's domestic law",
    ),
)

# What the 24/7 point of contact facilitates or, where law and practice allow, does itself.
CONTACT_24_7_ASSISTANCE: tuple[Provision, ...] = (
    Provision("technical-advice", "providing technical advice", Art(41, 3, "a"), R),
    Provision(
        "preservation",
        "preserving stored electronic data under Arts 42 and 43, including where appropriate "
        "the location of the service provider, to help the requesting State draft its request",
        Art(41, 3, "b"),
        R,
    ),
    Provision(
        "evidence-and-legal-information",
        "collecting evidence and providing legal information",
        Art(41, 3, "c"),
        R,
    ),
    Provision("locating-suspects", "locating suspects", Art(41, 3, "d"), R),
    Provision(
        "emergency-data",
        "providing electronic data to avert an emergency",
        Art(41, 3, "e"),
        R,
        "Emergency: a significant and imminent risk to a person's life or safety (Art. 2(o), V).",
    ),
)

# Art. 35(1): what States cooperate for; (c) is [V-2] through the EFF letter, the rest [R].
COOPERATION_SCOPE: tuple[Provision, ...] = (
    Provision(
        "convention-offences",
        "investigating and prosecuting offences established under the Convention, including "
        "freezing, seizure, confiscation and return of proceeds",
        Art(35, 1, "a"),
        R,
    ),
    Provision(
        "evidence-of-convention-offences",
        "collecting, obtaining, preserving and sharing electronic evidence of those offences",
        Art(35, 1, "b"),
        R,
    ),
    Provision(
        "evidence-of-serious-crime",
        "collecting, obtaining, preserving and sharing electronic evidence of any serious "
        "crime (maximum penalty of at least four years)",
        Art(35, 1, "c"),
        V2,
    ),
)

# The rules of Art. 40 a clerk meets while a request runs, beyond contents and refusal.
EXCULPATORY_DISCLOSURE = Provision(
    "exculpatory-disclosure",
    "the limits on use do not prevent the requesting State from disclosing in its proceedings "
    "information or evidence that is exculpatory to an accused person; it notifies the "
    "requested State before the disclosure and consults it if asked, or, where advance notice "
    "is not possible, informs it without delay",
    Art(40, 19),
    R,
    "UNTOC 18(19) [UNTOC-V]; FACTS.md, (f) Limits on use and (j) spontaneous transmission.",
)

MLA_PROCEDURE: tuple[Provision, ...] = (
    Provision(
        "written-form",
        "a request is made in writing, or by any means producing a written record, in a "
        "language the requested State accepts; urgent oral requests are confirmed in writing "
        "forthwith",
        Art(40, 14),
        R,
    ),
    Provision(
        "additional-information",
        "the requested State may ask for additional information needed to execute the request",
        Art(40, 16),
        R,
    ),
    Provision(
        "execution-under-requested-law",
        "a request is executed under the requested State's law and, where not contrary to it, "
        "in the way the request specifies",
        Art(40, 17),
        R,
    ),
    Provision(
        "limits-on-use",
        "information or evidence is not used or sent on for other proceedings without the "
        "requested State's prior consent, save exculpatory disclosure after notice",
        Art(40, 19),
        R,
    ),
    EXCULPATORY_DISCLOSURE,
    Provision(
        "confidentiality",
        "the requesting State may ask that the fact and substance of the request stay "
        "confidential; if that cannot be done the requested State says so promptly",
        Art(40, 20),
        R,
    ),
    Provision(
        "execute-promptly",
        "the requested State executes as soon as possible, takes account of suggested "
        "deadlines and answers reasonable requests on progress",
        mla_paragraph(24),
        R,
        "UNTOC 18(24) [UNTOC-V]; paragraph shifted by the persecution clause.",
    ),
    Provision(
        "postponement",
        "execution may be postponed only where it would interfere with an ongoing "
        "investigation, prosecution or judicial proceeding",
        mla_paragraph(25),
        R,
        "UNTOC 18(25) [UNTOC-V]; paragraph shifted by the persecution clause.",
    ),
    Provision(
        "consultation",
        "before refusing or postponing, the requested State consults on assisting subject to "
        "conditions; conditions accepted must be kept",
        mla_paragraph(26),
        R,
        "UNTOC 18(26) [UNTOC-V]; paragraph shifted by the persecution clause.",
    ),
    Provision(
        "costs",
        "the requested State bears ordinary costs; substantial or extraordinary costs are "
        "agreed after consultation",
        mla_paragraph(28),
        R,
        "UNTOC 18(28) [UNTOC-V]; paragraph shifted by the persecution clause.",
    ),
)

# --- grounds of refusal -----------------------------------------------------------------

NON_CONFORMITY = RefusalGround(
    "non-conformity",
    "the request does not conform to the provisions of the article",
    Art(40, 21, "a"),
    R,
)
SOVEREIGNTY = RefusalGround(
    "sovereignty-security-ordre-public",
    "execution is likely to prejudice sovereignty, security, ordre public or other essential "
    "interests",
    Art(40, 21, "b"),
    R,
)
DOMESTIC_LAW_BAR = RefusalGround(
    "domestic-law-bar",
    "domestic law would forbid the action requested for a similar domestic offence",
    Art(40, 21, "c"),
    R,
)
LEGAL_SYSTEM = RefusalGround(
    "contrary-to-legal-system",
    "granting the request would be contrary to the requested State's legal system of mutual "
    "legal assistance",
    Art(40, 21, "d"),
    R,
)
PERSECUTION = RefusalGround(
    "persecution",
    "substantial grounds to believe the request aims to prosecute or punish a person for sex, "
    "race, language, religion, nationality, ethnic origin or political opinions, or would "
    "prejudice that person for any of them",
    Art(40, 22),
    R,
    "Paragraph recalled as 40(22); not in UNTOC 18. Verify the number and the list.",
)

MLA_REFUSAL_GROUNDS: tuple[RefusalGround, ...] = (
    NON_CONFORMITY,
    SOVEREIGNTY,
    DOMESTIC_LAW_BAR,
    LEGAL_SYSTEM,
    PERSECUTION,
)

BANK_SECRECY = RefusalGround("bank-secrecy", "bank secrecy", Art(40, 8), R)
FISCAL_MATTERS = RefusalGround(
    "fiscal-matters",
    "the sole fact that the offence involves fiscal matters",
    mla_paragraph(22),
    R,
    "UNTOC 18(22) [UNTOC-V]; paragraph shifted by the persecution clause.",
)
POLITICAL_OFFENCE = RefusalGround(
    "political-offence",
    "the political nature of the offence",
    Art(40, 21),
    R,
    "Not in the UN grounds as recalled, unlike Budapest Arts 27(4)(a) and 29(5) [BUDAPEST-V]; "
    "listed so that a clerk used to Budapest is told at once.",
)

MLA_EXCLUDED_GROUNDS: tuple[RefusalGround, ...] = (BANK_SECRECY, FISCAL_MATTERS, POLITICAL_OFFENCE)

MLA_REASONS = Provision(
    "reasons-required",
    "reasons must be given for any refusal",
    mla_paragraph(23),
    R,
    "UNTOC 18(23) [UNTOC-V]; paragraph shifted by the persecution clause.",
)


class ConfiscationMeasure(StrEnum):
    """What a confiscation request asks the requested State to do (Art. 50, recalled)."""

    EXECUTE_FOREIGN_ORDER = "execute-foreign-order"  # give effect to the requesting State's order
    DOMESTIC_ORDER = "domestic-order"  # pass the request to its authorities to obtain an order
    PROVISIONAL_MEASURES = "identify-trace-freeze-seize"  # with a view to later confiscation
