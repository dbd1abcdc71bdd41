"""Evidence for a request in the browser: upload files (resumable), seal and send them as a
package; take a copy of a received package, verify it, open it under the conditions on use,
and print a verification report a court can read.

Every check is the services' (:mod:`hanoix.services.exchange`, :mod:`hanoix.services.uploads`,
:mod:`hanoix.services.evidence`): a page only asks them and shows what they say. The upload
routes answer JSON for the page's script (``static/evidence-upload.js``); a browser without
scripts sends the same files with a plain multipart form.
"""

from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from fastapi import Depends, Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from hanoix.errors import HanoixError, InputError, NotFoundError
from hanoix.evidence.errors import PackageVerificationError
from hanoix.evidence.verify import PackageReport, VerifiedPackage
from hanoix.ledger import subjects
from hanoix.ledger.proofs import InclusionProof
from hanoix.requests import User
from hanoix.services import custody, exchange, uploads
from hanoix.services import requests as service
from hanoix.services.custody import CustodyLedger, LedgerEntry
from hanoix.services.evidence import Actor, load_decryption_key
from hanoix.services.node import Node
from hanoix.web.routing import page_router
from hanoix.web.session import CheckedForm, NodeOf, SignedInUser
from hanoix.web.templating import gettext_for, render

router = page_router()

_BLOCK = 1024 * 1024  # bytes gathered before each write to disk, off the event loop
_FORM_OVERHEAD = 1024 * 1024  # a multipart body's boundaries and fields besides its files
OPENED = Path("evidence") / "opened"


def _base(reference: str) -> str:
    return f"/requests/{reference}/evidence"


def _problem(error: HanoixError, **extra: Any) -> JSONResponse:
    return JSONResponse({"message": error.message, **extra}, status_code=error.http_status)


# --- the request's evidence page ------------------------------------------------------------


@router.get("/requests/{reference}/evidence", response_class=HTMLResponse)
def evidence_page(
    request: Request, reference: str, principal: SignedInUser, node: NodeOf
) -> HTMLResponse:
    user = service.user_for_principal(node, principal)
    received = exchange.received_evidence(node, user, reference)  # 404 for anyone else
    # Only what the user may do now is offered: no section that would only be refused.
    may_seal = exchange.evidence_actions(node, user, reference).return_evidence
    context = {
        "reference": reference,
        "base": _base(reference),
        "received": received,
        "may_seal": may_seal,
        "staged": uploads.staged_for(node, user, reference) if may_seal else [],
        "limit": node.settings.evidence_upload_max_bytes,
        "expiry_hours": node.settings.evidence_upload_expiry_hours,
        "problem": request.query_params.get("problem"),
    }
    return render(request, "evidence.html", context)


# --- uploads: created, resumed by range, or sent whole by a plain form ------------------------


@router.post("/requests/{reference}/evidence/uploads", dependencies=[CheckedForm])
async def start_upload(
    request: Request, reference: str, principal: SignedInUser, node: NodeOf
) -> JSONResponse:
    try:
        body = json.loads(await request.body())
        name, size = body["name"], body["size"]
        if not isinstance(name, str) or not isinstance(size, int) or isinstance(size, bool):
            raise TypeError
    except (ValueError, KeyError, TypeError):
        return _problem(InputError('send {"name": "file name", "size": bytes} as JSON'))
    try:
        user = await run_in_threadpool(service.user_for_principal, node, principal)
        staged = await run_in_threadpool(uploads.start, node, user, reference, name, size)
    except HanoixError as error:
        return _problem(error)
    location = f"{_base(reference)}/uploads/{staged.upload_id}"
    return JSONResponse(
        {"upload": staged.upload_id, "offset": staged.received, "size": staged.size},
        status_code=200 if staged.received else 201,
        headers={"Location": location},
    )


@router.get("/requests/{reference}/evidence/uploads/{upload_id}")
def upload_offset(
    reference: str, upload_id: str, principal: SignedInUser, node: NodeOf
) -> JSONResponse:
    try:
        staged = uploads.find(
            node, service.user_for_principal(node, principal), reference, upload_id
        )
    except HanoixError as error:
        return _problem(error)
    return JSONResponse({"offset": staged.received, "size": staged.size})


@router.put("/requests/{reference}/evidence/uploads/{upload_id}", dependencies=[CheckedForm])
async def upload_range(
    request: Request, reference: str, upload_id: str, principal: SignedInUser, node: NodeOf
) -> JSONResponse:
    try:
        user = await run_in_threadpool(service.user_for_principal, node, principal)
        staged = await run_in_threadpool(uploads.find, node, user, reference, upload_id)
        start, end = uploads.parse_range(request.headers.get("content-range"), staged.size)
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > end - start:
            raise InputError("the body is longer than its Content-Range")
        with uploads.receive(node, user, reference, upload_id, start, end) as receiver:
            await _write_body(request, receiver)
            offset = receiver.offset
    except uploads.RangeMismatchError as mismatch:
        return _problem(mismatch, offset=mismatch.offset)
    except HanoixError as error:
        return _problem(error)
    return JSONResponse({"offset": offset, "size": staged.size, "complete": offset == staged.size})


