"""Sign in and out, who am I, API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from hanoix.api.deps import get_node
from hanoix.api.problems import problem_doc
from hanoix.api.security import CurrentPrincipal, session_cookie_name
from hanoix.services import auth
from hanoix.services.auth import SESSION_LIFETIME, Principal
from hanoix.services.node import Node

router = APIRouter(prefix="/auth", tags=["auth"])


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class Me(BaseModel):
    username: str
    display_name: str
    authority: str | None
    state: str | None
    roles: list[str]

    @classmethod
    def of(cls, principal: Principal) -> Me:
        return cls(
            username=principal.username,
            display_name=principal.display_name,
            authority=principal.authority,
            state=principal.state,
            roles=sorted(principal.roles),
        )


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=100, description="what the token is for")
    lifetime_days: int | None = Field(default=90, ge=1, le=366)


class IssuedToken(BaseModel):
    token: str = Field(description="shown once: store it now")


@router.post(
    "/login",
    response_model=Me,
    summary="Sign in; sets a session cookie",
    responses={401: problem_doc("wrong username or password")},
)
def login(
    body: Credentials,
    request: Request,
    response: Response,
    node: Annotated[Node, Depends(get_node)],
) -> Me:
    with node.unit_of_work() as session:
        principal = auth.authenticate_password(session, body.username, body.password)
        session_id = auth.start_session(session, node.clock, principal.user_id)
    response.set_cookie(
        session_cookie_name(request),
        session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return Me.of(principal)


@router.post("/logout", status_code=204, summary="End the web session")
def logout(request: Request, node: Annotated[Node, Depends(get_node)]) -> Response:
    cookie = session_cookie_name(request)
    session_id = request.cookies.get(cookie)
    if session_id:
        with node.unit_of_work() as session:
            auth.end_session(session, session_id)
    response = Response(status_code=204)
    response.delete_cookie(cookie, path="/")
    return response


@router.get("/me", response_model=Me, summary="Who am I")
def me(principal: CurrentPrincipal) -> Me:
    return Me.of(principal)


@router.post("/tokens", response_model=IssuedToken, status_code=201, summary="New API token")
def new_token(
    body: TokenRequest, principal: CurrentPrincipal, node: Annotated[Node, Depends(get_node)]
) -> IssuedToken:
    lifetime = timedelta(days=body.lifetime_days) if body.lifetime_days else None
    with node.unit_of_work() as session:
        token = auth.issue_token(session, node.clock, principal.user_id, body.name, lifetime)
    return IssuedToken(token=token)
