"""``hanoix request``: the same use cases as the API, acting as a user of the node (--as or
HANOIX_USER); JSON on stdout; exit 0 yes, 1 no, 2 unusable input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hanoix.config import load_settings
from hanoix.convention import RequestKind, kind_spec
from hanoix.ledger.events import CustodyEvent
from hanoix.ledger.proofs import InclusionProof
from hanoix.requests import Action, ConditionsAttachment, KeepConfidential
from hanoix.services import requests as service
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from tests.documents.gaps import MLA_ONLY_KIND, NO_REQUESTING_STATE, findings, only_kind_gaps
from tests.services.requests_world import (
    FROM_VNM,
    PROCEEDING,
    document,
    incoming,
    outgoing,
    populate,
)


@pytest.fixture
def home(tmp_path: Path, db_url: str) -> Iterator[Path]:
    """A node's home on each database (SQLite, PostgreSQL), with the world's users."""
    path = tmp_path / "home"
    node = Node.open(load_settings(path, environ={}, database_url=db_url))
    node.initialise()
    populate(node)
    node.close()
    yield path


@pytest.fixture
def open_node(home: Path, db_url: str) -> Any:
    """The same node as the CLI's, opened in the test (close it)."""
    return lambda: Node.open(load_settings(home, environ={}, database_url=db_url))


