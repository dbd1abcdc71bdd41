"""Two national nodes (Austria, South Africa) with a seeded history and a secretariat node, for
the tests of the secretariat's service, API and page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from hanoix.services import statistics
from tests.federation.builders import Network, Router, make_network, worker_for
from tests.statistics.history import seed

YEAR = statistics.Options(start=date(2026, 1, 1), end=date(2026, 12, 31))
SEC = "sec.hanoix.test"


def secretariat_network(tmp_path: Path) -> Network:
    network = make_network(tmp_path, ["aut", "vnm", "sec"], states=("AUT", "ZAF", "UNO"))
    secretary = network["sec"].node
    secretary.settings = secretary.settings.model_copy(update={"role": "secretariat"})
    for name, state in (("aut", "AUT"), ("vnm", "ZAF")):
        with network[name].node.unit_of_work() as session:
            seed(session, state)
    return network


def deliver(net: Network, *names: str) -> None:
    router = Router(net)
    for name in names:
        worker_for(net[name], router).drain()


def report_withdraw_and_reissue(net: Network) -> None:
    """Both States report the year; Austria withdraws, then reissues with epsilon 1."""
    from hanoix.services import secretariat

    for name in ("aut", "vnm"):
        secretariat.send_report(net[name].node, YEAR, SEC)
    deliver(net, "aut", "vnm")
    secretariat.withdraw_report(net["aut"].node, YEAR.start, YEAR.end, SEC)
    secretariat.send_report(net["aut"].node, statistics.Options(YEAR.start, YEAR.end, 5, 1.0), SEC)
    deliver(net, "aut")
