"""``hanoix retention``: the policy in force, a dry run and a run, and bad settings refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.services.node import Node


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    Node.open(load_settings(home, environ={})).initialise()
    return home


def test_policy_shows_the_defaults_and_the_node_s_setting(
    cli: Any, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANOIX_RETENTION", "sessions=30")
    shown = cli("--home", home, "retention", "policy", "--json")
    assert shown.exit_code == 0, shown.stderr
    days = {row["category"]: row["days"] for row in shown.json()}
    assert days == {
        "personal-data": 365,
        "request-contents": 1825,
        "inbox-payloads": 30,
        "opened-evidence": 7,
        "sessions": 30,
        "access-records": 2190,
    }
    assert {row["article"] for row in shown.json()} == {"Art. 36(2)"}


def test_run_on_an_empty_node_erases_nothing(cli: Any, home: Path) -> None:
    dry = cli("--home", home, "retention", "run", "--dry-run", "--json")
    assert dry.exit_code == 0, dry.stderr
    assert dry.json()["dry_run"] is True and dry.json()["due"] == []
    done = cli("--home", home, "retention", "run")
    assert done.exit_code == 0 and "0 item(s) erased" in done.stderr


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("contents=3", "unknown category 'contents'"),
        ("personal-data=-5", "cannot be negative"),
        ("sessions", "is not CATEGORY=DAYS"),
    ],
)
def test_a_bad_retention_setting_is_a_usage_error(
    cli: Any, home: Path, monkeypatch: pytest.MonkeyPatch, setting: str, said: str
) -> None:
    monkeypatch.setenv("HANOIX_RETENTION", setting)
    refused = cli("--home", home, "retention", "run", "--dry-run")
    assert refused.exit_code == 2
    assert said in refused.stderr and "Traceback" not in refused.stderr


def test_request_show_names_what_was_erased_and_when(
    cli: Any, node: Node, clock: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import timedelta

    from hanoix.services import retention
    from tests.services.requests_world import outgoing, populate

    populate(node)
    request = outgoing(node, "withdrawn", proceeding="Erika Mustermann")
    clock.advance(timedelta(days=366))
    retention.run(node)
    monkeypatch.setenv("HANOIX_DATABASE_URL", db_url)
    home = node.settings.home
    shown = cli("--home", home, "request", "show", request.reference, "--as", "editor")
    assert shown.exit_code == 0, shown.stderr
    assert "personal-data erased on 2027-11-24 under rule personal-data:365d" in shown.stderr
    as_json = cli("--home", home, "request", "show", request.reference, "--as", "editor", "--json")
    (erasure,) = as_json.json()["erasures"]
    assert erasure["category"] == "personal-data" and as_json.json()["proceeding"] == ""
    history = cli("--home", home, "request", "history", request.reference, "--as", "editor")
    assert history.exit_code == 0, history.stderr
    assert "personal-data erased on 2027-11-24 under rule personal-data:365d" in history.stderr
    assert f"{request.reference}: {len(request.history)} steps" in history.stderr


def test_nothing_a_run_writes_carries_the_personal_data_it_erased(
    cli: Any, node: Node, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.services.requests_world import outgoing, populate

    secret = "Ludmila Petrova, passport 7701234567"
    populate(node)
    request = outgoing(node, "withdrawn", proceeding=secret)
    monkeypatch.setenv("HANOIX_LOG_JSON", "1")
    monkeypatch.setenv("HANOIX_LOG_LEVEL", "debug")
    monkeypatch.setenv("HANOIX_DATABASE_URL", db_url)
    monkeypatch.setenv("HANOIX_RETENTION", "personal-data=0,request-contents=0")
    home = node.settings.home
    written = [
        cli("--home", home, "retention", "run", "--json"),
        cli("--home", home, "retention", "run", "--dry-run"),
        cli("--home", home, "ledger", "export", "--json"),
        cli("--home", home, "request", "show", request.reference, "--as", "editor", "--json"),
        cli("--home", home, "request", "history", request.reference, "--as", "editor", "--json"),
    ]
    assert all(w.exit_code == 0 for w in written), [w.stderr for w in written]
    assert written[0].json()["erased"] == 2
    assert "retention.run" in written[0].stderr  # the log line was written, and searched
    for output in written:
        assert "Petrova" not in output.stdout + output.stderr
        assert "7701234567" not in output.stdout + output.stderr


def test_personal_data_find_for_the_officer_and_a_clear_refusal_otherwise(
    cli: Any, node: Node, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.services.requests_world import add_people, outgoing, populate

    populate(node)
    add_people(node, (), {"dpo": ({"data_protection_officer"}, "AUT-CA")})
    request = outgoing(node, "sent", proceeding="against Ludmila Petrova")
    monkeypatch.setenv("HANOIX_DATABASE_URL", db_url)
    home = node.settings.home
    found = cli("--home", home, "personal-data", "find", "petrova", "--as", "dpo", "--json")
    assert found.exit_code == 0, found.stderr
    (place,) = found.json()["places"]
    assert place["subject"] == str(request.reference)
    shown = cli("--home", home, "personal-data", "find", "petrova", "--as", "dpo")
    assert f"request {request.reference}: terms.proceeding, " in shown.stderr
    short = cli("--home", home, "personal-data", "find", "pe", "--as", "dpo")
    assert short.exit_code == 2 and "too short to search safely" in short.stderr
    refused = cli("--home", home, "personal-data", "find", "petrova", "--as", "auditor")
    assert refused.exit_code != 0 and "data_protection_officer" in refused.stderr
    assert "Traceback" not in short.stderr + refused.stderr
