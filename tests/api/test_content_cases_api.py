"""Removal cases and notices over ``/api/v1/content``: what the CLI and the case page do, for
an authority's own systems; another authority's case answers as a missing one, bad input is a
422 naming its field, and a ``matcher`` token reaches none of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services import content
from hanoix.services.node import Node
from hanoix.services.requests import user_named
from tests.content.images import edited_copies, encode, scene
from tests.services.requests_world import add_people, outgoing, populate, token

API = "/api/v1/content"


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    populate(node)
    add_people(node, [], {"platform": ({"matcher"}, "AUT-CA")})
    with TestClient(create_app(node)) as test_client:
        yield test_client


def _open(client: TestClient, node: Node, victim: str = "v-api-1") -> str:
    """A case opened over the API, its content listed through the service (the API lists no
    content: that takes the files, on the CLI)."""
    opened = client.post(
        f"{API}/cases",
        json={"article": 16, "victim_ref": victim, "consent": ["hash", "share"]},
        headers=token(node, "drafter"),
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()
    assert case["article"] == 16 and case["consent"] == ["hash", "share"]
    assert case["authority"] == "AUT-CA" and case["hashes"] == 0
    reference = str(case["case"])
    content.add_content(
        node, user_named(node, "drafter"), reference, [("scene.png", encode(scene()))]
    )
    return reference


def _fields(answer: Any) -> set[str]:
    return {str(p["field"]) for p in answer.json()["problems"]}


def test_a_case_is_opened_noticed_answered_and_shown_with_what_it_keeps(
    client: TestClient, node: Node
) -> None:
    case = _open(client, node)
    me = token(node, "officer")
    sent = client.post(
        f"{API}/cases/{case}/notices", json={"to": "ExampleTube", "deadline": "48h"}, headers=me
    )
    assert sent.status_code == 201, sent.text
    notice = sent.json()
    assert notice["state"] == "sent" and notice["version"] == 1 and len(notice["content"]) == 1
    assert "Art. 34" in notice["legal_basis"]
    ref = notice["notice"]
    acknowledged = client.post(f"{API}/notices/{ref}/acknowledge", json={"version": 1}, headers=me)
    assert acknowledged.status_code == 200 and acknowledged.json()["state"] == "acknowledged"
    # The version read before the acknowledgement is stale now: read again.
    stale = client.post(
        f"{API}/notices/{ref}/removed", json={"version": 1, "confirmation": "T-1"}, headers=me
    )
    assert stale.status_code == 409 and "changed" in stale.json()["detail"]
    removed = client.post(
        f"{API}/notices/{ref}/removed", json={"version": 2, "confirmation": "T-1"}, headers=me
    )
    assert removed.status_code == 200 and removed.json()["confirmation"] == "T-1"
    final = client.post(
        f"{API}/notices/{ref}/refused", json={"version": 3, "reason": "no"}, headers=me
    )
    assert final.status_code == 409 and "may become" in final.json()["detail"]
    # A platform's match of the content is kept on the case (and reopens the notice).
    matched = client.post(
        f"{API}/match",
        content=edited_copies()["mirrored"],
        headers={**token(node, "platform"), "Content-Type": "application/octet-stream"},
    )
    assert matched.json()["matched"] is True
    shown = client.get(f"{API}/cases/{case}", headers=token(node, "examiner"))
    assert shown.status_code == 200, shown.text
    body = shown.json()
    assert body["victim_ref"] == "v-api-1" and body["hashes"] == 3
    assert {s["signal"] for s in body["signals"]} == {"sha256", "md5", "pdq"}
    [listed] = body["notices"]
    assert listed["state"] == "reuploaded" and listed["reuploads"] == 1 and listed["version"] == 4
    [kept] = body["matches"]["kept"]
    assert body["matches"]["total"] == 1 and body["matches"]["kept_at_most"] == 100
    assert kept["signals"] == ["pdq"] and kept["distance"] == 0 and kept["reopened"] is True
    assert kept["by"] == user_named(node, "platform").id and kept["list"] == "local"
    assert body["requests"] == [] and body["preserved"] == []
    [row] = client.get(f"{API}/cases", headers=me).json()["items"]
    assert row["case"]["case"] == case and row["open_notices"] == 1 and row["overdue"] == 0


def test_notices_are_listed_overdue_first_and_alone_with_overdue(
    client: TestClient, node: Node, clock: Any
) -> None:
    from datetime import timedelta

    case = _open(client, node)
    me = token(node, "drafter")
    for to, deadline in (("Late", "1h"), ("Later", "7d")):
        sent = client.post(
            f"{API}/cases/{case}/notices", json={"to": to, "deadline": deadline}, headers=me
        )
        assert sent.status_code == 201, sent.text
    clock.advance(timedelta(hours=2))
    every = client.get(f"{API}/notices", headers=me).json()["items"]
    assert [(n["to"], n["overdue"]) for n in every] == [("Late", True), ("Later", False)]
    overdue = client.get(f"{API}/notices?overdue=true", headers=me).json()["items"]
    assert [n["to"] for n in overdue] == ["Late"]
    of_case = client.get(f"{API}/notices?case={case}", headers=me).json()["items"]
    assert len(of_case) == 2
    bad = client.get(f"{API}/notices?case=AUT-2026-000001", headers=me)
    assert bad.status_code == 422 and _fields(bad) == {"query.case"}


def test_a_case_is_linked_to_a_request_its_user_may_see_and_unlinked(
    client: TestClient, node: Node
) -> None:
    case = _open(client, node)
    request = str(outgoing(node, "sent").reference)
    me = token(node, "drafter")
    linked = client.post(f"{API}/cases/{case}/requests", json={"request": request}, headers=me)
    assert linked.status_code == 200, linked.text
    assert linked.json() == {"request": request, "kind": "mla", "status": "sent", "visible": True}
    shown = client.get(f"{API}/cases/{case}", headers=me).json()
    assert [r["request"] for r in shown["requests"]] == [request]
    # A request the user may not see (another authority's restricted one) is a missing one.
    hidden = str(outgoing(node, "draft", author="duty", restricted=True).reference)
    refused = client.post(f"{API}/cases/{case}/requests", json={"request": hidden}, headers=me)
    missing = client.post(
        f"{API}/cases/{case}/requests", json={"request": "AUT-2026-888888"}, headers=me
    )
    assert refused.status_code == missing.status_code == 404
    assert refused.json()["detail"].replace(hidden, "<id>") == missing.json()["detail"].replace(
        "AUT-2026-888888", "<id>"
    )
    gone = client.delete(f"{API}/cases/{case}/requests/{request}", headers=me)
    assert gone.status_code == 204
    again = client.delete(f"{API}/cases/{case}/requests/{request}", headers=me)
    assert again.status_code == 404


BAD_INPUT: list[tuple[str, dict[str, Any], str]] = [
    ("/cases", {"article": "16", "victim_ref": "v-1", "consent": ["hash"]}, "article"),
    ("/cases", {"article": 15, "victim_ref": "v-1", "consent": ["hash"]}, "article"),
    ("/cases", {"article": 16, "victim_ref": "Jane Doe", "consent": ["hash"]}, "victim_ref"),
    ("/cases", {"article": 16, "victim_ref": "v-1", "consent": ["all"]}, "consent.0"),
    ("/cases", {"article": 16, "victim_ref": "v-1"}, "consent"),
    ("/cases", {"article": 16, "victim_ref": "v-1", "consent": ["hash"], "x": 1}, "x"),
    ("/cases/{case}/notices", {"to": "ExampleTube"}, "deadline"),
    ("/cases/{case}/notices", {"to": "ExampleTube", "deadline": "soon"}, "deadline"),
    ("/cases/{case}/notices", {"to": "ExampleTube", "deadline": "5m"}, "deadline"),
    ("/cases/{case}/notices", {"to": "Viet Nam", "kind": "state", "deadline": "7d"}, "to"),
    ("/cases/{case}/notices", {"to": "X", "kind": "court", "deadline": "7d"}, "kind"),
    ("/cases/{case}/requests", {"request": "not-a-reference"}, "request"),
    ("/notices/RN-000001/acknowledge", {}, "version"),
    ("/notices/RN-000001/removed", {"version": 1}, "confirmation"),
    ("/notices/RN-000001/removed", {"version": 1, "confirmation": " "}, "confirmation"),
    ("/notices/RN-000001/refused", {"version": 1, "reason": ""}, "reason"),
]


def test_bad_input_is_a_422_naming_its_field(client: TestClient, node: Node) -> None:
    case = _open(client, node)
    me = token(node, "drafter")
    sent = client.post(
        f"{API}/cases/{case}/notices", json={"to": "ExampleTube", "deadline": "7d"}, headers=me
    )
    assert sent.json()["notice"] == "RN-000001"
    for path, body, field in BAD_INPUT:
        answer = client.post(API + path.format(case=case), json=body, headers=me)
        assert answer.status_code == 422, (path, body, answer.text)
        assert field in _fields(answer), (path, body, answer.json())
    # Nothing of it was done: one case, one notice, still as sent.
    assert len(client.get(f"{API}/cases", headers=me).json()["items"]) == 1
    [notice] = client.get(f"{API}/notices", headers=me).json()["items"]
    assert notice["state"] == "sent" and notice["version"] == 1


def test_another_authoritys_case_and_notice_answer_as_missing_ones(
    client: TestClient, node: Node
) -> None:
    case = _open(client, node)
    sent = client.post(
        f"{API}/cases/{case}/notices",
        json={"to": "ExampleTube", "deadline": "7d"},
        headers=token(node, "drafter"),
    ).json()
    other = token(node, "prosecutor")  # a drafter of AUT-PROS

    def both(method: str, path: str, body: Any = None) -> None:
        hidden = client.request(method, API + path.format(case), json=body, headers=other)
        missing = client.request(method, API + path.format("RC-000999"), json=body, headers=other)
        assert hidden.status_code == missing.status_code == 404, (path, hidden.text)
        assert hidden.text.replace(case, "<id>") == missing.text.replace("RC-000999", "<id>")
        assert "v-api-1" not in hidden.text

    both("GET", "/cases/{}")
    both("POST", "/cases/{}/notices", {"to": "ExampleTube", "deadline": "7d"})
    both("POST", "/cases/{}/requests", {"request": "AUT-2026-000001"})
    both("DELETE", "/cases/{}/requests/AUT-2026-000001")
    for answer, body in (
        ("acknowledge", {"version": 1}),
        ("removed", {"version": 1, "confirmation": "T"}),
    ):
        hidden = client.post(f"{API}/notices/{sent['notice']}/{answer}", json=body, headers=other)
        missing = client.post(f"{API}/notices/RN-000999/{answer}", json=body, headers=other)
        assert hidden.status_code == missing.status_code == 404
        assert hidden.text.replace(sent["notice"], "<id>") == missing.text.replace(
            "RN-000999", "<id>"
        )
    assert client.get(f"{API}/cases", headers=other).json()["items"] == []
    assert client.get(f"{API}/notices", headers=other).json()["items"] == []


CASE_ROUTES = [
    ("GET", "/cases"),
    ("POST", "/cases"),
    ("GET", "/cases/RC-000001"),
    ("POST", "/cases/RC-000001/notices"),
    ("POST", "/cases/RC-000001/requests"),
    ("DELETE", "/cases/RC-000001/requests/AUT-2026-000001"),
    ("GET", "/notices"),
    ("POST", "/notices/RN-000001/acknowledge"),
    ("POST", "/notices/RN-000001/removed"),
    ("POST", "/notices/RN-000001/refused"),
]


def test_a_matcher_an_auditor_and_an_approver_reach_no_case(client: TestClient, node: Node) -> None:
    case = _open(client, node)
    for who in ("platform", "auditor", "approver"):
        headers = token(node, who)
        for method, path in CASE_ROUTES:
            answer = client.request(method, API + path, headers=headers, json={})
            assert answer.status_code == 403, (who, method, path, answer.text)
            assert case not in answer.text and "v-api-1" not in answer.text


# --- adding content over HTTP (multipart), and paging ---------------------------------------


def test_content_is_added_by_upload_hashed_and_matched_not_kept(
    client: TestClient, node: Node
) -> None:
    case = _open(client, node, "v-upload")
    me = token(node, "drafter")
    copies = edited_copies()
    sent = client.post(
        f"{API}/cases/{case}/content",
        files=[("files", ("a.jpg", copies["jpeg-60"])), ("files", ("b.bin", b"not a picture"))],
        headers=me,
    )
    assert sent.status_code == 200, sent.text
    answer = sent.json()
    assert answer["case"] == case
    first, second = answer["files"]
    assert first["file"] == "a.jpg" and first["listed"] == 3 and first["pdq"]
    assert second["file"] == "b.bin" and second["pdq"] is None and second["note"]
    assert "package_id" in first and first["package_id"] is None
    again = client.post(
        f"{API}/cases/{case}/content", files={"files": ("b.bin", b"not a picture")}, headers=me
    )
    assert again.json()["files"][0]["listed"] == 0  # the same file twice lists nothing new
    matched = client.post(
        "/api/v1/content/match",
        content=b"not a picture",
        headers={**token(node, "platform"), "Content-Type": "application/octet-stream"},
    )
    assert matched.json()["matched"] is True


def test_an_upload_without_files_or_with_a_consent_alone_is_refused_naming_the_field(
    client: TestClient, node: Node
) -> None:
    case = _open(client, node, "v-upload-2")
    me = token(node, "drafter")
    empty = client.post(f"{API}/cases/{case}/content", data={"preserve": "false"}, headers=me)
    assert empty.status_code == 422 and "files" in empty.text
    as_json = client.post(f"{API}/cases/{case}/content", json={"files": []}, headers=me)
    assert as_json.status_code == 422 and _fields(as_json) == {"files"}
    for files, data, field in (
        ({"files": ("x.bin", b"x")}, {"consent": "preserve"}, "consent"),  # without preserve
        ({"other": ("x.bin", b"x")}, {}, "files"),  # a file in another part
        ({"files": ("x.bin", b"x")}, {"preserve": "maybe"}, "preserve"),
    ):
        refused = client.post(f"{API}/cases/{case}/content", files=files, data=data, headers=me)
        assert refused.status_code == 422 and _fields(refused) == {field}, refused.text
    shown = client.get(f"{API}/cases/{case}", headers=me).json()
    assert shown["hashes"] == 3  # the scene _open listed; nothing of the refused uploads


def test_preserving_an_upload_needs_the_victims_consent_and_seals_it(
    client: TestClient, node: Node
) -> None:
    from hanoix.services import evidence, exchange

    folder = exchange.authority_keys_dir(node, "AUT-CA")
    evidence.write_key_set(folder, authority="AUT-CA", state="AUT", passphrase=None)
    case = _open(client, node, "v-upload-3")  # consent: hash and share, not preserve
    me = token(node, "drafter")
    media = b"HANOIX-UPLOAD-PRESERVED-" + bytes(range(64))
    refused = client.post(
        f"{API}/cases/{case}/content",
        files={"files": ("m.bin", media)},
        data={"preserve": "true"},
        headers=me,
    )
    assert refused.status_code == 422 and "consent" in refused.text
    assert client.get(f"{API}/cases/{case}", headers=me).json()["preserved"] == []
    sealed = client.post(
        f"{API}/cases/{case}/content",
        files={"files": ("m.bin", media)},
        data={"preserve": "true", "consent": "preserve"},
        headers=me,
    )
    assert sealed.status_code == 200, sealed.text
    [item] = sealed.json()["files"]
    shown = client.get(f"{API}/cases/{case}", headers=me).json()
    assert [p["package_id"] for p in shown["preserved"]] == [item["package_id"]]
    assert "preserve" in shown["consent"]


def test_another_authority_cannot_add_to_a_case_and_a_matcher_cannot_add_at_all(
    client: TestClient, node: Node
) -> None:
    case = _open(client, node, "v-upload-4")
    files = {"files": ("x.bin", b"x")}
    hidden = client.post(
        f"{API}/cases/{case}/content", files=files, headers=token(node, "prosecutor")
    )
    missing = client.post(
        f"{API}/cases/RC-000999/content", files=files, headers=token(node, "prosecutor")
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(case, "<id>") == missing.text.replace("RC-000999", "<id>")
    for who in ("platform", "auditor", "approver"):
        answer = client.post(f"{API}/cases/{case}/content", files=files, headers=token(node, who))
        assert answer.status_code == 403, (who, answer.text)


def test_cases_and_notices_are_paged_with_a_cursor_in_the_desks_order(
    client: TestClient, node: Node, clock: Any
) -> None:
    from datetime import timedelta

    me = token(node, "drafter")
    cases = [_open(client, node, f"v-page-{i}") for i in range(5)]
    for case, deadline in zip(cases[:3], ("1h", "7d", "2d"), strict=True):
        sent = client.post(
            f"{API}/cases/{case}/notices", json={"to": "T", "deadline": deadline}, headers=me
        )
        assert sent.status_code == 201
    clock.advance(timedelta(hours=2))
    seen: list[str] = []
    url: str | None = f"{API}/cases?limit=2"
    pages = 0
    while url is not None:
        answer = client.get(url, headers=me)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert len(body["items"]) <= 2
        seen += [row["case"]["case"] for row in body["items"]]
        pages += 1
        if body["next_cursor"] is None:
            assert "Link" not in answer.headers
            url = None
        else:
            assert 'rel="next"' in answer.headers["Link"]
            url = f"{API}/cases?limit=2&cursor={body['next_cursor']}"
    # Overdue first, then the nearest deadline (2d before 7d), then the newest without one.
    assert seen == [cases[0], cases[2], cases[1], cases[4], cases[3]] and pages == 3
    first = client.get(f"{API}/notices?limit=1", headers=me).json()
    assert first["items"][0]["overdue"] is True and first["next_cursor"]
    rest = client.get(f"{API}/notices?limit=5&cursor={first['next_cursor']}", headers=me).json()
    assert [n["case"] for n in rest["items"]] == [cases[2], cases[1]] and rest[
        "next_cursor"
    ] is None
    for bad in ("cursor=nonsense", f"cursor={first['next_cursor']}x", "limit=0", "limit=501"):
        refused = client.get(f"{API}/cases?{bad}", headers=me)
        assert refused.status_code == 422, (bad, refused.text)
    # A notices cursor is not a cases cursor.
    crossed = client.get(f"{API}/cases?cursor={first['next_cursor']}", headers=me)
    assert crossed.status_code == 422 and "cursor" in crossed.text


def test_preserving_with_a_protected_key_names_the_cli_and_lists_nothing(
    client: TestClient, node: Node
) -> None:
    from hanoix.services import evidence, exchange

    folder = exchange.authority_keys_dir(node, "AUT-CA")
    evidence.write_key_set(folder, authority="AUT-CA", state="AUT", passphrase=b"long secret 1")
    case = _open(client, node, "v-upload-5")
    refused = client.post(
        f"{API}/cases/{case}/content",
        files={"files": ("m.bin", b"media kept only with the passphrase")},
        data={"preserve": "true", "consent": "preserve"},
        headers=token(node, "drafter"),
    )
    assert refused.status_code == 422 and _fields(refused) == {"preserve"}
    assert "hanoix content add" in refused.text
    shown = client.get(f"{API}/cases/{case}", headers=token(node, "drafter")).json()
    assert shown["preserved"] == [] and shown["hashes"] == 3
