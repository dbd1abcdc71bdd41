"""The web desk: pages rendered on the server (Jinja2, htmx for the live parts) over the same
services the API uses; no rule is written here. ``install`` adds them to the node's app."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hanoix.web import (
    account,
    content,
    content_lists,
    desks,
    drafting,
    evidence,
    ledger,
    pages,
    personal_data,
    reports,
    requests,
    treaty,
)
from hanoix.web.templating import WEB_DIR


def install(app: FastAPI) -> None:
    """Mount the pages and their static files (after the API's routes and mounts)."""
    app.mount("/static", StaticFiles(directory=WEB_DIR / "static"), name="static")
    app.include_router(account.router)
    app.include_router(desks.router)
    # Before the request pages: /requests/new, /requests/{ref}/edit and /requests/{ref}/follow-up
    # are not a request's reference or one of its steps.
    app.include_router(drafting.router)
    app.include_router(pages.router)
    app.include_router(treaty.router)
    app.include_router(reports.router)
    app.include_router(personal_data.router)
    app.include_router(ledger.router)
    app.include_router(evidence.router)
    app.include_router(content.router)
    app.include_router(content_lists.router)
    app.include_router(requests.router)
