"""Guided drafting in the browser's forms: built from each kind's declaration, checked as the
user types by the API's own validation, saved as a draft; a preservation followed up in one
click."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hanoix.api.app import create_app
from hanoix.convention import RequestKind
from hanoix.documents.drafting import Widget, drafting_form
from hanoix.services import auth
from hanoix.services import requests as service
from hanoix.services.node import Node
from hanoix.store.requests import RequestRow
from hanoix.web.drafting import document_from, field_id
from tests.services.requests_world import document, outgoing, populate
from tests.web.pages import PASSWORD, add_people, form_token, sign_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")

GAP_COUNT = re.compile(r'data-testid="gap-count">(\d+) things? (?:is|are) missing')


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    add_people(node)
    with TestClient(create_app(node), base_url="https://node.test") as c:
        sign_in(c, "minh")
        yield c


def form_data(kind: RequestKind, doc: dict[str, Any]) -> dict[str, list[str]]:
    """What a browser posts for ``doc`` filled into the form of ``kind``."""
    posted: dict[str, list[str]] = {}
    for name, value in _pairs(kind, doc):
        posted.setdefault(name, []).append(value)
    return posted


def _pairs(kind: RequestKind, doc: dict[str, Any]) -> list[tuple[str, str]]:
    posted: list[tuple[str, str]] = []
    contents = doc.get("contents", {})
    for field in drafting_form(kind).fields:
        value = contents.get(field.path[9:]) if field.is_content else doc.get(field.path)
        if value is None or value is False:
            continue
        if field.widget is Widget.YES_NO:
            posted.append((field.path, "yes"))
        elif field.widget is Widget.LIST and field.options:
            posted.extend((field.path, str(item)) for item in value)
        elif isinstance(value, list):
            posted.append((field.path, "\n".join(str(item) for item in value)))
        else:
            posted.append((field.path, str(value)))
    return posted


def gaps(html: str) -> int:
    found = GAP_COUNT.search(html)
    return int(found.group(1)) if found else 0


def test_the_kinds_page_offers_all_thirteen_with_their_articles(client: TestClient) -> None:
    page = client.get("/requests/new")
    assert page.status_code == 200
    for kind in RequestKind:
        form = drafting_form(kind)
        assert f'href="/requests/new/{kind.value}"' in page.text
        assert ", ".join(form.legal_basis) in page.text
    assert len(list(RequestKind)) == 13


def test_a_user_who_may_not_draft_gets_a_refusal_page(node: Node) -> None:
    add_people(node)
    with TestClient(create_app(node), base_url="https://node.test") as c:
        sign_in(c, "thu")  # an approver
        page = c.get("/requests/new/mla")
        assert page.status_code == 403
        assert "needs one of the roles" in page.text
        assert 'href="/requests/new"' not in c.get("/").text


def test_an_unknown_kind_is_a_404_page(client: TestClient) -> None:
    page = client.get("/requests/new/telepathy")
    assert page.status_code == 404 and "no kind of request called" in page.text


@pytest.mark.parametrize("kind", list(RequestKind), ids=[k.value for k in RequestKind])
def test_each_kind_has_its_declared_form_and_every_gap_at_once(
    client: TestClient, node: Node, kind: RequestKind
) -> None:
    page = client.get(f"/requests/new/{kind.value}")
    assert page.status_code == 200
    form = drafting_form(kind)
    for field in form.fields:
        assert f'id="{field_id(field.path)}"' in page.text, field.path
        if field.is_content and field.article:
            help_text = re.search(rf'id="{field_id(field.path)}-help">(.*?)</p>', page.text, re.S)
            assert help_text and field.article in help_text.group(1), field.path
    # Every gap of an empty form is listed at once, as the service finds them.
    user = service.user_named(node, "minh")
    expected = service.drafting_check(node, {"kind": kind.value, "contents": {}}, user=user)
    count = sum(len(v) for v in expected.errors.by_path.values()) + len(expected.errors.elsewhere)
    assert count > 3
    assert gaps(page.text) == count
    for path, problems in expected.errors.by_path.items():
        block = re.search(
            rf'id="{field_id(path)}-problems" class="field-problems">(.*?)</div>', page.text, re.S
        )
        assert block, path
        for problem in problems:
            assert problem.message.replace("'", "&#39;") in block.group(1)


@pytest.mark.parametrize(
    "kind", [RequestKind.PRESERVATION, RequestKind.MLA, RequestKind.EXTRADITION]
)
def test_a_complete_form_has_no_gap_and_the_check_swaps_every_field(
    client: TestClient, kind: RequestKind
) -> None:
    token = form_token(client.get(f"/requests/new/{kind.value}").text)
    complete = document(kind, requested_state="AUT")
    answer = client.post(
        f"/requests/new/{kind.value}/check",
        data={"csrf_token": token, **form_data(kind, complete)},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert gaps(answer.text) == 0
    assert "Nothing is missing" in answer.text
    assert answer.text.count('hx-swap-oob="true"') == len(drafting_form(kind).fields)


def test_the_check_answers_as_the_user_types(client: TestClient) -> None:
    token = form_token(client.get("/requests/new/preservation").text)
    empty = client.post("/requests/new/preservation/check", data={"csrf_token": token})
    typed = client.post(
        "/requests/new/preservation/check",
        data={"csrf_token": token, "requested_state": "AUT", "language": "en"},
    )
    assert gaps(typed.text) < gaps(empty.text)
    cleared = re.search(r'id="f-requested-state-problems"[^>]*>(.*?)</div>', typed.text, re.S)
    assert cleared and not cleared.group(1).strip()
    applies = re.search(r'data-testid="convention-applies">(.*?)</p>', typed.text, re.S)
    assert applies and "between VNM and AUT" in applies.group(1)
    deadline = re.search(r'data-testid="deadline">(.*?)</p>', typed.text, re.S)
    assert deadline and "Art. 42" in deadline.group(1)


def test_the_check_needs_the_form_token(client: TestClient) -> None:
    answer = client.post("/requests/new/preservation/check", data={"requested_state": "AUT"})
    assert answer.status_code == 403


def test_a_draft_is_saved_incomplete_and_its_values_are_the_forms(
    client: TestClient, node: Node
) -> None:
    token = form_token(client.get("/requests/new/preservation").text)
    saved = client.post(
        "/requests/new/preservation",
        data={
            "csrf_token": token,
            "requested_state": "AUT",
            "language": "en",
            "contents.offence": "Extortion by ransomware",
            "contents.intent_to_request_mla": "yes",
            "urgent": "yes",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    reference = saved.headers["location"].split("/")[2].split("?")[0]
    shown = service.show(node, service.user_named(node, "minh"), reference)
    request = shown.request
    assert request.kind is RequestKind.PRESERVATION
    assert request.requested.state == "AUT" and request.urgent
    assert request.contents["offence"] == "Extortion by ransomware"
    assert request.contents["intent_to_request_mla"] is True


def test_a_form_that_cannot_be_read_is_refused_whole_and_nothing_is_saved(
    client: TestClient, node: Node
) -> None:
    token = form_token(client.get("/requests/new/preservation").text)
    refused = client.post(
        "/requests/new/preservation",
        data={
            "csrf_token": token,
            "requested_state": "AUT",
            "language": "en",
            "preservation_days": "ninety",
            "suggested_deadline": "next tuesday",
            "contents.offence": "kept as typed",
        },
    )
    assert refused.status_code == 400
    problems = re.search(r'id="refused">(.*?)</div>', refused.text, re.S)
    assert problems and "preservation_days" in problems.group(1)
    assert "Art. 40(19)" in problems.group(1)  # and every gap with it
    assert "kept as typed" in refused.text  # what the user typed is not lost
    with node.reading() as session:
        assert session.scalar(select(func.count()).select_from(RequestRow)) == 0


def test_the_form_reads_back_what_it_posts(client: TestClient) -> None:
    kind = RequestKind.MLA
    complete = document(kind, requested_state="AUT")
    from starlette.datastructures import FormData

    read = document_from(kind, FormData(_pairs(kind, complete)))
    for name, value in complete["contents"].items():
        assert read["contents"][name] == value, name
    assert read["requested_state"] == "AUT" and read["proceeding"] == complete["proceeding"]


def test_a_preservation_is_followed_up_in_one_click(node: Node) -> None:
    populate(node)  # Austria's central authority, its preservation executed by Viet Nam
    preservation = outgoing(node, "executed", kind=RequestKind.PRESERVATION, author="drafter")
    with node.unit_of_work() as session:
        auth.add_user(
            session,
            node.clock,
            username="anna",
            display_name="Anna Huber",
            roles={"drafter"},
            authority="AUT-CA",
            password=PASSWORD,
        )
    with TestClient(create_app(node), base_url="https://node.test") as client:
        sign_in(client, "anna")
        token = form_token(client.get("/requests/new").text)
        followed = client.post(
            f"/requests/{preservation.reference}/follow-up",
            data={"csrf_token": token, "version": str(preservation.version)},
            follow_redirects=False,
        )
        assert followed.status_code == 303, followed.text
        reference = followed.headers["location"].split("/")[2].split("?")[0]
        anna = service.user_named(node, "anna")
        mla = service.show(node, anna, reference).request
        assert mla.follows_up == preservation.reference
        assert mla.kind is RequestKind.STORED_DATA_ACCESS
        # What means the same thing is carried under the follow-up's own name.
        assert mla.contents["subject_and_nature"] == preservation.contents["offence"]
        assert mla.contents["data_sought"] == preservation.contents["data_to_preserve"]
        assert mla.contents["preservation_reference"] == str(preservation.reference)
        stale = client.post(
            f"/requests/{preservation.reference}/follow-up",
            data={"csrf_token": token, "version": str(preservation.version)},
        )
        assert stale.status_code == 412  # the page was older than the request
        no_version = client.post(
            f"/requests/{preservation.reference}/follow-up", data={"csrf_token": token}
        )
        assert no_version.status_code == 400 and "reload" in no_version.text


def test_another_authority_cannot_follow_up_a_preservation(node: Node) -> None:
    populate(node)
    preservation = outgoing(node, "executed", kind=RequestKind.PRESERVATION, author="drafter")
    add_people(node)  # Viet Nam's Minh, who may draft but not see Austria's case
    with TestClient(create_app(node), base_url="https://node.test") as client:
        sign_in(client, "minh")
        token = form_token(client.get("/requests/new").text)
        refused = client.post(
            f"/requests/{preservation.reference}/follow-up",
            data={"csrf_token": token, "version": str(preservation.version)},
        )
        assert refused.status_code == 404
