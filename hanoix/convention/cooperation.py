"""The declarations of every kind of international cooperation (Chapter V; FACTS.md §6).

One :class:`~hanoix.convention.kinds.KindSpec` per kind, registered in :data:`KINDS`. To
correct a rule, edit the declaration that holds it; to add a kind, add a
:class:`~hanoix.convention.kinds.RequestKind` member and a declaration below. The engine in
:mod:`hanoix.convention.checks` reads them all the same way.

Where FACTS.md lists the contents of a request (Art. 40(15), Art. 42(3), the low-confidence
Art. 45 list) the declaration encodes exactly that list. Where it lists none (Arts 37-39, 43,
44, 46-48, 50) the contents are a minimal set inferred from the general contents of
Art. 40(15) and labelled inferred, and the kind's summary says so.
"""

from __future__ import annotations

from hanoix.convention.assistance import (
    DOMESTIC_LAW_BAR,
    LEGAL_SYSTEM,
    MLA_EXCLUDED_GROUNDS,
    MLA_REASONS,
    MLA_REFUSAL_GROUNDS,
    PERSECUTION,
    POLITICAL_OFFENCE,
    SOVEREIGNTY,
    ConfiscationMeasure,
    MlaPurpose,
    mla_paragraph,
)
from hanoix.convention.kinds import (
    Channel,
    Condition,
    DualCriminality,
    DualCriminalityRule,
    KindRegistry,
    KindSpec,
    Predicate,
    RefusalGround,
    RelatedKind,
    Relation,
    RequestKind,
    RequiredContent,
    Requirement,
)
from hanoix.convention.offences import EXTRADITION_THRESHOLD
from hanoix.convention.periods import Bound, Period, TimeUnit
from hanoix.convention.powers import DOMESTIC_PRESERVATION_MAXIMUM
from hanoix.convention.refs import Art, Basis
from hanoix.convention.rules import Provision

R, INF = Basis.RECALLED, Basis.INFERRED
K = RequestKind
MANDATORY = Requirement.MANDATORY
WHERE_POSSIBLE = Requirement.WHERE_POSSIBLE
IF_APPLICABLE = Requirement.IF_APPLICABLE
CONDITIONAL = Requirement.CONDITIONAL

INFERRED_CONTENTS = (
    "The Convention, as known, lists no contents for this kind; the required contents are a "
    "minimal set inferred from the general contents of a request (Art. 40(15)) and labelled "
    "inferred."
)

# --- contents shared by several kinds -----------------------------------------------------

SERVICE_OF_DOCUMENTS_EXCEPTION = Condition(
    Predicate.NOT_ONLY_SERVICE_OF_DOCUMENTS,
    f"not required when the only assistance sought is service of judicial documents "
    f"(assistance_purposes = [{MlaPurpose.SERVE_DOCUMENTS.value!r}])",
)


def general_contents(*, service_exception: bool) -> tuple[RequiredContent, ...]:
    """The contents of Art. 40(15), split into one field per item a clerk fills in.

    ``service_exception`` keeps the rule that a request only to serve judicial documents needs
    no summary of facts; kinds that can never be such a request pass ``False``.
    """
    summary_condition = SERVICE_OF_DOCUMENTS_EXCEPTION if service_exception else None
    return (
        RequiredContent(
            "requesting_authority",
            "identity of the authority making the request",
            Art(40, 15, "a"),
            R,
        ),
        RequiredContent(
            "subject_and_nature",
            "subject matter and nature of the investigation, prosecution or judicial proceeding",
            Art(40, 15, "b"),
            R,
        ),
        RequiredContent(
            "conducting_authority",
            "name and functions of the authority conducting the investigation, prosecution or "
            "proceeding",
            Art(40, 15, "b"),
            R,
        ),
        RequiredContent(
            "summary_of_facts",
            "summary of the relevant facts",
            Art(40, 15, "c"),
            R,
            CONDITIONAL if summary_condition else MANDATORY,
            summary_condition,
        ),
        RequiredContent(
            "assistance_sought",
            "description of the assistance sought",
            Art(40, 15, "d"),
            R,
        ),
        RequiredContent(
            "particular_procedure",
            "details of any particular procedure the requesting State wishes followed",
            Art(40, 15, "d"),
            R,
            IF_APPLICABLE,
        ),
        RequiredContent(
            "persons_concerned",
            "identity, location and nationality of any person concerned",
            Art(40, 15, "e"),
            R,
            WHERE_POSSIBLE,
            note="The UN text may add items or accounts; verify.",
        ),
        RequiredContent(
            "purpose",
            "purpose for which the evidence, information or action is sought",
            Art(40, 15, "f"),
            R,
        ),
    )


