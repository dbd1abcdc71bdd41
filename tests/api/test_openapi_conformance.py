"""The API does what its OpenAPI document says: schemathesis generates requests from
``docs/openapi.json`` (the committed document, which ``test_requests_api`` holds equal to the
served one), valid and invalid, and checks every answer: no server error, a documented status,
a documented content type, a body matching the documented schema, and invalid input refused.

The node is SQLite with a small world of users and requests; the caller is signed in with a
token (and schemathesis also tries without it). Half the cases that name a request are
pointed at a real one, so the step routes reach the domain rather than only the 404.
Bounded: 15 examples per operation, no deadline (the whole file runs in well under a minute).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.services.node import Node
from tests.services.requests_world import incoming, outgoing, populate, token

OPENAPI = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

schema = schemathesis.openapi.from_path(OPENAPI)
# A step's precondition is checked before its body: invalid data sent with a stale If-Match
# (schemathesis makes one up) is refused with 412, which is a refusal too. Without it in the
# list, a run that happens to send one to a real request fails for an answer the API is right
# to give.
_rejections = schema.config.checks.negative_data_rejection
_rejections.expected_statuses = [*(_rejections.expected_statuses or []), "412"]


class World:
    def __init__(self, app: FastAPI, headers: dict[str, str], references: list[str]) -> None:
        self.app = app
        self.headers = headers
        self.references = references
        self.turn = itertools.count()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    home = tmp_path_factory.mktemp("conformance") / "home"
    node = Node.open(load_settings(home, environ={}))
    node.initialise()
    populate(node)
    references = [
        str(r.reference)
        for r in (
            outgoing(node, "draft", author="both"),
            outgoing(node, "sent"),
            incoming(node, "in_execution"),
            incoming(node, "executed", kind=RequestKind.PRESERVATION),
            incoming(node, "acknowledged"),
        )
    ]
    try:
        yield World(create_app(node), token(node, "both"), references)
    finally:
        node.close()


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_answers_as_its_openapi_document_says(case: Any, world: World) -> None:
    turn = next(world.turn)
    if case.path_parameters and "reference" in case.path_parameters and turn % 2 == 0:
        case.path_parameters["reference"] = world.references[turn // 2 % len(world.references)]
    # Signed in, except where schemathesis leaves the credentials out on purpose.
    signed_in = not case.operation.schema.is_security_param_negated(case)
    headers = world.headers if signed_in else {}
    case.call_and_validate(app=world.app, headers=headers, checks=CHECKS)


def test_every_operation_that_needs_a_caller_documents_401() -> None:
    document = json.loads(OPENAPI.read_text(encoding="utf-8"))
    secured = [
        (method.upper(), path, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if operation.get("security")
    ]
    assert len(secured) > 30
    assert [(m, p) for m, p, o in secured if "401" not in o["responses"]] == []
    entries = document["paths"]["/api/v1/ledger/entries"]["get"]["responses"]
    assert {"401", "403"} <= set(entries)
