"""Every route of the application (the API under /api/v1, the node-to-node API under
/federation/v1, the web pages and their static files), called by every role of the node, by a
user of another authority of the same State, by a user of another State and by nobody, with a
restricted request (and an inbox message about it) among the data.

Each answer is checked three ways:

1. its status is the one the matrix gives;
2. its body leaks nothing of the restricted request, which none of these callers may see: its
   reference, its ledger pseudonym, its contents, the personal data in it, its inbox message;
   and nobody without a part in Austria's cases (its administrator, another State's user,
   nobody) gets any of Austria's references or personal data;
3. for the routes that take a reference (or an inbox message id), the restricted request's
   answer is the answer a reference that does not exist gets: same status, same body once the
   reference itself is put aside (no existence oracle).

The routes are enumerated from the application, so a new route without a row here fails
:func:`test_every_route_has_a_row`. Each call gets a request freshly walked to the state the
step starts from, so what decides the answer is who calls, not what happened before. One
seeded node serves the whole module.

Columns: D drafter, A approver, O 24/7 officer, E examiner, U auditor (all of AUT-CA), M
administrator (no authority), X drafter of another Austrian authority (AUT-PROS), F drafter of
Viet Nam's central authority, N no credentials. The restricted request is AUT-POC's.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route

from hanoix.api.app import create_app
from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.requests import CooperationRequest
from hanoix.services import auth, custody
from hanoix.services.node import Node
from hanoix.store import federation as fed_store
from tests.requests.builders import complete_contents
from tests.services.requests_world import (
    add_people,
    document,
    incoming,
    outgoing,
    populate,
    token,
)

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
    content: bytes | None = None  # a raw body (the node-to-node API reads bytes, not JSON)
    headers: dict[str, str] = field(default_factory=dict)


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


EVERYONE = "DAOEUMXFN"


def raw(body: bytes) -> Setup:
    return lambda node: Call(content=body)


def a_transfer(node: Node) -> Call:
    return Call(path={"transfer_id": "0" * 32})


ADMIN_ONLY = expect("M", foreign=403)
# API tokens may not make credentials: minting a token and the second factor need a session.
SESSION_ONLY = expect("", foreign=403)

NOTE = {"note": "see the letter of 20 November"}
# A step: the statuses for a request in the right state. M is 404: an administrator acts for
# no State, so no request is visible to them.
STEP = {"admin": 404}

WEB_PAGES = [
    "/sign-in",
    "/account",
    "/account/password",
    "/account/second-factor",
    "/treaty",
    "/treaty/applies",
    "/ledger",
    "/ledger/subject",
    "/ledger/proof",
    "/ledger/proof.json",
    "/ledger/consistency",
    "/ledger/consistency.json",
    "/requests/new",
    "/desk/24-7",
    "/desk/24-7/arrivals",
    "/desk/requests",
    "/desk/approvals",
    "/desk/removal",
    "/content/lists",
    "/reports",
    "/reports/signed.json",
    "/reports/report.csv",
    "/reports/global",
    "/personal-data",
]
WEB_FORMS = [
    "/sign-in",
    "/sign-out",
    "/account/preferences",
    "/account/password",
    "/account/second-factor",
    "/account/second-factor/confirm",
    "/personal-data",
    "/content/lists/publish",
    "/content/lists/withdraw",
]


def a_step_form(node: Node) -> Call:
    """A request's page's form for one step (a token-less POST is refused as any form)."""
    return Call(path={**out("draft")(node).path, "step": "submit"})


def an_upload(setup: Setup) -> Setup:
    """A request's path with an upload id and a package id that name nothing (forms without a
    token are refused before they are looked at; pages send a bearer token to sign in, and the
    sign-in page shows the path: no run of zeros that the envelope id's replacement would hit)."""

    def call(node: Node) -> Call:
        made = setup(node)
        made.path["upload_id"] = "A" * 32
        made.path["package_id"] = "sha256:" + "ab" * 32
        return made

    return call


