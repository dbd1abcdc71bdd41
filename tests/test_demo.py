"""``hanoix demo --check`` plays the whole three-node scenario as scripts would run it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

STEPS = [
    "Austria's 24/7 officer drafts an urgent preservation request",
    "Austria submits, approves (four eyes) and sends it",
    "Viet Nam's 24/7 point of contact receives it over the network",
    "Viet Nam preserves the provider's stored data and confirms it",
    "Austria sees the preservation confirmed and its deadline",
    "Austria follows up with an MLA request for the preserved data",
    "Viet Nam's central authority receives and acknowledges it",
    "Viet Nam seals the evidence and returns it for the request",
    "Austria receives the package, verified on arrival",
    "Austria's 24/7 unit verifies and opens it",
    "Austria closes the MLA request; Viet Nam's copy follows",
    "South Africa's node holds nothing of it",
]


def test_demo_check_plays_every_step_and_exits_0(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANOIX_")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-m", "hanoix", "demo", "--check", "--json"],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout)
    assert outcome["ok"] is True and outcome["setup_error"] is None
    assert [s["title"] for s in outcome["steps"]] == STEPS
    assert all(s["ok"] for s in outcome["steps"])
    assert "✓" in done.stderr or "steps succeeded" in done.stderr
    assert list(tmp_path.iterdir()) == []  # temporary homes only: nothing left behind
