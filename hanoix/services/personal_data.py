"""Where the node holds a person's data, and who read it: for the data-protection officer
(docs/retention.md).

:func:`find` searches, for one identifier (a name, a number, an account, an address), every
place the node keeps data about people: the requests (each field that holds it, by its path),
the messages received from other nodes, the evidence packages received for those requests (by
what the node recorded of them: the package itself is encrypted), and the removal cases (by the
victim's pseudonymous reference). Each place comes with who accessed it and when: the steps
taken on a request, the readings of its contents, the custody events of a package (opened,
verified, released), a case's opening.

Only the data-protection officer may search (:data:`~hanoix.requests.Role.
DATA_PROTECTION_OFFICER`), over the whole node, and every search is itself recorded, by a
digest of the identifier (the identifier is personal data too).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hanoix.errors import InputError, PermissionDeniedError
from hanoix.ledger.events import CustodyEvent
from hanoix.requests import CooperationRequest, Role, User
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from hanoix.store import federation as federation_store
from hanoix.store import requests as request_store
from hanoix.store import retention as store

#: The fewest letters or digits an identifier needs: shorter ones match too much to say
#: anything about one person (and would list half the node).
MIN_IDENTIFIER = 4
MAX_IDENTIFIER = 200
PACKAGE_MESSAGE = "evidence.package"


@dataclass(frozen=True)
class Access:
    """One access to a place: what was done, by whom (and for which authority), when."""

    what: str
    actor: str
    authority: str
    at: datetime

    def as_dict(self) -> dict[str, str]:
        return {
            "what": self.what,
            "actor": self.actor,
            "authority": self.authority,
            "at": self.at.isoformat().replace("+00:00", "Z"),
        }


@dataclass(frozen=True)
class Place:
    """A place that holds the identifier: its kind, its subject (a request's reference, an
    envelope id, a package id, a case's reference), where in it, and its accesses."""

    kind: str
    subject: str
    where: list[str]
    accesses: list[Access] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "subject": self.subject,
            "where": self.where,
            "accesses": [a.as_dict() for a in self.accesses],
        }


@dataclass(frozen=True)
class Found:
    """Every place found, and when the search was made."""

    searched_at: datetime
    places: list[Place]

    def as_dict(self) -> dict[str, Any]:
        return {
            "searched_at": self.searched_at.isoformat().replace("+00:00", "Z"),
            "places": [p.as_dict() for p in self.places],
        }


def check_identifier(identifier: str) -> str:
    """The identifier to search, lower-cased; refused when it is too short to point at one
    person or too long to be an identifier."""
    text = identifier.strip()
    if len(text) > MAX_IDENTIFIER:
        raise InputError(
            f"an identifier is at most {MAX_IDENTIFIER} characters; give the name, number, "
            "account or address alone"
        )
    if sum(c.isalnum() for c in text) < MIN_IDENTIFIER:
        raise InputError(
            f"{identifier!r} is too short to search safely: give at least {MIN_IDENTIFIER} "
            "letters or digits (a full name, a number, an account, an address)"
        )
    return text.casefold()


def _paths(value: Any, needle: str, path: str) -> Iterator[str]:
    """The paths of the texts in ``value`` that hold ``needle``."""
    if isinstance(value, str):
        if needle in value.casefold():
            yield path
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from _paths(getattr(value, f.name), needle, f"{path}.{f.name}".lstrip("."))
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _paths(item, needle, f"{path}.{key}".lstrip("."))
    elif isinstance(value, tuple | list | frozenset | set):
        for i, item in enumerate(value):
            yield from _paths(item, needle, f"{path}[{i}]")


def _event_access(event: CustodyEvent) -> Access:
    return Access(event.kind.value, event.actor, event.authority, event.at)


def _request_place(session: Session, request: CooperationRequest, where: list[str]) -> Place:
    reference = str(request.reference)
    accesses = [
        Access(f"step:{s.action}", s.actor, s.authority, s.at)
        for s in request_store.steps(session, request.id)
    ]
    accesses += [
        Access(f"read:{r.what}", r.actor, r.authority, r.at)
        for r in store.reads_of(session, [reference])
    ]
    accesses.sort(key=lambda a: a.at)
    return Place("request", reference, where, accesses)


def _packages(node: Node, session: Session, reference: str) -> list[Place]:
    places = []
    ledger = CustodyLedger(node)
    for row in federation_store.inbox_for_request(session, reference, PACKAGE_MESSAGE):
        package_id = json.loads(row.payload).get("package_id")
        if not isinstance(package_id, str):
            continue
        events = [
            CustodyEvent.from_dict(json.loads(entry.entry))
            for entry in ledger.history("package", package_id)
        ]
        places.append(
            Place(
                "evidence-package",
                package_id,
                [f"received for {reference} (envelope {row.envelope_id})"],
                [_event_access(e) for e in events],
            )
        )
    return places


def find(node: Node, user: User, identifier: str) -> Found:
    """Every place the node holds ``identifier``, with who accessed each and when."""
    if Role.DATA_PROTECTION_OFFICER not in user.roles or user.authority is None:
        raise PermissionDeniedError(
            "finding a person's data is the data-protection officer's: it needs the role "
            f"{Role.DATA_PROTECTION_OFFICER.value}"
        )
    needle = check_identifier(identifier)
    now = node.clock.now()
    places: list[Place] = []
    with node.unit_of_work() as session:
        for request in store.requests_containing(session, needle):
            if isinstance(request, store.UnreadableRequest):
                # Named, not skipped: the officer must know a place went unsearched.
                where = [f"not searched: its stored document cannot be read ({request.reason})"]
                places.append(Place("request-unreadable", request.reference, where))
                continue
            where = list(_paths(request, needle, ""))
            if where:
                places.append(_request_place(session, request, where))
                places.extend(_packages(node, session, str(request.reference)))
        for message in store.inbox_containing(session, needle):
            item = federation_store.get_inbox(session, message.envelope_id)
            accesses = []
            if item is not None and item.acknowledged_at is not None and item.acknowledged_by:
                accesses.append(
                    Access("acknowledged", item.acknowledged_by, "", item.acknowledged_at)
                )
            about = item.request_reference if item is not None else None
            where = [f"payload of a {message.type} message" + (f" about {about}" if about else "")]
            places.append(Place("inbox-message", message.envelope_id, where, accesses))
        for case in store.content_cases_containing(session, needle):
            opened = Access("content.case-opened", case.opened_by, case.authority, case.opened_at)
            places.append(Place("content-case", case.reference, ["victim_ref"], [opened]))
        digest = hashlib.sha256(needle.encode("utf-8")).hexdigest()[:32]
        store.record_read(
            session,
            store.Read(f"search:{digest}", "personal-data-find", user.id, user.authority.code, now),
        )
    return Found(now, places)
