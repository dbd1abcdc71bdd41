"""Authentication for every API route: a bearer API token or a web session cookie."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from hanoix.api.deps import get_node
from hanoix.api.problems import problem_doc
from hanoix.errors import AuthenticationError, PermissionDeniedError
from hanoix.services import auth
from hanoix.services.auth import Principal
from hanoix.services.node import Node

_bearer = HTTPBearer(auto_error=False, description="an API token: hxt_<id>_<secret>")


def enrolling_principal(
    request: Request,
    node: Annotated[Node, Depends(get_node)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from ``Authorization: Bearer`` or the session cookie; 401 otherwise. Also
    a caller who must enrol a second factor first: only the routes that let them do so (and
    see who they are, and sign out) take this one."""
    policy = node.credentials.policy
    # One query and at most one row written: no transaction around them (Node.reading).
    with node.reading() as session:
        if credentials is not None:
            return auth.authenticate_token(session, node.clock, credentials.credentials, policy)
        session_id = request.cookies.get(session_cookie_name(request))
        if session_id:
            return auth.resume_session(session, node.clock, session_id, policy)
    raise AuthenticationError("sign in, or send an API token as 'Authorization: Bearer ...'")


async def current_principal(
    principal: Annotated[Principal, Depends(enrolling_principal)],
) -> Principal:
    """The caller (see :func:`enrolling_principal`), refused with 403 while the node requires
    a second factor of them that they have not enrolled. (async: no I/O, so no worker
    thread.)"""
    if principal.must_enrol:
        raise PermissionDeniedError(
            "this node requires a second factor (TOTP) for your role: sign in on the web, "
            "enrol one (POST /api/v1/auth/totp) and confirm it with a first code"
        )
    return principal


def optional_principal(
    request: Request, node: Annotated[Node, Depends(get_node)]
) -> Principal | None:
    """The caller if they are signed in or send a valid API token, None otherwise: for the
    public routes that tell a known caller more (never a refusal: a bad token is a stranger).
    The header is read here rather than through the bearer scheme, so that the OpenAPI
    document does not call the route secured. (Not async: it may read the database.)"""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    credentials = (
        HTTPAuthorizationCredentials(scheme=scheme, credentials=token)
        if scheme.lower() == "bearer" and token
        else None
    )
    if credentials is None and not request.cookies.get(session_cookie_name(request)):
        return None
    try:
        principal = enrolling_principal(request, node, credentials)
    except AuthenticationError:
        return None
    return None if principal.must_enrol else principal


OptionalCaller = Depends(optional_principal)
CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
EnrollingPrincipal = Annotated[Principal, Depends(enrolling_principal)]


def client_address(request: Request) -> str | None:
    """The address the throttle counts: the peer's, or the one a trusted proxy forwarded
    (``ProxyHeadersMiddleware`` with the node's ``trusted_proxies`` has set it)."""
    return request.client.host if request.client is not None else None


def session_cookie_name(request: Request) -> str:
    """This node's session cookie (:func:`hanoix.services.auth.session_cookie_name`), looked
    up once per app."""
    name = getattr(request.app.state, "session_cookie", None)
    if not isinstance(name, str):
        name = request.app.state.session_cookie = auth.session_cookie_name(request.app.state.node)
    return name


def require_roles(*roles: str) -> Callable[[Principal, Node], Awaitable[Principal]]:
    """A dependency admitting callers who hold one of ``roles`` and, when the node's State is
    configured, belong to it (a node serves one State)."""

    async def check(
        principal: CurrentPrincipal, node: Annotated[Node, Depends(get_node)]
    ) -> Principal:
        if not principal.roles.intersection(roles):
            raise PermissionDeniedError(f"this needs one of the roles: {', '.join(roles)}")
        own_state = node.settings.state
        if own_state is not None and principal.state not in (None, own_state):
            raise PermissionDeniedError(f"this is for the users of {own_state}'s authorities")
        return principal

    check.needs_roles = True  # type: ignore[attr-defined]
    return check


def _calls(dependant: Dependant) -> Iterator[Any]:
    for dependency in dependant.dependencies:
        yield dependency.call
        yield from _calls(dependency)


def _routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        # FastAPI keeps an included router whole (not flattened into the app's routes).
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _routes(included.routes)


def document_security(app: FastAPI) -> None:
    """Document the answers authentication adds to a route: ``401`` on every route that needs
    a caller, ``403`` where the caller needs a role or a second factor. Derived from each
    route's dependencies, so the OpenAPI document cannot forget one. Call once every router
    is included."""

    for route in _routes(app.routes):
        calls = list(_calls(route.dependant))
        if enrolling_principal in calls:
            route.responses.setdefault(401, problem_doc("not signed in"))
        # A caller who must enrol a second factor first gets 403 wherever a role would.
        if current_principal in calls or any(getattr(c, "needs_roles", False) for c in calls):
            route.responses.setdefault(403, problem_doc("signed in, but not allowed"))


def document_preconditions(app: FastAPI) -> None:
    """Mark ``If-Match`` required in the OpenAPI document wherever a route reads it.

    The header is declared optional so that its absence reaches ``expected_version``, which
    answers 428 Precondition Required (RFC 6585) rather than FastAPI's 422; but a caller must
    send it, and the document says so. Call once every router is included."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = generate()
        for operations in document.get("paths", {}).values():
            for operation in operations.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "header" and parameter.get("name") == "If-Match":
                        parameter["required"] = True
                        # A header is never null: keep the string branch of `str | None`.
                        schema = parameter["schema"]
                        strings = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
                        if strings:
                            schema.update(strings[0])
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
