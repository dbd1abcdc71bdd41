"""``POST /api/v1/content/match``: a platform's integration with a ``matcher`` token matches
files against the node's lists, and that token can do nothing else."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services import content
from hanoix.services.node import Node
from hanoix.services.requests import user_named
from tests.content.images import edited_copies, encode, scene, unrelated
from tests.services.requests_world import add_people, document, populate, token


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    populate(node)
    add_people(node, [], {"platform": ({"matcher"}, "AUT-CA")})
    drafter = user_named(node, "drafter")
    case = content.open_case(node, drafter, article=16, victim_ref="v-77", consent=["hash"])
    content.add_content(node, drafter, case.reference, [("scene.png", encode(scene()))])
    with TestClient(create_app(node)) as test_client:
        yield test_client


def test_a_matcher_matches_an_edited_copy_and_not_an_unrelated_picture(
    client: TestClient, node: Node
) -> None:
    headers = {**token(node, "platform"), "Content-Type": "application/octet-stream"}
    hit = client.post("/api/v1/content/match", content=edited_copies()["mirrored"], headers=headers)
    assert hit.status_code == 200, hit.text
    answer = hit.json()
    assert answer["matched"] is True
    assert answer["matches"] == [
        {"case": "RC-000001", "list": "local", "signal": "pdq", "distance": 0, "origin": None}
    ]
    miss = client.post("/api/v1/content/match", content=encode(unrelated()), headers=headers)
    assert miss.status_code == 200 and miss.json()["matched"] is False


def test_a_body_that_is_not_a_file_is_refused_with_what_to_send(
    client: TestClient, node: Node
) -> None:
    headers = token(node, "platform")
    as_json = client.post("/api/v1/content/match", json={"file": "x"}, headers=headers)
    assert as_json.status_code == 422 and "application/octet-stream" in as_json.text
    empty = client.post(
        "/api/v1/content/match",
        content=b"",
        headers={**headers, "Content-Type": "application/octet-stream"},
    )
    assert empty.status_code == 422 and "empty" in empty.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/requests"),
        ("POST", "/api/v1/requests"),
        ("GET", "/api/v1/federation/inbox"),
        ("GET", "/api/v1/ledger/entries"),
        ("GET", "/api/v1/users"),
    ],
)
def test_a_matcher_token_can_do_nothing_else(
    client: TestClient, node: Node, method: str, path: str
) -> None:
    body = document() if method == "POST" else None
    answer = client.request(method, path, headers=token(node, "platform"), json=body)
    assert answer.status_code in {403, 404}, (path, answer.status_code)
    assert "RC-000001" not in answer.text and "v-77" not in answer.text


def test_a_case_worker_withdraws_a_hash_and_records_platform_feedback_the_matcher_may_not(
    client: TestClient, node: Node
) -> None:
    from hanoix.content.signals import hash_content

    pdq = hash_content(encode(scene())).pdq
    assert pdq is not None
    report = {
        "platform": "example-platform",
        "hashFeedbacks": [{"hashValue": pdq.value, "feedbackValue": "Blocked"}],
    }
    drafter = token(node, "drafter")
    told = client.post("/api/v1/content/feedback", json=report, headers=drafter)
    assert told.status_code == 200, told.text
    assert told.json()["recorded"][0]["verdict"] == "blocked"
    platform = token(node, "platform")
    assert client.post("/api/v1/content/feedback", json=report, headers=platform).status_code == 403
    body = {"hash": pdq.value, "reason": "victim"}
    assert (
        client.post("/api/v1/content/withdrawals", json=body, headers=platform).status_code == 403
    )
    done = client.post("/api/v1/content/withdrawals", json=body, headers=drafter)
    assert done.status_code == 200 and done.json()["cases"] == [
        {"case": "RC-000001", "signal": "pdq"}
    ]
    headers = {**platform, "Content-Type": "application/octet-stream"}
    hit = client.post("/api/v1/content/match", content=edited_copies()["mirrored"], headers=headers)
    assert hit.json()["matched"] is False
    lists = client.get("/api/v1/content/lists", headers=drafter)
    assert lists.status_code == 200 and lists.json()["held"] == []


def test_a_case_worker_records_a_platforms_votes_as_ncmec_has_them_the_matcher_may_not(
    client: TestClient, node: Node
) -> None:
    from hanoix.content.signals import hash_content
    from hanoix.services.custody import CustodyLedger

    hashes = hash_content(encode(scene()))
    assert hashes.pdq is not None
    body = {
        "platform": "example-platform",
        "votes": [
            {"signal": "pdq", "hash": hashes.pdq.value, "vote": "upvote"},
            {"signal": "md5", "hash": hashes.md5, "vote": "downvote", "reason": "a logo"},
            {"signal": "sha256", "hash": "0" * 64, "vote": "upvote"},
        ],
    }
    drafter = token(node, "drafter")
    assert (
        client.post("/api/v1/content/votes", json=body, headers=token(node, "platform")).status_code
        == 403
    )
    told = client.post("/api/v1/content/votes", json=body, headers=drafter)
    assert told.status_code == 200, told.text
    up, down = told.json()["recorded"]
    assert (up["verdict"], up["opinion"], len(up["lists"])) == ("upvote", "POSITIVE_CLASS", 1)
    assert down["verdict"] == "downvote" and down["reason"] == "a logo"
    assert down["opinion"] == "NEGATIVE_CLASS" and down["exchange"] == "ncmec"
    assert told.json()["unknown"] == ["0" * 64]
    texts = [
        e.entry if isinstance(e.entry, str) else e.entry.decode()
        for e in CustodyLedger(node).entries()
    ]
    votes = [t for t in texts if '"content.feedback"' in t]
    assert len(votes) == 2 and "a logo" in votes[1] and "example-platform" in votes[0]
    for bad, field in (
        (
            {**body, "votes": [{"signal": "md5", "hash": hashes.pdq.value, "vote": "upvote"}]},
            "votes.0",
        ),
        (
            {
                **body,
                "votes": [
                    {"signal": "pdq", "hash": hashes.pdq.value, "vote": "upvote", "reason": "x"}
                ],
            },
            "votes.0",
        ),
        (
            {**body, "votes": [{"signal": "pdq", "hash": hashes.pdq.value, "vote": "meh"}]},
            "votes.0.vote",
        ),
        ({**body, "votes": []}, "votes"),
    ):
        refused = client.post("/api/v1/content/votes", json=bad, headers=drafter)
        assert refused.status_code == 422, refused.text
        assert field in {p["field"] for p in refused.json()["problems"]}, refused.json()
    after = [e for e in CustodyLedger(node).entries()]
    assert len(after) == len(texts)  # nothing of a refused body recorded