def _inferred(name: str, description: str, art: Art, source: str = "") -> RequiredContent:
    """A mandatory content the Convention does not list, inferred; ``source`` says from what."""
    note = f"Inferred from {source}." if source else "Inferred."
    return RequiredContent(name, description, art, INF, note=note)


def _requesting_authority(art: Art) -> RequiredContent:
    return _inferred(
        "requesting_authority",
        "identity of the authority making the request",
        art,
        "Art. 40(15)(a)",
    )


def _summary_of_facts(art: Art) -> RequiredContent:
    return _inferred("summary_of_facts", "summary of the relevant facts", art, "Art. 40(15)(c)")


# --- grounds and rules shared by several kinds ----------------------------------------------


PRESERVATION_GROUNDS_CONTESTED = (
    "Contested: one recollection (FACTS.md §5) cross-refers to sovereignty or ordre public, a "
    "bar in domestic law, the legal system of mutual legal assistance and the persecution "
    "clause; another to Art. 40(21)(b) and (c) and (22) only, without the legal-system ground, "
    "which is closer to Budapest Art. 29(5) [BUDAPEST-V]. Until the text settles it, a refusal "
    "on this ground may not be one the Convention allows."
)


def _preservation_grounds(art: Art) -> tuple[RefusalGround, ...]:
    """The limited grounds of Art. 42(6) (and Art. 43), cross-referring to Art. 40.

    Both recollections agree on sovereignty, the domestic-law bar and persecution; only one
    has the legal-system ground, which is therefore inferred and marked contested.
    """
    note = (
        f"{art} allows refusal only on limited grounds; the cross-reference to Art. 40(21) and "
        f"the persecution clause is recalled. Verify."
    )
    agreed = tuple(
        RefusalGround(ground.code, ground.description, art, R, note)
        for ground in (SOVEREIGNTY, DOMESTIC_LAW_BAR, PERSECUTION)
    )
    contested = RefusalGround(
        LEGAL_SYSTEM.code,
        LEGAL_SYSTEM.description,
        art,
        INF,
        PRESERVATION_GROUNDS_CONTESTED,
        contested=True,
    )
    return (*agreed[:2], contested, agreed[2])


def _own_reasons(art: Art, basis: Basis = INF) -> Provision:
    return Provision(
        "reasons-required",
        "a refusal must name its grounds and give reasons",
        art,
        basis,
        f"Inferred from the duty to give reasons for refusing assistance ({MLA_REASONS.art} "
        f"as recalled) and to consult first.",
    )


CONDUCT_TEST_NOTE = (
    "Where dual criminality is required, the conduct test of Art. 35(3) (recalled) applies: "
    "the underlying conduct must be a crime in both States, whatever its name or category."
)

MLA_DUAL_CRIMINALITY = DualCriminality(
    DualCriminalityRule.MAY_BE_REQUIRED,
    Art(40, 9),
    R,
    "Wording uncertain: UNTOC 18(9) lets a State refuse for lack of dual criminality; UNCAC "
    "46(9) adds that non-coercive help should still be given. " + CONDUCT_TEST_NOTE,
)

# --- the declarations ----------------------------------------------------------------------

MLA = KindSpec(
    kind=K.MLA,
    title="Mutual legal assistance",
    summary="A request for mutual legal assistance in an investigation, prosecution or judicial "
    "proceeding, for any purpose of Art. 40(3).",
    legal_basis=(Art(40), Art(35)),
    basis=R,
    channel=Channel.CENTRAL_AUTHORITY,
    channel_art=Art(40, 13),
    channel_basis=R,
    urgent=False,
    contents=general_contents(service_exception=True),
    refusal_grounds=MLA_REFUSAL_GROUNDS,
    excluded_grounds=MLA_EXCLUDED_GROUNDS,
    refusal_reasons=MLA_REASONS,
    periods=(
        Period(
            "safe-conduct",
            "the immunity of a witness or expert who came voluntarily ends this many "
            "consecutive days after being told they may leave",
            15,
            TimeUnit.DAYS,
            Bound.EXACT,
            mla_paragraph(27),
            R,
            note="Or a period the States agree. UNTOC 18(27) [UNTOC-V]; paragraph shifted by "
            "the persecution clause.",
        ),
    ),
    dual_criminality=MLA_DUAL_CRIMINALITY,
    related=(
        RelatedKind(K.STORED_DATA_ACCESS, Relation.SPECIAL_FORM, Art(40, 3, "d"), R),
        RelatedKind(K.REAL_TIME_TRAFFIC, Relation.SPECIAL_FORM, Art(40, 3, "e"), R),
        RelatedKind(K.INTERCEPTION, Relation.SPECIAL_FORM, Art(40, 3, "f"), R),
    ),
    note="Urgent requests may go through INTERPOL where agreed (Art. 40(13)) or orally, "
    "confirmed in writing forthwith (Art. 40(14)).",
)