EVIDENCE_PAGES = [
    ("/requests/{reference}/evidence", out("sent")),
    ("/requests/{reference}/evidence/uploads/{upload_id}", an_upload(out("sent"))),
    ("/requests/{reference}/evidence/packages/{package_id}", an_upload(out("sent"))),
    ("/requests/{reference}/evidence/packages/{package_id}/file", an_upload(out("sent"))),
    ("/requests/{reference}/evidence/packages/{package_id}/report", an_upload(out("sent"))),
]
EVIDENCE_FORMS = [
    ("POST", "/requests/{reference}/evidence/uploads", out("sent")),
    ("PUT", "/requests/{reference}/evidence/uploads/{upload_id}", an_upload(out("sent"))),
    ("POST", "/requests/{reference}/evidence/uploads/{upload_id}/remove", an_upload(out("sent"))),
    ("POST", "/requests/{reference}/evidence/files", out("sent")),
    ("POST", "/requests/{reference}/evidence/seal", out("sent")),
    (
        "POST",
        "/requests/{reference}/evidence/packages/{package_id}/verify",
        an_upload(out("sent")),
    ),
    ("POST", "/requests/{reference}/evidence/packages/{package_id}/open", an_upload(out("sent"))),
]


# --- removal cases: each call gets a case of its own, of AUT-CA, listing one file's digests ---

VICTIM = "v-matrix"  # the victims' pseudonyms start so: read by the case workers of AUT-CA only


def a_case(node: Node, body: Any = None) -> Call:
    from hanoix.services import content
    from hanoix.services.requests import user_named

    serial = next(_serial)
    drafter = user_named(node, "drafter")
    case = content.open_case(
        node, drafter, article=16, victim_ref=f"{VICTIM}-{serial}", consent=["hash"]
    )
    content.add_content(node, drafter, case.reference, [("f", f"matrix {serial}".encode())])
    return Call(path={"reference": case.reference}, json=body)


def a_linked_case(node: Node) -> Call:
    from hanoix.services import content_notices
    from hanoix.services.requests import user_named

    made = a_case(node)
    request = str(outgoing(node, "sent").reference)
    content_notices.link_request(node, user_named(node, "drafter"), made.path["reference"], request)
    made.path["request"] = request
    return made


def a_notice(body: dict[str, Any]) -> Setup:
    def call(node: Node) -> Call:
        from datetime import timedelta

        from hanoix.services import content_notices
        from hanoix.services.requests import user_named

        case = a_case(node).path["reference"]
        sent = content_notices.send_notice(
            node,
            user_named(node, "drafter"),
            case,
            to="ExampleTube",
            deadline=node.clock.now() + timedelta(days=2),
        )
        return Call(path={"notice": sent.reference}, json=body)

    return call


def an_upload_to_a_case(node: Node) -> Call:
    """A case and a multipart body of one file to add to it (the body is read by the route)."""
    made = a_case(node)
    boundary = "matrix-boundary"
    made.content = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="files"; filename="m.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
        f"matrix upload {next(_serial)}\r\n--{boundary}--\r\n"
    ).encode()
    made.headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    return made


def a_link(node: Node) -> Call:
    made = a_case(node)
    made.json = {"request": str(outgoing(node, "sent").reference)}
    return made


# Those who work AUT-CA's cases; another authority's drafter (X) and Viet Nam's (F) get the
# answer of a missing case; the others may not work cases at all.
CASE_WORK = {**expect("DOE"), "X": 404}


