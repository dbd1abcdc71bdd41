"""Liveness and readiness of the node."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlalchemy import text

import hanoix
from hanoix.api.deps import get_node
from hanoix.services.node import Node
from hanoix.store import migrate

router = APIRouter(tags=["node"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str
    database: Literal["ok", "unreachable"]
    schema_revision: str | None
    schema_current: bool


@router.get("/health", response_model=Health, summary="Is the node up and its database reachable?")
def health(node: Annotated[Node, Depends(get_node)]) -> Health:
    try:
        with node.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = migrate.current_revision(node.engine)
        database: Literal["ok", "unreachable"] = "ok"
    except Exception:  # noqa: BLE001  (any failure to reach the database means unreachable)
        revision, database = None, "unreachable"
    current = revision is not None and revision == migrate.HEAD_REVISION
    return Health(
        status="ok" if database == "ok" and current else "degraded",
        version=hanoix.__version__,
        database=database,
        schema_revision=revision,
        schema_current=current,
    )
