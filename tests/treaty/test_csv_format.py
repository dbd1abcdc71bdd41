"""The treaty-data CSV: the shipped file, strict rows, errors that name the line, round trips."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from hanoix.convention.notifications import NotificationForm, NotificationKind
from hanoix.convention.refs import Art
from hanoix.errors import FileFormatError
from hanoix.treaty.actions import ActionKind, SourceBasis
from hanoix.treaty.csv_format import format_csv, parse_csv
from hanoix.treaty.shipped import shipped_csv, shipped_data
from hanoix.treaty.status import TreatyStatus, validate

HEADER = "participant,action,date\n"


def test_the_shipped_file_reads_as_47_signatures() -> None:
    actions, declarations = parse_csv(shipped_csv(), source_name="treaty-status.csv")
    assert len(actions) == 47
    assert declarations == []
    assert {a.kind for a in actions} == {ActionKind.SIGNATURE}
    assert sum(a.basis is SourceBasis.VERIFIED for a in actions) == 31
    assert sum(a.basis is SourceBasis.REPORTED for a in actions) == 16
    assert len({a.participant for a in actions}) == 47
    assert "EUU" in {a.participant for a in actions}
    assert all(a.date == date(2025, 10, 25) for a in actions)
    validate(actions)


def test_the_shipped_data_states_its_date_and_gaps() -> None:
    data = shipped_data()
    assert data.info.as_of == date(2026, 11, 23)
    assert data.info.gaps is not None
    assert "47 of the 72" in data.info.gaps
    summary = TreatyStatus(data.actions).summary(date(2026, 11, 23))
    assert (summary.signatories, summary.parties, summary.instruments_counted) == (47, 0, 0)


def test_rows_become_actions_and_declarations() -> None:
    text = (
        "participant,action,date,basis,source,text\n"
        "VNM,signature,2025-10-25,verified,UNTC,\n"
        "VNM,ratification,2026-03-01,,,\n"
        'VNM,languages,2026-03-01,,,"Vietnamese, English"\n'
        "\n"
    )
    actions, declarations = parse_csv(text)
    assert [(a.participant, a.kind, a.date) for a in actions] == [
        ("VNM", ActionKind.SIGNATURE, date(2025, 10, 25)),
        ("VNM", ActionKind.RATIFICATION, date(2026, 3, 1)),
    ]
    assert actions[0].basis is SourceBasis.VERIFIED
    assert actions[1].basis is None
    assert declarations[0].kind is NotificationKind.LANGUAGES
    assert declarations[0].text == "Vietnamese, English"


def test_denunciation_is_a_treaty_action_not_a_declaration() -> None:
    actions, declarations = parse_csv(HEADER + "VNM,denunciation,2030-01-01\n")
    assert actions[0].kind is ActionKind.DENUNCIATION
    assert declarations == []


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("VNN,signature,2025-10-25", "VNM (Viet Nam)"),
        ("vnm,signature,2025-10-25", "upper case"),
        ("VNM,ratifiction,2026-01-01", "did you mean 'ratification'"),
        ("VNM,Ratification,2026-01-01", "did you mean 'ratification'"),
        ("VNM,signature,25/10/2025", "25/10/2025 is not a date; write YYYY-MM-DD"),
        ("VNM,signature,2025-13-01", "2025-13-01 is not a date"),
        ("VNM,signature,20251025", "is not a date"),
        ("VNM,signature", "2 fields where the header has 3"),
    ],
)
def test_a_bad_row_is_refused_naming_its_line(row: str, expected: str) -> None:
    text = HEADER + "AUT,signature,2025-10-25\n" + row + "\n"
    with pytest.raises(FileFormatError) as caught:
        parse_csv(text, source_name="f.csv")
    assert "f.csv line 3" in caught.value.message
    assert expected in caught.value.message
    assert caught.value.exit_code == 2


def test_line_numbers_count_physical_lines() -> None:
    text = (
        'participant,action,date,basis,source\nAUT,signature,2025-10-25,,"two\nlines"\nXXX,x,y,,\n'
    )
    with pytest.raises(FileFormatError, match="line 4"):
        parse_csv(text, source_name="f.csv")


def test_an_unknown_basis_is_refused() -> None:
    with pytest.raises(FileFormatError, match="basis 'rumoured'"):
        parse_csv("participant,action,date,basis\nAUT,signature,2025-10-25,rumoured\n")


def test_a_text_on_a_treaty_action_is_refused() -> None:
    with pytest.raises(FileFormatError, match="only a declaration has a text"):
        parse_csv("participant,action,date,text\nAUT,signature,2025-10-25,hello\n")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "is empty"),
        ("code,action,date\n", "the header must start with participant,action,date"),
        ("participant,action,date,colour\n", "unknown column 'colour'"),
        ("participant,action,date,basis,basis\n", "named twice"),
    ],
)
def test_a_bad_header_is_refused(text: str, expected: str) -> None:
    with pytest.raises(FileFormatError, match=expected) as caught:
        parse_csv(text, source_name="f.csv")
    assert "f.csv" in caught.value.message


def test_a_byte_order_mark_is_ignored() -> None:
    actions, _ = parse_csv("\ufeff" + HEADER + "AUT,signature,2025-10-25\n")
    assert actions[0].participant == "AUT"


def test_format_then_parse_gives_back_the_same_data() -> None:
    text = (
        "participant,action,date,basis,source,text\n"
        "VNM,signature,2025-10-25,verified,UNTC,\n"
        'VNM,ratification,2026-03-01,reported,"press, 2026",\n'
        "VNM,central-authority,2026-03-01,,,Ministry of Public Security\n"
    )
    actions, declarations = parse_csv(text)
    again = parse_csv(format_csv(actions, declarations))
    assert again == (actions, declarations)


def test_formatting_the_shipped_actions_keeps_the_shipped_columns() -> None:
    actions, _ = parse_csv(shipped_csv())
    written = format_csv(actions)
    assert written.splitlines()[0] == "participant,action,date,basis,source"
    rows = sorted(csv.reader(io.StringIO(written)))
    assert rows == sorted(csv.reader(io.StringIO(shipped_csv())))


# --- statements as lodged (issue 12, item 6) ------------------------------------------------

LODGED = (
    "participant,action,date,basis,source,text,article\n"
    "AZE,signature,2025-10-25,verified,UNTC,,\n"
    "AZE,reservation,2025-10-25,verified,Dutch treaty database 013891,serious harm,Art. 9(2)\n"
    "AZE,reservation,2025-10-25,verified,Dutch treaty database 013891,,Art. 63(3)\n"
    "AZE,extradition-authority,2026-02-23,reported,Trend,Ministry of Justice,\n"
    "AZE,domestic-approval,2026-02-23,reported,Trend 4156490,,\n"
)


def test_a_statement_is_kept_as_lodged_and_read_by_the_paragraph_it_invokes() -> None:
    actions, declarations = parse_csv(LODGED)
    harm, disputes, extradition = declarations
    assert (harm.kind, harm.lodged_form, harm.article) == (
        NotificationKind.OPTIONAL_ELEMENT,
        NotificationForm.RESERVATION,
        Art(9, 2),
    )
    assert harm.text == "serious harm"
    assert harm.describe() == "reservation under Art. 9(2) of 2025-10-25"
    assert disputes.kind is NotificationKind.RESERVATION_DISPUTE_SETTLEMENT
    # Named by its code: the form and article are the notification's own.
    assert extradition.kind is NotificationKind.EXTRADITION_AUTHORITY
    assert (extradition.lodged_form, extradition.article) == (
        NotificationForm.NOTIFICATION,
        Art(37),
    )
    assert harm.as_dict()["form"] == "reservation" and harm.as_dict()["article"] == "Art. 9(2)"
    # A domestic approval is an action of the State's own law, not an instrument.
    domestic = actions[-1]
    assert domestic.kind is ActionKind.DOMESTIC_APPROVAL
    assert domestic.kind.is_domestic and not domestic.kind.is_instrument


def test_statements_as_lodged_survive_a_round_trip() -> None:
    actions, declarations = parse_csv(LODGED)
    again_actions, again_declarations = parse_csv(format_csv(actions, declarations))
    assert again_actions == actions
    # Written by date then participant then action; the statements themselves are unchanged.
    assert sorted(again_declarations, key=lambda d: d.key) == sorted(
        declarations, key=lambda d: d.key
    )
    assert "AZE,reservation,2025-10-25" in format_csv(actions, declarations)


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("AZE,reservation,2025-10-25,,,text,", "names the article and paragraph it invokes"),
        ("AZE,reservation,2025-10-25,,,text,Art. 10(2)", "under Art. 10(2) does is not known"),
        ("AZE,declaration,2025-10-25,,,text,Art. 37", "write its code in 'action'"),
        ("AZE,reservation,2025-10-25,,,text,nine", "is not a reference"),
        ("AZE,signature,2025-10-25,,,,Art. 64", "only a declaration has a text or an article"),
    ],
)
def test_a_statement_that_cannot_be_read_is_refused_naming_its_line(
    row: str, expected: str
) -> None:
    header = "participant,action,date,basis,source,text,article\n"
    with pytest.raises(FileFormatError, match=re.escape(expected)) as caught:
        parse_csv(header + row + "\n", source_name="s.csv")
    assert "s.csv line 2" in caught.value.message
