"""Cooperation requests over HTTP, under ``/api/v1/requests``. Thin routes: parse, call
:mod:`hanoix.services.requests`, render.

* ``GET`` of a request answers with ``ETag: "<version>"``; every state change needs
  ``If-Match`` with that ETag (428 without it, 412 when the request moved on).
* ``POST /requests`` honours ``Idempotency-Key``: the same key and body give the first answer
  again (``Idempotent-Replayed: true``); the same key with another body is 422.
* Lists are paged by an opaque cursor (``next_cursor`` and a ``Link: rel="next"`` header).
* A request of another State, or another authority's restricted one, answers exactly like a
  missing one (the same 404 body).

Each lifecycle step of the transition table has its own route,
``POST /requests/{reference}/{step}`` (``submit``, ``approve``, ``refuse`` ...), generated
from the table, so the table and the API cannot drift apart. This module does not use
postponed annotations: the generated routes' body types must be real objects for FastAPI.
"""

from __future__ import annotations

import base64
import inspect
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, BinaryIO, Literal

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from hanoix.api.deps import get_node
from hanoix.api.problems import own_findings, problem_doc
from hanoix.api.request_models import (
    ConditionsIn,
    DeleteByIn,
    ExecuteIn,
    ExtendIn,
    FollowUpIn,
    FollowUpOut,
    KeepConfidentialIn,
    LinkIn,
    NoOnwardTransferIn,
    NoteIn,
    PageOut,
    PostponeIn,
    ReceivedEvidenceOut,
    RefuseIn,
    RetentionConsentIn,
    UseConsentIn,
    UseIn,
    UseOnlyForProceedingIn,
    UseOut,
)
from hanoix.api.security import CurrentPrincipal
from hanoix.convention import RequestKind
from hanoix.documents.request_views import DeadlineOut as DeadlineOutModel
from hanoix.documents.request_views import HistoryOut, RequestOut, SummaryOut, ValidationOut
from hanoix.documents.requests import (
    DraftChanges,
    EditIn,
    IncomingIn,
    RequestDocument,
    granted_consent,
    kind_schema,
    parse_date_field,
    read_document,
    to_draft,
    to_incoming,
)
from hanoix.errors import InputError, NotFoundError, Problem
from hanoix.requests import (
    TRANSITIONS,
    Action,
    ConditionsAttachment,
    DeleteBy,
    FollowUpLink,
    IntendedUse,
    KeepConfidential,
    NoOnwardTransfer,
    Payload,
    RequestReference,
    Status,
    UseAction,
    UseCondition,
    UseOnlyForProceeding,
    User,
)
from hanoix.services import requests as service
from hanoix.services.node import Node
from hanoix.store.requests import ListFilter

router = APIRouter(prefix="/requests", tags=["requests"])

NodeDep = Annotated[Node, Depends(get_node)]


class PreconditionRequiredError(InputError):
    """A state change was asked without ``If-Match`` (HTTP 428)."""

    http_status = 428
    code = "precondition-required"


Responses = dict[int | str, dict[str, Any]]


def _problem(text: str) -> dict[str, Any]:
    return problem_doc(text)


_AUTH: Responses = {401: _problem("not signed in"), 403: _problem("signed in, but not allowed")}
_READ: Responses = {
    **_AUTH,
    404: _problem("no such request (or not visible to you: the same answer)"),
}
_CHANGE: Responses = {
    **_READ,
    409: _problem("the step is not allowed from the request's state"),
    412: _problem("If-Match is not the request's current version: read it again"),
    422: _problem("the input does not match the schema, or the Convention says no"),
    428: _problem("If-Match is missing: send the ETag of the request as you read it"),
}


async def user_of(principal: CurrentPrincipal, node: NodeDep) -> User:
    """The caller as the requests domain sees them: from the principal as authenticated, in
    the event loop; in a worker thread only when their authority must be read again."""
    known = service.user_from_principal(principal)
    if known is not None:
        return known
    return await run_in_threadpool(service.user_for_principal, node, principal)


