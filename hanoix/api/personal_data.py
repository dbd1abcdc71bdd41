"""Finding a person's data for the data-protection officer: ``POST /api/v1/personal-data/find``.

The identifier travels in the body, never in the URL (URLs reach access logs and proxies). The
answer lists each place the node holds it, where in it, and who accessed it when; the search is
recorded. Only the ``data_protection_officer`` role may ask (docs/retention.md).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from hanoix.api.deps import get_node
from hanoix.api.security import require_roles
from hanoix.requests import Role
from hanoix.services import personal_data
from hanoix.services.auth import Principal
from hanoix.services.node import Node
from hanoix.services.requests import user_for_principal

router = APIRouter(prefix="/personal-data", tags=["personal data"])


class FindIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    identifier: str = Field(
        min_length=1,
        max_length=personal_data.MAX_IDENTIFIER,
        description="a name, a number, an account, an address: at least "
        f"{personal_data.MIN_IDENTIFIER} letters or digits",
    )


class AccessOut(BaseModel):
    what: str = Field(description="step:ACTION, read:WHAT, or a custody event's kind")
    actor: str
    authority: str
    at: str


class PlaceOut(BaseModel):
    kind: str = Field(
        description="request, inbox-message, evidence-package, content-case or "
        "request-unreadable (a stored request this version cannot read: not searched)"
    )
    subject: str = Field(description="its reference, envelope id, package id or case")
    where: list[str] = Field(description="where in it: the fields' paths, or what it is")
    accesses: list[AccessOut]


class FoundOut(BaseModel):
    searched_at: str
    places: list[PlaceOut]


@router.post(
    "/find",
    response_model=FoundOut,
    summary="Every place the node holds an identifier, with who accessed each and when",
    description="For the data-protection officer (role data_protection_officer) only. The "
    "search itself is recorded. See docs/retention.md.",
)
def find(
    body: FindIn,
    node: Annotated[Node, Depends(get_node)],
    principal: Annotated[Principal, Depends(require_roles(Role.DATA_PROTECTION_OFFICER.value))],
) -> FoundOut:
    user = user_for_principal(node, principal)
    return FoundOut.model_validate(personal_data.find(node, user, body.identifier).as_dict())
