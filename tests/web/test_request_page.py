"""A request's page: its status, timeline with custody events and proofs, deadlines,
conditions and evidence, and exactly the steps the signed-in user may take now, each taken
through its form as the API would take it (the form token, the version the page showed)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.convention import RequestKind, kind_spec
from hanoix.requests import CooperationRequest, Status
from hanoix.services import auth
from hanoix.services import requests as service
from hanoix.services.node import Node
from tests.services.requests_world import incoming, outgoing, populate, user
from tests.web.pages import form_token

Browser = Callable[[str], TestClient]


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


@pytest.fixture
def browser(world: Node) -> Iterator[Browser]:
    """A browser signed in as a user of the world (each its own cookie jar)."""
    app = create_app(world)
    cookie = auth.session_cookie_name(world)
    opened: list[TestClient] = []

    def signed_in(username: str) -> TestClient:
        with world.unit_of_work() as session:
            session_id = auth.start_session(session, world.clock, auth.user_id(session, username))
        client = TestClient(app, base_url="https://node.test")
        client.__enter__()
        client.cookies.set(cookie, session_id, domain="node.test")
        opened.append(client)
        return client

    yield signed_in
    for client in opened:
        client.__exit__(None, None, None)


_ACTION = re.compile(r'data-testid="action-([a-z_]+)"')


def offered(html: str) -> list[str]:
    return _ACTION.findall(html)


def page(client: TestClient, request: CooperationRequest) -> Any:
    response = client.get(f"/requests/{request.reference}")
    assert response.status_code == 200, response.text
    return response


def take(
    client: TestClient,
    request: CooperationRequest,
    step: str,
    fields: dict[str, Any] | None = None,
    *,
    version: int | None = None,
    token: str | None = None,
) -> Any:
    shown = page(client, request)
    data: dict[str, Any] = {
        "csrf_token": form_token(shown.text) if token is None else token,
        "version": str(request.version if version is None else version),
        "confirm": "yes",
        **(fields or {}),
    }
    return client.post(f"/requests/{request.reference}/{step}", data=data, follow_redirects=False)


def passed(node: Node, request: CooperationRequest) -> CooperationRequest:
    """``request`` as the service holds it now."""
    return service.show(node, user(node, "auditor"), str(request.reference)).request


# What each user of the world is offered, by hand from the transition table (docs/requests.md):
# the requesting side's copy is drafted by "editor"; "approver2" approves it.
OUTGOING: dict[str, dict[str, list[str]]] = {
    "draft": {
        "editor": ["submit", "withdraw"],
        "approver2": ["withdraw"],
        "officer": ["submit", "withdraw"],
        "auditor": [],
    },
    "awaiting_approval": {
        "editor": ["return_to_draft", "withdraw"],
        "approver2": ["return_to_draft", "approve", "withdraw"],
        "officer": ["return_to_draft", "withdraw"],
        "auditor": [],
    },
    "approved": {
        "editor": ["return_to_draft", "send", "withdraw"],
        "approver2": ["return_to_draft", "send", "withdraw"],
        "officer": ["return_to_draft", "send", "withdraw"],
        "auditor": [],
    },
    "sent": {"editor": ["withdraw"], "approver2": ["withdraw"], "auditor": []},
    "more_information_requested": {
        "editor": ["supply_information", "withdraw"],
        "officer": ["supply_information", "withdraw"],
        "auditor": [],
    },
    "executed": {"editor": ["close"], "approver2": ["close"], "auditor": []},
    "withdrawn": {"editor": ["close"], "auditor": []},
}
INCOMING: dict[str, dict[str, list[str]]] = {
    "received": {
        "drafter": ["acknowledge", "request_more_information"],
        "approver": ["acknowledge", "request_more_information", "refuse"],
        "officer": ["acknowledge", "request_more_information"],
        "examiner": ["request_more_information"],
        "auditor": [],
    },
    "acknowledged": {
        "drafter": ["request_more_information", "start_execution"],
        "approver": [
            "request_more_information",
            "start_execution",
            "postpone",
            "refuse",
            "attach_conditions",
        ],
        "auditor": [],
    },
    "in_execution": {
        "drafter": ["request_more_information", "execute_partially", "execute"],
        "approver": [
            "request_more_information",
            "postpone",
            "execute_partially",
            "execute",
            "refuse",
            "attach_conditions",
            "consent_to_use",
        ],
        "officer": ["request_more_information", "execute_partially", "execute"],
        "auditor": [],
    },
    "postponed": {
        "drafter": ["resume"],
        "approver": ["resume", "refuse", "attach_conditions"],
        "auditor": [],
    },
    "executed": {
        "drafter": [],
        "approver": ["attach_conditions", "consent_to_use"],
        "auditor": [],
    },
}


WALKS = [("requesting", status) for status in OUTGOING] + [
    ("requested", status) for status in INCOMING
]


@pytest.mark.parametrize(("side", "status"), WALKS)
def test_each_copy_offers_each_user_exactly_their_steps(
    world: Node, browser: Browser, side: str, status: str
) -> None:
    walk, table = (outgoing, OUTGOING) if side == "requesting" else (incoming, INCOMING)
    request = walk(world, status)
    for username, expected in table[status].items():
        shown = page(browser(username), request)
        assert offered(shown.text) == expected, username
        if not expected:
            assert 'data-testid="no-actions"' in shown.text


def test_a_user_of_another_authority_of_the_same_state_reads_but_is_offered_nothing(
    world: Node, browser: Browser
) -> None:
    request = incoming(world, "acknowledged")
    shown = page(browser("duty"), request)  # AUT-POC; the request is AUT-CA's
    assert offered(shown.text) == []
    refused = take(browser("duty"), request, "start-execution")
    assert refused.status_code == 403
    assert "handled by AUT-CA" in refused.text
    assert passed(world, request).status is Status.ACKNOWLEDGED


def test_an_executed_preservation_offers_its_extension(world: Node, browser: Browser) -> None:
    request = incoming(world, "executed", RequestKind.PRESERVATION)
    assert offered(page(browser("drafter"), request).text) == ["extend_preservation"]
    response = take(browser("drafter"), request, "extend-preservation", {"days": "30"})
    assert response.status_code == 303, response.text
    after = passed(world, request)
    assert after.preservation is not None
    assert [e.days for e in after.preservation.extensions] == [30]


def test_a_request_goes_from_draft_to_sent_through_its_page(world: Node, browser: Browser) -> None:
    request = outgoing(world, "draft")
    editor, approver = browser("editor"), browser("approver2")
    for client, step, status in [
        (editor, "submit", Status.AWAITING_APPROVAL),
        (approver, "approve", Status.APPROVED),
        (editor, "send", Status.SENT),
    ]:
        response = take(client, request, step)
        assert response.status_code == 303, response.text
        assert response.headers["location"] == f"/requests/{request.reference}?done={step}"
        landed = client.get(response.headers["location"])
        assert 'data-testid="confirmation"' in landed.text
        request = passed(world, request)
        assert request.status is status
    assert request.approved_by == "approver2"
    # Each step is in the timeline with its custody event and a link to its inclusion proof.
    shown = page(editor, request)
    assert shown.text.count('data-testid="step"') == 4  # drafted, submitted, approved, sent
    proofs = re.findall(r'href="(/api/v1/ledger/proof/inclusion\?[^"]+)"', shown.text)
    assert len(proofs) == 4
    proof = editor.get(proofs[-1].replace("&amp;", "&"))
    assert proof.status_code == 200 and proof.json()["audit_path"] is not None
    assert "event matches the ledger" in shown.text


def test_the_requested_side_acknowledges_executes_and_the_page_shows_the_answer(
    world: Node, browser: Browser
) -> None:
    request = incoming(world, "received")
    drafter = browser("drafter")
    for step in ("acknowledge", "start-execution"):
        assert take(drafter, request, step).status_code == 303
        request = passed(world, request)
    assert request.status is Status.IN_EXECUTION
    response = take(drafter, request, "execute", {"summary": "records of two accounts"})
    assert response.status_code == 303, response.text
    assert passed(world, request).status is Status.EXECUTED


def test_a_refusal_takes_a_coded_ground_with_reasons(world: Node, browser: Browser) -> None:
    request = incoming(world, "acknowledged")
    approver = browser("approver")
    shown = page(approver, request)
    ground = kind_spec(RequestKind.MLA).refusal_grounds[0]
    # Each coded ground is offered with its article.
    assert f'value="{ground.code}"' in shown.text and str(ground.art) in shown.text
    response = take(
        approver, request, "refuse", {"grounds": [ground.code], "reasons": "see the letter"}
    )
    assert response.status_code == 303, response.text
    after = passed(world, request)
    assert after.status is Status.REFUSED
    assert after.refusal is not None and after.refusal.grounds == (ground.code,)
    assert ground.code in page(approver, request).text


def test_a_refusal_without_reasons_or_on_an_unknown_ground_changes_nothing(
    world: Node, browser: Browser
) -> None:
    request = incoming(world, "acknowledged")
    approver = browser("approver")
    no_reasons = take(
        approver,
        request,
        "refuse",
        {"grounds": [kind_spec(RequestKind.MLA).refusal_grounds[0].code], "reasons": ""},
    )
    assert no_reasons.status_code == 422
    assert "reasons must be given" in no_reasons.text
    unknown = take(approver, request, "refuse", {"grounds": ["bank-secrecy"], "reasons": "no"})
    assert unknown.status_code == 422 and 'data-testid="refused"' in unknown.text
    forged = take(approver, request, "refuse", {"grounds": ["x" * 201], "reasons": "no"})
    assert forged.status_code == 400 and "choose among the grounds" in forged.text
    assert passed(world, request).status is Status.ACKNOWLEDGED
    assert passed(world, request).version == request.version


def test_a_postponement_needs_its_reason_and_a_later_date(world: Node, browser: Browser) -> None:
    request = incoming(world, "in_execution")
    approver = browser("approver")
    without = take(approver, request, "postpone", {"until": "2027-03-01", "reason": " "})
    assert without.status_code == 422 and "reason" in without.text
    response = take(
        approver, request, "postpone", {"until": "2027-03-01", "reason": "a search is running"}
    )
    assert response.status_code == 303, response.text
    after = passed(world, request)
    assert after.status is Status.POSTPONED
    assert after.postponement is not None and after.postponement.until.isoformat() == "2027-03-01"


def test_asking_for_more_information_needs_a_note(world: Node, browser: Browser) -> None:
    request = incoming(world, "received")
    drafter = browser("drafter")
    assert take(drafter, request, "request-more-information").status_code == 400
    response = take(drafter, request, "request-more-information", {"note": "which accounts?"})
    assert response.status_code == 303
    assert passed(world, request).status is Status.MORE_INFORMATION_REQUESTED


def test_conditions_and_consents_are_attached_and_shown(world: Node, browser: Browser) -> None:
    request = incoming(world, "in_execution")
    approver = browser("approver")
    response = take(approver, request, "attach-conditions", {"keep_confidential": "yes"})
    assert response.status_code == 303, response.text
    request = passed(world, request)
    response = take(approver, request, "consent-to-use", {"consent": "use", "use": "export"})
    assert response.status_code == 303, response.text
    after = passed(world, request)
    assert [c.code for c in after.conditions.conditions][-1] == "keep-confidential"
    assert len(after.conditions.consents) == 1
    shown = page(approver, after).text
    assert "Art. 40(20)" in shown and 'data-testid="consent"' in shown


def test_the_requesting_side_closes_an_executed_request(world: Node, browser: Browser) -> None:
    request = outgoing(world, "executed")
    assert take(browser("editor"), request, "close").status_code == 303
    assert passed(world, request).status is Status.CLOSED


def test_a_page_read_before_another_change_is_told_to_reload_and_nothing_is_done(
    world: Node, browser: Browser
) -> None:
    request = outgoing(world, "awaiting_approval")
    stale = take(browser("approver2"), request, "approve", version=request.version - 1)
    assert stale.status_code == 412
    assert "changed since you opened this page" in stale.text
    after = passed(world, request)
    assert after.status is Status.AWAITING_APPROVAL and after.version == request.version


def test_a_step_without_the_form_token_or_the_confirmation_is_refused(
    world: Node, browser: Browser
) -> None:
    request = outgoing(world, "draft")
    editor = browser("editor")
    forged = take(editor, request, "submit", token="not-the-token")
    assert forged.status_code == 403
    response = editor.post(
        f"/requests/{request.reference}/submit",
        data={"version": str(request.version), "confirm": "yes"},
    )
    assert response.status_code == 403
    unconfirmed = take(editor, request, "submit", {"confirm": ""})
    assert unconfirmed.status_code == 400 and "tick the box" in unconfirmed.text
    assert passed(world, request).version == request.version


def test_a_step_the_user_may_not_take_is_refused_by_the_service(
    world: Node, browser: Browser
) -> None:
    request = outgoing(world, "awaiting_approval", author="both")
    # The auditor sees no form; a forged one is refused. So is the author approving their own.
    auditor = take(browser("auditor"), request, "approve")
    assert auditor.status_code == 403 and "approver" in auditor.text
    assert "approve" not in offered(page(browser("both"), request).text)
    author = take(browser("both"), request, "approve")
    assert author.status_code == 403 and "four-eyes" in author.text
    unknown = take(browser("editor"), request, "receive")  # the node's own step: no form
    assert unknown.status_code == 404
    assert passed(world, request).version == request.version


def test_another_states_user_gets_the_apis_not_found_for_page_and_steps(
    world: Node, browser: Browser
) -> None:
    request = outgoing(world, "draft")
    outsider = browser("vnm-clerk")
    api = outsider.get(f"/api/v1/requests/{request.reference}")
    assert api.status_code == 404
    missing = outsider.get("/requests/AUT-2026-999999")
    shown = outsider.get(f"/requests/{request.reference}")
    assert shown.status_code == missing.status_code == 404
    assert shown.text.replace(str(request.reference), "X") == missing.text.replace(
        "AUT-2026-999999", "X"
    )
    assert api.json()["detail"] in shown.text
    posted = outsider.post(
        f"/requests/{request.reference}/withdraw",
        data={
            "csrf_token": form_token(outsider.get("/account").text),
            "version": str(request.version),
            "confirm": "yes",
            "note": "x",
        },
    )
    assert posted.status_code == 404
    assert passed(world, request).status is Status.DRAFT


def test_a_signed_out_browser_is_sent_to_sign_in(world: Node) -> None:
    request = outgoing(world, "draft")
    with TestClient(create_app(world), base_url="https://node.test") as client:
        response = client.get(f"/requests/{request.reference}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/sign-in?next=/requests/{request.reference}"


def test_deadlines_show_the_time_left_in_the_users_zone(world: Node, browser: Browser) -> None:
    request = outgoing(world, "executed", RequestKind.PRESERVATION)
    client = browser("editor")
    client.cookies.set("hanoix_tz", "Asia/Ho_Chi_Minh", domain="node.test")
    shown = page(client, request).text
    assert 'data-testid="deadline"' in shown
    assert "(Asia/Ho_Chi_Minh)" in shown
    assert re.search(r"in \d+ (days|weeks|months)", shown)


def test_a_drafts_page_lists_what_it_still_lacks_with_each_article(
    world: Node, browser: Browser
) -> None:
    lacking = outgoing(world, "draft", contents={"requesting_authority": "AUT-CA"})
    gaps = service.validate_request(world, user(world, "editor"), str(lacking.reference)).errors
    assert len(gaps) >= 3  # the fixture must leave several gaps for this to mean anything
    shown = page(browser("editor"), lacking).text
    assert 'data-testid="gaps"' in shown
    assert shown.count('data-testid="gap"') == len(gaps)
    for gap in gaps:
        assert gap.article is not None and gap.article in shown
    complete = page(browser("editor"), outgoing(world, "draft")).text
    assert "Nothing is missing: the draft can be submitted for approval." in complete
    # Once submitted, the request is past drafting: no list of gaps.
    assert 'data-testid="gaps"' not in page(browser("editor"), outgoing(world, "sent")).text


def test_a_preservation_is_followed_up_by_its_mla_request_in_one_click(
    world: Node, browser: Browser
) -> None:
    preservation = outgoing(world, "executed", RequestKind.PRESERVATION)
    # Who may not draft is not offered it (the auditor reads the page).
    assert 'data-testid="follow-up"' not in page(browser("auditor"), preservation).text
    editor = browser("editor")
    shown = page(editor, preservation)
    assert 'data-testid="follow-up"' in shown.text
    response = editor.post(
        f"/requests/{preservation.reference}/follow-up",
        data={"csrf_token": form_token(shown.text), "version": str(preservation.version)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    linked = passed(world, preservation)
    assert len(linked.follow_ups) == 1
    mla = str(linked.follow_ups[0])
    assert response.headers["location"] == f"/requests/{mla}?done=drafted"
    landed = editor.get(f"/requests/{mla}").text
    assert f'href="/requests/{preservation.reference}"' in landed  # "Follows up"
    assert 'data-testid="gaps"' in landed  # what the MLA request still needs beyond the carried


def test_the_page_offers_the_letter_in_each_language_and_serves_it(
    world: Node, browser: Browser
) -> None:
    request = outgoing(world, "awaiting_approval")
    editor = browser("editor")
    html = page(editor, request).text
    links = re.findall(r'data-testid="letter" href="([^"]+)"', html)
    assert f"/requests/{request.reference}/letter?lang=fr" in links
    assert "its letter is a DRAFT" in html
    letter = editor.get(f"/requests/{request.reference}/letter?lang=fr")
    assert letter.status_code == 200
    assert letter.headers["content-type"] == "application/pdf"
    assert letter.content.startswith(b"%PDF-")
    assert "DRAFT.pdf" in letter.headers["content-disposition"]
    assert editor.get(f"/requests/{request.reference}/letter?lang=xx").status_code == 400
    outsider = browser("vnm-clerk")
    assert outsider.get(f"/requests/{request.reference}/letter").status_code == 404
    received = incoming(world, "received")
    assert 'data-testid="letter"' not in page(editor, received).text


def test_a_request_whose_personal_data_was_erased_shows_its_history_and_the_erasure(
    world: Node, browser: Browser, clock: Any
) -> None:
    from datetime import timedelta

    from hanoix.services import retention

    secret = "Erika Mustermann, born 1 April 1970"
    request = outgoing(world, "withdrawn", proceeding=secret)
    clock.advance(timedelta(days=366))
    assert retention.run(world).erased == 1
    html = page(browser("editor"), request).text
    assert secret not in html
    (notice,) = re.findall(r'data-testid="erased">([^<]*)<', html)
    assert "Personal data erased on" in notice and "personal-data:365d" in notice
    assert "Art. 36(2)" in notice
    assert html.count('data-testid="step"') == len(request.history)
    assert "event does not match the ledger" not in html
    # Four years on, the rest of the file goes too; the page still reads.
    clock.advance(timedelta(days=4 * 365))
    later = retention.run(world)
    assert "request-contents" in {item.category.value for item in later.items}
    html = page(browser("editor"), request).text
    assert len(re.findall(r'data-testid="erased"', html)) == 2
    assert "The request's contents erased on" in html