UserDep = Annotated[User, Depends(user_of)]


# What expected_version reads: a version number, quoted or not, weak or not, or '*'.
IF_MATCH_PATTERN = r'^(\*|(W/)?"?[0-9]{1,9}"?)$'


def expected_version(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='the ETag of the request as you read it, e.g. "3" (or * for any); '
            "required: without it the answer is 428",
            pattern=IF_MATCH_PATTERN,
        ),
    ] = None,
) -> int | None:
    """The version an If-Match header names; ``None`` for ``*``."""
    if if_match is None:
        raise PreconditionRequiredError(
            "this changes a request: send If-Match with the ETag you read (GET the request), "
            'e.g. If-Match: "3"',
            problems=[Problem("missing", field="If-Match")],
        )
    value = if_match.strip()
    if value == "*":
        return None
    match = re.fullmatch(r'(?:W/)?"?(\d{1,9})"?', value)
    if match is None:
        raise InputError(
            f'If-Match: {value!r} is not an ETag of a request; send it as you read it, e.g. "3"',
            problems=[Problem("not an ETag of a request", field="If-Match")],
        )
    return int(match.group(1))


VersionDep = Annotated[int | None, Depends(expected_version)]


def etag(version: int) -> str:
    return f'"{version}"'


def _render(response: Response, request_out: RequestOut) -> RequestOut:
    response.headers["ETag"] = etag(request_out.version)
    return request_out


# --- collection -----------------------------------------------------------------------------


def _choice(value: str | None, allowed: list[str], field_name: str) -> str | None:
    if value is not None and value not in allowed:
        message = f"{value!r} is not one of: {', '.join(allowed)}"
        raise InputError(f"{field_name}: {message}", problems=[Problem(message, field=field_name)])
    return value


def _instant(value: str | None, field_name: str) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or "T" not in value:
        message = f"{value!r} is not an RFC 3339 time with a zone, e.g. 2026-12-01T00:00:00Z"
        raise InputError(f"{field_name}: {message}", problems=[Problem(message, field=field_name)])
    return parsed.astimezone(UTC)


@router.get(
    "",
    response_model=PageOut,
    summary="List the requests you may see, newest first",
    responses=_AUTH,
)
def list_requests(
    request: Request,
    user: UserDep,
    node: NodeDep,
    kind: Annotated[
        str | None,
        Query(
            description="kind of request",
            json_schema_extra={"enum": [k.value for k in RequestKind]},
        ),
    ] = None,
    state: Annotated[
        str | None,
        Query(description="either party's State (alpha-3)", pattern="^[A-Z]{3}$"),
    ] = None,
    status: Annotated[
        str | None,
        Query(description="status", json_schema_extra={"enum": [s.value for s in Status]}),
    ] = None,
    side: Annotated[Literal["requesting", "requested"] | None, Query()] = None,
    deadline_before: Annotated[
        str | None,
        Query(
            description="next deadline before this RFC 3339 time",
            json_schema_extra={"format": "date-time"},
        ),
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="true: only requests past a deadline")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=500, description="next_cursor of the previous page")
    ] = None,
) -> Response:
    filters = ListFilter(
        kind=_choice(kind, [k.value for k in RequestKind], "kind"),
        state=state,
        status=_choice(status, [s.value for s in Status], "status"),
        side=side,
        deadline_before=_instant(deadline_before, "deadline_before"),
        overdue_at=node.clock.now() if overdue else None,
    )
    page = service.list_requests(node, user, filters, limit=limit, cursor=cursor)
    out = PageOut(items=[SummaryOut.of(r) for r in page.items], next_cursor=page.next_cursor)
    # Serialised here, once: returned as a model, it would be validated again against
    # response_model (which still documents it) before being written.
    answer = Response(out.model_dump_json(), media_type="application/json")
    if page.next_cursor is not None:
        following = request.url.include_query_params(cursor=page.next_cursor)
        answer.headers["Link"] = f'<{following}>; rel="next"'
    return answer


