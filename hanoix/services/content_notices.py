"""Removal notices, a removal case's links to cooperation requests, and its preserved media:
the use cases (docs/content.md).

Each use case is one unit of work: the change and its custody event commit together. Custody
events name the case and the notice, never the victim's reference or the media.
"""

from __future__ import annotations

import contextlib
import io
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from hanoix.content import cases as rules
from hanoix.content import notices as notice_rules
from hanoix.content import pages
from hanoix.content.cases import Consent, MatchResult, RemovalCase
from hanoix.content.matches import MatchHistory, case_matches
from hanoix.content.notices import NoticeState, RemovalNotice
from hanoix.content.signals import SHA256
from hanoix.errors import InputError, NotFoundError, PermissionDeniedError, RuleViolationError
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.requests import Action, RequestReference, User
from hanoix.services import custody
from hanoix.services.node import Node
from hanoix.store import content as case_store
from hanoix.store import content_matches as match_store
from hanoix.store import content_notices as store

#: The custody event of each answer to a notice.
ANSWER_EVENTS = {
    NoticeState.ACKNOWLEDGED: EventKind.CONTENT_NOTICE_ACKNOWLEDGED,
    NoticeState.REMOVED: EventKind.CONTENT_NOTICE_REMOVED,
    NoticeState.REFUSED: EventKind.CONTENT_NOTICE_REFUSED,
}


def _record(
    node: Node,
    session: Session,
    kind: EventKind,
    actor: str,
    authority: str,
    subject: dict[str, str],
    details: dict[str, Any],
) -> None:
    event = CustodyEvent(
        kind=kind,
        actor=actor,
        authority=authority,
        at=node.clock.now(),
        subject=subject,
        details=details,
    )
    custody.record(session, event, clock=node.clock)


def _case(session: Session, reference: str, authority: str) -> RemovalCase:
    return rules.visible_case(
        case_store.find_case(session, rules.case_number(reference)), reference, authority
    )


# --- notices ------------------------------------------------------------------------------------


def send_notice(
    node: Node,
    user: User,
    case_reference: str,
    *,
    to: str,
    kind: str = "provider",
    deadline: datetime,
) -> RemovalNotice:
    """Record a notice to ``to`` to remove case ``case_reference``'s content by ``deadline``."""
    authority = rules.authority_of_case_worker(user)
    now = node.clock.now()
    checked = notice_rules.new_notice(to, kind, deadline, now)
    with node.unit_of_work() as session:
        case = _case(session, case_reference, authority)
        number = rules.case_number(case.reference)
        digests = sorted(
            {
                value
                for _, signal, value, _ in store.case_hashes(session, number)
                if signal == SHA256
            }
        )
        if not digests:
            raise RuleViolationError(
                f"case {case.reference} lists no content yet: add its files before asking for "
                "their removal"
            )
        notice = store.insert_notice(
            session,
            number,
            checked,
            authority=authority,
            legal_basis=notice_rules.legal_basis(case.article),
            content=digests,
            sent_by=user.id,
            at=now,
        )
        _record(
            node,
            session,
            EventKind.CONTENT_NOTICE_SENT,
            user.id,
            authority,
            {"content_case": case.reference, "content_notice": notice.reference},
            {
                "to": notice.recipient,
                "to_kind": str(notice.recipient_kind),
                "legal_basis": notice.legal_basis,
                "content": list(notice.content),
                "deadline": notice.deadline.isoformat(),
            },
        )
        return notice


def _visible_notice(session: Session, reference: str, authority: str) -> RemovalNotice:
    notice = store.find_notice(session, notice_rules.notice_number(reference), lock=True)
    if notice is None or notice.authority != authority:
        raise NotFoundError(f"no removal notice {reference} of {authority} on this node")
    return notice


