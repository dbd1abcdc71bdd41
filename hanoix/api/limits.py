"""Request bodies have a size limit per route, enforced while they stream in.

:class:`BodyLimitMiddleware` is pure ASGI and the outermost layer of the app, so it acts before
routing, authentication and any body parsing:

* a ``Content-Length`` above the route's limit is answered ``413`` at once, and the body is
  never handed to the application (the server discards it as it arrives);
* a body without a length (``Transfer-Encoding: chunked``) is counted as its pieces arrive; the
  piece that crosses the limit is answered ``413`` and the application is told the client went
  away, so nothing downstream ever holds more than the limit.

The limits are in :data:`ROUTE_LIMITS` (first match wins) and :data:`DEFAULT_BODY_BYTES`, and
are documented in docs/api.md; tests/api/test_body_limits.py holds them, a 50 MiB body against
a served node's memory included.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanoix.api.problems import PROBLEM_MEDIA_TYPE, problem_response
from hanoix.federation.envelope import MAX_ENVELOPE_BYTES
from hanoix.services.content_upload import MAX_BODY_BYTES

KIB = 1024
MIB = 1024 * KIB

#: Sign-in, tokens and second factor: a few short fields.
AUTH_BODY_BYTES = 16 * KIB
#: A request document (create, validate, register, edit) and every step body. The largest
#: request the field bounds allow (docs/requests.md, "Sizes") is 512 KiB of text as it travels;
#: a body written as plain UTF-8 JSON of such a request fits with room to spare.
REQUEST_BODY_BYTES = 1 * MIB
#: One federation envelope (the envelope's own limit) and a batch of them.
ENVELOPE_BODY_BYTES = MAX_ENVELOPE_BYTES
ENVELOPE_BATCH_BODY_BYTES = 8 * MIB
#: One chunk of an evidence package transfer (the sender's chunks are smaller).
TRANSFER_CHUNK_BODY_BYTES = 64 * MIB
#: One range of a file uploaded through the web pages to seal for a request (the page's
#: script sends 8 MiB slices).
UPLOAD_RANGE_BODY_BYTES = 64 * MIB
#: Files sent whole by the evidence page's plain form (a browser without scripts); larger files
#: go in ranges. The node's own evidence_upload_max_bytes is checked by the page as well.
UPLOAD_FORM_BODY_BYTES = 4 * 1024 * MIB
#: A witness exchange: a checkpoint, its cosignatures and a consistency proof.
WITNESS_BODY_BYTES = 256 * KIB
#: One file to match against the node's hash lists (a picture or a short video).
CONTENT_MATCH_BODY_BYTES = 64 * MIB
#: Files added to a removal case at once (the API's upload and the case page's form), held in
#: memory while hashed: never written to a disk in the clear.
CONTENT_ADD_BODY_BYTES = MAX_BODY_BYTES
#: Everything else (user administration, the inbox, the web pages): small JSON or nothing.
DEFAULT_BODY_BYTES = 64 * KIB


@dataclass(frozen=True)
class RouteLimit:
    """The largest body accepted on the paths ``pattern`` matches (any method, unless given)."""

    pattern: re.Pattern[str]
    limit: int
    what: str
    methods: frozenset[str] | None = None
    #: Members added to the problem document: on the node-to-node routes, the envelope
    #: refusal's ``reason`` and ``retryable``, which a sending node's worker reads.
    extra: tuple[tuple[str, object], ...] = ()

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        return self.pattern.fullmatch(path) is not None


_TRANSFER = r"/federation/v1/transfers/[^/]+"
_ENVELOPE_REFUSAL = (("reason", "too-large"), ("retryable", False))

ROUTE_LIMITS: tuple[RouteLimit, ...] = (
    RouteLimit(re.compile(r"/api/v1/auth(/.*)?"), AUTH_BODY_BYTES, "a sign-in or token body"),
    RouteLimit(re.compile(r"/api/v1/requests(/.*)?"), REQUEST_BODY_BYTES, "a request body"),
    RouteLimit(
        re.compile(r"/federation/v1/envelopes"),
        ENVELOPE_BODY_BYTES,
        "an envelope",
        extra=_ENVELOPE_REFUSAL,
    ),
    RouteLimit(
        re.compile(r"/federation/v1/envelopes/batch"),
        ENVELOPE_BATCH_BODY_BYTES,
        "a batch of envelopes",
    ),
    RouteLimit(
        re.compile(_TRANSFER),
        TRANSFER_CHUNK_BODY_BYTES,
        "a chunk of a transfer",
        methods=frozenset({"PUT"}),
    ),
    RouteLimit(
        re.compile(_TRANSFER),
        ENVELOPE_BODY_BYTES,
        "a transfer's announcement",
        extra=_ENVELOPE_REFUSAL,
    ),
    RouteLimit(re.compile(r"/federation/v1/witness"), WITNESS_BODY_BYTES, "a witness exchange"),
    RouteLimit(
        re.compile(r"/api/v1/content/match"),
        CONTENT_MATCH_BODY_BYTES,
        "a file to match",
        methods=frozenset({"POST"}),
    ),
    RouteLimit(
        re.compile(r"/requests/[^/]+/evidence/uploads/[^/]+"),
        UPLOAD_RANGE_BODY_BYTES,
        "a range of an uploaded file",
        methods=frozenset({"PUT"}),
    ),
    RouteLimit(
        re.compile(r"/requests/[^/]+/evidence/files"),
        UPLOAD_FORM_BODY_BYTES,
        "a form of files (larger files are sent in ranges by the page's script)",
        methods=frozenset({"POST"}),
    ),
    RouteLimit(
        re.compile(r"(/api/v1)?/content/cases/[^/]+/content"),
        CONTENT_ADD_BODY_BYTES,
        "files to add to a removal case",
        methods=frozenset({"POST"}),
    ),
)


_DEFAULT = RouteLimit(re.compile(".*"), DEFAULT_BODY_BYTES, "a body")


def route_limit(method: str, path: str) -> RouteLimit:
    """The limit that applies to ``method path``: the first of :data:`ROUTE_LIMITS` that
    matches, else the default."""
    return next((r for r in ROUTE_LIMITS if r.matches(method, path)), _DEFAULT)


def limit_for(method: str, path: str) -> tuple[int, str]:
    """The body limit of ``method path`` in bytes, and what the body is (for the message)."""
    route = route_limit(method, path)
    return route.limit, route.what


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            text = value.decode("latin-1").strip()
            return int(text) if text.isdigit() else None
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, route: RouteLimit) -> None:
    response = problem_response(
        413,
        "too-large",
        f"{route.what} is at most {route.limit} bytes here; send less (see docs/api.md, "
        "body limits)",
    )
    if route.extra:
        body = {**json.loads(bytes(response.body)), **dict(route.extra)}
        response = JSONResponse(body, status_code=413, media_type=PROBLEM_MEDIA_TYPE)
    await response(scope, receive, send)


class BodyLimitMiddleware:
    """Refuses a body larger than its route's limit with ``413 too-large`` while it streams."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route = route_limit(scope["method"], scope["path"])
        limit = route.limit
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, route)
            return
        received = 0
        refused = False
        app_started = False

        async def counted_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not app_started:
                        await _refuse(scope, receive, send, route)
                    # The application stops reading as if the client had gone: it never holds
                    # more than ``limit`` bytes of this body.
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal app_started
            if refused and not app_started:
                return  # the 413 is the answer; what the application says after it is dropped
            if message["type"] == "http.response.start":
                app_started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, guarded_send)
        except Exception:
            # Reading a body cut short raises in the application (a client disconnect); the
            # client has its 413 already. Anything else is the application's error.
            if not refused:
                raise
