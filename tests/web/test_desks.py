"""The desks: the 24/7 officer's arrivals, the requests desk and the approver's queue, each for
the roles it serves, each showing only what the services show that user."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.requests import Action
from hanoix.services import requests as service
from hanoix.services.node import Node
from hanoix.store import federation as fed_store
from hanoix.store.requests import ListFilter
from hanoix.web import desks
from tests.services.requests_world import (
    AUTHORITIES,
    USERS,
    add_people,
    incoming,
    outgoing,
    step,
    user,
)
from tests.web.pages import PASSWORD, form_token, sign_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
PEOPLE = {**USERS, "vnm-duty": ({"officer_24_7"}, "VNM-CA")}


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def node(tmp_path: Path, db_url: str, clock: FixedClock) -> Iterator[Node]:
    """Austria's node (its State set: messages about no request are Austria's alone), with the
    requests world's people, each with a password to sign in with."""
    settings = load_settings(
        tmp_path / "home", environ={"HANOIX_STATE": "AUT"}, database_url=db_url
    )
    n = Node.open(settings, clock=clock)
    n.initialise()
    add_people(n, AUTHORITIES, PEOPLE, password=PASSWORD)
    yield n
    n.close()


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), base_url="https://node.test") as c:
        yield c


def arrive(
    node: Node, *, urgent: bool, reference: str | None = None, kind: str = "request.sent"
) -> str:
    """A message taken into the inbox now, about ``reference`` if given: what the federation's
    inbox writes when an envelope arrives (its handler links it to its request)."""
    envelope_id = secrets.token_hex(16)
    payload = {"reference": reference, "document": {"kind": "mla"}} if reference else {"text": "hi"}
    with node.unit_of_work() as session:
        at = node.clock.now()
        fed_store.add_inbox(
            session,
            envelope_id=envelope_id,
            sender="vnm.hanoix.test",
            type=kind if reference else "federation.notice",
            urgent=urgent,
            in_reply_to=None,
            created_at=at,
            expires_at=at + timedelta(days=1),
            received_at=at,
            digest="0" * 64,
            payload=json.dumps(payload),
            receipt="{}",
        )
        if reference:
            fed_store.link_inbox_to_request(session, envelope_id, reference)
    return envelope_id


def rows_of(html: str, attribute: str) -> list[str]:
    return re.findall(rf'<tr[^>]*\b{attribute}="([^"]+)"', html)


def nav_desks(html: str) -> list[str]:
    return re.findall(r'data-desk="([^"]+)"', html)


# --- which desks each role opens -------------------------------------------------------------


@pytest.mark.parametrize(
    ("username", "expected"),
    [
        ("duty", ["24-7", "requests", "removal"]),
        ("drafter", ["requests", "removal"]),
        ("approver", ["requests", "approvals"]),
        ("auditor", ["requests"]),
        ("admin", []),
    ],
)
def test_the_front_page_and_the_header_link_the_desks_the_roles_open(
    client: TestClient, username: str, expected: list[str]
) -> None:
    home = sign_in(client, username)
    assert nav_desks(home) == expected
    listed = re.search(r'data-testid="desks">(.*?)</ul>', home, re.S)
    if expected:
        assert listed is not None
        assert re.findall(r'href="/desk/([^"]+)"', listed.group(1)) == expected
    else:
        assert listed is None and "Your roles open no desk" in home


@pytest.mark.parametrize(
    ("username", "path"),
    [
        ("drafter", "/desk/24-7"),
        ("approver", "/desk/24-7/arrivals"),
        ("admin", "/desk/requests"),
        ("drafter", "/desk/approvals"),
        ("duty", "/desk/approvals"),
    ],
)
def test_a_role_without_the_desk_gets_a_403_page(
    client: TestClient, username: str, path: str
) -> None:
    sign_in(client, username)
    page = client.get(path)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    assert "<h1" in page.text


