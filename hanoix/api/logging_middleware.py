"""One structured log line per HTTP request: method, route, status, duration. Never bodies."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import structlog
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import Response

from hanoix.logs import get_logger

log = get_logger("hanoix.http")


class RequestLogMiddleware(BaseHTTPMiddleware):
    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        started = time.perf_counter()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        elapsed_ms = round((time.perf_counter() - started) * 1000, 2)
        # The path template, not the concrete path: identifiers in paths may be case references.
        route = request.scope.get("route")
        path = getattr(route, "path", None) or "unmatched"
        log.info(
            "http.request",
            request_id=request_id,
            method=request.method,
            route=path,
            status=response.status_code,
            duration_ms=elapsed_ms,
        )
        response.headers["x-request-id"] = request_id
        return response
