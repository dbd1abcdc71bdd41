"""Write the node's OpenAPI document to docs/openapi.json (``make openapi``).

The document is generated from the application itself; tests/api/test_requests_api.py fails
when the committed file differs from what the node serves.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "openapi.json"


def main() -> int:
    # Run as a file, this script's folder comes first on the path: put the checkout there.
    sys.path.insert(0, str(ROOT))
    from hanoix.api.app import create_app
    from hanoix.config import load_settings
    from hanoix.services.node import Node

    with tempfile.TemporaryDirectory() as home:
        node = Node.open(load_settings(home, environ={}))
        try:
            document = create_app(node).openapi()
        finally:
            node.close()
    TARGET.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    sys.stderr.write(f"wrote {TARGET}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
