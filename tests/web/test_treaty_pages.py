"""The treaty status pages: the figures the services compute, the chart and its table, each
participant's record, and the "does the Convention apply" form."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services import treaty as service
from hanoix.services.node import Node
from hanoix.treaty.status import TreatyStatus
from tests.web.pages import add_people, assert_nothing_inline, sign_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")

FIRST_DEPOSIT = date(2026, 8, 1)


def _deposits(node: Node) -> list[tuple[str, date]]:
    """41 States that signed deposit an instrument, three a day every five days: the 40th on
    2026-10-05, so the Convention enters into force on 2027-01-03 (Art. 65(1))."""
    data = service.current_data(node)
    signed = sorted(
        {a.participant for a in data.actions if a.kind.value == "signature"} - {"EUU", "USA"}
    )
    return [
        (code, FIRST_DEPOSIT + timedelta(days=(number // 3) * 5))
        for number, code in enumerate(signed[:41])
    ]


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    add_people(node)
    with TestClient(create_app(node), base_url="https://node.test") as c:
        sign_in(c, "minh")
        yield c


@pytest.fixture
def deposited(node: Node) -> list[tuple[str, date]]:
    rows = _deposits(node)
    csv = "participant,action,date,basis,source\n" + "".join(
        f"{code},ratification,{day.isoformat()},verified,test deposits\n" for code, day in rows
    )
    service.import_bytes(node, csv.encode(), service.ImportFormat.CSV, name="deposits.csv")
    return rows


def _figures(html: str) -> dict[str, str]:
    return {
        name: re.sub(r"\s+", " ", value).strip()
        for name, value in re.findall(r'data-figure="([a-z_]+)">(.*?)</', html, re.S)
    }


def test_a_stranger_is_sent_to_sign_in(node: Node) -> None:
    with TestClient(create_app(node), base_url="https://node.test") as stranger:
        for path in ("/treaty", "/treaty/participants/VNM", "/treaty/applies?a=VNM&b=AUT"):
            response = stranger.get(path, follow_redirects=False)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/sign-in?next=/treaty")


def test_the_status_figures_are_the_services(client: TestClient, node: Node) -> None:
    page = client.get("/treaty")
    assert page.status_code == 200
    figures = _figures(page.text)
    summary = service.status(node).summary
    assert figures["signatories"] == str(summary.signatories) == "69"
    assert figures["parties"] == str(summary.parties)
    assert figures["instruments_counted"] == str(summary.instruments_counted)
    assert "not yet determined" in figures["entry_into_force"]
    # The data's own warnings (partial, press reports) are shown as it gives them.
    for warning in service.status(node).warnings:
        assert warning.replace("'", "&#39;") in page.text
    # Each signatory is listed, linked to its page, with the basis of its row.
    assert page.text.count('href="/treaty/participants/') == summary.signatories
    # No instrument yet: each row's basis is its signature's, as the data gives it.
    signatures = [a for a in service.current_data(node).actions if a.kind.value == "signature"]
    reported = [a for a in signatures if a.basis is not None and a.basis.value == "reported"]
    table = re.search(r'data-testid="participants">(.*?)</table>', page.text, re.S)
    assert table is not None
    assert table[1].count('class="basis basis-reported"') == len(reported) == 4
    assert table[1].count('class="basis basis-verified"') == len(signatures) - 4


def test_the_status_with_deposits_gives_the_entry_into_force(
    client: TestClient, node: Node, deposited: list[tuple[str, date]]
) -> None:
    figures = _figures(client.get("/treaty").text)
    summary = service.status(node).summary
    assert summary.instruments_counted == 41 and summary.entry_into_force == date(2027, 1, 3)
    assert figures["instruments_counted"] == "41"
    assert figures["parties"] == str(summary.parties) == "41"
    assert figures["entry_into_force"].startswith("Jan 3, 2027")
    earlier = _figures(client.get("/treaty?on=2026-09-01").text)
    then = service.status(node, date(2026, 9, 1)).summary
    assert earlier["instruments_counted"] == str(then.instruments_counted) == "21"
    assert "not yet determined" in earlier["entry_into_force"]


def test_the_chart_has_one_point_per_day_and_its_table_the_same_numbers(
    client: TestClient, node: Node, deposited: list[tuple[str, date]]
) -> None:
    html = client.get("/treaty").text
    status, _data = service.treaty_status(node)
    assert isinstance(status, TreatyStatus)
    per_day = Counter(status.counted_deposits(node.clock.now().date()))
    expected, running = [], 0
    for day in sorted(per_day):
        running += per_day[day]
        expected.append((day.isoformat(), per_day[day], running))
    assert len(expected) == 14  # 41 deposits on 14 days
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    points = re.findall(
        r'<circle class="point"[^>]*data-day="([0-9-]+)" data-count="(\d+)"', svg[0]
    )
    assert [(d, int(c)) for d, c in points] == [(d, c) for d, _n, c in expected]
    table = re.search(r'data-testid="chart-table">(.*?)</table>', html, re.S)
    assert table is not None
    rows = re.findall(r'<th scope="row">([0-9-]+)</th><td>(\d+)</td><td>(\d+)</td>', table[1])
    assert [(d, int(n), int(c)) for d, n, c in rows] == expected
    # Accessible: a title and a description, referenced; no style attribute, no script.
    assert 'aria-labelledby="chart-title chart-desc"' in svg[0]
    assert '<title id="chart-title">' in svg[0] and '<desc id="chart-desc">' in svg[0]
    assert "style=" not in svg[0] and "<script" not in svg[0]
    # The highest point is drawn higher than the lowest (y grows downwards).
    ys = [
        float(y) for y in re.findall(r'<circle class="point" cx="[0-9.]+" cy="([0-9.]+)"', svg[0])
    ]
    assert ys == sorted(ys, reverse=True) and ys[0] > ys[-1]


def test_an_empty_chart_says_so(client: TestClient) -> None:
    html = client.get("/treaty").text
    assert '<circle class="point"' not in html
    assert "No instrument deposited yet; 40 needed." in html


def test_a_bad_date_is_an_error_page_saying_what_to_write(client: TestClient) -> None:
    response = client.get("/treaty?on=2026-13-01")
    assert response.status_code == 400
    assert "write YYYY-MM-DD" in response.text and 'role="alert"' in response.text


def test_a_participant_page_shows_its_actions_reservations_and_authorities(
    client: TestClient, node: Node
) -> None:
    page = client.get("/treaty/participants/aze")
    assert page.status_code == 200
    report = service.participant(node, "AZE").status
    assert "<h1>Azerbaijan" in page.text
    figures = _figures(page.text)
    assert figures["standing"] == "signed"
    assert figures["signature"] == "Oct 25, 2025"
    actions = re.search(r'data-testid="actions">(.*?)</table>', page.text, re.S)
    assert actions is not None
    assert actions[1].count('<th scope="row">') == len(report.actions)
    # The domestic approval is said as such, and its basis as the data gives it.
    assert "approval in its own law (not a deposit)" in actions[1]
    assert "reported by the press" in actions[1]
    sections = re.split(r"<h2>", page.text)
    reservations = next(s for s in sections if s.startswith("Reservations"))
    authorities = next(s for s in sections if s.startswith("Designated authorities"))
    assert reservations.count('<th scope="row">') == sum(
        1 for d in report.declarations if d.lodged_form.value == "reservation"
    )
    assert authorities.count('<th scope="row">') == 3  # central, 24/7, extradition
    assert "Art. 9(2)" in reservations


def test_an_unknown_participant_is_a_404_page_with_suggestions(client: TestClient) -> None:
    response = client.get("/treaty/participants/VNX")
    assert response.status_code == 404
    assert "unknown State code" in response.text and "VNM (Viet Nam)" in response.text


def _answer(client: TestClient, query: str) -> tuple[int, str]:
    response = client.get(f"/treaty/applies?{query}")
    return response.status_code, response.text


def test_the_applies_form_is_a_get_form_with_labelled_fields(client: TestClient) -> None:
    status, html = _answer(client, "")
    assert status == 200
    assert '<form method="get" action="/treaty/applies"' in html
    assert "csrf_token" not in html.split('action="/treaty/applies"')[1].split("</form>")[0]
    for field in ("a", "b", "on"):
        assert f'<label for="{field}">' in html and f'id="{field}"' in html
    assert 'data-testid="answer"' not in html


def test_the_convention_does_not_apply_before_it_is_in_force(
    client: TestClient, node: Node
) -> None:
    status, html = _answer(client, "a=VNM&b=AUT")
    assert status == 200
    assert 'data-applies="no"' in html
    report = service.applies(node, "VNM", "AUT")
    reasons = re.findall(r'data-reason="([a-z-]+)"', html)
    assert reasons == [r.reason.value for r in report.answer.reasons]
    assert "convention-not-in-force" in reasons
    assert 'data-testid="other-basis"' in html and "another legal basis" in html


def test_the_convention_applies_between_two_parties_once_in_force(
    client: TestClient, node: Node, deposited: list[tuple[str, date]]
) -> None:
    a, b = deposited[0][0], deposited[1][0]
    status, html = _answer(client, f"a={a}&b={b}&on=2027-02-01")
    assert status == 200
    assert 'data-applies="yes"' in html
    report = service.applies(node, a, b, date(2027, 2, 1))
    assert report.applies
    assert re.findall(r'data-reason="([a-z-]+)"', html) == ["in-force", "in-force"]
    assert 'data-testid="other-basis"' not in html
    for reason in report.answer.reasons:
        assert reason.message in html
    # One of them and a State that has not deposited: no, with the reason for that State.
    status, html = _answer(client, f"a={a}&b=USA&on=2027-02-01")
    assert 'data-applies="no"' in html and 'data-reason="not-signed"' in html


@pytest.mark.parametrize(
    ("query", "status", "says"),
    [
        ("a=VNM&b=XYZ", 404, "unknown State code"),
        ("a=VNM&b=", 400, "Give both States"),
        ("a=VNM&b=AUT&on=23/11/2026", 400, "write YYYY-MM-DD"),
    ],
)
def test_the_applies_form_says_what_to_fix(
    client: TestClient, query: str, status: int, says: str
) -> None:
    got, html = _answer(client, query)
    assert got == status
    assert says in html and 'role="alert"' in html
    assert 'value="VNM"' in html  # the form keeps what was typed


def test_french_pages_are_translated(client: TestClient) -> None:
    html = client.get("/treaty", headers={"Accept-Language": "fr"}).text
    assert '<html lang="fr"' in html
    assert "Signataires" in html


def test_treaty_pages_carry_no_inline_script_or_style(client: TestClient) -> None:
    for path in ("/treaty", "/treaty/participants/AZE", "/treaty/applies?a=VNM&b=AUT"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["cache-control"] == "no-store"
        assert_nothing_inline(page.text, path)
