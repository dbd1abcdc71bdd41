"""Two national nodes and a secretariat node in one test: each State sends its signed report
over federation, the secretariat verifies it and builds the global tables; a State withdraws
and reissues; a report signed by another node, or sent to a node that is no secretariat, is
refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hanoix.errors import ConfigurationError, NotFoundError
from hanoix.federation.errors import EnvelopeRejectedError
from hanoix.services import secretariat, statistics
from hanoix.services.federation import Message
from hanoix.statistics import table
from hanoix.statistics.render import global_to_html
from tests.federation.builders import Network
from tests.statistics.history import EMAIL, NAME
from tests.statistics.secretariat import SEC, YEAR, deliver, secretariat_network


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = secretariat_network(tmp_path)
    yield network
    network.close()


def test_two_states_report_and_the_secretariat_builds_the_global_tables(net: Network) -> None:
    for name in ("aut", "vnm"):
        secretariat.send_report(net[name].node, YEAR, SEC)
    deliver(net, "aut", "vnm")
    world = secretariat.global_report(net["sec"].node, YEAR.start, YEAR.end)
    assert world["states"] == ["AUT", "ZAF"]
    by_state = table(world, "by_state")
    assert [r["cells"][:2] for r in by_state["rows"]] == [[10, 11], [10, 11]]
    # Each State published 6 executed MLA requests sent ("x" in each report: a complement),
    # so the world knows a lower bound only; preservations received by fate are exact sums.
    preservations = table(world, "preservations")
    assert preservations["rows"][0] == {"label": "followed_up_in_time", "cells": [0, ">=2"]}
    received_open = next(r for r in preservations["rows"] if r["label"] == "open")
    assert received_open["cells"] == [">=2", ">=2"]
    assert NAME not in json.dumps(world) and EMAIL not in json.dumps(world)
    page = global_to_html(world)
    assert page.count("<svg") == 1 and "&gt;=2" in page and "<script" not in page
    counterparts = table(world, "counterparts")
    assert {r["label"] for r in counterparts["rows"]} == {"VNM", "ZAF"}

    # Austria withdraws: only South Africa counts; then Austria reissues, noised by State.
    secretariat.withdraw_report(net["aut"].node, YEAR.start, YEAR.end, SEC)
    deliver(net, "aut")
    assert secretariat.global_report(net["sec"].node, YEAR.start, YEAR.end)["states"] == ["ZAF"]
    reissued = statistics.Options(YEAR.start, YEAR.end, epsilon=1.0)
    secretariat.send_report(net["aut"].node, reissued, SEC)
    deliver(net, "aut")
    world = secretariat.global_report(net["sec"].node, YEAR.start, YEAR.end)
    assert world["states"] == ["AUT", "ZAF"]
    assert [r["cells"][2] for r in table(world, "by_state")["rows"]] == [True, False]


def test_the_secretariat_refuses_a_report_another_node_signed(net: Network) -> None:
    _, signed = statistics.signed_report(net["aut"].node, YEAR)
    with net["vnm"].node.unit_of_work() as session:
        sealed = net["vnm"].federation.enqueue(
            session,
            Message(SEC, secretariat.STATISTICS_REPORT, {"report": json.loads(signed)}),
        )
    with pytest.raises(EnvelopeRejectedError, match="not by the node that sent it"):
        net["sec"].federation.process_inbound(sealed.data)
    with pytest.raises(NotFoundError, match="no State has sent"):
        secretariat.global_report(net["sec"].node, YEAR.start, YEAR.end)


def test_a_national_node_takes_no_reports_and_builds_no_global_tables(net: Network) -> None:
    _, signed = statistics.signed_report(net["aut"].node, YEAR)
    with net["aut"].node.unit_of_work() as session:
        sealed = net["aut"].federation.enqueue(
            session,
            Message(
                "vnm.hanoix.test", secretariat.STATISTICS_REPORT, {"report": json.loads(signed)}
            ),
        )
    with pytest.raises(EnvelopeRejectedError, match="not a secretariat"):
        net["vnm"].federation.process_inbound(sealed.data)
    with pytest.raises(ConfigurationError, match="not a secretariat"):
        secretariat.global_report(net["vnm"].node, YEAR.start, YEAR.end)


def test_the_view_lists_each_report_with_its_status_and_protection(net: Network) -> None:
    for name in ("aut", "vnm"):
        secretariat.send_report(net[name].node, YEAR, SEC)
    deliver(net, "aut", "vnm")
    secretariat.withdraw_report(net["aut"].node, YEAR.start, YEAR.end, SEC)
    secretariat.send_report(net["aut"].node, statistics.Options(YEAR.start, YEAR.end, 10), SEC)
    secretariat.send_report(net["vnm"].node, statistics.Options(YEAR.start, YEAR.end, 7), SEC)
    secretariat.send_report(net["vnm"].node, statistics.Options(YEAR.start, YEAR.end, 8, 1.0), SEC)
    deliver(net, "aut", "vnm")
    view = secretariat.global_view(net["sec"].node, YEAR.start, YEAR.end)
    seen = [(r["state"], r["status"], r["threshold"], r["epsilon"]) for r in view["reports"]]
    assert sorted(seen) == [
        ("AUT", "reissued", 10, None),
        ("AUT", "withdrawn", 5, None),
        ("ZAF", "reissued", 8, 1.0),
        ("ZAF", "replaced", 5, None),
        ("ZAF", "replaced", 7, None),
    ]
    assert view["states"] == ["AUT", "ZAF"]
    assert secretariat.received_periods(net["sec"].node) == [("2026-01-01", "2026-12-31")]
    with pytest.raises(NotFoundError, match="not a secretariat"):
        secretariat.global_view(net["aut"].node, YEAR.start, YEAR.end)
