"""``/api/v1/ledger``: a public checkpoint, proofs for signed-in callers, entries for auditors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.ledger.checkpoint import NoteVerifier, open_checkpoint
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof
from hanoix.services import auth, custody
from hanoix.services.node import Node


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with node.unit_of_work() as session:
        auth.add_authority(
            session, node.clock, auth.Authority("VNM-CA", "CA", "central-authority", "VNM")
        )
        for username, role in (("kim", "examiner"), ("an", "auditor")):
            auth.add_user(
                session,
                node.clock,
                username=username,
                display_name=username,
                roles={role},
                authority="VNM-CA",
                password=None,
            )
        custody.record_many(
            session,
            [
                CustodyEvent(
                    EventKind.PACKAGE_SEALED,
                    "examiner",
                    "VNM-CA",
                    datetime(2026, 11, 23, 10, i, tzinfo=UTC),
                    {"package": f"sha256:{i:064x}"},
                )
                for i in range(6)
            ],
        )
    with TestClient(create_app(node)) as c:
        yield c


def token(node: Node, username: str) -> dict[str, str]:
    with node.unit_of_work() as session:
        issued = auth.issue_token(session, node.clock, auth.user_id(session, username), "test")
    return {"Authorization": f"Bearer {issued}"}


def test_the_checkpoint_is_public_and_verifies(client: TestClient) -> None:
    response = client.get("/api/v1/ledger/checkpoint")
    assert response.status_code == 200
    body = response.json()
    signed = open_checkpoint(body["checkpoint"], NoteVerifier.from_vkey(body["vkey"]))
    assert signed.size == body["tree_size"] == 6


def test_proofs_need_a_caller_and_verify(client: TestClient, node: Node) -> None:
    assert client.get("/api/v1/ledger/proof/inclusion?index=1").status_code == 401
    headers = token(node, "kim")
    verifier = custody.CustodyLedger(node).verifier
    inclusion = client.get("/api/v1/ledger/proof/inclusion?index=4&size=5", headers=headers)
    assert inclusion.status_code == 200, inclusion.text
    InclusionProof.from_dict(inclusion.json()).verify(verifier)
    consistency = client.get("/api/v1/ledger/proof/consistency?from=2", headers=headers)
    assert consistency.status_code == 200, consistency.text
    assert ConsistencyProof.from_dict(consistency.json()).verify(verifier)[1].size == 6


@pytest.mark.parametrize(
    "query",
    [
        "inclusion?index=6",
        "inclusion?index=3&size=2",
        "inclusion?index=0&size=7",
        "consistency?from=4&to=3",
        # beyond any integer the database holds: still a problem document, not a 500
        "inclusion?index=0&size=18446744073709551616",
        "inclusion?index=18446744073709551616",
        "consistency?from=0&to=18446744073709551616",
    ],
)
def test_impossible_proofs_are_problems(client: TestClient, node: Node, query: str) -> None:
    response = client.get(f"/api/v1/ledger/proof/{query}", headers=token(node, "kim"))
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("proof-out-of-range")


def test_entries_are_for_auditors(client: TestClient, node: Node) -> None:
    assert client.get("/api/v1/ledger/entries").status_code == 401
    assert client.get("/api/v1/ledger/entries", headers=token(node, "kim")).status_code == 403
    response = client.get("/api/v1/ledger/entries?start=2&limit=3", headers=token(node, "an"))
    assert response.status_code == 200
    body = response.json()
    assert body["tree_size"] == 6
    assert [e["index"] for e in body["entries"]] == [2, 3, 4] and body["withheld"] == 0
    assert body["entries"][0]["entry"]["subject"] == {"package": f"sha256:{2:064x}"}
    too_many = client.get("/api/v1/ledger/entries?limit=5000", headers=token(node, "an"))
    assert too_many.status_code == 422