@router.post(
    "",
    response_model=RequestOut,
    status_code=201,
    summary="Draft a new outgoing request",
    responses={**_AUTH, 409: _problem("a request with this Idempotency-Key is in progress")},
)
def create_request(
    body: RequestDocument,
    response: Response,
    user: UserDep,
    node: NodeDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            pattern=r"^[\x21-\x7e]+$",
            description="retry safely: the same key and body give the first answer again",
        ),
    ] = None,
) -> RequestOut:
    created = service.create(node, user, to_draft(body), idempotency_key=idempotency_key)
    response.headers["Location"] = f"/api/v1/requests/{created.request.reference}"
    if created.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return _render(response, RequestOut.of(created.request, [], created.report))


@router.post(
    "/validate",
    response_model=ValidationOut,
    summary="Validate a request document without storing it",
    description="A document that can be read as a request gets its findings (`valid`, "
    "`problems`, `warnings`); one that cannot (an unknown kind, a date not written "
    "YYYY-MM-DD, an unknown State, a content the kind does not have) gets the same 400 problem "
    "document as `POST /requests`, and one that does not match the schema (a field missing) "
    "the 422 one; both list every problem at once, the envelope's and every content gap, each "
    "with its field and article.",
    responses=_AUTH,
)
def validate_document(body: RequestDocument, user: UserDep, node: NodeDep) -> ValidationOut:
    # Unusable input is refused as it is on creation (422), not answered as "not valid": the
    # document then does not match its own schema (kind, dates), and a 200 would accept it.
    # The refusal still lists every gap, so the drafter sees the whole document's.
    result = service.validate_document(node, body.model_dump(mode="json"), user=user)
    result.raise_if_unusable()
    return ValidationOut.of_problems(
        result.errors, result.warnings, kind=result.kind.value if result.kind else None
    )


# A body that does not match the schema is read as the CLI reads it: every problem, each with
# its article and basis, and every gap, in the same 422 answer.
own_findings(validate_document, lambda body: [p.as_dict() for p in read_document(body).problems])


@router.get(
    "/deadlines",
    response_model=list[DeadlineOutModel],
    summary="Open deadlines of the requests you may see: overdue first, then soonest",
    responses=_AUTH,
)
def list_deadlines(
    user: UserDep,
    node: NodeDep,
    within_days: Annotated[int | None, Query(ge=0, le=3650, description="due within")] = None,
) -> list[DeadlineOutModel]:
    within = timedelta(days=within_days) if within_days is not None else None
    return [DeadlineOutModel.of(s) for s in service.deadlines(node, user, within=within)]


@router.get(
    "/schema/{kind}",
    summary="JSON Schema of a request of one kind (the documented input format)",
    response_model=dict[str, Any],
)
def get_schema(kind: str) -> dict[str, Any]:
    try:
        known = RequestKind(kind)
    except ValueError:
        raise NotFoundError(
            f"no kind of request {kind!r}; the kinds are: {', '.join(k.value for k in RequestKind)}"
        ) from None
    return kind_schema(known)


@router.post(
    "/incoming",
    response_model=RequestOut,
    status_code=201,
    summary="Register a request that came from another State outside the network",
    responses={**_AUTH, 409: _problem("this node already holds that request")},
)
def register_incoming(
    body: IncomingIn, response: Response, user: UserDep, node: NodeDep
) -> RequestOut:
    incoming = to_incoming(body, service.require_role(user, Action.REGISTER))
    registered = service.register(node, user, incoming)
    response.headers["Location"] = f"/api/v1/requests/{registered.reference}"
    return _render(response, RequestOut.of(registered))


# --- one request ----------------------------------------------------------------------------


