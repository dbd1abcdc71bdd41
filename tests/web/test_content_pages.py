"""Removal cases in the browser: the desk (overdue first, in pages), a case's page with its
hashes, notices, deadlines and linked requests, the notice forms (with the form token), the
file form, the hash lists page, and who may see them (the roles the content services allow;
another authority's case is a missing one)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.content.signals import hash_content
from hanoix.services import content
from hanoix.services import content_notices as notices
from hanoix.services.node import Node
from tests.content.images import edited_copies, encode, scene
from tests.services.exchange_world import deliver, exchange_network
from tests.services.requests_world import AUTHORITIES, USERS, add_people, outgoing, user
from tests.web.pages import PASSWORD, assert_nothing_inline, form_token, sign_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(START)


@pytest.fixture
def node(tmp_path: Path, db_url: str, clock: FixedClock) -> Iterator[Node]:
    settings = load_settings(
        tmp_path / "home", environ={"HANOIX_STATE": "AUT"}, database_url=db_url
    )
    n = Node.open(settings, clock=clock)
    n.initialise()
    add_people(n, AUTHORITIES, USERS, password=PASSWORD)
    yield n
    n.close()


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    with TestClient(create_app(node), base_url="https://node.test") as c:
        yield c


def removal_world(node: Node, clock: FixedClock) -> dict[str, str]:
    """Two cases of AUT-CA: one quiet, one with an overdue notice, a removed one and a linked
    request."""
    drafter = user(node, "drafter")
    quiet = content.open_case(node, drafter, article=14, victim_ref="c-0001", consent=["none"])
    case = content.open_case(node, drafter, article=16, victim_ref="v-7f3a", consent=["hash"])
    content.add_content(node, drafter, case.reference, [("scene.png", encode(scene()))])
    late = notices.send_notice(
        node, drafter, case.reference, to="ExampleTube", deadline=clock.now() + timedelta(hours=2)
    )
    done = notices.send_notice(
        node,
        drafter,
        case.reference,
        to="VNM",
        kind="state",
        deadline=clock.now() + timedelta(days=7),
    )
    notices.answer_notice(node, drafter, done.reference, "removed", confirmation="VN-TKT-88")
    request = outgoing(node, "sent")
    notices.link_request(node, drafter, case.reference, str(request.reference))
    clock.advance(timedelta(hours=5))
    return {
        "quiet": quiet.reference,
        "case": case.reference,
        "late": late.reference,
        "done": done.reference,
        "request": str(request.reference),
    }


def test_the_desk_lists_cases_with_overdue_notices_first(
    node: Node, client: TestClient, clock: FixedClock
) -> None:
    made = removal_world(node, clock)
    sign_in(client, "officer")
    page = client.get("/desk/removal")
    assert page.status_code == 200
    first = page.text.index(f'data-case="{made["case"]}"')
    assert first < page.text.index(f'data-case="{made["quiet"]}"')
    assert 'class="overdue"' in page.text
    assert 'href="/desk/removal"' in page.text  # the header's link
    assert_nothing_inline(page.text, "/desk/removal")


def test_the_case_page_shows_digests_notices_deadlines_and_linked_requests(
    node: Node, client: TestClient, clock: FixedClock
) -> None:
    made = removal_world(node, clock)
    sign_in(client, "drafter")
    page = client.get(f"/content/cases/{made['case']}")
    assert page.status_code == 200
    text = page.text
    assert text.index(f'data-notice="{made["late"]}"') < text.index(f'data-notice="{made["done"]}"')
    assert "VN-TKT-88" in text and "Art. 34" in text and "Overdue" in text
    assert f'href="/requests/{made["request"]}"' in text
    [digest] = [h for h in notices.case_file(node, user(node, "drafter"), made["case"]).hashes
                if h["signal"] == "sha256"]  # fmt: skip
    assert digest["value"] in text
    assert_nothing_inline(text, "/content/cases")
    # The request's page links back to the case.
    shown = client.get(f"/requests/{made['request']}")
    assert f'href="/content/cases/{made["case"]}"' in shown.text


def test_the_case_page_shows_the_matches_it_keeps(
    node: Node, client: TestClient, clock: FixedClock
) -> None:
    made = removal_world(node, clock)
    sign_in(client, "drafter")
    assert 'data-testid="no-matches"' in client.get(f"/content/cases/{made['case']}").text
    content.match(node, user(node, "auditor"), [("upload.png", encode(scene()))])
    text = client.get(f"/content/cases/{made['case']}").text
    table = text[text.index('data-testid="matches"') :]
    table = table[: table.index("</table>")]
    assert "md5, pdq, sha256" in table and user(node, "auditor").id in table
    assert "re-upload" in table  # it reopened the removed notice
    assert "upload.png" not in text


def test_the_notice_forms_record_answers_and_refuse_what_the_rules_refuse(
    node: Node, client: TestClient, clock: FixedClock
) -> None:
    made = removal_world(node, clock)
    sign_in(client, "drafter")
    page = client.get(f"/content/cases/{made['case']}")
    token = form_token(page.text)
    answer = f"/content/notices/{made['late']}"
    refused = client.post(f"{answer}/removed", data={"csrf_token": token, "case": made["case"]})
    assert refused.status_code == 400 and "confirmation" in refused.text
    forged = client.post(f"{answer}/acknowledge", data={"csrf_token": "x", "case": made["case"]})
    assert forged.status_code == 403
    acknowledged = client.post(
        f"{answer}/acknowledge", data={"csrf_token": token, "case": made["case"]}
    )
    assert acknowledged.status_code == 200 and "Acknowledgement recorded" in acknowledged.text
    removed = client.post(
        f"{answer}/removed",
        data={"csrf_token": token, "case": made["case"], "confirmation": "ET-1"},
    )
    assert "Removal recorded" in removed.text and "ET-1" in removed.text
    final = client.post(
        f"/content/notices/{made['done']}/refused",
        data={"csrf_token": token, "case": made["case"], "reason": "late"},
    )
    assert final.status_code == 409
    sent = client.post(
        f"/content/cases/{made['case']}/notices",
        data={"csrf_token": token, "to": "ClipHost", "kind": "provider", "deadline": "24h"},
    )
    assert "Notice sent" in sent.text and "ClipHost" in sent.text
    bad = client.post(
        f"/content/cases/{made['case']}/notices",
        data={"csrf_token": token, "to": "Viet Nam", "kind": "state", "deadline": "24h"},
    )
    assert bad.status_code == 400 and "alpha-3" in bad.text
    # The same picture uploaded again and matched: the notice is open again, and says so.
    content.match(node, user(node, "auditor"), [("again.png", encode(scene()))])
    again = client.get(f"/content/cases/{made['case']}").text
    assert "Re-uploaded" in again and "re-uploaded 1×" in again


@pytest.mark.parametrize("who", ["auditor", "approver", "admin", "prosecutor"])
def test_those_who_may_not_work_cases_see_none(
    node: Node, client: TestClient, clock: FixedClock, who: str
) -> None:
    made = removal_world(node, clock)
    sign_in(client, who)
    page = client.get(f"/content/cases/{made['case']}")
    missing = client.get("/content/cases/RC-999999")
    if who == "prosecutor":  # another authority's drafter: the same page as a missing case
        assert page.status_code == missing.status_code == 404
        assert page.text.replace(made["case"], "RC-999999") == missing.text
        assert client.get("/desk/removal").status_code == 200
    else:
        assert page.status_code == 403
        assert client.get("/desk/removal").status_code == 403
    assert 'href="/desk/removal"' not in client.get("/").text or who == "prosecutor"
    shown = client.get(f"/requests/{made['request']}")
    assert "/content/cases/" not in shown.text


def test_files_are_added_from_the_case_page_and_kept_nowhere(
    node: Node, client: TestClient, clock: FixedClock, tmp_path: Path, kept_temporary_files: Path
) -> None:
    from tests.services.test_content_service import MARKER, MEDIA, assert_no_media_kept

    made = removal_world(node, clock)
    sign_in(client, "officer")
    page = client.get(f"/content/cases/{made['quiet']}")
    assert 'data-testid="add-content"' in page.text and "content-upload.js" in page.text
    token = form_token(page.text)
    # A browser without the script: the token in the form.
    added = client.post(
        f"/content/cases/{made['quiet']}/content",
        data={"csrf_token": token},
        files={"files": ("secret.bin", MEDIA)},
    )
    assert added.status_code == 200 and "Content added" in added.text
    shown = notices.case_file(node, user(node, "officer"), made["quiet"])
    assert {h["signal"] for h in shown.hashes} == {"sha256", "md5"}
    assert "secret.bin" not in added.text
    # The page's script: the token in a header, a picture.
    scripted = client.post(
        f"/content/cases/{made['quiet']}/content",
        files={"files": ("scene.png", encode(scene()))},
        headers={"X-CSRF-Token": token},
    )
    assert scripted.status_code == 200 and "Content added" in scripted.text
    forged = client.post(
        f"/content/cases/{made['quiet']}/content",
        data={"csrf_token": "x"},
        files={"files": ("m.bin", b"m")},
    )
    assert forged.status_code == 403
    assert_no_media_kept(node, tmp_path, MARKER)


def test_preserving_from_the_case_page_is_refused_without_consent_with_what_to_do(
    node: Node, client: TestClient, clock: FixedClock
) -> None:
    made = removal_world(node, clock)
    sign_in(client, "drafter")
    token = form_token(client.get(f"/content/cases/{made['case']}").text)
    refused = client.post(
        f"/content/cases/{made['case']}/content",
        data={"csrf_token": token, "preserve": "on"},
        files={"files": ("m.bin", b"media to keep")},
    )
    assert refused.status_code in (400, 409, 422) and 'data-testid="refused"' in refused.text
    assert "consent" in refused.text
    assert notices.case_file(node, user(node, "drafter"), made["case"]).preserved == []
    other = client.post(  # another authority's case: as a missing one
        "/content/cases/RC-999999/content",
        data={"csrf_token": token},
        files={"files": ("m.bin", b"m")},
    )
    assert other.status_code == 404


def test_the_desk_pages_its_cases(node: Node, client: TestClient, clock: FixedClock) -> None:
    from hanoix.web import content as pages

    drafter = user(node, "drafter")
    opened = [
        content.open_case(node, drafter, article=14, victim_ref=f"c-{i:04d}", consent=["none"])
        for i in range(pages.DESK_PAGE + 2)
    ]
    sign_in(client, "drafter")
    first = client.get("/desk/removal")
    assert first.text.count("data-case=") == pages.DESK_PAGE
    assert f'data-case="{opened[-1].reference}"' in first.text  # the newest first
    following = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = client.get(following.replace("&amp;", "&"))
    assert second.text.count("data-case=") == 2
    assert f'data-case="{opened[0].reference}"' in second.text
    assert 'rel="next"' not in second.text and 'href="/desk/removal"' in second.text
    assert client.get("/desk/removal?cursor=nonsense").status_code == 400


# --- the hash lists page ---------------------------------------------------------------------


def _listed(node: Node) -> str:
    drafter = user(node, "drafter")
    case = content.open_case(node, drafter, article=16, victim_ref="v-lists", consent=["hash"])
    content.add_content(node, drafter, case.reference, [("scene.png", encode(scene()))])
    return case.reference


def test_the_page_shows_the_own_list_and_withdraws_a_hash(
    node: Node,
    client: TestClient,
) -> None:
    case = _listed(node)
    pdq = hash_content(encode(scene())).pdq
    assert pdq is not None
    sign_in(client, "drafter")
    page = client.get("/content/lists")
    assert page.status_code == 200
    own = page.text[page.text.index('data-testid="own-list"') :]
    assert "AUT:AUT-CA" in own and "not published yet" in own
    assert 'data-testid="no-held"' in page.text and "v-lists" not in page.text
    assert_nothing_inline(page.text, "/content/lists")
    token = form_token(page.text)
    # A case page's hash links here with the form filled in; nothing else is put in the page.
    shown = client.get(f"/content/cases/{case}").text
    assert f'href="/content/lists?withdraw={pdq.value}#withdraw-value"' in shown
    filled = client.get(f"/content/lists?withdraw={pdq.value}").text
    assert f'value="{pdq.value}"' in filled
    odd = client.get('/content/lists?withdraw="><b>x').text
    assert "<b>x" not in odd and 'value=""' in odd
    bad = client.post("/content/lists/withdraw", data={"csrf_token": token, "value": "xyz"})
    assert bad.status_code == 400 and 'data-testid="refused"' in bad.text
    forged = client.post(
        "/content/lists/withdraw",
        data={"csrf_token": "x", "value": pdq.value, "reason": "victim"},
    )
    assert forged.status_code == 403
    done = client.post(
        "/content/lists/withdraw",
        data={"csrf_token": token, "value": pdq.value, "reason": "victim"},
    )
    assert done.status_code == 200 and "withdrawn" in done.text
    assert f"Withdrawn from {case} (pdq)" in done.text
    [result] = content.match(node, user(node, "auditor"), [("q", edited_copies()["resized"])])
    assert not result.matched
    again = client.post(
        "/content/lists/withdraw",
        data={"csrf_token": token, "value": pdq.value, "reason": "victim"},
    )
    assert again.status_code == 404 and 'data-testid="refused"' in again.text
    # No directory on this node: publishing says what is missing, and nothing is queued.
    refused = client.post("/content/lists/publish", data={"csrf_token": token, "to": "VNM"})
    assert refused.status_code >= 400 and 'data-testid="refused"' in refused.text


@pytest.mark.parametrize("who", ["auditor", "approver", "admin"])
def test_those_who_do_not_work_cases_are_refused(
    node: Node,
    client: TestClient,
    who: str,
) -> None:
    _listed(node)
    sign_in(client, who)
    assert client.get("/content/lists").status_code == 403
    token = form_token(client.get("/account").text)
    withdrawn = client.post(
        "/content/lists/withdraw",
        data={"csrf_token": token, "value": "ab" * 32, "reason": "victim"},
    )
    assert withdrawn.status_code == 403


def test_a_list_published_from_the_page_is_shown_sent_and_held_by_its_peer(
    tmp_path: Path,
) -> None:
    net = exchange_network(tmp_path)
    try:
        a, v = net["a"].node, net["v"].node
        for member, authority in ((a, "AUT-CA"), (v, "VNM-CA")):
            add_people(member, [], {"keeper": ({"drafter"}, authority)}, password=PASSWORD)
        drafter = user(a, "drafter")
        case = content.open_case(a, drafter, article=14, victim_ref="c-lists", consent=["none"])
        content.add_content(a, drafter, case.reference, [("scene.png", encode(scene()))])
        with TestClient(create_app(a), base_url="https://node.test") as web:
            sign_in(web, "keeper")
            token = form_token(web.get("/content/lists").text)
            sent = web.post("/content/lists/publish", data={"csrf_token": token, "to": "vnm"})
            assert sent.status_code == 200, sent.text
            assert "queued" in sent.text
            shares = sent.text[sent.text.index('data-testid="shares"') :]
            assert "VNM" in shares and "<td>1</td>" in shares
        deliver(net)
        with TestClient(create_app(v), base_url="https://node.test") as web:
            sign_in(web, "keeper")
            page = web.get("/content/lists").text
            held = page[page.index('data-testid="held-lists"') :]
            assert "AUT:AUT-CA" in held and net["a"].origin in held
    finally:
        net.close()
