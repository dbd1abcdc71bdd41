#!/usr/bin/env bash
# Mutation testing of the core: mutmut changes one thing at a time in a module (a comparison, a
# constant, a boolean operator...) and runs that module's tests; a change that no test notices
# ("survives") is a rule the suite does not hold. See docs/assurance-mutation.md.
#
#   scripts/mutation.sh                      # every module listed in CORE_MODULES below
#   scripts/mutation.sh hanoix/ledger/merkle.py [tests/ledger ...]
#
# Each module runs in a copy of the tree under $MUTATION_DIR (default /tmp/hanoix-mutation), so
# the working tree is never touched and modules can be measured one by one. The score printed
# and written to $MUTATION_DIR/<module>/score.json excludes message-text mutants by the rule in
# scripts/mutation_score.py. MUTATION_JOBS (default 2) is the number of mutants run at once.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
MUTATION_DIR=${MUTATION_DIR:-/tmp/hanoix-mutation}
MUTATION_JOBS=${MUTATION_JOBS:-2}

# module, then the tests that hold it (space-separated)
CORE_MODULES=(
  # tests/ledger/test_events.py is left out: its Hypothesis strategy is reported flaky
  # (FlakyStrategyDefinition) under mutmut's stats run, and it never touches the tree.
  "hanoix/ledger/merkle.py|tests/ledger/test_merkle.py tests/ledger/test_tamper.py tests/ledger/test_checkpoint.py tests/ledger/test_witness.py tests/ledger/test_docs_example.py"
  "hanoix/requests/transitions.py|tests/requests"
  "hanoix/requests/deadlines.py|tests/requests"
  "hanoix/treaty/status.py|tests/treaty"
  "hanoix/evidence/verify.py|tests/evidence"
)

run_one() {
  local module=$1; shift
  local tests=("$@")
  if [[ ! -f "$ROOT/$module" ]]; then
    echo "mutation.sh: no such module: $module (give a path like hanoix/ledger/merkle.py)" >&2
    exit 2
  fi
  local slug=${module//\//_}; slug=${slug%.py}
  local work=$MUTATION_DIR/$slug
  rm -rf "$work" && mkdir -p "$work"
  cp -r "$ROOT/hanoix" "$ROOT/tests" "$ROOT/docs" "$ROOT/benchmarks" "$work/"
  cp "$ROOT/pyproject.toml" "$work/"
  local selection
  selection=$(printf '"%s", ' "${tests[@]}")
  cat >> "$work/pyproject.toml" <<TOML

[tool.mutmut]
source_paths = ["hanoix"]
also_copy = ["docs", "benchmarks"]
only_mutate = ["$module"]
pytest_add_cli_args_test_selection = [${selection%, }]
pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "--timeout=120"]
use_git_change_detection = false
TOML
  echo "== $module (tests: ${tests[*]}) in $work" >&2
  (cd "$work" && "$VENV/bin/mutmut" run --max-children "$MUTATION_JOBS" > mutmut.log 2>&1) || {
    echo "mutation.sh: mutmut failed for $module, see $work/mutmut.log" >&2
    tail -20 "$work/mutmut.log" >&2
    return 1
  }
  (cd "$work" && "$VENV/bin/python" "$ROOT/scripts/mutation_score.py" "$module" > score.json)
  cat "$work/score.json"
}

if [[ $# -ge 1 ]]; then
  module=$1; shift
  if [[ $# -eq 0 ]]; then
    package=$(echo "$module" | cut -d/ -f2)
    set -- "tests/$package"
  fi
  run_one "$module" "$@"
else
  for entry in "${CORE_MODULES[@]}"; do
    module=${entry%%|*}
    read -r -a tests <<< "${entry#*|}"
    run_one "$module" "${tests[@]}"
  done
fi