ROWS: dict[tuple[str, str], tuple[Setup, dict[str, int]]] = {
    # --- the node, the Convention, the treaty: public ---
    ("GET", "/api/v1/openapi.json"): (nothing, PUBLIC),
    ("GET", "/api/v1/docs"): (nothing, PUBLIC),
    ("GET", "/static/swagger-ui/{path}"): (
        lambda n: Call(path={"path": "swagger-ui.css"}),
        PUBLIC,
    ),
    ("GET", "/api/v1/health"): (nothing, PUBLIC),
    ("GET", "/api/v1/health/live"): (nothing, PUBLIC),
    ("GET", "/api/v1/health/ready"): (nothing, PUBLIC),
    # The node's metrics: counts and ages, for those who run or audit the node.
    ("GET", "/api/v1/metrics"): (nothing, expect("UM", denied=403, foreign=403)),
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
    # --- content removal: matching a file against the node's hash lists, for those who work
    # cases, auditors and matchers (no case is read; tests/api/test_content_api.py) ---
    ("POST", "/api/v1/content/match"): (
        lambda n: Call(
            content=b"not a picture", headers={"Content-Type": "application/octet-stream"}
        ),
        expect("DOEUXF"),
    ),
    # --- removal cases and notices (tests/api/test_content_cases_api.py): the case workers of
    # the case's authority; matchers, approvers and auditors none of it ---
    ("POST", "/api/v1/content/cases"): (
        lambda n: Call(json={"article": 16, "victim_ref": "v-new", "consent": ["hash"]}),
        expect("DOEXF", 201),
    ),
    ("GET", "/api/v1/content/cases"): (nothing, expect("DOEXF")),
    ("GET", "/api/v1/content/cases/{reference}"): (a_case, CASE_WORK),
    ("POST", "/api/v1/content/cases/{reference}/notices"): (
        lambda n: a_case(n, {"to": "ExampleTube", "deadline": "48h"}),
        {**CASE_WORK, "D": 201, "O": 201, "E": 201},
    ),
    ("POST", "/api/v1/content/cases/{reference}/requests"): (a_link, CASE_WORK),
    ("POST", "/api/v1/content/cases/{reference}/content"): (an_upload_to_a_case, CASE_WORK),
    ("DELETE", "/api/v1/content/cases/{reference}/requests/{request}"): (
        a_linked_case,
        {**CASE_WORK, "D": 204, "O": 204, "E": 204},
    ),
    ("GET", "/api/v1/content/notices"): (nothing, expect("DOEXF")),
    ("POST", "/api/v1/content/notices/{notice}/acknowledge"): (
        a_notice({"version": 1}),
        CASE_WORK,
    ),
    ("POST", "/api/v1/content/notices/{notice}/removed"): (
        a_notice({"version": 1, "confirmation": "TKT-1"}),
        CASE_WORK,
    ),
    ("POST", "/api/v1/content/notices/{notice}/refused"): (
        a_notice({"version": 1, "reason": "lawful where hosted"}),
        CASE_WORK,
    ),
    # shared hash lists: the people who work cases (a hash nobody holds is a 404 for them)
    ("GET", "/api/v1/content/lists"): (nothing, expect("DOEXF", foreign=200)),
    ("POST", "/api/v1/content/feedback"): (
        lambda n: Call(
            json={
                "platform": "example",
                "hashFeedbacks": [{"hashValue": "ab" * 32, "feedbackValue": "Blocked"}],
            }
        ),
        expect("DOEXF", foreign=200),
    ),
    ("POST", "/api/v1/content/votes"): (
        lambda n: Call(
            json={
                "platform": "example",
                "votes": [{"signal": "pdq", "hash": "ab" * 32, "vote": "upvote"}],
            }
        ),
        expect("DOEXF", foreign=200),
    ),
    ("POST", "/api/v1/content/withdrawals"): (
        lambda n: Call(json={"hash": "ab" * 32, "reason": "mistake"}),
        expect("DOEXF", 404, foreign=404),
    ),
    # --- personal data: the data-protection officer's search only, a role none of the
    # matrix's callers holds (tests/api/test_personal_data_api.py shows it answering) ---
    ("POST", "/api/v1/personal-data/find"): (
        lambda n: Call(json={"identifier": "Hanoi People's Procuracy"}),
        expect("", denied=403, foreign=403),
    ),
    # --- statistics: the node's officers, auditors and administrators (not its examiners);
    # the node's State is not configured here, so a reader's report is a 422 that says so,
    # and with no directory a verification is one too (tests/api/test_statistics_api.py) ---
    ("GET", "/api/v1/statistics/report"): (
        lambda n: Call(query="from=2026-01-01&to=2026-12-31"),
        expect("DAOUMXF", 422),
    ),
    ("POST", "/api/v1/statistics/verify"): (
        lambda n: Call(content=b"{}", headers={"Content-Type": "application/json"}),
        expect("DAOUMXF", 422),
    ),
    # The global tables: a secretariat's auditors and administrators; this node is a national
    # one, so they get 404 (tests/web/test_reports_global_page.py runs a secretariat).
    ("GET", "/api/v1/statistics/global"): (
        lambda n: Call(query="from=2026-01-01&to=2026-12-31"),
        expect("UM", 404, foreign=403),
    ),
    # --- federation: the inbox for those who handle cooperation, the plumbing for those who
    # run or audit the node (the node's State is not configured here, so F passes that check)
    ("GET", "/api/v1/federation/inbox"): (nothing, expect("DAOUXF")),
    ("POST", "/api/v1/federation/inbox/{envelope_id}/acknowledge"): (
        lambda n: Call(path={"envelope_id": "0" * 32}),
        expect("DOXF", 404, foreign=404),
    ),
    ("GET", "/api/v1/federation/status"): (nothing, expect("OUM", foreign=403)),
    # --- the node-to-node API: envelopes authenticate themselves (signature, directory), so a
    # user's credentials change nothing, and garbage is refused alike for everyone ---
    ("POST", "/federation/v1/envelopes"): (raw(b"not an envelope"), expect(EVERYONE, 400)),
    ("POST", "/federation/v1/envelopes/batch"): (raw(b"{}"), expect(EVERYONE, 400)),
    ("HEAD", "/federation/v1/transfers/{transfer_id}"): (a_transfer, expect(EVERYONE)),
    ("POST", "/federation/v1/transfers/{transfer_id}"): (
        lambda n: Call(path=a_transfer(n).path, content=b"not an envelope"),
        expect(EVERYONE, 400),
    ),
    ("PUT", "/federation/v1/transfers/{transfer_id}"): (
        lambda n: Call(path=a_transfer(n).path, query="offset=0", content=b"x"),
        expect(EVERYONE, 400),
    ),
    ("GET", "/federation/v1/checkpoint"): (nothing, expect(EVERYONE)),
    ("POST", "/federation/v1/witness"): (raw(b"{}"), expect(EVERYONE, 400)),
    # This node has no State configured, hence no directory entry: one problem for everyone.
    ("GET", "/federation/v1/identity"): (nothing, expect(EVERYONE, 400)),
    # The record of a letter's issue: the embedded document's digest is the key, so a
    # credential changes nothing and a digest never recorded is the same 404 for everyone.
    ("GET", "/federation/v1/letters/{reference}/issue"): (
        lambda n: Call(
            path={"reference": "AUT-2026-000001"},
            query=f"index=0&size=1&document={'0' * 64}",
        ),
        expect(EVERYONE, 404),
    ),
    # --- the web pages and their static files: public ---
    ("GET", "/"): (nothing, PUBLIC),
    ("GET", "/static/{path}"): (lambda n: Call(path={"path": "hanoix.css"}), PUBLIC),
    ("GET", "/static/api-docs/{path}"): (
        lambda n: Call(path={"path": "swagger-init.js"}),
        PUBLIC,
    ),
    # The pages of a signed-in user take the session cookie only, never an API token: every
    # caller here lands on the sign-in page (the client follows the redirect); and a form sent
    # without the node's form token is refused whoever sends it. tests/web tests them by role.
    **{("GET", page): (nothing, PUBLIC) for page in WEB_PAGES},
    ("GET", "/treaty/participants/{code}"): (lambda n: Call(path={"code": "VNM"}), PUBLIC),
    **{("POST", form): (nothing, dict.fromkeys(PRINCIPALS, 403)) for form in WEB_FORMS},
    # A bearer token is not a browser's session: the page sends it to sign in (200 there).
    ("GET", "/requests/{reference}"): (out("draft"), PUBLIC),
    ("POST", "/requests/{reference}/{step}"): (a_step_form, dict.fromkeys(PRINCIPALS, 403)),
    ("GET", "/requests/new/{kind}"): (lambda n: Call(path={"kind": "mla"}), PUBLIC),
    ("POST", "/requests/new/{kind}"): (
        lambda n: Call(path={"kind": "mla"}),
        dict.fromkeys(PRINCIPALS, 403),
    ),
    ("POST", "/requests/new/{kind}/check"): (
        lambda n: Call(path={"kind": "mla"}),
        dict.fromkeys(PRINCIPALS, 403),
    ),
    ("GET", "/requests/{reference}/edit"): (out("draft"), PUBLIC),
    ("GET", "/requests/{reference}/letter"): (out("draft"), PUBLIC),
    ("POST", "/requests/{reference}/edit"): (out("draft"), dict.fromkeys(PRINCIPALS, 403)),
    ("POST", "/requests/{reference}/follow-up"): (
        out("executed", kind=RequestKind.PRESERVATION),
        dict.fromkeys(PRINCIPALS, 403),
    ),
    # Removal cases in the browser (docs/content.md): the same, whoever calls.
    ("GET", "/content/cases/{reference}"): (
        lambda n: Call(path={"reference": "RC-000001"}),
        PUBLIC,
    ),
    ("POST", "/content/cases/{reference}/notices"): (
        lambda n: Call(path={"reference": "RC-000001"}),
        dict.fromkeys(PRINCIPALS, 403),
    ),
    ("POST", "/content/cases/{reference}/content"): (
        lambda n: Call(path={"reference": "RC-000001"}),
        dict.fromkeys(PRINCIPALS, 403),
    ),
    ("POST", "/content/notices/{notice}/{answer}"): (
        lambda n: Call(path={"notice": "RN-000001", "answer": "removed"}),
        dict.fromkeys(PRINCIPALS, 403),
    ),
    ("POST", "/desk/24-7/{envelope_id}/acknowledge"): (
        lambda n: Call(path={"envelope_id": "0" * 32}),
        dict.fromkeys(PRINCIPALS, 403),
    ),
    # Evidence in the browser: a bearer token is not a session (the pages send it to sign in);
    # a form or a range without the page's form token is refused whoever sends it.
    **{("GET", page): (setup, PUBLIC) for page, setup in EVIDENCE_PAGES},
    **{
        (method, form): (setup, dict.fromkeys(PRINCIPALS, 403))
        for method, form, setup in EVIDENCE_FORMS
    },
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
    ("GET", "/api/v1/requests/{reference}/letter"): (out("draft"), expect("DAOEUX", admin=404)),
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


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every (method, path) the application answers, routers and mounts included."""
    found: set[tuple[str, str]] = set()

    def walk(routes: list[BaseRoute], prefix: str) -> None:
        for route in routes:
            included = getattr(route, "original_router", None)
            if included is not None:
                context = route.include_context  # type: ignore[attr-defined]
                walk(included.routes, prefix + context.prefix)
            elif isinstance(route, Route):
                methods = route.methods or set()
                for method in methods:
                    # HEAD rides along with GET; a route of HEAD alone is a route of its own.
                    if method != "HEAD" or "GET" not in methods:
                        found.add((method, prefix + route.path))
            elif isinstance(route, Mount):
                found.add(("GET", prefix + route.path + "/{path}"))
            else:
                raise AssertionError(f"a route of an unknown kind: {route!r}")

    walk(app.routes, "")
    return found


# --- what none of these callers may learn ------------------------------------------------------

SECRET_FACTS = "the ransom notes name the mailbox quiet-heron@example.vn"
SECRET_PERSON = "Tran Van Quiet-Heron"
OPEN_PERSON = "Lena Open-Kestrel"
RESTRICTED_ENVELOPE = "7e57" * 8


@dataclass(frozen=True)
class Secrets:
    """What the module's callers must never read: ``restricted`` by anyone (none of them acts
    for AUT-POC), ``case`` by those without a part in Austria's cases (M, F, N)."""

    restricted: tuple[str, ...]
    case: tuple[str, ...]
    restricted_reference: str


