"""The treaty-data CSV: the shipped file, strict rows, errors that name the line, round trips."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import date

import pytest

from hanoix.convention.notifications import NotificationForm, NotificationKind
from hanoix.convention.refs import Art
from hanoix.errors import FileFormatError
from hanoix.treaty.actions import ActionKind, Declaration, SourceBasis, TreatyAction
from hanoix.treaty.csv_format import format_csv, parse_csv
from hanoix.treaty.shipped import shipped_csv, shipped_data
from hanoix.treaty.status import TreatyStatus, validate

HEADER = "participant,action,date\n"


def test_the_shipped_file_holds_69_dated_signatures_and_azerbaijans_statements() -> None:
    actions, declarations = parse_csv(shipped_csv(), source_name="treaty-status.csv")
    signatures = [a for a in actions if a.kind is ActionKind.SIGNATURE]
    assert len(signatures) == len({a.participant for a in signatures}) == 69
    assert sum(a.basis is SourceBasis.VERIFIED for a in signatures) == 65
    assert {a.participant for a in signatures if a.basis is SourceBasis.REPORTED} == {
        "URY", "VEN", "VNM", "ZWE"
    }  # fmt: skip
    assert "EUU" in {a.participant for a in signatures}
    assert {a.date for a in signatures if a.participant in {"MLI", "RWA", "SAU"}} == {
        date(2025, 10, 26)
    }
    # No instrument deposited as far as known; Azerbaijan's approval law is a domestic act.
    others = [a for a in actions if a.kind is not ActionKind.SIGNATURE]
    assert [(a.participant, a.kind, a.basis) for a in others] == [
        ("AZE", ActionKind.DOMESTIC_APPROVAL, SourceBasis.REPORTED)
    ]
    assert not any(a.kind.is_instrument for a in actions)
    # Azerbaijan's reservations at signature, as lodged, each with its paragraph.
    reservations = [d for d in declarations if d.lodged_form is NotificationForm.RESERVATION]
    assert [(str(d.article), d.kind) for d in reservations] == [
        ("Art. 7(2)", NotificationKind.OPTIONAL_ELEMENT),
        ("Art. 9(2)", NotificationKind.OPTIONAL_ELEMENT),
        ("Art. 11(3)", NotificationKind.RESERVATION_MISUSE_OF_DEVICES),
        ("Art. 63(3)", NotificationKind.RESERVATION_DISPUTE_SETTLEMENT),
    ]
    assert all(d.date == date(2025, 10, 25) and "013891" in (d.source or "") for d in reservations)
    # Every row names its source.
    assert all(a.source for a in actions) and all(d.source for d in declarations)
    validate(actions, declarations)


def test_the_shipped_data_says_exactly_what_it_knows_and_does_not() -> None:
    data = shipped_data()
    assert data.info.as_of == date(2026, 12, 3)
    assert data.info.gaps is not None
    assert data.info.gaps.startswith(
        "69 of about 77 signatories known; no instrument deposited as far as known; "
        "as of 2026-12-03"
    )
    # The old sidecar named early ratifiers, mixing domestic acts with deposits.
    assert "early ratifiers" not in data.info.gaps
    summary = TreatyStatus(data.actions, data.declarations).summary(date(2026, 12, 3))
    assert (summary.signatories, summary.parties, summary.instruments_counted) == (69, 0, 0)


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


def test_formatting_the_shipped_data_gives_back_the_shipped_file() -> None:
    actions, declarations = parse_csv(shipped_csv())
    written = format_csv(actions, declarations)
    assert written.splitlines()[0] == "participant,action,date,basis,source,text,article"
    rows = sorted(csv.reader(io.StringIO(written)))
    assert rows == sorted(csv.reader(io.StringIO(shipped_csv())))
    # Actions alone keep the columns of a file of actions.
    assert format_csv(actions).splitlines()[0] == "participant,action,date,basis,source"


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


# --- what the tests above left open (mutation run of csv_format.py, issue 20) ----------------


def test_a_bad_date_is_refused_naming_the_line_and_the_column() -> None:
    with pytest.raises(FileFormatError) as caught:
        parse_csv(HEADER + "AUT,signature,25/10/2025\n", source_name="f.csv")
    assert caught.value.message == "f.csv line 2: date: 25/10/2025 is not a date; write YYYY-MM-DD"


def test_a_file_given_no_name_is_called_csv() -> None:
    with pytest.raises(FileFormatError) as caught:
        parse_csv(HEADER + "AUT,signature\n")
    assert caught.value.message == "CSV line 2: 2 fields where the header has 3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A quote closed in the middle of a field: refused, not read as best it can be.
        ('"participant"x,action,date\n', "f.csv line 1: ',' expected after '\"'"),
        (HEADER + 'AUT,"signature"x,2025-10-25\n', "f.csv line 2: ',' expected after '\"'"),
        # A quote never closed runs to the end of the file.
        (HEADER + "AUT,signature,2025-10-25\n" + '"VNM,signature,2025-10-25\n', None),
    ],
)
def test_a_broken_quote_is_refused_naming_its_line(text: str, message: str | None) -> None:
    with pytest.raises(FileFormatError) as caught:
        parse_csv(text, source_name="f.csv")
    assert caught.value.message == (message or "f.csv line 3: unexpected end of data")


def test_rows_are_identified_by_where_they_were_read() -> None:
    actions, declarations = parse_csv(LODGED, source_name="s.csv")
    assert [a.origin for a in actions] == ["s.csv line 2", "s.csv line 6"]
    assert [d.origin for d in declarations] == ["s.csv line 3", "s.csv line 4", "s.csv line 5"]


def test_a_file_without_a_source_column_has_no_sources() -> None:
    actions, _ = parse_csv(HEADER + "AUT,signature,2025-10-25\n")
    assert (actions[0].source, actions[0].basis) == (None, None)


def test_a_blank_line_in_the_middle_is_skipped_and_the_rows_after_it_are_read() -> None:
    actions, _ = parse_csv(HEADER + "AUT,signature,2025-10-25\n\n , , \nVNM,signature,2025-10-25\n")
    assert [a.participant for a in actions] == ["AUT", "VNM"]


def test_lines_may_end_in_cr_lf_or_cr_and_a_quoted_field_keeps_its_line_break() -> None:
    crlf = 'participant,action,date,source\r\nAUT,signature,2025-10-25,"two\r\nlines"\r\n'
    actions, _ = parse_csv(crlf)
    assert actions[0].source == "two\r\nlines"
    cr = "participant,action,date\rAUT,signature,2025-10-25\rVNM,signature,2025-10-25\r"
    assert [a.participant for a in parse_csv(cr)[0]] == ["AUT", "VNM"]


def test_a_statement_whose_paragraph_tells_nothing_lists_the_codes_to_write_instead() -> None:
    header = "participant,action,date,basis,source,text,article\n"
    with pytest.raises(FileFormatError) as caught:
        parse_csv(header + "AZE,reservation,2025-10-25,,,text,Art. 10(2)\n", source_name="s.csv")
    message = caught.value.message
    assert message.startswith(
        "s.csv line 2: what a reservation under Art. 10(2) does is not known here; write its "
        "code in 'action' instead ("
    )
    listed = message.removesuffix(")").rsplit("(", 1)[1].split(", ")
    assert listed == sorted(listed)
    assert {"central-authority", "extradition-authority", "languages", "optional-element"} <= set(
        listed
    )
    assert "signature" not in listed and "denunciation" not in listed


def test_actions_are_written_by_date_then_participant_with_lf_line_ends() -> None:
    actions = [
        TreatyAction(
            "VNM", ActionKind.SIGNATURE, date(2025, 10, 25), SourceBasis.REPORTED, "press"
        ),
        TreatyAction("AZE", ActionKind.DOMESTIC_APPROVAL, date(2026, 2, 23)),
        TreatyAction("AUT", ActionKind.SIGNATURE, date(2025, 10, 25), SourceBasis.VERIFIED),
    ]
    assert format_csv(actions) == (
        "participant,action,date,basis,source\n"
        "AUT,signature,2025-10-25,verified,\n"
        "VNM,signature,2025-10-25,reported,press\n"
        "AZE,domestic-approval,2026-02-23,,\n"
    )


def test_a_statement_is_written_by_its_form_only_when_its_paragraph_says_what_it_does() -> None:
    extradition = Declaration(
        "AZE", NotificationKind.EXTRADITION_AUTHORITY, date(2026, 2, 23), "Ministry of Justice"
    )
    # Art. 37 asks for two authorities: the paragraph alone cannot tell which, so the code.
    named = replace(extradition, art=Art(37))
    lodged_as_declaration = replace(named, form=NotificationForm.DECLARATION)
    # Art. 63(3) tells what it does, but a statement named by its code keeps its code.
    disputes = Declaration(
        "AZE", NotificationKind.RESERVATION_DISPUTE_SETTLEMENT, date(2025, 10, 25), art=Art(63, 3)
    )
    lodged = replace(disputes, form=NotificationForm.RESERVATION)
    written = [
        format_csv([], [d]).splitlines()[1]
        for d in (extradition, named, lodged_as_declaration, disputes, lodged)
    ]
    assert written == [
        "AZE,extradition-authority,2026-02-23,,,Ministry of Justice,",
        "AZE,extradition-authority,2026-02-23,,,Ministry of Justice,Art. 37",
        "AZE,extradition-authority,2026-02-23,,,Ministry of Justice,Art. 37",
        "AZE,reservation-dispute-settlement,2025-10-25,,,,Art. 63(3)",
        "AZE,reservation,2025-10-25,,,,Art. 63(3)",
    ]
