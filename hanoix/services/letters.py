"""Formal request letters (docs/letters.md): issue one for a request, and read one back.

``issue`` is the use case behind ``hanoix request letter``, ``GET /api/v1/requests/{ref}/letter``
and the request page's link: whoever may read the request's contents may have its letter. A
request not yet approved (four eyes) gets a DRAFT: watermarked, unsigned. ``import_letter``
registers the request a letter carries, through the same checks as a request arriving over the
network (:func:`hanoix.services.exchange.incoming_from_document`).
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from hanoix.errors import HanoixError, InputError, NotFoundError, VerificationError
from hanoix.federation.client import PeerClient
from hanoix.federation.directory import Directory, NodeEntry
from hanoix.federation.errors import DeliveryError
from hanoix.federation.transport import TLS_KEY_FILE
from hanoix.ledger import subjects
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.letters import attachment as letter_attachment
from hanoix.letters import reading, signing
from hanoix.letters.compose import Parties, compose
from hanoix.letters.fonts import fonts_for
from hanoix.letters.proof import LetterProof, issue_problem
from hanoix.letters.typeset import TypesetLetter, typeset
from hanoix.letters.wording import languages, right_to_left, wording
from hanoix.requests import Action, CooperationRequest, Side, Status, User
from hanoix.services import auth, custody
from hanoix.services import requests as service
from hanoix.services.node import Node
from hanoix.store import ledger as ledger_store


class LetterNotVerifiedError(VerificationError):
    """A letter whose checks do not all hold (exit 1; HTTP 422)."""


@dataclass(frozen=True)
class IssuedLetter:
    """A letter as issued: its PDF, its language, whether it is a draft, and the SHA-256 of the
    document it embeds (the digest its QR code carries)."""

    reference: str
    language: str
    draft: bool
    sha256: str
    pdf: bytes
    ledger: letter_attachment.LedgerMark | None = None

    @property
    def file_name(self) -> str:
        stem = f"{self.reference}-{self.language}"
        return f"{stem}-DRAFT.pdf" if self.draft else f"{stem}.pdf"

    def as_dict(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "language": self.language,
            "draft": self.draft,
            "sha256": self.sha256,
            "size": len(self.pdf),
            "ledger": None
            if self.ledger is None
            else {
                "index": self.ledger.index,
                "tree_size": self.ledger.size,
                "root_hash": self.ledger.root_hex,
            },
        }


def _officer(session: Session, username: str) -> str:
    """The responsible officer as the letter names them: their display name, else username."""
    try:
        return auth.describe_user(session, username).display_name or username
    except NotFoundError:  # a user since removed: the name the request keeps
        return username


def _language(node: Node, request: CooperationRequest, asked: str | None) -> str:
    """The letter's language: the one asked for; else the request's, if the requested State
    accepts it (Art. 40(14), its declared languages) and a catalogue exists; else the first
    language the State accepts that has one."""
    if asked is not None:
        return wording(asked).code
    accepted = service.state_profile(node, request.requested.state).languages
    available = languages()
    if request.language in available and (not accepted or request.language in accepted):
        return request.language
    for code in available:
        if code in accepted:
            return code
    raise InputError(
        f"{request.requested.state} accepts requests in {', '.join(sorted(accepted))}, for "
        f"which no letter wording exists: choose a language with --lang ({', '.join(available)})"
    )


def issue(node: Node, user: User, reference: str, language: str | None = None) -> IssuedLetter:
    """The letter of request ``reference`` for ``user`` (who may read its contents)."""
    now = node.clock.now()
    with node.unit_of_work() as session:
        request = service.load_authorised(session, user, reference, Action.READ_CONTENT)
        erased = service.record_content_read(session, user, request, "letter", now)
        if erased:
            raise InputError(
                f"the contents of {request.reference} were erased on "
                f"{erased[0].erased_at:%Y-%m-%d} under rule {erased[0].rule}: no letter is "
                "issued for it"
            )
        names = {a.code: a.name for a in auth.list_authorities(session)}
        officer = _officer(session, request.owner or request.drafted_by or "")
    if request.side is not Side.REQUESTING:
        raise InputError(
            f"{request.reference} was received from {request.requesting.state}: a letter is "
            "issued by the requesting State's node"
        )
    if request.status is Status.WITHDRAWN:
        raise InputError(f"{request.reference} was withdrawn: no letter is issued for it")
    words = wording(_language(node, request, language))
    script = fonts_for(words.code)
    draft = request.approved_by is None
    parties = Parties(
        requesting_state=words.state_name(request.requesting.state),
        requesting_authority=names.get(request.handled_by, request.handled_by),
        requested_state=words.state_name(request.requested.state),
        requested_authority=request.requested.authority,
        officer=officer,
    )
    text = compose(
        request,
        parties,
        language=words.code,
        right_to_left=words.right_to_left,
        facts_right_to_left=right_to_left(request.language),
        issued_on=now.astimezone(ZoneInfo(request.requesting.zone)).date(),
        when=words.long_date,
        draft=draft,
        reviewed=words.reviewed,
        _=words.gettext,
    )
    document = letter_attachment.encode(request, now, draft=draft)
    sha256 = letter_attachment.digest(document)
    reference_text = str(request.reference)

    def typeset_with(mark: letter_attachment.LedgerMark | None) -> TypesetLetter:
        return typeset(
            text,
            attachment=document,
            qr_payload=letter_attachment.qr_payload(reference_text, sha256, mark),
            issued_at=now,
            fonts=script.families,
            font_paths=script.folders,
        )

    if draft:
        return IssuedLetter(reference_text, words.code, draft, sha256, typeset_with(None).pdf)
    # The issue, its entry in the custody ledger and the checkpoint that includes it commit
    # together, once the letter is typeset and signed: a failure leaves no trace of a letter.
    with node.unit_of_work() as session:
        mark = _record_issue(node, session, user, request, sha256, words.code)
        pdf = _signed(node, typeset_with(mark), request)
    return IssuedLetter(reference_text, words.code, draft, sha256, pdf, mark)


def _record_issue(
    node: Node,
    session: Session,
    user: User,
    request: CooperationRequest,
    sha256: str,
    language: str,
) -> letter_attachment.LedgerMark:
    """The ``request.letter-issued`` custody event, and the signed checkpoint including it."""
    event = CustodyEvent(
        kind=EventKind.REQUEST_LETTER_ISSUED,
        actor=user.id,
        authority=request.handled_by,
        at=node.clock.now(),
        subject={"request": str(request.reference)},
        details={"document_sha256": sha256, "language": language},
    )
    index = custody.record(session, event, clock=node.clock)
    checkpoint = custody.CustodyLedger(node).checkpoint_in(session, index + 1)
    return letter_attachment.LedgerMark(index, checkpoint.size, checkpoint.root_hash.hex())


def _signed(node: Node, letter: TypesetLetter, request: CooperationRequest) -> bytes:
    """The letter signed with the node's certificate (the one its directory entry lists), the
    signature's widget over its signature block."""
    identity = node.federation.identity()
    return signing.sign(
        letter.pdf,
        place=letter.signature_place,
        key_pem=node.keys.read_private(TLS_KEY_FILE),
        certificate_pem=identity.tls.certificate_pem.encode("ascii"),
        reason=f"Request {request.reference} issued by {request.handled_by}",
        location=request.requesting.state,
    )


