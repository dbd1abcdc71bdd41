"""Every ``hanoix`` command the README and docs/ show exists, with the options they give it.

The commands are read from the Markdown (fenced code blocks, and inline code that starts with
``hanoix``) and walked through the CLI's own command tree, so the docs cannot drift from the
CLI again. Values and arguments are not run; names of commands and options are checked.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from hanoix.runtime.main import app

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^\s*```(\w*)\s*$")
INLINE = re.compile(r"`((?:\.venv/bin/)?hanoix [^`]+)`")
SHELL_LANGUAGES = {"", "sh", "bash", "shell", "console"}


@dataclass(frozen=True)
class Shown:
    document: str
    line: int
    words: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: hanoix {' '.join(self.words)}"


# Words after which the next word is the command run (``sudo hanoix``, ``runuser -u x --
# hanoix``); a user, group or folder named hanoix elsewhere on a line is not the command.
_LAUNCHERS = {"--", "sudo", "exec", "time", "env"}


def _runs_hanoix(words: list[str], at: int) -> bool:
    word = words[at]
    if "=" in word or word.rsplit("/", 1)[-1] != "hanoix":
        return False
    before = words[at - 1] if at else None
    return (
        before is None
        or before in _LAUNCHERS
        or ("=" in before and not before.startswith("-"))  # HANOIX_HOME=... hanoix
    )


def _hanoix_words(command_line: str) -> list[tuple[str, ...]]:
    """The words after each ``hanoix`` of a shell line (pipelines and $(...) split apart)."""
    found = []
    for segment in re.split(r"\|\||&&|\||;|\$\(|\)", command_line):
        try:
            words = shlex.split(segment, comments=True)
        except ValueError:
            continue
        for start in range(len(words)):
            if _runs_hanoix(words, start):
                rest = words[start + 1 :]
                cut = next(
                    (i for i, w in enumerate(rest) if w[:1] in "<>" or w[:2] in ("2>", "1>")),
                    len(rest),
                )
                found.append(tuple(rest[:cut]))
                break
    return found


def shown_commands() -> list[Shown]:
    shown: list[Shown] = []
    for document in DOCUMENTS:
        name = document.relative_to(ROOT).as_posix()
        language: str | None = None
        pending, start = "", 0
        for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
            fence = FENCE.match(line)
            if fence:
                language = fence.group(1) if language is None else None
                continue
            if language is None:
                for match in INLINE.finditer(line):
                    # A table cell lists alternatives ("new/edit") and optional parts ("[--x]").
                    text = match.group(1).replace("\\|", " ").replace("[", " ").replace("]", " ")
                    shown += [Shown(name, number, w) for w in _hanoix_words(text)]
                continue
            if language not in SHELL_LANGUAGES:
                continue
            if not pending:
                start = number
            if line.rstrip().endswith("\\"):
                pending += line.rstrip()[:-1] + " "
                continue
            text, pending = pending + line, ""
            shown += [Shown(name, start, w) for w in _hanoix_words(text.lstrip("$ "))]
    return shown


# Typer carries a click of its own: its classes are told apart by what they have.
Command = Any


def _is_group(command: Command) -> bool:
    return hasattr(command, "get_command")


def _option(command: Command, word: str) -> tuple[bool] | None:
    """``(takes_a_value,)`` for an option ``command`` has, else None."""
    name = word.split("=", 1)[0]
    if name in command.get_help_option_names(typer.Context(command)):
        return (False,)
    for param in command.params:
        if name in (*param.opts, *param.secondary_opts):
            return (param.param_type_name == "option" and not param.is_flag,)
    return None


def problems_of(shown: Shown) -> list[str]:
    command: Command = typer.main.get_command(app)
    words = list(shown.words)
    problems: list[str] = []
    while words:
        word = words.pop(0)
        if word.startswith("-"):
            option = _option(command, word)
            if option is None:
                problems.append(f"{command.name} has no option {word.split('=', 1)[0]}")
            elif option[0] and "=" not in word and words:
                words.pop(0)  # its value
            continue
        if not _is_group(command):
            continue  # an argument of the command: a value, not checked here
        context = typer.Context(command)
        alternatives = [w for w in word.split("/") if w and w not in ("...", "\u2026")]
        for name in alternatives:
            if command.get_command(context, name) is None:
                problems.append(f"{command.name} has no command {name!r}")
        if len(alternatives) != 1 or problems:
            break  # several commands named at once: nothing more to follow
        found = command.get_command(context, alternatives[0])
        assert found is not None
        command = found
    return problems


SHOWN = shown_commands()


def test_the_documents_show_commands() -> None:
    # A reader that finds nothing would make the next test pass whatever the docs say.
    assert len(SHOWN) > 60
    assert {s.document for s in SHOWN} >= {"README.md", "docs/demo.md", "docs/federation.md"}


@pytest.mark.parametrize("shown", SHOWN, ids=str)
def test_every_documented_command_and_option_exists(shown: Shown) -> None:
    assert problems_of(shown) == []


def test_a_wrong_command_or_option_is_caught() -> None:
    assert problems_of(Shown("x", 1, ("request", "lsit"))) == ["request has no command 'lsit'"]
    assert problems_of(Shown("x", 1, ("request", "list", "--kid", "mla"))) == [
        "list has no option --kid"
    ]
    assert problems_of(Shown("x", 1, ("--home", "h", "user", "list/lsit"))) == [
        "user has no command 'lsit'"
    ]
    assert problems_of(Shown("x", 1, ("--home", "h", "request", "new", "--kind", "mla"))) == []
