"""Benchmark (not a test): the web pages on PostgreSQL, over HTTP on loopback, from several
signed-in users at once.

Seeds ``--requests`` request copies (default 100,000) into a fresh PostgreSQL database: outgoing
and incoming, of every kind the Convention provides for that walks the path, to five States,
at every stage of their lives (draft to closed, received to executed or postponed), each step
recorded in the custody ledger as the services record it (so a request's page proves a real
custody history), the incoming ones arrived as messages on the 24/7 desk (the newest
``--pending`` not yet acknowledged). It then starts a real ``hanoix serve`` process on 127.0.0.1
(``--workers`` processes, one per core unless told), signs ``--users`` users in through
``/sign-in`` as a browser does (the form token, the session cookie), and measures from all of
them at once (one thread and one keep-alive ``httpx.Client`` each), every user making ``--runs``
calls per line:

* references, measured in the same run: a static file of the same server (the HTTP stack
  alone) and a request as ``GET /api/v1/requests/{ref}`` gives it (the JSON of the request's
  page without its history or rendering); every page's throughput is a ratio of the API's;
* the central authority's desk, ``/desk/requests``: unfiltered, and filtered by kind, status and
  State, by deadline, by text;
* the 24/7 desk, ``/desk/24-7``, and the rows it asks for every second
  (``/desk/24-7/arrivals``, as a page that is current asks: 204, and as one that is not);
* a request's page, ``/requests/{ref}``, over requests of every kind and stage;
* the drafting form, ``/requests/new/{kind}``, over every kind;
* the live validation round trip, the htmx ``POST /requests/new/{kind}/check`` the form sends
  as the user types (a half-filled form, with the form token in ``X-CSRF-Token``).

Prints requests per second (all users together) and p50/p95/p99 latencies, then each against
the targets of issue 14: desk, request page and drafting form at p95 under 150 ms and the live
validation under 100 ms, with 8 users on this 2-core machine. The load average is printed
before and after: the machine may be shared. Usage::

    .venv/bin/python -m benchmarks.web --requests 5000 --runs 20
    HANOIX_BENCH_PG=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python -m benchmarks.web

The seeded requests are walked through the domain's own steps (templates, copied with their own
ids, references and times) and written in bulk through the store and the custody service; their
creation is not what is measured.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from subprocess import Popen
from typing import Any

import httpx
import psycopg
from sqlalchemy import insert, select, text

from benchmarks.requests_api import (
    ADMIN_URL,
    Figures,
    _flush,
    _free_port,
    load_average,
    measure,
    positive,
    start_server,
    stop_server,
    wait_until_serving,
)
from hanoix.clock import FixedClock, SystemClock
from hanoix.config import load_settings
from hanoix.convention import RequestKind
from hanoix.documents.drafting import drafting_form
from hanoix.errors import HanoixError
from hanoix.federation import request_wire
from hanoix.logs import configure_logging
from hanoix.requests import (
    Action,
    Authority,
    AuthorityKind,
    CooperationRequest,
    Counterpart,
    NodeActor,
    Party,
    Postponement,
    RequestReference,
    RequestTerms,
    Role,
    StateProfile,
    User,
    deadlines_for,
    validate,
)
from hanoix.requests.lifecycle import (
    IncomingRequest,
    NewRequest,
    RequestEvent,
    Step,
    apply,
    draft_request,
    register_incoming,
)
from hanoix.requests.transitions import TRANSITIONS_BY_ACTION
from hanoix.services import custody
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from hanoix.store import federation as federation_store
from hanoix.store import ledger as ledger_store
from hanoix.store import requests as store
from tests.requests.builders import channel_for, complete_contents, in_force
from tests.services.requests_world import add_people
from tests.web.pages import PASSWORD, form_token

TARGET_USERS = 8
PAGE_TARGET_P95_MS = 150.0
CHECK_TARGET_P95_MS = 100.0

HOME_STATE = "AUT"
OTHERS = {
    "VNM": "Asia/Ho_Chi_Minh",
    "ZAF": "Africa/Johannesburg",
    "FRA": "Europe/Paris",
    "BRA": "America/Sao_Paulo",
    "JPN": "Asia/Tokyo",
}
VIENNA = "Europe/Vienna"
CA = Authority("AUT-CA", HOME_STATE, AuthorityKind.CENTRAL_AUTHORITY)
POC = Authority("AUT-POC", HOME_STATE, AuthorityKind.POINT_OF_CONTACT_24_7)
AUTHORITIES = (("AUT-CA", "central-authority", "AUT"), ("AUT-POC", "contact-24-7", "AUT"))
# Who takes the seeded steps (node users without a password: they never sign in here).
DRAFTER = User("lawyer", CA, frozenset({Role.DRAFTER}))
APPROVER = User("head", CA, frozenset({Role.APPROVER}))
EXAMINER = User("examiner", CA, frozenset({Role.EXAMINER}))
DUTY = User("duty", POC, frozenset({Role.OFFICER_24_7}))
STEP_USERS = {
    "lawyer": ({"drafter"}, "AUT-CA"),
    "head": ({"approver"}, "AUT-CA"),
    "examiner": ({"examiner"}, "AUT-CA"),
    "duty": ({"officer_24_7"}, "AUT-POC"),
}

# The stages a seeded request is at, as the steps that lead there from its creation.
OUTGOING: dict[str, list[tuple[Action, str]]] = {
    "draft": [],
    "awaiting_approval": [(Action.SUBMIT, "drafter")],
    "approved": [(Action.SUBMIT, "drafter"), (Action.APPROVE, "approver")],
    "sent": [(Action.SUBMIT, "drafter"), (Action.APPROVE, "approver"), (Action.SEND, "drafter")],
}
OUTGOING["received"] = [*OUTGOING["sent"], (Action.RECEIVE, "other")]
OUTGOING["executed"] = [
    *OUTGOING["received"],
    (Action.ACKNOWLEDGE, "other"),
    (Action.START_EXECUTION, "other"),
    (Action.EXECUTE, "other"),
]
OUTGOING["closed"] = [*OUTGOING["executed"], (Action.CLOSE, "drafter")]
INCOMING: dict[str, list[tuple[Action, str]]] = {
    "received": [],
    "acknowledged": [(Action.ACKNOWLEDGE, "handler")],
    "in_execution": [(Action.ACKNOWLEDGE, "handler"), (Action.START_EXECUTION, "examiner")],
    "postponed": [(Action.ACKNOWLEDGE, "handler"), (Action.POSTPONE, "approver")],
    "executed": [
        (Action.ACKNOWLEDGE, "handler"),
        (Action.START_EXECUTION, "examiner"),
        (Action.EXECUTE, "examiner"),
    ],
}


@dataclass(frozen=True)
class Template:
    """A request walked to a stage, with the event of each of its steps."""

    request: CooperationRequest
    events: tuple[RequestEvent, ...]


def _profile(state: str) -> StateProfile:
    return StateProfile(state, OTHERS[state], frozenset({"en"}), central_authority=f"{state}-CA")


def _walk(first: Step, path: list[tuple[Action, str]], at: datetime) -> Template:
    request, events = first.request, [first.event]
    handler = DUTY if request.handled_by == POC.code else DRAFTER
    actors: dict[str, User | Counterpart] = {
        "drafter": DRAFTER,
        "approver": APPROVER,
        "examiner": EXAMINER,
        "handler": handler,
        "other": Counterpart(request.requested.state, request.requested.authority),
    }
    for hours, (action, who) in enumerate(path, start=1):
        when = at + timedelta(hours=hours)
        report = None
        if TRANSITIONS_BY_ACTION[action].needs_valid:
            report = validate(request, _profile(request.requested.state), in_force, when)
        payload = None
        if action is Action.POSTPONE:
            payload = Postponement(until=(when + timedelta(days=60)).date(), reason="a search")
        note = "done" if TRANSITIONS_BY_ACTION[action].needs_note else None
        step = apply(request, action, actors[who], when, payload=payload, note=note, report=report)
        request, events = step.request, [*events, step.event]
    return Template(request, tuple(events))


def _terms(kind: RequestKind, proceeding: str) -> RequestTerms:
    urgent = channel_for(kind).value == "contact-24-7"
    return RequestTerms(
        language="en",
        proceeding=proceeding,
        contents=complete_contents(kind),
        legal_basis_other="bilateral treaty",
        dual_criminality=True,
        convention_offence=True,
        urgent=urgent,
    )


def templates(at: datetime) -> list[Template]:
    """Every kind that walks each stage's path, to every other State, both ways."""
    found: list[Template] = []
    counter = iter(range(1, 1_000_000))
    for kind in RequestKind:
        for state, zone in OTHERS.items():
            for path in OUTGOING.values():
                spec = NewRequest(
                    kind=kind,
                    requesting=Party(HOME_STATE, CA.code, VIENNA),
                    requested=Party(state, f"{state}-CA", zone),
                    channel=channel_for(kind),
                    terms=_terms(kind, "StA Wien 123 Js 456/26"),
                )
                try:
                    first = draft_request(
                        spec, author=DRAFTER, at=at, new_id=lambda: "t", sequence=next(counter)
                    )
                    found.append(_walk(first, path, at))
                except HanoixError:
                    continue  # a step this kind does not take (e.g. no execution to start)
            for path in INCOMING.values():
                handled_by = POC.code if channel_for(kind).value == "contact-24-7" else CA.code
                incoming = IncomingRequest(
                    reference=RequestReference(state, 2026, next(counter)),
                    kind=kind,
                    requesting=Party(state, f"{state}-CA", zone),
                    requested=Party(HOME_STATE, handled_by, VIENNA),
                    handled_by=handled_by,
                    channel=channel_for(kind),
                    terms=_terms(kind, f"{state} prosecution 77/2026"),
                )
                try:
                    first = register_incoming(
                        incoming, actor=NodeActor(HOME_STATE), at=at, new_id=lambda: "t"
                    )
                    found.append(_walk(first, path, at))
                except HanoixError:
                    continue
    return found


