"""``POST /api/v1/content/match`` with a video: matched by vPDQ, the shares of frames matched in
the answer's extra member."""

from __future__ import annotations

from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services import content
from hanoix.services.node import Node
from hanoix.services.requests import user_named
from tests.content.videos import original, other, reencoded, require_vpdq
from tests.services.requests_world import add_people, populate, token


def test_a_matcher_matches_a_reencoded_video_by_vpdq_and_not_an_unrelated_one(node: Node) -> None:
    require_vpdq()
    populate(node)
    add_people(node, [], {"platform": ({"matcher"}, "AUT-CA")})
    drafter = user_named(node, "drafter")
    case = content.open_case(node, drafter, article=16, victim_ref="v-78", consent=["hash"])
    content.add_content(node, drafter, case.reference, [("clip.mp4", original())])
    headers = {**token(node, "platform"), "Content-Type": "application/octet-stream"}
    with TestClient(create_app(node)) as client:
        hit = client.post("/api/v1/content/match", content=reencoded(), headers=headers)
        miss = client.post("/api/v1/content/match", content=other(), headers=headers)
    assert hit.status_code == 200, hit.text
    [found] = hit.json()["matches"]
    assert found["case"] == case.reference and found["signal"] == "vpdq"
    assert 0 <= found["distance"] <= 31
    assert found["vpdq"] == {"query_percent": 100.0, "compared_percent": 100.0}
    assert miss.json() == {"matched": False, "matches": [], "note": None}
