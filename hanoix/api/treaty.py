"""Treaty status over HTTP: the same queries as ``hanoix treaty`` under ``/api/v1/treaty``.

The status of the Convention is public information, so these read-only routes need no
credentials. Dates are ISO 8601 and parsed strictly; a bad date or an unknown State is a
problem+json answer naming the input.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from hanoix.api.deps import get_node
from hanoix.services import treaty as service
from hanoix.services.node import Node
from hanoix.treaty.actions import parse_date

router = APIRouter(prefix="/treaty", tags=["treaty"])

OnQuery = Annotated[
    str | None,
    Query(description="the date to answer for, YYYY-MM-DD (default: the node's today)"),
]


class Dataset(BaseModel):
    source: str
    format: str
    as_of: str | None = Field(description="the date the data describes (YYYY-MM-DD)")
    imported_at: str | None
    imported_from: str | None
    gaps: str | None = Field(description="what the data is known to miss, if stated")


class StatusOut(BaseModel):
    """The Convention's status on a date (Art. 65)."""

    on: str
    signatories: int
    parties: int = Field(description="participants that have deposited an instrument")
    instruments_counted: int = Field(description="instruments counted toward entry into force")
    instruments_needed: int
    instruments_remaining: int
    entry_into_force: str | None
    fortieth_deposit: str | None
    in_force: bool
    warnings: list[str]
    dataset: Dataset


class ActionOut(BaseModel):
    participant: str
    action: str
    date: str
    basis: str | None
    source: str | None


class DeclarationOut(BaseModel):
    """A reservation, declaration or notification, as it was lodged."""

    participant: str
    kind: str = Field(description="what it does under the Convention (a notification code)")
    form: str = Field(description="the form it was lodged in: reservation, declaration, ...")
    article: str = Field(description="the article and paragraph it invokes, e.g. Art. 9(2)")
    date: str
    text: str
    basis: str | None
    source: str | None


class ParticipantOut(BaseModel):
    """A participant's record and its standing on a date."""

    code: str
    name: str
    kind: Literal["state", "reio"]
    on: str
    standing: Literal["not-signed", "signed", "contracting", "party", "denounced"]
    message: str
    signature: str | None
    instrument: ActionOut | None
    in_force_from: str | None
    bound_until: str | None
    actions: list[ActionOut]
    declarations: list[DeclarationOut]
    warnings: list[str]


class ReasonOut(BaseModel):
    reason: Literal[
        "in-force",
        "not-signed",
        "signed-not-ratified",
        "not-yet-in-force-for-it",
        "convention-not-in-force",
        "denounced",
    ]
    participant: str | None
    article: str | None
    message: str


class AppliesOut(BaseModel):
    """Whether the Convention binds both participants on a date, and why."""

    a: str
    b: str
    on: str
    applies: bool
    reasons: list[ReasonOut]
    warnings: list[str]


@router.get("/status", response_model=StatusOut, summary="The Convention's status on a date")
def get_status(node: Annotated[Node, Depends(get_node)], on: OnQuery = None) -> StatusOut:
    result = service.status(node, parse_date(on, "on") if on is not None else None)
    return StatusOut.model_validate(result.as_dict())


@router.get(
    "/participants/{code}",
    response_model=ParticipantOut,
    summary="A participant's actions, declarations and standing",
)
def get_participant(
    code: str, node: Annotated[Node, Depends(get_node)], on: OnQuery = None
) -> ParticipantOut:
    result = service.participant(node, code, parse_date(on, "on") if on is not None else None)
    return ParticipantOut.model_validate(result.as_dict())


@router.get(
    "/applies",
    response_model=AppliesOut,
    summary="Does the Convention bind both participants on a date?",
)
def get_applies(
    node: Annotated[Node, Depends(get_node)],
    a: Annotated[str, Query(description="alpha-3 code or EUU")],
    b: Annotated[str, Query(description="alpha-3 code or EUU")],
    on: OnQuery = None,
) -> AppliesOut:
    result = service.applies(node, a, b, parse_date(on, "on") if on is not None else None)
    return AppliesOut.model_validate(result.as_dict())


@router.get(
    "/export",
    response_class=PlainTextResponse,
    summary="The node's treaty data as CSV (the import format) or JSON",
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
def get_export(
    node: Annotated[Node, Depends(get_node)],
    format: Annotated[service.ExportFormat, Query(description="csv or json")] = (
        service.ExportFormat.CSV
    ),
) -> Response:
    text = service.export(node, format)
    media = "text/csv" if format is service.ExportFormat.CSV else "application/json"
    return Response(content=text, media_type=f"{media}; charset=utf-8")
