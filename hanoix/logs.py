"""Structured logging with structlog: key/value events, JSON lines on request.

Never log secrets, keys, passwords or evidence content: log identifiers and digests.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import structlog

# structlog (and the asyncio and rich it loads) costs a command about 50 ms to import, so it is
# imported, and configured, only when something asks for a logger: the configuration asked
# for waits here until then.
_pending: tuple[int, bool] | None = None
# What was asked last, for the standard library's loggers (uvicorn's) to follow suit.
_chosen: tuple[int, bool] = (20, False)
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
    global _pending, _chosen
    numeric = _LEVELS.get(level.lower())
    if numeric is None:
        from hanoix.errors import ConfigurationError

        raise ConfigurationError(f"unknown log level {level!r}: use debug, info, warning or error")
    _pending = _chosen = (numeric, as_json)
    if "structlog" in sys.modules:
        _apply_pending()


def _apply_pending() -> None:
    global _pending
    if _pending is None:
        return
    import structlog

    numeric, as_json = _pending
    _pending = None
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _renderer(as_json),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=False,
    )


def _renderer(as_json: bool) -> structlog.types.Processor:
    import structlog

    if as_json:
        return structlog.processors.JSONRenderer()
    # Colour codes only for a person at a terminal: a log file or a pipe gets plain text.
    colours = sys.stderr.isatty() and not os.environ.get("NO_COLOR")
    return structlog.dev.ConsoleRenderer(colors=colours)


def stdlib_log_config() -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for libraries that log through the standard library
    (uvicorn's start and stop lines): rendered as this module renders, JSON lines included."""
    import structlog

    numeric, as_json = _chosen
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "hanoix": {
                "()": structlog.stdlib.ProcessorFormatter,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    _renderer(as_json),
                ],
                "foreign_pre_chain": [
                    structlog.stdlib.add_logger_name,
                    structlog.processors.add_log_level,
                    structlog.processors.TimeStamper(fmt="iso", utc=True),
                ],
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "hanoix",
                "stream": "ext://sys.stderr",
            }
        },
        "loggers": {
            name: {"handlers": ["stderr"], "level": numeric, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


class Logger:
    """A named logger that loads structlog at its first event, not when it is made: a module
    holds one from import time, and a command that logs nothing never pays for structlog."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._structlog: structlog.stdlib.BoundLogger | None = None

    def _bound(self) -> structlog.stdlib.BoundLogger:
        if self._structlog is None:
            import structlog

            _apply_pending()
            self._structlog = structlog.get_logger(self.name)
        return self._structlog

    def debug(self, event: str, **fields: Any) -> None:
        self._bound().debug(event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        self._bound().info(event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._bound().warning(event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self._bound().error(event, **fields)

    def critical(self, event: str, **fields: Any) -> None:
        self._bound().critical(event, **fields)

    def exception(self, event: str, **fields: Any) -> None:
        """An error with the exception being handled, and its traceback."""
        self._bound().exception(event, **fields)


def get_logger(name: str) -> Logger:
    return Logger(name)
