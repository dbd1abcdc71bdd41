"""The wire format of a cooperation request: what one node sends another about a request.

Two shapes travel (in the payloads of ``request.sent`` and ``request.step``, see
:mod:`hanoix.services.exchange`): the request's document, everything the requested State's copy
needs, and the payload of a step taken on one side (a refusal, a postponement, conditions on
use, a consent...), tagged with its type.

This is one of two codecs of a request, each with its own version: this one for the protocol
between States, :mod:`hanoix.store.request_codec` for the node's own database. Neither calls
the other, so a change to the stored layout cannot change what a State sends (and the
reverse); each is pinned byte for byte by golden files (``tests/federation/golden``,
``tests/store/golden``). A change to this format raises :data:`WIRE_FORMAT` and is a
versioned, documented step of the protocol: the other States' nodes read it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from hanoix.convention import RequestKind
from hanoix.errors import InputError
from hanoix.requests import (
    Channel,
    ConditionsAttachment,
    CooperationRequest,
    DeleteBy,
    ExecutionReport,
    FollowUpLink,
    IncomingRequest,
    KeepConfidential,
    NoOnwardTransfer,
    Party,
    Payload,
    Postponement,
    PreservationExtension,
    Refusal,
    RequestReference,
    RequestTerms,
    UseAction,
    UseCondition,
    UseOnlyForProceeding,
)
from hanoix.requests.conditions import Consent, RetentionConsent, UseConsent

#: The version of the request document and step payloads sent between nodes. Version 1 is
#: written in no member of its own (it is what ``request.sent`` and ``request.step`` have
#: always carried); a later version must say so on the wire.
WIRE_FORMAT = 1


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


# --- the parties ----------------------------------------------------------------------------------


def encode_party(party: Party) -> dict[str, str]:
    """A party to a request (State, authority, time zone) as sent."""
    return {"state": party.state, "authority": party.authority, "zone": party.zone}


def decode_party(data: Mapping[str, Any]) -> Party:
    """The inverse of :func:`encode_party`."""
    return Party(str(data["state"]), str(data["authority"]), str(data["zone"]))


# --- conditions on use and consents ---------------------------------------------------------------


def _encode_condition(condition: UseCondition) -> dict[str, Any]:
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


def _decode_condition(data: Mapping[str, Any]) -> UseCondition:
    tag = data["type"]
    if tag == "use-only-for-proceeding":
        return UseOnlyForProceeding(proceeding=data["proceeding"], statutory=data["statutory"])
    if tag == "no-onward-transfer":
        return NoOnwardTransfer(written=data["written"], statutory=data["statutory"])
    if tag == "keep-confidential":
        return KeepConfidential()
    if tag == "delete-by":
        return DeleteBy(on=date.fromisoformat(data["on"]), zones=tuple(data["zones"]))
    raise InputError(f"condition of unknown type {tag!r}")


def _encode_consent(consent: Consent) -> dict[str, Any]:
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


def _decode_consent(data: Mapping[str, Any]) -> Consent:
    granted_at = datetime.fromisoformat(data["granted_at"])
    if data["type"] == "use":
        return UseConsent(
            action=UseAction(data["action"]),
            granted_by=data["granted_by"],
            granted_at=granted_at,
            proceeding=data["proceeding"],
            recipient=data["recipient"],
            written=data["written"],
            letter=data["letter"],
        )
    if data["type"] == "retention":
        return RetentionConsent(
            until=date.fromisoformat(data["until"]),
            granted_by=data["granted_by"],
            granted_at=granted_at,
            written=data["written"],
            letter=data["letter"],
        )
    raise InputError(f"consent of unknown type {data['type']!r}")


# --- step payloads --------------------------------------------------------------------------------


def encode_payload(payload: Payload | None) -> dict[str, Any] | None:
    """A step's payload as sent, tagged with its type (``None`` stays ``None``)."""
    if payload is None:
        return None
    if isinstance(payload, Refusal):
        return {
            "type": "refusal",
            "grounds": list(payload.grounds),
            "reasons": payload.reasons,
            "consulted": payload.consulted,
        }
    if isinstance(payload, Postponement):
        return {
            "type": "postponement",
            "until": payload.until.isoformat(),
            "reason": payload.reason,
            "consulted": payload.consulted,
        }
    if isinstance(payload, ExecutionReport):
        return {
            "type": "execution",
            "preserved_on": _iso(payload.preserved_on),
            "summary": payload.summary,
        }
    if isinstance(payload, PreservationExtension):
        return {"type": "extension", "days": payload.days, "reason": payload.reason}
    if isinstance(payload, ConditionsAttachment):
        return {
            "type": "conditions",
            "conditions": [_encode_condition(c) for c in payload.conditions],
        }
    if isinstance(payload, UseConsent | RetentionConsent):
        return {"type": "consent", "consent": _encode_consent(payload)}
    if isinstance(payload, FollowUpLink):
        return {"type": "follow-up", "reference": str(payload.reference)}
    raise InputError(f"a {type(payload).__name__} is not sent to the other State")


