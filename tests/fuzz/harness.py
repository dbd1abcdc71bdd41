"""What a fuzz target is: a parser of outside input, the errors it documents, and seeds.

A target's ``prepare`` builds whatever the parser needs (keys, a directory, a node) once, and
returns ``parse(data)``: it feeds ``data`` to the parser the way the node does with input from
outside. ``parse`` may raise only the target's ``documented`` errors; any other exception is a
crash. Seeds are real, valid documents made by the project's own builders, so the fuzzer starts
from inputs that reach deep into the parser (a seed must parse without any error).

This module imports nothing from ``hanoix`` at its top: the fuzzing engine imports the target
modules inside atheris's import hook, so that every ``hanoix`` module they load is instrumented.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

Parse = Callable[[bytes], object]

#: Every target, by name; its module is ``tests.fuzz.fuzz_<name>``, which defines ``TARGET``.
TARGETS = (
    "envelope",
    "receipt",
    "evidence_package",
    "evidence_manifest",
    "checkpoint",
    "directory",
    "un_xml",
    "treaty_csv",
    "request_document",
)


@dataclass(frozen=True)
class Target:
    """One parser under fuzzing."""

    name: str
    reads: str  # what the parser reads and where it comes from, for the report
    documented: tuple[type[BaseException], ...]
    seeds: Callable[[], dict[str, bytes]]
    prepare: Callable[[], Parse]
    # Executions in the test suite's short run (about a second of fuzzing on a busy machine).
    short_runs: int = 2000


def load(name: str) -> Target:
    """The target called ``name`` (imports its module)."""
    if name not in TARGETS:
        raise KeyError(f"no fuzz target {name!r}; the targets are: {', '.join(TARGETS)}")
    module = importlib.import_module(f"tests.fuzz.fuzz_{name}")
    target = module.TARGET
    assert isinstance(target, Target) and target.name == name
    return target


class UndocumentedOutcome(Exception):  # noqa: N818  (a crash, named for what it says)
    """A parser answered in a way its contract does not allow (e.g. an HTTP 500)."""