async def _write_body(request: Request, receiver: uploads.Receiver) -> None:
    pending = bytearray()
    try:
        async for chunk in request.stream():
            pending += chunk
            if len(pending) >= _BLOCK:
                await run_in_threadpool(receiver.write, bytes(pending))
                pending.clear()
    except ClientDisconnect:
        pass  # what arrived is kept; the browser asks for the offset and goes on from it
    if pending:
        await run_in_threadpool(receiver.write, bytes(pending))


async def bounded_body(request: Request, node: NodeOf) -> None:
    """Refuse a form larger than the node accepts before a byte of it is read."""
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        _ = gettext_for(request)
        raise InputError(_("The browser did not say how large the files are: send them again."))
    if int(length) > node.settings.evidence_upload_max_bytes + _FORM_OVERHEAD:
        raise uploads.UploadTooLargeError(_too_large(request, node))


def _too_large(request: Request, node: NodeOf) -> str:
    _ = gettext_for(request)
    return str(
        _(
            "This node accepts at most %(limit)s bytes of files for one package: seal fewer or "
            "smaller files, or ask the node's administrator."
        )
        % {"limit": f"{node.settings.evidence_upload_max_bytes:,}"}
    )


@router.post(
    "/requests/{reference}/evidence/files",
    dependencies=[Depends(bounded_body), CheckedForm],
)
async def upload_form(
    request: Request, reference: str, principal: SignedInUser, node: NodeOf
) -> Response:
    form = await request.form()  # read by CheckedForm already; files spooled to disk
    user = await run_in_threadpool(service.user_for_principal, node, principal)
    files = [f for f in (*form.getlist("files"), *form.getlist("folder")) if _chosen(f)]
    if not files:
        _ = gettext_for(request)
        raise InputError(_("Choose at least one file to upload."))
    for upload in files:
        assert isinstance(upload, UploadFile) and upload.filename and upload.size is not None
        await run_in_threadpool(_stage_whole, node, user, reference, upload)
    return RedirectResponse(_base(reference), status_code=303)


def _chosen(value: object) -> bool:
    return isinstance(value, UploadFile) and bool(value.filename) and value.size is not None


def _stage_whole(node: Node, user: User, reference: str, upload: UploadFile) -> None:
    assert upload.filename and upload.size is not None
    staged = uploads.start(node, user, reference, upload.filename, upload.size)
    upload.file.seek(0)
    with uploads.receive(node, user, reference, staged.upload_id, 0, staged.size) as receiver:
        while block := upload.file.read(_BLOCK):
            receiver.write(block)


@router.post(
    "/requests/{reference}/evidence/uploads/{upload_id}/remove", dependencies=[CheckedForm]
)
def remove_upload(
    reference: str, upload_id: str, principal: SignedInUser, node: NodeOf
) -> Response:
    uploads.discard(node, service.user_for_principal(node, principal), reference, upload_id)
    return RedirectResponse(_base(reference), status_code=303)


# --- sealing and sending --------------------------------------------------------------------


