"""Request references in custody entries, written as keyed hashes (pseudonyms).

A custody entry is kept for ever and read by auditors, witnesses and courts; a request's
reference in it tells whoever reads the entry that the request exists. Entries therefore name
a request by a pseudonym that only the node can compute, and that a court can tie to one
request, offline, once the node discloses that request's key:

* ``request_key = HMAC-SHA256(node_key, "hanoix ledger request key v1" || 0x00 || reference)``:
  one key per request, derived from a 32-byte key the node holds and never discloses;
* ``pseudonym = "hmac-sha256:" + hex(HMAC-SHA256(request_key, reference))``.

Disclosing one request's key reveals nothing about any other request (each key is an
independent pseudo-random value), and binds: given the entry, already in a signed and cosigned
checkpoint, no key makes the pseudonym match another reference without a SHA-256 preimage. The
court recomputes the pseudonym with any HMAC-SHA256 and the reference on its file. The entry's
bytes, its leaf hash and every proof are unchanged by all this.

Pure functions: the node's key is passed in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from hanoix.errors import InputError
from hanoix.ledger.events import CustodyEvent

PSEUDONYM_PREFIX = "hmac-sha256:"
NODE_KEY_BYTES = 32
_REQUEST_KEY_LABEL = b"hanoix ledger request key v1\x00"

#: The subject member that names a request.
REQUEST_SUBJECT = "request"
#: The details members that name a request: a package's (sealed or sent for it), a follow-up
#: and what it follows up.
REQUEST_DETAILS = ("request", "follows_up", "follow_up")


def _check_node_key(node_key: bytes) -> None:
    if len(node_key) != NODE_KEY_BYTES:
        raise InputError(f"the ledger's subject key is {NODE_KEY_BYTES} bytes, not {len(node_key)}")


def request_key(node_key: bytes, reference: str) -> bytes:
    """The key of one request: what the node discloses to a court for that request only."""
    _check_node_key(node_key)
    return hmac.digest(node_key, _REQUEST_KEY_LABEL + reference.encode("utf-8"), hashlib.sha256)


def pseudonym_with(key: bytes, reference: str) -> str:
    """The pseudonym of ``reference`` under its request key (what a court recomputes)."""
    return PSEUDONYM_PREFIX + hmac.new(key, reference.encode("utf-8"), hashlib.sha256).hexdigest()


def pseudonym(node_key: bytes, reference: str) -> str:
    """The pseudonym entries carry for request ``reference``."""
    return pseudonym_with(request_key(node_key, reference), reference)


def is_pseudonym(value: str) -> bool:
    return value.startswith(PSEUDONYM_PREFIX)


def ties(entry_subject: str, reference: str, key: bytes) -> bool:
    """Whether an entry's request subject is ``reference``, given the request's disclosed key
    (compared in constant time)."""
    return hmac.compare_digest(entry_subject, pseudonym_with(key, reference))


def conceal(event: CustodyEvent, node_key: bytes) -> CustodyEvent:
    """``event`` with every request reference it holds (its subject, the follow-up members of
    its details) replaced by its pseudonym; values already pseudonyms are left as they are."""

    def hidden(value: Any) -> Any:
        if isinstance(value, str) and value and not is_pseudonym(value):
            return pseudonym(node_key, value)
        return value

    subject: Mapping[str, str] = event.subject
    if REQUEST_SUBJECT in subject:
        subject = {**subject, REQUEST_SUBJECT: hidden(subject[REQUEST_SUBJECT])}
    details = dict(event.details)
    for name in REQUEST_DETAILS:
        if name in details:
            details[name] = hidden(details[name])
    if subject is event.subject and details == event.details:
        return event
    return replace(event, subject=dict(subject), details=details)
