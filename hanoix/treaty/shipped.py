"""The treaty status shipped with Hanoi Exchange, so a new node knows something on day one.

``data/treaty-status.csv`` is ``shared/data/treaty-status.csv`` of 2026-12-03 (69 dated
signatures) with Azerbaijan's reservations at signature, its domestic approval and the
authorities its law designates, each row naming its source; its sidecar
``data/treaty-status.json`` states its date, its source and its gaps ("69 of about 77
signatories known; no instrument deposited as far as known; as of 2026-12-03"). Operators
refresh it from the depositary (docs/treaty-data.md).
"""

from __future__ import annotations

import json
from datetime import date
from importlib import resources
from typing import Any

from hanoix.treaty.actions import ActionKind
from hanoix.treaty.csv_format import parse_csv
from hanoix.treaty.dataset import DatasetInfo, TreatyData

PACKAGE = "hanoix.treaty"
CSV_NAME = "treaty-status.csv"
SIDECAR_NAME = "treaty-status.json"


def _read(name: str) -> str:
    return resources.files(PACKAGE).joinpath("data").joinpath(name).read_text(encoding="utf-8")


def _sidecar() -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(_read(SIDECAR_NAME))
    return meta


def shipped_csv() -> str:
    """The text of the shipped CSV."""
    return _read(CSV_NAME)


def shipped_info() -> DatasetInfo:
    """Date, source and gaps of the shipped data, from its sidecar."""
    meta = _sidecar()
    return DatasetInfo(
        source=f"shipped with hanoix ({CSV_NAME}): {meta['source']}",
        as_of=date.fromisoformat(meta["as_of"]),
        format="csv",
        gaps=meta["gaps"],
    )


def shipped_data() -> TreatyData:
    """The shipped treaty data, parsed (and so checked) like any import."""
    actions, declarations = parse_csv(shipped_csv(), source_name=f"shipped {CSV_NAME}")
    known = _sidecar()["signatories_known"]
    signatories = {a.participant for a in actions if a.kind is ActionKind.SIGNATURE}
    if len(signatories) != known:
        # The sidecar's statement of gaps would be wrong: a packaging mistake, not user input.
        raise ValueError(f"{CSV_NAME} has {len(signatories)} signatories; its sidecar says {known}")
    return TreatyData(tuple(actions), tuple(declarations), shipped_info())
