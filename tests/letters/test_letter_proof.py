"""The record of a letter's issue (hanoix.letters.proof): what makes an entry the issue of
this letter, and the proof document's bad forms, each named."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hanoix.errors import InputError
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.proofs import InclusionProof
from hanoix.letters.proof import LetterProof, issue_problem

SHA = "ab" * 32


def _entry(kind: EventKind, details: dict[str, Any]) -> bytes:
    return CustodyEvent(
        kind=kind,
        actor="editor",
        authority="AUT-CA",
        at=datetime(2026, 12, 1, tzinfo=UTC),
        subject={"request": "p:0123"},
        details=details,
    ).canonical_bytes()


def test_only_the_issue_of_the_letter_embedding_that_document_is_its_record() -> None:
    issued = _entry(EventKind.REQUEST_LETTER_ISSUED, {"document_sha256": SHA, "language": "fr"})
    assert issue_problem(issued, SHA) is None
    assert "another letter" in str(issue_problem(issued, "cd" * 32))
    approved = _entry(EventKind.REQUEST_APPROVED, {})
    assert "not a letter's issue" in str(issue_problem(approved, SHA))
    assert "not a custody event" in str(issue_problem(b"{not json", SHA))
    no_digest = _entry(EventKind.REQUEST_LETTER_ISSUED, {"language": "fr"})
    assert "another letter" in str(issue_problem(no_digest, SHA))


def _inclusion() -> InclusionProof:
    return InclusionProof(3, 8, b"\1" * 32, b"\2" * 32, (b"\3" * 32,), "note")


def test_a_proof_document_reads_back_and_its_bad_forms_are_named() -> None:
    proof = LetterProof(b'{"kind":"x"}', _inclusion())
    assert LetterProof.from_dict(proof.as_dict()) == proof
    good = proof.as_dict()
    for changed, message in (
        ({"format": "other"}, "not a letter proof"),
        ({"version": 2}, "version 2 is not supported"),
        ({"entry": "***"}, "not base64"),
        ({"entry": 7}, "must be base64 text"),
        ({"inclusion": {"index": 1}}, "inclusion proof: the proof lacks"),
    ):
        with pytest.raises(InputError, match=message):
            LetterProof.from_dict({**good, **changed})
    with pytest.raises(InputError, match="bare inclusion proof"):
        LetterProof.from_dict(_inclusion().as_dict())
    with pytest.raises(InputError, match="JSON object"):
        LetterProof.from_dict([])
