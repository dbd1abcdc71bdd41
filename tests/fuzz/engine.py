"""The fuzzing engine for one target, in a process of its own (atheris owns the process and
exits it when fuzzing ends): ``python -m tests.fuzz.engine TARGET --work DIR [--keep-going]
[libFuzzer flags...]``.

The target's module and everything it prepares are imported under atheris's import hook, so
``hanoix`` (and ``rfc8785``, which canonicalises every signed JSON document) are instrumented
for coverage. ``DIR/seeds`` receives the target's seeds, ``DIR/corpus`` the inputs libFuzzer
found interesting (kept between runs), ``DIR/crashes`` what crashed.

Without ``--keep-going`` the first undocumented exception stops the run (libFuzzer saves the
input as ``crashes/crash-<sha1>`` and exits non-zero). With it, each new kind of crash (its
exception type and the innermost frame of the project's code) is saved as ``crash-<sha1>`` with
its traceback beside it (``.txt``) and fuzzing goes on, so one long run finds them all.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import traceback
from pathlib import Path

import atheris

from tests.fuzz.harness import load


def _signature(error: BaseException) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    own = [f for f in frames if "/hanoix/" in f.filename or "/tests/" in f.filename]
    where = own[-1] if own else (frames[-1] if frames else None)
    place = f"{Path(where.filename).name}:{where.lineno}" if where else "?"
    return f"{type(error).__name__} at {place}"


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz.engine")
    parser.add_argument("target")
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--keep-going", action="store_true")
    options, flags = parser.parse_known_args(argv)  # the rest are libFuzzer's flags
    name, work, keep_going = options.target, options.work, options.keep_going
    seeds, corpus, crashes = work / "seeds", work / "corpus", work / "crashes"
    for folder in (seeds, corpus, crashes):
        folder.mkdir(parents=True, exist_ok=True)

    with atheris.instrument_imports(include=["hanoix", "rfc8785"]):
        target = load(name)
        parse = target.prepare()
        for seed_name, data in target.seeds().items():
            (seeds / seed_name).write_bytes(data)
    documented = target.documented
    seen: set[str] = {p.read_text().splitlines()[0] for p in crashes.glob("crash-*.txt")}

    def one_input(data: bytes) -> None:
        try:
            parse(data)
        except documented:
            return
        except Exception as error:
            if not keep_going:
                raise
            signature = _signature(error)
            if signature in seen:
                return
            seen.add(signature)
            digest = hashlib.sha1(data).hexdigest()  # a file name, as libFuzzer gives its crashes
            (crashes / f"crash-{digest}").write_bytes(data)
            (crashes / f"crash-{digest}.txt").write_text(
                signature + "\n" + "".join(traceback.format_exception(error))
            )
            print(f"NEW CRASH {signature} -> crash-{digest}", file=sys.stderr, flush=True)

    atheris.Setup(
        [
            sys.argv[0],
            f"-artifact_prefix={crashes}/",
            "-print_final_stats=1",
            *flags,
            str(corpus),  # the first folder receives the new interesting inputs
            str(seeds),
        ],
        one_input,
    )
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv[1:])
