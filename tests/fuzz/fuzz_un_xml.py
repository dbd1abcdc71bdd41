"""Fuzz target: the UN depositary's status XML, as ``hanoix treaty import --format un-xml``
reads it: ``parse_un_xml`` (entities refused, rows read, dates, type marks, names), then
``validate`` of the actions read, as the import does before anything is stored.

Documented outcomes: :class:`FileFormatError` from the parser and :class:`InputError` (and its
:class:`ConflictError`) from the validation: every one an input error, exit 2, nothing stored.
"""

from __future__ import annotations

from pathlib import Path

from hanoix.errors import InputError
from hanoix.treaty.status import validate
from hanoix.treaty.un_xml import parse_un_xml_document
from tests.fuzz.harness import Parse, Target

SAMPLE = Path(__file__).resolve().parents[1] / "treaty" / "data" / "untc-sample-xviii-16.xml"

_INSTRUMENTS = b"""<?xml version="1.0" encoding="UTF-8"?>
<Treaty><Participants><Table><TGroup><Tbody><Rows>
<Row><Entry>Participant</Entry><Entry>Signature</Entry><Entry>Ratification</Entry></Row>
<Row><Entry>Austria<superscript>3</superscript></Entry><Entry>25 Oct 2025</Entry>
<Entry>2 Feb 2026</Entry></Row>
<Row><Entry>Viet Nam</Entry><Entry>25 Oct 2025</Entry><Entry>[3 Mar 2026 AA]</Entry></Row>
<Row><Entry>Tonga</Entry><Entry></Entry><Entry>4 April 2026 a</Entry></Row>
<Row><Entry>Montenegro</Entry><Entry>26 Oct 2025</Entry><Entry>5 Sept. 2026 A</Entry></Row>
<Row><Entry>South Sudan</Entry><Entry></Entry><Entry>6 May 2026 d</Entry></Row>
</Rows></Tbody></TGroup></Table></Participants></Treaty>
"""


def seeds() -> dict[str, bytes]:
    return {"untc-sample": SAMPLE.read_bytes(), "instruments": _INSTRUMENTS}


def prepare() -> Parse:
    def parse(data: bytes) -> object:
        actions, declarations = parse_un_xml_document(data, source_name="fuzz.xml")
        validate(actions, declarations)
        return actions

    return parse


TARGET = Target(
    name="un_xml",
    reads="the UN depositary's status XML (hanoix/treaty/un_xml.py) on import",
    documented=(InputError,),
    seeds=seeds,
    prepare=prepare,
    short_runs=1000,
)