def answer_notice(
    node: Node,
    user: User,
    reference: str,
    state: str,
    *,
    confirmation: str | None = None,
    reason: str | None = None,
    expected_version: int | None = None,
) -> RemovalNotice:
    """Record the recipient's answer to notice ``reference``: acknowledged, removed (with their
    confirmation reference) or refused (with their reason)."""
    authority = rules.authority_of_case_worker(user)
    given = notice_rules.answer(state, confirmation=confirmation, reason=reason)
    with node.unit_of_work() as session:
        notice = _visible_notice(session, reference, authority)
        if expected_version is not None and expected_version != notice.version:
            from hanoix.errors import ConflictError

            raise ConflictError(
                f"notice {notice.reference} changed since it was read: load it again"
            )
        notice_rules.transition(notice, given.state)
        now = node.clock.now()
        updated = store.update_notice(
            session,
            notice_rules.notice_number(notice.reference),
            state=given.state,
            at=now,
            confirmation=given.confirmation,
            reason=given.reason,
        )
        details: dict[str, Any] = {"from": str(notice.state), "overdue": notice.overdue(now)}
        if given.confirmation is not None:
            details["confirmation"] = given.confirmation
        if given.reason is not None:
            details["reason"] = given.reason
        _record(
            node,
            session,
            ANSWER_EVENTS[given.state],
            user.id,
            authority,
            {"content_case": notice.case, "content_notice": notice.reference},
            details,
        )
        return updated


def list_notices(
    node: Node, user: User, *, overdue: bool = False, case: str | None = None
) -> list[RemovalNotice]:
    """The notices of the user's authority (of one case), overdue ones first."""
    authority = rules.authority_of_case_worker(user)
    now = node.clock.now()
    with node.reading() as session:
        case_id = None
        if case is not None:
            case_id = rules.case_number(_case(session, case, authority).reference)
        found = store.notices(session, authority=authority, case_id=case_id)
    if overdue:
        found = [n for n in found if n.overdue(now)]
    return sorted(found, key=lambda n: (not n.overdue(now), n.deadline, n.reference))


@dataclass(frozen=True)
class Reupload:
    """A removed notice reopened because its content was matched again."""

    notice: str
    case: str
    to: str
    deadline: datetime

    def as_dict(self) -> dict[str, Any]:
        return {"notice": self.notice, "case": self.case, "to": self.to, "deadline": self.deadline}


def reopen_reuploads(node: Node, user: User, results: Sequence[MatchResult]) -> list[Reupload]:
    """Keep each match of the node's own cases on its case (``hanoix.content.matches``), and
    reopen every removed notice of a case whose content ``results`` matched again (a
    re-upload): the notice is open once more, with the period it was first given, and the
    re-upload is a custody event of the case's authority. One unit of work for all of it."""
    from hanoix.services.content import LOCAL_LIST

    # Only this node's own cases have notices, and their hashes are in its own list: an entry
    # of a list imported from another node names that node's case, and is skipped.
    found = case_matches(results, LOCAL_LIST)
    if not found:
        return []
    numbers = {m.case_number for m in found}
    reopened: list[Reupload] = []
    with node.unit_of_work() as session:
        now = node.clock.now()
        for notice in store.removed_notices_of(session, numbers):
            matched = sorted(
                {m.signal for r in results for m in r.matches if m.case == notice.case}
            )
            deadline = notice_rules.reopened_deadline(notice, now)
            store.update_notice(
                session,
                notice_rules.notice_number(notice.reference),
                state=NoticeState.REUPLOADED,
                at=now,
                deadline=deadline,
                reupload=True,
            )
            _record(
                node,
                session,
                EventKind.CONTENT_REUPLOADED,
                user.id,
                notice.authority,
                {"content_case": notice.case, "content_notice": notice.reference},
                {
                    "to": notice.recipient,
                    "signals": matched,
                    "confirmation": notice.confirmation,
                    "deadline": deadline.isoformat(),
                },
            )
            reopened.append(Reupload(notice.reference, notice.case, notice.recipient, deadline))
        # Kept without a custody event: a platform may match thousands of uploads an hour, and
        # the ledger is kept for ever. The re-upload above is the event that counts.
        reopening = {r.case for r in reopened}
        # By case (a file's order kept within one), so that two matches lock alike.
        for one in sorted(found, key=lambda m: m.case_number):
            match_store.keep(session, one, by=user.id, at=now, reopened=one.case in reopening)
    return reopened