# --- verifying ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """One check of a letter: its name, whether it holds, and what was found. A check that
    could not run (the requesting node unreachable and no proof at hand) is ``run=False``: it
    neither holds nor fails, and the report says so."""

    name: str
    holds: bool
    detail: str
    run: bool = True

    def as_dict(self) -> dict[str, object]:
        return {"check": self.name, "holds": self.holds, "run": self.run, "detail": self.detail}


@dataclass(frozen=True)
class LetterVerification:
    """Every check of a letter, run whatever the others found (docs/letters.md, Verifying)."""

    reference: str
    authority: str
    sha256: str
    checks: tuple[Check, ...]

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.run and not c.holds)

    @property
    def verified(self) -> bool:
        return not self.failures

    @property
    def ledger_checked(self) -> bool:
        return any(c.name == "ledger" and c.run for c in self.checks)

    def as_dict(self) -> dict[str, object]:
        return {
            "reference": self.reference,
            "authority": self.authority,
            "sha256": self.sha256,
            "verified": self.verified,
            "ledger_checked": self.ledger_checked,
            "checks": [c.as_dict() for c in self.checks],
        }


def _qr_check(pdf: bytes, embedded: letter_attachment.Attachment) -> Check:
    stated = reading.keywords(pdf)
    qr = letter_attachment.read_qr(stated)
    if qr is None:
        return Check("qr-digest", False, f"the letter states no QR code text ({stated!r})")
    if qr.reference != embedded.reference or not hmac.compare_digest(qr.sha256, embedded.sha256):
        return Check(
            "qr-digest",
            False,
            f"swapped attachment: the embedded document is {embedded.reference} with SHA-256 "
            f"{embedded.sha256}, the QR code names {qr.reference} with {qr.sha256}",
        )
    where = ""
    if qr.ledger is not None:
        where = (
            f"; issue recorded as entry {qr.ledger.index} of the custody log, in its checkpoint "
            f"of size {qr.ledger.size} (root {qr.ledger.root_hex[:16]}...)"
        )
    return Check(
        "qr-digest",
        True,
        f"the QR code names {qr.reference} and the embedded document's SHA-256{where}",
    )


def _signature_checks(facts: signing.SignatureFacts | None) -> list[Check]:
    if facts is None:
        return [Check("signature", False, "the letter carries no signature")]
    checks = []
    if facts.intact and facts.valid:
        checks.append(Check("signature", True, "the PAdES signature holds over the signed bytes"))
    elif not facts.intact:
        checks.append(
            Check(
                "signature",
                False,
                "altered after signing: the signed bytes no longer have the digest signed "
                f"({facts.summary})",
            )
        )
    else:
        checks.append(Check("signature", False, f"the signature does not verify ({facts.summary})"))
    if facts.whole_file and facts.count == 1:
        checks.append(Check("unchanged", True, "the signature covers the whole file"))
    else:
        checks.append(
            Check(
                "unchanged",
                False,
                "changed after signing: the file has bytes (an update, another signature) "
                "the signature does not cover",
            )
        )
    return checks


def _signer_checks(
    directory: Directory | None,
    facts: signing.SignatureFacts | None,
    embedded: letter_attachment.Attachment,
) -> list[Check]:
    if facts is None:
        return []
    if directory is None:
        return [
            Check(
                "signer",
                False,
                "no directory of nodes to check the signer against: import one with "
                "'hanoix directory import FILE'",
            )
        ]
    state = embedded.reference[:3]
    listed = _listing(directory, facts.certificate_der)
    serving = [
        entry
        for entry in listed
        if entry.state == state and any(a.code == embedded.authority for a in entry.authorities)
    ]
    if not serving:
        whose = ", ".join(f"{e.origin} ({e.state})" for e in listed) or "no node"
        return [
            Check(
                "signer",
                False,
                f"wrong signer: the certificate is {whose}'s in directory serial "
                f"{directory.serial}, not that of a node of {state} serving {embedded.authority}",
            )
        ]
    checks = [
        Check(
            "signer",
            True,
            f"signed by {serving[0].origin}, {state}'s node serving {embedded.authority} "
            f"(directory serial {directory.serial})",
        )
    ]
    certificate = x509.load_der_x509_certificate(facts.certificate_der)
    at = facts.signed_at
    if at is None:
        checks.append(Check("certificate", False, "the signature states no signing time"))
    elif not certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc:
        checks.append(
            Check(
                "certificate",
                False,
                f"stale certificate: valid {certificate.not_valid_before_utc.isoformat()} to "
                f"{certificate.not_valid_after_utc.isoformat()}, signed {at.isoformat()}",
            )
        )
    else:
        checks.append(Check("certificate", True, f"valid when the letter was signed ({at})"))
    return checks


def _der_of(pem_text: str) -> bytes:
    return x509.load_pem_x509_certificate(pem_text.encode("ascii")).public_bytes(
        serialization.Encoding.DER
    )


def _ledger_check(
    mark: letter_attachment.LedgerMark | None,
    sha256: str,
    proof: LetterProof,
    signer: NodeEntry | None,
) -> Check:
    """The custody ledger of the signer's node holds the issue of this letter where the QR
    code says: the proof is of that entry in that tree, its checkpoint is signed by that node's
    log key (from the directory), and the entry proved records the issue of the document this
    letter embeds."""
    if mark is None:
        return Check("ledger", False, "the QR code names no custody ledger entry")
    inclusion = proof.inclusion
    if (inclusion.index, inclusion.tree_size, inclusion.root_hash.hex()) != (
        mark.index,
        mark.size,
        mark.root_hex,
    ):
        return Check(
            "ledger",
            False,
            f"the proof is of entry {inclusion.index} in the tree of size "
            f"{inclusion.tree_size}, not of entry {mark.index} in the checkpoint of size "
            f"{mark.size} the QR code names",
        )
    verifier = signer.ledger_verifier if signer is not None else None
    if signer is None or verifier is None:
        return Check("ledger", False, "no log key of the signer's node in the directory")
    try:
        inclusion.verify(verifier, entry=proof.entry)
    except VerificationError as failed:
        return Check("ledger", False, f"the inclusion proof does not verify: {failed.message}")
    problem = issue_problem(proof.entry, sha256)
    if problem is not None:
        return Check("ledger", False, problem)
    return Check(
        "ledger",
        True,
        f"entry {mark.index}, the issue of this letter, is in the checkpoint of size "
        f"{mark.size} signed by {signer.origin}'s log",
    )


def _fetched_proof(
    node: Node, signer: NodeEntry, reference: str, mark: letter_attachment.LedgerMark, sha: str
) -> LetterProof | str:
    """The letter's proof from the signer's node over the node-to-node API, or why not."""
    try:
        client = PeerClient.for_entry(
            signer, node.federation.identity().tls, connect_timeout=3.0, read_timeout=10.0
        )
    except HanoixError as exc:
        return exc.message
    try:
        response = client.get_letter_issue(reference, mark.index, mark.size, sha)
    except DeliveryError as exc:
        return exc.message
    finally:
        client.close()
    if response.status == 404:
        return f"{signer.origin} says it recorded no issue of this letter at entry {mark.index}"
    if not response.ok:
        return f"{signer.origin} answered {response.status} when asked for the proof"
    try:
        return LetterProof.from_dict(json.loads(response.body))
    except (ValueError, InputError) as exc:
        return f"{signer.origin}'s answer is not a letter proof: {exc}"


def _signer_entry(
    directory: Directory | None, facts: signing.SignatureFacts | None
) -> NodeEntry | None:
    if directory is None or facts is None:
        return None
    listed = _listing(directory, facts.certificate_der)
    return listed[0] if listed else None


def _listing(directory: Directory, certificate_der: bytes) -> list[NodeEntry]:
    """The directory's entries that list ``certificate_der`` (in use or next)."""
    return [
        entry
        for entry in directory.nodes
        if any(
            hmac.compare_digest(_der_of(pem_text), certificate_der)
            for pem_text in entry.tls_certificates
        )
    ]


