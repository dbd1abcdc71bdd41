"""The node's HTTP application: the REST API under ``/api/v1``."""

from __future__ import annotations

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import hanoix
import hanoix.web
from hanoix.api import (
    auth,
    content,
    convention,
    docs,
    federation,
    headers,
    health,
    ledger,
    personal_data,
    problems,
    requests,
    security,
    statistics,
    treaty,
    users,
)
from hanoix.api.limits import BodyLimitMiddleware
from hanoix.api.logging_middleware import RequestLogMiddleware
from hanoix.api.problems import PROBLEM_RESPONSES
from hanoix.services.node import Node

API_PREFIX = "/api/v1"


def create_app(node: Node) -> FastAPI:
    """Build the application for one node. No global state: two apps never share a node."""
    app = FastAPI(
        title="Hanoi Exchange",
        version=hanoix.__version__,
        summary="A State's node for cooperation under the UN Convention against Cybercrime",
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,  # served by hanoix.api.docs, from the node, not a CDN
        redoc_url=None,
        responses=PROBLEM_RESPONSES,
    )
    app.state.node = node
    problems.install(app)
    app.add_middleware(RequestLogMiddleware)
    if node.settings.trusted_proxies:
        # X-Forwarded-For and -Proto are believed from these peers only (the rightmost address
        # that is not one of them is the client): the sign-in throttle counts that address.
        # The app does this itself, not uvicorn, so that the one setting rules it everywhere.
        app.add_middleware(
            ProxyHeadersMiddleware, trusted_hosts=list(node.settings.trusted_proxies)
        )
    app.include_router(health.router, prefix=API_PREFIX)
    app.include_router(convention.router, prefix=API_PREFIX)
    app.include_router(auth.router, prefix=API_PREFIX)
    app.include_router(users.router, prefix=API_PREFIX)
    app.include_router(treaty.router, prefix=API_PREFIX)
    app.include_router(ledger.router, prefix=API_PREFIX)
    app.include_router(requests.router, prefix=API_PREFIX)
    app.include_router(content.router, prefix=API_PREFIX)
    app.include_router(personal_data.router, prefix=API_PREFIX)
    app.include_router(statistics.router, prefix=API_PREFIX)
    federation.install(app, API_PREFIX)
    security.document_security(app)
    security.document_preconditions(app)
    docs.install(app, API_PREFIX)
    hanoix.web.install(app)
    # Added last, so the outermost middleware: a body too large is refused before anything else
    # reads it. The security headers wrap the whole stack, the 413 and any 500 included.
    app.add_middleware(BodyLimitMiddleware)
    headers.install(app)
    return app
