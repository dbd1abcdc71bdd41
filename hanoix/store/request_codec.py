"""The storage format of a cooperation request: what the node writes in the JSON columns of
its database (``requests.document``, ``request_conditions.document``) and reads back.

This is one of two codecs of a request, each with its own version: this one for the node's own
database, :mod:`hanoix.federation.request_wire` for what travels between States. Neither calls
the other, so a change to the stored layout cannot change the protocol (and the reverse); each
is pinned byte for byte by golden files (``tests/store/golden``,
``tests/federation/golden``). A change to this layout raises :data:`STORAGE_FORMAT` and comes
with a migration of the stored documents.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from hanoix.convention import RequestKind
from hanoix.convention.refs import Art
from hanoix.errors import InputError
from hanoix.requests import (
    Action,
    Channel,
    ConditionSet,
    Consent,
    CooperationRequest,
    DeleteBy,
    HistoryEntry,
    KeepConfidential,
    LegalBasis,
    NoOnwardTransfer,
    Party,
    Postponement,
    Preservation,
    PreservationExtension,
    Refusal,
    RequestReference,
    RequestTerms,
    RetentionConsent,
    Side,
    Status,
    Transfer,
    UseAction,
    UseCondition,
    UseConsent,
    UseOnlyForProceeding,
)
from hanoix.requests.rulebook import ContentValue

#: The version of the stored document's layout (its ``format`` member); a reader refuses a
#: layout it does not know.
STORAGE_FORMAT = 1


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _datetime(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _content(value: ContentValue) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _content_back(value: Any) -> ContentValue:
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, bool | str):
        return value
    raise InputError(f"stored request content of type {type(value).__name__} is not readable")


def _party(party: Party) -> dict[str, str]:
    return {"state": party.state, "authority": party.authority, "zone": party.zone}


def _party_back(data: Mapping[str, Any]) -> Party:
    return Party(state=data["state"], authority=data["authority"], zone=data["zone"])


def encode_condition(condition: UseCondition) -> dict[str, Any]:
    """A condition on use as JSON, tagged with its code."""
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


def decode_condition(data: Mapping[str, Any]) -> UseCondition:
    """The inverse of :func:`encode_condition`."""
    kind = data["type"]
    if kind == "use-only-for-proceeding":
        return UseOnlyForProceeding(proceeding=data["proceeding"], statutory=data["statutory"])
    if kind == "no-onward-transfer":
        return NoOnwardTransfer(written=data["written"], statutory=data["statutory"])
    if kind == "keep-confidential":
        return KeepConfidential()
    if kind == "delete-by":
        return DeleteBy(on=date.fromisoformat(data["on"]), zones=tuple(data["zones"]))
    raise InputError(f"stored condition type {kind!r} is not known to this version")


def encode_consent(consent: Consent) -> dict[str, Any]:
    """A consent as JSON, tagged ``use`` or ``retention``."""
    common = {
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
            **common,
        }
    return {"type": "retention", "until": consent.until.isoformat(), **common}


def decode_consent(data: Mapping[str, Any]) -> Consent:
    """The inverse of :func:`encode_consent`."""
    if data["type"] == "use":
        return UseConsent(
            action=UseAction(data["action"]),
            granted_by=data["granted_by"],
            granted_at=_datetime(data["granted_at"]),
            proceeding=data["proceeding"],
            recipient=data["recipient"],
            written=data["written"],
            letter=data["letter"],
        )
    if data["type"] == "retention":
        return RetentionConsent(
            until=date.fromisoformat(data["until"]),
            granted_by=data["granted_by"],
            granted_at=_datetime(data["granted_at"]),
            written=data["written"],
            letter=data["letter"],
        )
    raise InputError(f"stored consent type {data['type']!r} is not known to this version")


def _entry(entry: HistoryEntry) -> dict[str, Any]:
    return {
        "seq": entry.seq,
        "action": entry.action.value,
        "from_status": entry.from_status.value if entry.from_status else None,
        "to_status": entry.to_status.value,
        "at": entry.at.isoformat(),
        "side": entry.side.value,
        "actor": entry.actor,
        "authority": entry.authority,
        "note": entry.note,
        "details": dict(entry.details),
    }


def _entry_back(data: Mapping[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        seq=data["seq"],
        action=Action(data["action"]),
        from_status=Status(data["from_status"]) if data["from_status"] else None,
        to_status=Status(data["to_status"]),
        at=_datetime(data["at"]),
        side=Side(data["side"]),
        actor=data["actor"],
        authority=data["authority"],
        note=data["note"],
        details=dict(data["details"]),
    )


def encode_request(request: CooperationRequest) -> dict[str, Any]:
    """The whole request as a JSON document (personal data included: it is the record)."""
    preservation = request.preservation
    return {
        "format": STORAGE_FORMAT,
        "id": request.id,
        "reference": str(request.reference),
        "kind": request.kind.value,
        "side": request.side.value,
        "requesting": _party(request.requesting),
        "requested": _party(request.requested),
        "handled_by": request.handled_by,
        "status": request.status.value,
        "created_at": request.created_at.isoformat(),
        "channel": request.channel.value,
        "language": request.language,
        "proceeding": request.proceeding,
        "contents": {name: _content(value) for name, value in request.contents.items()},
        "urgent": request.urgent,
        "restricted": request.restricted,
        "legal_basis": request.legal_basis.value,
        "legal_basis_other": request.legal_basis_other,
        "convention_offence": request.convention_offence,
        "dual_criminality": request.dual_criminality,
        "preservation_days": request.preservation_days,
        "suggested_deadline": _iso(request.suggested_deadline),
        "owner": request.owner,
        "drafted_by": request.drafted_by,
        "authors": sorted(request.authors),
        "approved_by": request.approved_by,
        "follows_up": str(request.follows_up) if request.follows_up else None,
        "follow_ups": [str(r) for r in request.follow_ups],
        "preservation": None
        if preservation is None
        else {
            "starts_on": preservation.starts_on.isoformat(),
            "zone": preservation.zone,
            "days": preservation.days,
            "extensions": [{"days": e.days, "reason": e.reason} for e in preservation.extensions],
        },
        "conditions": [encode_condition(c) for c in request.conditions.conditions],
        "consents": [encode_consent(c) for c in request.conditions.consents],
        "refusal": None
        if request.refusal is None
        else {
            "grounds": list(request.refusal.grounds),
            "reasons": request.refusal.reasons,
            "consulted": request.refusal.consulted,
        },
        "postponement": None
        if request.postponement is None
        else {
            "until": request.postponement.until.isoformat(),
            "reason": request.postponement.reason,
            "consulted": request.postponement.consulted,
        },
        "transfers": [
            {
                "at": t.at.isoformat(),
                "from_state": t.from_state,
                "to_state": t.to_state,
                "what": t.what,
                "legal_basis": t.legal_basis,
                "article": str(t.article),
            }
            for t in request.transfers
        ],
        "history": [_entry(e) for e in request.history],
        "version": request.version,
    }


def decode_request(data: Mapping[str, Any]) -> CooperationRequest:
    """The inverse of :func:`encode_request`: the stored document as the domain value."""
    if data.get("format") != STORAGE_FORMAT:
        raise InputError(
            f"stored request document has layout {data.get('format')!r}; this version reads "
            f"layout {STORAGE_FORMAT}"
        )
    preservation = data["preservation"]
    refusal = data["refusal"]
    postponement = data["postponement"]
    return CooperationRequest(
        id=data["id"],
        reference=RequestReference.parse(data["reference"]),
        kind=RequestKind(data["kind"]),
        side=Side(data["side"]),
        requesting=_party_back(data["requesting"]),
        requested=_party_back(data["requested"]),
        handled_by=data["handled_by"],
        status=Status(data["status"]),
        created_at=_datetime(data["created_at"]),
        channel=Channel(data["channel"]),
        terms=RequestTerms(
            language=data["language"],
            proceeding=data["proceeding"],
            contents={name: _content_back(value) for name, value in data["contents"].items()},
            urgent=data["urgent"],
            restricted=data["restricted"],
            legal_basis_other=data["legal_basis_other"],
            convention_offence=data["convention_offence"],
            dual_criminality=data["dual_criminality"],
            preservation_days=data["preservation_days"],
            suggested_deadline=_date(data["suggested_deadline"]),
        ),
        legal_basis=LegalBasis(data["legal_basis"]),
        owner=data["owner"],
        drafted_by=data["drafted_by"],
        authors=frozenset(data["authors"]),
        approved_by=data["approved_by"],
        follows_up=RequestReference.parse(data["follows_up"]) if data["follows_up"] else None,
        follow_ups=tuple(RequestReference.parse(r) for r in data["follow_ups"]),
        preservation=None
        if preservation is None
        else Preservation(
            starts_on=date.fromisoformat(preservation["starts_on"]),
            zone=preservation["zone"],
            days=preservation["days"],
            extensions=tuple(
                PreservationExtension(days=e["days"], reason=e["reason"])
                for e in preservation["extensions"]
            ),
        ),
        conditions=ConditionSet(
            conditions=tuple(decode_condition(c) for c in data["conditions"]),
            consents=tuple(decode_consent(c) for c in data["consents"]),
        ),
        refusal=None
        if refusal is None
        else Refusal(
            grounds=tuple(refusal["grounds"]),
            reasons=refusal["reasons"],
            consulted=refusal["consulted"],
        ),
        postponement=None
        if postponement is None
        else Postponement(
            until=date.fromisoformat(postponement["until"]),
            reason=postponement["reason"],
            consulted=postponement["consulted"],
        ),
        transfers=tuple(
            Transfer(
                at=_datetime(t["at"]),
                from_state=t["from_state"],
                to_state=t["to_state"],
                what=t["what"],
                legal_basis=t["legal_basis"],
                article=Art.parse(t["article"]),
            )
            for t in data["transfers"]
        ),
        history=tuple(_entry_back(e) for e in data["history"]),
        version=data["version"],
    )