@router.post("/requests/{reference}/evidence/seal", dependencies=[CheckedForm])
def seal(
    reference: str,
    principal: SignedInUser,
    node: NodeOf,
    note: Annotated[str, Form(max_length=exchange.MAX_NOTE)] = "",
    passphrase: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    sent = uploads.seal_and_send(
        node,
        service.user_for_principal(node, principal),
        reference,
        note=note.strip() or None,
        passphrase=passphrase or None,
    )
    return RedirectResponse(
        f"{_base(reference)}/packages/{sent.package_id}?sent={sent.recipient}", status_code=303
    )


# --- one package: its custody, a copy, verification, opening, the report -----------------------


@dataclass(frozen=True)
class _Event:
    entry: LedgerEntry
    event: dict[str, Any]
    proof: InclusionProof | None


def _events(node: Node, package_id: str, *, proofs: bool) -> list[_Event]:
    ledger = CustodyLedger(node)
    entries = ledger.history("package", package_id)
    proved: list[InclusionProof | None] = [None] * len(entries)
    if proofs:
        proved = list(ledger.prove_inclusions([entry.index for entry in entries]))
    return [
        _Event(entry, json.loads(entry.entry), proof)
        for entry, proof in zip(entries, proved, strict=True)
    ]


def _package(
    node: Node, user: User, reference: str, package_id: str, *, proofs: bool = False
) -> tuple[exchange.ReceivedEvidence | None, list[_Event]]:
    """A package of ``reference``: received for it, or sealed here for it. Anyone who may not
    read the request, or a package of another request, answers as missing."""
    received = exchange.received_evidence(node, user, reference)
    item = next((r for r in received if r.package_id == package_id), None)
    events = _events(node, package_id, proofs=proofs)
    with node.unit_of_work() as session:
        # The ledger names a request by its pseudonym (hanoix.ledger.subjects).
        names = {reference, subjects.pseudonym(custody.subject_key(session), reference)}
    sealed_here = any(
        e.event.get("kind") == "package.sealed"
        and e.event.get("details", {}).get("request") in names
        for e in events
    )
    if item is None and not sealed_here:
        raise NotFoundError(f"no package {package_id} was sealed or received for {reference}")
    return item, events


@router.get("/requests/{reference}/evidence/packages/{package_id}", response_class=HTMLResponse)
def package_page(
    request: Request, reference: str, package_id: str, principal: SignedInUser, node: NodeOf
) -> HTMLResponse:
    user = service.user_for_principal(node, principal)
    item, events = _package(node, user, reference, package_id)
    context = {
        **_shown(reference, package_id, item, events),
        "sent_to": request.query_params.get("sent"),
        "allowed": exchange.evidence_actions(node, user, reference),
    }
    return render(request, "evidence_package.html", context)


def _shown(
    reference: str,
    package_id: str,
    item: exchange.ReceivedEvidence | None,
    events: list[_Event],
) -> dict[str, Any]:
    return {
        "reference": reference,
        "base": _base(reference),
        "package_id": package_id,
        "item": item,
        "events": events,
    }


@router.get("/requests/{reference}/evidence/packages/{package_id}/file")
def download(reference: str, package_id: str, principal: SignedInUser, node: NodeOf) -> Response:
    user = service.user_for_principal(node, principal)
    item, stream = exchange.release_evidence(node, user, reference, package_id)
    return StreamingResponse(
        _read_through(stream),
        media_type="application/octet-stream",
        headers={
            "Content-Length": str(item.size),
            "Content-Disposition": 'attachment; filename="package.hxp"',
            "ETag": f'"{item.sha256}"',
        },
    )


def _read_through(stream: BinaryIO) -> Iterator[bytes]:
    with stream:
        while block := stream.read(_BLOCK):
            yield block


def _actor(user: User) -> Actor:
    assert user.authority is not None  # a user who may read a request acts for an authority
    return Actor(user.id, user.authority.code)


@router.post(
    "/requests/{reference}/evidence/packages/{package_id}/verify", dependencies=[CheckedForm]
)
def verify(reference: str, package_id: str, principal: SignedInUser, node: NodeOf) -> Response:
    user = service.user_for_principal(node, principal)
    # A failure is recorded too (the service does it), and the report shows it.
    with contextlib.suppress(PackageVerificationError):
        exchange.verify_received(node, user, reference, package_id, actor=_actor(user))
    return RedirectResponse(f"{_base(reference)}/packages/{package_id}/report", status_code=303)


@router.post(
    "/requests/{reference}/evidence/packages/{package_id}/open",
    response_class=HTMLResponse,
    dependencies=[CheckedForm],
)
def open_package(
    request: Request,
    reference: str,
    package_id: str,
    principal: SignedInUser,
    node: NodeOf,
    passphrase: Annotated[str, Form(max_length=1000)] = "",
) -> HTMLResponse:
    user = service.user_for_principal(node, principal)
    _package(node, user, reference, package_id)  # nothing is made for what the user may not see
    actor = _actor(user)
    key_file = exchange.authority_keys_dir(node, actor.authority) / "encryption.key"
    if not key_file.is_file():
        _ = gettext_for(request)
        raise NotFoundError(
            _("This node holds no decryption key of %(authority)s: the administrator creates it.")
            % {"authority": actor.authority}
        )
    secret = passphrase.encode("utf-8") if passphrase else None

    def ask() -> bytes:
        if secret is None:
            raise InputError(
                f"the decryption key of {actor.authority} is protected: type its passphrase"
            )
        return secret

    key = load_decryption_key(key_file, ask=ask)
    where = OPENED / reference / f"{package_id.split(':')[-1][:16]}-{secrets.token_hex(4)}"
    (node.settings.home / where).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    opened = exchange.open_evidence(
        node, user, reference, package_id, key, node.settings.home / where, actor=actor
    )
    context = {
        "reference": reference,
        "base": _base(reference),
        "package_id": package_id,
        "opened": opened,
        "folder": where.as_posix(),
    }
    return render(request, "evidence_opened.html", context)


@router.get(
    "/requests/{reference}/evidence/packages/{package_id}/report", response_class=HTMLResponse
)
def report(
    request: Request, reference: str, package_id: str, principal: SignedInUser, node: NodeOf
) -> HTMLResponse:
    user = service.user_for_principal(node, principal)
    item, events = _package(node, user, reference, package_id, proofs=True)
    if item is None:
        raise NotFoundError(f"no package {package_id} was received for {reference}")
    verified: VerifiedPackage | None = None
    failure: PackageVerificationError | None = None
    try:
        # Reading a report checks the package again and changes nothing: no event is recorded.
        _, verified = exchange.verify_received(node, user, reference, package_id, record=False)
        package_report: PackageReport | None = verified.report
    except PackageVerificationError as failed:
        failure, package_report = failed, failed.report
    context = {
        **_shown(reference, package_id, item, events),
        "verified": verified,
        "failure": failure,
        "package": package_report,
        "checked_at": node.clock.now(),
        "checked_by": principal,
        "origin": node.settings.origin,
    }
    return render(request, "evidence_report.html", context)
