"""Security headers on every response: pages, the API, static files, errors, the federation
listener; and the API documentation served from the node (no CDN)."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.api.docs import SWAGGER_UI_DIR
from hanoix.api.headers import SECURITY_HEADERS
from hanoix.runtime.serving import federation_app
from hanoix.services.node import Node

EXPECTED = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _assert_secured(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in EXPECTED.items():
        assert headers.get(name) == value, (name, response)
    policy = headers.get("content-security-policy", "")
    parts = [part.strip().partition(" ") for part in policy.split(";")]
    directives = {name: value for name, _, value in parts if name}
    assert directives.get("frame-ancestors") == "'none'"
    assert directives.get("default-src") == "'none'"
    assert directives.get("script-src") == "'self'"  # no inline script, no other origin
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "http" not in policy  # no third-party origin allowed anywhere


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200),
        ("GET", "/api/v1/health", 200),
        ("GET", "/api/v1/openapi.json", 200),
        ("GET", "/api/v1/docs", 200),
        ("GET", "/static/hanoix.css", 200),
        ("GET", "/static/api-docs/swagger-init.js", 200),
        ("GET", "/static/swagger-ui/swagger-ui-bundle.js", 200),
        ("GET", "/static/swagger-ui/swagger-ui.css", 200),
        ("GET", "/static/nothing-here.js", 404),
        ("GET", "/api/v1/no-such-route", 404),
        ("DELETE", "/api/v1/health", 405),
        ("GET", "/api/v1/requests", 401),
        ("POST", "/api/v1/auth/login", 422),
    ],
)
def test_every_kind_of_response_carries_the_security_headers(
    node: Node, method: str, path: str, status: int
) -> None:
    with TestClient(create_app(node)) as client:
        response = client.request(method, path)
    assert response.status_code == status
    _assert_secured(response)


def test_an_unexpected_error_answers_500_with_the_headers_too(node: Node) -> None:
    app = create_app(node)

    @app.get("/api/v1/broken-on-purpose")
    def broken() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/broken-on-purpose")
    assert response.status_code == 500
    _assert_secured(response)


def test_the_federation_listener_sends_them_as_well(node: Node) -> None:
    with TestClient(federation_app(node)) as client:
        response = client.get("/federation/v1/no-such-route")
    assert response.status_code == 404
    _assert_secured(response)


def test_a_header_a_route_sets_itself_is_kept(node: Node) -> None:
    app: FastAPI = create_app(node)

    @app.get("/api/v1/framed-on-purpose")
    def framed() -> dict[str, str]:
        return {}

    @app.middleware("http")
    async def own_policy(request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers["Referrer-Policy"] = "same-origin"
        return response

    with TestClient(app) as client:
        response = client.get("/api/v1/framed-on-purpose")
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == SECURITY_HEADERS["X-Frame-Options"]


def test_the_docs_page_loads_everything_from_the_node(node: Node) -> None:
    with TestClient(create_app(node)) as client:
        page = client.get("/api/v1/docs")
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assets = {source: client.get(source) for source in sources}
    assert page.status_code == 200
    assert "<script>" not in page.text  # only script files: the policy refuses inline ones
    assert sources and all(s.startswith("/") and not s.startswith("//") for s in sources)
    assert all(r.status_code == 200 for r in assets.values()), assets
    assert 'data-openapi-url="/api/v1/openapi.json"' in page.text


def test_swagger_ui_is_the_pinned_package_s_not_a_cdn_copy() -> None:
    bundle = (SWAGGER_UI_DIR / "swagger-ui-bundle.js").read_text(encoding="utf-8")
    assert 'PACKAGE_VERSION:"5.' in bundle  # Swagger UI 5: reads OpenAPI 3.1, as FastAPI writes
