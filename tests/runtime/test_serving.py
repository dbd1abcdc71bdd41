"""What the served application does before its first request."""

from __future__ import annotations

import fastapi.routing
import pytest
from starlette.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.runtime.serving import federation_app, prepare_routes
from hanoix.services.node import Node


def _builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The routes FastAPI builds from now on (it builds an included router's lazily)."""
    built: list[str] = []
    build = fastapi.routing._EffectiveRouteContext.from_api_route

    def recording(*args: object, **kwargs: object) -> object:
        context = build(*args, **kwargs)  # type: ignore[arg-type]
        built.append(str(getattr(context, "path", "?")))
        return context

    monkeypatch.setattr(fastapi.routing._EffectiveRouteContext, "from_api_route", recording)
    return built


def test_a_served_application_builds_its_routes_before_the_first_request(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(node)
    built = _builds(monkeypatch)
    prepare_routes(app)
    assert len(built) > 100  # every route of the API and the pages
    built.clear()
    client = TestClient(app)
    # A path no route has is matched against all of them: nothing is left to build.
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/api/v1/health").status_code == 200
    assert built == []


def test_without_preparing_the_first_request_pays_for_the_build(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test above would pass for nothing if FastAPI no longer built routes lazily.
    app = create_app(node)
    built = _builds(monkeypatch)
    assert TestClient(app).get("/no/such/page").status_code == 404
    assert len(built) > 100


def test_the_federation_listener_is_prepared_when_made(
    node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = _builds(monkeypatch)
    federation_app(node)
    assert built  # the peer routes, built at once
