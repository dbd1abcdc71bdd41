"""Score one module's mutmut run, leaving out message-text mutants (run from mutmut's work dir).

The rule for "message text", written here and in docs/assurance-mutation.md: a mutant that
survives is message text when its diff changes one line, the change lies only inside string
literals, and every string literal it changes is prose (contains a space), such as the wording of
an error or a report line. A changed literal without a space (a state name, a field name, a
status, a key, a separator) is a contract, so a surviving change to it counts against the score.

Score = killed / (mutants checked - message-text survivors). "killed" includes mutants the tests
stopped by timeout or that crashed the run (mutmut's "timeout" and "segfault"), as mutmut counts
them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

STRING_LITERAL = re.compile(r"""[rRbBuU]{0,2}("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")
KILLED = {"killed", "timeout", "segfault", "caught by type check"}


def _mutmut(*args: str) -> str:
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    # Our own venv's mutmut with fixed arguments: nothing from outside reaches the command.
    done = subprocess.run([mutmut, *args], capture_output=True, text=True, check=True)  # noqa: S603
    return done.stdout


def statuses() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in _mutmut("results", "--all", "true").splitlines():
        name, sep, status = line.strip().rpartition(": ")
        if sep:
            found[name] = status
    return found


def changed_lines(diff: str) -> tuple[list[str], list[str]]:
    lines = diff.splitlines()
    removed = [line[1:] for line in lines if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in lines if line.startswith("+") and not line.startswith("+++")]
    return removed, added


def is_message_text(diff: str) -> bool:
    removed, added = changed_lines(diff)
    if len(removed) != 1 or len(added) != 1:
        return False
    before, after = removed[0], added[0]
    if STRING_LITERAL.sub('""', before) != STRING_LITERAL.sub('""', after):
        return False
    old = [m.group(1) for m in STRING_LITERAL.finditer(before)]
    new = [m.group(1) for m in STRING_LITERAL.finditer(after)]
    changed = [o for o, n in zip(old, new, strict=True) if o != n]
    return bool(changed) and all(" " in literal for literal in changed)


def diff_of(name: str) -> str:
    # mutmut's own helpers (what `mutmut show` prints), called in-process: one process for all.
    from mutmut.mutation.diff_apply import find_mutant, get_diff_for_mutant

    return str(get_diff_for_mutant(name, path=find_mutant(name).path))


def main() -> None:
    module = sys.argv[1]
    everything = statuses()
    # A run stopped part-way leaves mutants "not checked": they are counted apart, not as
    # survivors, and the score is then that of the mutants checked.
    found = {name: s for name, s in everything.items() if s != "not checked"}
    survivors = {name: s for name, s in found.items() if s not in KILLED}
    message_text: list[str] = []
    counted_survivors: list[str] = []
    with Path("survivors.diff").open("w", encoding="utf-8") as out:
        for name in sorted(survivors):
            diff = diff_of(name)
            if is_message_text(diff):
                message_text.append(name)
            else:
                counted_survivors.append(name)
                out.write(f"# {name}: {survivors[name]}\n{diff}\n")
    killed = sum(1 for s in found.values() if s in KILLED)
    counted = len(found) - len(message_text)
    raw = killed / len(found) if found else 0.0
    score = killed / counted if counted else 0.0
    print(
        json.dumps(
            {
                "module": module,
                "mutants": len(everything),
                "not_checked": len(everything) - len(found),
                "killed": killed,
                "survived": len(survivors),
                "message_text_survivors": len(message_text),
                "score_raw": round(100 * raw, 1),
                "score": round(100 * score, 1),
                "survivors": {name: survivors[name] for name in counted_survivors},
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
