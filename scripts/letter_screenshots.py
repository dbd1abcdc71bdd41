"""Page images of a request letter in English and in Arabic (docs/screenshots/letter-*.png).

    .venv/bin/python scripts/letter_screenshots.py

The demo's preservation request (hanoix/demo.py), drafted and approved on a throwaway node,
issued as a signed letter in each language; the first page made an image by poppler's
pdftoppm (poppler-utils), at 70 dpi.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hanoix.demo import preservation_draft  # noqa: E402
from hanoix.documents.requests import RequestDocument, to_draft  # noqa: E402
from hanoix.requests import Action  # noqa: E402
from hanoix.services import letters  # noqa: E402
from hanoix.services import requests as service  # noqa: E402
from tests.letters.conftest import state_node  # noqa: E402
from tests.services.requests_world import user  # noqa: E402


def main() -> None:
    document = preservation_draft()
    # Sent by the central authority here (the demo's goes to the 24/7 point of contact).
    document.pop("requested_authority")
    document["channel"] = "central-authority"
    with tempfile.TemporaryDirectory() as folder:
        for node in state_node(Path(folder) / "aut", "AUT"):
            made = service.create(node, user(node, "editor"), to_draft(RequestDocument(**document)))
            request = made.request
            for who, action in (("editor", Action.SUBMIT), ("approver2", Action.APPROVE)):
                request = service.take_step(
                    node,
                    user(node, who),
                    str(request.reference),
                    action,
                    expected_version=request.version,
                )
            for language in ("en", "ar"):
                issued = letters.issue(node, user(node, "editor"), str(request.reference), language)
                pdf = Path(folder) / f"{language}.pdf"
                pdf.write_bytes(issued.pdf)
                target = ROOT / "docs" / "screenshots" / f"letter-{language}"
                subprocess.run(
                    [
                        "pdftoppm",
                        "-png",
                        "-r",
                        "70",
                        "-f",
                        "1",
                        "-l",
                        "1",
                        "-singlefile",
                        str(pdf),
                        str(target),
                    ],
                    check=True,
                )
                print(f"wrote {target}.png")


if __name__ == "__main__":
    main()
