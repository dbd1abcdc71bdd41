"""Removal cases and their notices over HTTP, under ``/api/v1/content`` (docs/content.md): what
the CLI and the case page do, for an authority's own systems. Thin routes: parse, call
:mod:`hanoix.services.content` and :mod:`hanoix.services.content_notices`, render.

Who may do what is the services' rule: an authority's drafters, 24/7 officers and examiners
(``CASE_ROLES``) work its cases; another authority's case or notice answers exactly as a
missing one (404). A ``matcher`` token reaches none of these routes, only ``POST /match``.
An answer to a notice carries the notice's ``version`` as it was read (as the case page's form
does): a notice that changed meanwhile is refused with 409, to be read again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.concurrency import run_in_threadpool

from hanoix.api.deps import get_node
from hanoix.api.problems import problem_doc
from hanoix.api.requests import UserDep
from hanoix.api.security import require_roles
from hanoix.content.cases import CASE_ROLES, RemovalCase
from hanoix.content.matches import KEPT_PER_CASE
from hanoix.content.notices import (
    MAX_NAME,
    MAX_REASON,
    NoticeState,
    RemovalNotice,
    parse_deadline,
)
from hanoix.content.pages import MAX_PAGE
from hanoix.errors import InputError, Problem
from hanoix.requests import User
from hanoix.services import content, content_notices, content_upload
from hanoix.services.node import Node

# Every route here is for those who work removal cases: anyone else is refused (403) before
# the body is read. Who they are is read as the requests API reads it.
router = APIRouter(
    prefix="/content",
    tags=["content"],
    dependencies=[Depends(require_roles(*sorted(CASE_ROLES)))],
)

NodeDep = Annotated[Node, Depends(get_node)]
WorkerDep = UserDep

Responses = dict[int | str, dict[str, Any]]

_MISSING: Responses = {
    404: problem_doc("no such case or notice (another authority's: the same answer)")
}
_CHANGE: Responses = {
    **_MISSING,
    409: problem_doc("the notice cannot take this answer now, or changed since it was read"),
    422: problem_doc("the input is wrong; each problem names its field"),
}

CASE_PATTERN = r"^RC-\d{1,12}$"
NOTICE_PATTERN = r"^RN-\d{1,12}$"
REQUEST_PATTERN = r"^[A-Z]{3}-\d{4}-\d{6}$"


# --- bodies -------------------------------------------------------------------------------------


class RemovalCaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    article: StrictInt = Field(
        description="14 (child sexual abuse material) or 16 (intimate images)"
    )
    victim_ref: str = Field(
        max_length=64,
        description="the victim's pseudonym (3-64 letters, digits, '.', '-', '_'): never a name",
    )
    consent: list[Literal["hash", "share", "preserve", "none"]] = Field(
        default_factory=list, max_length=4, description="what the victim agreed to"
    )


class CaseLinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request: str = Field(pattern=REQUEST_PATTERN, description="the cooperation request's reference")


class RemovalNoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    to: str = Field(
        max_length=MAX_NAME, description="the provider's name, or a State's alpha-3 code"
    )
    kind: Literal["provider", "state"] = "provider"
    deadline: str = Field(
        max_length=40,
        description="a period (48h, 7d), a day (2026-12-10: by its end, UTC) or an RFC 3339 time",
    )


class NoticeAnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: StrictInt = Field(ge=1, description="the notice's version as it was read")


class NoticeRemovedIn(NoticeAnswerIn):
    confirmation: str = Field(
        max_length=MAX_NAME, description="the provider's confirmation reference"
    )


class NoticeRefusedIn(NoticeAnswerIn):
    reason: str = Field(max_length=MAX_REASON, description="the reason the recipient gave")


# --- answers ------------------------------------------------------------------------------------


class RemovalCaseOut(BaseModel):
    case: str
    article: int
    victim_ref: str = Field(
        description="the victim's pseudonym; the identity never enters the node"
    )
    authority: str
    consent: list[str]
    opened_at: datetime
    opened_by: str
    hashes: int = Field(description="how many hashes (signals) the case lists")

    @classmethod
    def of(cls, case: RemovalCase) -> RemovalCaseOut:
        return cls(**case.as_dict())


class RemovalCaseSummaryOut(BaseModel):
    case: RemovalCaseOut
    notices: int
    open_notices: int
    overdue: int
    next_deadline: datetime | None


class RemovalNoticeOut(BaseModel):
    notice: str
    case: str
    authority: str
    to: str
    to_kind: Literal["provider", "state"]
    legal_basis: str
    content: list[str] = Field(description="the SHA-256 digests of the content asked about")
    state: Literal["sent", "acknowledged", "removed", "refused", "reuploaded"]
    sent_at: datetime
    sent_by: str
    deadline: datetime
    overdue: bool
    updated_at: datetime
    confirmation: str | None
    reason: str | None
    reuploads: int
    version: int = Field(description="give it back with an answer to the notice")

    @classmethod
    def of(cls, notice: RemovalNotice, now: datetime) -> RemovalNoticeOut:
        return cls(**notice.as_dict(now), version=notice.version)


class CaseSignalOut(BaseModel):
    list: str
    signal: str
    value: str
    quality: int | None


class CaseLinkedRequestOut(BaseModel):
    request: str
    kind: str | None = Field(description="null when the request is not visible to you")
    status: str | None
    visible: bool


class CasePreservedOut(BaseModel):
    package_id: str
    sha256: str
    sealed_at: datetime
    sealed_by: str


class CaseMatchOut(BaseModel):
    at: datetime
    signals: list[str]
    list: str
    distance: int = Field(description="the nearest: 0 for an exact digest, PDQ bits otherwise")
    by: str = Field(description="the account that matched (never the platform's end user)")
    reopened: bool = Field(description="whether the match reopened a notice as a re-upload")


class CaseMatchesOut(BaseModel):
    total: int = Field(description="every match of the case's content since it was opened")
    kept: list[CaseMatchOut] = Field(description="the newest, newest first")
    kept_at_most: int = Field(description=f"how many a case keeps ({KEPT_PER_CASE})")


class RemovalCaseFileOut(RemovalCaseOut):
    signals: list[CaseSignalOut]
    notices: list[RemovalNoticeOut]
    requests: list[CaseLinkedRequestOut]
    preserved: list[CasePreservedOut]
    matches: CaseMatchesOut


# --- cases --------------------------------------------------------------------------------------


@router.post(
    "/cases",
    status_code=201,
    response_model=RemovalCaseOut,
    summary="Open a removal case for your authority",
    responses={422: _CHANGE[422]},
)
def open_case(body: RemovalCaseIn, user: WorkerDep, node: NodeDep) -> RemovalCaseOut:
    case = content.open_case(
        node, user, article=body.article, victim_ref=body.victim_ref, consent=body.consent
    )
    return RemovalCaseOut.of(case)


class CasesPageOut(BaseModel):
    items: list[RemovalCaseSummaryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


class NoticesPageOut(BaseModel):
    items: list[RemovalNoticeOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


LimitQuery = Annotated[int, Query(ge=1, le=MAX_PAGE, description="rows per page")]
CursorQuery = Annotated[
    str | None, Query(max_length=500, description="next_cursor of the previous page")
]


def _paged(request: Request, out: BaseModel, next_cursor: str | None) -> Response:
    """The page as JSON, with a ``Link: rel="next"`` header as the requests list gives."""
    answer = Response(out.model_dump_json(), media_type="application/json")
    if next_cursor is not None:
        following = request.url.include_query_params(cursor=next_cursor)
        answer.headers["Link"] = f'<{following}>; rel="next"'
    return answer


@router.get(
    "/cases",
    response_model=CasesPageOut,
    summary="Your authority's removal cases: overdue notices first, then the nearest deadline",
    description="Paged as the requests list is: limit (1-500, 50 by default) and the "
    'next_cursor of the previous page (also in a Link: rel="next" header).',
    responses={422: _CHANGE[422]},
)
def list_cases(
    request: Request,
    user: WorkerDep,
    node: NodeDep,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Response:
    page = content_notices.desk_page(node, user, limit=limit, cursor=cursor)
    items = [
        RemovalCaseSummaryOut(
            case=RemovalCaseOut.of(row.case),
            notices=row.notices,
            open_notices=row.open_notices,
            overdue=row.overdue,
            next_deadline=row.next_deadline,
        )
        for row in page.items
    ]
    return _paged(
        request, CasesPageOut(items=items, next_cursor=page.next_cursor), page.next_cursor
    )


@router.get(
    "/cases/{reference}",
    response_model=RemovalCaseFileOut,
    summary="A removal case: its hashes, notices, linked requests, preserved packages, matches",
    responses=_MISSING,
)
def show_case(reference: str, user: WorkerDep, node: NodeDep) -> dict[str, Any]:
    found = content_notices.case_file(node, user, reference)
    now = node.clock.now()
    shown = found.as_dict(now)
    shown["notices"] = [RemovalNoticeOut.of(n, now) for n in found.notices]
    return shown


class AddedFileOut(BaseModel):
    file: str = Field(description="the file's name as sent (not kept on the node)")
    sha256: str
    pdq: str | None = Field(description="the PDQ hash listed, for a picture")
    vpdq: dict[str, Any] | None = Field(description="a video's vPDQ digest and frame count")
    listed: int = Field(description="how many new hashes it listed (0: listed already)")
    note: str | None = Field(description="why a hash was left out, when one was")
    package_id: str | None = Field(
        default=None, description="the evidence package it was sealed into, with preserve"
    )


class AddedOut(BaseModel):
    case: str
    files: list[AddedFileOut]


_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the files (each at most what the body allows: 128 MiB in all, "
        f"{content_upload.MAX_FILES} files); they are hashed in memory and dropped",
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "minItems": 1,
                            "maxItems": content_upload.MAX_FILES,
                        },
                        "preserve": {
                            "type": "boolean",
                            "description": "also seal each file, encrypted, into an evidence "
                            "package for the case (needs the victim's consent to preservation)",
                        },
                        "consent": {
                            "type": "string",
                            "enum": ["preserve"],
                            "description": "the victim's consent to preservation, recorded on "
                            "the case with preserve",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/cases/{reference}/content",
    response_model=AddedOut,
    summary="Add content to the case: its hashes are listed, the files are not kept",
    description="As 'hanoix content add': each file is hashed in memory (SHA-256, MD5, PDQ for "
    "a picture, vPDQ for a video) and dropped. With preserve=true each file is also sealed "
    "into an evidence package for the case, encrypted to the authority's own key; refused "
    "unless the case records the victim's consent to preservation (or consent=preserve is "
    "sent to record it), and when the authority's signing key is protected by a passphrase "
    "(then use the CLI).",
    openapi_extra=_UPLOAD_BODY,
    responses={**_CHANGE, 413: problem_doc("more than the body allows (128 MiB)")},
)
async def add_content(reference: str, request: Request, user: WorkerDep, node: NodeDep) -> AddedOut:
    form = await content_upload.read_form(request.headers, request.stream())
    given = form.fields.get("consent", [])
    if any(c != "preserve" for c in given):
        message = "consent: only 'preserve' is given with content (the rest at case opening)"
        raise InputError(message, problems=[Problem(message, field="consent")])
    if given and not form.flag("preserve"):
        message = "consent is for preserve=true: the case's consent is given when it is opened"
        raise InputError(message, problems=[Problem(message, field="consent")])
    added = await run_in_threadpool(
        content.add_files,
        node,
        user,
        reference,
        form.files,
        preserve=form.flag("preserve"),
        consent=given,
        ask=content_upload.no_passphrase,
    )
    return AddedOut(case=reference, files=[AddedFileOut(**item) for item in added])


@router.post(
    "/cases/{reference}/requests",
    response_model=CaseLinkedRequestOut,
    summary="Link the case to a cooperation request made for it",
    responses=_CHANGE,
)
def link_request(
    reference: str, body: CaseLinkIn, user: WorkerDep, node: NodeDep
) -> CaseLinkedRequestOut:
    linked = content_notices.link_request(node, user, reference, body.request)
    return CaseLinkedRequestOut(**linked.as_dict())


@router.delete(
    "/cases/{reference}/requests/{request}",
    status_code=204,
    summary="Unlink the case from a cooperation request",
    responses=_MISSING,
)
def unlink_request(reference: str, request: str, user: WorkerDep, node: NodeDep) -> Response:
    content_notices.unlink_request(node, user, reference, request)
    return Response(status_code=204)


# --- notices ------------------------------------------------------------------------------------


def _deadline(given: str, now: datetime) -> datetime:
    try:
        return parse_deadline(given, now)
    except InputError as bad:
        raise InputError(bad.message, problems=[Problem(bad.message, field="deadline")]) from None


@router.post(
    "/cases/{reference}/notices",
    status_code=201,
    response_model=RemovalNoticeOut,
    summary="Send a removal notice for the case's content, with a deadline",
    description="The node records the notice; it is delivered through the recipient's own "
    "channel (a provider's, or a request to a State). The case must list content.",
    responses=_CHANGE,
)
def send_notice(
    reference: str, body: RemovalNoticeIn, user: WorkerDep, node: NodeDep
) -> RemovalNoticeOut:
    now = node.clock.now()
    notice = content_notices.send_notice(
        node, user, reference, to=body.to, kind=body.kind, deadline=_deadline(body.deadline, now)
    )
    return RemovalNoticeOut.of(notice, now)


@router.get(
    "/notices",
    response_model=NoticesPageOut,
    summary="Your authority's removal notices, overdue first",
    description="Paged as the cases are: limit and cursor.",
    responses={404: _MISSING[404], 422: _CHANGE[422]},
)
def list_notices(
    request: Request,
    user: WorkerDep,
    node: NodeDep,
    overdue: Annotated[bool, Query(description="true: only notices past their deadline")] = False,
    case: Annotated[
        str | None, Query(pattern=CASE_PATTERN, description="only this case's notices")
    ] = None,
    limit: LimitQuery = 50,
    cursor: CursorQuery = None,
) -> Response:
    now = node.clock.now()
    page = content_notices.notices_page(
        node, user, overdue=overdue, case=case, limit=limit, cursor=cursor
    )
    out = NoticesPageOut(
        items=[RemovalNoticeOut.of(n, now) for n in page.items], next_cursor=page.next_cursor
    )
    return _paged(request, out, page.next_cursor)


def _answer(
    node: Node,
    user: User,
    notice: str,
    state: NoticeState,
    version: int,
    **given: str,
) -> RemovalNoticeOut:
    answered = content_notices.answer_notice(
        node, user, notice, state.value, expected_version=version, **given
    )
    return RemovalNoticeOut.of(answered, node.clock.now())


@router.post(
    "/notices/{notice}/acknowledge",
    response_model=RemovalNoticeOut,
    summary="Record that the recipient acknowledged the notice",
    responses=_CHANGE,
)
def acknowledge(
    notice: str, body: NoticeAnswerIn, user: WorkerDep, node: NodeDep
) -> RemovalNoticeOut:
    return _answer(node, user, notice, NoticeState.ACKNOWLEDGED, body.version)


@router.post(
    "/notices/{notice}/removed",
    response_model=RemovalNoticeOut,
    summary="Record that the content was removed, with the recipient's confirmation",
    responses=_CHANGE,
)
def removed(notice: str, body: NoticeRemovedIn, user: WorkerDep, node: NodeDep) -> RemovalNoticeOut:
    return _answer(
        node, user, notice, NoticeState.REMOVED, body.version, confirmation=body.confirmation
    )


@router.post(
    "/notices/{notice}/refused",
    response_model=RemovalNoticeOut,
    summary="Record that the recipient refused, with their reason",
    responses=_CHANGE,
)
def refused(notice: str, body: NoticeRefusedIn, user: WorkerDep, node: NodeDep) -> RemovalNoticeOut:
    return _answer(node, user, notice, NoticeState.REFUSED, body.version, reason=body.reason)
