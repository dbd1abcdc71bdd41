"""Who reads which custody entries (docs/ledger.md, "Who reads entries"; decision 0007).

New entries name requests by a keyed hash, never in clear; a court ties an entry to its request
offline with the one request key the node discloses, and the inclusion proof verifies as
before; auditors read the entries of the requests they may see, administrators only the log's
own events.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import rfc8785

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.errors import PermissionDeniedError
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.proofs import InclusionProof
from hanoix.requests import Action, IntendedUse, UseAction
from hanoix.services import custody
from hanoix.services import requests as service
from hanoix.services.node import Node
from tests.services.requests_world import add_people, incoming, outgoing, populate, user


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, dict[str, str]]]:
    """A node with requests in many states (a preservation and its follow-up, a use checked,
    an incoming request executed, a restricted draft of the 24/7 unit) and a node event."""
    home: Path = tmp_path_factory.mktemp("ledger-visibility")
    node = Node.open(
        load_settings(home, environ={}),
        clock=FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
    )
    node.initialise()
    populate(node)
    add_people(
        node,
        [],
        {
            "auditor-poc": ({"auditor"}, "AUT-POC"),
            "vnm-auditor": ({"auditor"}, "VNM-CA"),
        },
    )
    preservation = outgoing(node, "sent", kind=RequestKind.PRESERVATION)
    follow_up = service.follow_up(
        node, user(node, "drafter"), str(preservation.reference), expected_version=None
    ).mla
    executed = outgoing(node, "executed")
    service.check_intended_use(
        node, user(node, "examiner"), str(executed.reference), IntendedUse(UseAction.OPEN)
    )
    received = incoming(node, "executed")
    restricted = outgoing(node, "draft", author="duty", restricted=True)
    with node.unit_of_work() as session:
        # A package sealed for a request names it in its details (hanoix.services.evidence).
        custody.record(
            session,
            CustodyEvent(
                EventKind.PACKAGE_SEALED,
                "examiner",
                "AUT-CA",
                node.clock.now(),
                {"package": "sha256:" + "ab" * 32},
                {"request": str(executed.reference), "files": 1},
            ),
        )
    with node.unit_of_work() as session:
        custody.record(
            session,
            CustodyEvent(
                EventKind.ENVELOPE_REJECTED,
                "federation",
                "node",
                node.clock.now(),
                {"envelope": "0" * 32},
                {"reason": "bad-signature"},
            ),
        )
    references = {
        "preservation": str(preservation.reference),
        "follow_up": str(follow_up.reference),
        "executed": str(executed.reference),
        "received": str(received.reference),
        "restricted": str(restricted.reference),
    }
    yield node, references
    node.close()


def all_entries(node: Node) -> list[custody.LedgerEntry]:
    return list(custody.CustodyLedger(node).entries())


def test_no_ledger_entry_names_a_request_in_clear(world: tuple[Node, dict[str, str]]) -> None:
    node, references = world
    entries = all_entries(node)
    assert len(entries) > 15
    for entry in entries:
        text = entry.entry.decode("utf-8")
        for reference in references.values():
            assert reference not in text, (entry.index, text)
        # The year-and-sequence shape of any reference, whatever its State.
        assert "-2026-" not in text and "-2025-" not in text, text
    # A follow-up's link names the preservation by its pseudonym too, and each request's life
    # is still one indexed query by its reference.
    ledger = custody.CustodyLedger(node)
    linked = [json.loads(e.entry) for e in ledger.history("request", references["follow_up"])]
    assert linked and all(e["subject"]["request"].startswith("hmac-sha256:") for e in linked)
    assert any(str(e["details"].get("follows_up", "")).startswith("hmac-sha256:") for e in linked)
    for name in ("preservation", "executed", "received", "restricted"):
        assert ledger.history("request", references[name]), name


def test_a_court_ties_an_entry_to_its_request_offline(world: tuple[Node, dict[str, str]]) -> None:
    node, references = world
    ledger = custody.CustodyLedger(node)
    reference = references["executed"]
    entry = ledger.history("request", reference)[0]
    # What the court is handed: the entry as exported, its inclusion proof, the log's key, and
    # this one request's key.
    exported = json.dumps(entry.as_dict()["entry"], indent=2)
    proof = ledger.prove_inclusion(entry.index).as_dict()
    vkey = ledger.verifier.vkey
    disclosed = custody.disclose_request_key(node, reference).as_dict()

    # Offline, with nothing of hanoix but the proof check: the entry's bytes re-derived as
    # docs/ledger.md says, the proof verifies unchanged, and HMAC-SHA256 of the reference on the
    # court's own file under the disclosed key is the entry's subject.
    canonical = bytes(rfc8785.dumps(json.loads(exported)))
    from hanoix.ledger.checkpoint import NoteVerifier

    InclusionProof.from_dict(proof).verify(NoteVerifier.from_vkey(vkey), entry=canonical)
    key = bytes.fromhex(disclosed["request_key"])
    recomputed = "hmac-sha256:" + hmac.new(key, reference.encode(), hashlib.sha256).hexdigest()
    assert json.loads(exported)["subject"]["request"] == recomputed == disclosed["pseudonym"]
    # The key ties this request only: no other request's entries match under it.
    for other in (r for n, r in references.items() if n != "executed"):
        for e in ledger.history("request", other):
            subject = json.loads(e.entry)["subject"]["request"]
            assert subject != recomputed
            assert subject != (
                "hmac-sha256:" + hmac.new(key, other.encode(), hashlib.sha256).hexdigest()
            )


def readable(node: Node, name: str) -> list[dict[str, object]]:
    size = custody.CustodyLedger(node).head().size
    found = custody.readable_entries(node, user(node, name), 0, size)
    assert len(found.entries) + found.withheld == size
    return [json.loads(e.entry) for e in found.entries]


def subjects_of(
    node: Node, references: dict[str, str], entries: list[dict[str, object]]
) -> set[str]:
    ledger = custody.CustodyLedger(node)
    by_index = {}
    for name, reference in references.items():
        for e in ledger.history("request", reference):
            by_index[json.loads(e.entry)["subject"]["request"]] = name
    return {
        by_index[str(e["subject"]["request"])]  # type: ignore[index]
        for e in entries
        if "request" in e["subject"]  # type: ignore[operator]
    }


def test_auditors_read_the_entries_of_the_requests_they_may_see(
    world: tuple[Node, dict[str, str]],
) -> None:
    node, references = world
    central = readable(node, "auditor")  # AUT-CA
    assert subjects_of(node, references, central) == {
        "preservation",
        "follow_up",
        "executed",
        "received",
    }
    assert "restricted" not in subjects_of(node, references, central)
    assert any(e["kind"] == "envelope.rejected" for e in central)
    # The 24/7 unit's auditor reads its restricted request too (and the open ones of the State).
    assert "restricted" in subjects_of(node, references, readable(node, "auditor-poc"))
    # Another State's auditor: none of Austria's requests.
    assert subjects_of(node, references, readable(node, "vnm-auditor")) == set()


def test_administrators_read_only_the_logs_own_events(world: tuple[Node, dict[str, str]]) -> None:
    node, _ = world
    seen = readable(node, "admin")
    assert seen and {e["kind"] for e in seen} == {"envelope.rejected"}


@pytest.mark.parametrize("name", ["drafter", "approver", "officer", "examiner", "prosecutor"])
def test_case_workers_read_no_entries(world: tuple[Node, dict[str, str]], name: str) -> None:
    node, _ = world
    with pytest.raises(PermissionDeniedError, match="auditor"):
        custody.readable_entries(node, user(node, name), 0, 10)


def test_entries_written_before_the_pseudonyms_stay_readable_by_the_same_rule(
    world: tuple[Node, dict[str, str]],
) -> None:
    node, references = world
    reference = references["restricted"]
    with node.unit_of_work() as session:
        # An entry as a node wrote it before pseudonyms: straight into the store, in clear.
        from hanoix.store import ledger as store

        event = CustodyEvent(
            EventKind.REQUEST_CHANGED,
            "duty",
            "AUT-POC",
            node.clock.now(),
            {"request": reference},
            {"action": Action.EDIT.value},
        )
        store.append_many(
            session, [event.canonical_bytes()], node.clock.now(), subjects=[event.subject]
        )
    assert reference not in json.dumps(readable(node, "auditor"))
    assert reference in json.dumps(readable(node, "auditor-poc"))
    assert any(
        json.loads(e.entry)["subject"]["request"] == reference
        for e in custody.CustodyLedger(node).history("request", reference)
    )


@pytest.mark.parametrize(
    "name", ["auditor", "auditor-poc", "vnm-auditor", "admin", "drafter", "examiner"]
)
def test_one_subjects_readable_history_is_what_the_range_rule_shows_of_it(
    world: tuple[Node, dict[str, str]], name: str
) -> None:
    node, references = world
    reader = user(node, name)
    ledger = custody.CustodyLedger(node)
    subjects = [("request", r) for r in references.values()]
    subjects.append(("package", "sha256:" + "ab" * 32))
    for subject, value in subjects:
        about = [e.index for e in ledger.history(subject, value)]
        assert about, (subject, value)
        try:
            whole = custody.readable_entries(node, reader, 0, ledger.head().size).entries
        except PermissionDeniedError:
            with pytest.raises(PermissionDeniedError, match="auditor"):
                custody.readable_history(node, reader, subject, value)
            continue
        expected = [e.index for e in whole if e.index in about]
        found = custody.readable_history(node, reader, subject, value)
        assert [e.index for e in found] == expected, (name, subject, value)
