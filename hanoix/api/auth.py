"""Sign in and out, who am I, your API tokens and your second factor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from hanoix.api.deps import get_node
from hanoix.api.problems import problem_doc
from hanoix.api.security import (
    CurrentPrincipal,
    EnrollingPrincipal,
    client_address,
    session_cookie_name,
)
from hanoix.errors import PermissionDeniedError
from hanoix.services import auth
from hanoix.services.auth import SESSION_LIFETIME, Principal, TokenInfo
from hanoix.services.node import Node

router = APIRouter(prefix="/auth", tags=["auth"])


def _no_default(schema: dict[str, Any]) -> None:
    # An optional field that is not nullable: the document must not show "default": null.
    schema.pop("default", None)


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)
    totp: Annotated[str, Field(pattern=r"^[0-9]{6}$")] | SkipJsonSchema[None] = Field(
        default=None,
        description="the 6-digit code of your authenticator app, if your account has one",
        json_schema_extra=_no_default,
    )


class Me(BaseModel):
    username: str
    display_name: str
    authority: str | None
    state: str | None
    roles: list[str]
    must_enrol_second_factor: bool = Field(
        description="the node requires a second factor of you: enrol one before anything else"
    )

    @classmethod
    def of(cls, principal: Principal) -> Me:
        return cls(
            username=principal.username,
            display_name=principal.display_name,
            authority=principal.authority,
            state=principal.state,
            roles=sorted(principal.roles),
            must_enrol_second_factor=principal.must_enrol,
        )


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=100, description="what the token is for")
    # Not nullable: a token that never expires is refused, naming the node's maximum.
    lifetime_days: Annotated[int, Field(ge=1)] | SkipJsonSchema[None] = Field(
        default=None,
        description="days until it expires; omitted: the node's maximum (token_max_days, "
        "90 unless configured); more than the maximum is refused",
        json_schema_extra=_no_default,
    )


class IssuedToken(BaseModel):
    token: str = Field(description="shown once: store it now")
    id: str
    expires_at: datetime


class TokenView(BaseModel):
    id: str
    name: str
    status: str = Field(description="live, expired or revoked")
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    from_web_session: bool = Field(description="made in a web session: signing out revokes it")

    @classmethod
    def of(cls, token: TokenInfo, now: datetime) -> TokenView:
        return cls(status=token.status(now), **token.__dict__)


class TotpEnrolment(BaseModel):
    secret: str = Field(description="base32, shown once")
    uri: str = Field(description="otpauth:// URI for an authenticator app (as a QR code)")


class TotpCode(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    code: str = Field(pattern=r"^[0-9]{6}$", description="the code the app shows now")


def _session_only(principal: Principal, what: str) -> None:
    # A token must not make credentials: a stolen one would otherwise renew itself for ever.
    if principal.credential != "session":
        raise PermissionDeniedError(
            f"{what} needs a signed-in web session (POST /api/v1/auth/login), not an API token"
        )


@router.post(
    "/login",
    response_model=Me,
    summary="Sign in; sets a session cookie",
    responses={
        401: problem_doc(
            "sign-in refused (one answer for a wrong username or password, a locked or a "
            "deactivated account); or the account's one-time code is missing or wrong"
        ),
        429: problem_doc("too many failed sign-ins for the account or from the address"),
        503: problem_doc("too many sign-ins at once; try again after Retry-After seconds"),
    },
)
def login(
    body: Credentials,
    request: Request,
    response: Response,
    node: Annotated[Node, Depends(get_node)],
) -> Me:
    signed_in = auth.sign_in(
        node, body.username, body.password, code=body.totp, address=client_address(request)
    )
    response.set_cookie(
        session_cookie_name(request),
        signed_in.session_id,
        max_age=int(SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path="/",
    )
    return Me.of(signed_in.principal)


@router.post(
    "/logout",
    status_code=204,
    summary="End the web session and revoke the API tokens made in it",
)
def logout(request: Request, node: Annotated[Node, Depends(get_node)]) -> Response:
    cookie = session_cookie_name(request)
    session_id = request.cookies.get(cookie)
    if session_id:
        with node.unit_of_work() as session:
            auth.end_session(session, node.clock, session_id)
    response = Response(status_code=204)
    response.delete_cookie(cookie, path="/")
    return response


@router.get("/me", response_model=Me, summary="Who am I")
def me(principal: EnrollingPrincipal) -> Me:
    return Me.of(principal)


@router.post(
    "/tokens",
    response_model=IssuedToken,
    status_code=201,
    summary="New API token (from a web session; revoked when that session signs out)",
    responses={403: problem_doc("an API token cannot make another: sign in on the web")},
)
def new_token(
    body: TokenRequest,
    request: Request,
    principal: CurrentPrincipal,
    node: Annotated[Node, Depends(get_node)],
) -> IssuedToken:
    _session_only(principal, "a new API token")
    policy = node.credentials.policy
    lifetime = (
        auth.token_lifetime(body.lifetime_days, policy)
        if "lifetime_days" in body.model_fields_set
        else policy.token_max_lifetime
    )
    with node.unit_of_work() as session:
        token = auth.issue_token(
            session,
            node.clock,
            principal.user_id,
            body.name,
            lifetime,
            policy=policy,
            web_session=request.cookies.get(session_cookie_name(request)),
        )
    token_id = token.removeprefix(auth.TOKEN_PREFIX).split("_", 1)[0]
    return IssuedToken(token=token, id=token_id, expires_at=node.clock.now() + lifetime)


@router.get("/tokens", response_model=list[TokenView], summary="Your API tokens")
def my_tokens(
    principal: CurrentPrincipal,
    node: Annotated[Node, Depends(get_node)],
    include_ended: Annotated[
        bool, Query(alias="all", description="also the expired and revoked ones")
    ] = False,
) -> list[TokenView]:
    with node.unit_of_work() as session:
        tokens = auth.list_tokens(
            session,
            node.clock,
            principal.user_id,
            include_ended=include_ended,
            policy=node.credentials.policy,
        )
    now = node.clock.now()
    return [TokenView.of(t, now) for t in tokens]


@router.delete(
    "/tokens/{token_id}",
    status_code=204,
    summary="Revoke one of your API tokens",
    responses={404: problem_doc("you have no token with this id")},
)
def revoke_my_token(
    token_id: str,
    principal: CurrentPrincipal,
    node: Annotated[Node, Depends(get_node)],
) -> Response:
    with node.unit_of_work() as session:
        auth.revoke_token(session, node.clock, token_id, owner=principal.user_id)
    return Response(status_code=204)


@router.post(
    "/totp",
    response_model=TotpEnrolment,
    status_code=201,
    summary="Enrol a second factor (TOTP) for yourself; confirm it with a first code",
    responses={
        403: problem_doc("an API token cannot enrol a second factor: sign in on the web"),
        409: problem_doc("you have a confirmed second factor already"),
    },
)
def enrol_totp(
    principal: EnrollingPrincipal, node: Annotated[Node, Depends(get_node)]
) -> TotpEnrolment:
    _session_only(principal, "enrolling a second factor")
    enrolment = auth.enrol_totp(node, principal.username)
    return TotpEnrolment(secret=enrolment.secret, uri=enrolment.uri)


@router.post(
    "/totp/confirm",
    status_code=204,
    summary="Turn your second factor on with the code your authenticator app shows",
    responses={
        403: problem_doc("an API token cannot confirm a second factor: sign in on the web"),
        409: problem_doc("nothing to confirm, or confirmed already"),
    },
)
def confirm_totp(
    body: TotpCode, principal: EnrollingPrincipal, node: Annotated[Node, Depends(get_node)]
) -> Response:
    _session_only(principal, "confirming a second factor")
    auth.confirm_totp(node, principal.username, body.code)
    return Response(status_code=204)