def verify(
    node: Node, pdf: bytes, proof: LetterProof | None = None, *, fetch: bool = False
) -> LetterVerification:
    """Every check of letter ``pdf``: its embedded document against the QR code's digest, the
    PAdES signature, the signer against this node's directory of nodes and the custody ledger's
    record of its issue: from ``proof`` (``hanoix letter proof`` on the requesting node) or,
    with ``fetch``, asked of the signer's node; when neither gives one, that check does not run
    and the report says why. InputError for a PDF that is not a letter."""
    embedded = letter_attachment.decode(reading.embedded_document(pdf))
    checks = [_qr_check(pdf, embedded)]
    if embedded.draft:
        checks.append(Check("issued", False, "a DRAFT letter: not approved, not signed"))
    facts = signing.read_signature(pdf)
    checks += _signature_checks(facts)
    with node.unit_of_work() as session:
        directory = node.federation.directory(session)
    checks += _signer_checks(directory, facts, embedded)
    if embedded.draft:
        return LetterVerification(
            embedded.reference, embedded.authority, embedded.sha256, tuple(checks)
        )
    qr = letter_attachment.read_qr(reading.keywords(pdf))
    mark = qr.ledger if qr is not None else None
    signer = _signer_entry(directory, facts)
    if proof is None and fetch and mark is not None and signer is not None:
        fetched = _fetched_proof(node, signer, embedded.reference, mark, embedded.sha256)
        if isinstance(fetched, str):
            checks.append(Check("ledger", False, f"not checked: {fetched}", run=False))
        else:
            proof = fetched
    if proof is not None:
        checks.append(_ledger_check(mark, embedded.sha256, proof, signer))
    elif not any(c.name == "ledger" for c in checks):
        why = "no proof at hand" + ("" if fetch else " and the requesting node not asked")
        checks.append(Check("ledger", False, f"not checked: {why}", run=False))
    return LetterVerification(
        embedded.reference, embedded.authority, embedded.sha256, tuple(checks)
    )


