"""A small world for request tests above the domain: authorities and users of an Austrian
node (and one Vietnamese user, who must see nothing of Austria's), request documents of every
kind, and helpers that walk a request to a given state through the services."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hanoix.convention import RequestKind
from hanoix.requests import (
    Action,
    CooperationRequest,
    Counterpart,
    IncomingRequest,
    NodeActor,
    Party,
    Postponement,
    RequestReference,
    RequestTerms,
    User,
    amend,
)
from hanoix.services import auth
from hanoix.services import requests as service
from hanoix.services.node import Node
from tests.requests.builders import channel_for, complete_contents

AUTHORITIES = (
    ("AUT-CA", "central-authority", "AUT"),
    ("AUT-POC", "contact-24-7", "AUT"),
    ("AUT-PROS", "competent-authority", "AUT"),
    ("VNM-CA", "central-authority", "VNM"),
)

# username: (roles, authority)
USERS: dict[str, tuple[set[str], str | None]] = {
    "drafter": ({"drafter"}, "AUT-CA"),
    "editor": ({"drafter"}, "AUT-CA"),
    "approver": ({"approver"}, "AUT-CA"),
    "approver2": ({"approver"}, "AUT-CA"),
    "both": ({"drafter", "approver"}, "AUT-CA"),
    "officer": ({"officer_24_7"}, "AUT-CA"),
    "duty": ({"officer_24_7"}, "AUT-POC"),
    "examiner": ({"examiner"}, "AUT-CA"),
    "auditor": ({"auditor"}, "AUT-CA"),
    "admin": ({"administrator"}, None),
    "prosecutor": ({"drafter"}, "AUT-PROS"),
    "vnm-clerk": ({"drafter"}, "VNM-CA"),
    "vnm-approver": ({"approver"}, "VNM-CA"),
}

OTHER_BASIS = "Treaty on mutual legal assistance between Austria and Viet Nam (2001)"
PROCEEDING = "StA Wien 123 Js 456/26"
FROM_VNM = Counterpart("VNM", "VNM-CA")
VIENNA = "Europe/Vienna"
SAIGON = "Asia/Ho_Chi_Minh"


def populate(node: Node) -> None:
    """Add the world's authorities and users to ``node``."""
    add_people(node, AUTHORITIES, USERS)


def add_people(
    node: Node,
    authorities: Iterable[tuple[str, str, str]],
    users: Mapping[str, tuple[set[str], str | None]],
    *,
    password: str | None = None,
) -> None:
    """Add ``authorities`` (code, kind, State) and ``users`` (name: roles, authority), each
    with ``password`` (none by default: they act through tokens or the services)."""
    with node.unit_of_work() as session:
        for code, kind, state in authorities:
            auth.add_authority(session, node.clock, auth.Authority(code, code, kind, state))
        for username, (roles, authority) in users.items():
            auth.add_user(
                session,
                node.clock,
                username=username,
                display_name=username,
                roles=roles,
                authority=authority,
                password=password,
            )


def user(node: Node, username: str) -> User:
    return service.user_named(node, username)


def token(node: Node, username: str) -> dict[str, str]:
    with node.unit_of_work() as session:
        issued = auth.issue_token(session, node.clock, auth.user_id(session, username), "test")
    return {"Authorization": f"Bearer {issued}"}


def document(kind: RequestKind = RequestKind.MLA, **overrides: Any) -> dict[str, Any]:
    """A complete request document (the JSON input format) from Austria to Viet Nam."""
    contents = {
        name: list(value) if isinstance(value, tuple) else value
        for name, value in complete_contents(kind).items()
    }
    body: dict[str, Any] = {
        "kind": kind.value,
        "requested_state": "VNM",
        "language": "en",
        "proceeding": PROCEEDING,
        "contents": contents,
        "channel": channel_for(kind).value,
        "legal_basis_other": OTHER_BASIS,
        "dual_criminality": True,
        "convention_offence": True,
    }
    body.update(overrides)
    return body


def draft(kind: RequestKind = RequestKind.MLA, **overrides: Any) -> service.DraftInput:
    spec = service.DraftInput(
        kind=kind,
        requested_state="VNM",
        terms=RequestTerms(
            language="en",
            proceeding=PROCEEDING,
            contents=complete_contents(kind),
            legal_basis_other=OTHER_BASIS,
            dual_criminality=True,
            convention_offence=True,
        ),
        channel=None,
    )
    spec = replace(spec, channel=service.default_channel(spec))
    return amend(spec, **overrides)


