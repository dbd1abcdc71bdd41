"""Golden files: a format's encoded value, written once from the code that defines the format,
against which every later encoding is compared byte for byte.

A golden file is never rewritten to make a test pass: a change of format is a new version of
it (its constant raised, with a migration or a documented protocol step), and its golden files
are new ones beside the old.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def as_golden(value: Any) -> str:
    """The golden file's text for an encoded value. It keeps the order of the members (the
    database keeps the JSON as written), so a golden file pins that order too."""
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def read_golden(folder: Path, name: str) -> str:
    """The text of golden file ``name`` in ``folder``."""
    return (folder / name).read_text("utf-8")
