"""The metrics move with the demo's case: three real node processes, scraped over HTTP by an
auditor's token before and after the case is played (docs/monitoring.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from hanoix.demo import Demo

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def _scrape(demo: Demo, code: str) -> Samples:
    text = demo.call(code, "auditor", "GET", "/metrics").text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= set(ls))


@pytest.mark.slow
def test_the_metrics_move_with_the_demos_case(tmp_path: Path) -> None:
    demo = Demo(tmp_path / "demo")
    try:
        demo.setup()
        before = {code: _scrape(demo, code) for code in ("AUT", "VNM", "ZAF")}
        assert demo.play(), [r.as_dict() for r in demo.results if not r.ok]
        after = {code: _scrape(demo, code) for code in ("AUT", "VNM", "ZAF")}
    finally:
        demo.stop()
    aut, vnm, zaf = after["AUT"], after["VNM"], after["ZAF"]
    vnm_origin = demo.nodes["VNM"].origin
    for code in ("AUT", "VNM", "ZAF"):
        assert _total(after[code], "hanoix_database_up") == 1
        assert _total(before[code], "hanoix_requests") == 0
    # Austria asked twice (preservation, then an MLA request for the stored data); Viet Nam
    # was asked twice.
    assert _total(aut, "hanoix_requests", side="requesting") == 2
    assert _total(aut, "hanoix_requests", kind="preservation", status="executed") == 1
    assert _total(aut, "hanoix_requests", kind="stored-data-access", status="closed") == 1
    assert _total(vnm, "hanoix_requests", side="requested") == 2
    assert _total(zaf, "hanoix_requests") == 0
    # The package went from Viet Nam to Austria, verified on arrival.
    assert _total(vnm, "hanoix_evidence_bytes_total", direction="out") > 0
    assert _total(aut, "hanoix_evidence_bytes_total", direction="in") == _total(
        vnm, "hanoix_evidence_bytes_total", direction="out"
    )
    for code in ("AUT", "VNM"):
        assert _total(after[code], "hanoix_ledger_entries") > _total(
            before[code], "hanoix_ledger_entries"
        )
    assert _total(aut, "hanoix_outbox_last_delivery_timestamp_seconds", peer=vnm_origin) > 0
    assert _total(aut, "hanoix_outbox_pending") == 0
    assert _total(aut, "hanoix_login_failures_total") == 0
