"""The UN Treaty Collection's status XML: the sample, tolerance of extra elements, loud failures.

``data/untc-sample-xviii-16.xml`` is ``shared/data/untc-sample-xviii-16.xml``: a sample built in
the depositary's layout from the verified rows (not a copy of the official file).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from hanoix.convention.notifications import NotificationForm, NotificationKind
from hanoix.errors import FileFormatError, UnknownStateError
from hanoix.treaty.actions import ActionKind, SourceBasis
from hanoix.treaty.csv_format import parse_csv
from hanoix.treaty.shipped import shipped_csv
from hanoix.treaty.status import validate
from hanoix.treaty.un_xml import name_map, parse_un_date, parse_un_xml, parse_un_xml_document

SAMPLE = Path(__file__).parent / "data" / "untc-sample-xviii-16.xml"


def table(rows: str, *, around: str = "") -> bytes:
    """A status document in the depositary's layout with ``rows`` (ISO-8859-1 encoded)."""
    return (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n<Treaty>'
        f"{around}<Participants><Table><TGroup><Tbody><Rows>{rows}</Rows></Tbody></TGroup>"
        "</Table></Participants></Treaty>"
    ).encode("iso-8859-1")


def row(*entries: str) -> str:
    return "<Row>" + "".join(f"<Entry>{entry}</Entry>" for entry in entries) + "</Row>"


def test_the_sample_reads_as_the_31_verified_signatures() -> None:
    actions = parse_un_xml(SAMPLE.read_bytes(), source_name=SAMPLE.name)
    assert len(actions) == 31
    assert {a.kind for a in actions} == {ActionKind.SIGNATURE}
    assert {a.date for a in actions} == {date(2025, 10, 25)}
    assert all(a.basis is SourceBasis.VERIFIED for a in actions)
    codes = [a.participant for a in actions]
    assert codes[0] == "DZA"
    assert {"CIV", "CZE", "PRK", "COD", "EUU", "IRN", "GNB", "BRN"} <= set(codes)
    validate(actions)


def test_the_sample_agrees_with_the_verified_rows_of_the_shipped_csv() -> None:
    shipped, _ = parse_csv(shipped_csv())
    verified = {(a.participant, a.kind, a.date) for a in shipped if a.basis is SourceBasis.VERIFIED}
    from_xml = {(a.participant, a.kind, a.date) for a in parse_un_xml(SAMPLE.read_bytes())}
    # The sample holds the 31 rows read on the UN page; the shipped file has 34 more from the
    # Dutch treaty database, which relays the depositary.
    assert from_xml <= verified
    assert len(from_xml) == 31 and len(verified) == 65
    untc = {(a.participant, a.kind, a.date) for a in shipped if "UNTC" in (a.source or "")}
    assert from_xml == untc


@pytest.mark.parametrize(
    ("cell", "kind"),
    [
        ("3 Mar 2027", ActionKind.RATIFICATION),
        ("3 Mar\t 2027 A", ActionKind.ACCEPTANCE),
        ("3 Mar 2027 AA", ActionKind.APPROVAL),
        ("3 Mar 2027 a", ActionKind.ACCESSION),
        ("3 Mar 2027 d", ActionKind.SUCCESSION),
    ],
)
def test_instrument_marks_give_the_kind(cell: str, kind: ActionKind) -> None:
    signature = "" if kind in {ActionKind.ACCESSION, ActionKind.SUCCESSION} else "25 Oct 2025"
    actions = parse_un_xml(table(row("Ghana", signature, cell)))
    assert actions[-1].kind is kind
    assert actions[-1].date == date(2027, 3, 3)
    assert actions[-1].participant == "GHA"


def test_extra_elements_footnotes_and_headings_are_tolerated() -> None:
    document = (
        '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
        '<Treaty lang="en"><Header><Title>UN Convention against Cybercrime</Title></Header>'
        "<Status><Signatories>72</Signatories></Status>"
        "<Participants><Table frame='all'><TGroup cols='3'><Colspec colname='c1'/>"
        "<Thead><Row><Entry>Participant</Entry><Entry>Signature</Entry></Row></Thead>"
        "<Tbody><Rows>"
        + row("Participant", "Signature", "Ratification")
        + "<Row rowsep='1'><Entry>Belgium<superscript>3</superscript></Entry>"
        "<Entry>25 Oct\t 2025</Entry><Entry><emphasis>2 Feb 2027</emphasis></Entry>"
        "<Note>ignored</Note></Row>"
        + row("Côte d&#x27;Ivoire", "25 Oct 2025", "")
        + row("Netherlands (Kingdom of the)4, 5", "26 Oct 2025", "", "")
        + "</Rows></Tbody></TGroup></Table></Participants>"
        "<Declarations><Text>Upon ratification: ...</Text></Declarations></Treaty>"
    ).encode("iso-8859-1")
    actions = parse_un_xml(document)
    assert [(a.participant, a.kind.value, a.date.isoformat()) for a in actions] == [
        ("BEL", "signature", "2025-10-25"),
        ("BEL", "ratification", "2027-02-02"),
        ("CIV", "signature", "2025-10-25"),
        ("NLD", "signature", "2025-10-26"),
    ]