PRESERVATION = KindSpec(
    kind=K.PRESERVATION,
    title="Expedited preservation of stored electronic data",
    summary="A request to order or obtain the quick preservation of electronic data stored in "
    "the requested State, pending a request to search, seize or disclose it.",
    legal_basis=(Art(42), Art(25)),
    basis=R,
    channel=Channel.EITHER,
    channel_art=Art(41, 3, "b"),
    channel_basis=R,
    urgent=True,
    contents=(
        RequiredContent(
            "requesting_authority", "authority seeking preservation", Art(42, 3, "a"), R
        ),
        RequiredContent(
            "offence",
            "offence that is the subject of the investigation, prosecution or judicial proceeding",
            Art(42, 3, "b"),
            R,
        ),
        RequiredContent(
            "summary_of_facts", "brief summary of the related facts", Art(42, 3, "b"), R
        ),
        RequiredContent(
            "data_to_preserve", "stored electronic data to be preserved", Art(42, 3, "c"), R
        ),
        RequiredContent(
            "relationship_to_offence",
            "relationship of the data to the offence",
            Art(42, 3, "c"),
            R,
        ),
        RequiredContent(
            "custodian_or_location",
            "available information identifying the custodian of the data or the location of "
            "the ICT system",
            Art(42, 3, "d"),
            R,
            WHERE_POSSIBLE,
        ),
        RequiredContent("necessity", "necessity of the preservation", Art(42, 3, "e"), R),
        RequiredContent(
            "intent_to_request_mla",
            "statement that a request for search, access, seizure or disclosure of the data "
            "will follow",
            Art(42, 3, "f"),
            R,
            note="A yes/no answer: 'no' (False) counts as missing, since preservation exists "
            "only to await that request (Art. 42(1)).",
        ),
        RequiredContent(
            "confidentiality",
            "need to keep the request confidential and not to notify the user",
            Art(42, 3, "g"),
            R,
            IF_APPLICABLE,
            note="A UN addition to the Budapest Art. 29(2) list; unverified.",
        ),
    ),
    refusal_grounds=(
        *_preservation_grounds(Art(42, 6)),
        RefusalGround(
            "dual-criminality-reservation",
            "the requested State made the Art. 42(5) reservation, the offence is not one "
            "established under the Convention and dual criminality will not be met at "
            "disclosure",
            Art(42, 5),
            R,
        ),
    ),
    excluded_grounds=(
        RefusalGround(
            "lack-of-dual-criminality",
            "lack of dual criminality, unless the Art. 42(5) reservation was made",
            Art(42, 4),
            R,
        ),
        POLITICAL_OFFENCE,
    ),
    refusal_reasons=MLA_REASONS,
    periods=(
        Period(
            "preservation-minimum",
            "preservation lasts at least this long, so that the follow-up request can be made",
            60,
            TimeUnit.DAYS,
            Bound.MINIMUM,
            Art(42, 8),
            R,
            note="Once the follow-up request is received the data stays preserved until a "
            "decision on it; an extension may be asked before the end (Art. 42(9), "
            "unverified). Budapest Art. 29(7) is the same [BUDAPEST-V].",
        ),
        DOMESTIC_PRESERVATION_MAXIMUM,
    ),
    dual_criminality=DualCriminality(
        DualCriminalityRule.NOT_REQUIRED,
        Art(42, 4),
        R,
        "Unless the requested State reserved under Art. 42(5) for offences not established "
        "under the Convention.",
    ),
    related=(
        RelatedKind(K.STORED_DATA_ACCESS, Relation.FOLLOW_UP, Art(42, 1), R),
        RelatedKind(K.MLA, Relation.FOLLOW_UP, Art(42, 1), R),
        RelatedKind(K.TRAFFIC_DISCLOSURE, Relation.FOLLOW_UP, Art(43), R),
    ),
    note="The 24/7 network helps find where the data and the service provider are "
    "(Art. 42(2)). If preservation cannot secure the data, the requested State says so "
    "promptly (Art. 42(7)).",
)