def proof_of(node: Node, pdf: bytes) -> LetterProof:
    """The proof that this node's custody ledger records the issue of letter ``pdf`` (for
    ``hanoix letter proof``): InputError for a draft or a PDF that is not a letter,
    NotFoundError when this node recorded no issue of it."""
    embedded = letter_attachment.decode(reading.embedded_document(pdf))
    qr = letter_attachment.read_qr(reading.keywords(pdf))
    if embedded.draft or qr is None or qr.ledger is None:
        raise InputError(
            f"this letter of {embedded.reference} names no custody ledger entry "
            "(a DRAFT is not recorded): there is nothing to prove"
        )
    return issue_proof(node, embedded.reference, qr.ledger.index, qr.ledger.size, embedded.sha256)


def issue_proof(node: Node, reference: str, index: int, size: int, sha256: str) -> LetterProof:
    """The entry ``index`` that records the issue of the letter of ``reference`` embedding the
    document of SHA-256 ``sha256``, with its inclusion proof in the tree of ``size``.

    The node-to-node API serves this to anyone who asks (``GET /federation/v1/letters/...``):
    the digest is the key, known only to who holds the letter. Any mismatch is the same
    NotFoundError, so a caller learns nothing about entries that are not this letter's."""
    unknown = NotFoundError(f"no issue of a letter with that document is recorded at entry {index}")
    with node.unit_of_work() as session:
        stored = ledger_store.get_entry(session, index)
        if stored is None or issue_problem(stored.entry, sha256) is not None:
            raise unknown
        hidden = subjects.pseudonym(custody.subject_key(session), reference)
    named = json.loads(stored.entry).get("subject", {}).get(subjects.REQUEST_SUBJECT)
    if named not in (hidden, reference):
        raise unknown
    inclusion = custody.CustodyLedger(node).prove_inclusion(index, size)
    return LetterProof(stored.entry, inclusion)


