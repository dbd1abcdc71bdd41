"""One structured log line per HTTP request: method, route, status, duration. Never bodies."""

from __future__ import annotations

import time
import uuid

import structlog
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hanoix.logs import get_logger

log = get_logger("hanoix.http")


class RequestLogMiddleware:
    """Pure ASGI, not Starlette's ``BaseHTTPMiddleware``: that one runs every request in a task
    group with a stream between the layers, a cost paid on each call of the API."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get("x-request-id") or uuid.uuid4().hex
        started = time.perf_counter()

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                # Logged when the answer starts, as the time to the first byte: a long
                # download is the client's pace, not the node's.
                elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
                # The path template, not the concrete path: identifiers in paths may be case
                # references.
                route = scope.get("route")
                log.info(
                    "http.request",
                    request_id=request_id,
                    method=scope["method"],
                    route=getattr(route, "path", None) or "unmatched",
                    status=message["status"],
                    duration_ms=elapsed_ms,
                )
                MutableHeaders(scope=message)["x-request-id"] = request_id
            await send(message)

        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            await self.app(scope, receive, send_logged)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
