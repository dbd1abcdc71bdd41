"""The desks, one per way of working: the 24/7 point of contact's arrivals, the central
authority's requests, the approver's queue.

Each desk lists what the services list for the API (the federation inbox of
``GET /api/v1/federation/inbox``, the requests of ``GET /api/v1/requests``) and acts through the
same service calls; who sees what is decided there, never here.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_timedelta
from fastapi import Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from hanoix.convention import RequestKind, kind_spec
from hanoix.errors import NotFoundError, PermissionDeniedError
from hanoix.requests import Action, Status, User
from hanoix.services import requests as service
from hanoix.services.auth import Principal
from hanoix.services.federation import InboxMessage, inbox_view, pending_inbox_ids
from hanoix.services.monitoring import peer_clocks
from hanoix.services.node import Node
from hanoix.store.requests import ListFilter, RequestSummary
from hanoix.web.nav import opens
from hanoix.web.routing import page_router
from hanoix.web.session import CheckedForm, NodeOf, SignedInUser
from hanoix.web.templating import fragment, gettext_for, language_of, render, time_zone_of

router = page_router()

PAGE_SIZE = 50
ARRIVALS_LIMIT = 200
_ENVELOPE_ID = re.compile(r"[0-9a-f]{32}")
_STATE = re.compile(r"[A-Z]{3}")


def _since(request: Request, then: datetime, now: datetime) -> str:
    """How long ago ``then`` was, in words of the page's language ("3 minutes ago"), to the
    whole minute (the desk's rows change with the minute, not the second)."""
    if now - then < timedelta(minutes=1):  # also a sender's clock a little ahead of ours
        _ = gettext_for(request)
        return str(_("just now"))
    return _span((now - then) // timedelta(minutes=1), language_of(request), ago=True)


@lru_cache(maxsize=4096)
def _span(minutes: int, language: str, *, ago: bool = False) -> str:
    """A span of whole minutes in words ("2 days"; "3 minutes ago" when ``ago``): Babel took
    most of a desk row's time (~0.1 ms), and a desk shows few distinct spans."""
    return format_timedelta(
        timedelta(minutes=-minutes if ago else minutes),
        add_direction=ago,
        threshold=1.5,
        locale=language,
    )


def _time_left(request: Request, due: datetime, now: datetime) -> str:
    """The time left until ``due`` ("3 hours left"), or how late it is ("2 days late")."""
    _ = gettext_for(request)
    if abs(due - now) < timedelta(minutes=1):
        return str(_("due now"))
    span = _span(abs(due - now) // timedelta(minutes=1), language_of(request))
    if due <= now:
        return str(_("%(time)s late") % {"time": span})
    return str(_("%(time)s left") % {"time": span})


# --- the 24/7 desk ------------------------------------------------------------------------


@dataclass(frozen=True)
class Arrival:
    """A received message as a row of the 24/7 desk."""

    message: InboxMessage
    since: str
    label: str
    detail: str | None


def _arrival_labels(request: Request) -> dict[str, str]:
    _ = gettext_for(request)
    return {
        "request.sent": _("New request"),
        "request.step": _("Step on a request"),
        "federation.notice": _("Notice"),
        "federation.ping": _("Connectivity check"),
        "evidence.package": _("Evidence package"),
    }


def _arrivals_shown(request: Request, messages: list[InboxMessage], now: datetime) -> list[Arrival]:
    labels = _arrival_labels(request)
    return [_arrival(request, message, now, labels) for message in messages]


def _arrival(
    request: Request, message: InboxMessage, now: datetime, labels: dict[str, str]
) -> Arrival:
    payload = message.payload
    detail = None
    if message.type == "request.sent":
        document = payload.get("document")
        kind = document.get("kind") if isinstance(document, dict) else None
        detail = _kind_title(kind) if isinstance(kind, str) else None
    elif message.type == "request.step" and isinstance(payload.get("action"), str):
        detail = str(payload["action"]).replace("_", " ")
    elif message.type == "federation.notice" and isinstance(payload.get("text"), str):
        detail = str(payload["text"])[:300]
    return Arrival(
        message,
        _since(request, message.received_at, now),
        labels.get(message.type, message.type),
        detail,
    )


def _officer(request: Request, user: Principal) -> None:
    if not opens("24-7", user.roles):
        _ = gettext_for(request)
        raise PermissionDeniedError(
            _("The 24/7 desk is for the officers of a 24/7 point of contact (Art. 41).")
        )


def _tag(request: Request, now: datetime, envelope_ids: Iterable[str]) -> str:
    """What the desk shows, in 20 characters: it changes when the messages (or the minute, the
    language or the time zone) do."""
    zone = time_zone_of(request).key
    parts = [now.strftime("%Y%m%d%H%M"), language_of(request), zone, *envelope_ids]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:20]


def _officer_on_duty(request: Request, node: Node, user: Principal) -> User:
    _officer(request, user)
    return service.user_for_principal(node, user)


class _KeptRows:
    """The desk's rows as made for a tag, the last few: every officer of a unit who sees the
    same messages (their desks open, polled every second) is sent the same rows, made once a
    minute rather than once per officer and poll. Rows hold nothing of one user."""

    SIZE = 32

    def __init__(self) -> None:
        self._rows: OrderedDict[tuple[str, str], tuple[Markup, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str]) -> tuple[Markup, int] | None:
        with self._lock:
            found = self._rows.get(key)
            if found is not None:
                self._rows.move_to_end(key)
            return found

    def keep(self, key: tuple[str, str], rows: tuple[Markup, int]) -> None:
        with self._lock:
            self._rows[key] = rows
            self._rows.move_to_end(key)
            while len(self._rows) > self.SIZE:
                self._rows.popitem(last=False)


_kept_rows = _KeptRows()


def _desk_rows(
    request: Request, node: Node, officer: User, ids: list[str] | None = None
) -> tuple[str, Markup, int]:
    """The desk's tag, rows and their number. The tag changes when the messages (or the
    minute, the language, the time zone) do: the page asks every second with the tag it shows
    and is sent nothing new while it still holds. ``ids``: the pending messages' ids, if read."""
    now = node.clock.now()
    if ids is None:
        ids = pending_inbox_ids(node, officer, limit=ARRIVALS_LIMIT)
    home, tag = str(node.settings.home), _tag(request, now, ids)
    kept = _kept_rows.get((home, tag))
    if kept is not None:
        return tag, *kept
    messages = inbox_view(node, officer, pending_only=True, limit=ARRIVALS_LIMIT)
    # The tag of what is shown: a message may have arrived since the ids were read.
    tag = _tag(request, now, (m.envelope_id for m in messages))
    rows = fragment(
        request, "desk_24_7_rows.html", {"arrivals": _arrivals_shown(request, messages, now)}
    )
    _kept_rows.keep((home, tag), (rows, len(messages)))
    return tag, rows, len(messages)


@router.get("/desk/24-7", response_class=HTMLResponse)
def desk_24_7(request: Request, user: SignedInUser, node: NodeOf) -> HTMLResponse:
    tag, rows, count = _desk_rows(request, node, _officer_on_duty(request, node, user))
    context = {
        "rows": rows,
        "count": count,
        "tag": tag,
        "done": request.query_params.get("done"),
        # A peer's clock off by minutes spoils its timestamps and, past max_skew, gets its
        # envelopes refused: the officers on duty are told first (docs/monitoring.md).
        "clocks": [
            (clock.peer, clock.drift, round(abs(clock.offset)))
            for clock in peer_clocks(node)
            if clock.drift is not None
        ],
    }
    return render(request, "desk_24_7.html", context)


@router.get("/desk/24-7/arrivals", response_class=HTMLResponse)
def desk_24_7_arrivals(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    shown: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """The rows alone, for htmx to swap in; nothing (204: no swap) while the page is current,
    so that the keyboard focus and a screen reader's place stay where they are. The rows are
    made only when they are sent: most polls of an officer's desk change nothing."""
    officer = _officer_on_duty(request, node, user)
    # Most polls change nothing: their answer is decided from the messages' ids alone.
    ids = pending_inbox_ids(node, officer, limit=ARRIVALS_LIMIT)
    if shown == _tag(request, node.clock.now(), ids):
        return Response(status_code=204)
    tag, rows, count = _desk_rows(request, node, officer, ids)
    return render(request, "desk_24_7_arrivals.html", {"rows": rows, "count": count, "tag": tag})


@router.post("/desk/24-7/{envelope_id}/acknowledge", dependencies=[CheckedForm])
def acknowledge(request: Request, envelope_id: str, user: SignedInUser, node: NodeOf) -> Response:
    officer = _officer_on_duty(request, node, user)
    if not _ENVELOPE_ID.fullmatch(envelope_id):
        _ = gettext_for(request)
        raise NotFoundError(_("There is no such received message."))
    node.federation.acknowledge(envelope_id, officer)
    return RedirectResponse("/desk/24-7?done=acknowledged", status_code=303)


# --- the requests desk ---------------------------------------------------------------------


def _kind_title(code: str) -> str:
    try:
        return kind_spec(code).title
    except (NotFoundError, ValueError, KeyError):
        return code


def status_labels(request: Request) -> dict[str, str]:
    _ = gettext_for(request)
    return {
        Status.DRAFT: _("Draft"),
        Status.AWAITING_APPROVAL: _("Awaiting approval"),
        Status.APPROVED: _("Approved"),
        Status.SENT: _("Sent"),
        Status.RECEIVED: _("Received"),
        Status.ACKNOWLEDGED: _("Acknowledged"),
        Status.MORE_INFORMATION_REQUESTED: _("More information requested"),
        Status.IN_EXECUTION: _("In execution"),
        Status.PARTIALLY_EXECUTED: _("Partially executed"),
        Status.EXECUTED: _("Executed"),
        Status.POSTPONED: _("Postponed"),
        Status.REFUSED: _("Refused"),
        Status.WITHDRAWN: _("Withdrawn"),
        Status.CLOSED: _("Closed"),
    }


@dataclass(frozen=True)
class Row:
    """A request as a row of a desk: what the list says, and the time left in words."""

    summary: RequestSummary
    kind: str
    incoming: bool
    other_state: str
    status: str
    left: str | None
    overdue: bool


def _row(request: Request, summary: RequestSummary, now: datetime, labels: dict[str, str]) -> Row:
    due = summary.next_deadline
    incoming = summary.side == "requested"
    return Row(
        summary,
        _kind_title(summary.kind),
        incoming,
        summary.requesting_state if incoming else summary.requested_state,
        labels.get(summary.status, summary.status),
        _time_left(request, due, now) if due is not None else None,
        due is not None and due <= now,
    )


@dataclass
class Filters:
    """The desk's filter form as typed, what it means for the list, and what is wrong in it."""

    values: dict[str, str]
    problems: dict[str, str]
    list_filter: ListFilter


def _filters(request: Request, values: dict[str, str]) -> Filters:
    _ = gettext_for(request)
    problems: dict[str, str] = {}
    kind, status, side = values["kind"], values["status"], values["side"]
    if kind and kind not in {k.value for k in RequestKind}:
        problems["kind"] = _("Choose a kind of request from the list.")
    if status and status not in {s.value for s in Status}:
        problems["status"] = _("Choose a status from the list.")
    if side and side not in ("requested", "requesting"):
        problems["side"] = _("Choose incoming or outgoing.")
    state = values["state"].strip().upper()
    if state and not _STATE.fullmatch(state):
        problems["state"] = _("Type a State's three-letter code (ISO 3166-1 alpha-3), e.g. AUT.")
    before = None
    if values["deadline_before"]:
        try:
            day = date.fromisoformat(values["deadline_before"])
        except ValueError:
            problems["deadline_before"] = _("Type the date as YYYY-MM-DD, e.g. 2026-12-31.")
        else:
            # The start of that day on the user's clock: "before 31 December" in Vienna.
            local = datetime.combine(day, time(), tzinfo=time_zone_of(request))
            before = local.astimezone(UTC)
    values = {**values, "state": state}
    if problems:
        return Filters(values, problems, ListFilter())
    chosen = ListFilter(
        kind=kind or None,
        state=state or None,
        status=status or None,
        side=side or None,
        deadline_before=before,
        text=values["text"] or None,
    )
    return Filters(values, problems, chosen)


def _query(values: dict[str, str], **changes: str) -> str:
    merged = {**values, **changes}
    return urlencode({k: v for k, v in merged.items() if v})


@router.get("/desk/requests", response_class=HTMLResponse)
def desk_requests(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    kind: Annotated[str, Query(max_length=40)] = "",
    state: Annotated[str, Query(max_length=10)] = "",
    status: Annotated[str, Query(max_length=40)] = "",
    side: Annotated[str, Query(max_length=12)] = "",
    deadline_before: Annotated[str, Query(max_length=20)] = "",
    text: Annotated[str, Query(max_length=100)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> HTMLResponse:
    domain_user = service.user_for_principal(node, user)
    given = {
        "kind": kind,
        "state": state,
        "status": status,
        "side": side,
        "deadline_before": deadline_before,
        "text": text.strip(),
    }
    filters = _filters(request, given)
    now = node.clock.now()
    labels = status_labels(request)
    rows: list[Row] = []
    counts: dict[str, int] = {}
    next_cursor = None
    if not filters.problems:
        page, counts = service.list_and_count(
            node,
            domain_user,
            filters.list_filter,
            limit=PAGE_SIZE,
            cursor=cursor or None,
            order="deadline",
        )
        rows = [_row(request, item, now, labels) for item in page.items]
        next_cursor = page.next_cursor
    else:
        # The service's own permission check still runs: a role without the desk learns
        # nothing from a malformed filter either.
        service.require_role(domain_user, Action.VIEW)
    context: dict[str, Any] = {
        "rows": rows,
        "filters": filters,
        "kinds": sorted(((k.value, _kind_title(k.value)) for k in RequestKind), key=lambda x: x[1]),
        "statuses": list(labels.items()),
        "counts": [(code, label, counts.get(code, 0)) for code, label in labels.items()],
        "total": sum(counts.values()),
        "next_query": _query(given, cursor=next_cursor) if next_cursor else None,
        "first_query": _query(given) if cursor else None,
        "status_query": {code: _query(given, status=code) for code in labels},
        "all_statuses_query": _query({**given, "status": ""}),
    }
    return render(
        request, "desk_requests.html", context, status_code=400 if filters.problems else 200
    )


# --- the approver's queue ------------------------------------------------------------------


@router.get("/desk/approvals", response_class=HTMLResponse)
def desk_approvals(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> HTMLResponse:
    domain_user = service.user_for_principal(node, user)
    queue, next_cursor = service.approval_queue(
        node, domain_user, limit=PAGE_SIZE, cursor=cursor or None
    )
    now, labels = node.clock.now(), status_labels(request)
    mine = [_row(request, item.request, now, labels) for item in queue if item.refused is None]
    others = [
        (_row(request, item.request, now, labels), item.refused) for item in queue if item.refused
    ]
    context = {
        "mine": mine,
        "others": others,
        "since": {
            item.request.reference: _since(request, item.request.updated_at, now) for item in queue
        },
        "next_query": urlencode({"cursor": next_cursor}) if next_cursor else None,
    }
    return render(request, "desk_approvals.html", context)
