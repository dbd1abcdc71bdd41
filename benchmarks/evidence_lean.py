"""The evidence operations in a lean process: the same service functions the CLI calls
(``hanoix.services.evidence``), without the CLI's start-up (every command group, SQLAlchemy,
Alembic, pydantic). Used by ``evidence_throughput.py`` to separate the work from the start-up.

    .venv/bin/python benchmarks/evidence_lean.py pack INPUT SIGNING_KEY RECIPIENT_PUB OUTPUT
    .venv/bin/python benchmarks/evidence_lean.py verify PACKAGE
    .venv/bin/python benchmarks/evidence_lean.py open PACKAGE ENCRYPTION_KEY OUTPUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from hanoix.clock import SystemClock
from hanoix.evidence.keys import KeyKind
from hanoix.services import evidence


def main(argv: list[str]) -> int:
    operation, *paths = argv
    if operation == "pack":
        source, key, recipient, out = map(Path, paths)
        evidence.seal_files(
            evidence.collect_sources([source]),
            out,
            signer=evidence.load_signing_key(key, None),
            recipients=[evidence.load_public_key(recipient, KeyKind.ENCRYPTION, "--to")],
            clock=SystemClock(),
        )
    elif operation == "verify":
        evidence.verify_file(Path(paths[0]))
    elif operation == "open":
        package, key, out = map(Path, paths)
        evidence.open_file(package, evidence.load_decryption_key(key, None), out)
    else:
        raise SystemExit(f"unknown operation {operation}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