def _contents(kind: RequestKind, facts: str, person: str) -> dict[str, Any]:
    contents: dict[str, Any] = dict(complete_contents(kind))
    contents["summary_of_facts"] = f"{facts}; the suspect is {person}."
    return contents


def seed(node: Node) -> Secrets:
    """The data every call meets: AUT-POC's restricted requests (one drafted here, one received
    with its inbox message), and an open request of AUT-CA with personal data."""
    restricted = outgoing(
        node,
        "draft",
        author="duty",
        restricted=True,
        proceeding="StA Wien 901 Js 77/26 (restricted)",
        contents=_contents(RequestKind.MLA, SECRET_FACTS, SECRET_PERSON),
    )
    received = incoming(
        node,
        "received",
        handled_by="AUT-POC",
        restricted=True,
        contents=_contents(RequestKind.MLA, SECRET_FACTS, SECRET_PERSON),
    )
    opened = outgoing(
        node, "sent", contents=_contents(RequestKind.MLA, "an open case", OPEN_PERSON)
    )
    with node.unit_of_work() as session:
        at = node.clock.now()
        fed_store.add_inbox(
            session,
            envelope_id=RESTRICTED_ENVELOPE,
            sender="vnm.hanoix.test",
            type="request.sent",
            urgent=True,
            in_reply_to=None,
            created_at=at,
            expires_at=at,
            received_at=at,
            digest="0" * 64,
            payload=json.dumps(
                {
                    "reference": str(received.reference),
                    "document": {"contents": dict(received.contents)},
                }
            ),
            receipt="{}",
        )
        fed_store.link_inbox_to_request(session, RESTRICTED_ENVELOPE, str(received.reference))
    add_people(node, [], {"poc-auditor": ({"auditor"}, "AUT-POC")})
    hidden = [str(restricted.reference), str(received.reference)]
    pseudonyms = [custody.disclose_request_key(node, r).pseudonym for r in hidden]
    return Secrets(
        restricted=(*hidden, *pseudonyms, SECRET_FACTS, SECRET_PERSON, RESTRICTED_ENVELOPE),
        case=(
            str(opened.reference),
            custody.disclose_request_key(node, str(opened.reference)).pseudonym,
            OPEN_PERSON,
        ),
        restricted_reference=str(restricted.reference),
    )


