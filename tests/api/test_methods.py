"""405 answers name every method the path answers (RFC 9110 §15.5.6), on every route."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Mount, Route

from hanoix.api.app import create_app
from hanoix.config import load_settings
from hanoix.services.node import Node

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _route_table(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, set[str]]]:
    """(path template, methods) of every route, routers included (walked independently of
    hanoix.api.methods, which the test checks)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = route.include_context  # type: ignore[attr-defined]
            yield from _route_table(included.routes, prefix + context.prefix)
        elif isinstance(route, Route):
            yield prefix + route.path, set(route.methods or ())
        elif isinstance(route, Mount):
            yield prefix + route.path + "/{path}", {"GET"}


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", template)


def _matches(template: str, path: str) -> bool:
    return re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", template), path) is not None


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    node = Node.open(load_settings(tmp_path_factory.mktemp("methods") / "home", environ={}))
    node.initialise()
    try:
        with TestClient(create_app(node)) as test_client:
            yield test_client
    finally:
        node.close()


def test_every_405_names_all_the_methods_of_its_path(client: TestClient) -> None:
    table = list(_route_table(client.app.routes))  # type: ignore[attr-defined]
    assert len(table) > 60
    checked = 0
    wrong: list[str] = []
    for template in sorted({t for t, _ in table}):
        path = _concrete(template)
        served = set().union(*(m for t, m in table if _matches(t, path)))
        expected = sorted(served | ({"HEAD"} if "GET" in served else set()))
        for method in METHODS:
            if method in served:
                continue
            response = client.request(method, path)
            checked += 1
            allow = sorted(m.strip() for m in response.headers.get("allow", "").split(","))
            if response.status_code != 405 or allow != expected:
                wrong.append(
                    f"{method} {path}: {response.status_code}, Allow {allow} != {expected}"
                )
            elif response.headers["content-type"] != "application/problem+json":
                wrong.append(f"{method} {path}: not a problem document")
    assert checked > 200
    assert wrong == []


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/api/v1/requests", "GET, HEAD, POST"),
        ("DELETE", "/api/v1/auth/tokens", "GET, HEAD, POST"),
        ("POST", "/", "GET, HEAD"),
        ("POST", "/static/hanoix.css", "GET, HEAD"),
    ],
)
def test_a_path_shared_by_two_routes_allows_both(
    client: TestClient, method: str, path: str, allow: str
) -> None:
    response = client.request(method, path)
    assert response.status_code == 405
    assert response.headers["allow"] == allow
    assert allow in response.json()["detail"]
