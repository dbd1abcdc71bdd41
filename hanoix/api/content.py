"""Matching content against the node's hash lists over HTTP: ``POST /api/v1/content/match``.

For a platform's or a hotline's integration: the body is the file itself (a picture or any
other bytes, at most 64 MiB), hashed on arrival and dropped; the answer says whether it matched
and which case, list and signal it matched, at what PDQ distance (for a video, with the shares
of frames matched). A ``matcher`` token may do
this and nothing else; the people who work cases (and auditors) may too. No case is read here.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from hanoix.api.deps import get_node
from hanoix.api.security import require_roles
from hanoix.content.cases import CASE_ROLES, MATCH_ROLES
from hanoix.content.formats import MAX_VOTE_REASON, check_vote
from hanoix.errors import InputError, Problem
from hanoix.services import content, content_lists
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
    case: str | None = Field(
        description="this node's removal case (RC-NNNNNN); null for an imported list's entry "
        "(another State's case is not named)"
    )
    list: str = Field(
        description="the hash list: 'local' for this node's own cases, 'STATE:AUTHORITY' for a "
        "list imported from another State, 'FORMAT:NAME' for a list imported from a file"
    )
    signal: str = Field(description="sha256, md5, pdq or vpdq")
    distance: int = Field(
        description="bits between the PDQ hashes (0 for exact digests); for vpdq, the most "
        "bits between a matched frame and its nearest listed frame"
    )
    origin: str | None = Field(
        default=None, description="the node that published the list; null for this node's own"
    )
    # Only a vpdq match has it: the other matches keep their members.
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


# --- lists shared between States (docs/content.md, "Shared lists") ---------------------------


class WithdrawalIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    hash: str = Field(
        min_length=32, max_length=64, pattern="^[0-9a-fA-F]+$", description="the hash (hex)"
    )
    reason: Literal["mistake", "court-order", "victim"] = Field(
        description="why (only this word travels to the other States)"
    )


@router.get(
    "/lists",
    summary="The authority's hash list (where it was published) and the lists held from others",
)
async def lists(
    node: Annotated[Node, Depends(get_node)],
    principal: Annotated[Principal, Depends(require_roles(*sorted(CASE_ROLES)))],
) -> dict[str, Any]:
    user = await run_in_threadpool(user_for_principal, node, principal)
    return await run_in_threadpool(content_lists.show_lists, node, user)


@router.post(
    "/withdrawals",
    summary="Withdraw a hash at once, here and on every node the authority's list went to",
    description="The hash stops matching on this node at once; an urgent content.withdrawal "
    "message tells every node the list was published to. 404 when no entry in force holds it.",
)
async def withdraw(
    body: WithdrawalIn,
    node: Annotated[Node, Depends(get_node)],
    principal: Annotated[Principal, Depends(require_roles(*sorted(CASE_ROLES)))],
) -> dict[str, Any]:
    user = await run_in_threadpool(user_for_principal, node, principal)
    done = await run_in_threadpool(content_lists.withdraw, node, user, body.hash, body.reason)
    return done.as_dict()


class FeedbackItemIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    hashValue: str = Field(  # noqa: N815  (StopNCII's member name)
        min_length=32, max_length=64, pattern="^[0-9a-fA-F]+$", description="a PDQ or MD5 hash"
    )
    feedbackValue: Literal[  # noqa: N815
        "Blocked", "NotBlocked", "PendingReview", "None", "QualityUnknown", "Unknown",
        "Withdrawn", "Deleted",
    ] = Field(description="what the platform did (StopNCII's CSP feedback values)")  # fmt: skip


class FeedbackIn(BaseModel):
    """StopNCII's ``SubmitFeedback`` body, with the platform named."""

    model_config = ConfigDict(extra="forbid", strict=True)

    platform: str = Field(min_length=1, max_length=200, description="who reports")
    # Bounded so that a body stays under the API's 64 KiB; larger reports go through the CLI.
    hashFeedbacks: list[FeedbackItemIn] = Field(  # noqa: N815
        min_length=1, max_length=300, description="one report per hash (at most 300)"
    )


@router.post(
    "/feedback",
    summary="Record a platform's feedback on listed hashes (blocked, not blocked)",
    description="Each report on a hash this node lists or holds is a content.feedback custody "
    "event naming the platform; reports on other hashes are named under 'unknown'.",
)
async def feedback(
    body: FeedbackIn,
    node: Annotated[Node, Depends(get_node)],
    principal: Annotated[Principal, Depends(require_roles(*sorted(CASE_ROLES)))],
) -> dict[str, Any]:
    user = await run_in_threadpool(user_for_principal, node, principal)
    data = body.model_dump_json(include={"hashFeedbacks"}).encode("utf-8")
    result = await run_in_threadpool(
        content_lists.record_feedback, node, user, data, "the request body", body.platform
    )
    return result.as_dict()


class VoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    signal: Literal["sha256", "md5", "pdq"] = Field(description="which hash it is")
    hash: str = Field(
        min_length=32, max_length=64, pattern="^[0-9a-fA-F]+$", description="the hash (hex)"
    )
    vote: Literal["upvote", "downvote"] = Field(
        description="NCMEC's votes: upvote (the hash is what it says), downvote (a false positive)"
    )
    reason: str | None = Field(
        default=None,
        max_length=MAX_VOTE_REASON,
        description="a downvote's reason (NCMEC's reason id, or a short text)",
    )


class VotesIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    platform: str = Field(min_length=1, max_length=200, description="who votes")
    votes: list[VoteIn] = Field(min_length=1, max_length=300, description="at most 300")


@router.post(
    "/votes",
    summary="Record a platform's votes on listed hashes (upvote, downvote), as NCMEC's exchange",
    description="Each vote on a hash this node lists or holds is a content.feedback custody "
    "event naming the platform, the vote and the opinion it stands for (threatexchange's "
    "POSITIVE_CLASS or NEGATIVE_CLASS); votes on other hashes are named under 'unknown'. "
    "Nothing is recorded when a vote is malformed.",
    responses={422: {"description": "a vote is malformed; each problem names its field"}},
)
async def votes(
    body: VotesIn,
    node: Annotated[Node, Depends(get_node)],
    principal: Annotated[Principal, Depends(require_roles(*sorted(CASE_ROLES)))],
) -> dict[str, Any]:
    checked = []
    for number, vote in enumerate(body.votes):
        try:
            checked.append(check_vote(vote.signal, vote.hash, vote.vote, vote.reason))
        except InputError as bad:
            field = f"votes.{number}"
            raise InputError(bad.message, problems=[Problem(bad.message, field=field)]) from None
    user = await run_in_threadpool(user_for_principal, node, principal)
    result = await run_in_threadpool(content_lists.record_votes, node, user, body.platform, checked)
    return result.as_dict()
