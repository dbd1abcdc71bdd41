"""The UN Treaty Collection's status XML: the sample, tolerance of extra elements, loud failures.

``data/untc-sample-xviii-16.xml`` is ``shared/data/untc-sample-xviii-16.xml``: a sample built in
the depositary's layout from the verified rows (not a copy of the official file).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import pytest

from hanoix.convention.notifications import NotificationForm, NotificationKind
from hanoix.errors import FileFormatError, UnknownStateError
from hanoix.treaty.actions import ActionKind, Declaration, SourceBasis
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


# --- what the tests above left open (mutation run of un_xml.py, issue 20) --------------------

LABEL = "UN Treaty Collection XVIII-16 status (XML)"
BRACKETS = "; date in brackets in the table (a special case: see the depositary's notes)"
GHANA = row("Ghana", "25 Oct 2025", "3 Mar 2027")


def refusal(document: bytes, source_name: str | None = None) -> str:
    with pytest.raises(FileFormatError) as caught:
        if source_name is None:
            parse_un_xml_document(document)
        else:
            parse_un_xml_document(document, source_name=source_name)
    return caught.value.message


def test_each_action_names_its_source_and_its_row() -> None:
    actions = parse_un_xml(
        table(GHANA + row("Austria", "[26 Oct 2025]", "[2 Feb 2027 AA]")), source_name="s.xml"
    )
    assert [(a.participant, a.kind, a.source, a.origin) for a in actions] == [
        ("GHA", ActionKind.SIGNATURE, LABEL, "s.xml row 1 (Ghana)"),
        ("GHA", ActionKind.RATIFICATION, LABEL, "s.xml row 1 (Ghana)"),
        ("AUT", ActionKind.SIGNATURE, LABEL + BRACKETS, "s.xml row 2 (Austria)"),
        ("AUT", ActionKind.APPROVAL, LABEL + BRACKETS, "s.xml row 2 (Austria)"),
    ]


def test_a_row_of_a_name_and_a_signature_only_is_read() -> None:
    actions = parse_un_xml(table(row("Ghana", "25 Oct 2025")))
    assert [(a.participant, a.kind, a.date) for a in actions] == [
        ("GHA", ActionKind.SIGNATURE, date(2025, 10, 25))
    ]


@pytest.mark.parametrize(
    ("bad_row", "message"),
    [
        (
            "<Row/>",
            "s.xml row 2: 0 Entry element(s); a row has the participant, the signature and the "
            "instrument",
        ),
        (row("", "25 Oct 2025", ""), "s.xml row 2: the participant's name is empty"),
        (
            row("Ghana", "25 Oct 2025", "[3 Mar 2027 A] a"),
            "s.xml row 2 (Ghana): two type marks in '[3 Mar 2027 A] a'",
        ),
    ],
)
def test_a_bad_row_is_refused_in_exact_words(bad_row: str, message: str) -> None:
    assert refusal(table(row("Austria", "25 Oct 2025") + bad_row), source_name="s.xml") == message


@pytest.mark.parametrize("tag", ["superscript", "sup", "SUP", "Superscript"])
def test_a_footnote_mark_on_a_date_is_not_part_of_the_date(tag: str) -> None:
    cell = f"25 Oct 2025<{tag}>4</{tag}>"
    actions = parse_un_xml(table(row("Ghana", cell, f"3 Mar 2027<{tag}>5</{tag}> a")))
    assert [(a.kind, a.date) for a in actions] == [
        (ActionKind.SIGNATURE, date(2025, 10, 25)),
        (ActionKind.ACCESSION, date(2027, 3, 3)),
    ]


def test_an_entry_may_nest_elements_16_deep_and_not_17() -> None:
    def nested(levels: int) -> str:
        return "<b>" * levels + "Ghana" + "</b>" * levels

    actions = parse_un_xml(table(row(nested(16), "25 Oct 2025")))
    assert [a.participant for a in actions] == ["GHA"]
    assert refusal(table(row(nested(17), "25 Oct 2025")), source_name="s.xml") == (
        "s.xml row 1: the entry nests elements more than 16 deep"
    )


def test_a_file_given_no_name_is_called_xml() -> None:
    with pytest.raises(FileFormatError) as caught:
        parse_un_xml(b"<Treaty><Participants/></Treaty>")
    assert caught.value.message == (
        "XML: no participant rows at Treaty/Participants/Table/TGroup/Tbody/Rows/Row"
    )
    assert refusal(b"<Status/>").startswith("XML: the root element is <Status>, not <Treaty>")


def test_entities_without_a_doctype_are_refused_too() -> None:
    message = refusal(b'<?xml version="1.0"?><!ENTITY a "aaaa"><Treaty/>', source_name="x.xml")
    assert message == (
        "the XML file declares a DOCTYPE or entities, which the depositary's status file never "
        "does; refusing it (entity expansion is a known attack)"
    )


UNREADABLE = (
    "which cannot be read; the depositary's file is ISO-8859-1 (save it as ISO-8859-1 or UTF-8)"
)


@pytest.mark.parametrize(
    ("document", "shown"),
    [
        # Only the first 200 bytes are searched for the declaration.
        (b'<?xml version="1.0"' + b" " * 300 + b'encoding="shift_jis"?><Treaty/>', "?"),
        (b'<?xml version="1.0"' + b" " * 171 + b'encoding="shift_jis"?><Treaty/>', ""),
    ],
)
def test_an_unreadable_encoding_is_named_as_declared(document: bytes, shown: str) -> None:
    assert refusal(document, source_name="x.xml") == (
        f"x.xml declares the encoding {shown!r}, {UNREADABLE}"
    )


# The declarations sections: Ghana signed and ratified (GHANA above).


def declarations(
    section: str, rows: str = GHANA, names: Mapping[str, str] | None = None
) -> list[Declaration]:
    document = with_declarations(section, rows)
    return parse_un_xml_document(document, source_name="s", names=names)[1]


def test_statements_are_numbered_per_participant_and_name_their_source() -> None:
    statements = declarations(
        "<Declarations><Name>Ghana</Name><Text>Reservations made upon signature:</Text>"
        "<Text>Under Article 7(2): only with intent.</Text>"
        "<Text>Under Article 9(2): serious harm.</Text>"
        "<Name>Austria</Name><Text>Reservations made upon signature:</Text>"
        "<Text>Under Article 63(3): disputes.</Text></Declarations>",
        GHANA + row("Austria", "26 Oct 2025"),
    )
    assert [(d.participant, d.date, d.origin) for d in statements] == [
        ("GHA", date(2025, 10, 25), "s, declarations of GHA, paragraph 1"),
        ("GHA", date(2025, 10, 25), "s, declarations of GHA, paragraph 2"),
        ("AUT", date(2025, 10, 26), "s, declarations of AUT, paragraph 1"),
    ]
    assert {d.source for d in statements} == {f"{LABEL}, declarations and reservations"}


def test_a_statement_upon_ratification_takes_the_date_of_the_instrument() -> None:
    statements = declarations(
        "<Declarations><Name>Ghana</Name><Text>Declarations made upon ratification:</Text>"
        "<Text>Under Article 9(2): serious harm</Text></Declarations>"
    )
    assert [(d.date, d.form, d.kind) for d in statements] == [
        (date(2027, 3, 3), NotificationForm.DECLARATION, NotificationKind.OPTIONAL_ELEMENT)
    ]


@pytest.mark.parametrize(
    ("text", "form"),
    [
        (
            "Declaration: Ghana makes a reservation under Article 63(3) by this declaration.",
            "declaration",
        ),
        ("Reservation under Article 63(3), and a declaration on it.", "reservation"),
        ("Notification under Article 63(3), not a declaration.", "notification"),
    ],
)
def test_a_statement_takes_the_first_form_it_names(text: str, form: str) -> None:
    statements = declarations(
        f"<Declarations><Name>Ghana</Name><Text>Declarations made upon signature:</Text>"
        f"<Text>{text}</Text></Declarations>"
    )
    assert [(d.form, d.kind) for d in statements] == [
        (NotificationForm(form), NotificationKind.RESERVATION_DISPUTE_SETTLEMENT)
    ]


def test_footnote_marks_names_known_by_the_map_and_texts_that_are_no_names() -> None:
    statements = declarations(
        "<Declarations><Title>Declarations and Reservations</Title>"
        "<Name>Lao PDR<sup>2</sup>:</Name>"
        "<Text>(see the note on Lao PDR)</Text>"
        "<Text>Reservations made upon signature:</Text>"
        "<Text>In accord&#8230;</Text>"
        "<Text>Under Article 7(2)<sup>3</sup>: only with intent</Text></Declarations>",
        row("Lao PDR", "25 Oct 2025"),
        names=name_map({"Lao PDR": "LAO"}),
    )
    assert [(d.participant, str(d.article), d.text) for d in statements] == [
        ("LAO", "Art. 7(2)", "Under Article 7(2): only with intent")
    ]


def test_a_section_inside_a_section_is_read_once() -> None:
    statements = declarations(
        "<Declarations><Reservations><Name>Ghana</Name>"
        "<Text>Reservations made upon signature:</Text>"
        "<Text>Under Article 63(3): disputes.</Text></Reservations></Declarations>"
    )
    assert len(statements) == 1


@pytest.mark.parametrize(("length", "refused"), [(80, True), (81, False)])
def test_a_short_text_that_is_no_known_name_stops_the_import_and_a_longer_one_is_prose(
    length: int, refused: bool
) -> None:
    text = ("Explanatory text " * 6)[: length - 1] + "x"
    assert len(text) == length
    section = f"<Declarations><Name>Ghana</Name><Text>{text}</Text></Declarations>"
    if refused:
        assert refusal(with_declarations(section, GHANA), source_name="s").startswith(
            f"s, declarations after GHA: unknown participant name '{text}'"
        )
    else:
        assert declarations(section) == []


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "<Declarations><Text>Under Article 7(2): only with intent</Text></Declarations>",
            "s, declarations of ?, paragraph 1: a statement citing 'Article 7(2)' comes before "
            "any participant's name",
        ),
        (
            "<Declarations><Name>Ruritania:</Name></Declarations>",
            "s, declarations after the start: unknown participant name 'Ruritania': use an ISO "
            "3166-1 alpha-3 code (e.g. VNM) or EUU for the European Union; did you mean MRT "
            "(Mauritania), LTU (Lithuania), ROU (Romania)?; if it is a participant, say which "
            "with --map 'Ruritania=ISO3'",
        ),
        (
            "<Declarations><Name>Ghana</Name><Text>Under Article 9(2): harm</Text></Declarations>",
            "s, declarations of GHA, paragraph 1: the statement was made on no stated occasion, "
            "and the table gives GHA no such date",
        ),
        (
            "<Declarations><Name>Ghana</Name><Text>Under Article 0(2): harm</Text></Declarations>",
            "s, declarations of GHA, paragraph 1: 'Article 0(2)' is not an article (article "
            "numbers start at 1, got 0)",
        ),
        (
            "<Declarations><Name>Ghana</Name><Text>Under Article 11(1)(a): devices</Text>"
            "</Declarations>",
            "s, declarations of GHA, paragraph 1: what a statement under Art. 11(1)(a) does is "
            "not known here; import it from a CSV row naming its notification code",
        ),
        (
            "<Declarations><Name>Ghana</Name><Text>Under Article 11 (a): devices</Text>"
            "</Declarations>",
            "s, declarations of GHA, paragraph 1: what a statement under Art. 11 does is not "
            "known here; import it from a CSV row naming its notification code",
        ),
    ],
)
def test_a_statement_that_cannot_be_told_is_refused_in_exact_words(
    section: str, message: str
) -> None:
    assert refusal(with_declarations(section, GHANA), source_name="s") == message
