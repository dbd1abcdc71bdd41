"""The ledger's errors (hanoix.ledger.errors): the code and exit status each carries to the API
and the CLI, and the findings a contradiction carries with it."""

from __future__ import annotations

from hanoix.errors import InputError, Problem, VerificationError
from hanoix.ledger.errors import (
    CheckpointError,
    InvalidProofError,
    LogInconsistencyError,
    MalformedEntryError,
    MalformedKeyError,
    MalformedProofError,
    SplitViewError,
    StaleCheckpointError,
)
from hanoix.ledger.witness import SplitViewEvidence

FINDINGS = (Problem("root differs at size 3", field="root"), Problem("leaf 2 differs"))


def test_a_contradiction_carries_every_finding_of_the_check() -> None:
    error = LogInconsistencyError("the log contradicts itself", problems=FINDINGS)
    assert (error.message, tuple(error.problems), error.code) == (
        "the log contradicts itself",
        FINDINGS,
        "log-inconsistent",
    )
    evidence = SplitViewEvidence("aut.hanoix.invalid/ledger", "a", "b", 3, 3, "roots differ")
    split = SplitViewError("SPLIT VIEW", evidence=evidence, problems=FINDINGS)
    assert (tuple(split.problems), split.evidence, split.code) == (FINDINGS, evidence, "split-view")
    assert isinstance(split, LogInconsistencyError)


def test_each_error_says_what_kind_of_failure_it_is() -> None:
    for error, code, kind in (
        (MalformedEntryError("x"), "malformed-entry", InputError),
        (MalformedKeyError("x"), "malformed-key", InputError),
        (MalformedProofError("x"), "malformed-proof", InputError),
        (CheckpointError("x"), "checkpoint-invalid", VerificationError),
        (StaleCheckpointError("x"), "checkpoint-stale", CheckpointError),
        (InvalidProofError("x"), "proof-invalid", VerificationError),
    ):
        assert (error.code, isinstance(error, kind)) == (code, True)
    assert StaleCheckpointError("x").http_status == 409
    assert MalformedEntryError("x").exit_code == 2
    assert CheckpointError("x").exit_code == 1
