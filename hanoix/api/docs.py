"""The API's documentation page, ``/api/v1/docs``: Swagger UI served by the node itself.

Swagger UI's files come from the pinned ``fastapi-offline`` package (its Swagger UI 5 bundle),
mounted under ``/static/swagger-ui``; nothing is loaded from a CDN, so the page works offline
and no third party's script runs on the node's origin. It is started by a script file of the
node's own (``hanoix/api/static/swagger-init.js``, under ``/static/api-docs``), as the
Content-Security-Policy forbids inline scripts.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

API_DIR = Path(__file__).parent
SWAGGER_UI_DIR = Path(fastapi_offline.__file__).parent / "static"
templates = Jinja2Templates(directory=API_DIR / "templates")

router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    openapi_url = request.app.openapi_url
    return templates.TemplateResponse(request, "api_docs.html", {"openapi_url": openapi_url})


def install(app: FastAPI, prefix: str) -> None:
    """Serve the page under ``prefix`` and Swagger UI's files; call before ``/static`` is
    mounted (the first mount that matches a path answers it)."""
    app.mount("/static/swagger-ui", StaticFiles(directory=SWAGGER_UI_DIR), name="swagger-ui")
    app.mount("/static/api-docs", StaticFiles(directory=API_DIR / "static"), name="api-docs")
    app.include_router(router, prefix=prefix)
