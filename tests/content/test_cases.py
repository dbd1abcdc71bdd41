"""The rules of removal cases and of matching, as pure functions."""

from __future__ import annotations

import pytest

from hanoix.content.cases import (
    CaseArticle,
    Consent,
    HashEntry,
    MatchPolicy,
    authority_of_case_worker,
    case_number,
    case_reference,
    check_matcher,
    entries_of,
    match,
    new_case,
)
from hanoix.content.signals import hash_content
from hanoix.errors import InputError, PermissionDeniedError
from hanoix.requests import Authority, AuthorityKind, Role, User
from tests.content.images import encode, flat, scene

AUT = Authority("AUT-CA", "AUT", AuthorityKind.CENTRAL_AUTHORITY)


def test_an_art_16_case_needs_the_victims_consent_to_hashing() -> None:
    with pytest.raises(InputError) as refused:
        new_case(16, "victim-7f3a", ["none"])
    assert any(p.article == "Art. 16" for p in refused.value.problems)
    case = new_case(16, "victim-7f3a", ["hash", "share"])
    assert case.article is CaseArticle.NON_CONSENSUAL_INTIMATE_IMAGES
    assert case.consent == {Consent.HASH, Consent.SHARE}


def test_an_art_14_case_may_be_opened_without_consent() -> None:
    assert new_case(14, "child-0001", ["none"]).consent == frozenset()


@pytest.mark.parametrize("ref", ["Jane Doe", "jane@example.org", "x", "a" * 65, ""])
def test_the_victim_reference_must_be_a_pseudonym(ref: str) -> None:
    with pytest.raises(InputError) as refused:
        new_case(16, ref, ["hash"])
    assert [p.field for p in refused.value.problems] == ["victim_ref"]
    assert refused.value.problems[0].article == "Art. 36"


def test_every_problem_of_a_case_is_reported_at_once() -> None:
    with pytest.raises(InputError) as refused:
        new_case(15, "Jane Doe", ["maybe"])
    assert {p.field for p in refused.value.problems} == {"article", "victim_ref", "consent"}


def test_case_references_round_trip_and_others_are_refused() -> None:
    assert case_reference(12) == "RC-000012"
    assert case_number("RC-000012") == 12
    with pytest.raises(InputError):
        case_number("AUT-2026-0001")


def test_only_case_workers_of_an_authority_may_work_cases_and_auditors_only_match() -> None:
    assert authority_of_case_worker(User("d", AUT, frozenset({Role.DRAFTER}))) == "AUT-CA"
    auditor = User("a", AUT, frozenset({Role.AUDITOR}))
    with pytest.raises(PermissionDeniedError):
        authority_of_case_worker(auditor)
    check_matcher(auditor)
    with pytest.raises(PermissionDeniedError):
        check_matcher(User("admin", None, frozenset({Role.ADMINISTRATOR})))


def test_a_low_quality_pdq_hash_is_not_listed_and_the_reason_is_given() -> None:
    entries, note = entries_of("RC-000001", "local", hash_content(encode(flat())), MatchPolicy())
    assert [e.signal for e in entries] == ["sha256", "md5"]
    assert note is not None and "below 50" in note


def test_matches_are_exact_or_within_the_pdq_distance_and_the_policy_is_configurable() -> None:
    hashed = hash_content(encode(scene()))
    assert hashed.pdq is not None
    listed = HashEntry("RC-000001", "local", "pdq", hashed.pdq.value, hashed.pdq.quality)
    exact = HashEntry("RC-000002", "local", "sha256", hashed.sha256)
    found = match("f", hashed, [exact], [listed], MatchPolicy())
    assert [(m.case, m.signal, m.distance) for m in found.matches] == [
        ("RC-000001", "pdq", 0),
        ("RC-000002", "sha256", 0),
    ]
    far = "".join("f" if c == "0" else "0" for c in hashed.pdq.value[:8]) + hashed.pdq.value[8:]
    moved = HashEntry("RC-000003", "local", "pdq", far, 100)
    assert not match("f", hashed, [], [moved], MatchPolicy(pdq_distance=3)).matched
    with pytest.raises(InputError):
        MatchPolicy(pdq_distance=300)


def test_distances_computed_at_once_equal_those_computed_one_by_one() -> None:
    import random

    from hanoix.content.cases import pdq_distance, pdq_distances

    hashed = hash_content(encode(scene()))
    assert hashed.pdq is not None
    rng = random.Random(5)
    listed = [
        HashEntry("RC-000001", "local", "pdq", f"{rng.getrandbits(256):064x}", 100)
        for _ in range(50)
    ]
    listed.append(HashEntry("RC-000002", "local", "pdq", hashed.pdq.variants[3], 100))
    # An entry with cropped windows is as near as the nearest of its hashes.
    crops = tuple(f"{rng.getrandbits(256):064x}" for _ in range(3))
    listed.append(
        HashEntry("RC-000003", "local", "pdq", crops[0], 100, crops=(*crops[1:], hashed.pdq.value))
    )
    together = pdq_distances(hashed, listed)
    assert together == [pdq_distance(hashed, entry) for entry in listed]
    assert together[-2:] == [0, 0]
    assert pdq_distances(hashed, []) == []
