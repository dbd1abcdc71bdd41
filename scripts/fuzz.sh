#!/usr/bin/env bash
# The long fuzzing run: every parser of outside input under atheris for SECONDS each (default
# 300), one target after the other. Crashes are recorded and fuzzing goes on; corpora and
# crashes stay in $FUZZ_DIR (default .fuzz/) so that the next run starts where this one ended.
# A crash found here is copied into tests/fuzz/corpus/<target>/ and so replayed by the tests.
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]; exit 1 if any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-300}"
shift || true
exec .venv/bin/python -m tests.fuzz.run --seconds "$seconds" --keep-going \
  --out "${FUZZ_DIR:-.fuzz}" "$@"