@router.get(
    "/{reference}",
    response_model=RequestOut,
    summary="A request, with its contents and open deadlines",
    responses={**_READ, 304: {"description": "not modified (If-None-Match)"}},
)
def get_request(
    reference: str,
    response: Response,
    user: UserDep,
    node: NodeDep,
    if_none_match: Annotated[str | None, Header(alias="If-None-Match")] = None,
) -> Any:
    shown = service.show(node, user, reference)
    tag = etag(shown.request.version)
    # An erasure empties a request without a new version (it is not a step), so the version
    # no longer says whether a copy read before is still what the node holds: such a request
    # is always answered in full (docs/retention.md).
    fresh = not shown.erasures
    if fresh and if_none_match is not None and if_none_match.strip().removeprefix("W/") == tag:
        return Response(status_code=304, headers={"ETag": tag})
    return _render(
        response,
        RequestOut.of(
            shown.request, shown.deadlines, erasures=[e.as_dict() for e in shown.erasures]
        ),
    )


@router.get(
    "/{reference}/letter",
    response_class=Response,
    summary="The request as a formal letter: PDF/A-3 with the request's document embedded "
    "(a DRAFT, watermarked and unsigned, until the request is approved); docs/letters.md",
    responses={
        **_READ,
        200: {"content": {"application/pdf": {}}, "description": "the letter (PDF/A-3b)"},
        422: _problem(
            "no letter wording for that language (the problem names those there are), a "
            "request received from another State, or a withdrawn one"
        ),
    },
)
def get_letter(
    reference: str,
    user: UserDep,
    node: NodeDep,
    lang: Annotated[
        str | None,
        Query(
            min_length=2,
            max_length=16,
            description="the letter's language (ISO 639-1); default: the request's",
        ),
    ] = None,
) -> Response:
    from hanoix.services import letters

    issued = letters.issue(node, user, reference, lang)
    return Response(
        issued.pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{issued.file_name}"',
            "X-Letter-Draft": "true" if issued.draft else "false",
        },
    )


@router.get(
    "/{reference}/history",
    response_model=HistoryOut,
    summary="Every step's custody event with its inclusion proof in the ledger",
    responses=_READ,
)
def get_history(reference: str, user: UserDep, node: NodeDep) -> HistoryOut:
    return HistoryOut.model_validate(service.history(node, user, reference).as_dict())


@router.get(
    "/{reference}/validation",
    response_model=ValidationOut,
    summary="Validate the current version of a request",
    responses=_READ,
)
def get_validation(
    reference: str, response: Response, user: UserDep, node: NodeDep
) -> ValidationOut:
    report = service.validate_request(node, user, reference)
    response.headers["ETag"] = etag(report.version)
    return ValidationOut.of(report)


@router.post(
    "/{reference}/follow-up",
    response_model=FollowUpOut,
    status_code=201,
    summary="Draft the MLA request that follows up a preservation, and link them",
    responses=_CHANGE,
)
def post_follow_up(
    reference: str,
    response: Response,
    user: UserDep,
    node: NodeDep,
    version: VersionDep,
    body: FollowUpIn | None = None,
) -> FollowUpOut:
    body = body or FollowUpIn()
    kind = None
    if body.kind is not None:
        try:
            kind = RequestKind(body.kind)
        except ValueError:
            message = f"unknown kind {body.kind!r}"
            raise InputError(message, problems=[Problem(message, field="kind")]) from None
    contents = {k: tuple(v) if isinstance(v, list) else v for k, v in body.contents.items()}
    result = service.follow_up(
        node, user, reference, expected_version=version, kind=kind, contents=contents
    )
    response.headers["Location"] = f"/api/v1/requests/{result.mla.reference}"
    response.headers["ETag"] = etag(result.mla.version)
    return FollowUpOut(
        follow_up=RequestOut.of(result.mla, [], result.report),
        preservation_reference=str(result.preservation.reference),
        preservation_version=result.preservation.version,
    )


