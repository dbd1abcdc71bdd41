"""Errors of the custody ledger, placed in the one hierarchy of :mod:`hanoix.errors`.

Two kinds of "no" are kept apart, as the old google/certificate-transparency code did:

* :class:`InvalidProofError` and :class:`CheckpointError`: *this* proof or checkpoint does not
  verify (wrong length, wrong root, bad signature, unknown key, other origin, malformed note). It
  says nothing about the log itself: a truncated proof can come from a bug or a bad transfer.
* :class:`LogInconsistencyError` and its :class:`SplitViewError`: statements the log signed
  contradict each other, or the stored log contradicts what it signed. That is evidence of
  tampering (or of a log showing different histories to different parties) and must be raised
  loudly, never retried away.

Requests that cannot be answered (an index past the end, a size smaller than an index, a
malformed entry or vkey) are :class:`~hanoix.errors.InputError` subclasses: exit 2, nothing done.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hanoix.errors import InputError, Problem, VerificationError

if TYPE_CHECKING:
    from hanoix.ledger.witness import SplitViewEvidence

# --- bad requests (exit 2) ------------------------------------------------------------------------


class MalformedEntryError(InputError):
    """A custody entry is not a well-formed custody event; the problem names the field."""

    code = "malformed-entry"


class ProofRangeError(InputError):
    """A proof was asked for positions the log cannot prove (index past the end, size < index)."""

    code = "proof-out-of-range"


class MalformedKeyError(InputError):
    """A verifier key (vkey) or key file could not be read."""

    code = "malformed-key"


class MalformedProofError(InputError):
    """A proof document (JSON) is not shaped as the ledger writes them."""

    code = "malformed-proof"


# --- this object does not verify (exit 1) ---------------------------------------------------------


class CheckpointError(VerificationError):
    """A checkpoint or signed note does not verify: malformed, unsigned by the expected key,
    a bad signature, or another log's origin. Fail closed: its text must be ignored."""

    code = "checkpoint-invalid"


class StaleCheckpointError(CheckpointError):
    """A checkpoint is older than one already seen from the same log; it is not cosigned."""

    http_status = 409
    code = "checkpoint-stale"


class InvalidProofError(VerificationError):
    """An inclusion or consistency proof does not verify. Says nothing about the log itself."""

    code = "proof-invalid"


# --- the log contradicts itself (exit 1, loudly) --------------------------------------------------


class LogInconsistencyError(VerificationError):
    """The log contradicts what it signed, or two signed statements of it cannot both be true.

    This is evidence of tampering. ``problems`` lists every finding of the check that raised it.
    """

    code = "log-inconsistent"

    def __init__(self, message: str, *, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message, problems=problems)


class SplitViewError(LogInconsistencyError):
    """Two validly signed checkpoints of one log cannot both be true: a split view or a fork.

    ``evidence`` carries both signed notes (and the consistency proof when the sizes differ):
    a third party can check it with nothing but the log's public key.
    """

    code = "split-view"

    def __init__(
        self,
        message: str,
        *,
        evidence: SplitViewEvidence,
        problems: Sequence[Problem] = (),
    ) -> None:
        super().__init__(message, problems=problems)
        self.evidence = evidence
