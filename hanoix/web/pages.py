"""The web UI's pages, rendered on the server with Jinja2 (htmx adds interactivity later)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

import hanoix
from hanoix.api.deps import get_node
from hanoix.services import treaty
from hanoix.services.node import Node

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, node: Annotated[Node, Depends(get_node)]) -> HTMLResponse:
    context = {
        "version": hanoix.__version__,
        # Anyone may read this page: it names no path on the node's disk and no schema
        # revision: both help an attacker more than a visitor, and the operator has the host.
        "database": node.engine.dialect.name,
        "state": node.settings.state,
        "origin": node.settings.origin,
        "treaty": treaty.status(node),
    }
    return templates.TemplateResponse(request, "index.html", context)
