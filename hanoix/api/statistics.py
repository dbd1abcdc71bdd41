"""The node's cooperation statistics over HTTP (docs/statistics.md).

``GET /statistics/report?from=&to=`` answers the signed report of the period (the same file
``hanoix statistics report --json`` prints); ``POST /statistics/verify`` checks a signed report
against the node's directory. Both are for the roles of
:data:`hanoix.services.statistics.READERS` of the node's State. On a secretariat node,
``GET /statistics/global?from=&to=`` answers the global tables of the period and every State's
report with its status, for :data:`~hanoix.statistics.readers.GLOBAL_READERS`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from hanoix.api.deps import get_node
from hanoix.api.security import require_roles
from hanoix.errors import InputError
from hanoix.federation.statistics import MAX_REPORT_BYTES
from hanoix.services import secretariat, statistics
from hanoix.services.auth import Principal
from hanoix.services.node import Node
from hanoix.statistics.readers import GLOBAL_READERS

router = APIRouter(prefix="/statistics", tags=["statistics"])

GlobalReader = Annotated[
    Principal, Depends(require_roles(*sorted(r.value for r in GLOBAL_READERS)))
]
Reader = Annotated[Principal, Depends(require_roles(*sorted(r.value for r in statistics.READERS)))]

_SIGNED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["format", "report", "signature"],
    "properties": {
        "format": {"type": "string", "const": "hanoix-signed-statistics/1"},
        "report": {"type": "object", "description": "the report's body (docs/statistics.md)"},
        "signature": {
            "type": "object",
            "required": ["origin", "key_id", "value"],
            "properties": {
                "origin": {"type": "string"},
                "key_id": {"type": "string"},
                "value": {"type": "string", "description": "Ed25519, base64"},
            },
        },
    },
}


class VerifiedOut(BaseModel):
    valid: bool = Field(description="always true: a report that does not verify is a 422")
    origin: str = Field(description="the node that signed it")
    state: str = Field(description="its State, as the directory lists it")
    key_id: str = Field(description="the signing key, as the directory lists it")
    period: dict[str, str] = Field(description="the period the report covers")


@router.get(
    "/report",
    summary="The node's statistics for a period, signed with its federation key",
    description="Counts by kind, counterpart State and outcome, times to acknowledgement, "
    "first answer and execution, preservations, content-removal cases; small cells withheld "
    "(<5, with complements), optionally differential privacy for the counts by State.",
    responses={200: {"content": {"application/json": {"schema": _SIGNED_SCHEMA}}}},
    response_class=Response,
)
async def report(
    node: Annotated[Node, Depends(get_node)],
    principal: Reader,
    start: Annotated[str, Query(alias="from", description="first day, YYYY-MM-DD")],
    end: Annotated[str, Query(alias="to", description="last day, included, YYYY-MM-DD")],
    threshold: Annotated[int, Query(ge=1, le=100, description="counts under it are withheld")] = 5,
    epsilon: Annotated[
        float | None,
        Query(ge=0.01, le=10, description="differential privacy of the counts by State"),
    ] = None,
) -> Response:
    options = statistics.Options(
        start=statistics.parse_day(start, "from"),
        end=statistics.parse_day(end, "to"),
        threshold=threshold,
        epsilon=epsilon,
    )
    _, signed = await run_in_threadpool(statistics.signed_report, node, options)
    return Response(signed, media_type="application/json")


@router.post(
    "/verify",
    response_model=VerifiedOut,
    summary="Verify a signed statistics report against the node's directory",
    description="422 when it was altered or its signer is not in the directory; 400 when the "
    "body is not a signed report.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _SIGNED_SCHEMA}},
        }
    },
)
async def verify(
    request: Request, node: Annotated[Node, Depends(get_node)], principal: Reader
) -> VerifiedOut:
    data = await request.body()
    if len(data) > MAX_REPORT_BYTES:
        raise InputError(f"a signed report is at most {MAX_REPORT_BYTES} bytes")
    verified = await run_in_threadpool(statistics.verify, node, data)
    period = verified.report.get("period")
    return VerifiedOut(
        valid=True,
        origin=verified.origin,
        state=verified.state,
        key_id=verified.key_id,
        period={k: str(v) for k, v in period.items()} if isinstance(period, dict) else {},
    )


class StateReportOut(BaseModel):
    origin: str = Field(description="the node that signed and sent it")
    state: str
    status: Literal["received", "reissued", "replaced", "withdrawn"] = Field(
        description="received or reissued: the node's newest, which counts; replaced: a newer "
        "one counts instead; withdrawn: the State withdrew it"
    )
    received_at: datetime
    withdrawn_at: datetime | None
    digest: str = Field(description="SHA-256 of the signed report as received")
    threshold: int | None = Field(description="its small-cell threshold")
    epsilon: float | None = Field(description="its differential privacy, null when none")


class GlobalOut(BaseModel):
    period: dict[str, str]
    states: list[str] = Field(description="the States whose reports count")
    tables: list[dict[str, Any]] = Field(
        description="by_state, each table of the reports summed, median_hours_received; a sum "
        "that includes a withheld count is a lower bound, '>=N'; empty when no report counts"
    )
    reports: list[StateReportOut] = Field(description="every report kept for the period")


@router.get(
    "/global",
    response_model=GlobalOut,
    summary="On a secretariat node: the global tables of a period and the States' reports",
    description="Built from the newest report of each State for exactly that period, knowing "
    "nothing beyond what each State published. 404 on a node that is not a secretariat. For "
    "the node's auditors and administrators.",
)
async def global_tables(
    node: Annotated[Node, Depends(get_node)],
    principal: GlobalReader,
    start: Annotated[str, Query(alias="from", description="first day, YYYY-MM-DD")],
    end: Annotated[str, Query(alias="to", description="last day, included, YYYY-MM-DD")],
) -> GlobalOut:
    first = statistics.parse_day(start, "from")
    last = statistics.parse_day(end, "to")
    view = await run_in_threadpool(secretariat.global_view, node, first, last)
    return GlobalOut.model_validate(view)
