"""``/api/v1/requests``: creation with idempotency keys, ETags and If-Match, problem+json
errors that name the field and the article, lists with filters and cursors, and the same
404 for what is missing and what is someone else's."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.convention import RequestKind, kind_spec
from hanoix.ledger.events import CustodyEvent
from hanoix.ledger.proofs import InclusionProof
from hanoix.requests import Action, ConditionsAttachment, KeepConfidential
from hanoix.services.custody import CustodyLedger
from hanoix.services.evidence import load_decryption_key, open_file
from hanoix.services.node import Node
from tests.documents.gaps import MLA_ONLY_KIND, findings, only_kind_gaps
from tests.federation.builders import Network
from tests.requests.builders import required_contents
from tests.services.exchange_world import deliver, exchange_network, return_evidence, take
from tests.services.requests_world import document, incoming, outgoing, populate, token

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
BASE = "/api/v1/requests"


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


@pytest.fixture
def client(world: Node) -> Iterator[TestClient]:
    with TestClient(create_app(world)) as c:
        yield c


@pytest.fixture
def as_(world: Node) -> Any:
    cache: dict[str, dict[str, str]] = {}

    def headers(username: str, **extra: str) -> dict[str, str]:
        if username not in cache:
            cache[username] = token(world, username)
        return {**cache[username], **extra}

    return headers


def create(client: TestClient, as_: Any, who: str = "drafter", **overrides: Any) -> Any:
    response = client.post(BASE, json=document(**overrides), headers=as_(who))
    assert response.status_code == 201, response.text
    return response


def test_creating_a_request_answers_201_with_its_etag_location_and_validation(
    client: TestClient, as_: Any
) -> None:
    response = create(client, as_)
    body = response.json()
    assert body["reference"] == "AUT-2026-000001"
    assert response.headers["ETag"] == '"1"'
    assert response.headers["Location"] == f"{BASE}/AUT-2026-000001"
    assert body["status"] == "draft" and body["possible_actions"] == ["edit", "submit", "withdraw"]
    assert body["validation"]["valid"] is True
    assert body["validation"]["warnings"][0]["article"] == "Art. 65"


def test_an_idempotency_key_replays_the_first_answer(
    client: TestClient, as_: Any, world: Node
) -> None:
    key = {"Idempotency-Key": "0b9c4e5e-create-1"}
    first = client.post(BASE, json=document(), headers=as_("drafter", **key))
    again = client.post(BASE, json=document(), headers=as_("drafter", **key))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert CustodyLedger(world).head().size == 1
    other = client.post(BASE, json=document(language="fr"), headers=as_("drafter", **key))
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"].endswith("/idempotency-key-reused")
    assert CustodyLedger(world).head().size == 1


def test_state_changes_need_if_match_and_refuse_a_stale_one(client: TestClient, as_: Any) -> None:
    reference = create(client, as_).json()["reference"]
    url = f"{BASE}/{reference}/submit"
    missing = client.post(url, headers=as_("drafter"))
    assert missing.status_code == 428
    assert missing.json()["problems"][0]["field"] == "If-Match"
    ok = client.post(url, headers=as_("drafter", **{"If-Match": '"1"'}))
    assert ok.status_code == 200, ok.text
    assert ok.headers["ETag"] == '"2"' and ok.json()["status"] == "awaiting_approval"
    stale = client.post(
        f"{BASE}/{reference}/return-to-draft",
        json={"note": "fix the facts"},
        headers=as_("drafter", **{"If-Match": '"1"'}),
    )
    assert stale.status_code == 412
    assert stale.json()["type"].endswith("/precondition-failed")
    shown = client.get(f"{BASE}/{reference}", headers=as_("auditor"))
    assert shown.headers["ETag"] == '"2"'
    not_modified = client.get(
        f"{BASE}/{reference}", headers=as_("auditor", **{"If-None-Match": '"2"'})
    )
    assert not_modified.status_code == 304


def test_the_lifecycle_over_http_with_four_eyes(client: TestClient, as_: Any) -> None:
    reference = create(client, as_, "both").json()["reference"]

    def post(step: str, who: str, version: int, body: Any = None) -> Any:
        return client.post(
            f"{BASE}/{reference}/{step}",
            json=body,
            headers=as_(who, **{"If-Match": f'"{version}"'}),
        )

    assert post("submit", "both", 1).status_code == 200
    own = post("approve", "both", 2)
    assert own.status_code == 403 and "four-eyes" in own.json()["detail"]
    assert post("approve", "approver", 2).status_code == 200
    sent = post("send", "both", 3)
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    history = client.get(f"{BASE}/{reference}/history", headers=as_("auditor")).json()
    assert [s["action"] for s in history["steps"]] == ["create", "submit", "approve", "send"]
    verifier = CustodyLedger(client.app.state.node).verifier  # type: ignore[attr-defined]
    for step in history["steps"]:
        entry = CustodyEvent.from_dict(step["event"]).canonical_bytes()
        InclusionProof.from_dict(step["proof"]).verify(verifier, entry=entry)
        assert step["entry_matches"] is True


@pytest.mark.parametrize(
    ("overrides", "status", "field", "article"),
    [
        ({"kind": "search-warrant"}, 422, "kind", None),
        ({"suggested_deadline": "31/12/2026"}, 422, "suggested_deadline", "Art. 40("),
        ({"suggested_deadline": "20261231"}, 422, "suggested_deadline", "Art. 40("),
        ({"requested_state": "XYZ"}, 422, "requested_state", None),
        ({"requested_state": "vnm"}, 422, "requested_state", None),
        ({"preservation_days": "90"}, 422, "preservation_days", None),
        ({"urgent": 1}, 422, "urgent", None),
        ({"contents": {"shoe_size": "42"}}, 422, "contents.shoe_size", "Art. 40"),
        ({"document_version": 2}, 422, "document_version", None),
    ],
    ids=[
        "unknown-kind",
        "date-format",
        "basic-date",
        "unknown-state",
        "lower-case-state",
        "string-number",
        "number-bool",
        "unknown-content",
        "unknown-document-version",
    ],
)
def test_bad_input_is_a_problem_naming_the_field_and_article_and_saves_nothing(
    client: TestClient,
    as_: Any,
    world: Node,
    overrides: dict[str, Any],
    status: int,
    field: str,
    article: str | None,
) -> None:
    body = document()
    body.update(overrides)
    response = client.post(BASE, json=body, headers=as_("drafter"))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()["problems"][0]
    assert problem["field"] == field
    if article is not None:
        assert problem["article"] is not None and problem["article"].startswith(article)
    assert CustodyLedger(world).head().size == 0
    listed = client.get(BASE, headers=as_("drafter")).json()
    assert listed["items"] == []


def test_a_step_the_state_does_not_allow_is_409_naming_the_possible_steps(
    client: TestClient, as_: Any
) -> None:
    reference = create(client, as_).json()["reference"]
    response = client.post(
        f"{BASE}/{reference}/approve", headers=as_("approver", **{"If-Match": '"1"'})
    )
    assert response.status_code == 409
    assert "possible steps from 'draft': edit, submit, withdraw" in response.json()["detail"]


def test_a_refusal_without_grounds_names_the_articles(
    client: TestClient, as_: Any, world: Node
) -> None:
    request = incoming(world, "acknowledged")
    response = client.post(
        f"{BASE}/{request.reference}/refuse",
        json={"grounds": [], "reasons": ""},
        headers=as_("approver", **{"If-Match": f'"{request.version}"'}),
    )
    assert response.status_code == 422
    problems = response.json()["problems"]
    assert [p["field"] for p in problems] == ["grounds", "reasons"]
    assert all(p["article"].startswith("Art. 40") for p in problems)
    postpone = client.post(
        f"{BASE}/{request.reference}/postpone",
        json={"until": "2027-13-01", "reason": "trial"},
        headers=as_("approver", **{"If-Match": f'"{request.version}"'}),
    )
    assert postpone.status_code == 422
    assert postpone.json()["problems"][0]["field"] == "until"


def test_someone_elses_request_answers_exactly_like_a_missing_one(
    client: TestClient, as_: Any, world: Node
) -> None:
    mine = outgoing(world, "draft", restricted=True)
    reference = str(mine.reference)
    missing = "AUT-2026-000777"
    for who in ("vnm-clerk", "prosecutor"):
        for suffix in ("", "/history", "/validation"):
            hidden = client.get(f"{BASE}/{reference}{suffix}", headers=as_(who))
            absent = client.get(f"{BASE}/{missing}{suffix}", headers=as_(who))
            assert hidden.status_code == absent.status_code == 404
            assert hidden.headers["content-type"] == absent.headers["content-type"]
            assert hidden.json() == json.loads(absent.text.replace(missing, reference))
        hidden_step = client.post(
            f"{BASE}/{reference}/submit", headers=as_(who, **{"If-Match": '"1"'})
        )
        absent_step = client.post(
            f"{BASE}/{missing}/submit", headers=as_(who, **{"If-Match": '"1"'})
        )
        assert hidden_step.json() == json.loads(absent_step.text.replace(missing, reference))
    assert client.get(f"{BASE}/not-a-reference", headers=as_("drafter")).status_code == 404


def test_lists_filter_and_follow_their_cursor(client: TestClient, as_: Any, world: Node) -> None:
    for kind in (RequestKind.MLA, RequestKind.PRESERVATION, RequestKind.MLA):
        create(client, as_, kind=kind)
    incoming(world, "received")
    first = client.get(f"{BASE}?limit=2", headers=as_("auditor"))
    assert first.status_code == 200
    page = first.json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    assert 'rel="next"' in first.headers["Link"]
    following = first.headers["Link"].split(";")[0].strip("<>")
    second = client.get(following, headers=as_("auditor")).json()
    references = [i["reference"] for i in page["items"] + second["items"]]
    assert len(references) == len(set(references)) == 4
    assert "contents" not in page["items"][0]  # lists carry no personal data
    only = client.get(f"{BASE}?kind=preservation", headers=as_("auditor")).json()["items"]
    assert [i["kind"] for i in only] == ["preservation"]
    side = client.get(f"{BASE}?side=requested&state=VNM", headers=as_("auditor")).json()["items"]
    assert [i["requesting_state"] for i in side] == ["VNM"]
    status = client.get(f"{BASE}?status=received", headers=as_("auditor")).json()["items"]
    assert len(status) == 1
    for query, field in (
        ("kind=warrant", "kind"),
        ("status=lost", "status"),
        ("deadline_before=2026-12-01", "deadline_before"),
        ("cursor=zzz", None),
    ):
        bad = client.get(f"{BASE}?{query}", headers=as_("auditor"))
        assert bad.status_code == 422, query
        if field:
            assert bad.json()["problems"][0]["field"] == field
    assert client.get(f"{BASE}?limit=0", headers=as_("auditor")).status_code == 422


def test_overdue_and_deadline_filters(client: TestClient, as_: Any, world: Node) -> None:
    request = incoming(world, "executed", kind=RequestKind.PRESERVATION)
    assert request.preservation is not None
    expiry = request.preservation.expires_at()
    due = client.get(f"{BASE}/deadlines", headers=as_("drafter")).json()
    assert [(d["kind"], d["due"], d["article"]) for d in due] == [
        ("preservation-expiry", expiry.isoformat().replace("+00:00", "Z"), "Art. 42(8)")
    ]
    before = expiry.isoformat().replace("+00:00", "Z")
    assert (
        client.get(f"{BASE}?deadline_before={before}", headers=as_("drafter")).json()["items"] == []
    )
    assert client.get(f"{BASE}?overdue=true", headers=as_("drafter")).json()["items"] == []


@pytest.mark.parametrize(
    "kind",
    [RequestKind.PRESERVATION, RequestKind.STORED_DATA_ACCESS, RequestKind.EXTRADITION],
    ids=str,
)
def test_validation_over_http_names_each_missing_content(
    client: TestClient, as_: Any, kind: RequestKind
) -> None:
    complete = client.post(f"{BASE}/validate", json=document(kind), headers=as_("drafter"))
    assert complete.status_code == 200 and complete.json()["valid"] is True
    for name in required_contents(kind):
        body = document(kind)
        del body["contents"][name]
        answer = client.post(f"{BASE}/validate", json=body, headers=as_("drafter")).json()
        assert answer["valid"] is False
        content = kind_spec(kind).content(name)
        assert [(p["field"], p["article"], p["basis"]) for p in answer["problems"]] == [
            (f"contents.{name}", str(content.art), content.basis.value)
        ]
    # An unusable document is refused as on creation (422), not answered "not valid".
    unknown = client.post(
        f"{BASE}/validate", json={**document(kind), "kind": "warrant"}, headers=as_("drafter")
    )
    assert unknown.status_code == 422
    assert unknown.json()["problems"][0]["field"] == "kind"


@pytest.mark.parametrize("kind", list(RequestKind), ids=str)
def test_validation_over_http_lists_envelope_and_content_problems_at_once(
    client: TestClient, as_: Any, kind: RequestKind
) -> None:
    # Issue 14, item 3: a body with only its kind gets every problem in one answer, each with
    # its article and basis, exactly as `hanoix request validate` gives them.
    only_kind = client.post(f"{BASE}/validate", json={"kind": kind.value}, headers=as_("drafter"))
    assert only_kind.status_code == 422
    assert only_kind.headers["content-type"] == "application/problem+json"
    assert findings(only_kind.json()["problems"]) == only_kind_gaps(kind)
    if kind is RequestKind.MLA:
        assert findings(only_kind.json()["problems"]) == MLA_ONLY_KIND


def test_validation_over_http_lists_the_gaps_of_an_unusable_document(
    client: TestClient, as_: Any
) -> None:
    # An unusable document (unknown State) lists its content gaps with it too.
    body = {**document(RequestKind.MLA), "requested_state": "XXA"}
    del body["contents"]["purpose"]
    unknown = client.post(f"{BASE}/validate", json=body, headers=as_("drafter"))
    assert unknown.status_code == 422  # fits the schema, cannot be used (docs/api.md)
    assert [p["field"] for p in unknown.json()["problems"]] == [
        "requested_state",
        "contents.purpose",
    ]
    # A usable one without its proceeding names it with its article, as a finding.
    body = {**document(RequestKind.MLA), "proceeding": ""}
    answer = client.post(f"{BASE}/validate", json=body, headers=as_("drafter"))
    assert answer.status_code == 200
    assert [(p["field"], p["article"], p["basis"]) for p in answer.json()["problems"]] == [
        ("proceeding", "Art. 40(19)", "recalled")
    ]


def test_the_schema_of_a_kind_documents_each_content_with_its_article(client: TestClient) -> None:
    schema = client.get(f"{BASE}/schema/preservation").json()
    contents = schema["properties"]["contents"]["properties"]
    assert contents["data_to_preserve"]["x-article"] == "Art. 42(3)(c)"
    assert schema["properties"]["kind"] == {
        "const": "preservation",
        "description": "the kind of request",
    }
    assert client.get(f"{BASE}/schema/warrant").status_code == 404


def test_conditions_attached_and_consent_over_http(
    client: TestClient, as_: Any, world: Node
) -> None:
    request = incoming(world, "in_execution")
    url = f"{BASE}/{request.reference}"
    attached = client.post(
        f"{url}/attach-conditions",
        json={
            "conditions": [{"type": "keep-confidential"}, {"type": "delete-by", "on": "2027-01-31"}]
        },
        headers=as_("approver", **{"If-Match": f'"{request.version}"'}),
    )
    assert attached.status_code == 200, attached.text
    codes = [c["type"] for c in attached.json()["conditions"]]
    assert codes[-2:] == ["keep-confidential", "delete-by"]
    consent = client.post(
        f"{url}/consent-to-use",
        json={"type": "use", "action": "export", "written": True},
        headers=as_("approver", **{"If-Match": attached.headers["ETag"]}),
    )
    assert consent.status_code == 200, consent.text
    assert consent.json()["consents"][0]["granted_by"] == "AUT-CA"


def test_use_of_received_material_is_checked_against_its_conditions(
    client: TestClient, as_: Any, world: Node
) -> None:
    request = outgoing(world, "executed")
    url = f"{BASE}/{request.reference}/uses"
    allowed = client.post(url, json={"action": "open"}, headers=as_("examiner"))
    assert allowed.status_code == 200
    assert allowed.json() == {"allowed": True, "action": "open", "notice": None}
    denied = client.post(
        url, json={"action": "forward", "recipient": "ZAF"}, headers=as_("approver")
    )
    assert denied.status_code == 403
    assert {p["article"] for p in denied.json()["problems"]} == {"Art. 40(19)", "Art. 36(3)"}


def test_every_step_a_user_takes_has_its_route(client: TestClient) -> None:
    from hanoix.requests.transitions import TRANSITIONS

    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for transition in TRANSITIONS:
        path = f"{BASE}/{{reference}}/{transition.action.value.replace('_', '-')}"
        # A step only the node takes (the receipt) has no route: nobody could take it.
        assert (path in paths) is not transition.automatic, path


def test_the_committed_openapi_document_is_the_served_one(client: TestClient) -> None:
    served = client.get("/api/v1/openapi.json").json()
    committed = json.loads(OPENAPI.read_text(encoding="utf-8"))
    assert served == committed, "docs/openapi.json is stale: run 'make openapi' and commit it"


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = exchange_network(tmp_path)
    yield network
    network.close()


def test_evidence_returned_for_a_request_is_listed_and_taken_out_whole_under_its_conditions(
    net: Network, tmp_path: Path
) -> None:
    a, v = net["a"], net["v"]
    returned = return_evidence(net, tmp_path)
    reference, package_id = returned.reference, returned.sent.package_id
    client = TestClient(create_app(a.node))
    examiner, drafter = token(a.node, "examiner"), token(a.node, "drafter")

    listed = client.get(f"/api/v1/requests/{reference}/evidence", headers=drafter)
    assert listed.status_code == 200, listed.text
    [item] = listed.json()
    assert item["package_id"] == package_id
    assert "blob_key" not in item  # where the node keeps it is nobody's business

    url = f"/api/v1/requests/{reference}/evidence/{package_id}"
    got = client.get(url, headers=examiner)
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"].startswith('attachment; filename="')
    assert len(got.content) == item["size"] == int(got.headers["content-length"])
    digest = hashlib.sha256(got.content).digest()
    assert digest.hex() == item["sha256"]
    assert got.headers["repr-digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    copy = tmp_path / "copy.hxp"
    copy.write_bytes(got.content)
    key = load_decryption_key(returned.aut_keys / "encryption.key")
    open_file(copy, key, tmp_path / "out")
    assert (tmp_path / "out" / "mailbox" / "mailbox.mbox").read_text().endswith("hello\n")

    missing = client.get(url.replace(package_id, "sha256:" + "0" * 64), headers=examiner)
    assert missing.status_code == 404, missing.text

    # A drafter may list what came back but not take a copy out; nor may anyone once Viet Nam
    # asks that the material be kept confidential (Art. 40(20)).
    assert client.get(url, headers=drafter).status_code == 403
    take(v, "approver", reference, Action.ATTACH_CONDITIONS,
         payload=ConditionsAttachment((KeepConfidential(),)))  # fmt: skip
    deliver(net)
    refused = client.get(url, headers=examiner)
    assert refused.status_code == 403, refused.text
    assert "Art. 40(20)" in refused.json()["detail"]


def test_the_edit_takes_every_field_of_the_document_but_its_kind(
    client: TestClient, as_: Any
) -> None:
    reference = create(client, as_, suggested_deadline="2026-12-20").json()["reference"]
    edited = client.post(
        f"{BASE}/{reference}/edit",
        json={"requested_state": "ZAF", "suggested_deadline": None, "language": "fr"},
        headers=as_("drafter", **{"If-Match": '"1"'}),
    )
    assert edited.status_code == 200, edited.text
    body = edited.json()
    assert body["reference"] == reference and body["version"] == 2
    assert (body["requested"]["state"], body["requested"]["authority"]) == ("ZAF", "ZAF-CA")
    assert body["language"] == "fr" and body.get("suggested_deadline") is None
    # What the document would refuse, the edit refuses, named by its field.
    for changes, field_name in (
        ({"kind": "preservation"}, "kind"),
        ({"requesting_state": "VNM"}, "requesting_state"),
        ({"urgent": "yes"}, "urgent"),
    ):
        refused = client.post(
            f"{BASE}/{reference}/edit", json=changes, headers=as_("drafter", **{"If-Match": '"2"'})
        )
        assert refused.status_code in (400, 422), refused.text
        assert field_name in json.dumps(refused.json()), changes
