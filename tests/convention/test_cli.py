from __future__ import annotations

from typing import Any

import pytest


def test_articles_json_lists_all_68(cli: Any) -> None:
    result = cli("convention", "articles", "--json")
    assert result.exit_code == 0, result.stderr
    rows = result.json()
    assert [row["number"] for row in rows] == list(range(1, 69))
    assert rows[64] == {
        "number": 65,
        "title": "Entry into force",
        "chapter": 9,
        "basis": "verified",
        # The depositary quotes Art. 65(1) but gives no title (issue 12, item 1).
        "title_basis": "recalled",
    }


def test_articles_of_one_chapter(cli: Any) -> None:
    result = cli("convention", "articles", "--chapter", "2", "--json")
    assert result.exit_code == 0
    assert [row["number"] for row in result.json()] == list(range(7, 22))


def test_articles_human_output_goes_to_stderr(cli: Any) -> None:
    result = cli("convention", "articles", "--chapter", "3")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "Jurisdiction" in result.stderr


def test_unknown_chapter_is_exit_2_with_the_valid_range(cli: Any) -> None:
    result = cli("convention", "articles", "--chapter", "12")
    assert result.exit_code == 2
    assert "the Convention has chapters 1 to 9; got 12" in result.stderr
    assert "Traceback" not in result.stderr


def test_article_json_shows_the_rules_citing_it(cli: Any) -> None:
    result = cli("convention", "article", "42", "--json")
    assert result.exit_code == 0, result.stderr
    body = result.json()
    assert body["number"] == 42
    assert body["chapter"] == 5
    assert body["chapter_title"] == "International cooperation"
    assert body["basis"] == "recalled"
    period = next(r for r in body["rules"] if r["article"] == "Art. 42(8)")
    assert period == {
        "article": "Art. 42(8)",
        "basis": "recalled",
        "reference_basis": "recalled",
        "source": "kind preservation: period preservation-minimum",
        "text": period["text"],
    }
    assert "at least 60 days" in period["text"]


def test_article_accepts_a_paragraph_reference(cli: Any) -> None:
    result = cli("convention", "article", "Art. 40(15)(c)", "--json")
    assert result.exit_code == 0
    rules = result.json()["rules"]
    assert rules
    assert {r["article"] for r in rules} == {"Art. 40(15)(c)"}


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("70", "the Convention has articles 1 to 68; got 70"),
        ("forty", "not an article reference: 'forty'"),
    ],
)
def test_bad_article_is_exit_2_with_one_line(cli: Any, given: str, message: str) -> None:
    result = cli("convention", "article", given)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_article_with_json_prints_the_error_document(cli: Any) -> None:
    result = cli("convention", "article", "70", "--json")
    assert result.exit_code == 2
    assert result.json()["error"] == "not-found"


def test_kinds_json_gives_every_kind_in_full(cli: Any) -> None:
    result = cli("convention", "kinds", "--json")
    assert result.exit_code == 0
    kinds = result.json()
    assert len(kinds) == 13
    assert kinds[0]["code"] == "mla"
    summary = next(c for c in kinds[0]["contents"] if c["name"] == "summary_of_facts")
    assert summary["article"] == "Art. 40(15)(c)"
    assert summary["basis"] == "recalled"
    assert summary["requirement"] == "conditional"
    assert summary["condition"]["predicate"] == "not-only-service-of-documents"
    assert {"refusal_grounds", "excluded_grounds", "periods", "dual_criminality"} <= set(kinds[0])


def test_kinds_human_output_shows_contents_and_basis(cli: Any) -> None:
    result = cli("convention", "kinds")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "summary_of_facts" in result.stderr
    assert "Art. 42(3)(f)" in result.stderr
    assert "inferred" in result.stderr


def test_kind_json(cli: Any) -> None:
    result = cli("convention", "kind", "preservation", "--json")
    assert result.exit_code == 0
    body = result.json()
    assert body["code"] == "preservation"
    assert body["dual_criminality"] == {
        "rule": "not-required",
        "article": "Art. 42(4)",
        "basis": "recalled",
        "note": body["dual_criminality"]["note"],
    }
    assert body["periods"][0]["amount"] == 60
    assert body["periods"][0]["unit"] == "days"
    assert body["periods"][0]["bound"] == "minimum"


def test_unknown_kind_suggests_the_closest(cli: Any) -> None:
    result = cli("convention", "kind", "prservation")
    assert result.exit_code == 2
    assert "did you mean 'preservation'?" in result.stderr
    assert "Traceback" not in result.stderr


def test_notifications_json(cli: Any) -> None:
    result = cli("convention", "notifications", "--json")
    assert result.exit_code == 0
    rows = result.json()
    assert len(rows) == 17
    assert rows[0]["code"] == "central-authority"
    assert rows[0]["article"] == "Art. 40(13)"
    assert rows[0]["timing"] == "at-deposit"


def test_notifications_human(cli: Any) -> None:
    result = cli("convention", "notifications")
    assert result.exit_code == 0
    assert "reservation-misuse-of-devices" in result.stderr


def test_an_article_read_by_a_person_names_its_bases_and_each_rule_citing_it(cli: Any) -> None:
    body = cli("convention", "article", "42", "--json").json()
    result = cli("convention", "article", "42")
    assert result.exit_code == 0 and result.stdout == ""
    first = result.stderr.splitlines()[0]
    assert first == (
        f"Art. 42 {body['title']} (Chapter {body['chapter_roman']}, {body['chapter_title']}); "
        f"number {body['basis']}, title {body['title_basis']}"
    )
    assert "Rules citing Art. 42" in result.stderr
    for rule in body["rules"]:
        assert rule["article"] in result.stderr


def test_an_article_no_rule_cites_says_so(cli: Any) -> None:
    result = cli("convention", "article", "1")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == "no rule in the data cites Art. 1"
