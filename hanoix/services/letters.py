"""Formal request letters (docs/letters.md): issue one for a request, and read one back.

``issue`` is the use case behind ``hanoix request letter``, ``GET /api/v1/requests/{ref}/letter``
and the request page's link: whoever may read the request's contents may have its letter. A
request not yet approved (four eyes) gets a DRAFT: watermarked, unsigned. ``import_letter``
registers the request a letter carries, through the same checks as a request arriving over the
network (:func:`hanoix.services.exchange.incoming_from_document`).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from hanoix.errors import InputError
from hanoix.letters import attachment as letter_attachment
from hanoix.letters.compose import Parties, compose
from hanoix.letters.reading import embedded_document
from hanoix.letters.typeset import typeset
from hanoix.letters.wording import languages, wording
from hanoix.requests import Action, CooperationRequest, Side, User
from hanoix.services import auth
from hanoix.services import requests as service
from hanoix.services.node import Node


@dataclass(frozen=True)
class IssuedLetter:
    """A letter as issued: its PDF, its language, whether it is a draft, and the SHA-256 of the
    document it embeds (the digest its QR code carries)."""

    reference: str
    language: str
    draft: bool
    sha256: str
    pdf: bytes

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
        }


def _language(request: CooperationRequest, asked: str | None) -> str:
    """The letter's language: the one asked for, else the request's (Art. 40(14): one the
    requested State accepts), which must have a catalogue."""
    if asked is not None:
        return wording(asked).code
    if request.language in languages():
        return request.language
    raise InputError(
        f"the request is written in {request.language!r}, for which no letter wording exists: "
        f"choose a language with --lang ({', '.join(languages())})"
    )


def issue(node: Node, user: User, reference: str, language: str | None = None) -> IssuedLetter:
    """The letter of request ``reference`` for ``user`` (who may read its contents)."""
    now = node.clock.now()
    with node.unit_of_work() as session:
        request = service.load_authorised(session, user, reference, Action.READ_CONTENT)
        names = {a.code: a.name for a in auth.list_authorities(session)}
    if request.side is not Side.REQUESTING:
        raise InputError(
            f"{request.reference} was received from {request.requesting.state}: a letter is "
            "issued by the requesting State's node"
        )
    words = wording(_language(request, language))
    draft = request.approved_by is None
    officer = request.owner or request.drafted_by or ""
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
        issued_on=now.astimezone(ZoneInfo(request.requesting.zone)).date(),
        when=words.long_date,
        draft=draft,
        reviewed=words.reviewed,
        _=words.gettext,
    )
    document = letter_attachment.encode(request, now, draft=draft)
    sha256 = letter_attachment.digest(document)
    pdf = typeset(
        text,
        attachment=document,
        qr_payload=letter_attachment.qr_payload(str(request.reference), sha256),
        issued_at=now,
    )
    return IssuedLetter(str(request.reference), words.code, draft, sha256, pdf)


def import_letter(node: Node, user: User, pdf: bytes) -> CooperationRequest:
    """Register the request letter ``pdf`` carries as received by ``user``'s authority; a PDF
    that is not a letter, a draft, or a document that fails the network's checks is refused
    and nothing is registered."""
    from hanoix.services import exchange

    embedded = letter_attachment.decode(embedded_document(pdf))
    if embedded.draft:
        raise InputError(
            f"this letter of {embedded.reference} is a DRAFT (not approved, not signed): "
            "only an issued letter can be imported"
        )
    authority = service.require_role(user, Action.REGISTER)
    incoming = exchange.incoming_from_document(
        authority.state, embedded.reference, embedded.document, authority.code
    )
    return service.register(node, user, incoming)