# --- links to cooperation requests --------------------------------------------------------------


@dataclass(frozen=True)
class LinkedRequest:
    """A cooperation request linked to a removal case, as far as the user may see it."""

    reference: str
    kind: str | None
    status: str | None
    visible: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "request": self.reference,
            "kind": self.kind,
            "status": self.status,
            "visible": self.visible,
        }


def _request(session: Session, user: User, reference: str) -> Any:
    from hanoix.services import requests as request_service

    return request_service.load_authorised(session, user, reference, Action.VIEW)


def link_request(node: Node, user: User, case_reference: str, request: str) -> LinkedRequest:
    """Link removal case ``case_reference`` to cooperation request ``request`` (made for it: a
    preservation of the uploader's data, then an MLA request). The user must be able to see
    the request; one they may not answers as a missing one."""
    authority = rules.authority_of_case_worker(user)
    with node.unit_of_work() as session:
        case = _case(session, case_reference, authority)
        found = _request(session, user, request)
        reference = str(found.reference)
        if store.link(
            session, rules.case_number(case.reference), reference, by=user.id, at=node.clock.now()
        ):
            _record(
                node,
                session,
                EventKind.CONTENT_REQUEST_LINKED,
                user.id,
                authority,
                {"content_case": case.reference, "request": reference},
                {},
            )
        return LinkedRequest(reference, str(found.kind), str(found.status), True)


def unlink_request(node: Node, user: User, case_reference: str, request: str) -> None:
    """Remove the link between a removal case and a cooperation request."""
    authority = rules.authority_of_case_worker(user)
    with node.unit_of_work() as session:
        case = _case(session, case_reference, authority)
        try:
            reference = str(RequestReference.parse(request))
        except InputError:
            reference = request.strip()  # not a reference: nothing is linked by it
        if not store.unlink(session, rules.case_number(case.reference), reference):
            raise NotFoundError(f"case {case.reference} is not linked to request {reference}")
        _record(
            node,
            session,
            EventKind.CONTENT_REQUEST_UNLINKED,
            user.id,
            authority,
            {"content_case": case.reference, "request": reference},
            {},
        )


def _linked(session: Session, user: User, case_id: int) -> list[LinkedRequest]:
    linked: list[LinkedRequest] = []
    for reference in store.linked_requests(session, case_id):
        try:
            found = _request(session, user, reference)
        except (InputError, PermissionDeniedError):
            # Linked by someone who could see it; this user may not: its reference only.
            linked.append(LinkedRequest(reference, None, None, False))
            continue
        linked.append(LinkedRequest(reference, str(found.kind), str(found.status), True))
    return linked


def cases_of_request(node: Node, user: User, request: str) -> list[str]:
    """The removal cases linked to ``request`` that ``user`` may see (none for anyone else)."""
    if user.authority is None or not user.has_any(rules.CASE_ROLES):
        return []
    authority = user.authority.code
    with node.reading() as session:
        shown: list[str] = []
        for number in store.cases_linked_to(session, request):
            case = case_store.find_case(session, number)
            if case is not None and case.authority == authority:
                shown.append(case.reference)
        return shown


# --- a case, whole ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CaseFile:
    """Everything the case page shows: the case, its hashes (digests only), its notices,
    linked requests, preserved packages and the matches it keeps."""

    case: RemovalCase
    hashes: list[dict[str, Any]]
    notices: list[RemovalNotice]
    linked: list[LinkedRequest]
    preserved: list[dict[str, Any]]
    matches: MatchHistory

    def as_dict(self, now: datetime) -> dict[str, Any]:
        return {
            **self.case.as_dict(),
            "signals": self.hashes,
            "notices": [n.as_dict(now) for n in self.notices],
            "requests": [r.as_dict() for r in self.linked],
            "preserved": [{k: v for k, v in p.items() if k != "blob"} for p in self.preserved],
            "matches": self.matches.as_dict(),
        }