TRAFFIC_DISCLOSURE = KindSpec(
    kind=K.TRAFFIC_DISCLOSURE,
    title="Expedited disclosure of preserved traffic data",
    summary="While preserving traffic data, the requested State finds that a provider in "
    "another State took part and quickly discloses enough traffic data to identify it and the "
    "path. " + INFERRED_CONTENTS,
    legal_basis=(Art(43), Art(26)),
    basis=R,
    channel=Channel.EITHER,
    channel_art=Art(41, 3, "b"),
    channel_basis=R,
    urgent=True,
    contents=(
        _inferred(
            "disclosing_authority",
            "identity of the authority making the disclosure",
            Art(43),
            "Art. 40(15)(a)",
        ),
        _inferred(
            "preservation_reference",
            "reference of the preservation request being executed",
            Art(43),
            "the link between Arts 42 and 43",
        ),
        RequiredContent(
            "traffic_data",
            "traffic data sufficient to identify the service provider and the path of the "
            "communication",
            Art(43),
            R,
        ),
    ),
    refusal_grounds=_preservation_grounds(Art(43)),
    excluded_grounds=(POLITICAL_OFFENCE,),
    refusal_reasons=_own_reasons(Art(43)),
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.NOT_REQUIRED,
        Art(43),
        INF,
        "Follows the preservation it arises from (Art. 42(4)).",
    ),
    related=(
        RelatedKind(K.PRESERVATION, Relation.ARISES_FROM, Art(43), R),
        RelatedKind(K.PRESERVATION, Relation.FOLLOW_UP, Art(43), INF),
    ),
    note="The follow-up preservation goes to the State of the provider the disclosure names.",
)

STORED_DATA_ACCESS = KindSpec(
    kind=K.STORED_DATA_ACCESS,
    title="Mutual legal assistance in accessing stored electronic data",
    summary="A request to search or similarly access, seize or similarly secure, and disclose "
    "electronic data stored in the requested State, including data preserved under Art. 42. "
    "The general contents of Art. 40(15) apply (through Art. 35(2)); the items specific to "
    "stored data are inferred.",
    legal_basis=(Art(44), Art(40, 3, "d")),
    basis=R,
    channel=Channel.CENTRAL_AUTHORITY,
    channel_art=Art(40, 13),
    channel_basis=R,
    urgent=False,
    contents=(
        *general_contents(service_exception=False),
        _inferred(
            "data_sought",
            "stored electronic data sought and the ICT system or place where it is stored",
            Art(44),
            "Art. 42(3)(c)-(d)",
        ),
        RequiredContent(
            "preservation_reference",
            "reference of an earlier preservation of the data",
            Art(44),
            R,
            IF_APPLICABLE,
        ),
        RequiredContent(
            "grounds_for_expedition",
            "why the data is particularly vulnerable to loss or modification, for an "
            "expedited answer",
            Art(44),
            R,
            IF_APPLICABLE,
        ),
    ),
    refusal_grounds=MLA_REFUSAL_GROUNDS,
    excluded_grounds=MLA_EXCLUDED_GROUNDS,
    refusal_reasons=MLA_REASONS,
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.MAY_BE_REQUIRED,
        Art(40, 9),
        R,
        "Answered under the applicable instruments and laws, as for mutual legal assistance. "
        + CONDUCT_TEST_NOTE,
    ),
    related=(
        RelatedKind(K.PRESERVATION, Relation.ARISES_FROM, Art(44), R),
        RelatedKind(K.MLA, Relation.SPECIAL_FORM, Art(40, 3, "d"), R),
    ),
    note="The answer is expedited where the data is particularly vulnerable to loss or "
    "modification, or where the instruments or laws otherwise provide (Art. 44).",
)


def _real_time_contents(
    art: Art, data: str, basis: Basis, note: str
) -> tuple[RequiredContent, ...]:
    """The Art. 45 list (low confidence); Art. 46 reuses its shape for content data."""
    return (
        RequiredContent("requesting_authority", "the requesting authority", art, basis, note=note),
        RequiredContent(
            "summary_of_facts",
            "summary of the facts and the nature of the proceedings",
            art,
            basis,
            note=note,
        ),
        RequiredContent(
            "data_sought",
            f"{data} sought and its link to the offence",
            art,
            basis,
            note=note,
        ),
        RequiredContent(
            "owner_or_location",
            "data identifying the owner or user of the data, or the location of the ICT system",
            art,
            basis,
            note=note,
        ),
        RequiredContent("necessity", "why the collection is needed", art, basis, note=note),
        RequiredContent(
            "collection_period",
            "period of collection and why that duration is justified",
            art,
            basis,
            note=note,
        ),
    )