def decode_payload(data: Any) -> Payload | None:
    """The inverse of :func:`encode_payload`; raises :class:`InputError` on anything else."""
    if data is None:
        return None
    try:
        kind = data["type"]
        if kind == "refusal":
            return Refusal(
                grounds=tuple(str(g) for g in data["grounds"]),
                reasons=str(data["reasons"]),
                consulted=bool(data["consulted"]),
            )
        if kind == "postponement":
            return Postponement(
                until=date.fromisoformat(data["until"]),
                reason=str(data["reason"]),
                consulted=bool(data["consulted"]),
            )
        if kind == "execution":
            preserved = data["preserved_on"]
            return ExecutionReport(
                preserved_on=None if preserved is None else date.fromisoformat(preserved),
                summary=str(data["summary"]),
            )
        if kind == "extension":
            return PreservationExtension(days=int(data["days"]), reason=str(data["reason"]))
        if kind == "conditions":
            return ConditionsAttachment(tuple(_decode_condition(c) for c in data["conditions"]))
        if kind == "consent":
            return _decode_consent(data["consent"])
        if kind == "follow-up":
            return FollowUpLink(reference=RequestReference.parse(data["reference"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"step payload: {exc}") from None
    raise InputError(f"step payload of unknown type {data.get('type')!r}")


# --- the request's document -----------------------------------------------------------------------


def encode_request(request: CooperationRequest) -> dict[str, Any]:
    """What travels with a sent request: everything the requested State's copy needs."""
    return {
        "kind": request.kind.value,
        "requesting": encode_party(request.requesting),
        "requested": encode_party(request.requested),
        "channel": request.channel.value,
        "language": request.language,
        "proceeding": request.proceeding,
        "contents": {
            k: list(v) if isinstance(v, tuple) else v for k, v in request.contents.items()
        },
        "urgent": request.urgent,
        "restricted": request.restricted,
        "legal_basis_other": request.legal_basis_other,
        "convention_offence": request.convention_offence,
        "dual_criminality": request.dual_criminality,
        "preservation_days": request.preservation_days,
        "suggested_deadline": _iso(request.suggested_deadline),
        "follows_up": str(request.follows_up) if request.follows_up else None,
    }


def decode_request(
    reference: RequestReference, data: Mapping[str, Any], handled_by: str
) -> IncomingRequest:
    """The requested State's copy of the request sent as ``data``, handled by its authority
    ``handled_by``; :class:`KeyError`, :class:`TypeError` or :class:`ValueError` (an
    :class:`InputError` among them) on a document that is not one."""
    contents = {
        str(k): tuple(str(x) for x in v) if isinstance(v, list) else v
        for k, v in dict(data["contents"]).items()
    }
    for name, value in contents.items():
        if not isinstance(value, str | bool | tuple):
            raise InputError(f"content {name!r} is neither text, a list nor a yes/no")
    deadline = data.get("suggested_deadline")
    follows_up = data.get("follows_up")
    days = data.get("preservation_days")
    return IncomingRequest(
        reference=reference,
        kind=RequestKind(data["kind"]),
        requesting=decode_party(data["requesting"]),
        requested=decode_party(data["requested"]),
        handled_by=handled_by,
        channel=Channel(data["channel"]),
        terms=RequestTerms(
            language=str(data["language"]),
            proceeding=str(data["proceeding"]),
            contents=contents,
            urgent=bool(data["urgent"]),
            restricted=bool(data["restricted"]),
            legal_basis_other=data.get("legal_basis_other"),
            convention_offence=data.get("convention_offence"),
            dual_criminality=data.get("dual_criminality"),
            preservation_days=None if days is None else int(days),
            suggested_deadline=None if deadline is None else date.fromisoformat(deadline),
        ),
        follows_up=None if follows_up is None else RequestReference.parse(follows_up),
    )
