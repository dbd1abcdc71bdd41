"""Federation over HTTP.

* ``/federation/v1``: the node-to-node API. Envelopes authenticate themselves (signature and
  directory); on the TLS listener the connection is also mutually authenticated.
* ``/api/v1/federation``: what people use: the 24/7 view (urgent messages first), its
  acknowledgement, and the node's federation status.

Routes only parse, call the service and render; the service decides.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import re
from collections import deque
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from hanoix.api.deps import get_node
from hanoix.api.problems import (
    PROBLEM_MEDIA_TYPE,
    PROBLEM_TYPE_BASE,
    error_response,
    problem_response,
)
from hanoix.api.security import require_roles
from hanoix.errors import HanoixError, UnavailableError
from hanoix.federation import codec
from hanoix.federation.envelope import MAX_ENVELOPE_BYTES
from hanoix.federation.errors import EnvelopeRejectedError, Reason, TransferError
from hanoix.federation.receipts import BATCH_RECEIPT_FORMAT, choose_format
from hanoix.services.auth import Principal
from hanoix.services.federation import INBOX_HANDLERS, INBOX_READERS, Federation, inbox_view
from hanoix.services.node import Node
from hanoix.services.requests import user_for_principal

FEDERATION_PREFIX = "/federation/v1"
MAX_CHUNK_BYTES = 64 * 1024 * 1024
_ID = r"^[0-9a-f]{32}$"

peer_router = APIRouter(prefix=FEDERATION_PREFIX, tags=["federation (node to node)"])
user_router = APIRouter(prefix="/federation", tags=["federation"])

_STATUS = {
    Reason.MALFORMED: 400,
    Reason.UNSUPPORTED_VERSION: 400,
    Reason.TOO_LARGE: 413,
    Reason.WRONG_RECIPIENT: 400,
    Reason.UNKNOWN_SENDER: 403,
    Reason.UNKNOWN_KEY: 403,
    Reason.REVOKED_KEY: 403,
    Reason.KEY_NOT_VALID: 403,
    Reason.BAD_SIGNATURE: 403,
    Reason.REPLAY: 409,
    Reason.TRANSFER_INCOMPLETE: 409,
}


def _federation(node: Annotated[Node, Depends(get_node)]) -> Federation:
    return node.federation


FederationDep = Annotated[Federation, Depends(_federation)]


def rejection_response(rejection: EnvelopeRejectedError) -> JSONResponse:
    status = _STATUS.get(rejection.reason, 422)
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + "envelope-rejected",
        "title": "envelope rejected",
        "status": status,
        "detail": rejection.detail,
        "reason": rejection.reason.value,
        "retryable": rejection.retryable,
        "envelope_id": rejection.envelope_id,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE)


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is longer than ``limit`` (reading stops there)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > limit:
            return None
    return bytes(body)


# What the peer routes read from their raw bodies and headers, for the OpenAPI document (the
# routes read the bytes themselves, to bound them while streaming, so FastAPI cannot see it).
_ENVELOPE_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "one signed envelope (docs/federation.md), at most 1 MiB",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}
_BASE64 = "^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
_BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "several envelopes, each base64-encoded; at most 8 MiB",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["envelopes"],
                    "properties": {
                        "envelopes": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 256,
                            "items": {"type": "string", "pattern": _BASE64},
                        },
                        "receipts": {
                            "type": "array",
                            "description": "the receipt formats the sender accepts, in its "
                            "order of preference (docs/federation.md, 'Receipts'); without "
                            "it, hanoix-receipt/1",
                            "minItems": 1,
                            "maxItems": 16,
                            "items": {"type": "string", "minLength": 1, "maxLength": 100},
                        },
                        "batch": {
                            "type": "object",
                            "description": "hanoix-batch/1 (format, sender, recipient, key_id, "
                            "signature): the sender's one signature over every envelope of the "
                            "request, which the hanoix-envelope/2 among them need "
                            "(docs/federation.md, 'Signed batches'); its members are checked "
                            "with those envelopes, which a flaw in it refuses, not the request",
                        },
                    },
                }
            }
        },
    }
}
_CHUNK_REQUEST: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "the bytes of the transfer from ?offset=, at most the chunk limit",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    },
    "parameters": [
        {
            "name": "Hanoix-Transfer-Size",
            "in": "header",
            "required": True,
            "description": "the whole transfer's size in bytes, as announced",
            "schema": {"type": "string", "pattern": "^[0-9]{1,19}$"},
        },
        {
            "name": "Hanoix-Transfer-Sha256",
            "in": "header",
            "required": True,
            "description": "the whole transfer's SHA-256, 64 lower-case hex digits, as announced",
            "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        },
        {
            "name": "Hanoix-Sender",
            "in": "header",
            "required": True,
            "description": "the sending node's origin, as in its announcing envelope",
            "schema": {"type": "string", "minLength": 1, "maxLength": 253},
        },
    ],
}
_WITNESS_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "a checkpoint and its cosignatures (docs/ledger.md), at most 256 KiB",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }
}


@peer_router.post(
    "/envelopes",
    summary="Deliver one envelope; answered with the receiver's signed receipt",
    openapi_extra=_ENVELOPE_BODY,
    responses={
        200: {"description": "taken (or taken before: duplicate is true); the receipt"},
        400: {"description": "malformed"},
        403: {"description": "unknown sender or key, revoked key, bad signature"},
        409: {"description": "replay with other content, or an incomplete transfer"},
        413: {"description": "larger than 1 MiB"},
        422: {"description": "expired, future-dated, undecryptable, refused by its handler"},
    },
)
async def post_envelope(request: Request, federation: FederationDep) -> Response:
    data = await _read_limited(request, MAX_ENVELOPE_BYTES)
    if data is None:
        rejection = EnvelopeRejectedError(
            Reason.TOO_LARGE, f"the body is larger than {MAX_ENVELOPE_BYTES} bytes"
        )
        await run_in_threadpool(federation.record_rejection, rejection, b"")
        return rejection_response(rejection)
    try:
        result = await run_in_threadpool(federation.process_inbound, data)
    except EnvelopeRejectedError as rejection:
        return rejection_response(rejection)
    return JSONResponse(result.as_dict())


MAX_BATCH_ENVELOPES = 256
MAX_BATCH_BYTES = 8 * 1024 * 1024


@peer_router.post(
    "/envelopes/batch",
    summary="Deliver several envelopes at once; each answered as by POST /envelopes",
    openapi_extra=_BATCH_BODY,
    responses={
        200: {
            "description": "one result per envelope, in order: {status, receipt, duplicate} "
            "or a problem with its reason"
        },
        400: {"description": "not a batch"},
        413: {"description": "more than 256 envelopes or 8 MiB"},
    },
)
async def post_envelopes(request: Request, federation: FederationDep) -> Response:
    """Body: ``{"envelopes": [B64(envelope bytes), ...], "receipts": [format, ...]?,
    "batch": {hanoix-batch/1}?}``. The
    envelopes are taken in one transaction (each in a savepoint): one commit for the lot, and
    every receipt answered is for an effect already durable."""
    data = await _read_limited(request, MAX_BATCH_BYTES)
    if data is None:
        return problem_response(413, "too-large", f"a batch is at most {MAX_BATCH_BYTES} bytes")
    try:
        batch = codec.json_object(data, "batch")
        raw = batch.get("envelopes")
        if not isinstance(raw, list) or not raw or not all(isinstance(e, str) for e in raw):
            raise codec.FieldError("envelopes", "must be a non-empty list of base64 strings")
        if len(raw) > MAX_BATCH_ENVELOPES:
            # The count is part of the batch's schema (maxItems), unlike its size in bytes.
            raise codec.FieldError("envelopes", f"a batch is at most {MAX_BATCH_ENVELOPES}")
        envelopes = [base64.b64decode(e, validate=True) for e in raw]
        batch_receipts = choose_format(batch) == BATCH_RECEIPT_FORMAT
        signed = batch.get("batch")
        if signed is not None and not isinstance(signed, dict):
            # Its members are checked with the envelopes it signs, which its flaws refuse.
            raise codec.FieldError("batch", "must be an object (hanoix-batch/1)")
    except (codec.FieldError, ValueError) as exc:
        return problem_response(400, "invalid-input", f"not a batch of envelopes: {exc}")
    results = await run_in_threadpool(
        partial(
            federation.process_inbound_batch,
            envelopes,
            batch_receipts=batch_receipts,
            signed_batch=signed,
        )
    )
    answers: list[dict[str, Any]] = []
    for result in results:
        if result is None:
            answers.append({"status": 500, "detail": "internal error", "retryable": True})
        elif isinstance(result, EnvelopeRejectedError):
            answers.append(json.loads(bytes(rejection_response(result).body)))
        else:
            answers.append({"status": 200, **result.as_dict()})
    return JSONResponse({"results": answers})


@peer_router.head(
    "/transfers/{transfer_id}",
    summary="How many bytes of a transfer are held (the Hanoix-Offset header; no body)",
    response_class=Response,
    responses={200: {"description": "the offset held, in the Hanoix-Offset header"}},
)
async def transfer_offset(
    federation: FederationDep, transfer_id: Annotated[str, PathParam(pattern=_ID)]
) -> Response:
    offset = await run_in_threadpool(federation.transfer_offset, transfer_id)
    return Response(status_code=200, headers={"Hanoix-Offset": str(offset)})


@peer_router.post(
    "/transfers/{transfer_id}",
    summary="Announce a transfer with its signed evidence.package envelope; answers the offset",
    openapi_extra=_ENVELOPE_BODY,
    responses={
        200: {"description": "the transfer is open; the offset held (body and Hanoix-Offset)"},
        403: {"description": "unknown sender or key, revoked key, bad signature"},
        422: {"description": "not an evidence.package envelope for this transfer, or expired"},
    },
)
async def announce_transfer(
    request: Request,
    federation: FederationDep,
    transfer_id: Annotated[str, PathParam(pattern=_ID)],
) -> Response:
    data = await _read_limited(request, MAX_ENVELOPE_BYTES)
    if data is None:
        return rejection_response(
            EnvelopeRejectedError(
                Reason.TOO_LARGE, f"the body is larger than {MAX_ENVELOPE_BYTES} bytes"
            )
        )
    try:
        held = await run_in_threadpool(federation.announce_transfer, transfer_id, data)
    except EnvelopeRejectedError as rejection:
        await run_in_threadpool(federation.record_rejection, rejection, data)
        return rejection_response(rejection)
    except TransferError as exc:
        return _transfer_problem(exc)
    return JSONResponse({"offset": held}, headers={"Hanoix-Offset": str(held)})


def _transfer_problem(exc: TransferError) -> JSONResponse:
    # A problem document (type, title, status, detail) as documented, keeping the members
    # senders read (error, offset).
    problem = {
        "type": PROBLEM_TYPE_BASE + exc.code,
        "title": exc.code.replace("-", " "),
        "status": exc.http_status,
        "detail": exc.message,
    }
    return JSONResponse(
        {**exc.as_dict(), **problem},
        status_code=exc.http_status,
        media_type=PROBLEM_MEDIA_TYPE,
    )


# Blocks of a chunk waiting for the writer (each written after the one before it) before the
# body is read on: the writer's delays, on a busy machine, do not stop the socket at once.
_WRITES_AHEAD = 3


def _write_after(
    writes: deque[asyncio.Future[None]], write: Callable[[], None]
) -> asyncio.Future[None]:
    """Run ``write`` in a thread once the last of ``writes`` is done (not if it failed)."""
    previous = writes[-1] if writes else None

    async def run() -> None:
        if previous is not None:
            await previous
        await run_in_threadpool(write)

    return asyncio.ensure_future(run())


@peer_router.put(
    "/transfers/{transfer_id}",
    summary="Append one chunk of an announced evidence transfer at ?offset=",
    openapi_extra=_CHUNK_REQUEST,
    responses={
        403: {"description": "no signed envelope announced this transfer"},
        409: {"description": "the offset is not the one held; the body says which"},
    },
)
async def put_chunk(
    request: Request,
    federation: FederationDep,
    transfer_id: Annotated[str, PathParam(pattern=_ID)],
    offset: Annotated[int, Query(ge=0)],
) -> Response:
    headers = request.headers
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_CHUNK_BYTES:
        return problem_response(
            413, "chunk-too-large", f"a chunk is at most {MAX_CHUNK_BYTES} bytes"
        )
    try:
        total = int(headers.get("hanoix-transfer-size", ""))
    except ValueError:
        return problem_response(400, "transfer-invalid", "Hanoix-Transfer-Size is required")
    try:
        writer = await run_in_threadpool(
            lambda: federation.begin_chunk(
                transfer_id,
                offset=offset,
                total=total,
                sha256=headers.get("hanoix-transfer-sha256", ""),
                sender=headers.get("hanoix-sender", ""),
            )
        )
    except TransferError as exc:
        return _transfer_problem(exc)
    except codec.FieldError as exc:
        return problem_response(400, "transfer-invalid", str(exc))
    except UnavailableError as exc:
        # This route answers outside the application's exception handlers (see
        # ChunkStreamMiddleware): a full disk or an unreachable database is said here.
        return error_response(exc)
    # Streamed to the file as it arrives: never the whole chunk in memory.
    finished = False
    writes: deque[asyncio.Future[None]] = deque()
    try:
        # Gathered into blocks, each written (and hashed) in a thread, in order, while the
        # next ones are read from the socket.
        received = 0
        async for piece in request.stream():
            received += len(piece)
            if received > MAX_CHUNK_BYTES:
                return problem_response(
                    413, "chunk-too-large", f"a chunk is at most {MAX_CHUNK_BYTES} bytes"
                )
            for block in writer.gather(piece):
                if len(writes) == _WRITES_AHEAD:
                    await writes.popleft()
                writes.append(_write_after(writes, partial(writer.write, block)))
        last = writer.rest()
        if last is not None:
            writes.append(_write_after(writes, partial(writer.write, last)))
        if writes:
            await writes[-1]
        finished = True
        held = await run_in_threadpool(writer.finish)
    except TransferError as exc:
        return _transfer_problem(exc)
    except UnavailableError as exc:
        return error_response(exc)
    finally:
        if not finished:
            if writes:
                # The last write waits for those before it.
                with contextlib.suppress(Exception):
                    await writes[-1]
            writer.abort()
    return JSONResponse({"offset": held}, headers={"Hanoix-Offset": str(held)})


@peer_router.get("/checkpoint", summary="This node's signed ledger checkpoint, for witnessing")
async def checkpoint(
    federation: FederationDep,
    since: Annotated[int, Query(ge=0, description="the size the caller saw last")] = 0,
    witness: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    result: dict[str, Any] = await run_in_threadpool(federation.checkpoint_for, since, witness)
    return result


@peer_router.post(
    "/witness",
    summary="Exchange cosignatures: ours of yours, yours of ours",
    openapi_extra=_WITNESS_BODY,
)
async def witness(request: Request, federation: FederationDep) -> Response:
    data = await _read_limited(request, 256 * 1024)
    if data is None:
        return problem_response(413, "too-large", "the witness exchange is at most 256 KiB")
    try:
        body = codec.json_object(data, "body")
        result = await run_in_threadpool(federation.accept_witness, body)
    except codec.FieldError as exc:
        return problem_response(400, "invalid-input", str(exc))
    except HanoixError as exc:
        return problem_response(exc.http_status, exc.code, exc.message)
    return JSONResponse(result)


@peer_router.get("/identity", summary="This node's directory entry (public keys, certificate)")
async def identity(federation: FederationDep) -> dict[str, Any]:
    entry = await run_in_threadpool(federation.own_entry)
    return entry.as_dict()


@peer_router.get(
    "/letters/{reference}/issue",
    summary="The custody entry recording a letter's issue, with its inclusion proof",
    description="For whoever holds the letter: the SHA-256 of the document it embeds is the "
    "key. Any mismatch (no such entry, another letter, another request) is the same 404.",
    responses={404: {"description": "no issue of that letter is recorded at that entry"}},
)
async def letter_issue(
    node: Annotated[Node, Depends(get_node)],
    reference: Annotated[str, PathParam(pattern=r"^[A-Z]{3}-[0-9]{4}-[0-9]{6,12}$")],
    index: Annotated[int, Query(ge=0, le=2**62, description="the entry the QR code names")],
    size: Annotated[int, Query(ge=1, le=2**62, description="the checkpoint's tree size")],
    document: Annotated[str, Query(pattern=r"^[0-9a-f]{64}$", description="its SHA-256")],
) -> Response:
    from hanoix.services import letters

    try:
        proof = await run_in_threadpool(letters.issue_proof, node, reference, index, size, document)
    except HanoixError as exc:
        return problem_response(exc.http_status, exc.code, exc.message)
    return JSONResponse(proof.as_dict())


# --- for people ---------------------------------------------------------------------------

# Incoming messages are case material: read by those who handle cooperation, acknowledged by
# those on duty for it (the service applies the requests' visibility rule to each message);
# the node's plumbing (peers, queues) by those who run or audit it.
InboxReader = Annotated[Principal, Depends(require_roles(*sorted(INBOX_READERS)))]
InboxHandler = Annotated[Principal, Depends(require_roles(*sorted(INBOX_HANDLERS)))]
NodeOverseer = Annotated[
    Principal, Depends(require_roles("administrator", "officer_24_7", "auditor"))
]


@user_router.get(
    "/inbox",
    summary="The 24/7 view: received messages, urgent ones first",
    description="Only the messages the caller may see: a message about a request is shown to "
    "those who may see the request (a restricted request's to its handling authority only).",
)
def inbox(
    node: Annotated[Node, Depends(get_node)],
    caller: InboxReader,
    all_messages: Annotated[bool, Query(alias="all")] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    user = user_for_principal(node, caller)
    return [m.as_dict() for m in inbox_view(node, user, pending_only=not all_messages, limit=limit)]


@user_router.post(
    "/inbox/{envelope_id}/acknowledge",
    summary="Mark a message as seen",
    description="A message the caller may not see answers 404, as a missing one does; a "
    "message about a request is marked seen by its handling authority only (403 for others).",
)
def acknowledge(
    federation: FederationDep,
    caller: InboxHandler,
    envelope_id: Annotated[str, PathParam(pattern=_ID)],
) -> dict[str, Any]:
    user = user_for_principal(federation.node, caller)
    changed = federation.acknowledge(envelope_id, user)
    return {"envelope_id": envelope_id, "acknowledged": True, "changed": changed}


@user_router.get("/status", summary="Directory, peers, outbox and inbox counts")
def status(federation: FederationDep, _caller: NodeOverseer) -> dict[str, Any]:
    return federation.status()


RefusalReader = Annotated[Principal, Depends(require_roles("administrator", "auditor"))]


@user_router.get(
    "/refusals",
    summary="Envelopes refused from unauthenticated senders, and repeats: counts per sender "
    "and reason (not in the ledger)",
)
def refusals(federation: FederationDep, _caller: RefusalReader) -> list[dict[str, Any]]:
    return [r.as_dict() for r in federation.refusals()]


_CHUNK_PATH = re.compile(FEDERATION_PREFIX + r"/transfers/([0-9a-f]{32})")


class ChunkStreamMiddleware:
    """Pure ASGI: hands ``PUT /federation/v1/transfers/{id}`` straight to :func:`put_chunk`.

    A chunk arrives as thousands of body messages; the application's request-logging
    middleware (a ``BaseHTTPMiddleware``) wraps every one of them in a task group, which
    cost more CPU than writing and hashing the bytes. Everything else passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "PUT":
            match = _CHUNK_PATH.fullmatch(scope["path"])
            if match is not None:
                request = Request(scope, receive)
                response = await self._chunk(request, match.group(1))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    @staticmethod
    async def _chunk(request: Request, transfer_id: str) -> Response:
        raw = request.query_params.get("offset", "")
        if not raw.isdigit():
            return problem_response(422, "invalid-input", "?offset= must be a whole number")
        node: Node = request.app.state.node
        return await put_chunk(request, node.federation, transfer_id, int(raw))


def install(app: Any, api_prefix: str) -> None:
    """Mount both routers on ``app`` (the node-to-node API at the root)."""
    app.include_router(peer_router)
    app.include_router(user_router, prefix=api_prefix)
    app.add_middleware(ChunkStreamMiddleware)
