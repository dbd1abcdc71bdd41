"""Fuzzing in the test suite: every parser of outside input under atheris for a short, fixed
budget, its seeds read cleanly, and every crash ever found replayed from ``corpus/``.

The short run is the same on every machine (a fixed number of executions from a fixed seed);
``scripts/fuzz.sh [SECONDS]`` runs the long one. A crash found there is copied into
``corpus/<target>/`` (with a line in ``corpus/README.md``) and replayed here for good. A crash
that belongs to an open finding of issue 11 is listed in :data:`KNOWN` with the finding: its
replay is expected to fail until that finding is fixed (strictly: once it passes, the entry
must go).
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.fuzz.harness import TARGETS, Parse, Target, load
from tests.fuzz.run import fuzz

CORPUS = Path(__file__).parent / "corpus"

#: Corpus files of crashes that belong to an open finding: ``target/file: the finding``.
KNOWN: dict[str, str] = {}

_prepared: dict[str, tuple[Target, Parse]] = {}


def prepared(name: str) -> tuple[Target, Parse]:
    """The target and its parser, prepared once per test process (a node takes a second)."""
    if name not in _prepared:
        target = load(name)
        _prepared[name] = (target, target.prepare())
    return _prepared[name]


def corpus_files() -> list[pytest.ParameterSet]:
    cases = []
    for name in TARGETS:
        for path in sorted((CORPUS / name).glob("*")) if (CORPUS / name).is_dir() else []:
            key = f"{name}/{path.name}"
            marks = [pytest.mark.xfail(strict=True, reason=KNOWN[key])] if key in KNOWN else []
            cases.append(pytest.param(name, path, id=key, marks=marks))
    return cases


def test_every_corpus_folder_is_a_target() -> None:
    folders = {p.name for p in CORPUS.iterdir() if p.is_dir()}
    assert folders <= set(TARGETS)
    assert set(KNOWN) <= {f"{p.parent.name}/{p.name}" for p in CORPUS.glob("*/*")}


@pytest.mark.parametrize("name", TARGETS)
def test_the_seeds_are_valid_documents_that_parse_without_error(name: str) -> None:
    target, parse = prepared(name)
    seeds = target.seeds()
    assert seeds, f"{name} has no seeds"
    for seed, data in seeds.items():
        try:
            parse(data)
        except Exception as error:  # noqa: BLE001  (any error at all fails the seed)
            pytest.fail(f"{name} seed {seed} does not parse: {type(error).__name__}: {error}")


@pytest.mark.parametrize(("name", "path"), corpus_files())
def test_a_crash_found_once_stays_fixed(name: str, path: Path) -> None:
    target, parse = prepared(name)
    with contextlib.suppress(*target.documented):
        parse(path.read_bytes())


@pytest.mark.parametrize("name", TARGETS)
def test_a_short_fuzzing_run_finds_no_crash(name: str, tmp_path: Path) -> None:
    target = load(name)
    outcome = fuzz(name, tmp_path, runs=target.short_runs, seed=1, timeout=240)
    tail = "\n".join(outcome.log.splitlines()[-40:])
    assert not outcome.crashes, f"{name} crashed on {outcome.crashes[0]}:\n{tail}"
    assert outcome.exit_code == 0, f"the {name} engine failed:\n{tail}"
    assert outcome.executions == target.short_runs, tail