def test_a_bracketed_date_is_read_and_its_special_case_noted() -> None:
    actions = parse_un_xml(table(row("Ghana", "[25 Oct 2025]", "")))
    assert actions[0].date == date(2025, 10, 25)
    assert actions[0].source is not None
    assert "brackets" in actions[0].source


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("25 Oct\t 2025", (date(2025, 10, 25), None, False)),
        ("1 September 2026 a", (date(2026, 9, 1), "a", False)),
        ("[2 Feb 2027 AA]", (date(2027, 2, 2), "AA", True)),
    ],
)
def test_un_dates(text: str, expected: tuple[date, str | None, bool]) -> None:
    assert parse_un_date(text) == expected


@pytest.mark.parametrize(
    ("bad_row", "expected"),
    [
        (row("Ghana", "25 Octobre 2025", ""), "unknown month"),
        (row("Ghana", "2025-10-25", ""), "is not a date like '25 Oct 2025'"),
        (row("Ghana", "31 Feb 2026", ""), "not a calendar date"),
        (row("Ghana", "25 Oct 2025", "3 Mar 2027 x"), "is not a date"),
        (row("Ghana", "25 Oct 2025 a", ""), "carries an instrument mark"),
        (row("Ghana", "[25 Oct 2025", ""), "unbalanced bracket"),
        (row("Narnia", "25 Oct 2025", ""), "unknown participant name 'Narnia'"),
        (row("Ghana", "", ""), "neither a signature nor an instrument"),
        (row("Ghana"), "1 Entry element"),
        (row("Ghana", "25 Oct 2025", "", "12 Dec 2027"), "unexpected extra column"),
        (row("", "25 Oct 2025", ""), "name is empty"),
    ],
)
def test_a_row_that_does_not_parse_is_refused_naming_it(bad_row: str, expected: str) -> None:
    document = table(row("Austria", "25 Oct 2025", "") + bad_row)
    with pytest.raises(FileFormatError) as caught:
        parse_un_xml(document, source_name="status.xml")
    assert "status.xml row 2" in caught.value.message
    assert expected in caught.value.message


def test_an_entry_nested_too_deeply_is_refused_naming_its_row() -> None:
    deep = "<b>" * 5000 + "</b>" * 5000
    with pytest.raises(FileFormatError, match=r"row 1: the entry nests elements more than 16 deep"):
        parse_un_xml(table(row(f"Austria{deep}", "25 Oct 2025", "")))


def test_the_row_names_its_participant() -> None:
    with pytest.raises(FileFormatError, match=r"row 1 \(Ghana\)"):
        parse_un_xml(table(row("Ghana", "tomorrow", "")))


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (b"<Treaty><Participants>", "not well-formed XML"),
        (b"<Status><Rows/></Status>", "root element is <Status>"),
        (b"<Treaty><Participants/></Treaty>", "no participant rows"),
        (
            b'<?xml version="1.0"?><!DOCTYPE Treaty [<!ENTITY a "aaaa">]><Treaty>&a;</Treaty>',
            "DOCTYPE",
        ),
        ("<!doctype Treaty><Treaty/>".encode("utf-16"), "DOCTYPE"),
        # Found by fuzzing (tests/fuzz/corpus/un_xml/): Python's XML parser raises LookupError
        # for an encoding it does not know and ValueError for a multi-byte one.
        (b'<?xml version="1.0" encoding="ISO-4429-1"?><Treaty/>', "encoding 'ISO-4429-1'"),
        (b'<?xml version="1.0" encoding="shift_jis"?><Treaty/>', "encoding 'shift_jis'"),
    ],
)
def test_documents_that_are_not_a_status_table_are_refused(document: bytes, expected: str) -> None:
    with pytest.raises(FileFormatError, match=expected):
        parse_un_xml(document, source_name="x.xml")


# --- the declarations sections and unknown names (issue 12) ---------------------------------