def test_a_desk_asks_who_you_are_first(client: TestClient) -> None:
    page = client.get("/desk/requests?status=sent", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/sign-in?next=/desk/requests%3Fstatus%3Dsent"


# --- the 24/7 desk -------------------------------------------------------------------------


def test_the_24_7_desk_shows_urgent_arrivals_first_with_the_time_since_each_arrived(
    client: TestClient, node: Node, clock: FixedClock
) -> None:
    routine = incoming(node, "received", handled_by="AUT-POC")
    urgent = incoming(node, "received", handled_by="AUT-POC", urgent=True)
    first = arrive(node, urgent=False, reference=str(routine.reference))
    clock.advance(timedelta(minutes=5))
    second = arrive(node, urgent=True, reference=str(urgent.reference))
    notice = arrive(node, urgent=False)
    clock.advance(timedelta(minutes=7))
    sign_in(client, "duty")
    page = client.get("/desk/24-7")
    assert page.status_code == 200
    assert rows_of(page.text, "data-envelope") == [second, first, notice]
    urgent_row = re.search(rf'data-envelope="{second}".*?</tr>', page.text, re.S)
    assert urgent_row is not None
    assert "Urgent" in urgent_row.group(0) and "7 minutes ago" in urgent_row.group(0)
    assert f'href="/requests/{urgent.reference}"' in urgent_row.group(0)
    routine_row = re.search(rf'data-envelope="{first}".*?</tr>', page.text, re.S)
    assert routine_row is not None and "12 minutes ago" in routine_row.group(0)


def test_the_24_7_desk_shows_nothing_of_another_state_or_of_another_authoritys_restricted_case(
    client: TestClient, node: Node
) -> None:
    open_case = incoming(node, "received", handled_by="AUT-POC")
    restricted = incoming(node, "received", handled_by="AUT-PROS", restricted=True)
    shown = arrive(node, urgent=True, reference=str(open_case.reference))
    hidden = arrive(node, urgent=True, reference=str(restricted.reference))
    notice = arrive(node, urgent=False)
    sign_in(client, "duty")
    assert rows_of(client.get("/desk/24-7").text, "data-envelope") == [shown, notice]
    client.cookies.clear()
    sign_in(client, "vnm-duty")
    page = client.get("/desk/24-7").text
    assert rows_of(page, "data-envelope") == []
    for secret in (shown, hidden, notice, str(open_case.reference), str(restricted.reference)):
        assert secret not in page


def test_the_polled_fragment_answers_204_while_nothing_changed_and_brings_a_new_arrival(
    client: TestClient, node: Node, clock: FixedClock
) -> None:
    sign_in(client, "duty")
    page = client.get("/desk/24-7").text
    poller = re.search(
        r'hx-get="(/desk/24-7/arrivals\?shown=[0-9a-f]+)" hx-trigger="every 1s"', page
    )
    assert poller is not None
    assert client.get(poller.group(1)).status_code == 204
    case = incoming(node, "received", handled_by="AUT-POC", urgent=True)
    envelope = arrive(node, urgent=True, reference=str(case.reference))
    fragment = client.get(poller.group(1))
    assert fragment.status_code == 200
    assert "<html" not in fragment.text  # the rows alone, for htmx to swap in
    assert rows_of(fragment.text, "data-envelope") == [envelope]
    assert 'data-urgent="true"' in fragment.text
    tag = re.search(r'hx-get="/desk/24-7/arrivals\?shown=([0-9a-f]+)"', fragment.text)
    assert tag is not None
    assert client.get(f"/desk/24-7/arrivals?shown={tag.group(1)}").status_code == 204
    clock.advance(timedelta(minutes=1))  # the time since arrival moved on: sent again
    assert client.get(f"/desk/24-7/arrivals?shown={tag.group(1)}").status_code == 200


def test_acknowledging_from_the_desk_needs_the_form_token_and_marks_the_message_seen(
    client: TestClient, node: Node
) -> None:
    case = incoming(node, "received", handled_by="AUT-POC", urgent=True)
    envelope = arrive(node, urgent=True, reference=str(case.reference))
    sign_in(client, "duty")
    page = client.get("/desk/24-7").text
    action = f"/desk/24-7/{envelope}/acknowledge"
    assert f'formaction="{action}"' in page
    assert client.post(action, data={}).status_code == 403
    assert client.post(action, data={"csrf_token": "forged"}).status_code == 403
    assert rows_of(client.get("/desk/24-7").text, "data-envelope") == [envelope]
    done = client.post(action, data={"csrf_token": form_token(page)}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/desk/24-7?done=acknowledged"
    after = client.get(done.headers["location"]).text
    assert rows_of(after, "data-envelope") == [] and "marked as seen" in after
    seen = client.get("/api/v1/federation/inbox?all=true").json()
    assert [(m["envelope_id"], m["acknowledged_by"] is not None) for m in seen] == [
        (envelope, True)
    ]


def test_acknowledging_what_the_user_may_not_see_answers_as_a_missing_message(
    client: TestClient, node: Node
) -> None:
    restricted = incoming(node, "received", handled_by="AUT-PROS", restricted=True)
    hidden = arrive(node, urgent=True, reference=str(restricted.reference))
    sign_in(client, "duty")
    token = form_token(client.get("/desk/24-7").text)
    answers = []
    for envelope in (hidden, "0" * 32, "not-an-id"):
        refused = client.post(f"/desk/24-7/{envelope}/acknowledge", data={"csrf_token": token})
        assert refused.status_code == 404, envelope
        answers.append(refused.text.replace(envelope, "ID"))
    # The hidden message's answer is the missing one's, word for word (no existence oracle).
    assert answers[0] == answers[1]


def test_the_desk_has_a_labelled_mute_control_and_its_script_is_a_file_of_the_node(
    client: TestClient,
) -> None:
    sign_in(client, "duty")
    page = client.get("/desk/24-7")
    button = re.search(r'<button type="button" id="desk-mute"[^>]*>([^<]+)</button>', page.text)
    assert button is not None and button.group(1).strip() == "Mute the alert sound"
    assert 'aria-pressed="false"' in button.group(0)
    assert 'role="alert"' in page.text  # the visible alert, announced when it appears
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert not re.search(r"\s(style|on[a-z]+)=", page.text)
    script = client.get("/static/desk.js")
    assert script.status_code == 200
    assert "localStorage" in script.text and "AudioContext" in script.text
    assert "hanoix.desk.muted" in script.text


# --- the requests desk ---------------------------------------------------------------------


def test_the_requests_desk_puts_the_overdue_first_then_the_nearest_deadline(
    client: TestClient, node: Node, clock: FixedClock
) -> None:
    first = incoming(node, "received", urgent=True)  # due 4 hours after it arrived
    clock.advance(timedelta(hours=1))
    second = incoming(node, "received", urgent=True)
    no_deadline = outgoing(node, "sent")
    clock.advance(timedelta(hours=3, minutes=30))  # the first is overdue, the second not yet
    sign_in(client, "drafter")
    page = client.get("/desk/requests").text
    order = rows_of(page, "data-reference")
    assert order == [str(first.reference), str(second.reference), str(no_deadline.reference)]
    overdue_row = re.search(rf'<tr class="overdue" data-reference="{first.reference}"', page)
    assert overdue_row is not None
    assert f'<tr class="" data-reference="{second.reference}"' in page
    left = re.findall(r'<td class="left">(.*?)</td>', page, re.S)
    assert "30 minutes late" in left[0] and "30 minutes left" in left[1], left
    assert 'href="/requests/' + str(first.reference) + '"' in page


def test_the_requests_desk_filters_and_counts_exactly(client: TestClient, node: Node) -> None:
    received = [incoming(node, "received") for _ in range(2)]
    preservation = incoming(node, "received", kind=RequestKind.PRESERVATION)
    sent = outgoing(node, "sent")
    draft = outgoing(node, "draft")
    sign_in(client, "auditor")

    def counts(query: str) -> dict[str, int]:
        page = client.get(f"/desk/requests?{query}")
        assert page.status_code == 200, page.text
        found = re.findall(r'<span class="count" data-status="([a-z_]*)">(\d+)</span>', page.text)
        return {status: int(number) for status, number in found}

    assert counts("") == {"": 5, "received": 3, "sent": 1, "draft": 1}
    assert counts("side=requested") == {"": 3, "received": 3}
    assert counts("kind=preservation") == {"": 1, "received": 1}
    # The status filter narrows the list; its counts still show every status beside it.
    page = client.get("/desk/requests?status=received").text
    assert sorted(rows_of(page, "data-reference")) == sorted(
        str(r.reference) for r in [*received, preservation]
    )
    assert counts("status=received") == {"": 5, "received": 3, "sent": 1, "draft": 1}
    # Made at the same instant (a fixed clock) and without a deadline: in either order.
    outgoing_to_vnm = client.get("/desk/requests?state=VNM&side=requesting").text
    assert sorted(rows_of(outgoing_to_vnm, "data-reference")) == sorted(
        [str(draft.reference), str(sent.reference)]
    )
    texts = rows_of(client.get(f"/desk/requests?text={sent.reference}").text, "data-reference")
    assert texts == [str(sent.reference)]
    assert counts("text=vnm-2025") == {"": 3, "received": 3}
    assert counts("text=50%25") == {"": 0}  # LIKE's wildcards are the user's characters
    assert rows_of(client.get("/desk/requests?state=ZAF").text, "data-reference") == []


def test_a_deadline_filter_is_the_start_of_that_day_on_the_users_clock(
    client: TestClient, node: Node, clock: FixedClock
) -> None:
    urgent = incoming(node, "received", urgent=True)  # due 2026-12-01 13:00 UTC
    outgoing(node, "sent")
    sign_in(client, "drafter")
    assert rows_of(
        client.get("/desk/requests?deadline_before=2026-12-02").text, "data-reference"
    ) == [str(urgent.reference)]
    assert (
        rows_of(client.get("/desk/requests?deadline_before=2026-12-01").text, "data-reference")
        == []
    )
    client.cookies.set("hanoix_tz", "Pacific/Kiritimati")  # UTC+14: 2 December starts at 10:00 UTC
    assert (
        rows_of(client.get("/desk/requests?deadline_before=2026-12-02").text, "data-reference")
        == []
    )


def test_filters_that_cannot_be_used_say_what_to_fix(client: TestClient, node: Node) -> None:
    outgoing(node, "sent")
    sign_in(client, "drafter")
    page = client.get("/desk/requests?state=austria&deadline_before=31.12.2026&kind=nope")
    assert page.status_code == 400
    assert "three-letter code" in page.text and "YYYY-MM-DD" in page.text
    assert "Choose a kind of request" in page.text
    assert rows_of(page.text, "data-reference") == []


def test_the_requests_desk_shows_nothing_of_another_state_or_another_authoritys_restricted_case(
    client: TestClient, node: Node
) -> None:
    restricted = incoming(node, "received", handled_by="AUT-CA", restricted=True)
    shared = outgoing(node, "sent")
    sign_in(client, "vnm-clerk")
    page = client.get("/desk/requests").text
    assert rows_of(page, "data-reference") == []
    assert str(restricted.reference) not in page and str(shared.reference) not in page
    client.cookies.clear()
    sign_in(client, "prosecutor")  # Austria, another authority: the open case only
    page = client.get("/desk/requests").text
    assert rows_of(page, "data-reference") == [str(shared.reference)]
    assert str(restricted.reference) not in page


def test_the_requests_desk_pages_through_the_list_in_its_order(
    client: TestClient, node: Node, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(desks, "PAGE_SIZE", 2)
    made = []
    for urgent in (True, False, True, False, False):
        made.append(incoming(node, "received", urgent=urgent))
        clock.advance(timedelta(minutes=1))
    sign_in(client, "drafter")
    seen: list[str] = []
    page = client.get("/desk/requests?side=requested").text
    while True:
        seen.extend(rows_of(page, "data-reference"))
        following = re.search(r'href="/desk/requests\?([^"]+)" rel="next"', page)
        if following is None:
            break
        assert "side=requested" in following.group(1)
        page = client.get("/desk/requests?" + following.group(1).replace("&amp;", "&")).text
    expected = [made[0], made[2], made[4], made[3], made[1]]  # deadlines first, then newest
    assert seen == [str(r.reference) for r in expected]


def test_the_service_lists_by_deadline_across_pages_on_each_database(
    node: Node, clock: FixedClock
) -> None:
    made = []
    for urgent in (False, True, False, True, True, False):
        made.append(incoming(node, "received", urgent=urgent))
        clock.advance(timedelta(minutes=10))
    auditor = user(node, "auditor")
    seen, cursor = [], None
    while True:
        page = service.list_requests(
            node, auditor, ListFilter(), limit=2, cursor=cursor, order="deadline"
        )
        seen.extend(item.reference for item in page.items)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    urgent_first = [made[1], made[3], made[4], made[5], made[2], made[0]]
    assert seen == [str(r.reference) for r in urgent_first]
    newest = service.list_requests(node, auditor, ListFilter(), limit=2)
    assert newest.next_cursor is not None
    with pytest.raises(Exception, match="cursor"):
        service.list_requests(
            node, auditor, ListFilter(), cursor=newest.next_cursor, order="deadline"
        )
    with pytest.raises(Exception, match="order"):
        service.list_requests(node, auditor, ListFilter(), order="sideways")


# --- the approver's queue ------------------------------------------------------------------


def test_the_approvers_queue_holds_what_others_submitted_and_says_why_not_the_rest(
    client: TestClient, node: Node
) -> None:
    theirs = outgoing(node, "awaiting_approval", author="editor")
    own = outgoing(node, "awaiting_approval", author="both")
    outgoing(node, "draft", author="editor")
    outgoing(node, "sent", author="editor")
    sign_in(client, "both")
    page = client.get("/desk/approvals")
    assert page.status_code == 200
    mine, _, others = page.text.partition("Waiting for another approver")
    assert rows_of(mine, "data-reference") == [str(theirs.reference)]
    assert rows_of(others, "data-reference") == [str(own.reference)]
    assert "four-eyes" in others  # the service's own words
    assert f'href="/requests/{theirs.reference}"' in mine
    # Approved, it leaves the queue.
    step(node, "approver2", theirs, Action.APPROVE)
    again = client.get("/desk/approvals").text
    assert 'data-testid="nothing-to-approve"' in again


def test_the_approvers_queue_shows_nothing_of_another_state(client: TestClient, node: Node) -> None:
    outgoing(node, "awaiting_approval", author="editor")
    sign_in(client, "vnm-approver")
    page = client.get("/desk/approvals").text
    assert rows_of(page, "data-reference") == []
    assert "AUT-2026" not in page


def test_every_desk_page_is_free_of_inline_script_and_style(client: TestClient, node: Node) -> None:
    incoming(node, "received", urgent=True)
    outgoing(node, "awaiting_approval", author="editor")
    sign_in(client, "both")
    for path in ("/desk/requests", "/desk/approvals", "/"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["cache-control"] == "no-store"
        assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), path
        assert not re.search(r"\s(style|on[a-z]+)=", page.text), path


def test_times_read_as_words_a_clerk_takes_in_at_a_glance() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    assert desks._time_left(request, START + timedelta(seconds=30), START) == "due now"
    assert desks._time_left(request, START + timedelta(hours=2), START) == "2 hours left"
    assert desks._time_left(request, START - timedelta(days=3), START) == "3 days late"
    assert desks._since(request, START + timedelta(seconds=5), START) == "just now"
    assert desks._since(request, START - timedelta(minutes=7), START) == "7 minutes ago"
    french = Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [(b"cookie", b"hanoix_lang=fr")]}
    )
    assert desks._time_left(french, START - timedelta(days=3), START) == "3\u00a0jours de retard"


def test_officers_who_see_the_same_messages_share_rows_but_never_a_form_token(
    node: Node,
) -> None:
    """The 24/7 desk's rows are made once for every officer who sees the same messages (in
    the same minute, language and time zone): each still gets only what they may see, in
    their own time zone, with their own form token, and an acknowledgement reaches all."""
    shared = arrive(
        node, urgent=True, reference=str(incoming(node, "received", handled_by="AUT-POC").reference)
    )
    restricted = incoming(node, "received", handled_by="AUT-POC", restricted=True)
    hidden = arrive(node, urgent=True, reference=str(restricted.reference))
    app = create_app(node)
    with (
        TestClient(app, base_url="https://node.test") as duty,
        TestClient(app, base_url="https://node.test") as officer,
    ):
        sign_in(duty, "duty")
        sign_in(officer, "officer")
        duty_page, officer_page = duty.get("/desk/24-7").text, officer.get("/desk/24-7").text
        assert sorted(rows_of(duty_page, "data-envelope")) == sorted([shared, hidden])
        assert rows_of(officer_page, "data-envelope") == [shared]
        assert form_token(duty_page) != form_token(officer_page)
        assert officer_page.count(form_token(officer_page)) == duty_page.count(
            form_token(duty_page)
        )
        assert form_token(duty_page) not in officer_page
        assert "(UTC)" in officer_page
        officer.cookies.set("hanoix_tz", "Asia/Ho_Chi_Minh")
        in_hanoi = officer.get("/desk/24-7").text
        assert "(Asia/Ho_Chi_Minh)" in in_hanoi and "(UTC)</span>" not in in_hanoi
        acknowledged = duty.post(
            f"/desk/24-7/{shared}/acknowledge",
            data={"csrf_token": form_token(duty_page)},
            follow_redirects=False,
        )
        assert acknowledged.status_code == 303
        assert rows_of(officer.get("/desk/24-7").text, "data-envelope") == []
        assert rows_of(duty.get("/desk/24-7").text, "data-envelope") == [hidden]