@dataclass
class Matrix:
    client: TestClient
    node: Node
    tokens: dict[str, dict[str, str]]
    secrets: Secrets


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    from datetime import UTC, datetime

    home: Path = tmp_path_factory.mktemp("matrix")
    node = Node.open(
        load_settings(home, environ={}),
        clock=FixedClock(datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),
    )
    node.initialise()
    populate(node)
    secrets = seed(node)
    tokens = {column: token(node, who) for column, who in PRINCIPALS.items() if who}
    with TestClient(create_app(node)) as client:
        yield Matrix(client, node, tokens, secrets)
    node.close()


def test_every_route_has_a_row(matrix: Matrix) -> None:
    routes = app_routes(matrix.client.app)  # type: ignore[arg-type]
    missing = sorted(routes - set(ROWS))
    assert not missing, f"routes without a row in the authorisation matrix: {missing}"
    assert sorted(set(ROWS) - routes) == []
    # The three faces of the node are all here: the API, federation, and the pages.
    faces = {p.split("/")[1] for _, p in routes}
    assert faces == {
        "api",
        "federation",
        "",
        "static",
        "sign-in",
        "sign-out",
        "account",
        "treaty",
        "ledger",
        "requests",
        "desk",
        "content",
        "reports",
        "personal-data",
    }


