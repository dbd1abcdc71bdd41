"""The node's users, for its administrators: list, deactivate and activate, unlock, their API
tokens, their second factor. Everyone else manages their own tokens under ``/auth``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from hanoix.api.auth import TokenView
from hanoix.api.deps import get_node
from hanoix.api.problems import problem_doc
from hanoix.api.security import require_roles
from hanoix.services import auth
from hanoix.services.auth import Principal, UserInfo
from hanoix.services.node import Node

router = APIRouter(prefix="/users", tags=["users"])

Administrator = Annotated[Principal, Depends(require_roles("administrator"))]
NO_USER: dict[int | str, dict[str, Any]] = {404: problem_doc("no user of that name")}


class UserView(BaseModel):
    username: str
    display_name: str
    authority: str | None
    roles: list[str]
    active: bool
    locked: bool = Field(description="locked after repeated failed sign-ins")
    failed_logins: int = Field(description="consecutive failed sign-ins")
    second_factor: str = Field(description="none, totp-unconfirmed or totp")
    created_at: datetime

    @classmethod
    def of(cls, user: UserInfo) -> UserView:
        return cls(**user.__dict__)


@router.get("", response_model=list[UserView], summary="Every user of the node")
def list_users(_admin: Administrator, node: Annotated[Node, Depends(get_node)]) -> list[UserView]:
    with node.unit_of_work() as session:
        return [UserView.of(u) for u in auth.list_users(session)]


@router.post(
    "/{username}/deactivate",
    response_model=UserView,
    summary="Deactivate a user: their sessions end and their API tokens are revoked at once",
    responses=NO_USER,
)
def deactivate(
    username: str, admin: Administrator, node: Annotated[Node, Depends(get_node)]
) -> UserView:
    auth.require_other_user(admin, username, "deactivate")
    with node.unit_of_work() as session:
        return UserView.of(auth.set_active(session, node.clock, username, False))


@router.post(
    "/{username}/activate",
    response_model=UserView,
    summary="Activate a user again (their old tokens stay revoked)",
    responses=NO_USER,
)
def activate(
    username: str, _admin: Administrator, node: Annotated[Node, Depends(get_node)]
) -> UserView:
    with node.unit_of_work() as session:
        return UserView.of(auth.set_active(session, node.clock, username, True))


@router.post(
    "/{username}/unlock",
    response_model=UserView,
    summary="Unlock an account locked by failed sign-ins, and lift its throttle",
    responses=NO_USER,
)
def unlock(
    username: str, _admin: Administrator, node: Annotated[Node, Depends(get_node)]
) -> UserView:
    auth.unlock_user(node, username)
    with node.unit_of_work() as session:
        return UserView.of(auth.describe_user(session, username))


@router.get(
    "/{username}/tokens",
    response_model=list[TokenView],
    summary="A user's API tokens",
    responses=NO_USER,
)
def user_tokens(
    username: str,
    _admin: Administrator,
    node: Annotated[Node, Depends(get_node)],
    include_ended: Annotated[
        bool, Query(alias="all", description="also the expired and revoked ones")
    ] = False,
) -> list[TokenView]:
    with node.unit_of_work() as session:
        tokens = auth.list_tokens(
            session,
            node.clock,
            auth.user_id(session, username),
            include_ended=include_ended,
            policy=node.credentials.policy,
        )
    now = node.clock.now()
    return [TokenView.of(t, now) for t in tokens]


@router.delete(
    "/{username}/tokens/{token_id}",
    status_code=204,
    summary="Revoke a user's API token",
    responses={404: problem_doc("no such user, or no such token of theirs")},
)
def revoke_user_token(
    username: str, token_id: str, _admin: Administrator, node: Annotated[Node, Depends(get_node)]
) -> Response:
    with node.unit_of_work() as session:
        owner = auth.user_id(session, username)
        auth.revoke_token(session, node.clock, token_id, owner=owner)
    return Response(status_code=204)


@router.delete(
    "/{username}/totp",
    response_model=UserView,
    summary="Remove a user's second factor (a lost phone); they may enrol again",
    responses=NO_USER,
)
def disable_totp(
    username: str, _admin: Administrator, node: Annotated[Node, Depends(get_node)]
) -> UserView:
    with node.unit_of_work() as session:
        return UserView.of(auth.disable_totp(session, username))
