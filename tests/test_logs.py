"""Logging: configured up front, structlog loaded only when a logger is asked for."""

from __future__ import annotations

import subprocess
import sys

import pytest

from hanoix.errors import ConfigurationError
from hanoix.logs import configure_logging, get_logger


def test_an_unknown_level_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="unknown log level 'loud'"):
        configure_logging("loud")


def test_lines_at_or_above_the_level_reach_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("warning")
    log = get_logger("hanoix.test")
    log.info("quiet.event")
    log.warning("loud.event", case="AUT-2026-0001")
    err = capsys.readouterr().err
    assert "loud.event" in err
    assert "AUT-2026-0001" in err
    assert "quiet.event" not in err


def test_a_level_set_after_structlog_was_loaded_applies_at_once(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = get_logger("hanoix.test")
    configure_logging("error", as_json=True)
    log.warning("hidden.event")
    log.error("shown.event")
    err = capsys.readouterr().err
    assert '"event": "shown.event"' in err
    assert "hidden.event" not in err
    configure_logging("warning")


def python(script: str) -> subprocess.CompletedProcess[str]:
    """Run ``script`` in a fresh interpreter, where no test has loaded structlog yet."""
    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )


def test_commands_that_log_nothing_do_not_load_structlog() -> None:
    script = (
        "import sys\n"
        "from hanoix.runtime.main import main\n"
        "code = main(['evidence', 'verify', '--help'])\n"
        "print('STRUCTLOG', 'structlog' in sys.modules)\n"
        "sys.exit(code)\n"
    )
    assert "STRUCTLOG False" in python(script).stdout


def test_a_logger_made_at_import_loads_structlog_at_its_first_event() -> None:
    # Services hold their logger from import time; the commands that load them and log
    # nothing (request validate, treaty status) must not pay for structlog.
    script = (
        "import sys\n"
        "from hanoix.logs import configure_logging, get_logger\n"
        "configure_logging('warning')\n"
        "log = get_logger('hanoix.test')\n"
        "print('BEFORE', 'structlog' in sys.modules)\n"
        "log.info('quiet.event')\n"
        "log.warning('loud.event', case='AUT-2026-000001')\n"
        "print('AFTER', 'structlog' in sys.modules)\n"
    )
    done = python(script)
    assert "BEFORE False" in done.stdout and "AFTER True" in done.stdout
    assert "loud.event" in done.stderr and "AUT-2026-000001" in done.stderr
    assert "quiet.event" not in done.stderr


def test_lines_written_to_a_file_carry_no_colour_codes(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info")
    get_logger("hanoix.test").info("plain.event", case="AUT-2026-000001")
    err = capsys.readouterr().err
    assert "plain.event" in err and "\x1b[" not in err


@pytest.mark.parametrize("as_json", [True, False])
def test_the_servers_own_lines_are_rendered_as_ours(
    as_json: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    import json
    import logging
    import logging.config

    from hanoix.logs import stdlib_log_config

    configure_logging("info", as_json=as_json)
    names = ("uvicorn", "uvicorn.error", "uvicorn.access")
    saved = {n: (logging.getLogger(n).handlers[:], logging.getLogger(n).level) for n in names}
    try:
        logging.config.dictConfig(stdlib_log_config())
        logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
        logging.getLogger("uvicorn.error").debug("below the level")
    finally:
        for name, (handlers, level) in saved.items():
            logging.getLogger(name).handlers[:] = handlers
            logging.getLogger(name).setLevel(level)
    [line] = capsys.readouterr().err.splitlines()
    if as_json:
        assert json.loads(line) | {"timestamp": "t"} == {
            "event": "Started server process [42]",
            "logger": "uvicorn.error",
            "level": "info",
            "timestamp": "t",
        }
    else:
        assert "Started server process [42]" in line and "[info" in line and "\x1b[" not in line
    configure_logging("warning")