@pytest.fixture
def run(cli: Any, home: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    # The CLI finds the database as an operator's shell would: HANOIX_DATABASE_URL.
    monkeypatch.setenv("HANOIX_DATABASE_URL", db_url)

    def call(*args: str) -> Any:
        return cli("--home", str(home), "request", *args)

    return call


def write(tmp_path: Path, body: Any, name: str = "request.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(body), encoding="utf-8")
    return path


def test_the_schema_of_a_kind_is_the_documented_input_format(run: Any) -> None:
    result = run("schema", "preservation")
    assert result.exit_code == 0
    schema = result.json()
    assert schema["properties"]["kind"]["const"] == "preservation"
    assert schema["$id"] == "urn:hanoix:request-document:1:preservation"
    contents = schema["properties"]["contents"]["properties"]
    assert {name: c["x-article"] for name, c in contents.items()}["custodian_or_location"] == str(
        kind_spec(RequestKind.PRESERVATION).content("custodian_or_location").art
    )
    unknown = run("schema", "warrant")
    assert unknown.exit_code == 2 and "mla, preservation" in unknown.stderr


def test_validate_answers_with_exit_codes_and_json(run: Any, tmp_path: Path) -> None:
    complete = write(tmp_path, document(requesting_state="AUT"))
    valid = run("validate", str(complete), "--json")
    assert valid.exit_code == 0, valid.stderr
    assert valid.json()["valid"] is True and valid.json()["kind"] == "mla"
    assert valid.json()["problems"] == []

    body = document(RequestKind.PRESERVATION, requesting_state="AUT")
    del body["contents"]["data_to_preserve"]
    incomplete = run("validate", str(write(tmp_path, body)), "--json")
    assert incomplete.exit_code == 1
    assert incomplete.json() == {
        "valid": False,
        "kind": "preservation",
        "problems": [
            {
                "field": "contents.data_to_preserve",
                "article": str(kind_spec(RequestKind.PRESERVATION).content("data_to_preserve").art),
                "basis": "recalled",
                "message": incomplete.json()["problems"][0]["message"],
            }
        ],
        "warnings": incomplete.json()["warnings"],
    }
    human = run("validate", str(write(tmp_path, body)))
    assert human.exit_code == 1 and "Art. 42(3)(c) contents.data_to_preserve" in human.stderr

    for overrides, field in (
        ({"kind": "warrant"}, "kind"),
        ({"suggested_deadline": "1 March 2027"}, "suggested_deadline"),
        ({"requested_state": "XXA"}, "requested_state"),
        ({"urgent": "yes"}, "urgent"),
    ):
        # A document that cannot be read as a request is unusable input (the API's 422).
        bad = run("validate", str(write(tmp_path, {**body, **overrides})), "--json")
        assert bad.exit_code == 2, (overrides, bad.stderr)
        assert bad.json()["valid"] is False
        assert field in [p["field"] for p in bad.json()["problems"]]
        assert f"{field}: " in bad.stderr and len(bad.stderr.splitlines()) == 1

    not_json = tmp_path / "broken.json"
    not_json.write_text("{kind: mla", encoding="utf-8")
    assert run("validate", str(not_json), "--json").exit_code == 2
    assert run("validate", str(tmp_path / "absent.json")).exit_code == 2
    # Without requesting_state the State of the acting user is taken; without either, usage.
    anonymous = write(tmp_path, document())
    assert run("validate", str(anonymous), "--as", "drafter").exit_code == 0
    assert run("validate", str(anonymous)).exit_code == 2


@pytest.mark.parametrize("kind", list(RequestKind), ids=str)
def test_validate_reports_envelope_and_contents_in_one_pass(
    run: Any, tmp_path: Path, kind: RequestKind
) -> None:
    # Issue 14, item 3: a document with only its kind used to show its envelope's problems
    # and hide its content gaps; every one comes in one answer, each with its article and basis.
    only_kind = write(tmp_path, {"kind": kind.value})
    answer = run("validate", str(only_kind), "--json")
    assert answer.exit_code == 2
    assert answer.json()["kind"] == kind.value
    problems = answer.json()["problems"]
    assert findings(problems) == only_kind_gaps(kind, requesting_state_known=False)
    assert len(problems) == len(findings(problems))  # each once
    if kind is RequestKind.MLA:
        assert findings(problems) == MLA_ONLY_KIND | {NO_REQUESTING_STATE}
    language = next(p for p in problems if p["field"] == "language")
    assert language["message"].startswith("missing: ISO 639-1 language of the request")
    # The human answer lists them all, each with its article and path.
    human = run("validate", str(only_kind))
    assert human.exit_code == 2
    for field, article, _ in only_kind_gaps(kind):
        assert (f"{article} {field}" if article else field) in human.stderr

    # Acting as a user gives the requesting State: it is then not a problem.
    as_user = run("validate", str(only_kind), "--as", "drafter", "--json")
    assert findings(as_user.json()["problems"]) == only_kind_gaps(kind)


def test_validate_lists_a_missing_requesting_state_with_the_content_gaps(
    run: Any, tmp_path: Path
) -> None:
    body = document(RequestKind.PRESERVATION)
    del body["contents"]["necessity"]
    no_state = run("validate", str(write(tmp_path, body)), "--json")
    assert no_state.exit_code == 2
    fields = [p["field"] for p in no_state.json()["problems"]]
    assert fields == ["requesting_state", "contents.necessity"]


def test_a_request_from_draft_to_sent_with_its_proved_history(
    run: Any, tmp_path: Path, open_node: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, document())
    created = run("new", "--kind", "mla", "--from-file", str(path), "--as", "drafter", "--json")
    assert created.exit_code == 0, created.stderr
    reference = created.json()["reference"]
    assert created.json()["validation"]["valid"] is True
    monkeypatch.setenv("HANOIX_USER", "drafter")
    assert run("submit", reference, "--json").exit_code == 0
    stale = run("approve", reference, "--as", "approver", "--if-version", "9")
    assert stale.exit_code == 2 and "version" in stale.stderr
    assert run("approve", reference, "--as", "approver", "--if-version", "2").exit_code == 0
    sent = run("send", reference, "--json")
    assert sent.exit_code == 0 and sent.json()["status"] == "sent"
    listed = run("list", "--status", "sent", "--json", "--as", "auditor")
    assert [i["reference"] for i in listed.json()["items"]] == [reference]
    history = run("history", reference, "--json", "--as", "auditor")
    assert history.exit_code == 0
    steps = history.json()["steps"]
    assert [s["action"] for s in steps] == ["create", "submit", "approve", "send"]
    node = open_node()
    try:
        verifier = CustodyLedger(node).verifier
    finally:
        node.close()
    for s in steps:
        InclusionProof.from_dict(s["proof"]).verify(
            verifier, entry=CustodyEvent.from_dict(s["event"]).canonical_bytes()
        )
    shown = run("show", reference, "--as", "vnm-clerk")
    assert shown.exit_code == 2 and f"request {reference} not found" in shown.stderr


def test_four_eyes_and_who_acts(run: Any, tmp_path: Path) -> None:
    path = write(tmp_path, document())
    reference = run(
        "new", "--kind", "mla", "--from-file", str(path), "--as", "both", "--json"
    ).json()["reference"]
    assert run("submit", reference, "--as", "both").exit_code == 0
    refused = run("approve", reference, "--as", "both")
    assert refused.exit_code == 1 and "four-eyes" in refused.stderr
    assert run("approve", reference).exit_code == 2  # nobody named
    assert run("approve", reference, "--as", "nobody").exit_code == 2
    assert run("new", "--kind", "mla", "--to", "VNM", "--as", "auditor").exit_code == 1
    empty = run("new", "--kind", "preservation", "--to", "VNM", "--as", "drafter", "--json")
    assert empty.exit_code == 0
    assert {p["field"] for p in empty.json()["validation"]["problems"]} >= {
        "contents.data_to_preserve"
    }
    assert run("new", "--kind", "warrant", "--to", "VNM", "--as", "drafter").exit_code == 2
    mismatch = run("new", "--kind", "preservation", "--from-file", str(path), "--as", "drafter")
    assert mismatch.exit_code == 2


def test_answering_refusing_and_postponing_on_the_requested_side(run: Any, open_node: Any) -> None:
    node = open_node()
    try:
        received = str(incoming(node, "received").reference)
        working = str(incoming(node, "in_execution").reference)
        acknowledged = str(incoming(node, "acknowledged").reference)
    finally:
        node.close()
    no_grounds = run("refuse", received, "--reasons", "", "--as", "approver")
    assert no_grounds.exit_code == 1
    assert "Art. 40" in no_grounds.stderr and "grounds" in no_grounds.stderr
    refused = run(
        "refuse",
        received,
        "--ground",
        "non-conformity",
        "--reasons",
        "unclear",
        "--as",
        "approver",
        "--json",
    )
    assert refused.exit_code == 0 and refused.json()["status"] == "refused"
    answered = run("answer", working, "--summary", "records sent", "--as", "examiner", "--json")
    assert answered.exit_code == 0 and answered.json()["status"] == "executed"
    bad_date = run(
        "postpone", acknowledged, "--until", "soon", "--reason", "trial", "--as", "approver"
    )
    assert bad_date.exit_code == 2
    postponed = run(
        "postpone",
        acknowledged,
        "--until",
        "2027-06-01",
        "--reason",
        "trial",
        "--as",
        "approver",
        "--json",
    )
    assert postponed.exit_code == 0 and postponed.json()["status"] == "postponed"
    deadlines = run("deadlines", "--as", "auditor", "--json")
    assert deadlines.exit_code == 0
    assert [d["kind"] for d in deadlines.json()] == ["postponed-until"]
    closed = run("close", received, "--as", "drafter")
    assert closed.exit_code == 1 and "requesting" in closed.stderr


def test_a_preservation_is_extended_and_followed_up_from_the_command_line(
    run: Any, open_node: Any, tmp_path: Path
) -> None:
    node = open_node()
    try:
        executed = incoming(node, "executed", kind=RequestKind.PRESERVATION)
        ours = outgoing(node, "executed", kind=RequestKind.PRESERVATION, author="drafter")
    finally:
        node.close()
    assert executed.preservation is not None
    received = str(executed.reference)
    extended = run(
        "extend-preservation", received, "--days", "30", "--reason", "trial", "--as", "drafter",
        "--json",
    )  # fmt: skip
    assert extended.exit_code == 0, extended.stderr
    assert extended.json()["preservation"]["extensions"] == [{"days": 30, "reason": "trial"}]
    assert extended.json()["preservation"]["total_days"] == executed.preservation.days + 30
    stale = run(
        "extend-preservation", received, "--days", "5", "--if-version", "1", "--as", "drafter"
    )
    assert stale.exit_code == 2 and "version" in stale.stderr
    assert run("extend-preservation", received, "--days", "0", "--as", "drafter").exit_code == 2
    # An examiner may not extend (the table's roles); the answer is no, not a usage error.
    assert run("extend-preservation", received, "--days", "5", "--as", "examiner").exit_code == 1

    preservation = str(ours.reference)
    followed = run("follow-up", preservation, "--as", "drafter", "--json")
    assert followed.exit_code == 0, followed.stderr
    mla = followed.json()
    assert mla["kind"] == "stored-data-access" and mla["status"] == "draft"
    assert mla["follows_up"] == preservation
    assert mla["validation"] is not None
    shown = run("show", preservation, "--as", "auditor", "--json").json()
    assert shown["follow_ups"] == [mla["reference"]]
    assert run("follow-up", preservation, "--kind", "warrant", "--as", "drafter").exit_code == 2
    not_contents = write(tmp_path, ["a", "list"], "contents.json")
    assert (
        run(
            "follow-up", preservation, "--from-file", str(not_contents), "--as", "drafter"
        ).exit_code
        == 2
    )
    assert run("follow-up", preservation, "--as", "auditor").exit_code == 1


def test_conditions_on_use_are_attached_checked_and_consented_from_the_command_line(
    run: Any, open_node: Any
) -> None:
    node = open_node()
    try:
        working = str(incoming(node, "in_execution").reference)
        received = outgoing(node, "executed", author="drafter")
        received = service.record_counterpart_step(
            node,
            str(received.reference),
            Action.ATTACH_CONDITIONS,
            FROM_VNM,
            at=node.clock.now(),
            payload=ConditionsAttachment((KeepConfidential(),)),
        )
    finally:
        node.close()
    # The requested side (this node executes Viet Nam's request) attaches conditions...
    attached = run(
        "attach-conditions", working, "--keep-confidential", "--delete-by", "2027-01-31",
        "--as", "approver", "--json",
    )  # fmt: skip
    assert attached.exit_code == 0, attached.stderr
    assert [c["type"] for c in attached.json()["conditions"]][-2:] == [
        "keep-confidential",
        "delete-by",
    ]
    assert run("attach-conditions", working, "--as", "approver").exit_code == 2
    bad_day = run("attach-conditions", working, "--delete-by", "soon", "--as", "approver")
    assert bad_day.exit_code == 2 and "YYYY-MM-DD" in bad_day.stderr
    assert (
        run("attach-conditions", working, "--keep-confidential", "--as", "drafter").exit_code == 1
    )
    # ... and consents to a use, or to keeping the material longer.
    consent = run(
        "consent-to-use", working, "--use", "export", "--written", "--letter", "L-1",
        "--as", "approver", "--json",
    )  # fmt: skip
    assert consent.exit_code == 0, consent.stderr
    assert consent.json()["consents"][0]["granted_by"] == "AUT-CA"
    retention = run(
        "consent-to-use", working, "--retain-until", "2027-06-30", "--as", "approver", "--json"
    )
    assert retention.exit_code == 0, retention.stderr
    assert len(retention.json()["consents"]) == 2
    both = run("consent-to-use", working, "--use", "open", "--retain-until", "2027-06-30")
    assert both.exit_code == 2
    assert run("consent-to-use", working, "--use", "sell", "--as", "approver").exit_code == 2

    # The requesting side checks a use of what it received against the conditions.
    reference = str(received.reference)
    opened = run("check-use", reference, "--use", "open", "--as", "examiner", "--json")
    assert opened.exit_code == 0, opened.stderr
    assert opened.json() == {
        "allowed": True,
        "action": "open",
        "reference": reference,
        "notice": None,  # given only for an exculpatory disclosure
    }
    denied = run("check-use", reference, "--use", "export", "--as", "examiner")
    assert denied.exit_code == 1
    assert "Art. 40(20)" in denied.stderr
    # The exculpatory exception lifts the use limitation, not the confidentiality asked for.
    disclose = run(
        "check-use", reference, "--use", "disclose_exculpatory", "--proceeding", "LG Wien 7/26",
        "--as", "examiner",
    )  # fmt: skip
    assert disclose.exit_code == 1 and "Art. 40(20)" in disclose.stderr
    forward = run(
        "check-use", reference, "--use", "forward", "--recipient", "ZAF", "--as", "approver"
    )
    assert forward.exit_code == 1 and "Art. 36(3)" in forward.stderr
    assert run("check-use", reference, "--use", "open", "--as", "vnm-clerk").exit_code == 2


def test_every_lifecycle_step_of_the_api_has_a_command() -> None:
    import typer.main

    from hanoix.api.requests import step_paths
    from hanoix.cli.requests import request_app

    commands = set(typer.main.get_group(request_app).commands)
    # Executed and executed-in-part are one command, `answer [--partial]`.
    served_by = {Action.EXECUTE: "answer", Action.EXECUTE_PARTIALLY: "answer"}
    missing = {
        path: action.value
        for path, action in step_paths().items()
        if served_by.get(action, action.value.replace("_", "-")) not in commands
    }
    assert missing == {}
    assert "register" in commands  # POST /requests/incoming


def _changes(kind: RequestKind) -> dict[str, Any]:
    """Everything of a complete document that an edit may change (not the kind or States)."""
    complete = document(kind)
    return {k: v for k, v in complete.items() if k not in ("kind", "requested_state")}


def test_a_draft_made_with_to_is_completed_and_sent_from_the_command_line(
    run: Any, tmp_path: Path
) -> None:
    empty = run("new", "--kind", "preservation", "--to", "VNM", "--as", "officer", "--json")
    assert empty.exit_code == 0, empty.stderr
    reference = empty.json()["reference"]
    assert empty.json()["validation"]["valid"] is False

    edited = run(
        "edit", reference, "--from-file",
        str(write(tmp_path, _changes(RequestKind.PRESERVATION), "changes.json")),
        "--if-version", "1", "--as", "officer", "--json",
    )  # fmt: skip
    assert edited.exit_code == 0, edited.stderr
    assert edited.json()["version"] == 2
    assert edited.json()["validation"]["valid"] is True
    assert edited.json()["proceeding"] == PROCEEDING

    # An edit that is not an edit document is unusable input, named by its field.
    bad = run(
        "edit", reference, "--from-file",
        str(write(tmp_path, {"kind": "mla"}, "bad.json")), "--as", "officer",
    )  # fmt: skip
    assert bad.exit_code == 2 and "kind" in bad.stderr
    unknown = run(
        "edit", reference, "--from-file",
        str(write(tmp_path, {"contents": {"colour": "red"}}, "colour.json")), "--as", "officer",
    )  # fmt: skip
    assert unknown.exit_code == 2 and "no content 'colour'" in unknown.stderr

    assert run("submit", reference, "--as", "officer").exit_code == 0
    without_note = run("return-to-draft", reference, "--as", "officer")
    assert without_note.exit_code == 2 and "needs a note" in without_note.stderr
    returned = run(
        "return-to-draft", reference, "--note", "the custodian changed", "--as", "officer",
        "--json",
    )  # fmt: skip
    assert returned.exit_code == 0 and returned.json()["status"] == "draft"
    assert run("submit", reference, "--as", "officer").exit_code == 0
    assert run("approve", reference, "--as", "approver").exit_code == 0
    sent = run("send", reference, "--as", "officer", "--json")
    assert sent.exit_code == 0 and sent.json()["status"] == "sent"


def test_a_request_on_paper_is_registered_and_handled_from_the_command_line(
    run: Any, tmp_path: Path
) -> None:
    paper = document(
        reference="VNM-2026-000901", requesting_state="VNM", requesting_authority="VNM-CA"
    )
    path = write(tmp_path, paper, "paper.json")
    registered = run("register", "--from-file", str(path), "--as", "drafter", "--json")
    assert registered.exit_code == 0, registered.stderr
    shown = registered.json()
    assert (shown["reference"], shown["status"], shown["side"]) == (
        "VNM-2026-000901",
        "received",
        "requested",
    )
    assert (shown["handled_by"], shown["requesting"]["state"]) == ("AUT-CA", "VNM")
    again = run("register", "--from-file", str(path), "--as", "drafter")
    assert again.exit_code != 0 and "VNM-2026-000901" in again.stderr
    assert run("register", "--from-file", str(path), "--as", "auditor").exit_code == 1
    no_reference = write(tmp_path, document(requesting_state="VNM"), "no-reference.json")
    missing = run("register", "--from-file", str(no_reference), "--as", "drafter")
    assert missing.exit_code == 2 and "reference" in missing.stderr
    # The CLI reads a file's schema problems as the document module words them, as the API's
    # validation does: a missing field says what it is.
    assert "reference: missing: the requesting State's reference" in missing.stderr

    assert run("acknowledge", "VNM-2026-000901", "--as", "drafter").exit_code == 0
    asked = run(
        "request-more-information", "VNM-2026-000901", "--note", "which accounts?",
        "--as", "drafter", "--json",
    )  # fmt: skip
    assert asked.exit_code == 0, asked.stderr
    assert asked.json()["status"] == "more_information_requested"


def test_information_is_supplied_and_a_postponed_request_resumed_from_the_command_line(
    run: Any, open_node: Any
) -> None:
    node = open_node()
    try:
        asked = str(outgoing(node, "more_information_requested", author="drafter").reference)
        postponed = str(incoming(node, "postponed").reference)
    finally:
        node.close()
    assert run("supply-information", asked, "--as", "drafter").exit_code == 2  # a note is needed
    supplied = run(
        "supply-information", asked, "--note", "accounts 1 and 2", "--as", "drafter", "--json"
    )
    assert supplied.exit_code == 0, supplied.stderr
    assert supplied.json()["status"] == "acknowledged"

    resumed = run("resume", postponed, "--as", "examiner", "--json")
    assert resumed.exit_code == 0, resumed.stderr
    assert resumed.json()["status"] == "in_execution"
    assert run("resume", postponed, "--as", "examiner").exit_code == 1  # not postponed now


def test_an_existing_request_is_linked_to_the_preservation_it_follows_up(
    run: Any, open_node: Any
) -> None:
    node = open_node()
    try:
        preservation = str(
            outgoing(node, "executed", kind=RequestKind.PRESERVATION, author="drafter").reference
        )
        mla = str(outgoing(node, "draft", kind=RequestKind.STORED_DATA_ACCESS).reference)
    finally:
        node.close()
    assert (
        run("link-follow-up", preservation, "--follow-up", "soon", "--as", "drafter").exit_code == 2
    )
    linked = run("link-follow-up", preservation, "--follow-up", mla, "--as", "drafter", "--json")
    assert linked.exit_code == 0, linked.stderr
    assert linked.json()["follow_ups"] == [mla]


def test_a_person_reads_the_list_the_history_and_the_deadlines_as_the_json_holds_them(
    run: Any, tmp_path: Path, open_node: Any
) -> None:
    node = open_node()
    try:
        acknowledged = str(incoming(node, "acknowledged").reference)
    finally:
        node.close()
    postponed = run(
        "postpone", acknowledged, "--until", "2027-06-01", "--reason", "trial", "--as", "approver"
    )
    assert postponed.exit_code == 0, postponed.stderr
    path = write(tmp_path, document())
    created = run("new", "--kind", "mla", "--from-file", str(path), "--as", "drafter", "--json")
    reference = created.json()["reference"]
    run("new", "--kind", "mla", "--from-file", str(path), "--as", "drafter")
    page = run("list", "--limit", "1", "--as", "drafter", "--json").json()
    listing = run("list", "--limit", "1", "--as", "drafter")
    assert listing.exit_code == 0, listing.stderr
    (row,) = page["items"]
    line = next(x for x in listing.stderr.splitlines() if row["reference"] in x)
    for cell in (
        row["kind"],
        row["status"],
        f"{row['requesting_state']}->{row['requested_state']}",
    ):
        assert cell in line
    assert f"more: --cursor {page['next_cursor']}" in listing.stderr

    steps = run("history", reference, "--as", "drafter", "--json").json()
    told = run("history", reference, "--as", "drafter").stderr.splitlines()
    assert told[0] == (
        f"{reference}: 1 steps, proved against the ledger's checkpoint of size {steps['tree_size']}"
    )
    assert told[1].endswith(f"ledger entry {steps['steps'][0]['ledger_index']}, proved")
    assert " create " in told[1] and "-> draft by drafter" in told[1]

    due = run("deadlines", "--as", "auditor", "--json").json()
    shown = run("deadlines", "--as", "auditor").stderr
    assert [(d["reference"], d["kind"]) for d in due] == [(acknowledged, "postponed-until")]
    assert acknowledged in shown and "postponed-until" in shown
    for option, value, message in [
        ("--status", "lost", "--status: unknown status 'lost'"),
        ("--side", "both", "--side: requesting or requested"),
        ("--deadline-before", "tomorrow", "--deadline-before: "),
        ("--kind", "warrant", "mla, preservation"),
    ]:
        refused = run("list", option, value, "--as", "drafter")
        assert refused.exit_code == 2 and message in refused.stderr, refused.stderr
    empty = run("new", "--kind", "mla", "--as", "drafter")
    assert empty.exit_code == 2
    assert "give --from-file FILE, or --to STATE for an empty draft" in empty.stderr
