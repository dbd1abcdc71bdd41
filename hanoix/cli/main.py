"""The CLI's runner: registers the command groups and maps errors to exit codes. The ``hanoix``
entry point, :mod:`hanoix.runtime.main`, runs it with the commands that start processes.

Exit codes are a contract (see DESIGN.md): 0 success, 1 the answer is "no", 2 wrong usage or
unreadable input. No :class:`~hanoix.errors.HanoixError` ever reaches the user as a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import typer
import typer.main

from hanoix.cli import commands  # noqa: F401  (registers the command groups on the app)
from hanoix.cli.app import app
from hanoix.cli.output import finding, human, to_json
from hanoix.errors import HanoixError
from hanoix.logs import configure_logging

#: The longest line an error prints: a message quoting a whole binary file is cut here.
MAX_ERROR_LINE = 400
#: The most findings listed under an error (the --json report has them all).
MAX_PROBLEMS_SHOWN = 50


def _line(text: str) -> str:
    flat = " ".join(text.split())
    if len(flat) <= MAX_ERROR_LINE:
        return flat
    return f"{flat[:MAX_ERROR_LINE]}... ({len(flat) - MAX_ERROR_LINE} more characters)"


def _print_error(error: HanoixError) -> None:
    human.print("[bold red]error:[/] ", markup=True, highlight=False, end="")
    human.print(_line(error.message), markup=False, highlight=False)
    for problem in error.problems[:MAX_PROBLEMS_SHOWN]:
        line = finding(problem.message, problem.field, problem.article, problem.basis)
        human.print("  - " + _line(line), markup=False, highlight=False)
    if len(error.problems) > MAX_PROBLEMS_SHOWN:
        human.print(
            f"  ... and {len(error.problems) - MAX_PROBLEMS_SHOWN} more (--json lists them all)",
            markup=False,
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI with ``argv`` and return the exit code (for tests and ``run``)."""
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        # Logs go to stderr from the first line on, so that stdout carries only the report;
        # commands that run a node's workers raise the level from the node's settings.
        configure_logging(
            os.environ.get("HANOIX_LOG_LEVEL") or "warning",
            as_json=os.environ.get("HANOIX_LOG_JSON", "").lower() in {"1", "true", "yes"},
        )
        result = command.main(args=args, prog_name="hanoix", standalone_mode=False)
    except HanoixError as error:
        _print_error(error)
        if "--json" in args:
            sys.stdout.write(to_json(error.as_dict()) + "\n")
        return error.exit_code
    except typer.Exit as done:
        return done.exit_code
    except typer.Abort:
        human.print("aborted", markup=False)
        return 2
    except typer.TyperException as error:
        # Typer's own usage errors (unknown option, missing argument): show them as Typer would.
        show = getattr(error, "show", None)
        if callable(show):
            show(file=sys.stderr)
        else:
            human.print(f"error: {error}", markup=False)
        return 2
    except KeyboardInterrupt:
        human.print("interrupted", markup=False)
        return 130
    return result if isinstance(result, int) else 0


def run() -> None:
    sys.exit(main())
