"""The 24/7 desk warns of a peer whose clock is beyond the tolerance, in the page's language,
and says nothing of a peer within it (docs/monitoring.md, "Clocks")."""

from __future__ import annotations

import json
import re
import secrets
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from hanoix.clock import FixedClock
from hanoix.services.node import Node
from hanoix.store import federation as fed_store
from tests.web.pages import sign_in
from tests.web.test_desks import client, clock, node  # noqa: F401  (the desks' fixtures)

pytestmark = pytest.mark.usefixtures("cheap_passwords")


def arrive_made_ahead(on: Node, sender: str, ahead: timedelta) -> None:
    """An envelope taken now that its sender dated ``ahead`` of this node's clock."""
    with on.unit_of_work() as session:
        at = on.clock.now()
        fed_store.add_inbox(
            session,
            envelope_id=secrets.token_hex(16),
            sender=sender,
            type="federation.notice",
            urgent=False,
            in_reply_to=None,
            created_at=at + ahead,
            expires_at=at + timedelta(days=1),
            received_at=at,
            digest="0" * 64,
            payload=json.dumps({"text": "hi"}),
            receipt="{}",
        )


def test_the_desk_names_a_peer_whose_clock_runs_ahead_and_not_one_within_the_tolerance(
    client: TestClient,  # noqa: F811
    node: Node,  # noqa: F811
    clock: FixedClock,  # noqa: F811
) -> None:
    sign_in(client, "duty")
    assert 'id="desk-clocks"' not in client.get("/desk/24-7").text
    arrive_made_ahead(node, "vnm.hanoix.test", timedelta(seconds=200))
    arrive_made_ahead(node, "zaf.hanoix.test", timedelta(seconds=90))  # within 120 s
    page = client.get("/desk/24-7").text
    warning = re.search(r'<div class="alert" id="desk-clocks">.*?</div>', page, re.S)
    assert warning is not None
    assert "The clock of vnm.hanoix.test is at least 200 seconds ahead" in warning.group(0)
    assert "zaf.hanoix.test" not in warning.group(0)
    french = client.get("/desk/24-7", headers={"Accept-Language": "fr"}).text
    assert "L'horloge de vnm.hanoix.test avance d'au moins 200 secondes" in french