REAL_TIME_TRAFFIC = KindSpec(
    kind=K.REAL_TIME_TRAFFIC,
    title="Mutual legal assistance in the real-time collection of traffic data",
    summary="A request to collect in real time the traffic data of specified communications in "
    "the requested State. States endeavour to assist, at least where collection would be "
    "available in a similar domestic case.",
    legal_basis=(Art(45), Art(29)),
    basis=R,
    channel=Channel.CENTRAL_AUTHORITY,
    channel_art=Art(40, 13),
    channel_basis=R,
    urgent=True,
    contents=_real_time_contents(
        Art(45),
        "electronic data whose traffic data is",
        R,
        "Recalled with low confidence; paragraph and letters not recalled.",
    ),
    refusal_grounds=(
        *MLA_REFUSAL_GROUNDS,
        RefusalGround(
            "not-available-domestically",
            "real-time collection would not be available in a similar domestic case",
            Art(45),
            R,
        ),
    ),
    excluded_grounds=MLA_EXCLUDED_GROUNDS,
    refusal_reasons=MLA_REASONS,
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.MAY_BE_REQUIRED,
        Art(45),
        R,
        "Assistance follows the requested State's domestic conditions. " + CONDUCT_TEST_NOTE,
    ),
    related=(
        RelatedKind(K.MLA, Relation.SPECIAL_FORM, Art(40, 3, "e"), R),
        RelatedKind(K.INTERCEPTION, Relation.ALTERNATIVE, Art(46), INF),
    ),
    note="The requested State may have reserved under Art. 23(3) to limit real-time collection "
    "to listed offences.",
)

INTERCEPTION = KindSpec(
    kind=K.INTERCEPTION,
    title="Mutual legal assistance in the interception of content data",
    summary="A request to collect or record in real time the content data of specified "
    "communications, to the extent the requested State's treaties and laws allow. The "
    "contents are inferred from the Art. 45 list.",
    legal_basis=(Art(46), Art(30)),
    basis=R,
    channel=Channel.CENTRAL_AUTHORITY,
    channel_art=Art(40, 13),
    channel_basis=R,
    urgent=True,
    contents=_real_time_contents(
        Art(46),
        "content data",
        INF,
        "Inferred from the Art. 45 list; FACTS.md recalls only that a similar list exists.",
    ),
    refusal_grounds=(
        *MLA_REFUSAL_GROUNDS,
        RefusalGround(
            "not-allowed-by-treaties-or-law",
            "interception is not allowed by the requested State's applicable treaties and "
            "domestic laws",
            Art(46),
            R,
        ),
    ),
    excluded_grounds=MLA_EXCLUDED_GROUNDS,
    refusal_reasons=MLA_REASONS,
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.MAY_BE_REQUIRED,
        Art(46),
        R,
        "Limited by the requested State's treaties and domestic laws. " + CONDUCT_TEST_NOTE,
    ),
    related=(RelatedKind(K.MLA, Relation.SPECIAL_FORM, Art(40, 3, "f"), R),),
)

