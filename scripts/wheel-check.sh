#!/usr/bin/env bash
# Build hanoix's wheel, install it with pip alone into a fresh virtual environment, and check
# that the installed `hanoix` starts a node: `--version`, `init`, then `serve --workers 2` (with
# PROMETHEUS_MULTIPROC_DIR, as deploy/systemd/ runs it) answering its liveness and readiness
# probes, and its metrics to an auditor's token. Not part of `make test` (a fresh install of every dependency
# takes minutes: pdqhash compiles); run it before a release: `bash scripts/wheel-check.sh`.
#
# It needs the package index pip is configured with (a local mirror works offline), and only
# the wheel and constraints.txt from the checkout: nothing of the checkout is on the path.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d -t hanoix-wheel-XXXXXX)
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "building the wheel..."
"$PYTHON" -m pip wheel --quiet --no-deps --wheel-dir "$WORK/dist" "$ROOT"
WHEEL=$(ls "$WORK"/dist/hanoix-*.whl)
echo "  $(basename "$WHEEL")"

echo "installing it into a fresh virtual environment..."
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --constraint "$ROOT/constraints.txt" "$WHEEL"

cd "$WORK"  # away from the checkout: the installed package, not the source tree
HANOIX="$WORK/venv/bin/hanoix"
"$HANOIX" --version
"$HANOIX" --home "$WORK/home" init --state AUT --origin aut.wheel.test --json >/dev/null
"$HANOIX" --home "$WORK/home" authority add AUT-CA --name "Central authority" \
  --kind central-authority --state AUT >/dev/null
"$HANOIX" --home "$WORK/home" user add prometheus --role auditor --authority AUT-CA >/dev/null
TOKEN=$("$HANOIX" --home "$WORK/home" user token new prometheus --name scrape --days 1 2>/dev/null)
echo "  init, authority, auditor and token: ok"
mkdir "$WORK/metrics"

PORT=$("$WORK/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PROMETHEUS_MULTIPROC_DIR="$WORK/metrics" HANOIX_FEDERATION_WORKER=false \
  "$HANOIX" --home "$WORK/home" serve --port "$PORT" --workers 2 >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  if "$WORK/venv/bin/python" - "$PORT" <<'PY' 2>/dev/null; then break; fi
import sys, urllib.request
urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/health/ready", timeout=1)
PY
  sleep 0.2
done
for probe in live ready; do
  "$WORK/venv/bin/python" - "$PORT" "$probe" <<'PY'
import json, sys, urllib.request
with urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/api/v1/health/{sys.argv[2]}", timeout=5) as answer:
    body = json.load(answer)
assert body["status"] == "ok", body
print(f"  health/{sys.argv[2]}: ok")
PY
done
"$WORK/venv/bin/python" - "$PORT" "$TOKEN" <<'PY'
import sys, urllib.request
request = urllib.request.Request(
    f"http://127.0.0.1:{sys.argv[1]}/api/v1/metrics",
    headers={"Authorization": f"Bearer {sys.argv[2]}"},
)
with urllib.request.urlopen(request, timeout=10) as answer:
    text = answer.read().decode()
assert "hanoix_database_up 1.0" in text, text[:500]
assert "hanoix_login_failures_total" in text, text[:500]
print("  metrics: ok")
PY
echo "the wheel installs with pip alone and runs a node"
