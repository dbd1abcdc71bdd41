"""Coverage per package from coverage.py's JSON report, checked against the project's targets.

Prints, for the whole of hanoix and for each package, the combined percentage coverage.py
reports (statements and branches), the branch percentage alone, and the statements and branches
missed; exits 1 when a target is not met.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

TARGETS = {"hanoix": 90.0, "hanoix/api": 85.0, "hanoix/cli": 85.0}


def main() -> int:
    data = json.loads(Path(sys.argv[1] if len(sys.argv) > 1 else "coverage.json").read_text())
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for name, info in data["files"].items():
        summary = info["summary"]
        parts = Path(name).parts
        groups = ["hanoix"] + (["/".join(parts[:2])] if len(parts) > 2 else [])
        for group in groups:
            total = totals[group]
            total[0] += summary["num_statements"]
            total[1] += summary["covered_lines"]
            total[2] += summary.get("num_branches", 0)
            total[3] += summary.get("covered_branches", 0)
    failed = False
    print(f"{'package':<22} {'combined':>9} {'branches':>9}  missed (statements, branches)")
    for group in sorted(totals, key=lambda g: (g != "hanoix", g)):
        statements, covered, branches, covered_branches = totals[group]
        combined = 100.0 * (covered + covered_branches) / max(1, statements + branches)
        branch = 100.0 * covered_branches / max(1, branches)
        target = TARGETS.get(group)
        mark = ""
        if target is not None:
            ok = combined >= target
            failed |= not ok
            mark = f"  target {target:.0f}%: {'met' if ok else 'NOT MET'}"
        print(
            f"{group:<22} {combined:8.1f}% {branch:8.1f}%  "
            f"{statements - covered}, {branches - covered_branches}{mark}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
