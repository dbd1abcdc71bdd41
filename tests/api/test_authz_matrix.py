"""Every route under /api/v1, called by every role, by an outsider of another authority, by a
user of another State and by nobody, with the status each must get.

The routes are enumerated from the application, so a new route without a row here fails
:func:`test_every_route_has_a_row`. Each call gets a request freshly walked to the state the
step starts from, so what decides the answer is who calls, not what happened before.

Columns: D drafter, A approver, O 24/7 officer, E examiner, U auditor (all of AUT-CA), M
administrator (no authority), X drafter of another Austrian authority (AUT-PROS), F drafter of
Viet Nam's central authority, N no credentials.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Route

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.requests import CooperationRequest
from hanoix.services import auth
from hanoix.services.node import Node
from tests.services.requests_world import document, incoming, outgoing, populate, token

PRINCIPALS = {
    "D": "drafter",
    "A": "approver",
    "O": "officer",
    "E": "examiner",
    "U": "auditor",
    "M": "admin",
    "X": "prosecutor",
    "F": "vnm-clerk",
    "N": None,
}

Setup = Callable[[Node], "Call"]


@dataclass
class Call:
    path: dict[str, str] = field(default_factory=dict)
    query: str = ""
    json: Any = None
    version: int | None = None


def expect(
    ok: str, code: int = 200, *, denied: int = 403, admin: int | None = None, foreign: int = 404
) -> dict[str, int]:
    """Statuses by column: ``ok`` columns get ``code``; the others ``denied``; the other
    State's user ``foreign``; the administrator ``admin`` (default: ``denied``); nobody 401."""
    out = {}
    for column in PRINCIPALS:
        if column in ok:
            out[column] = code
        elif column == "F":
            out[column] = foreign
        elif column == "M" and admin is not None:
            out[column] = admin
        else:
            out[column] = denied
    out["N"] = code if "N" in ok else 401
    return out


PUBLIC = expect("DAOEUMXFN")
SIGNED_IN = expect("DAOEUMXF")


def nothing(node: Node) -> Call:
    return Call()


def on(request: CooperationRequest, body: Any = None) -> Call:
    return Call(path={"reference": str(request.reference)}, json=body, version=request.version)


def out(status: str, body: Any = None, kind: RequestKind = RequestKind.MLA) -> Setup:
    return lambda node: on(outgoing(node, status, kind=kind), body)


def inc(status: str, body: Any = None, kind: RequestKind = RequestKind.MLA) -> Setup:
    return lambda node: on(incoming(node, status, kind=kind), body)


def no_package(setup: Setup) -> Setup:
    def call(node: Node) -> Call:
        made = setup(node)
        made.path["package_id"] = "sha256:" + "0" * 64
        return made

    return call


_serial = itertools.count(1)


def paper(node: Node) -> Call:
    body = document(requested_state="AUT")
    body.update(
        reference=f"ZAF-2026-{next(_serial):06d}",
        requesting_state="ZAF",
        requesting_authority="ZAF-CA",
    )
    del body["requested_state"]
    body["requested_state"] = "AUT"
    return Call(json=body)


def someone(node: Node, *, token: bool = False) -> Call:
    """A user of their own for an administrator's route to act on, so that deactivating or
    unlocking them changes nobody else's answers."""
    name = f"someone-{next(_serial)}"
    with node.unit_of_work() as session:
        auth.add_user(
            session,
            node.clock,
            username=name,
            display_name=name,
            roles={"drafter"},
            authority="AUT-CA",
            password=None,
        )
        path = {"username": name}
        if token:
            issued = auth.issue_token(session, node.clock, auth.user_id(session, name), "t")
            path["token_id"] = issued.split("_")[1]
    return Call(path=path)


ADMIN_ONLY = expect("M", foreign=403)
# API tokens may not make credentials: minting a token and the second factor need a session.
SESSION_ONLY = expect("", foreign=403)

NOTE = {"note": "see the letter of 20 November"}
# A step: the statuses for a request in the right state. M is 404: an administrator acts for
# no State, so no request is visible to them.
STEP = {"admin": 404}

