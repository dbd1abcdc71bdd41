"""The custody ledger pages: the checkpoint and its cosignatures, the entries of a request or
a package by role and authority as the API answers, proofs shown and downloaded, and split-view
alerts for auditors."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.ledger.checkpoint import NoteVerifier, parse_note
from hanoix.ledger.errors import InvalidProofError
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof
from hanoix.ledger.witness import Cosigner, SplitViewEvidence
from hanoix.services import custody
from hanoix.services.node import Node
from hanoix.store import federation as fed_store
from hanoix.store import ledger as ledger_store
from tests.services.requests_world import outgoing, populate
from tests.web.pages import add_users, assert_nothing_inline, sign_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")

# Users who sign in to the pages: (name, roles, authority).
WEB_USERS: dict[str, tuple[str, set[str], str | None]] = {
    "aud": ("Auditor of AUT-CA", {"auditor"}, "AUT-CA"),
    "aud-poc": ("Auditor of AUT-POC", {"auditor"}, "AUT-POC"),
    "clerk": ("Clerk of AUT-CA", {"drafter"}, "AUT-CA"),
    "root": ("Root", {"administrator"}, None),
}


@dataclass(frozen=True)
class World:
    node: Node
    open_reference: str  # AUT-CA's, sent
    restricted_reference: str  # AUT-POC's, restricted


@pytest.fixture
def world(node: Node) -> World:
    populate(node)
    add_users(node, WEB_USERS)
    opened = outgoing(node, "sent")
    restricted = outgoing(node, "draft", author="duty", restricted=True)
    return World(node, str(opened.reference), str(restricted.reference))


@pytest.fixture
def browser(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(world.node), base_url="https://node.test") as client:
        yield client


def _as(browser: TestClient, username: str) -> TestClient:
    sign_in(browser, username)
    return browser


def test_every_signed_in_user_sees_the_checkpoint_as_the_api_gives_it(
    browser: TestClient, world: World
) -> None:
    page = _as(browser, "clerk").get("/ledger")
    assert page.status_code == 200
    api = browser.get("/api/v1/ledger/checkpoint").json()
    assert re.search(rf'data-figure="tree_size">{api["tree_size"]}<', page.text)
    assert api["root_hash"] in page.text and api["vkey"] in page.text
    # No alerts, no entries for a drafter: those are the auditors'.
    assert 'data-testid="split-views"' not in page.text
    assert 'data-testid="no-split-views"' not in page.text
    assert 'action="/ledger/subject"' not in page.text


def test_a_stranger_is_sent_to_sign_in(world: World) -> None:
    with TestClient(create_app(world.node), base_url="https://node.test") as stranger:
        for path in ("/ledger", "/ledger/proof?index=0", "/ledger/proof.json?index=0"):
            response = stranger.get(path, follow_redirects=False)
            assert response.status_code == 303, path


def test_entries_are_for_auditors_a_drafter_gets_the_403_page(browser: TestClient) -> None:
    response = _as(browser, "clerk").get("/ledger/subject?kind=request&value=AUT-2026-000001")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "needs one of the roles: auditor" in response.text


def _indices(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-index="(\d+)">', html)]


def test_an_auditor_reads_a_requests_entries_as_the_api_lists_them(
    browser: TestClient, world: World
) -> None:
    page = _as(browser, "aud").get(
        "/ledger/subject", params={"kind": "request", "value": world.open_reference}
    )
    assert page.status_code == 200
    pseudonym = custody.disclose_request_key(world.node, world.open_reference).pseudonym
    api = browser.get("/api/v1/ledger/entries?limit=1000").json()["entries"]
    expected = [e["index"] for e in api if e["entry"]["subject"].get("request") == pseudonym]
    assert expected and _indices(page.text) == expected
    assert f'href="/requests/{world.open_reference}"' in page.text
    for index in expected:
        assert f'href="/ledger/proof.json?index={index}"' in page.text


def test_another_authoritys_restricted_request_answers_as_a_missing_one(
    browser: TestClient, world: World
) -> None:
    _as(browser, "aud")
    hidden = browser.get(
        "/ledger/subject", params={"kind": "request", "value": world.restricted_reference}
    )
    missing = browser.get("/ledger/subject", params={"kind": "request", "value": "AUT-2026-888888"})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.text.replace(world.restricted_reference, "<id>") == missing.text.replace(
        "AUT-2026-888888", "<id>"
    )
    pseudonym = custody.disclose_request_key(world.node, world.restricted_reference).pseudonym
    assert pseudonym not in hidden.text
    # Its own authority's auditor reads it.
    with TestClient(create_app(world.node), base_url="https://node.test") as other:
        page = _as(other, "aud-poc").get(
            "/ledger/subject", params={"kind": "request", "value": world.restricted_reference}
        )
        assert page.status_code == 200 and _indices(page.text)


def test_an_administrator_reads_no_case_entry(browser: TestClient, world: World) -> None:
    response = _as(browser, "root").get(
        "/ledger/subject", params={"kind": "request", "value": world.open_reference}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("query", "says"),
    [("kind=envelope&value=x", "a request or a package"), ("kind=request&value=", "Type a")],
)
def test_a_bad_subject_query_says_what_to_fix(browser: TestClient, query: str, says: str) -> None:
    response = _as(browser, "aud").get(f"/ledger/subject?{query}")
    assert response.status_code == 400 and says in response.text


def test_a_downloaded_inclusion_proof_is_the_apis_and_verifies_offline(
    browser: TestClient, world: World
) -> None:
    _as(browser, "aud")
    pseudonym = custody.disclose_request_key(world.node, world.open_reference).pseudonym
    entries = browser.get("/api/v1/ledger/entries?limit=1000").json()["entries"]
    entry = next(e for e in entries if e["entry"]["subject"].get("request") == pseudonym)
    index = entry["index"]
    shown = browser.get(f"/ledger/proof?index={index}")
    assert shown.status_code == 200 and entry["leaf_hash"] in shown.text
    link = re.search(r'href="(/ledger/proof\.json\?index=\d+&amp;size=\d+)"', shown.text)
    assert link is not None
    download = browser.get(link[1].replace("&amp;", "&"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/json"
    size = download.json()["tree_size"]
    assert download.headers["content-disposition"] == (
        f'attachment; filename="inclusion-{index}-in-{size}.json"'
    )
    api = browser.get(f"/api/v1/ledger/proof/inclusion?index={index}&size={size}").json()
    assert download.json() == api
    vkey = browser.get("/api/v1/ledger/checkpoint").json()["vkey"]
    verifier = NoteVerifier.from_vkey(vkey)
    canonical = next(e.entry for e in custody.CustodyLedger(world.node).entries(index, index + 1))
    checked = InclusionProof.from_dict(json.loads(download.content)).verify(
        verifier, entry=canonical
    )
    assert checked.size == size
    with pytest.raises(InvalidProofError):
        InclusionProof.from_dict(download.json()).verify(verifier, entry=canonical + b" ")


def test_a_consistency_proof_is_shown_downloaded_and_verifies(
    browser: TestClient, world: World
) -> None:
    _as(browser, "clerk")
    size = browser.get("/api/v1/ledger/checkpoint").json()["tree_size"]
    shown = browser.get(f"/ledger/consistency?from=2&to={size}")
    assert shown.status_code == 200
    download = browser.get(f"/ledger/consistency.json?from=2&to={size}")
    assert download.headers["content-disposition"] == (
        f'attachment; filename="consistency-2-to-{size}.json"'
    )
    assert (
        download.json() == browser.get(f"/api/v1/ledger/proof/consistency?from=2&to={size}").json()
    )
    vkey = browser.get("/api/v1/ledger/checkpoint").json()["vkey"]
    first, second = ConsistencyProof.from_dict(download.json()).verify(NoteVerifier.from_vkey(vkey))
    assert (first.size, second.size) == (2, size)


@pytest.mark.parametrize(
    ("path", "status", "says"),
    [
        ("/ledger/consistency?from=abc", 400, "is not a whole number"),
        ("/ledger/consistency?from=", 400, "give the older tree size"),
        ("/ledger/consistency?from=5&to=2", 400, "the first size must be between 0"),
        ("/ledger/proof?index=999999", 400, "is not in the tree"),
        ("/ledger/proof?index=-1", 400, "is not a whole number"),
        ("/ledger/proof.json?index=", 400, "give the number of the entry"),
    ],
)
def test_bad_proof_queries_are_pages_that_say_what_to_fix(
    browser: TestClient, path: str, status: int, says: str
) -> None:
    response = _as(browser, "clerk").get(path)
    assert response.status_code == status
    assert "text/html" in response.headers["content-type"]
    assert says in response.text


def test_cosignatures_of_the_checkpoint_are_listed(browser: TestClient, world: World) -> None:
    ledger = custody.CustodyLedger(world.node)
    signed = ledger.checkpoint()
    witness = Cosigner("vnm.hanoix.test/witness", Ed25519PrivateKey.generate())
    cosignature = witness.cosign(parse_note(signed.note).text, 1_795_428_300)
    note = parse_note(signed.note).with_signature(cosignature.note_signature()).serialize()
    with world.node.unit_of_work() as session:
        fed_store.add_cosignature(session, "vnm.hanoix.test", signed.size - 1, note, signed_at())
    page = _as(browser, "clerk").get("/ledger").text
    table = re.search(r'data-testid="cosignatures">(.*?)</table>', page, re.S)
    assert table is not None
    line = cosignature.note_signature().line().rstrip("\n")
    assert "vnm.hanoix.test" in table[1] and line in table[1]
    assert signed.note.splitlines()[-1] not in table[1]  # the log's own signature is not one
    assert f'href="/ledger/consistency?from={signed.size - 1}&amp;to={signed.size}"' in table[1]


def signed_at() -> object:
    from datetime import UTC, datetime

    return datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def test_split_views_are_on_top_for_auditors_only(browser: TestClient, world: World) -> None:
    _as(browser, "aud")
    assert 'data-testid="no-split-views"' in browser.get("/ledger").text
    evidence = SplitViewEvidence(
        origin="vnm.hanoix.test",
        first_note="first\n",
        second_note="second\n",
        first_size=7,
        second_size=7,
        reason="two different roots for the same size",
    )
    with world.node.unit_of_work() as session:
        ledger_store.add_split_view(session, evidence, world.node.clock.now())
    page = browser.get("/ledger").text
    alert = page.index('data-testid="split-views"')
    assert page.index("<h1>") < alert < page.index("Latest checkpoint")  # on top
    assert "Split views detected: 1" in page and "two different roots for the same size" in page
    with TestClient(create_app(world.node), base_url="https://node.test") as clerk:
        assert "split view" not in _as(clerk, "clerk").get("/ledger").text


def test_ledger_pages_carry_no_inline_script_or_style(browser: TestClient, world: World) -> None:
    _as(browser, "aud")
    for path in (
        "/ledger",
        f"/ledger/subject?kind=request&value={world.open_reference}",
        "/ledger/proof?index=0",
        "/ledger/consistency?from=1",
    ):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert_nothing_inline(page.text, path)
