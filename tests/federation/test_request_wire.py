"""The wire codec of requests against its golden files: what one node sends another about a
request (the document of ``request.sent``, the payload of ``request.step``) does not move by a
byte unless the wire format's version does (the files were made from the code before the
codecs were split)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hanoix.convention import RequestKind
from hanoix.federation import request_wire as wire
from hanoix.requests import Payload
from tests.golden import as_golden, read_golden
from tests.requests import samples
from tests.requests.builders import incoming

GOLDEN = Path(__file__).parent / "golden"


def _golden_text(name: str) -> str:
    return read_golden(GOLDEN, name)


@pytest.mark.parametrize("kind", samples.KINDS, ids=lambda kind: kind.value)
def test_a_sent_request_of_each_kind_encodes_to_its_golden_file(kind: RequestKind) -> None:
    encoded = wire.encode_request(samples.sent_request(kind))
    assert as_golden(encoded) == _golden_text(f"request-{kind.value}.json")


@pytest.mark.parametrize("kind", samples.KINDS, ids=lambda kind: kind.value)
def test_a_golden_sent_request_of_each_kind_decodes_to_the_received_copy(
    kind: RequestKind,
) -> None:
    request = samples.sent_request(kind)
    data = json.loads(_golden_text(f"request-{kind.value}.json"))
    decoded = wire.decode_request(request.reference, data, "VNM-POC")
    assert decoded == incoming(request, handled_by="VNM-POC")


@pytest.mark.parametrize("name", sorted(samples.PAYLOADS))
def test_a_step_payload_of_each_type_encodes_to_its_golden_file(name: str) -> None:
    encoded = wire.encode_payload(samples.PAYLOADS[name])
    assert as_golden(encoded) == _golden_text(f"payload-{name}.json")


@pytest.mark.parametrize("name", sorted(samples.PAYLOADS))
def test_a_golden_step_payload_of_each_type_decodes_to_the_sample(name: str) -> None:
    decoded: Payload | None = wire.decode_payload(json.loads(_golden_text(f"payload-{name}.json")))
    assert decoded == samples.PAYLOADS[name]