EXTRADITION = KindSpec(
    kind=K.EXTRADITION,
    title="Extradition",
    summary="A request to surrender a person for prosecution or to enforce a sentence, for an "
    "offence punishable in both States by at least one year. " + INFERRED_CONTENTS,
    legal_basis=(Art(37),),
    basis=R,
    channel=Channel.CENTRAL_AUTHORITY,
    channel_art=Art(37),
    channel_basis=INF,
    urgent=False,
    contents=(
        _requesting_authority(Art(37)),
        _inferred(
            "person_sought",
            "identity of the person sought and, where known, location and nationality",
            Art(37),
            "Art. 40(15)(e), mandatory here",
        ),
        _inferred(
            "offence",
            "offence for which extradition is sought and the law that defines it",
            Art(37),
            "Art. 40(15)(b)",
        ),
        _inferred(
            "maximum_penalty",
            "maximum penalty for the offence in the requesting State",
            Art(37, 1),
            "the one-year threshold of Art. 37(1)",
        ),
        _summary_of_facts(Art(37)),
        _inferred(
            "warrant_or_judgment",
            "arrest warrant or enforceable judgment",
            Art(37),
            "the requested State's law, which governs extradition (UNTOC 16(7) model)",
        ),
    ),
    refusal_grounds=(
        RefusalGround(
            "below-threshold-or-no-dual-criminality",
            "the offence is not punishable in both States by a maximum of at least one year",
            Art(37, 1),
            R,
        ),
        RefusalGround(
            "conditions-of-requested-law",
            "a condition or ground of refusal of the requested State's law or applicable "
            "treaties, including minimum-penalty rules",
            Art(37),
            R,
            "UNTOC 16(7) model [UNTOC-V].",
        ),
        RefusalGround(
            "nationality",
            "the person is a national of the requested State, which must then submit the case "
            "for prosecution without undue delay if asked",
            Art(37),
            R,
            "UNTOC 16(10)-(12) model [UNTOC-V]: aut dedere aut judicare.",
        ),
        RefusalGround(
            "persecution",
            "substantial grounds to believe the request aims to prosecute or punish a person "
            "for sex, race, religion, nationality, ethnic origin or political opinions, or "
            "would prejudice that person for any of them",
            Art(37),
            R,
            "UNTOC 16(14) model [UNTOC-V]; the UN text may add language. Verify.",
        ),
    ),
    excluded_grounds=(
        RefusalGround(
            "fiscal-matters",
            "the sole fact that the offence involves fiscal matters",
            Art(37),
            R,
            "UNTOC 16(15) model [UNTOC-V].",
        ),
    ),
    refusal_reasons=_own_reasons(Art(37)),
    periods=(EXTRADITION_THRESHOLD,),
    dual_criminality=DualCriminality(
        DualCriminalityRule.REQUIRED,
        Art(37, 1),
        R,
        "A State whose law permits may extradite without it. " + CONDUCT_TEST_NOTE,
    ),
    related=(RelatedKind(K.PROCEEDINGS_TRANSFER, Relation.ALTERNATIVE, Art(37), R),),
    note="Provisional arrest may be asked when urgent (UNTOC 16(9) model). States that need a "
    "treaty tell the Secretary-General whether the Convention is their legal basis.",
)

SENTENCED_PERSON_TRANSFER = KindSpec(
    kind=K.SENTENCED_PERSON_TRANSFER,
    title="Transfer of sentenced persons",
    summary="A request to transfer a person sentenced for a Convention offence to serve the "
    "sentence in the other State, under agreements the States may make. " + INFERRED_CONTENTS,
    legal_basis=(Art(38),),
    basis=R,
    channel=Channel.CENTRAL_AUTHORITY,
    channel_art=Art(38),
    channel_basis=INF,
    urgent=False,
    contents=(
        _requesting_authority(Art(38)),
        _inferred(
            "sentenced_person",
            "identity, nationality and location of the sentenced person",
            Art(38),
            "Art. 40(15)(e), mandatory here",
        ),
        _inferred(
            "judgment_and_sentence",
            "judgment and sentence, with the part still to be served",
            Art(38),
            "Art. 40(15)(b)",
        ),
        _summary_of_facts(Art(38)),
    ),
    refusal_grounds=(
        RefusalGround(
            "not-agreed",
            "the requested State does not agree to the transfer",
            Art(38),
            INF,
            "Art. 38 leaves transfer to agreement; no ground is listed.",
        ),
    ),
    excluded_grounds=(),
    refusal_reasons=_own_reasons(Art(38)),
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.MAY_BE_REQUIRED,
        Art(38),
        INF,
        "Set by the agreement the States apply. " + CONDUCT_TEST_NOTE,
    ),
)

PROCEEDINGS_TRANSFER = KindSpec(
    kind=K.PROCEEDINGS_TRANSFER,
    title="Transfer of criminal proceedings",
    summary="A request that the other State take over the prosecution, where that serves the "
    "proper administration of justice. " + INFERRED_CONTENTS,
    legal_basis=(Art(39),),
    basis=R,
    channel=Channel.CENTRAL_AUTHORITY,
    channel_art=Art(39),
    channel_basis=INF,
    urgent=False,
    contents=(
        _requesting_authority(Art(39)),
        _inferred(
            "subject_and_nature",
            "subject matter and nature of the proceeding to be transferred",
            Art(39),
            "Art. 40(15)(b)",
        ),
        _summary_of_facts(Art(39)),
        RequiredContent(
            "persons_concerned",
            "identity, location and nationality of any person concerned",
            Art(39),
            INF,
            WHERE_POSSIBLE,
            note="Inferred from Art. 40(15)(e).",
        ),
        _inferred(
            "reasons_for_transfer",
            "why the transfer serves the proper administration of justice",
            Art(39),
            "the condition of Art. 39",
        ),
    ),
    refusal_grounds=(
        RefusalGround(
            "not-in-interests-of-justice",
            "the transfer would not serve the proper administration of justice",
            Art(39),
            INF,
            "Art. 39 asks States only to consider transfer; no ground is listed.",
        ),
    ),
    excluded_grounds=(),
    refusal_reasons=_own_reasons(Art(39)),
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.MAY_BE_REQUIRED,
        Art(39),
        INF,
        "The receiving State can prosecute only conduct criminal under its own law. "
        + CONDUCT_TEST_NOTE,
    ),
    related=(RelatedKind(K.EXTRADITION, Relation.ALTERNATIVE, Art(37), R),),
)

