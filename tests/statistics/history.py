"""A seeded history with known answers, written straight into the tables (the lifecycle is
tested elsewhere; here only what a report counts matters).

Node of AUT, period 2026 (UTC). Sent: 6 MLA requests to VNM executed (acknowledged after 2 h,
executed after 10 days), 3 MLA requests to ZAF refused on one coded ground, 1 preservation to
VNM withdrawn; one draft never sent and one request sent in 2025 do not count. Received
through the 24/7 point of contact: 7 preservations from VNM (acknowledged after 1 h), of which
4 were followed up in time by an MLA request (received, pending), 2 lapsed and 1 is still
running. Content cases: 2 under Art. 14, 6 under Art. 16. Identifiable values (a name, an
e-mail address) sit in the requests' documents: no statistic may carry them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from hanoix.requests.localtime import period_end
from hanoix.store.auth import AuthorityRow
from hanoix.store.content import ContentCaseRow
from hanoix.store.content_notices import ContentNoticeRow
from hanoix.store.requests import RequestRow, RequestStepRow

START = datetime(2026, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
NAME = "Zbigniew Quastelbaum"
EMAIL = "zbigniew.quastelbaum@example.org"


class History:
    def __init__(self, state: str = "AUT") -> None:
        self.state = state
        self.requests: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.number = 0

    def add(
        self,
        side: str,
        kind: str,
        other: str,
        steps: list[tuple[str, datetime, dict[str, str]]],
        *,
        handled_by: str = "CA",
        preservation: dict[str, Any] | None = None,
        preservation_ends: datetime | None = None,
        follows_up: str | None = None,
    ) -> str:
        self.number += 1
        reference = f"{self.state}-2026-{self.number:05d}"
        state = self.state
        requesting, requested = (state, other) if side == "requesting" else (other, state)
        handled_by = f"{state}-{handled_by}"
        created = steps[0][1] - timedelta(hours=1)
        self.requests.append(
            {
                "id": f"id-{self.number}",
                "reference": reference,
                "kind": kind,
                "side": side,
                "local_state": state,
                "requesting_state": requesting,
                "requested_state": requested,
                "status": "sent",
                "handled_by": handled_by,
                "restricted": False,
                "urgent": False,
                "next_deadline": None,
                "preservation_ends": preservation_ends,
                "follows_up": follows_up,
                "created_at": created,
                "updated_at": created,
                "version": len(steps),
                "document": {
                    "contents": {"person": NAME, "contact": EMAIL},
                    "preservation": preservation,
                },
            }
        )
        for seq, (action, at, details) in enumerate(steps, start=1):
            self.steps.append(
                {
                    "request_id": f"id-{self.number}",
                    "seq": seq,
                    "action": action,
                    "from_status": None,
                    "to_status": "sent",
                    "side": side,
                    "actor": NAME,
                    "authority": handled_by,
                    "at": at,
                    "ledger_index": 0,
                    "event": {"details": details, "actor": EMAIL},
                }
            )
        return reference

    def write(self, session: Session) -> None:
        session.execute(insert(RequestRow), self.requests)
        session.execute(insert(RequestStepRow), self.steps)


def seed(session: Session, state: str = "AUT") -> None:
    """Write the history of the module's docstring (and the authorities it names) on the node
    of ``state`` (the counterparts stay VNM and ZAF)."""
    for code, kind in ((f"{state}-CA", "central-authority"), (f"{state}-247", "contact-24-7")):
        if session.get(AuthorityRow, code) is None:
            session.add(
                AuthorityRow(code=code, name=code, kind=kind, state=state, created_at=START)
            )
    session.flush()
    h = History(state)
    day = timedelta(days=1)
    hour = timedelta(hours=1)
    for i in range(6):
        sent = START + (10 + i) * day
        h.add(
            "requesting",
            "mla",
            "VNM",
            [
                ("create", sent - day, {}),
                ("send", sent, {}),
                ("acknowledge", sent + 2 * hour, {}),
                ("execute", sent + 10 * day, {}),
            ],
        )
    for i in range(3):
        sent = START + (40 + i) * day
        h.add(
            "requesting",
            "mla",
            "ZAF",
            [
                ("send", sent, {}),
                ("refuse", sent + 5 * day, {"grounds": "political-offence"}),
            ],
        )
    h.add(
        "requesting",
        "preservation",
        "VNM",
        [("send", START + 50 * day, {}), ("withdraw", START + 51 * day, {})],
    )
    h.add("requesting", "mla", "VNM", [("create", START + 60 * day, {})])  # a draft
    h.add("requesting", "mla", "VNM", [("send", START - 10 * day, {})])  # sent in 2025
    # Received preservations: 90 days from the local date they were preserved.
    for i, fate in enumerate(("in", "in", "in", "in", "lapsed", "lapsed", "open")):
        received = START + (100 + i) * day if fate != "open" else NOW - 5 * day
        starts_on = (received + day).date().isoformat()
        reference = h.add(
            "requested",
            "preservation",
            "VNM",
            [
                ("register", received, {}),
                ("acknowledge", received + hour, {}),
                ("execute", received + day, {}),
            ],
            handled_by="247",
            preservation={
                "starts_on": starts_on,
                "zone": "Europe/Vienna",
                "days": 90,
                "extensions": [],
            },
            preservation_ends=period_end(date.fromisoformat(starts_on), 90, "Europe/Vienna"),
        )
        if fate == "in":
            h.add(
                "requested",
                "mla",
                "VNM",
                [("register", received + 30 * day, {})],
                follows_up=reference,
            )
    h.write(session)
    session.execute(
        insert(ContentCaseRow),
        [
            {
                "article": article,
                "victim_ref": "victim-1",
                "authority": f"{state}-CA",
                "consent": "hash",
                "opened_at": START + 20 * day,
                "opened_by": NAME,
            }
            for article in (14, 14, 16, 16, 16, 16, 16, 16)
        ],
    )
    # Removal notices of the first case: six removed by a provider, one refused by a State.
    case_id = session.execute(select(func.min(ContentCaseRow.id))).scalar_one()
    session.execute(
        insert(ContentNoticeRow),
        [
            {
                "case_id": case_id,
                "authority": f"{state}-CA",
                "recipient": recipient,
                "recipient_kind": kind,
                "legal_basis": "Art. 16; Art. 34",
                "content": "[]",
                "state": fate,
                "sent_at": START + 21 * day,
                "sent_by": NAME,
                "deadline": START + 23 * day,
                "updated_at": START + 22 * day,
                "confirmation": "TKT-1" if fate == "removed" else None,
                "reason": "lawful where hosted" if fate == "refused" else None,
            }
            for recipient, kind, fate in [
                *[("ExampleTube", "provider", "removed")] * 6,
                ("VNM", "state", "refused"),
            ]
        ],
    )
