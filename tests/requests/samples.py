"""Fixed requests and step payloads for the golden files of the storage and the wire codecs.

Every value is deterministic (fixed times, counters for ids), so encoding a sample gives the
same bytes on every run: a golden file made from a sample pins a format, and a change that
moves a byte of it shows as a failing test.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from hanoix.convention import RequestKind
from hanoix.requests import (
    Action,
    ConditionsAttachment,
    ConditionSet,
    CooperationRequest,
    DeleteBy,
    ExecutionReport,
    FollowUpLink,
    KeepConfidential,
    NoOnwardTransfer,
    Payload,
    Postponement,
    Preservation,
    PreservationExtension,
    Refusal,
    RequestReference,
    RetentionConsent,
    UseAction,
    UseCondition,
    UseConsent,
    UseOnlyForProceeding,
    amend,
)
from hanoix.requests.conditions import Consent
from tests.requests.builders import AUT_APPROVER, FROM_VNM, T0, received, sent, step

T1 = T0 + timedelta(days=1)

CONDITIONS: tuple[UseCondition, ...] = (
    UseOnlyForProceeding(proceeding="AUT-StA-Wien-123/26 (Nguyễn Văn A)", statutory=True),
    NoOnwardTransfer(written=True),
    KeepConfidential(),
    DeleteBy(on=date(2027, 1, 31), zones=("Europe/Vienna", "Asia/Ho_Chi_Minh")),
)
CONSENTS: tuple[Consent, ...] = (
    UseConsent(
        action=UseAction.FORWARD,
        granted_by="VNM-CA",
        granted_at=T1,
        recipient="ZAF",
        written=True,
        letter="L-1",
    ),
    UseConsent(
        action=UseAction.USE_IN_PROCEEDING, granted_by="VNM-CA", granted_at=T1, proceeding="P-2"
    ),
    RetentionConsent(until=date(2027, 6, 30), granted_by="VNM-CA", granted_at=T1),
)


def sent_request(kind: RequestKind) -> CooperationRequest:
    """A sent request of ``kind`` with the optional fields of the envelope filled in (a
    suggested date, preservation days, urgent and restricted), and personal
    data in its proceeding and its contents (a name, an address, a list); another legal basis
    for MLA."""
    request = sent(
        kind,
        preservation_days=90 if kind is RequestKind.PRESERVATION else None,
        suggested_deadline=date(2026, 3, 1),
        legal_basis_other="Treaty between Austria and Viet Nam on mutual legal assistance"
        if kind is RequestKind.MLA
        else None,
        urgent=kind is RequestKind.PRESERVATION,
        restricted=kind is RequestKind.INTERCEPTION,
    )
    personal = {
        name: f"Nguyễn Văn A, 12 Lý Thường Kiệt, Hà Nội — {name}" for name in request.contents
    }
    first = next(iter(personal), None)
    if first is not None and isinstance(request.contents[first], str):
        personal[first] = "Nguyễn Văn A"
    contents = {
        name: personal[name] if isinstance(value, str) else value
        for name, value in request.contents.items()
    }
    if kind is RequestKind.MLA:
        contents["assistance_purposes"] = ("take-evidence", "serve-documents")
    return amend(
        request,
        contents=contents,
        proceeding="AUT-StA-Wien-123/26 against Nguyễn Văn A",
        follows_up=RequestReference("AUT", 2025, 7) if kind is RequestKind.MLA else None,
    )


def stored_request(kind: RequestKind) -> CooperationRequest:
    """The requesting State's copy of ``kind``'s sample, received, with every record a step can
    leave on it: a preservation with an extension, conditions and consents, a refusal and a
    postponement, follow-ups, an owner and an approver."""
    request = step(sent_request(kind), Action.RECEIVE, FROM_VNM, T1)
    return replace(
        request,
        follow_ups=(RequestReference("AUT", 2026, 9),),
        preservation=Preservation(
            starts_on=date(2026, 2, 10),
            zone="Asia/Ho_Chi_Minh",
            days=90,
            extensions=(PreservationExtension(days=30, reason="more time"),),
        )
        if kind is RequestKind.PRESERVATION
        else None,
        conditions=ConditionSet(conditions=CONDITIONS, consents=CONSENTS),
        refusal=Refusal(grounds=("persecution",), reasons="why", consulted=True)
        if kind is RequestKind.EXTRADITION
        else None,
        postponement=Postponement(until=date(2026, 5, 1), reason="ongoing trial", consulted=True)
        if kind is RequestKind.MLA
        else None,
        owner="aut.drafter",
        approved_by=AUT_APPROVER.id,
    )


def received_request(kind: RequestKind) -> CooperationRequest:
    """The requested State's copy of ``kind``'s sample, as its node registered it."""
    return received(sent_request(kind), T1)


#: One payload of each type that travels with a step, named for its golden file.
PAYLOADS: dict[str, Payload | None] = {
    "none": None,
    "refusal": Refusal(grounds=("persecution", "sovereignty"), reasons="why not", consulted=True),
    "postponement": Postponement(until=date(2026, 5, 1), reason="ongoing trial", consulted=False),
    "execution": ExecutionReport(preserved_on=date(2026, 2, 11), summary="data of Nguyễn Văn A"),
    "execution-undated": ExecutionReport(summary="done"),
    "extension": PreservationExtension(days=30, reason="more time"),
    "conditions": ConditionsAttachment(CONDITIONS),
    "consent-use": CONSENTS[0],
    "consent-proceeding": CONSENTS[1],
    "consent-retention": CONSENTS[2],
    "follow-up": FollowUpLink(reference=RequestReference("AUT", 2026, 124)),
}

#: The kinds the golden files cover: every kind.
KINDS = tuple(RequestKind)