def case_file(node: Node, user: User, reference: str) -> CaseFile:
    authority = rules.authority_of_case_worker(user)
    now = node.clock.now()
    with node.reading() as session:
        case = _case(session, reference, authority)
        number = rules.case_number(case.reference)
        hashes = [
            {"list": name, "signal": signal, "value": value, "quality": quality}
            for name, signal, value, quality in store.case_hashes(session, number)
        ]
        notices = sorted(
            store.notices(session, case_id=number),
            key=lambda n: (not n.overdue(now), n.deadline, n.reference),
        )
        return CaseFile(
            case,
            hashes,
            notices,
            _linked(session, user, number),
            store.preserved(session, number),
            match_store.history(session, number),
        )


@dataclass(frozen=True)
class CaseSummary:
    """One row of the removal cases desk."""

    case: RemovalCase
    notices: int
    open_notices: int
    overdue: int
    next_deadline: datetime | None


def desk(node: Node, user: User) -> list[CaseSummary]:
    """The user's authority's removal cases: those with overdue notices first, then those with
    the nearest deadline, then the newest."""
    authority = rules.authority_of_case_worker(user)
    now = node.clock.now()
    with node.reading() as session:
        by_case: dict[str, list[RemovalNotice]] = {}
        for notice in store.notices(session, authority=authority):
            by_case.setdefault(notice.case, []).append(notice)
        rows: list[CaseSummary] = []
        for case in store.cases_of(session, authority):
            mine = by_case.get(case.reference, [])
            waiting = [n for n in mine if n.state in notice_rules.OPEN_STATES]
            rows.append(
                CaseSummary(
                    case,
                    len(mine),
                    len(waiting),
                    sum(1 for n in mine if n.overdue(now)),
                    min((n.deadline for n in waiting), default=None),
                )
            )
    return sorted(rows, key=_desk_key)


def _desk_key(row: CaseSummary) -> pages.Key:
    """The desk's order: cases with an overdue notice first, the nearest deadline, the newest."""
    return (
        float(row.overdue == 0),
        pages.instant(row.next_deadline),
        -float(rules.case_number(row.case.reference)),
    )


def desk_page(
    node: Node, user: User, *, limit: int = 50, cursor: str | None = None
) -> pages.Page[CaseSummary]:
    """One page of :func:`desk`, and the cursor of the next."""
    pages.check_limit(limit)
    return pages.page_of(desk(node, user), _desk_key, kind="cases", limit=limit, cursor=cursor)


def _notice_key(now: datetime) -> Callable[[RemovalNotice], pages.Key]:
    def key(notice: RemovalNotice) -> pages.Key:
        return (
            float(not notice.overdue(now)),
            pages.instant(notice.deadline),
            float(notice_rules.notice_number(notice.reference)),
        )

    return key


def notices_page(
    node: Node,
    user: User,
    *,
    overdue: bool = False,
    case: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> pages.Page[RemovalNotice]:
    """One page of :func:`list_notices`, and the cursor of the next."""
    pages.check_limit(limit)
    found = list_notices(node, user, overdue=overdue, case=case)
    key = _notice_key(node.clock.now())
    return pages.page_of(found, key, kind="notices", limit=limit, cursor=cursor)


# --- preserving the media ----------------------------------------------------------------------

#: Where a case's package is sealed before it goes into the blob store (removed at once).
SEALING = "content-sealing"


@dataclass(frozen=True)
class PreservedMedia:
    name: str
    package_id: str
    sha256: str

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.name, "package_id": self.package_id, "sha256": self.sha256}


