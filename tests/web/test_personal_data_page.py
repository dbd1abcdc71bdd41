"""The data-protection officer's search page: the identifier goes in a POST body with the
form token, never in the URL; the answer lists each place and who accessed it when; the search
is recorded as the CLI's and the API's are; nobody else gets the page."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import pytest

from hanoix.services.node import Node
from hanoix.store import retention as retention_store
from tests.services.requests_world import add_people, outgoing, populate
from tests.web.pages import PASSWORD, form_token, signed_in_browser

pytestmark = pytest.mark.usefixtures("cheap_passwords")


@pytest.fixture
def world(node: Node) -> Iterator[Node]:
    populate(node)
    add_people(
        node,
        [],
        {"dpo": ({"data_protection_officer"}, "AUT-CA"), "boss": ({"administrator"}, None)},
        password=PASSWORD,
    )
    outgoing(node, "sent", proceeding="against Erika Mustermann")
    yield node


def test_the_officer_finds_the_request_and_who_acted_on_it(world: Node) -> None:
    with signed_in_browser(world, "dpo") as client:
        page = client.get("/personal-data", headers={"Accept-Language": "fr"})
        assert page.status_code == 200 and 'href="/personal-data"' in page.text
        assert 'method="post" action="/personal-data"' in page.text
        answer = client.post(
            "/personal-data",
            data={"csrf_token": form_token(page.text), "identifier": "Mustermann"},
            headers={"Accept-Language": "fr"},
        )
        assert answer.status_code == 200, answer.text
        assert "Mustermann" not in str(answer.url)
        html = answer.text
        assert html.count('data-place="request"') == 1 and "terms.proceeding" in html
        assert "<td>editor</td>" in html and "<td>approver2</td>" in html
        assert "1 endroit le contient" in html
        nothing = client.post(
            "/personal-data",
            data={"csrf_token": form_token(page.text), "identifier": "Nobody Atall"},
        )
        assert 'data-testid="nothing-found"' in nothing.text
    digest = hashlib.sha256(b"mustermann").hexdigest()[:32]
    with world.reading() as session:
        (read,) = retention_store.reads_of(session, [f"search:{digest}"])
    assert read.what == "personal-data-find" and read.authority == "AUT-CA"


def test_no_form_token_a_short_identifier_and_other_roles_are_refused(world: Node) -> None:
    with signed_in_browser(world, "dpo") as client:
        assert client.post("/personal-data", data={"identifier": "Mustermann"}).status_code == 403
        token = form_token(client.get("/personal-data").text)
        short = client.post("/personal-data", data={"csrf_token": token, "identifier": "Mu"})
        assert short.status_code == 400 and "too short to search safely" in short.text
        assert 'aria-invalid="true"' in short.text
    with signed_in_browser(world, "boss") as client:
        assert client.get("/personal-data").status_code == 403
        assert 'href="/personal-data"' not in client.get("/").text
        token = form_token(client.get("/account").text)
        refused = client.post("/personal-data", data={"csrf_token": token, "identifier": "Erika"})
        assert refused.status_code == 403
