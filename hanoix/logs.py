"""Structured logging with structlog: key/value events, JSON lines on request.

Never log secrets, keys, passwords or evidence content: log identifiers and digests.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import structlog

# structlog (and the asyncio and rich it loads) costs a command about 50 ms to import, so it is
# imported, and configured, only when something asks for a logger: the configuration asked
# for waits here until then.
_pending: tuple[int, bool] | None = None
# The standard library's level numbers (logging.DEBUG...), without importing logging for them.
_LEVELS = {"debug": 10, "info": 20, "warning": 30, "warn": 30, "error": 40, "critical": 50}


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of writing, not at configuration.

    Test runners and daemons swap ``sys.stderr``; a logger holding the old one would write to
    a closed file.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "info", as_json: bool = False) -> None:
    """Log at ``level`` and above to stderr, as JSON lines if ``as_json``."""
    global _pending
    numeric = _LEVELS.get(level.lower())
    if numeric is None:
        from hanoix.errors import ConfigurationError

        raise ConfigurationError(f"unknown log level {level!r}: use debug, info, warning or error")
    _pending = (numeric, as_json)
    if "structlog" in sys.modules:
        _apply_pending()


def _apply_pending() -> None:
    global _pending
    if _pending is None:
        return
    import structlog

    numeric, as_json = _pending
    _pending = None
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    import structlog

    _apply_pending()
    logger: structlog.stdlib.BoundLogger = structlog.get_logger(name)
    return logger
