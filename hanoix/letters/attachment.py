"""The document a letter embeds: the request as the network sends it, in canonical JSON.

It is the ``request.sent`` payload of the protocol (:mod:`hanoix.federation.request_wire`,
``WIRE_FORMAT``) with the letter's own members, serialised as RFC 8785 canonical JSON so that
its SHA-256 (printed in the QR code) is one value whoever computes it::

    {"format": "hanoix-request-letter", "version": 1, "reference": "AUT-2026-000001",
     "authority": "AUT-CA", "issued_at": "2026-11-23T12:00:00Z", "draft": false,
     "document": {...encode_request(request)...}}

The receiving node reads ``reference``, ``authority`` and ``document`` through the same checks
as a request arriving over the network (:func:`hanoix.services.exchange.incoming_from_document`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

from hanoix.errors import InputError
from hanoix.federation.request_wire import encode_request
from hanoix.requests import CooperationRequest

FORMAT = "hanoix-request-letter"
VERSION = 1
FILE_NAME = "request.json"
#: The QR code's text: ``HANOIX-LETTER:1:<reference>:sha256:<hex>``, and for an issued letter
#: ``:log:<index>:<size>:<root hex>``, the custody ledger's entry of the issue and the signed
#: checkpoint (tree size and root) that includes it.
QR_PREFIX = f"HANOIX-LETTER:{VERSION}:"
#: A letter's attachment is a request's text (at most a few hundred kilobytes, as the request
#: size limits allow) and its envelope: more is not a letter of this node's.
MAX_ATTACHMENT_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """The embedded document as read: its members, and its canonical bytes' SHA-256."""

    reference: str
    authority: str
    issued_at: str
    draft: bool
    document: dict[str, Any]
    sha256: str


def encode(request: CooperationRequest, issued_at: datetime, *, draft: bool) -> bytes:
    """The canonical bytes ``request``'s letter embeds."""
    body: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "reference": str(request.reference),
        "authority": request.handled_by,
        "issued_at": issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "draft": draft,
        "document": encode_request(request),
    }
    return rfc8785.dumps(body)


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class LedgerMark:
    """Where the custody ledger records a letter's issue: the entry, and the checkpoint (tree
    size and root hash) of the requesting node's log that includes it."""

    index: int
    size: int
    root_hex: str


def qr_payload(reference: str, sha256: str, ledger: LedgerMark | None = None) -> str:
    text = f"{QR_PREFIX}{reference}:sha256:{sha256}"
    if ledger is not None:
        text += f":log:{ledger.index}:{ledger.size}:{ledger.root_hex}"
    return text


@dataclass(frozen=True)
class QrText:
    """The QR code's text as read."""

    reference: str
    sha256: str
    ledger: LedgerMark | None


_QR = re.compile(
    r"^HANOIX-LETTER:1:(?P<ref>[A-Z]{3}-[0-9]{4}-[0-9]{6,}):sha256:(?P<sha>[0-9a-f]{64})"
    r"(?::log:(?P<index>[0-9]{1,18}):(?P<size>[0-9]{1,18}):(?P<root>[0-9a-f]{64}))?$"
)


def read_qr(text: str) -> QrText | None:
    """The QR code's text read; ``None`` when it is not a letter's."""
    match = _QR.match(text.strip())
    if match is None:
        return None
    ledger = None
    if match["index"] is not None:
        ledger = LedgerMark(int(match["index"]), int(match["size"]), match["root"])
    return QrText(match["ref"], match["sha"], ledger)


def decode(data: bytes) -> Attachment:
    """The attachment ``data`` read back; InputError saying what is wrong with it."""
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise InputError(f"{FILE_NAME} is larger than {MAX_ATTACHMENT_BYTES} bytes: not a letter")
    try:
        body = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{FILE_NAME} is not JSON: {error}") from None
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise InputError(f"{FILE_NAME} is not a {FORMAT} document")
    if body.get("version") != VERSION:
        raise InputError(
            f"{FILE_NAME} is version {body.get('version')!r} of {FORMAT}; this node reads "
            f"version {VERSION}"
        )
    expected = {"format", "version", "reference", "authority", "issued_at", "draft", "document"}
    if set(body) != expected:
        odd = sorted(set(body) ^ expected)
        raise InputError(f"{FILE_NAME}: unexpected or missing members {odd}")
    texts = [body[name] for name in ("reference", "authority", "issued_at")]
    if not all(isinstance(value, str) for value in texts):
        raise InputError(f"{FILE_NAME}: reference, authority and issued_at must be text")
    if not isinstance(body["draft"], bool) or not isinstance(body["document"], dict):
        raise InputError(f"{FILE_NAME}: draft must be true or false and document an object")
    return Attachment(
        reference=body["reference"],
        authority=body["authority"],
        issued_at=body["issued_at"],
        draft=body["draft"],
        document=body["document"],
        sha256=digest(data),
    )