@dataclass(frozen=True)
class ImportedLetter:
    """The request a letter registered, and the checks it passed (among them whether the
    record of its issue in the requesting node's ledger was checked)."""

    request: CooperationRequest
    checked: LetterVerification


def import_letter(
    node: Node,
    user: User,
    pdf: bytes,
    proof: LetterProof | None = None,
    *,
    fetch: bool = False,
) -> ImportedLetter:
    """Register the request letter ``pdf`` carries as received by ``user``'s authority, after
    every check of :func:`verify` (the ledger's record of the issue from ``proof``, or asked of
    the requesting node with ``fetch``); a PDF that is not a letter, a draft, a letter that
    fails a check that ran, or a document that fails the network's checks is refused and
    nothing is registered."""
    from hanoix.services import exchange

    embedded = letter_attachment.decode(reading.embedded_document(pdf))
    if embedded.draft:
        raise InputError(
            f"this letter of {embedded.reference} is a DRAFT (not approved, not signed): "
            "only an issued letter can be imported"
        )
    checked = verify(node, pdf, proof, fetch=fetch)
    if not checked.verified:
        failed = "; ".join(f"{c.name}: {c.detail}" for c in checked.failures)
        raise LetterNotVerifiedError(f"the letter does not verify, nothing imported: {failed}")
    authority = service.require_role(user, Action.REGISTER)
    incoming = exchange.incoming_from_document(
        authority.state, embedded.reference, embedded.document, authority.code
    )
    return ImportedLetter(service.register(node, user, incoming), checked)
