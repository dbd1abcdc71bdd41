"""Errors as RFC 9457 problem documents (``application/problem+json``), mapped in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from hanoix.api.methods import allowed_methods
from hanoix.errors import HanoixError, RetryLaterError, UnavailableError

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://hanoix.invalid/problems/"


class ProblemItem(BaseModel):
    field: str | None = Field(default=None, description="the input field concerned")
    article: str | None = Field(default=None, description="the Convention article, e.g. Art. 42(3)")
    basis: str | None = Field(
        default=None,
        description="how sure the rule is: verified, secondary, recalled or inferred",
    )
    message: str


class ProblemDocument(BaseModel):
    """RFC 9457 problem details, with the list of precise findings."""

    type: str
    title: str
    status: int
    detail: str
    problems: list[ProblemItem] = Field(default_factory=list)


def problem_response(
    status: int, code: str, detail: str, problems: list[dict[str, Any]] | None = None
) -> JSONResponse:
    body = ProblemDocument(
        type=PROBLEM_TYPE_BASE + code,
        title=code.replace("-", " "),
        status=status,
        detail=detail,
        problems=[ProblemItem(**p) for p in problems or []],
    )
    return JSONResponse(body.model_dump(), status_code=status, media_type=PROBLEM_MEDIA_TYPE)


def error_response(exc: HanoixError) -> JSONResponse:
    """The problem document for ``exc``, with ``Retry-After`` when the caller is to try again later
    (for routes that answer outside the exception handlers, such as the chunk stream)."""
    response = problem_response(
        exc.http_status, exc.code, exc.message, [p.as_dict() for p in exc.problems]
    )
    if isinstance(exc, RetryLaterError | UnavailableError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


API_PATH_PREFIX = "/api/"


def _hanoix_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HanoixError)
    response = error_response(exc)
    if response.status_code == 400 and request.url.path.startswith(API_PATH_PREFIX):
        # Input that reaches a route has passed the schema in the OpenAPI document (FastAPI
        # answers 422 otherwise): what a route still refuses is well-formed but cannot be
        # processed (an unknown State, a made-up cursor, a rule of the Convention), which is
        # 422 (RFC 9110 §15.5.21), as the document says, not 400 (malformed).
        response = problem_response(422, exc.code, exc.message, [p.as_dict() for p in exc.problems])
    return response


def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(part) for part in error["loc"] if part != "body") or None,
            "message": error["msg"],
        }
        for error in exc.errors()
    ]
    route = _request.scope.get("route")
    own = _OWN_FINDINGS.get(getattr(route, "endpoint", None))
    found = own(exc.body) if own is not None else []
    # A route that reads its body itself gives the same findings as its CLI counterpart (each
    # with its article and basis, and every gap with them) in place of the generic ones.
    return problem_response(
        422, "invalid-input", "the request does not match its schema", found or problems
    )


# Routes whose body, when it does not match its schema, is read by a finder of their own (a
# request document: every problem and every gap in one pass): route function -> finder.
_OWN_FINDINGS: dict[object, Callable[[Any], list[dict[str, Any]]]] = {}


def own_findings(endpoint: object, finder: Callable[[Any], list[dict[str, Any]]]) -> None:
    """Answer a body of the route ``endpoint`` that does not match its schema with
    ``finder``'s findings on the raw body (the generic ones when it finds none)."""
    _OWN_FINDINGS[endpoint] = finder


def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {
        404: "not-found",
        405: "method-not-allowed",
        401: "unauthenticated",
        413: "too-large",
    }.get(exc.status_code, "http-error")
    detail = str(exc.detail)
    allowed: list[str] = []
    if exc.status_code == 405:
        # Starlette names the methods of the first route that matched; RFC 9110 wants all.
        allowed = allowed_methods(request.app, request.url.path)
        detail = f"{request.method} is not answered here; use {', '.join(allowed)}"
    response = problem_response(exc.status_code, code, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        response.headers["Allow"] = ", ".join(allowed)
    return response


def install(app: FastAPI) -> None:
    app.add_exception_handler(HanoixError, _hanoix_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)


def problem_doc(text: str) -> dict[str, Any]:
    """An OpenAPI response entry for a problem document: its schema under the media type the
    node really sends (``application/problem+json``), so clients and checks can read it."""
    return {
        "model": ProblemDocument,
        "content": {
            PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDocument"}}
        },
        "description": text,
    }


# Documented on every route that can fail, so the OpenAPI document says what clients will get.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: problem_doc(text)
    for status, text in (
        (400, "the input is wrong; the detail says what to fix"),
        (404, "not found"),
        (413, "the body is larger than the route accepts (docs/api.md, body limits)"),
        (422, "the input does not match the schema, or the answer is no"),
    )
}