SPONTANEOUS_INFORMATION = KindSpec(
    kind=K.SPONTANEOUS_INFORMATION,
    title="Spontaneous transmission of information",
    summary="Information on criminal matters sent without a prior request, because it could "
    "help the receiving State's inquiries or lead it to make a request. It is not a request "
    "and cannot be refused.",
    legal_basis=(Art(40, 4), Art(40, 5)),
    basis=R,
    channel=Channel.COMPETENT_AUTHORITIES,
    channel_art=Art(40, 4),
    channel_basis=R,
    urgent=False,
    contents=(
        _inferred(
            "sending_authority",
            "identity of the authority sending the information",
            Art(40, 4),
            "Art. 40(15)(a)",
        ),
        RequiredContent("information", "information relating to criminal matters", Art(40, 4), R),
        RequiredContent(
            "use_conditions",
            "any request that the information stay confidential, even for a time, or that its "
            "use be restricted",
            Art(40, 5),
            R,
            IF_APPLICABLE,
            note="The receiver may still disclose exculpatory information, after notice.",
        ),
    ),
    refusal_grounds=(),
    excluded_grounds=(),
    refusal_reasons=None,
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.NOT_REQUIRED,
        Art(40, 4),
        INF,
        "Nothing is asked of the receiving State.",
    ),
    related=(RelatedKind(K.MLA, Relation.FOLLOW_UP, Art(40, 4), R),),
)

LAW_ENFORCEMENT_COOPERATION = KindSpec(
    kind=K.LAW_ENFORCEMENT_COOPERATION,
    title="Law enforcement cooperation",
    summary="Police-to-police cooperation: inquiries into persons, movements of proceeds and "
    "the ICT systems or data used, items for analysis, exchange of information. "
    + INFERRED_CONTENTS,
    legal_basis=(Art(47),),
    basis=R,
    channel=Channel.COMPETENT_AUTHORITIES,
    channel_art=Art(47),
    channel_basis=R,
    urgent=False,
    contents=(
        _requesting_authority(Art(47)),
        _inferred(
            "subject_of_inquiry",
            "offence or inquiry the cooperation concerns",
            Art(47),
            "Art. 40(15)(b)",
        ),
        _inferred(
            "assistance_sought",
            "description of the cooperation sought",
            Art(47),
            "Art. 40(15)(d)",
        ),
        _inferred(
            "purpose",
            "purpose for which the information or action is sought",
            Art(47),
            "Art. 40(15)(f)",
        ),
    ),
    refusal_grounds=(
        RefusalGround(
            "domestic-legal-or-administrative-system",
            "the cooperation is not consistent with the requested State's domestic legal and "
            "administrative systems",
            Art(47),
            INF,
            "UNTOC 27(1) model [UNTOC-V].",
        ),
    ),
    excluded_grounds=(),
    refusal_reasons=_own_reasons(Art(47)),
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.NOT_REQUIRED,
        Art(47),
        INF,
        "No coercive measure is asked; no dual-criminality test is recalled for Art. 47.",
    ),
    note="Existing police networks such as INTERPOL's 24/7 channels may be used (Art. 41(6)).",
)