@router.post(
    "/{reference}/uses",
    response_model=UseOut,
    summary="May I make this use of what was received? (conditions on use, Arts 36, 40)",
    responses=_READ,
)
def check_use(reference: str, body: UseIn, user: UserDep, node: NodeDep) -> UseOut:
    try:
        use = IntendedUse(
            UseAction(body.action), proceeding=body.proceeding, recipient=body.recipient
        )
    except InputError as error:
        raise InputError(error.message, problems=[Problem(error.message, field="action")]) from None
    decision = service.check_intended_use(node, user, reference, use)
    return UseOut(allowed=True, action=body.action, notice=decision.notice)


# --- evidence returned for a request -------------------------------------------------------

_PACKAGE_DOWNLOAD: Responses = {
    200: {
        "description": "the package file, as received and verified",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    **_READ,
    403: _problem("not allowed, or a condition on the use of the material forbids a copy"),
    404: _problem("no such request, or no such package received for it"),
}
_DOWNLOAD_CHUNK = 1024 * 1024


@router.get(
    "/{reference}/evidence",
    response_model=list[ReceivedEvidenceOut],
    summary="The packages the other State returned for this request, verified on arrival",
    responses=_READ,
)
def list_received_evidence(
    reference: str, user: UserDep, node: NodeDep
) -> list[ReceivedEvidenceOut]:
    from hanoix.services import exchange

    found = exchange.received_evidence(node, user, reference)
    return [ReceivedEvidenceOut.model_validate(item.as_dict()) for item in found]


@router.get(
    "/{reference}/evidence/{package_id}",
    response_class=StreamingResponse,
    summary="Take a copy of a received package (a use of the material: its conditions apply, "
    "and the decision is recorded in the custody ledger)",
    responses=_PACKAGE_DOWNLOAD,
)
def download_received_evidence(
    reference: str, package_id: str, user: UserDep, node: NodeDep
) -> StreamingResponse:
    from hanoix.services import exchange

    item, stream = exchange.release_evidence(node, user, reference, package_id)
    digest = base64.b64encode(bytes.fromhex(item.sha256)).decode()
    return StreamingResponse(
        _read_through(stream),
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(item.size),
            "Content-Disposition": f'attachment; filename="{_package_file_name(item.package_id)}"',
            "ETag": f'"{item.sha256}"',
            "Repr-Digest": f"sha-256=:{digest}:",  # RFC 9530: the client can check what it got
        },
    )


