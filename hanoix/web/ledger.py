"""The custody ledger in the browser: the latest checkpoint and its cosignatures, the entries
about one request or package, and the proofs, shown and downloadable for offline checking.

Who reads what is the API's (``/api/v1/ledger``): the checkpoint and the proofs for every
signed-in user (a proof carries hashes, never an entry), the entries for auditors (and, for the
log's own events, administrators) through :func:`hanoix.services.custody.readable_history`,
which applies the same read rules as the API's ``/entries``. A downloaded proof is byte for
byte the JSON the API answers, checked offline by ``hanoix ledger check-proof``.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from hanoix.errors import InputError, NotFoundError
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof
from hanoix.ledger.subjects import REQUEST_SUBJECT
from hanoix.requests import Role
from hanoix.services import custody
from hanoix.services.auth import Principal
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from hanoix.services.requests import user_for_principal
from hanoix.web.routing import page_router
from hanoix.web.session import NodeOf, SignedInUser
from hanoix.web.templating import gettext_for, render

router = page_router()

PACKAGE_SUBJECT = "package"
SUBJECTS = (REQUEST_SUBJECT, PACKAGE_SUBJECT)
TextQuery = Annotated[str, Query(max_length=200)]
FromQuery = Annotated[str, Query(alias="from", max_length=40)]
ToQuery = Annotated[str, Query(alias="to", max_length=40)]
_WHOLE_NUMBER = re.compile(r"^[0-9]{1,18}$")


def _size(request: Request, text: str | None, what: str) -> int | None:
    """A tree size or an index typed in a form, or None when left empty."""
    if text is None or not text.strip():
        return None
    if not _WHOLE_NUMBER.match(text.strip()):
        _ = gettext_for(request)
        raise InputError(
            _("%(what)s: %(text)s is not a whole number; write one such as 0 or 12")
            % {"what": what, "text": text}
        )
    return int(text)


def _reads_node_events(principal: Principal) -> bool:
    return bool(principal.roles & {Role.AUDITOR.value, Role.ADMINISTRATOR.value})


def _download(document: dict[str, Any], filename: str) -> Response:
    body = json.dumps(document, indent=2) + "\n"
    return Response(
        body,
        media_type="application/json",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


def _proof_page(
    request: Request, node: Node, proof: InclusionProof | ConsistencyProof, name: str
) -> HTMLResponse:
    """A proof's page: its parts, the JSON a download holds, and the key that checks it."""
    context = {
        "proof": proof,
        "document": json.dumps(proof.as_dict(), indent=2),
        "vkey": CustodyLedger(node).verifier.vkey,
    }
    return render(request, f"ledger/{name}.html", context)


@router.get("/ledger", response_class=HTMLResponse)
def ledger_page(request: Request, user: SignedInUser, node: NodeOf) -> HTMLResponse:
    ledger = CustodyLedger(node)
    signed = ledger.checkpoint()
    alerts = None
    if _reads_node_events(user):
        alerts = custody.split_view_alerts(node, user_for_principal(node, user))
    context = {
        "checkpoint": signed,
        "vkey": ledger.verifier.vkey,
        "cosignatures": sorted(ledger.cosignatures(), key=lambda c: (-c.tree_size, c.witness)),
        "alerts": alerts,
        "reads_entries": _reads_node_events(user),
        "subjects": SUBJECTS,
    }
    return render(request, "ledger/index.html", context)


@router.get("/ledger/subject", response_class=HTMLResponse)
def subject_page(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    kind: TextQuery = REQUEST_SUBJECT,
    value: TextQuery = "",
) -> HTMLResponse:
    _ = gettext_for(request)
    if kind not in SUBJECTS:
        raise InputError(_("Choose what to look up: a request or a package."))
    value = value.strip()
    if not value:
        raise InputError(_("Type a request's reference or a package's id to look up."))
    entries = custody.readable_history(node, user_for_principal(node, user), kind, value)
    if not entries:
        # The same answer whether nothing is recorded or the user may not read it.
        raise NotFoundError(
            _("The ledger has no entry about %(what)s that you may read.")
            % {"what": f"{kind} {value}"}
        )
    shown = [
        {**entry.as_dict(), "appended": entry.appended_at, "json": entry.entry.decode()}
        for entry in entries
    ]
    context = {"kind": kind, "value": value, "entries": shown, "is_request": kind == "request"}
    return render(request, "ledger/subject.html", context)


def _required(request: Request, text: str, what: str, missing: str) -> int:
    found = _size(request, text, what)
    if found is None:
        raise InputError(missing)
    return found


def _inclusion(request: Request, node: Node, index: str, size: str | None) -> InclusionProof:
    _ = gettext_for(request)
    found = _required(
        request, index, "index", _("index: give the number of the entry to prove, e.g. 0")
    )
    return CustodyLedger(node).prove_inclusion(found, _size(request, size, "size"))


@router.get("/ledger/proof", response_class=HTMLResponse)
def inclusion_page(
    request: Request, user: SignedInUser, node: NodeOf, index: TextQuery = "", size: TextQuery = ""
) -> HTMLResponse:
    return _proof_page(request, node, _inclusion(request, node, index, size), "inclusion")


@router.get("/ledger/proof.json")
def inclusion_file(
    request: Request, user: SignedInUser, node: NodeOf, index: TextQuery = "", size: TextQuery = ""
) -> Response:
    proof = _inclusion(request, node, index, size)
    return _download(proof.as_dict(), f"inclusion-{proof.index}-in-{proof.tree_size}.json")


def _consistency(request: Request, node: Node, first: str, second: str) -> ConsistencyProof:
    _ = gettext_for(request)
    old = _required(
        request,
        first,
        "from",
        _("from: give the older tree size, e.g. the size a witness cosigned"),
    )
    return CustodyLedger(node).prove_consistency(old, _size(request, second, "to"))


@router.get("/ledger/consistency", response_class=HTMLResponse)
def consistency_page(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    first: FromQuery = "",
    second: ToQuery = "",
) -> HTMLResponse:
    return _proof_page(request, node, _consistency(request, node, first, second), "consistency")


@router.get("/ledger/consistency.json")
def consistency_file(
    request: Request,
    user: SignedInUser,
    node: NodeOf,
    first: FromQuery = "",
    second: ToQuery = "",
) -> Response:
    proof = _consistency(request, node, first, second)
    return _download(proof.as_dict(), f"consistency-{proof.from_size}-to-{proof.to_size}.json")
