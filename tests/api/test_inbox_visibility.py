"""The 24/7 inbox over the API on the receiving node of a two-node exchange: a restricted
urgent preservation sent by Austria's 24/7 unit to Viet Nam's is read and acknowledged by
VNM-247 only; a clerk of Viet Nam's central authority gets from ``?all=true`` nothing of it,
and from acknowledge the very answer a missing message gets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from tests.federation.builders import Network
from tests.services.exchange_world import (
    SECRET_FACT,
    Restricted,
    add_visibility_people,
    exchange_network,
    send_restricted_preservation,
)
from tests.services.requests_world import token

INBOX = "/api/v1/federation/inbox"


@pytest.fixture
def exchanged(tmp_path: Path) -> Iterator[tuple[Network, Restricted, TestClient]]:
    network = exchange_network(tmp_path)
    add_visibility_people(network)
    sent = send_restricted_preservation(network)
    with TestClient(create_app(network["v"].node)) as client:
        yield network, sent, client
    network.close()


def test_a_clerk_of_another_authority_cannot_read_or_silence_a_restricted_urgent_item(
    exchanged: tuple[Network, Restricted, TestClient],
) -> None:
    net, sent, client = exchanged
    v = net["v"].node
    clerk, officer = token(v, "drafter"), token(v, "officer")

    for query in ("", "?all=true"):
        listed = client.get(INBOX + query, headers=clerk)
        assert listed.status_code == 200
        assert sent.reference not in listed.text and SECRET_FACT not in listed.text
        assert sent.envelope_id not in listed.text

    hidden = client.post(f"{INBOX}/{sent.envelope_id}/acknowledge", headers=clerk)
    missing = client.post(f"{INBOX}/{'0' * 32}/acknowledge", headers=clerk)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.headers["content-type"] == missing.headers["content-type"]
    shape = {k: v for k, v in hidden.json().items() if k not in {"detail", "instance"}}
    assert shape == {k: v for k, v in missing.json().items() if k not in {"detail", "instance"}}
    assert hidden.json()["detail"] == missing.json()["detail"].replace("0" * 32, sent.envelope_id)

    # Still pending and urgent for the 24/7 unit that handles it, which reads it whole.
    pending = client.get(INBOX, headers=officer).json()
    assert pending[0]["envelope_id"] == sent.envelope_id and pending[0]["urgent"] is True
    assert SECRET_FACT in json.dumps(pending[0]["payload"])
    done = client.post(f"{INBOX}/{sent.envelope_id}/acknowledge", headers=officer)
    assert done.status_code == 200 and done.json()["changed"] is True
    assert sent.envelope_id not in client.get(INBOX, headers=officer).text
