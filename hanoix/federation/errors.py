"""Errors of federation, under the project's one hierarchy.

Three families, each with a stable ``reason`` slug that travels in the problem document a
receiving node answers with, so the sender's worker can decide whether a retry makes sense:

* :class:`DirectoryError` (input) and :class:`DirectoryVerificationError` (no): a directory
  document that cannot be read, or that does not verify against the trusted key.
* :class:`EnvelopeRejectedError` (no): a receiver refuses an envelope: bad signature, unknown
  sender, revoked key, expired or future-dated, a replay, a payload it cannot use. Counted by
  the receiver, or recorded in its ledger when a known node signed the envelope;
  ``retryable`` says whether the sender should try again later.
* :class:`DeliveryError`: a delivery attempt failed on the way (peer unreachable, slow, a 5xx,
  garbage in the answer). Always retryable.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Any

from hanoix.errors import ConfigurationError, InputError, NoError, Problem, VerificationError


class Reason(StrEnum):
    """Why an envelope was refused. The value is the slug peers exchange."""

    MALFORMED = "malformed"
    UNSUPPORTED_VERSION = "unsupported-version"
    TOO_LARGE = "too-large"
    WRONG_RECIPIENT = "wrong-recipient"
    UNKNOWN_SENDER = "unknown-sender"
    UNKNOWN_KEY = "unknown-key"
    REVOKED_KEY = "revoked-key"
    KEY_NOT_VALID = "key-not-valid"
    BAD_SIGNATURE = "bad-signature"
    UNDECRYPTABLE = "undecryptable"
    EXPIRED = "expired"
    FUTURE_DATED = "future-dated"
    REPLAY = "replay"
    UNKNOWN_TYPE = "unknown-type"
    BAD_PAYLOAD = "bad-payload"
    TRANSFER_INCOMPLETE = "transfer-incomplete"
    PACKAGE_NOT_VERIFIED = "package-not-verified"

    @property
    def retryable(self) -> bool:
        """Whether sending the *same* envelope again later can succeed.

        An unknown sender or key: the peer may not have imported the newest directory yet. A
        future-dated envelope: the peer's clock will catch up. An incomplete transfer: the
        chunks can be sent again. Everything else will fail the same way every time.
        """
        return self in _RETRYABLE


#: Refusals made before the sender is authenticated (the envelope's signature checked against a
#: key the directory lists for it): anyone can cause them, so they never reach the ledger.
UNAUTHENTICATED_REASONS = frozenset(
    {
        Reason.MALFORMED,
        Reason.UNSUPPORTED_VERSION,
        Reason.TOO_LARGE,
        Reason.WRONG_RECIPIENT,
        Reason.UNKNOWN_SENDER,
        Reason.UNKNOWN_KEY,
        Reason.REVOKED_KEY,
        Reason.KEY_NOT_VALID,
        Reason.BAD_SIGNATURE,
    }
)

_RETRYABLE = frozenset(
    {Reason.UNKNOWN_SENDER, Reason.UNKNOWN_KEY, Reason.FUTURE_DATED, Reason.TRANSFER_INCOMPLETE}
)


class FederationConfigError(ConfigurationError):
    """The federation settings, keys or directory of this node are missing or inconsistent."""

    code = "federation-configuration"


class DirectoryError(InputError):
    """A directory document cannot be read (not JSON, wrong format, a bad entry)."""

    code = "directory-invalid"


class DirectoryVerificationError(VerificationError):
    """A directory document does not verify against the trusted directory key, or it is not
    newer than the one in use."""

    code = "directory-not-verified"


class UnknownPeerError(InputError):
    """A peer origin that the directory does not list (or lists without usable keys)."""

    http_status = 404
    code = "unknown-peer"


class EnvelopeRejectedError(VerificationError):
    """A receiver refuses an envelope; ``reason`` says why in one slug."""

    code = "envelope-rejected"

    def __init__(
        self,
        reason: Reason,
        message: str,
        *,
        envelope_id: str | None = None,
        problems: Sequence[Problem] = (),
    ) -> None:
        super().__init__(f"envelope rejected ({reason.value}): {message}", problems=problems)
        self.reason = reason
        self.envelope_id = envelope_id
        self.detail = message

    @property
    def retryable(self) -> bool:
        return self.reason.retryable

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["reason"] = self.reason.value
        data["retryable"] = self.retryable
        data["envelope_id"] = self.envelope_id
        return data


class ReceiptError(VerificationError):
    """A receipt does not verify (wrong signer, wrong digest, malformed)."""

    code = "receipt-invalid"


class DeliveryError(NoError):
    """One delivery attempt failed on the way; the worker retries with backoff."""

    code = "delivery-failed"

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class TransferError(InputError):
    """A chunk of an evidence transfer does not fit (wrong offset, too large, unknown)."""

    code = "transfer-invalid"

    def __init__(self, message: str, *, offset: int | None = None) -> None:
        super().__init__(message)
        self.offset = offset

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["offset"] = self.offset
        return data


class TransferConflictError(TransferError):
    """A chunk was sent for an offset other than the one the receiver holds."""

    http_status = 409
    code = "transfer-offset"


class TransferNotAnnouncedError(TransferError):
    """A chunk for a transfer no signed envelope from a directory-listed sender announced."""

    http_status = 403
    code = "transfer-not-announced"