def preserve(
    node: Node,
    user: User,
    case_reference: str,
    files: Sequence[tuple[str, bytes]],
    *,
    consent: Iterable[str] = (),
    ask: Callable[[], bytes] | None = None,
) -> list[PreservedMedia]:
    """Seal each file into an evidence package for the case, signed with the signing key of
    the user's authority and encrypted to that authority's own encryption key (so the node can
    open it later, for a court), and keep the package in the blob store. The victim's consent
    to preservation must be recorded on the case. The media is never written in the clear: it
    is read from memory by the sealing."""
    import hashlib

    from hanoix.evidence.keys import KeyKind
    from hanoix.evidence.streams import Source
    from hanoix.services import exchange
    from hanoix.services.evidence import load_public_key, load_signing_key, seal_files

    authority = rules.authority_of_case_worker(user)
    with node.reading() as session:
        case = _case(session, case_reference, authority)
    given = {c.strip() for c in consent}
    if Consent.PRESERVE not in case.consent and str(Consent.PRESERVE) not in given:
        raise RuleViolationError(
            f"case {case.reference} records no consent to preservation: give the victim's "
            "consent (--consent preserve) or the media is not kept",
        )
    folder = exchange.authority_keys_dir(node, authority)
    signing, encryption = folder / "signing.key", folder / "encryption.pub"
    if not signing.is_file() or not encryption.is_file():
        raise NotFoundError(
            f"the node holds no evidence key set of {authority}: the administrator creates it "
            f"with 'hanoix keys new --out {exchange.AUTHORITY_KEYS / authority}' in the "
            "node's home"
        )

    def refuse() -> bytes:
        raise InputError(f"the signing key of {authority} is protected: give its passphrase")

    signer = load_signing_key(signing, ask=ask or refuse)
    recipient = load_public_key(encryption, KeyKind.ENCRYPTION, "encryption.pub")
    staging = node.settings.home / SEALING
    staging.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = node.clock.now()
    preserved: list[PreservedMedia] = []
    sealed_blobs: list[tuple[str, str, str, str]] = []
    try:
        for name, data in files:
            digest = hashlib.sha256(data).hexdigest()
            source = Source(name.rsplit("/", 1)[-1], partial(io.BytesIO, data), now, len(data))
            package = staging / f"{secrets.token_urlsafe(16)}.hxp"
            try:
                sealed = seal_files(
                    [source],
                    package,
                    signer=signer,
                    recipients=[recipient],
                    clock=node.clock,
                    note=f"removal case {case.reference}",
                )
                with package.open("rb") as handle:
                    blob = node.blobs.put(handle)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    package.unlink()
            sealed_blobs.append((name, sealed.package_id, blob, digest))
        with node.unit_of_work() as session:
            number = rules.case_number(case.reference)
            newly = store.add_consent(session, number, Consent.PRESERVE)
            for name, package_id, blob, digest in sealed_blobs:
                store.add_preserved(
                    session, number, package_id=package_id, blob=blob, sha256=digest,
                    by=user.id, at=now,
                )  # fmt: skip
                _record(
                    node,
                    session,
                    EventKind.CONTENT_PRESERVED,
                    user.id,
                    authority,
                    {"content_case": case.reference, "package": package_id},
                    {
                        "sha256": digest,
                        "signer": signer.public.key_id,
                        "recipients": [recipient.key_id],
                        "consent": str(Consent.PRESERVE),
                        "consent_recorded_now": newly,
                    },
                )
                preserved.append(PreservedMedia(name, package_id, digest))
    except BaseException:
        for _, _, blob, _ in sealed_blobs:
            with contextlib.suppress(Exception):
                node.blobs.delete(blob)
        raise
    return preserved


def write_preserved(node: Node, user: User, case_reference: str, package_id: str, out: Path) -> int:
    """Write the sealed package ``package_id`` of case ``case_reference`` to ``out`` (written
    atomically), for ``hanoix evidence verify`` and ``open`` with the authority's decryption
    key. The package is encrypted: copying it discloses nothing. How many bytes were written."""
    import shutil

    from hanoix.store.files import atomic_file

    authority = rules.authority_of_case_worker(user)
    with node.reading() as session:
        case = _case(session, case_reference, authority)
        kept = store.preserved(session, rules.case_number(case.reference))
    blob = next((str(p["blob"]) for p in kept if p["package_id"] == package_id), None)
    if blob is None:
        raise NotFoundError(f"case {case.reference} keeps no package {package_id}")
    with node.blobs.get(blob) as source, atomic_file(out) as sink:
        shutil.copyfileobj(source, sink)
    return out.stat().st_size