def step(
    node: Node, who: str, request: CooperationRequest, action: Action, **kw: Any
) -> CooperationRequest:
    return service.take_step(
        node,
        user(node, who),
        str(request.reference),
        action,
        expected_version=request.version,
        **kw,
    )


def outgoing(
    node: Node,
    status: str = "draft",
    kind: RequestKind = RequestKind.MLA,
    author: str = "editor",
    **overrides: Any,
) -> CooperationRequest:
    """An outgoing request (Austria's copy) walked to ``status``."""
    request = service.create(node, user(node, author), draft(kind, **overrides)).request
    path = {
        "draft": [],
        "awaiting_approval": [(author, Action.SUBMIT)],
        "approved": [(author, Action.SUBMIT), ("approver2", Action.APPROVE)],
        "sent": [(author, Action.SUBMIT), ("approver2", Action.APPROVE), (author, Action.SEND)],
        "withdrawn": [(author, Action.WITHDRAW)],
    }
    for who, action in path.get(status, path["sent"]):
        note = "withdrawn: no longer needed" if action is Action.WITHDRAW else None
        request = step(node, who, request, action, note=note)
    now = node.clock.now()
    counterpart = {
        "more_information_requested": [Action.RECEIVE, Action.REQUEST_MORE_INFORMATION],
        "received": [Action.RECEIVE],
        "executed": [Action.RECEIVE, Action.ACKNOWLEDGE, Action.START_EXECUTION, Action.EXECUTE],
    }
    for action in counterpart.get(status, []):
        note = "which accounts?" if action is Action.REQUEST_MORE_INFORMATION else None
        request = service.record_counterpart_step(
            node, str(request.reference), action, FROM_VNM, at=now, note=note
        )
    return request


_incoming_counter = iter(range(1, 1_000_000))


def incoming(
    node: Node,
    status: str = "received",
    kind: RequestKind = RequestKind.MLA,
    handled_by: str = "AUT-CA",
    **overrides: Any,
) -> CooperationRequest:
    """A request from Viet Nam to Austria, registered on the Austrian node, walked to
    ``status`` by Austrian users."""
    contents = complete_contents(kind)
    spec = IncomingRequest(
        # Viet Nam's references of last year: drafts of a Vietnamese user on this node (the
        # matrix's outsider) take this year's.
        reference=RequestReference.parse(f"VNM-2025-{next(_incoming_counter):06d}"),
        kind=kind,
        requesting=Party("VNM", "VNM-CA", SAIGON),
        requested=Party("AUT", handled_by, VIENNA),
        handled_by=handled_by,
        channel=channel_for(kind),
        terms=RequestTerms(
            language="en",
            proceeding="Hanoi People's Procuracy 77/2026",
            contents=contents,
            legal_basis_other=OTHER_BASIS,
            dual_criminality=True,
            convention_offence=True,
        ),
    )
    spec = amend(spec, **overrides)
    request = service.register(node, NodeActor("AUT"), spec)
    paths: dict[str, list[tuple[str, Action]]] = {
        "received": [],
        "acknowledged": [("drafter", Action.ACKNOWLEDGE)],
        "in_execution": [("drafter", Action.ACKNOWLEDGE), ("examiner", Action.START_EXECUTION)],
        "postponed": [("drafter", Action.ACKNOWLEDGE), ("approver", Action.POSTPONE)],
        "executed": [
            ("drafter", Action.ACKNOWLEDGE),
            ("examiner", Action.START_EXECUTION),
            ("examiner", Action.EXECUTE),
        ],
    }
    for who, action in paths[status]:
        kwargs: dict[str, Any] = {}
        if action is Action.POSTPONE:
            kwargs["payload"] = Postponement(
                until=datetime(2027, 6, 1, tzinfo=UTC).date(), reason="a search is under way"
            )
        request = step(node, who, request, action, **kwargs)
    return request


def arrived(node: Node, envelope: str, type: str, payload: dict[str, object], about: str) -> None:
    """A message from Viet Nam's node in the inbox, of ``type``, about request ``about``, as
    if it had just been received (its handler's effect aside)."""
    import json
    from datetime import timedelta

    from hanoix.store import federation as federation_store

    now = node.clock.now()
    with node.unit_of_work() as session:
        federation_store.add_inbox(
            session,
            envelope_id=envelope,
            sender="vnm.example",
            type=type,
            urgent=False,
            in_reply_to=None,
            created_at=now,
            expires_at=now + timedelta(days=1),
            received_at=now,
            digest="0" * 64,
            payload=json.dumps(payload),
            receipt="{}",
        )
        federation_store.link_inbox_to_request(session, envelope, about)