def _shift(value: Any, by: timedelta) -> Any:
    """``value`` with every datetime in it (dataclasses, tuples, one level of nesting at a
    time) moved by ``by``: a template's copy keeps its spacing of steps and periods."""
    if isinstance(value, datetime):
        return value + by
    if isinstance(value, tuple):
        return tuple(_shift(item, by) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for f in dataclasses.fields(value):
            if not f.init:
                continue
            current = getattr(value, f.name)
            if isinstance(current, datetime | tuple) or (
                dataclasses.is_dataclass(current) and f.name != "terms"
            ):
                changes[f.name] = _shift(current, by)
        return replace(value, **changes) if changes else value
    return value


def copy_of(template: Template, number: int, at: datetime) -> Template:
    """The template as a request of its own: id, reference, proceeding, times from ``at``."""
    by = at - template.request.created_at
    original = template.request
    reference = RequestReference(original.reference.state, at.year, number)
    request = _shift(
        replace(
            original,
            id=str(uuid.uuid4()),
            reference=reference,
            terms=replace(original.terms, proceeding=f"{original.terms.proceeding} #{number}"),
        ),
        by,
    )
    events = tuple(
        replace(event, request_id=request.id, reference=reference, at=event.at + by)
        for event in template.events
    )
    return Template(request, events)


def _next_deadline(request: CooperationRequest) -> datetime | None:
    dues = [d.due for d in deadlines_for(request) if d.due is not None]
    return min(dues) if dues else None


def _arrival(request: CooperationRequest, pending: bool, now: datetime) -> dict[str, Any]:
    """The 24/7 desk's message for an incoming request, as the inbox keeps it."""
    received = request.created_at
    payload = {
        "reference": str(request.reference),
        "sent_at": received.isoformat().replace("+00:00", "Z"),
        "authority": request.requesting.authority,
        "document": request_wire.encode_request(request),
        "evidence_key": None,
    }
    return {
        "envelope_id": uuid.uuid4().hex,
        "sender": f"https://{request.requesting.state.lower()}.example",
        "type": "request.sent",
        "urgent": request.urgent,
        "in_reply_to": None,
        "created_at": received,
        "expires_at": received + timedelta(days=7),
        "received_at": received,
        "digest": "0" * 64,
        "payload": json.dumps(payload, separators=(",", ":")),
        "receipt": "{}",
        "duplicates": 0,
        "acknowledged_at": None if pending else received + timedelta(minutes=20),
        "acknowledged_by": None if pending else "duty",
        "request_reference": str(request.reference),
    }


def seed(node: Node, count: int, pending: int, now: datetime) -> dict[str, int]:
    """Insert ``count`` requests spread over the year before ``now`` (newest last), with their
    steps and custody events; the newest ``pending`` arrivals are still to acknowledge."""
    start = now - timedelta(days=365)
    made = templates(start)
    spacing = timedelta(days=365) / count
    incoming_total = sum(1 for i in range(count) if made[i % len(made)].request.side == "requested")
    statuses: dict[str, int] = {}
    rows: list[dict[str, Any]] = []
    events: list[Any] = []
    requests_batch: list[CooperationRequest] = []
    arrivals: list[dict[str, Any]] = []
    seen_incoming = 0
    for i in range(count):
        copy = copy_of(made[i % len(made)], i + 1, start + spacing * i)
        request = copy.request
        statuses[request.status.value] = statuses.get(request.status.value, 0) + 1
        rows.append({"id": request.id, **store.row_values(request, _next_deadline(request))})
        requests_batch.append(request)
        events.extend(event.custody_event() for event in copy.events)
        if request.side == "requested":
            seen_incoming += 1
            arrivals.append(_arrival(request, seen_incoming > incoming_total - pending, now))
        if len(rows) == 2000 or i == count - 1:
            _write(node, rows, requests_batch, events, arrivals)
            rows, requests_batch, events, arrivals = [], [], [], []
    with node.unit_of_work() as session:
        for state in (HOME_STATE, *OTHERS):
            for year in sorted({start.year, now.year}):
                row = {"state": state, "year": year, "last_value": count}
                session.execute(insert(store.RequestSequenceRow).values(**row))
    CustodyLedger(node).checkpoint()  # as a live node's signer keeps the head signed
    # Planner statistics and the visibility map, as autovacuum keeps them on a live node's
    # tables (a bulk load has neither: every plan would be a guess, no index read alone).
    tables = ("requests", "request_steps", "ledger_entries", "ledger_nodes", "federation_inbox")
    with node.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.execute(text(f"VACUUM ANALYZE {table}"))
    return statuses


def _write(
    node: Node,
    rows: list[dict[str, Any]],
    requests: list[CooperationRequest],
    events: list[Any],
    arrivals: list[dict[str, Any]],
) -> None:
    _flush(node, rows)
    with node.unit_of_work() as session:
        recorded = custody.record_entries(session, events, clock=node.clock)
        steps: list[dict[str, Any]] = []
        position = 0
        for request in requests:
            mine = recorded[position : position + request.version]
            position += request.version
            steps.extend(store.step_rows(request, 0, [(index, e.as_dict()) for index, e in mine]))
        session.execute(insert(store.RequestStepRow.__table__), steps)
        if arrivals:
            session.execute(insert(federation_store.InboxRow.__table__), arrivals)


# --- measuring ------------------------------------------------------------------------------


def users_named(count: int) -> list[str]:
    return [f"clerk{n}" for n in range(1, count + 1)]


def sign_in(base: str, username: str) -> httpx.Client:
    """A browser's session: the sign-in page's form token, the form, the session cookie."""
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    page = client.get("/sign-in")
    answer = client.post(
        "/sign-in",
        data={"csrf_token": form_token(page.text), "username": username, "password": PASSWORD},
    )
    if answer.status_code != 303:
        raise SystemExit(f"signing in {username}: {answer.status_code} {answer.text[:300]}")
    return client


_ARRIVALS_TAG = re.compile(r'data-tag="([0-9a-f]+)"')


def _every(values: list[str]) -> Callable[[int], str]:
    return lambda i: values[i % len(values)]


def _check_form(kind: str, i: int) -> dict[str, str]:
    """What the form sends as someone types: the envelope and the first content, half done."""
    first = next(f.path for f in drafting_form(RequestKind(kind)).fields if f.is_content)
    return {
        "requested_state": "VNM",
        "language": "en",
        "proceeding": f"StA Wien {i} Js 456/26",
        first: "Unauthorised access to a bank's servers" if i % 2 else "",
    }


def run_phases(
    clients: list[httpx.Client], runs: int, references: list[str], kinds: list[str], only: str = ""
) -> list[tuple[Figures, float | None]]:
    """Every line, printed as measured; returns each with its p95 target (None: no target)."""
    token = {"X-CSRF-Token": _csrf(clients[0]), "HX-Request": "true"}
    # Each client keeps its own token (its own session).
    tokens = {id(c): {**token, "X-CSRF-Token": _csrf(c)} for c in clients}
    reference_of = _every(references)
    kind_of = _every(kinds)
    for _warm in range(2):
        measure("warm-up", clients, 1, lambda c, i: c.get(f"/api/v1/requests/{reference_of(i)}"))
    static = measure("static file (reference)", clients, runs, lambda c, i: c.get(_STYLE))
    api = measure(
        "API request JSON (reference)",
        clients,
        runs,
        lambda c, i: c.get(f"/api/v1/requests/{reference_of(i)}"),
    )
    print(static.line(None))
    print(api.line(None))
    # Each client polls as its open page does: with the tag it holds, taking the new one from
    # each answer that brings rows (the tag changes with the minute, as the times shown do).
    shown: dict[int, str] = {}
    answered: Counter[int] = Counter()

    def poll(client: httpx.Client) -> httpx.Response:
        answer = client.get("/desk/24-7/arrivals", params={"shown": shown.get(id(client), "")})
        answered[answer.status_code] += 1
        found = _ARRIVALS_TAG.search(answer.text) if answer.status_code == 200 else None
        if found:
            shown[id(client)] = found.group(1)
        return answer

    lines: list[tuple[str, float | None, Callable[[httpx.Client, int], httpx.Response]]] = [
        ("desk", PAGE_TARGET_P95_MS, lambda c, i: c.get("/desk/requests")),
        (
            "desk kind+status+State",
            PAGE_TARGET_P95_MS,
            lambda c, i: c.get(
                "/desk/requests",
                params={
                    "kind": ("mla", "preservation", "stored-data-access")[i % 3],
                    "status": ("sent", "received", "executed")[i % 3],
                    "state": list(OTHERS)[i % len(OTHERS)],
                },
            ),
        ),
        (
            "desk deadline before",
            PAGE_TARGET_P95_MS,
            lambda c, i: c.get("/desk/requests", params={"deadline_before": "2027-01-31"}),
        ),
        (
            "desk text",
            PAGE_TARGET_P95_MS,
            # A reference's number as a clerk pastes it (without the State).
            lambda c, i: c.get("/desk/requests", params={"text": reference_of(i)[4:]}),
        ),
        (
            "desk next page",
            PAGE_TARGET_P95_MS,
            lambda c, i: c.get(_next_page(c)),
        ),
        ("24/7 desk", PAGE_TARGET_P95_MS, lambda c, i: c.get("/desk/24-7")),
        (
            "24/7 poll, current (204)",
            None,
            lambda c, i: poll(c),
        ),
        (
            "24/7 poll, changed",
            None,
            lambda c, i: c.get("/desk/24-7/arrivals", params={"shown": "0"}),
        ),
        ("request page", PAGE_TARGET_P95_MS, lambda c, i: c.get(f"/requests/{reference_of(i)}")),
        ("drafting form", PAGE_TARGET_P95_MS, lambda c, i: c.get(f"/requests/new/{kind_of(i)}")),
        (
            "live validation (check)",
            CHECK_TARGET_P95_MS,
            lambda c, i: c.post(
                f"/requests/new/{kind_of(i)}/check",
                data=_check_form(kind_of(i), i),
                headers=tokens[id(c)],
            ),
        ),
    ]
    results: list[tuple[Figures, float | None]] = []
    for name, target, call in lines:
        if not any(part.strip() in name for part in only.split(",")):
            continue
        # One call each first, unmeasured: templates compiled, a kind's form built once.
        measure(name, clients, 1, call)
        answered.clear()
        figures = measure(name, clients, runs, call)
        print(figures.line(api, versus="API"))
        if name.startswith("24/7 poll, current") and answered:
            print(f"{'':32}answers: {dict(sorted(answered.items()))} (204: the page was current)")
        results.append((figures, target))
    return results


_STYLE = "/static/hanoix.css"
_NEXT = re.compile(r'href="/desk/requests\?([^"]*cursor=[^"]+)"')
_next_pages: dict[int, str] = {}


def _next_page(client: httpx.Client) -> str:
    """The desk's second page (its cursor), read once per user."""
    if id(client) not in _next_pages:
        found = _NEXT.search(client.get("/desk/requests").text)
        query = found.group(1).replace("&amp;", "&") if found else ""
        _next_pages[id(client)] = f"/desk/requests?{query}"
    return _next_pages[id(client)]


def _csrf(client: httpx.Client) -> str:
    return form_token(client.get("/requests/new/mla").text)


def verdict(results: list[tuple[Figures, float | None]], users: int) -> Iterator[str]:
    for figures, target in results:
        if target is None:
            continue
        p95 = figures.percentile_ms(0.95)
        met = users >= TARGET_USERS and p95 < target
        yield (
            f"{figures.name:<28} p95 {p95:7.2f} ms   target < {target:.0f} ms with "
            f"{TARGET_USERS} users: {'met' if met else 'missed'}"
        )


def _seeded(node: Node, args: argparse.Namespace, now: datetime) -> None:
    node.initialise()
    add_people(node, AUTHORITIES, STEP_USERS)
    people = {name: ({"drafter", "officer_24_7"}, CA.code) for name in users_named(args.users)}
    add_people(node, (), people, password=PASSWORD)
    t = time.perf_counter()
    statuses = seed(node, args.requests, args.pending, now)
    with node.unit_of_work() as session:
        size = ledger_store.tree_head(session).size
    print(
        f"seeded {args.requests} requests ({size} custody events) in "
        f"{time.perf_counter() - t:.1f} s (PostgreSQL): "
        + ", ".join(f"{n} {s}" for s, n in sorted(statuses.items()))
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=positive, default=100_000, help="requests to seed")
    parser.add_argument(
        "--pending", type=positive, default=120, help="arrivals not yet acknowledged"
    )
    parser.add_argument("--runs", type=positive, default=60, help="calls per user per line")
    parser.add_argument("--users", type=positive, default=TARGET_USERS, help="signed in at once")
    parser.add_argument(
        "--workers",
        type=positive,
        default=os.cpu_count() or 1,
        help="hanoix serve --workers (default: one per core, as a node on this machine is run)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="HOME",
        help="keep the node's home and database in HOME, or measure again the ones kept there "
        "(no new seed: for profiling one change after another); drop the database with "
        "'DROP DATABASE' and the folder by hand",
    )
    parser.add_argument(
        "--only",
        default="",
        help="measure only the lines whose name contains one of these texts (comma-separated)",
    )
    args = parser.parse_args()
    configure_logging("warning")

    kept = args.keep / "webbench.json" if args.keep else None
    if kept is not None and kept.is_file():
        database, seeded = json.loads(kept.read_text())["database"], True
    else:
        database, seeded = f"hanoix_webbench_{os.getpid()}", False
        with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{database}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    home = args.keep or Path(tempfile.mkdtemp(prefix="hanoix-webbench-"))
    home.mkdir(parents=True, exist_ok=True)
    now = SystemClock().now()
    node = Node.open(load_settings(home, environ={}, database_url=url), clock=FixedClock(now))
    server: Popen[bytes] | None = None
    clients: list[httpx.Client] = []
    try:
        if not seeded:
            _seeded(node, args, now)
            if kept is not None:
                kept.write_text(json.dumps({"database": database}))
                print(f"kept: database {database}, home {home}")
        with node.reading() as session:
            # Ids are random: requests of every age, kind and stage.
            sample = list(
                session.scalars(
                    select(store.RequestRow.reference).order_by(store.RequestRow.id).limit(200)
                )
            )
        node.close()  # the server's connections only, while measuring
        port = _free_port()
        server = start_server(home, url, port, args.workers)
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(server, home, f"{base}/api/v1/health")
        clients = [sign_in(base, name) for name in users_named(args.users)]
        workers = str(args.workers)
        print(
            f"hanoix serve (workers: {workers}), {args.users} signed-in users, "
            f"{args.runs} calls each per line"
        )
        print(f"load average before: {load_average()}")
        kinds = [k.value for k in RequestKind]
        results = run_phases(clients, args.runs, sample, kinds, args.only)
        print(f"load average after:  {load_average()}")
        for line in verdict(results, args.users):
            print(line)
    finally:
        for client in clients:
            client.close()
        if server is not None:
            stop_server(server)
        node.close()
        if kept is None:
            with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