AZE_SECTION = (
    "<Declarations><Title>Declarations and Reservations</Title>"
    "<Text>(Unless otherwise indicated, the declarations and reservations were made upon "
    "ratification, acceptance, approval or accession.)</Text>"
    "<Participant><Name>Azerbaijan<superscript>2</superscript></Name>"
    "<Text>Reservations made upon signature:</Text>"
    "<Text>In accordance with Article 7(2) of the Convention, the Republic of Azerbaijan "
    "establishes criminal liability only where security measures are infringed.</Text>"
    "<Text>In accordance with article 9, paragraph 2, liability only where the conduct results "
    "in serious harm.</Text>"
    "<Text>Declaration: the Republic of Azerbaijan does not consider itself bound by "
    "Article 63(3)<superscript>4</superscript>.</Text>"
    "</Participant></Declarations>"
)


def with_declarations(section: str, rows: str | None = None) -> bytes:
    """The sample (or ``rows``) with a declarations section after the table."""
    if rows is not None:
        return table(rows).replace(b"</Treaty>", section.encode("iso-8859-1") + b"</Treaty>")
    return SAMPLE.read_bytes().replace(b"</Treaty>", section.encode("iso-8859-1") + b"</Treaty>")


def test_the_declarations_section_is_read_as_statements_as_lodged() -> None:
    actions, statements = parse_un_xml_document(with_declarations(AZE_SECTION), source_name="s")
    assert len(actions) == 31
    assert [(d.participant, d.lodged_form, str(d.article), d.kind) for d in statements] == [
        ("AZE", NotificationForm.RESERVATION, "Art. 7(2)", NotificationKind.OPTIONAL_ELEMENT),
        ("AZE", NotificationForm.RESERVATION, "Art. 9(2)", NotificationKind.OPTIONAL_ELEMENT),
        # The paragraph names its own form, which wins over the heading's.
        (
            "AZE",
            NotificationForm.DECLARATION,
            "Art. 63(3)",
            NotificationKind.RESERVATION_DISPUTE_SETTLEMENT,
        ),
    ]
    # Made upon signature: the date is Azerbaijan's signature in the table.
    assert {d.date for d in statements} == {date(2025, 10, 25)}
    assert all(d.basis is SourceBasis.VERIFIED for d in statements)
    assert "security measures" in statements[0].text
    validate(actions, statements)


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            "<Declarations><Text>Under Article 7(2): only with intent.</Text></Declarations>",
            "comes before any participant's name",
        ),
        (
            "<Declarations><Name>Azerbaijan</Name><Text>Reservations made upon signature:</Text>"
            "<Text>Reservation under Article 10(2).</Text></Declarations>",
            "under Art. 10(2) does is not known",
        ),
        (
            "<Declarations><Name>Azerbaijan</Name><Text>Declarations made upon ratification:"
            "</Text><Text>Under Article 9(2): serious harm.</Text></Declarations>",
            "made upon ratification, and the table gives AZE no such date",
        ),
        (
            "<Declarations><Name>Ruritania</Name><Text>Reservation under Article 7(2).</Text>"
            "</Declarations>",
            "unknown participant name 'Ruritania'",
        ),
    ],
)
def test_a_statement_that_cannot_be_told_stops_the_import_naming_it(
    section: str, expected: str
) -> None:
    with pytest.raises(FileFormatError) as caught:
        parse_un_xml_document(with_declarations(section), source_name="status.xml")
    assert caught.value.message.startswith("status.xml, declarations")
    assert expected in caught.value.message


def test_an_unknown_name_fails_naming_it_and_a_map_says_what_it_is() -> None:
    # Variants at once: a footnote mark, a tab in the date, a type mark.
    document = table(
        row("Austria", "25 Oct 2025", "")
        + row("Lao PDR<superscript>7</superscript>", "25 Oct\t 2025", "3 Mar 2027 AA")
    )
    with pytest.raises(FileFormatError) as caught:
        parse_un_xml(document, source_name="status.xml")
    assert "status.xml row 2" in caught.value.message
    assert "unknown participant name 'Lao PDR'" in caught.value.message
    assert "--map 'Lao PDR=ISO3'" in caught.value.message
    mapped = parse_un_xml(document, names=name_map({"lao pdr": "lao"}))
    assert [(a.participant, a.kind) for a in mapped[1:]] == [
        ("LAO", ActionKind.SIGNATURE),
        ("LAO", ActionKind.APPROVAL),
    ]


def test_a_map_to_an_unknown_code_is_refused() -> None:
    with pytest.raises(UnknownStateError, match="XXQ"):
        name_map({"Ruritania": "XXQ"})
