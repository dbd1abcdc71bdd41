"""Matching content against the node's hash lists over HTTP: ``POST /api/v1/content/match``.

For a platform's or a hotline's integration: the body is the file itself (a picture or any
other bytes, at most 64 MiB), hashed on arrival and dropped; the answer says whether it matched
and which case, list and signal it matched, at what PDQ distance (for a video, with the shares
of frames matched). A ``matcher`` token may do
this and nothing else; the people who work cases (and auditors) may too. No case is read here.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hanoix.api.deps import get_node
from hanoix.api.security import require_roles
from hanoix.content.cases import MATCH_ROLES
from hanoix.errors import InputError
from hanoix.services import content
from hanoix.services.auth import Principal
from hanoix.services.node import Node
from hanoix.services.requests import user_for_principal

router = APIRouter(prefix="/content", tags=["content"])

FILE_MEDIA_TYPE = "application/octet-stream"

_FILE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the file to match (a picture, a video or any other bytes), at most 64 MiB",
        "content": {
            FILE_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary", "minLength": 1}}
        },
    }
}


class VpdqSharesOut(BaseModel):
    query_percent: float = Field(description="share of the sent video's frames that matched")
    compared_percent: float = Field(
        description="share of the listed video's frames that the sent video matched"
    )


class MatchOut(BaseModel):
    case: str = Field(description="the removal case (RC-NNNNNN)")
    list: str = Field(description="the hash list: 'local' for this node's own cases")
    signal: str = Field(description="sha256, md5, pdq or vpdq")
    distance: int = Field(
        description="bits between the PDQ hashes (0 for exact digests); for vpdq, the most "
        "bits between a matched frame and its nearest listed frame"
    )
    # Only a vpdq match has it: the other matches keep their four members.
    vpdq: VpdqSharesOut | None = Field(
        default=None,
        description="a vpdq match only: the shares of frames matched",
        exclude_if=lambda value: value is None,
    )


class MatchResultOut(BaseModel):
    matched: bool
    matches: list[MatchOut]
    note: str | None = Field(
        default=None, description="why only exact digests were compared, when they were"
    )


@router.post(
    "/match",
    response_model=MatchResultOut,
    summary="Match one file against every hash list of the node (exact digests, PDQ, vPDQ)",
    description="PDQ matches within 31 bits at quality 50 or more, mirror images and "
    "rotations included; a video by vPDQ, when 80% of its frames lie within 31 bits of a "
    "listed video's frames. The file is hashed and not kept. See docs/content.md.",
    openapi_extra=_FILE_BODY,
)
async def match(
    request: Request,
    node: Annotated[Node, Depends(get_node)],
    principal: Annotated[Principal, Depends(require_roles(*sorted(MATCH_ROLES)))],
) -> MatchResultOut:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FILE_MEDIA_TYPE:
        raise InputError(f"send the file itself as the body, with Content-Type: {FILE_MEDIA_TYPE}")
    data = await request.body()
    if not data:
        raise InputError("the body is empty: send the file to match as the body")
    user = await run_in_threadpool(user_for_principal, node, principal)
    [result] = await run_in_threadpool(content.match, node, user, [("body", data)])
    return MatchResultOut(
        matched=result.matched,
        matches=[MatchOut(**m.as_dict()) for m in result.matches],
        note=result.note,
    )