ROWS: dict[tuple[str, str], tuple[Setup, dict[str, int]]] = {
    # --- the node, the Convention, the treaty: public ---
    ("GET", "/api/v1/openapi.json"): (nothing, PUBLIC),
    ("GET", "/api/v1/docs"): (nothing, PUBLIC),
    ("GET", "/api/v1/health"): (nothing, PUBLIC),
    ("GET", "/api/v1/convention/articles"): (nothing, PUBLIC),
    ("GET", "/api/v1/convention/articles/{number}"): (
        lambda n: Call(path={"number": "40"}),
        PUBLIC,
    ),
    ("GET", "/api/v1/convention/kinds"): (nothing, PUBLIC),
    ("GET", "/api/v1/convention/kinds/{code}"): (lambda n: Call(path={"code": "mla"}), PUBLIC),
    ("GET", "/api/v1/convention/notifications"): (nothing, PUBLIC),
    ("GET", "/api/v1/treaty/status"): (nothing, PUBLIC),
    ("GET", "/api/v1/treaty/participants/{code}"): (
        lambda n: Call(path={"code": "AUT"}),
        PUBLIC,
    ),
    ("GET", "/api/v1/treaty/applies"): (lambda n: Call(query="a=AUT&b=VNM"), PUBLIC),
    ("GET", "/api/v1/treaty/export"): (nothing, PUBLIC),
    ("GET", "/api/v1/ledger/checkpoint"): (nothing, PUBLIC),
    # --- signing in: nobody here has a password, so every login fails alike (each call names
    # another account, so the sign-in throttle stays out of the way) ---
    ("POST", "/api/v1/auth/login"): (
        lambda n: Call(json={"username": f"nobody-{next(_serial)}", "password": "not-it"}),
        expect("", denied=401, foreign=401),
    ),
    ("POST", "/api/v1/auth/logout"): (nothing, expect("DAOEUMXFN", 204)),
    ("GET", "/api/v1/auth/me"): (nothing, SIGNED_IN),
    ("POST", "/api/v1/auth/tokens"): (lambda n: Call(json={"name": "matrix"}), SESSION_ONLY),
    ("GET", "/api/v1/auth/tokens"): (nothing, SIGNED_IN),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"): (
        lambda n: Call(path={"token_id": "0" * 16}),
        expect("DAOEUMXF", 404, foreign=404),
    ),
    ("POST", "/api/v1/auth/totp"): (nothing, SESSION_ONLY),
    ("POST", "/api/v1/auth/totp/confirm"): (lambda n: Call(json={"code": "000000"}), SESSION_ONLY),
    # --- the node's users: its administrators only ---
    ("GET", "/api/v1/users"): (nothing, ADMIN_ONLY),
    ("POST", "/api/v1/users/{username}/deactivate"): (someone, ADMIN_ONLY),
    ("POST", "/api/v1/users/{username}/activate"): (someone, ADMIN_ONLY),
    ("POST", "/api/v1/users/{username}/unlock"): (someone, ADMIN_ONLY),
    ("GET", "/api/v1/users/{username}/tokens"): (someone, ADMIN_ONLY),
    ("DELETE", "/api/v1/users/{username}/tokens/{token_id}"): (
        lambda n: someone(n, token=True),
        expect("M", 204, foreign=403),
    ),
    ("DELETE", "/api/v1/users/{username}/totp"): (someone, ADMIN_ONLY),
    # --- the ledger: proofs for anyone signed in, entries for auditors and administrators ---
    ("GET", "/api/v1/ledger/proof/inclusion"): (lambda n: Call(query="index=0"), SIGNED_IN),
    ("GET", "/api/v1/ledger/proof/consistency"): (lambda n: Call(query="from=1"), SIGNED_IN),
    ("GET", "/api/v1/ledger/entries"): (nothing, expect("UM", denied=403, foreign=403)),
    # --- federation: the inbox for those who handle cooperation, the plumbing for those who
    # run or audit the node (the node's State is not configured here, so F passes that check)
    ("GET", "/api/v1/federation/inbox"): (nothing, expect("DAOUXF")),
    ("POST", "/api/v1/federation/inbox/{envelope_id}/acknowledge"): (
        lambda n: Call(path={"envelope_id": "0" * 32}),
        expect("DOXF", 404, foreign=404),
    ),
    ("GET", "/api/v1/federation/status"): (nothing, expect("OUM", foreign=403)),
    ("GET", "/api/v1/federation/refusals"): (nothing, expect("UM", denied=403, foreign=403)),
    # --- requests: collection ---
    ("GET", "/api/v1/requests"): (nothing, expect("DAOEUXF")),
    ("POST", "/api/v1/requests"): (
        lambda n: Call(json=document(requested_state="ZAF")),
        expect("DOXF", 201),
    ),
    ("POST", "/api/v1/requests/validate"): (
        lambda n: Call(json=document(requested_state="ZAF")),
        expect("DAOEUXF"),
    ),
    ("GET", "/api/v1/requests/deadlines"): (nothing, expect("DAOEUXF")),
    ("GET", "/api/v1/requests/schema/{kind}"): (
        lambda n: Call(path={"kind": "preservation"}),
        PUBLIC,
    ),
    ("POST", "/api/v1/requests/incoming"): (paper, expect("DOXF", 201)),
    # --- requests: one request (reading) ---
    ("GET", "/api/v1/requests/{reference}"): (out("draft"), expect("DAOEUX", admin=404)),
    ("GET", "/api/v1/requests/{reference}/history"): (out("sent"), expect("DAOEUX", admin=404)),
    ("GET", "/api/v1/requests/{reference}/validation"): (
        out("draft"),
        expect("DAOEUX", admin=404),
    ),
    ("POST", "/api/v1/requests/{reference}/uses"): (
        out("executed", {"action": "open"}),
        expect("DAOE", admin=404),
    ),
    ("GET", "/api/v1/requests/{reference}/evidence"): (
        out("executed"),
        expect("DAOEUX", admin=404),
    ),
    # No package was received here: whoever may take a copy out learns that (404).
    ("GET", "/api/v1/requests/{reference}/evidence/{package_id}"): (
        no_package(out("executed")),
        expect("AE", 404, admin=404),
    ),
    ("POST", "/api/v1/requests/{reference}/follow-up"): (
        out("sent", kind=RequestKind.PRESERVATION),
        expect("DO", 201),
    ),
    # --- requests: every lifecycle step, from a state that allows it ---
    ("POST", "/api/v1/requests/{reference}/edit"): (
        out("draft", {"language": "fr"}),
        expect("DO", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/submit"): (out("draft"), expect("DO", **STEP)),
    ("POST", "/api/v1/requests/{reference}/return-to-draft"): (
        out("awaiting_approval", NOTE),
        expect("DAO", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/approve"): (
        out("awaiting_approval"),
        expect("A", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/send"): (out("approved"), expect("DAO", **STEP)),
    ("POST", "/api/v1/requests/{reference}/acknowledge"): (
        inc("received"),
        expect("DAO", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/request-more-information"): (
        inc("received", NOTE),
        expect("DAOE", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/supply-information"): (
        out("more_information_requested", NOTE),
        expect("DAO", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/start-execution"): (
        inc("acknowledged"),
        expect("DAOE", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/postpone"): (
        inc("acknowledged", {"until": "2027-06-01", "reason": "a trial is under way"}),
        expect("A", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/resume"): (inc("postponed"), expect("DAOE", **STEP)),
    ("POST", "/api/v1/requests/{reference}/execute-partially"): (
        inc("in_execution", {"summary": "first part"}),
        expect("DAOE", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/execute"): (
        inc("in_execution"),
        expect("DAOE", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/refuse"): (
        inc("received", {"grounds": ["non-conformity"], "reasons": "the request is unclear"}),
        expect("A", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/withdraw"): (
        out("draft", NOTE),
        expect("DAO", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/close"): (out("withdrawn"), expect("DAO", **STEP)),
    ("POST", "/api/v1/requests/{reference}/extend-preservation"): (
        inc("executed", {"days": 10}, kind=RequestKind.PRESERVATION),
        expect("DAO", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/attach-conditions"): (
        inc("acknowledged", {"conditions": [{"type": "keep-confidential"}]}),
        expect("A", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/consent-to-use"): (
        inc("in_execution", {"type": "use", "action": "open"}),
        expect("A", **STEP),
    ),
    ("POST", "/api/v1/requests/{reference}/link-follow-up"): (
        out("sent", {"reference": "AUT-2026-999999"}, kind=RequestKind.PRESERVATION),
        expect("DAO", **STEP),
    ),
}


def api_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the application answers under /api/v1, routers included."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is not None:
                context = route.include_context  # type: ignore[attr-defined]
                walk(included.routes, prefix + context.prefix)
            elif isinstance(route, Route):
                for method in route.methods or ():
                    if method != "HEAD":
                        found.add((method, prefix + route.path))

    walk(app.routes, "")
    return {r for r in found if r[1].startswith("/api/v1/")}


@pytest.fixture(scope="module")
def matrix_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    from datetime import UTC, datetime

    home: Path = tmp_path_factory.mktemp("matrix")
    node = Node.open(
        load_settings(home, environ={}),
        clock=FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
    )
    node.initialise()
    populate(node)
    yield node
    node.close()


@pytest.fixture(scope="module")
def matrix(matrix_node: Node) -> Iterator[tuple[TestClient, dict[str, dict[str, str]]]]:
    tokens = {column: token(matrix_node, who) for column, who in PRINCIPALS.items() if who}
    outgoing(matrix_node, "sent")  # the ledger holds entries to prove
    with TestClient(create_app(matrix_node)) as client:
        yield client, tokens


def test_every_route_has_a_row(matrix: tuple[TestClient, Any]) -> None:
    client, _ = matrix
    routes = api_routes(client.app)  # type: ignore[arg-type]
    missing = sorted(routes - set(ROWS))
    assert not missing, f"routes without a row in the authorisation matrix: {missing}"
    assert sorted(set(ROWS) - routes) == []


CASES = [(route, column) for route in ROWS for column in PRINCIPALS]


@pytest.mark.parametrize(("route", "column"), CASES, ids=[f"{m} {p} as {c}" for (m, p), c in CASES])
def test_the_route_answers_each_caller_as_the_matrix_says(
    matrix: tuple[TestClient, dict[str, dict[str, str]]],
    matrix_node: Node,
    route: tuple[str, str],
    column: str,
) -> None:
    client, tokens = matrix
    method, template = route
    setup, statuses = ROWS[route]
    call = setup(matrix_node)
    url = template.format(**call.path) + (f"?{call.query}" if call.query else "")
    headers = dict(tokens.get(column, {}))
    if call.version is not None:
        headers["If-Match"] = f'"{call.version}"'
    response = client.request(method, url, json=call.json, headers=headers)
    assert response.status_code == statuses[column], (
        f"{method} {url} as {PRINCIPALS[column]}: {response.status_code} {response.text[:300]}"
    )
