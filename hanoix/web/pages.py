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
from hanoix.store import migrate

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=WEB_DIR / "templates")
router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, node: Annotated[Node, Depends(get_node)]) -> HTMLResponse:
    context = {
        "version": hanoix.__version__,
        "home": node.settings.home.resolve(),
        "database": node.engine.dialect.name,
        "schema": migrate.current_revision(node.engine),
        "state": node.settings.state,
        "origin": node.settings.origin,
        "treaty": treaty.status(node),
    }
    return templates.TemplateResponse(request, "index.html", context)
