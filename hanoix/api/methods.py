"""The ``Allow`` header of a 405 answer: every method the path answers, not one route's.

Starlette answers 405 from the first route whose path matches, so where two routes share a
path (``GET`` and ``POST /requests`` are two functions) its ``Allow`` named only one of them.
Here the whole route table is searched (included routers and static mounts too) once per
application, and the union of the methods of every route matching the path is the answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from starlette.routing import BaseRoute, Mount, Route, compile_path
from starlette.types import ASGIApp

# A static mount answers these two only (Starlette's StaticFiles).
_STATIC_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    methods: frozenset[str]


def _patterns(routes: Iterable[BaseRoute], prefix: str) -> list[_Pattern]:
    found: list[_Pattern] = []
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            # FastAPI keeps an included router whole, with the prefix it was included under.
            context = route.include_context  # type: ignore[attr-defined]
            found.extend(_patterns(included.routes, prefix + context.prefix))
        elif isinstance(route, Route) and route.methods:
            regex, _format, _convertors = compile_path(prefix + route.path)
            found.append(_Pattern(regex, frozenset(route.methods)))
        elif isinstance(route, Mount):
            regex = re.compile("^" + re.escape(prefix + route.path) + "/.*$")
            found.append(_Pattern(regex, _STATIC_METHODS))
    return found


def allowed_methods(app: ASGIApp, path: str) -> list[str]:
    """The methods some route of ``app`` answers at ``path``, sorted (``HEAD`` with ``GET``)."""
    state = app.state  # type: ignore[attr-defined]
    patterns: list[_Pattern] | None = getattr(state, "method_patterns", None)
    if patterns is None:
        patterns = _patterns(app.routes, "")  # type: ignore[attr-defined]
        state.method_patterns = patterns
    methods: set[str] = set()
    for pattern in patterns:
        if pattern.regex.match(path):
            methods |= pattern.methods
    if "GET" in methods:
        methods.add("HEAD")
    return sorted(methods)
