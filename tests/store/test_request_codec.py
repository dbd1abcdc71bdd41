"""The storage codec of requests against its golden files: what the node writes in the JSON
columns of ``requests`` and ``request_conditions`` does not move by a byte unless the storage
format's version does (the files were made from the code before the codecs were split)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hanoix.convention import RequestKind
from hanoix.store import requests as codec
from tests.requests import samples

GOLDEN = Path(__file__).parent / "golden"


def _golden_text(name: str) -> str:
    return (GOLDEN / name).read_text("utf-8")


def _as_golden(value: Any) -> str:
    # The golden files are this rendering of the encoded value, so the comparison also pins the
    # order of the members (the database keeps the JSON as written).
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


@pytest.mark.parametrize("kind", samples.KINDS, ids=lambda kind: kind.value)
def test_a_stored_request_of_each_kind_encodes_to_its_golden_file(kind: RequestKind) -> None:
    encoded = codec.encode_request(samples.stored_request(kind))
    assert _as_golden(encoded) == _golden_text(f"request-{kind.value}.json")


@pytest.mark.parametrize("kind", samples.KINDS, ids=lambda kind: kind.value)
def test_a_golden_stored_request_of_each_kind_decodes_to_the_sample(kind: RequestKind) -> None:
    data = json.loads(_golden_text(f"request-{kind.value}.json"))
    assert codec.decode_request(data) == samples.stored_request(kind)


def test_a_received_copy_encodes_to_and_decodes_from_its_golden_file() -> None:
    request = samples.received_request(samples.KINDS[0])
    text = _golden_text("request-received.json")
    assert _as_golden(codec.encode_request(request)) == text
    assert codec.decode_request(json.loads(text)) == request


def test_the_condition_rows_encode_to_and_decode_from_their_golden_file() -> None:
    text = _golden_text("conditions.json")
    encoded = {
        "conditions": [codec.encode_condition(c) for c in samples.CONDITIONS],
        "consents": [codec.encode_consent(c) for c in samples.CONSENTS],
    }
    assert _as_golden(encoded) == text
    data = json.loads(text)
    assert tuple(codec.decode_condition(c) for c in data["conditions"]) == samples.CONDITIONS
    assert tuple(codec.decode_consent(c) for c in data["consents"]) == samples.CONSENTS
