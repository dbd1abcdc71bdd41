"""Liveness and readiness of the node."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import text

import hanoix
from hanoix.api.deps import get_node
from hanoix.api.security import OptionalCaller, require_roles
from hanoix.services.auth import Principal
from hanoix.services.monitoring import CONTENT_TYPE
from hanoix.services.node import Node
from hanoix.store import migrate

router = APIRouter(tags=["node"])


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    version: str | None = Field(
        description="the node's version: to an administrator or auditor only, null to others"
    )
    database: Literal["ok", "unreachable"]
    schema_revision: str | None = Field(
        description="the database's schema revision: to an administrator or auditor only "
        "(null to others, and when the database cannot be read)"
    )
    schema_current: bool


#: Who learns the version and schema revision: a stranger could look up what a version is
#: known to be weak to.
SEES_VERSION = frozenset({"administrator", "auditor"})


@router.get(
    "/health",
    response_model=Health,
    summary="Is the node up and its database reachable?",
    description="Anyone may ask; the version and schema revision are told only to an "
    "administrator or auditor (signed in, or with their API token).",
)
def health(
    node: Annotated[Node, Depends(get_node)], caller: Annotated[Principal | None, OptionalCaller]
) -> Health:
    answer = _health(node)
    if caller is None or not caller.roles.intersection(SEES_VERSION):
        return answer.model_copy(update={"version": None, "schema_revision": None})
    return answer


def _health(node: Node) -> Health:
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


class Probe(BaseModel):
    status: Literal["ok", "unavailable"]
    reason: str | None = None


@router.get(
    "/health/live",
    response_model=Probe,
    summary="Liveness: the process answers (a load balancer restarts it when this fails)",
    description="Touches nothing outside the process: a database down does not make every "
    "process look dead (that is readiness).",
)
async def live() -> Probe:
    return Probe(status="ok")


@router.get(
    "/health/ready",
    response_model=Probe,
    summary="Readiness: the database answers and its schema is this version's",
    description="200 when this process can serve; 503 otherwise (the database is unreachable, "
    "or its schema is behind or ahead of this version: run 'hanoix init'), so a load balancer "
    "sends it nothing until it can.",
    responses={503: {"model": Probe, "description": "not ready; reason says why"}},
)
def ready(node: Annotated[Node, Depends(get_node)], response: Response) -> Probe:
    health = _health(node)
    if health.database != "ok":
        response.status_code = 503
        return Probe(status="unavailable", reason="the database is unreachable")
    if not health.schema_current:
        response.status_code = 503
        return Probe(
            status="unavailable",
            reason=f"the database schema is at {health.schema_revision}, this version needs "
            f"{migrate.HEAD_REVISION}: run 'hanoix init'",
        )
    return Probe(status="ok")


MetricsReader = Annotated[Principal, Depends(require_roles("administrator", "auditor"))]


@router.get(
    "/metrics",
    summary="The node's metrics, in Prometheus' text format (administrators and auditors)",
    description="Read with an API token of an administrator or auditor (Prometheus: "
    "'authorization: {credentials_file: ...}'). Figures about the node, never about a "
    "request or a person: counts by kind and status, queues per peer, ages. A database that "
    "does not answer gives hanoix_database_up 0, not an error (docs/monitoring.md).",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE: {}}, "description": "the metrics"}},
)
async def metrics(node: Annotated[Node, Depends(get_node)], _caller: MetricsReader) -> Response:
    body = await run_in_threadpool(node.metrics.exposition)
    return Response(body, media_type=CONTENT_TYPE)
