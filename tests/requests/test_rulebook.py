"""The rulebook (hanoix.requests.rulebook): what the lifecycle asks of the Convention, held
against answers written out by hand from ../shared/convention/FACTS.md (each article below is
the paragraph that file gives, with the basis it gives; the convention module carries them)."""

from __future__ import annotations

import pytest

from hanoix.convention import RequestKind, checks
from hanoix.convention.refs import Art
from hanoix.errors import Problem
from hanoix.requests import rulebook

K = RequestKind

#: kind → (the paragraph listing its grounds of refusal, the rule that a refusal gives reasons).
#: MLA and its forms: Art. 40(21) grounds, 40(24) reasons (UNTOC 18(21) and 18(23), shifted by
#: the persecution clause, recalled); preservation 42(6) (recalled, contested: FACTS §5); the
#: others cite the article that is their legal basis, which has no paragraph of grounds.
REFUSAL = {
    K.MLA: (Art(40, 21), Art(40, 24)),
    K.STORED_DATA_ACCESS: (Art(40, 21), Art(40, 24)),
    K.REAL_TIME_TRAFFIC: (Art(40, 21), Art(40, 24)),
    K.INTERCEPTION: (Art(40, 21), Art(40, 24)),
    K.PRESERVATION: (Art(42, 6), Art(40, 24)),
    K.TRAFFIC_DISCLOSURE: (Art(43), Art(43)),
    K.EXTRADITION: (Art(37, 1), Art(37)),
    K.SENTENCED_PERSON_TRANSFER: (Art(38), Art(38)),
    K.PROCEEDINGS_TRANSFER: (Art(39), Art(39)),
    K.SPONTANEOUS_INFORMATION: (Art(40, 4), Art(40, 4)),
    K.LAW_ENFORCEMENT_COOPERATION: (Art(47), Art(47)),
    K.JOINT_INVESTIGATION: (Art(48), Art(48)),
    K.CONFISCATION: (Art(50), Art(50)),
}


def test_every_kind_has_its_refusal_paragraphs_written_out() -> None:
    assert set(REFUSAL) == set(RequestKind)


@pytest.mark.parametrize("kind", list(RequestKind), ids=lambda k: k.value)
def test_each_kind_is_refused_under_its_paragraph_and_with_reasons_under_its_rule(
    kind: RequestKind,
) -> None:
    grounds, reasons = REFUSAL[kind]
    assert rulebook.refusal_article(kind) == grounds
    assert rulebook.reasons_article(kind) == reasons


def test_the_minimum_preservation_is_sixty_days_under_art_42_8_whatever_the_kind() -> None:
    # A kind with no period of its own (an MLA request) takes the preservation's.
    for kind in (K.PRESERVATION, K.MLA, K.TRAFFIC_DISCLOSURE):
        assert rulebook.preservation_minimum_days(kind) == 60
        assert rulebook.preservation_period_article(kind) == Art(42, 8)
    assert rulebook.preservation_minimum_days() == 60


def test_what_follows_a_preservation_by_default_and_what_has_no_follow_up() -> None:
    assert rulebook.default_follow_up_kind() is K.STORED_DATA_ACCESS
    assert rulebook.default_follow_up_kind(K.PRESERVATION) is K.STORED_DATA_ACCESS
    assert rulebook.default_follow_up_kind(K.SPONTANEOUS_INFORMATION) is K.MLA
    with pytest.raises(
        LookupError, match=r"^the convention module declares no follow-up for extradition$"
    ):
        rulebook.default_follow_up_kind(K.EXTRADITION)


def test_a_content_another_kind_has_is_named_with_the_kinds_contents_and_basis() -> None:
    names = [checks.PURPOSES_FIELD, checks.MEASURE_FIELD, "summary_of_facts", "bank_account"]
    contents = (
        "confidentiality, custodian_or_location, data_to_preserve, intent_to_request_mla, "
        "necessity, offence, relationship_to_offence, requesting_authority, summary_of_facts"
    )
    # The purposes and the measure sought are known to every kind; an own content is known.
    assert rulebook.unknown_contents(K.PRESERVATION, names) == [
        Problem(
            f"a 'preservation' request has no content 'bank_account'; its contents are: {contents}",
            field="contents.bank_account",
            article="Art. 42",
        )
    ]