def _read_through(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while block := stream.read(_DOWNLOAD_CHUNK):
            yield block


def _package_file_name(package_id: str) -> str:
    return f"{package_id.removeprefix('sha256:')[:16]}.hxp"


# --- lifecycle steps, one route per step of the table ---------------------------------------


def _condition(item: Any) -> UseCondition:
    if isinstance(item, UseOnlyForProceedingIn):
        return UseOnlyForProceeding(proceeding=item.proceeding)
    if isinstance(item, NoOnwardTransferIn):
        return NoOnwardTransfer(written=item.written)
    if isinstance(item, KeepConfidentialIn):
        return KeepConfidential()
    assert isinstance(item, DeleteByIn)
    problems: list[Problem] = []
    on = parse_date_field(item.on, "conditions.on", "Art. 36(1)(b)", problems)
    if on is None:
        raise InputError(problems[0].message, problems=problems)
    return DeleteBy(on=on)


def _consent(body: UseConsentIn | RetentionConsentIn, user: User, node: Node) -> Payload:
    if isinstance(body, UseConsentIn):
        return granted_consent(
            user,
            node.clock.now(),
            use=UseAction(body.action),
            proceeding=body.proceeding,
            recipient=body.recipient,
            written=body.written,
            letter=body.letter,
        )
    problems: list[Problem] = []
    until = parse_date_field(body.until, "until", "Art. 36(1)(b)", problems)
    if until is None:
        raise InputError(problems[0].message, problems=problems)
    return granted_consent(
        user, node.clock.now(), until=until, written=body.written, letter=body.letter
    )


def _link(body: LinkIn) -> FollowUpLink:
    try:
        return FollowUpLink(reference=RequestReference.parse(body.reference))
    except InputError as error:
        raise InputError(
            error.message, problems=[Problem(error.message, field="reference")]
        ) from None


ToPayload = Callable[[Any, User, Node], Payload | DraftChanges | None]

ConsentBody = Annotated[UseConsentIn | RetentionConsentIn, Body(discriminator="type")]

# What each step's body is and how it becomes the domain's payload. Steps not listed take an
# optional note only.
_BODIES: dict[Action, tuple[Any, bool, ToPayload]] = {
    Action.EDIT: (EditIn, True, lambda b, u, n: b.payload()),
    Action.POSTPONE: (PostponeIn, True, lambda b, u, n: b.payload()),
    Action.REFUSE: (RefuseIn, True, lambda b, u, n: b.payload()),
    Action.EXECUTE_PARTIALLY: (ExecuteIn, False, lambda b, u, n: b.payload() if b else None),
    Action.EXECUTE: (ExecuteIn, False, lambda b, u, n: b.payload() if b else None),
    Action.EXTEND_PRESERVATION: (ExtendIn, True, lambda b, u, n: b.payload()),
    Action.ATTACH_CONDITIONS: (
        ConditionsIn,
        True,
        lambda b, u, n: ConditionsAttachment(tuple(_condition(c) for c in b.conditions)),
    ),
    Action.CONSENT_TO_USE: (ConsentBody, True, lambda b, u, n: _consent(b, u, n)),
    Action.LINK_FOLLOW_UP: (LinkIn, True, lambda b, u, n: _link(b)),
}


def _step_route(action: Action, label: str) -> None:
    body_type, required, to_payload = _BODIES.get(action, (NoteIn, False, lambda b, u, n: None))
    path = "/{reference}/" + action.value.replace("_", "-")

    def take(
        reference: str, body: Any, response: Response, user: User, node: Node, version: int | None
    ) -> RequestOut:
        payload = to_payload(body, user, node)
        note = getattr(body, "note", None) if body is not None else None
        changed = service.take_step(
            node, user, reference, action, expected_version=version, payload=payload, note=note
        )
        return _render(response, RequestOut.of(changed))

    def endpoint(**kwargs: Any) -> RequestOut:
        return take(
            kwargs["reference"],
            kwargs.get("body"),
            kwargs["response"],
            kwargs["user"],
            kwargs["node"],
            kwargs["version"],
        )

    # The signature FastAPI reads: the body's type differs per step, so it is built here.
    keyword = inspect.Parameter.KEYWORD_ONLY
    endpoint.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("reference", keyword, annotation=str),
            inspect.Parameter("response", keyword, annotation=Response),
            inspect.Parameter("user", keyword, annotation=UserDep),
            inspect.Parameter("node", keyword, annotation=NodeDep),
            inspect.Parameter("version", keyword, annotation=VersionDep),
            inspect.Parameter(
                "body",
                keyword,
                annotation=body_type if required else body_type | None,
                default=inspect.Parameter.empty if required else None,
            ),
        ],
        return_annotation=RequestOut,
    )
    endpoint.__name__ = f"step_{action.value}"
    router.add_api_route(
        path,
        endpoint,
        methods=["POST"],
        response_model=RequestOut,
        summary=f"Step '{action.value}': {label}",
        responses=_CHANGE,
        operation_id=f"request_{action.value}",
    )


# A step only the node takes (the receipt, recorded when the other State's message arrives)
# has no route: nobody could take it.
USER_STEPS = tuple(t for t in TRANSITIONS if not t.automatic)
for _transition in USER_STEPS:
    _step_route(_transition.action, _transition.label)


def step_paths() -> dict[str, Action]:
    """The path of each step's route (relative to the router) and its action."""
    return {"/{reference}/" + t.action.value.replace("_", "-"): t.action for t in USER_STEPS}
