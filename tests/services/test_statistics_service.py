"""A node's statistics report, signed with its federation key and verified against the
directory by another node: a valid report, an altered one, a foreign signer, an empty period,
bad periods and epsilons."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import date

import pytest

from hanoix.errors import FileFormatError, InputError, VerificationError
from hanoix.evidence import keys
from hanoix.federation.statistics import sign_report
from hanoix.services import statistics
from hanoix.statistics import cell
from tests.federation.builders import Network, make_network
from tests.statistics.history import seed

YEAR = statistics.Options(start=date(2026, 1, 1), end=date(2026, 12, 31))


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Network]:
    # One network for the module: the tests only read (making a report writes nothing).
    network = make_network(tmp_path_factory.mktemp("statistics"), ["aut", "vnm"])
    with network["aut"].node.unit_of_work() as session:
        seed(session)
    yield network
    network.close()


def test_a_signed_report_verifies_on_another_node_with_its_figures(net: Network) -> None:
    body, signed = statistics.signed_report(net["aut"].node, YEAR)
    verified = statistics.verify(net["vnm"].node, signed)
    assert (verified.origin, verified.state) == ("aut.hanoix.test", "AUT")
    assert verified.report == json.loads(signed)["report"] == body
    assert cell(body, "outcomes_received", "preservation", "executed") == "x"
    assert cell(body, "preservations", "lapsed", "received") == "<5"
    assert [t["total"] for t in body["tables"]] == [10, 11, 21, "<5", 8, 8, 7]
    # The one refusal by a State is withheld, and the six removals with it: the only other
    # count, which the total (7) would otherwise give it away by.
    assert cell(body, "content_notices", "refused", "state") == "<5"
    assert cell(body, "content_notices", "removed", "provider") == "x"


def test_an_altered_report_fails_at_the_signature(net: Network) -> None:
    _, signed = statistics.signed_report(net["aut"].node, YEAR)
    document = json.loads(signed)
    document["report"]["tables"][0]["total"] = 11
    with pytest.raises(VerificationError, match=r"step 3: .* altered"):
        statistics.verify(net["vnm"].node, json.dumps(document).encode())


def test_a_report_signed_by_a_node_the_directory_does_not_list_is_foreign(net: Network) -> None:
    body = statistics.make_report(net["aut"].node, YEAR)
    stranger, _ = keys.generate("zzz.hanoix.test", "ZZZ")
    foreign = sign_report({**body, "origin": "zzz.hanoix.test"}, "zzz.hanoix.test", stranger)
    with pytest.raises(VerificationError, match=r"step 2: .*does not list.*foreign"):
        statistics.verify(net["vnm"].node, foreign)
    # The node's name with a key the directory does not list for it: refused too.
    forged = sign_report(body, "aut.hanoix.test", stranger)
    with pytest.raises(VerificationError, match=r"step 2: signed with key .* not list"):
        statistics.verify(net["vnm"].node, forged)


def test_a_report_claiming_another_state_than_its_signer_s_is_refused(net: Network) -> None:
    body = statistics.make_report(net["aut"].node, YEAR)
    body["state"] = "VNM"
    signed = statistics.sign(net["aut"].node, body)
    with pytest.raises(VerificationError, match="step 2: the report says"):
        statistics.verify(net["vnm"].node, signed)


def test_an_empty_period_is_still_a_signed_report(net: Network) -> None:
    empty = statistics.Options(start=date(2024, 1, 1), end=date(2024, 3, 31))
    body, signed = statistics.signed_report(net["aut"].node, empty)
    assert all(t["total"] == 0 for t in body["tables"])
    assert statistics.verify(net["vnm"].node, signed).report["period"]["to"] == "2024-03-31"


def test_what_is_not_a_signed_report_is_an_input_error(net: Network) -> None:
    with pytest.raises(FileFormatError, match="step 1"):
        statistics.verify(net["vnm"].node, b'{"format": "something else"}')
    with pytest.raises(FileFormatError, match="step 1"):
        statistics.verify(net["vnm"].node, b"\xff not json")


def test_bad_periods_and_epsilons_are_refused_before_anything_is_read(net: Network) -> None:
    node = net["aut"].node
    with pytest.raises(InputError, match="before it starts"):
        statistics.make_report(node, statistics.Options(date(2026, 2, 1), date(2026, 1, 1)))
    with pytest.raises(InputError, match="epsilon must be"):
        statistics.make_report(node, replace(YEAR, epsilon=0))
    with pytest.raises(InputError, match="YYYY-MM-DD"):
        statistics.parse_day("31/12/2026", "--to")


def test_sign_report_names_the_key_the_directory_lists(net: Network) -> None:
    node = net["aut"].node
    with node.unit_of_work() as session:
        identity = node.federation.identity(session)
    signed = sign_report({"origin": "aut.hanoix.test", "state": "AUT"}, identity.origin,
                         identity.signing_key(None, node.clock.now()))  # fmt: skip
    assert (
        statistics.verify(net["vnm"].node, signed).key_id
        == json.loads(signed)["signature"]["key_id"]
    )
