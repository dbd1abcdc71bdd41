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
from hanoix.documents.requests import draft_document
from hanoix.requests import Action
from hanoix.services import auth
from hanoix.services import requests as service
from hanoix.services.node import Node
from hanoix.store.requests import RequestRow
from hanoix.web.drafting import changes_from, document_from, field_id
from tests.services.requests_world import document, outgoing, populate
from tests.web.pages import PASSWORD, add_people, add_users, form_token, sign_in

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


def _saved_preservation(client: TestClient) -> str:
    token = form_token(client.get("/requests/new/preservation").text)
    saved = client.post(
        "/requests/new/preservation",
        data={
            "csrf_token": token,
            "requested_state": "AUT",
            "language": "en",
            "proceeding": "Hanoi police case 77/2026",
            "preservation_days": "120",
            "suggested_deadline": "2026-12-20",
            "requested_authority": "AUT-BK",
            "contents.offence": "Extortion by ransomware",
            "contents.intent_to_request_mla": "yes",
            "urgent": "yes",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    return str(saved.headers["location"].split("/")[2].split("?")[0])


def _shown(node: Node, reference: str, who: str = "minh") -> Any:
    return service.show(node, service.user_named(node, who), reference).request


def test_a_draft_is_saved_incomplete_and_its_values_are_the_forms(
    client: TestClient, node: Node
) -> None:
    reference = _saved_preservation(client)
    request = _shown(node, reference)
    assert request.kind is RequestKind.PRESERVATION
    assert request.requested.state == "AUT" and request.urgent
    assert (request.requested.authority, request.preservation_days) == ("AUT-BK", 120)
    assert request.contents["offence"] == "Extortion by ransomware"
    assert request.contents["intent_to_request_mla"] is True


def _unreadable(client: TestClient, url: str, token: str, **extra: str) -> str:
    """Post a form with a number and a date that do not read; the refusal's problems."""
    refused = client.post(
        url,
        data={
            "csrf_token": token,
            "requested_state": "AUT",
            "language": "en",
            "preservation_days": "ninety",
            "suggested_deadline": "next tuesday",
            "contents.offence": "kept as typed",
            **extra,
        },
    )
    assert refused.status_code == 400
    problems = re.search(r'id="refused">(.*?)</div>', refused.text, re.S)
    assert problems and "preservation_days" in problems.group(1)
    assert "kept as typed" in refused.text  # what the user typed is not lost
    return problems.group(1)


def test_a_form_that_cannot_be_read_is_refused_whole_and_nothing_is_saved(
    client: TestClient, node: Node
) -> None:
    token = form_token(client.get("/requests/new/preservation").text)
    problems = _unreadable(client, "/requests/new/preservation", token)
    assert "Art. 40(19)" in problems  # and every gap with it
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


def test_a_saved_draft_opens_in_its_form_with_every_field_and_saves_to_the_same_draft(
    client: TestClient, node: Node
) -> None:
    reference = _saved_preservation(client)
    page = client.get(f"/requests/{reference}")
    assert f'href="/requests/{reference}/edit"' in page.text and "Edit draft" in page.text
    form = client.get(f"/requests/{reference}/edit")
    assert form.status_code == 200
    html = form.text
    # Every saved field, envelope and contents, in the kind's own form.
    assert f'<form method="post" action="/requests/{reference}/edit"' in html
    assert 'hx-post="/requests/new/preservation/check"' in html
    assert '<option value="AUT" selected>' in html
    assert 'value="2026-12-20"' in html and 'value="120"' in html and 'value="AUT-BK"' in html
    assert ">Hanoi police case 77/2026</textarea>" in html
    assert ">Extortion by ransomware</textarea>" in html
    assert re.search(r'id="f-urgent" name="urgent" value="yes" checked', html)
    assert re.search(r'name="contents.intent_to_request_mla" value="yes" checked', html)
    assert 'name="version" value="1"' in html
    # The gaps are shown at once, as for a new draft.
    assert gaps(html) > 0 and "Art. 42(3)" in html
    before = _shown(node, reference)
    saved = client.post(
        f"/requests/{reference}/edit",
        data={
            "csrf_token": form_token(html),
            "version": "1",
            "requested_state": "AUT",
            "language": "en",
            "proceeding": "Hanoi police case 77/2026",
            "preservation_days": "120",
            "requested_authority": "AUT-BK",
            "channel": before.channel.value,
            "requesting_state": "VNM",
            "owner": before.owner,
            # the deadline emptied, "urgent" unticked, the offence retyped, a content added
            "contents.offence": "Extortion by ransomware (LockBit)",
            "contents.summary_of_facts": "A hospital's files were encrypted.",
            "contents.intent_to_request_mla": "yes",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == f"/requests/{reference}?done=edit"
    after = _shown(node, reference)
    assert after.reference == before.reference and after.version == 2
    assert after.contents["offence"] == "Extortion by ransomware (LockBit)"
    assert after.contents["summary_of_facts"] == "A hospital's files were encrypted."
    assert after.suggested_deadline is None and after.urgent is False
    assert (after.preservation_days, after.requested.authority) == (120, "AUT-BK")
    # The one custody event the API's edit records, naming what changed.
    assert after.history[-1].action.value == "edit"
    assert after.history[-1].details["changed"] == (
        "suggested_deadline;urgent;contents:offence,summary_of_facts"
    )
    confirmed = client.get(saved.headers["location"])
    assert "Done: Draft saved." in confirmed.text


def test_an_edit_the_service_refuses_comes_back_with_each_problem_and_changes_nothing(
    client: TestClient, node: Node
) -> None:
    reference = _saved_preservation(client)
    token = form_token(client.get(f"/requests/{reference}/edit").text)
    _unreadable(client, f"/requests/{reference}/edit", token, version="1")
    moved = client.post(
        f"/requests/{reference}/edit",
        data={"csrf_token": token, "version": "1", "requesting_state": "AUT"},
    )
    assert moved.status_code == 400 and "a draft cannot be moved to AUT" in moved.text
    emptied = client.post(
        f"/requests/{reference}/edit",
        data={"csrf_token": token, "version": "1", "language": "en"},
    )  # the requested State set back to "choose", and the proceeding emptied
    assert emptied.status_code == 400
    refusal = re.search(r'id="refused">(.*?)</div>', emptied.text, re.S)
    assert refusal and "<strong>requested_state</strong>: cannot be left empty" in refusal.group(1)
    assert "proceeding" not in refusal.group(1)  # an empty one is a gap, not a refusal
    assert "requesting_state" not in refusal.group(1)  # empty: the user's State, the draft's
    assert _shown(node, reference).version == 1
    stale = client.post(
        f"/requests/{reference}/edit",
        data={"csrf_token": token, "version": "0", "language": "fr"},
    )
    assert stale.status_code == 412 and "changed since you opened this form" in stale.text
    no_version = client.post(
        f"/requests/{reference}/edit", data={"csrf_token": token, "language": "fr"}
    )
    assert no_version.status_code == 400 and "reload" in no_version.text
    forged = client.post(f"/requests/{reference}/edit", data={"version": "1", "language": "fr"})
    assert forged.status_code == 403
    assert _shown(node, reference).version == 1 and _shown(node, reference).language == "en"
    # The form as the browser posts it, the proceeding emptied: saved, a gap to fill.
    posted = form_data(RequestKind.PRESERVATION, draft_document(_shown(node, reference)))
    posted.pop("proceeding")
    saved = client.post(
        f"/requests/{reference}/edit",
        data={**posted, "csrf_token": [token], "version": ["1"]},
        follow_redirects=False,
    )
    assert saved.status_code == 303, saved.text
    emptied = _shown(node, reference)
    assert emptied.proceeding == "" and emptied.history[-1].details["changed"] == "proceeding"


def test_only_a_draft_its_user_may_edit_opens_in_the_form(client: TestClient, node: Node) -> None:
    reference = _saved_preservation(client)
    populate(node)  # Austria's central authority, on this node for the test
    add_users(node, {"anna": ("Anna Huber", {"drafter"}, "AUT-CA")})
    with TestClient(create_app(node), base_url="https://node.test") as others:
        # Another State's user learns nothing of it; another authority of the same State reads
        # it but is neither offered nor given the form.
        sign_in(others, "anna")
        assert others.get(f"/requests/{reference}/edit").status_code == 404
        token = form_token(others.get("/requests/new").text)
        posted = others.post(
            f"/requests/{reference}/edit", data={"csrf_token": token, "version": "1"}
        )
        assert posted.status_code == 404
        others.cookies.clear()
        sign_in(others, "lan")
        assert "Edit draft" not in others.get(f"/requests/{reference}").text
        refused = others.get(f"/requests/{reference}/edit")
        assert refused.status_code == 403 and "VNM-MPS" in refused.text
    minh = service.user_named(node, "minh")
    service.take_step(
        node, minh, reference, Action.WITHDRAW, expected_version=1, note="sent by fax"
    )
    page = client.get(f"/requests/{reference}")
    assert f'href="/requests/{reference}/edit"' not in page.text
    submitted = client.get(f"/requests/{reference}/edit")
    assert submitted.status_code == 409
    assert f"Request {reference} is no longer a draft" in submitted.text
    token = form_token(page.text)
    late = client.post(
        f"/requests/{reference}/edit", data={"csrf_token": token, "version": "2", "language": "fr"}
    )
    assert late.status_code == 409 and _shown(node, reference).language == "en"


def test_a_draft_saved_by_the_api_is_unchanged_by_its_form_posted_back_as_a_browser_does() -> None:
    from starlette.datastructures import FormData

    kind = RequestKind.MLA
    saved = document(kind, requested_state="AUT")
    saved["contents"]["persons_concerned"] = ["Nguyen Van A", "the webmail account"]
    saved["contents"]["summary_of_facts"] = "First line.\nSecond line."
    posted = [
        (name, value.replace("\n", "\r\n")) for name, value in _pairs(kind, saved)
    ]  # a text area's lines come back ended by CR LF
    assert changes_from(kind, saved, FormData(posted)) == {}
    typed = [(n, "one\r\ntwo" if n == "contents.summary_of_facts" else v) for n, v in posted]
    assert changes_from(kind, saved, FormData(typed)) == {
        "contents": {"summary_of_facts": "one\ntwo"}
    }