def call(matrix: Matrix, method: str, template: str, made: Call, column: str) -> Any:
    url = template.format(**made.path) + (f"?{made.query}" if made.query else "")
    headers = {**matrix.tokens.get(column, {}), **made.headers}
    if made.version is not None:
        headers["If-Match"] = f'"{made.version}"'
    if made.content is not None:
        return matrix.client.request(method, url, content=made.content, headers=headers)
    return matrix.client.request(method, url, json=made.json, headers=headers)


def leaks(matrix: Matrix, column: str, text: str) -> list[str]:
    """The secrets of the module found in ``text``, for the caller of ``column``."""
    forbidden = list(matrix.secrets.restricted)
    if column in "MFN":
        forbidden += matrix.secrets.case
    if column not in "DOE":
        forbidden.append(VICTIM)
    return [secret for secret in forbidden if secret in text]


def test_the_secrets_are_there_for_the_authority_that_handles_them(matrix: Matrix) -> None:
    # The leak checks below would pass on a node that held none of it: show that it is held,
    # and served to those who may see it.
    secrets, client = matrix.secrets, matrix.client
    duty, auditor = token(matrix.node, "duty"), token(matrix.node, "poc-auditor")
    shown = client.get(f"/api/v1/requests/{secrets.restricted_reference}", headers=duty)
    assert shown.status_code == 200 and SECRET_FACTS in shown.text and SECRET_PERSON in shown.text
    inbox = client.get("/api/v1/federation/inbox?all=true", headers=duty).text
    assert RESTRICTED_ENVELOPE in inbox and SECRET_FACTS in inbox
    entries = client.get("/api/v1/ledger/entries?limit=1000", headers=auditor).text
    assert all(pseudonym in entries for pseudonym in secrets.restricted[2:4])
    listed = client.get("/api/v1/requests", headers=matrix.tokens["D"]).text
    assert all(case in listed for case in secrets.case[:1])
    shown = call(matrix, "GET", "/api/v1/content/cases/{reference}", a_case(matrix.node), "D")
    assert shown.status_code == 200 and VICTIM in shown.text