JOINT_INVESTIGATION = KindSpec(
    kind=K.JOINT_INVESTIGATION,
    title="Joint investigation",
    summary="A proposal to set up a joint investigative body, under an agreement or case by "
    "case, respecting the sovereignty of the State where it operates. " + INFERRED_CONTENTS,
    legal_basis=(Art(48),),
    basis=R,
    channel=Channel.COMPETENT_AUTHORITIES,
    channel_art=Art(48),
    channel_basis=R,
    urgent=False,
    contents=(
        _requesting_authority(Art(48)),
        _inferred(
            "subject_and_nature",
            "subject matter and nature of the investigation",
            Art(48),
            "Art. 40(15)(b)",
        ),
        _summary_of_facts(Art(48)),
        _inferred(
            "participants",
            "States and authorities proposed to take part",
            Art(48),
            "the agreement Art. 48 provides for",
        ),
        _inferred(
            "territory",
            "States on whose territory the investigation would take place",
            Art(48),
            "the sovereignty condition of Art. 48",
        ),
        _inferred("purpose", "purpose of the joint investigation", Art(48), "Art. 40(15)(f)"),
    ),
    refusal_grounds=(
        RefusalGround(
            "not-agreed",
            "the requested State does not agree to the joint investigation",
            Art(48),
            INF,
            "Joint investigations rest on agreement; no ground is listed.",
        ),
    ),
    excluded_grounds=(),
    refusal_reasons=_own_reasons(Art(48)),
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.MAY_BE_REQUIRED,
        Art(48),
        INF,
        "Set by the agreement. " + CONDUCT_TEST_NOTE,
    ),
)

FOREIGN_ORDER_CONDITION = Condition(
    Predicate.EXECUTING_FOREIGN_ORDER,
    f"required when the measure sought is {ConfiscationMeasure.EXECUTE_FOREIGN_ORDER.value!r}",
)

CONFISCATION = KindSpec(
    kind=K.CONFISCATION,
    title="International cooperation for purposes of confiscation",
    summary="A request to confiscate proceeds, property or instrumentalities in the requested "
    "State, to give effect to a foreign confiscation order, or to identify, trace, freeze or "
    "seize them first. " + INFERRED_CONTENTS,
    legal_basis=(Art(50), Art(49), Art(51), Art(52)),
    basis=R,
    channel=Channel.CENTRAL_AUTHORITY,
    channel_art=Art(50),
    channel_basis=INF,
    urgent=False,
    contents=(
        _requesting_authority(Art(50)),
        _inferred(
            "subject_and_nature",
            "subject matter and nature of the proceeding",
            Art(50),
            "Art. 40(15)(b)",
        ),
        _summary_of_facts(Art(50)),
        _inferred(
            "measure_sought",
            "measure sought (one of: "
            + ", ".join(measure.value for measure in ConfiscationMeasure)
            + ")",
            Art(50),
            "Art. 40(15)(d)",
        ),
        _inferred(
            "property",
            "description of the property, its location and, where known, its value",
            Art(50),
            "UNTOC 13(3)(a) [UNTOC-V]",
        ),
        RequiredContent(
            "confiscation_order",
            "legally admissible copy of the confiscation order",
            Art(50),
            INF,
            CONDITIONAL,
            FOREIGN_ORDER_CONDITION,
            note="Inferred from UNTOC 13(3)(b) [UNTOC-V].",
        ),
    ),
    refusal_grounds=tuple(
        RefusalGround(ground.code, ground.description, Art(50), INF, f"As {ground.art}, applied.")
        for ground in MLA_REFUSAL_GROUNDS
    ),
    excluded_grounds=tuple(
        RefusalGround(ground.code, ground.description, Art(50), INF, f"As {ground.art}, applied.")
        for ground in MLA_EXCLUDED_GROUNDS
    ),
    refusal_reasons=_own_reasons(Art(50)),
    periods=(),
    dual_criminality=DualCriminality(
        DualCriminalityRule.MAY_BE_REQUIRED,
        Art(50),
        INF,
        "The mutual legal assistance rules apply to confiscation requests (UNTOC 13(3) model). "
        + CONDUCT_TEST_NOTE,
    ),
    related=(RelatedKind(K.MLA, Relation.ARISES_FROM, Art(40, 3, "j"), R),),
    note="The requested State gives priority to returning confiscated property so that "
    "victims are compensated (Art. 52). States may have to give the Secretary-General copies "
    "of their confiscation laws (inferred; see notifications).",
)

KINDS = KindRegistry(
    (
        MLA,
        PRESERVATION,
        TRAFFIC_DISCLOSURE,
        STORED_DATA_ACCESS,
        REAL_TIME_TRAFFIC,
        INTERCEPTION,
        EXTRADITION,
        SENTENCED_PERSON_TRANSFER,
        PROCEEDINGS_TRANSFER,
        SPONTANEOUS_INFORMATION,
        LAW_ENFORCEMENT_COOPERATION,
        JOINT_INVESTIGATION,
        CONFISCATION,
    )
)
