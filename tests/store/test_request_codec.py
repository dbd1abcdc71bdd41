"""The storage codec of requests against its golden files: what the node writes in the JSON
columns of ``requests`` and ``request_conditions`` does not move by a byte unless the storage
format's version does (the files were made from the code before the codecs were split)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.convention import RequestKind
from hanoix.errors import InputError
from hanoix.requests import amend
from hanoix.store import request_codec as codec
from tests.golden import as_golden, read_golden
from tests.requests import samples
from tests.requests.builders import drafted, received, sent

GOLDEN = Path(__file__).parent / "golden"


def _golden_text(name: str) -> str:
    return read_golden(GOLDEN, name)


@pytest.mark.parametrize("kind", samples.KINDS, ids=lambda kind: kind.value)
def test_a_stored_request_of_each_kind_encodes_to_its_golden_file(kind: RequestKind) -> None:
    encoded = codec.encode_request(samples.stored_request(kind))
    assert as_golden(encoded) == _golden_text(f"request-{kind.value}.json")


@pytest.mark.parametrize("kind", samples.KINDS, ids=lambda kind: kind.value)
def test_a_golden_stored_request_of_each_kind_decodes_to_the_sample(kind: RequestKind) -> None:
    data = json.loads(_golden_text(f"request-{kind.value}.json"))
    assert codec.decode_request(data) == samples.stored_request(kind)


def test_a_received_copy_encodes_to_and_decodes_from_its_golden_file() -> None:
    request = samples.received_request(samples.KINDS[0])
    text = _golden_text("request-received.json")
    assert as_golden(codec.encode_request(request)) == text
    assert codec.decode_request(json.loads(text)) == request


def test_the_condition_rows_encode_to_and_decode_from_their_golden_file() -> None:
    text = _golden_text("conditions.json")
    encoded = {
        "conditions": [codec.encode_condition(c) for c in samples.CONDITIONS],
        "consents": [codec.encode_consent(c) for c in samples.CONSENTS],
    }
    assert as_golden(encoded) == text
    data = json.loads(text)
    assert tuple(codec.decode_condition(c) for c in data["conditions"]) == samples.CONDITIONS
    assert tuple(codec.decode_consent(c) for c in data["consents"]) == samples.CONSENTS


@pytest.mark.parametrize("kind", samples.KINDS, ids=lambda kind: kind.value)
def test_a_request_survives_the_document_round_trip_unchanged(kind: RequestKind) -> None:
    request = samples.stored_request(kind)
    assert codec.decode_request(codec.encode_request(request)) == request
    assert codec.decode_request(codec.encode_request(received(sent()))) == received(sent())


@settings(max_examples=50, deadline=None)
@given(
    contents=st.dictionaries(
        st.from_regex(r"[a-z]{1,12}", fullmatch=True),
        st.one_of(
            st.text(max_size=40),
            st.booleans(),
            st.lists(st.text(max_size=10), max_size=3).map(tuple),
        ),
        max_size=6,
    ),
    note=st.one_of(st.none(), st.text(max_size=60)),
)
def test_any_contents_and_notes_round_trip(contents: dict[str, object], note: str | None) -> None:
    request = amend(drafted(), contents=contents)
    entry = replace(request.history[0], note=note)
    request = replace(request, history=(entry,))
    assert codec.decode_request(codec.encode_request(request)) == request


def test_a_document_of_an_unknown_layout_is_refused() -> None:
    document = codec.encode_request(drafted())
    document["format"] = 99
    with pytest.raises(InputError, match="layout 99"):
        codec.decode_request(document)
