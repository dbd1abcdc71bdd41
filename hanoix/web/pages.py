"""The node's front page: what this node is, and for a signed-in user where their work is."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse

from hanoix.services import treaty
from hanoix.web.routing import page_router
from hanoix.web.session import NodeOf, OptionalUser
from hanoix.web.templating import render

router = page_router()


@router.get("/", response_class=HTMLResponse)
def home(request: Request, node: NodeOf, user: OptionalUser) -> HTMLResponse:
    context = {
        # Anyone may read this page: it names no path on the node's disk and no schema
        # revision: both help an attacker more than a visitor, and the operator has the host.
        "database": node.engine.dialect.name,
        "state": node.settings.state,
        "origin": node.settings.origin,
        "treaty": treaty.status(node),
    }
    return render(request, "index.html", context)
