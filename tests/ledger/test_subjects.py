"""Request references in custody entries as keyed hashes: known answers, and what is hidden.

The expected pseudonyms were computed outside Python, with OpenSSL:

    KEY=000102...1f   # the node key below
    RK=$( (printf 'hanoix ledger request key v1\\0'; printf 'AUT-2026-0001') |
          openssl dgst -sha256 -mac HMAC -macopt hexkey:$KEY)
    printf 'AUT-2026-0001' | openssl dgst -sha256 -mac HMAC -macopt hexkey:$RK

(the same OpenSSL gives RFC 4231's test case 2, 5bdcc146...3843, for key "Jefe").
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hanoix.errors import InputError
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.subjects import (
    conceal,
    is_pseudonym,
    pseudonym,
    pseudonym_with,
    request_key,
    ties,
)

NODE_KEY = bytes(range(32))
AUT_KEY = bytes.fromhex("fe3a1c1c5d625a6348bebaa1fa9e4b8c25c37b6cd8c499f4b9abd8bd7baf39ea")
AUT = "hmac-sha256:9c21e8bacf18d369234f586119cc267bdd5f2d242ad548e6d9fc800eb2080c2c"
VNM_KEY = bytes.fromhex("8df3b84109ad92e594e96d87f985a9b34bf4aab05a4b6b78acefc7a2bf08a7ca")
VNM = "hmac-sha256:d959c52be9dd1a3ba41b3686f0ca2a6e17ee7515a01c2b4047923e6f7b4cc034"
# "AUT-Ä", the reference as UTF-8 (c3 84).
UMLAUT_KEY = bytes.fromhex("2beecfaf8c33b82a4927d847efffaa7b69e56d4e4effb1b27aefaacba6e24a06")
UMLAUT = "hmac-sha256:d7418d150b1a149e272126442b7aaf1a8c4342cfd6ace7a43bb87965a1d1f620"
AT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _event(subject: dict[str, str], details: dict[str, object] | None = None) -> CustodyEvent:
    return CustodyEvent(
        EventKind.REQUEST_SENT, "drafter:a", "AUT-BMJ", AT, subject, dict(details or {})
    )


def test_a_request_key_is_the_hmac_of_the_label_and_the_reference_under_the_node_key() -> None:
    assert request_key(NODE_KEY, "AUT-2026-0001") == AUT_KEY
    assert request_key(NODE_KEY, "VNM-2026-0007") == VNM_KEY
    assert request_key(NODE_KEY, "AUT-Ä") == UMLAUT_KEY


def test_a_pseudonym_is_the_hmac_of_the_reference_under_its_request_key() -> None:
    assert pseudonym_with(AUT_KEY, "AUT-2026-0001") == AUT
    assert pseudonym(NODE_KEY, "AUT-2026-0001") == AUT
    assert pseudonym(NODE_KEY, "VNM-2026-0007") == VNM
    assert pseudonym(NODE_KEY, "AUT-Ä") == UMLAUT
    assert pseudonym_with(UMLAUT_KEY, "AUT-Ä") == UMLAUT


@pytest.mark.parametrize("size", [0, 16, 31, 33, 64])
def test_a_node_key_of_any_other_size_than_32_bytes_is_refused(size: int) -> None:
    with pytest.raises(InputError) as caught:
        request_key(bytes(size), "AUT-2026-0001")
    assert caught.value.message == f"the ledger's subject key is 32 bytes, not {size}"
    with pytest.raises(InputError, match=f"^the ledger's subject key is 32 bytes, not {size}$"):
        pseudonym(bytes(size), "AUT-2026-0001")


def test_a_pseudonym_is_told_by_its_prefix() -> None:
    assert is_pseudonym(AUT)
    assert is_pseudonym("hmac-sha256:")
    assert not is_pseudonym("AUT-2026-0001")
    assert not is_pseudonym("HMAC-SHA256:" + AUT[len("hmac-sha256:") :])
    assert not is_pseudonym(" " + AUT)


def test_a_disclosed_key_ties_an_entry_to_its_request_and_to_no_other() -> None:
    assert ties(AUT, "AUT-2026-0001", AUT_KEY)
    assert not ties(AUT, "AUT-2026-0002", AUT_KEY)
    assert not ties(AUT, "VNM-2026-0007", VNM_KEY)
    assert not ties(VNM, "AUT-2026-0001", AUT_KEY)
    assert not ties("AUT-2026-0001", "AUT-2026-0001", AUT_KEY)


def test_conceal_replaces_the_request_subject_and_keeps_the_rest() -> None:
    event = _event({"request": "AUT-2026-0001", "package": "sha256:" + "ab" * 32})
    hidden = conceal(event, NODE_KEY)
    assert hidden.subject == {"request": AUT, "package": "sha256:" + "ab" * 32}
    assert hidden.details == {}
    assert (hidden.kind, hidden.actor, hidden.authority, hidden.at) == (
        EventKind.REQUEST_SENT,
        "drafter:a",
        "AUT-BMJ",
        AT,
    )
    # The event given is not changed.
    assert event.subject["request"] == "AUT-2026-0001"


def test_conceal_replaces_every_member_of_the_details_that_names_a_request() -> None:
    details = {
        "request": "AUT-2026-0001",
        "follows_up": "VNM-2026-0007",
        "follow_up": "AUT-Ä",
        "step": "send",
        "chunks": 12,
    }
    hidden = conceal(_event({"package": "sha256:" + "cd" * 32}, details), NODE_KEY)
    assert hidden.subject == {"package": "sha256:" + "cd" * 32}
    assert hidden.details == {
        "request": AUT,
        "follows_up": VNM,
        "follow_up": UMLAUT,
        "step": "send",
        "chunks": 12,
    }


def test_conceal_leaves_pseudonyms_empty_values_and_non_text_as_they_are() -> None:
    event = _event({"request": AUT}, {"follows_up": "", "follow_up": None, "request": VNM})
    assert conceal(event, NODE_KEY) == event
    # No request named at all: the same event comes back.
    plain = _event({"package": "sha256:" + "ef" * 32}, {"step": "seal"})
    assert conceal(plain, NODE_KEY) is plain


def test_conceal_hides_a_subject_even_when_the_details_hold_nothing_to_hide() -> None:
    event = _event({"request": "VNM-2026-0007"}, {"follows_up": VNM})
    hidden = conceal(event, NODE_KEY)
    assert hidden is not event
    assert hidden.subject == {"request": VNM}
    assert hidden.details == {"follows_up": VNM}


def test_conceal_hides_details_even_when_the_subject_holds_nothing_to_hide() -> None:
    event = _event({"request": AUT}, {"follow_up": "VNM-2026-0007"})
    hidden = conceal(event, NODE_KEY)
    assert hidden.subject == {"request": AUT}
    assert hidden.details == {"follow_up": VNM}


def test_conceal_refuses_a_node_key_of_the_wrong_size() -> None:
    with pytest.raises(InputError, match=r"^the ledger's subject key is 32 bytes, not 31$"):
        conceal(_event({"request": "AUT-2026-0001"}), bytes(31))
