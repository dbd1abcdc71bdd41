"""A cooperation request as its reader sees it: the JSON the API answers and the CLI prints
with ``--json`` (a request, a row of a list, a deadline, a validation, a proved history).

Made from the core's values only, so the API and the CLI render a request the same way. The
conditions on use and the consents are shown here in their reading form: it is neither the
stored layout (:mod:`hanoix.store.request_codec`) nor the wire format
(:mod:`hanoix.federation.request_wire`), so either may change without changing what a reader
sees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, Field

from hanoix.errors import Problem
from hanoix.requests import (
    Consent,
    CooperationRequest,
    DeadlineStatus,
    KeepConfidential,
    NoOnwardTransfer,
    UseCondition,
    UseConsent,
    UseOnlyForProceeding,
    ValidationReport,
    possible_actions,
    rulebook,
)


def _rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def condition_view(condition: UseCondition) -> dict[str, Any]:
    """A condition on use as its reader sees it, tagged with its code."""
    if isinstance(condition, UseOnlyForProceeding):
        return {
            "type": condition.code,
            "proceeding": condition.proceeding,
            "statutory": condition.statutory,
        }
    if isinstance(condition, NoOnwardTransfer):
        return {
            "type": condition.code,
            "written": condition.written,
            "statutory": condition.statutory,
        }
    if isinstance(condition, KeepConfidential):
        return {"type": condition.code}
    return {"type": condition.code, "on": condition.on.isoformat(), "zones": list(condition.zones)}


def consent_view(consent: Consent) -> dict[str, Any]:
    """A consent as its reader sees it, tagged ``use`` or ``retention``."""
    given = {
        "granted_by": consent.granted_by,
        "granted_at": consent.granted_at.isoformat(),
        "written": consent.written,
        "letter": consent.letter,
    }
    if isinstance(consent, UseConsent):
        return {
            "type": "use",
            "action": consent.action.value,
            "proceeding": consent.proceeding,
            "recipient": consent.recipient,
            **given,
        }
    return {"type": "retention", "until": consent.until.isoformat(), **given}


class SummaryRow(Protocol):
    """A row of a list of requests, as the store gives it (no contents, no personal data);
    read-only, as the store's rows are."""

    @property
    def reference(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def side(self) -> str: ...

    @property
    def requesting_state(self) -> str: ...

    @property
    def requested_state(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def handled_by(self) -> str: ...

    @property
    def restricted(self) -> bool: ...

    @property
    def urgent(self) -> bool: ...

    @property
    def next_deadline(self) -> datetime | None: ...

    @property
    def follows_up(self) -> str | None: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def updated_at(self) -> datetime: ...

    @property
    def version(self) -> int: ...


class ProblemOut(BaseModel):
    field: str | None = Field(description="the path of the field in the request document")
    article: str | None
    basis: str | None = Field(
        default=None, description="how sure the rule is: verified, secondary, recalled, inferred"
    )
    message: str


class ValidationOut(BaseModel):
    """Findings of a validation, for one version of a request."""

    valid: bool
    version: int | None = None
    kind: str | None = None
    problems: list[ProblemOut] = Field(description="errors: they stop submit, approve and send")
    warnings: list[ProblemOut]

    @classmethod
    def of(
        cls, report: ValidationReport, *, kind: str | None = None, stored: bool = True
    ) -> ValidationOut:
        return cls(
            valid=not report.has_errors,
            version=report.version if stored else None,
            kind=kind,
            problems=[ProblemOut(**p.as_dict()) for p in report.errors],
            warnings=[ProblemOut(**p.as_dict()) for p in report.warnings],
        )

    @classmethod
    def of_problems(
        cls, errors: Sequence[Problem], warnings: Sequence[Problem], *, kind: str | None
    ) -> ValidationOut:
        """The findings of a document that is not stored (it has no version)."""
        return cls(
            valid=not errors,
            kind=kind,
            problems=[ProblemOut(**p.as_dict()) for p in errors],
            warnings=[ProblemOut(**p.as_dict()) for p in warnings],
        )


class PartyOut(BaseModel):
    state: str
    authority: str
    zone: str


class DeadlineOut(BaseModel):
    kind: str
    label: str
    due: str | None = Field(description="RFC 3339, UTC; null while held")
    state: Literal["overdue", "warning", "running", "held"]
    seconds_left: int | None
    owner: str
    article: str | None
    basis: str
    local: dict[str, str] = Field(description="the due time in each party's local time")
    held_by: str | None
    reference: str

    @classmethod
    def of(cls, status: DeadlineStatus) -> DeadlineOut:
        deadline = status.deadline
        return cls(
            kind=deadline.kind.value,
            label=deadline.label,
            due=_rfc3339(deadline.due) if deadline.due else None,
            state=status.state.value,
            seconds_left=int(status.time_left.total_seconds())
            if status.time_left is not None
            else None,
            owner=f"{deadline.owner.kind.value}:{deadline.owner.id}",
            article=str(deadline.article) if deadline.article else None,
            basis=deadline.basis,
            local={state: value.isoformat() for state, value in status.local.items()},
            held_by=str(deadline.held_by) if deadline.held_by else None,
            reference=str(deadline.reference),
        )


class HistoryEntryOut(BaseModel):
    seq: int
    action: str
    from_status: str | None
    to_status: str
    at: str
    side: str
    actor: str
    authority: str
    note: str | None
    details: dict[str, str]


class ErasureOut(BaseModel):
    """What retention erased of the request (docs/retention.md): the category, the rule, when,
    and the index of the ``data.erased`` custody entry that proves it."""

    category: str
    rule: str
    article: str
    erased_at: str
    ledger_index: int


class PreservationOut(BaseModel):
    starts_on: str
    zone: str
    days: int
    total_days: int
    expires_at: str
    extensions: list[dict[str, Any]]


class RequestOut(BaseModel):
    """A request as its reader may see it. ``version`` is also the ETag."""

    reference: str
    kind: str
    side: Literal["requesting", "requested"]
    status: str
    version: int
    requesting: PartyOut
    requested: PartyOut
    handled_by: str
    channel: str
    language: str
    urgent: bool
    restricted: bool
    legal_basis: str
    legal_basis_other: str | None
    convention_offence: bool | None
    dual_criminality: bool | None
    preservation_days: int | None
    suggested_deadline: str | None
    owner: str | None
    drafted_by: str | None
    authors: list[str]
    approved_by: str | None
    follows_up: str | None
    follow_ups: list[str]
    created_at: str
    updated_at: str
    proceeding: str
    contents: dict[str, str | bool | list[str]]
    preservation: PreservationOut | None
    conditions: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    refusal: dict[str, Any] | None
    postponement: dict[str, Any] | None
    history: list[HistoryEntryOut]
    possible_actions: list[str]
    deadlines: list[DeadlineOut]
    validation: ValidationOut | None = None
    erasures: list[ErasureOut] = []

    @classmethod
    def of(
        cls,
        request: CooperationRequest,
        deadlines: list[DeadlineStatus] | None = None,
        validation: ValidationReport | None = None,
        erasures: Sequence[Mapping[str, Any]] = (),
    ) -> RequestOut:
        # The summary fields come from the request's loggable view (no personal data); the
        # personal ones are added here for the reader who may read the contents.
        view = request.loggable()
        preservation = request.preservation
        last = request.history[-1].at if request.history else request.created_at
        return cls(
            reference=view["reference"],
            kind=view["kind"],
            side=view["side"],
            status=view["status"],
            version=view["version"],
            requesting=PartyOut(**view["requesting"]),
            requested=PartyOut(**view["requested"]),
            handled_by=view["handled_by"],
            channel=view["channel"],
            language=view["language"],
            urgent=view["urgent"],
            restricted=view["restricted"],
            legal_basis=view["legal_basis"],
            legal_basis_other=view["legal_basis_other"],
            convention_offence=view["convention_offence"],
            dual_criminality=view["dual_criminality"],
            preservation_days=view["preservation_days"],
            suggested_deadline=view["suggested_deadline"],
            owner=view["owner"],
            drafted_by=view["drafted_by"],
            authors=view["authors"],
            approved_by=view["approved_by"],
            follows_up=view["follows_up"],
            follow_ups=view["follow_ups"],
            created_at=_rfc3339(request.created_at),
            updated_at=_rfc3339(last),
            proceeding=request.proceeding,
            contents={
                k: list(v) if isinstance(v, tuple) else v for k, v in request.contents.items()
            },
            preservation=None
            if preservation is None
            else PreservationOut(
                starts_on=preservation.starts_on.isoformat(),
                zone=preservation.zone,
                days=preservation.days,
                total_days=preservation.total_days,
                expires_at=_rfc3339(preservation.expires_at()),
                extensions=[{"days": e.days, "reason": e.reason} for e in preservation.extensions],
            ),
            conditions=[condition_view(c) for c in request.conditions.conditions],
            consents=[consent_view(c) for c in request.conditions.consents],
            refusal=None
            if request.refusal is None
            else {
                "grounds": list(request.refusal.grounds),
                "reasons": request.refusal.reasons,
                "consulted": request.refusal.consulted,
                # Grounds the sources contest for this kind: the refusal stands, the doubt shows.
                "cautions": [
                    p.as_dict()
                    for p in rulebook.refusal_cautions(request.kind, request.refusal.grounds)
                ],
            },
            postponement=None
            if request.postponement is None
            else {
                "until": request.postponement.until.isoformat(),
                "reason": request.postponement.reason,
                "consulted": request.postponement.consulted,
            },
            history=[
                HistoryEntryOut(
                    seq=e.seq,
                    action=e.action.value,
                    from_status=e.from_status.value if e.from_status else None,
                    to_status=e.to_status.value,
                    at=_rfc3339(e.at),
                    side=e.side.value,
                    actor=e.actor,
                    authority=e.authority,
                    note=e.note,
                    details=dict(e.details),
                )
                for e in request.history
            ],
            possible_actions=[a.value for a in possible_actions(request.status)],
            deadlines=[DeadlineOut.of(s) for s in deadlines or []],
            validation=ValidationOut.of(validation, kind=request.kind.value)
            if validation is not None
            else None,
            erasures=[
                ErasureOut(
                    category=str(e["category"]),
                    rule=str(e["rule"]),
                    article=str(e["article"]),
                    erased_at=str(e["erased_at"]),
                    ledger_index=int(e["ledger_index"]),
                )
                for e in erasures
            ],
        )


class SummaryOut(BaseModel):
    """A row of a list: no contents, no personal data."""

    reference: str
    kind: str
    side: str
    requesting_state: str
    requested_state: str
    status: str
    handled_by: str
    restricted: bool
    urgent: bool
    next_deadline: str | None
    follows_up: str | None
    created_at: str
    updated_at: str
    version: int

    @classmethod
    def of(cls, row: SummaryRow) -> SummaryOut:
        return cls(
            reference=row.reference,
            kind=row.kind,
            side=row.side,
            requesting_state=row.requesting_state,
            requested_state=row.requested_state,
            status=row.status,
            handled_by=row.handled_by,
            restricted=row.restricted,
            urgent=row.urgent,
            next_deadline=_rfc3339(row.next_deadline) if row.next_deadline else None,
            follows_up=row.follows_up,
            created_at=_rfc3339(row.created_at),
            updated_at=_rfc3339(row.updated_at),
            version=row.version,
        )


class ProofOut(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    audit_path: list[str]
    checkpoint: str


class HistoryStepOut(BaseModel):
    seq: int
    action: str
    from_status: str | None
    to_status: str
    side: str
    actor: str
    authority: str
    at: str
    ledger_index: int
    event: dict[str, Any] = Field(description="the custody event; its RFC 8785 form is the leaf")
    entry_matches: bool = Field(description="the event hashes to the proved leaf")
    proof: ProofOut


class HistoryOut(BaseModel):
    reference: str
    version: int
    tree_size: int
    steps: list[HistoryStepOut]
    erasures: list[ErasureOut] = []
