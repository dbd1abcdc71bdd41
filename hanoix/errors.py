"""The one error hierarchy of Hanoi Exchange.

Every error a user can cause or meet derives from :class:`HanoixError`. Its message is written
for that user and says what to fix. The CLI maps the hierarchy to exit codes and the API to
problem+json documents, each in one place, so no caller formats errors of its own.

Two families matter to callers:

* :class:`InputError` (exit 2, HTTP 4xx): the input was wrong or unreadable; nothing was
  changed.
* :class:`NoError` (exit 1): the input was well formed and the honest answer is "no": not
  valid, not verified, refused, not in force.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class Problem:
    """One precise finding: what is wrong, where, and the rule it breaks."""

    message: str
    field: str | None = None
    article: str | None = None
    # How sure the rule behind ``article`` is (verified, secondary, recalled, inferred), so a
    # drafter and a reviewing lawyer can weigh the finding; ``None`` where no article applies.
    basis: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "field": self.field,
            "article": self.article,
            "basis": self.basis,
            "message": self.message,
        }


class HanoixError(Exception):
    """Base of every error Hanoi Exchange raises on purpose.

    ``exit_code`` is what the CLI exits with, ``http_status`` what the API answers, and
    ``code`` a stable machine-readable slug (used as the problem type).
    """

    exit_code: ClassVar[int] = 2
    http_status: ClassVar[int] = 400
    code: ClassVar[str] = "error"

    def __init__(self, message: str, *, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems: tuple[Problem, ...] = tuple(problems)

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "error": self.code,
            "message": self.message,
            "problems": [p.as_dict() for p in self.problems],
        }


# --- input and usage (exit 2) ------------------------------------------------------------


class InputError(HanoixError):
    """The input could not be used as given. Nothing was changed."""

    code = "invalid-input"


class UsageError(InputError):
    """A command or call was used the wrong way (missing option, conflicting flags)."""

    code = "usage"


class NotFoundError(InputError):
    """Something named does not exist (or is not visible to the caller: the same answer)."""

    http_status = 404
    code = "not-found"


class ConflictError(InputError):
    """The change conflicts with what is already recorded (a duplicate, a stale version)."""

    http_status = 409
    code = "conflict"


class UnknownStateError(NotFoundError):
    """A State or participant code that is not an ISO 3166-1 alpha-3 code we know."""

    code = "unknown-state"


class FileFormatError(InputError):
    """A file could not be parsed; the message names the file and the line or row."""

    code = "file-format"


class ConfigurationError(InputError):
    """The node's configuration is missing or inconsistent."""

    code = "configuration"


# --- authentication and authorisation -------------------------------------------------------


class AuthenticationError(HanoixError):
    """The caller could not be identified (no credentials, wrong password, expired session)."""

    exit_code = 2
    http_status = 401
    code = "unauthenticated"


class PermissionDeniedError(HanoixError):
    """The caller is known but may not do this."""

    exit_code = 1
    http_status = 403
    code = "forbidden"


class RetryLaterError(HanoixError):
    """Not now: too many attempts, or the node is busy. ``retry_after`` is in seconds (the API
    sends it as ``Retry-After``)."""

    exit_code = 1
    http_status = 429
    code = "too-many-attempts"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class BusyError(RetryLaterError):
    """The node has more of this work queued than it takes on at once."""

    http_status = 503
    code = "busy"


# --- the node cannot do it now (exit 2, HTTP 503 or 507): the same call can be made again ---


class UnavailableError(HanoixError):
    """The node's database is unreachable, shutting down or busy.

    The unit of work was rolled back. Only if the connection broke during the commit itself can
    the change have been made: a retry with the same idempotency key then finds it.
    """

    exit_code = 2
    http_status = 503
    code = "database-unavailable"
    #: Seconds a client should wait before trying again (the API's ``Retry-After``).
    retry_after = 5


class StorageFullError(UnavailableError):
    """The disk that holds the node's database or files is full; nothing half-written is kept."""

    http_status = 507
    code = "storage-full"
    retry_after = 60


# --- the answer is "no" (exit 1) ------------------------------------------------------------


class NoError(HanoixError):
    """The input was understood and the answer is "no"."""

    exit_code = 1
    http_status = 422
    code = "no"


class RuleViolationError(NoError):
    """Something breaks a rule of the Convention; each problem names its article."""

    code = "rule-violation"


class VerificationError(NoError):
    """A signature, digest, proof or package does not verify. Fail closed."""

    code = "verification-failed"


class TransitionError(NoError):
    """A state change that the lifecycle does not allow from the current state."""

    http_status = 409
    code = "transition-not-allowed"


@dataclass
class ErrorReport:
    """Collected errors of a check that must run every step before answering (a court report)."""

    problems: list[Problem] = field(default_factory=list)

    def add(self, message: str, *, field: str | None = None, article: str | None = None) -> None:
        self.problems.append(Problem(message=message, field=field, article=article))

    def raise_if_any(self, error: type[NoError], summary: str) -> None:
        if self.problems:
            raise error(summary, problems=self.problems)


def problems_from(mapping: Mapping[str, str]) -> tuple[Problem, ...]:
    """Build problems from ``{field: message}`` pairs (handy for form validation)."""
    return tuple(Problem(message=msg, field=name) for name, msg in mapping.items())


#: The most characters a message quotes from an input.
EXCERPT_CHARS = 80


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` as a message may quote it: printable, and at most ``limit`` characters."""
    shown = "".join(c if c.isprintable() else "\N{REPLACEMENT CHARACTER}" for c in text[:limit])
    if len(text) > limit:
        shown += f"... ({len(text) - limit} more characters)"
    return shown