CASES = [(route, column) for route in ROWS for column in PRINCIPALS]


@pytest.mark.parametrize(("route", "column"), CASES, ids=[f"{m} {p} as {c}" for (m, p), c in CASES])
def test_the_route_answers_each_caller_as_the_matrix_says_and_leaks_nothing(
    matrix: Matrix, route: tuple[str, str], column: str
) -> None:
    method, template = route
    setup, statuses = ROWS[route]
    response = call(matrix, method, template, setup(matrix.node), column)
    assert response.status_code == statuses[column], (
        f"{method} {template} as {PRINCIPALS[column]}: {response.status_code} {response.text[:300]}"
    )
    found = leaks(matrix, column, response.text + json.dumps(dict(response.headers)))
    assert not found, f"{method} {template} as {PRINCIPALS[column]} leaks {found}"


# --- restricted answers as missing ---------------------------------------------------------------

MISSING_REFERENCE = "AUT-2026-888888"
MISSING_ENVELOPE = "0" * 32
TAKING_AN_ID = [route for route in ROWS if "{reference}" in route[1] or "{envelope_id}" in route[1]]
HIDDEN_CASES = [(route, column) for route in TAKING_AN_ID for column in PRINCIPALS]


# One body per route (made once, with the module's node): what differs is only the id.
_BODIES: dict[tuple[str, str], Call] = {}


@pytest.mark.parametrize(
    ("route", "column"), HIDDEN_CASES, ids=[f"{m} {p} as {c}" for (m, p), c in HIDDEN_CASES]
)
def test_a_restricted_request_answers_exactly_as_a_missing_one(
    matrix: Matrix, route: tuple[str, str], column: str
) -> None:
    method, template = route
    if route not in _BODIES:
        _BODIES[route] = ROWS[route][0](matrix.node)
    made = _BODIES[route]

    def answer(reference: str, envelope: str) -> tuple[int, str]:
        path = dict(made.path)
        if "reference" in path:
            path["reference"] = reference
        if "envelope_id" in path:
            path["envelope_id"] = envelope
        response = call(matrix, method, template, replace(made, path=path), column)
        text = response.text.replace(reference, "<id>").replace(envelope, "<id>")
        return response.status_code, text

    hidden = answer(matrix.secrets.restricted_reference, RESTRICTED_ENVELOPE)
    missing = answer(MISSING_REFERENCE, MISSING_ENVELOPE)
    assert hidden == missing, f"{method} {template} as {PRINCIPALS[column]}"
