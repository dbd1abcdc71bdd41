"""Every ``hanoix`` command that a message of the code tells people to run exists.

The messages are read from the source (every string constant, the fixed parts of f-strings
joined with a stand-in for each value) and each command they quote ('hanoix user list',
`hanoix ledger verify`, "run hanoix init") is walked through the CLI's own command tree with
the same walker as the documented commands, so that no error points to a command that is not
there.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.cli.test_documented_commands import Shown, _hanoix_words, problems_of

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "hanoix").rglob("*.py"))
VALUE = "VALUE"
# A command quoted in a message: after a quote, a backquote, an opening parenthesis, "run",
# "with" or a colon, up to the closing quote (or the end of the sentence).
QUOTED = re.compile(r"""(?:['`(]|\brun |\bwith |: )(hanoix [^'`()\n;]+)""")


def _texts(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            parts = [
                v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else VALUE
                for v in node.values
            ]
            found.append((node.lineno, "".join(parts)))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append((node.lineno, node.value))
    return found


def mentioned_commands() -> list[Shown]:
    shown: list[Shown] = []
    for source in SOURCES:
        tree = ast.parse(source.read_text("utf-8"))
        name = source.relative_to(ROOT).as_posix()
        # Docstrings and comments-as-strings name commands too: checked like messages.
        for line, text in _texts(tree):
            for match in QUOTED.finditer(text):
                command = match.group(1).rstrip(" .,")
                # A value in the message stands for an argument or an option's value.
                for words in _hanoix_words(command.replace("|", "/")):
                    shown.append(Shown(name, line, words))
    return shown


MENTIONED = mentioned_commands()


def test_the_code_mentions_commands() -> None:
    # A reader that finds nothing would make the next test pass whatever the messages say.
    names = {s.words[0] for s in MENTIONED if s.words}
    assert len(MENTIONED) > 20
    assert {"user", "ledger", "directory", "node", "treaty"} <= names


@pytest.mark.parametrize("shown", MENTIONED, ids=str)
def test_every_command_a_message_mentions_exists(shown: Shown) -> None:
    assert problems_of(shown) == []


def test_a_message_naming_a_missing_command_is_caught() -> None:
    [shown] = [
        Shown("x", 1, w)
        for m in QUOTED.finditer("no user: list them with 'hanoix usr list'")
        for w in _hanoix_words(m.group(1))
    ]
    assert problems_of(shown) == ["hanoix has no command 'usr'"]
