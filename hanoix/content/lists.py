"""Hash lists shared between States: the signed document and its rules, pure (no I/O).

A node publishes the hashes of its authorities' removal cases to the nodes it chooses, and
imports theirs, so that content removed in one State is found in another (Art. 34, recalled:
FACTS.md §7). A list says which authority holds the content removable, under which article,
since when; never the victim's reference and nothing else of the case, which stay with the
authority (Art. 36, recalled). Document (``hanoix-hash-list/1``)::

    {"format": "hanoix-hash-list/1",
     "list": {"origin": "aut.example", "state": "AUT", "authority": "AUT-CA", "serial": 3,
              "issued": T,
              "entries": [{"signal": "pdq", "value": "<hex>", "quality": 92, "article": 16,
                           "listed": T}, ...],
              "withdrawn": [{"signal": "sha256", "value": "<hex>", "at": T,
                             "reason": "mistake" | "court-order" | "victim"}, ...]},
     "signature": {"key_id": "<16 hex>", "value": "<base64 Ed25519 signature>"}}

The signature covers ``"hanoix-hash-list/1 signature\\n" || RFC 8785(list)`` and is made with
the publishing node's federation signing key: the receiver checks it against the key the
directory lists for ``origin`` (not revoked, not expired), as it checks envelopes. A list
replaces the one held from the same authority only with a higher serial; a withdrawal newer
than the list that still carries the hash wins over it (they may arrive in either order).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from hanoix.content.cases import CaseArticle
from hanoix.content.signals import MD5, PDQ, SHA256
from hanoix.errors import FileFormatError, Problem, VerificationError
from hanoix.evidence.errors import BadSignatureError
from hanoix.evidence.keys import PublicKey, SigningKey
from hanoix.ledger.events import canonical_json

LIST_FORMAT = "hanoix-hash-list/1"
SIGNATURE_CONTEXT = b"hanoix-hash-list/1 signature\n"
#: The most entries (listed and withdrawn) one list may hold: a list travels in one envelope
#: of at most 700 KiB of payload, about 4,400 entries of 161 bytes; a file may carry more.
MAX_ENTRIES = 500_000
#: The hex length of each signal's value.
SIGNAL_HEX = {SHA256: 64, MD5: 32, PDQ: 64}
_HEX = re.compile(r"[0-9a-f]+")
_STATE = re.compile(r"[A-Z]{3}")
_AUTHORITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ORIGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}")

#: Where the rules come from, and how sure they are (FACTS.md §7; Art. 36 for personal data).
SHARE_RULE = ("Art. 34", "inferred")


class WithdrawalReason(StrEnum):
    """Why an entry is withdrawn. Only this word travels: the details stay with the authority."""

    MISTAKE = "mistake"  # the content is not what the case is about
    COURT_ORDER = "court-order"  # a court ordered the hash taken off
    VICTIM = "victim"  # the victim withdrew their consent


@dataclass(frozen=True)
class ListedHash:
    """One entry of a list: a signal, its value, its PDQ quality, the article, since when."""

    signal: str
    value: str
    quality: int | None
    article: int
    listed: datetime

    @property
    def key(self) -> tuple[str, str]:
        return (self.signal, self.value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "value": self.value,
            "quality": self.quality,
            "article": self.article,
            "listed": _time(self.listed),
        }


@dataclass(frozen=True)
class WithdrawnHash:
    """An entry taken off a list: which one, when, and why (one word)."""

    signal: str
    value: str
    at: datetime
    reason: WithdrawalReason

    @property
    def key(self) -> tuple[str, str]:
        return (self.signal, self.value)

    def as_dict(self) -> dict[str, Any]:
        return {
            "signal": self.signal,
            "value": self.value,
            "at": _time(self.at),
            "reason": self.reason.value,
        }


@dataclass(frozen=True)
class HashList:
    """One authority's list as published by its node."""

    origin: str
    state: str
    authority: str
    serial: int
    issued: datetime
    entries: tuple[ListedHash, ...]
    withdrawn: tuple[WithdrawnHash, ...] = ()

    @property
    def name(self) -> str:
        return list_name(self.state, self.authority)

    def body(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "state": self.state,
            "authority": self.authority,
            "serial": self.serial,
            "issued": _time(self.issued),
            "entries": [e.as_dict() for e in self.entries],
            "withdrawn": [w.as_dict() for w in self.withdrawn],
        }


def list_name(state: str, authority: str) -> str:
    """How a list is named on every node: its State and authority (``AUT:AUT-CA``)."""
    return f"{state}:{authority}"


def may_share(article: CaseArticle, consent: Iterable[str]) -> bool:
    """Whether a case's hashes may leave the node: an Art. 16 case only with the victim's
    consent to sharing (as StopNCII shares only what the adult asked for); an Art. 14 case's
    always, since abuse material is removed whatever anyone agreed to (basis: inferred)."""
    return article is CaseArticle.CHILD_SEXUAL_ABUSE_MATERIAL or "share" in set(consent)


# --- the document ----------------------------------------------------------------------------


def _time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ValueError("list times are timezone-aware")
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


class _BadListError(ValueError):
    pass


def _member(obj: Any, name: str, kind: type | tuple[type, ...], what: str) -> Any:
    if not isinstance(obj, dict):
        raise _BadListError(f"{what} must be a JSON object")
    value = obj.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise _BadListError(f"{what}: {name!r} is missing or of the wrong type")
    return value


def _exact(obj: dict[str, Any], members: set[str], what: str) -> None:
    if set(obj) != members:
        extra, missing = set(obj) - members, members - set(obj)
        raise _BadListError(
            f"{what}: "
            + "; ".join(
                part
                for part in (
                    f"unknown {', '.join(sorted(extra))}" if extra else "",
                    f"missing {', '.join(sorted(missing))}" if missing else "",
                )
                if part
            )
        )


def _parse_time(obj: dict[str, Any], name: str, what: str) -> datetime:
    value = _member(obj, name, str, what)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise _BadListError(f"{what}: {name} {value!r} is not an RFC 3339 time") from None
    if parsed.tzinfo is None or _time(parsed) != value:
        raise _BadListError(f"{what}: {name} {value!r} is not an RFC 3339 UTC time ending in Z")
    return parsed


def check_signal(signal: str, value: str) -> None:
    """Refuse a value that is not a well-formed hash of its signal."""
    length = SIGNAL_HEX.get(signal)
    if length is None:
        raise _BadListError(f"signal {signal!r}: give sha256, md5 or pdq")
    if len(value) != length or not _HEX.fullmatch(value):
        raise _BadListError(
            f"a {signal} value is {length} lower-case hex digits, not {value[:80]!r}"
        )


def _entry(item: Any, at: int) -> ListedHash:
    what = f"entry {at}"
    if not isinstance(item, dict):
        raise _BadListError(f"{what} must be a JSON object")
    _exact(item, {"signal", "value", "quality", "article", "listed"}, what)
    signal, value = _member(item, "signal", str, what), _member(item, "value", str, what)
    check_signal(signal, value)
    quality = item["quality"]
    if signal == PDQ:
        if isinstance(quality, bool) or not isinstance(quality, int) or not 0 <= quality <= 100:
            raise _BadListError(f"{what}: a PDQ entry's quality is an integer from 0 to 100")
    elif quality is not None:
        raise _BadListError(f"{what}: only a PDQ entry has a quality")
    article = _member(item, "article", int, what)
    if article not in {int(a) for a in CaseArticle}:
        raise _BadListError(f"{what}: article {article}: a list holds Art. 14 or Art. 16 content")
    return ListedHash(signal, value, quality, article, _parse_time(item, "listed", what))


def _withdrawn(item: Any, at: int) -> WithdrawnHash:
    what = f"withdrawn entry {at}"
    if not isinstance(item, dict):
        raise _BadListError(f"{what} must be a JSON object")
    _exact(item, {"signal", "value", "at", "reason"}, what)
    signal, value = _member(item, "signal", str, what), _member(item, "value", str, what)
    check_signal(signal, value)
    try:
        reason = WithdrawalReason(_member(item, "reason", str, what))
    except ValueError:
        raise _BadListError(f"{what}: the reason is mistake, court-order or victim") from None
    return WithdrawnHash(signal, value, _parse_time(item, "at", what), reason)


def parse_body(body: Any) -> HashList:
    """The list ``body`` describes, every member checked (:class:`_BadListError` if not)."""
    if not isinstance(body, dict):
        raise _BadListError("'list' must be a JSON object")
    _exact(
        body, {"origin", "state", "authority", "serial", "issued", "entries", "withdrawn"}, "list"
    )
    origin = _member(body, "origin", str, "list")
    state = _member(body, "state", str, "list")
    authority = _member(body, "authority", str, "list")
    if not _ORIGIN.fullmatch(origin):
        raise _BadListError(f"list: {origin!r} is not a node origin")
    if not _STATE.fullmatch(state):
        raise _BadListError(f"list: {state!r} is not an ISO 3166-1 alpha-3 State")
    if not _AUTHORITY.fullmatch(authority):
        raise _BadListError(f"list: {authority!r} is not an authority's code")
    serial = _member(body, "serial", int, "list")
    if not 1 <= serial <= 2**53:
        raise _BadListError("list: the serial is a positive integer")
    entries, withdrawn = (
        _member(body, "entries", list, "list"),
        _member(body, "withdrawn", list, "list"),
    )
    if len(entries) + len(withdrawn) > MAX_ENTRIES:
        raise _BadListError(f"list: more than {MAX_ENTRIES} entries")
    listed = tuple(_entry(item, i) for i, item in enumerate(entries, 1))
    gone = tuple(_withdrawn(item, i) for i, item in enumerate(withdrawn, 1))
    keys = [e.key for e in listed] + [w.key for w in gone]
    if len(set(keys)) != len(keys):
        raise _BadListError("list: a hash is given twice")
    return HashList(
        origin, state, authority, serial, _parse_time(body, "issued", "list"), listed, gone
    )


def signed_message(body: dict[str, Any]) -> bytes:
    return SIGNATURE_CONTEXT + canonical_json(body)


def sign_list(hash_list: HashList, signer: SigningKey) -> dict[str, Any]:
    """The signed document of ``hash_list`` (a JSON object: it travels as an envelope's
    payload, or in a file with :func:`dump_document`)."""
    body = hash_list.body()
    parse_body(json.loads(json.dumps(body)))  # never sign what would not read back
    return {
        "format": LIST_FORMAT,
        "list": body,
        "signature": {
            "key_id": signer.public.key_id,
            "value": base64.b64encode(signer.sign(signed_message(body))).decode("ascii"),
        },
    }


def dump_document(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class SignedList:
    """A list read but not yet verified: the list, and who says they signed it."""

    hash_list: HashList
    key_id: str
    signature: bytes
    message: bytes

    def verify(self, key: PublicKey) -> HashList:
        """The list, once its signature checks with ``key`` (the signer's key as the
        receiver's directory lists it); :class:`VerificationError` otherwise."""
        if key.key_id != self.key_id:
            raise VerificationError(
                f"list {self.hash_list.name} is signed with key {self.key_id}, not {key.key_id}"
            )
        try:
            key.check_signature(self.signature, self.message)
        except BadSignatureError:
            raise VerificationError(
                f"the signature of list {self.hash_list.name} serial {self.hash_list.serial} "
                f"does not verify with {self.hash_list.origin}'s key {key.key_id}: the list "
                "was altered after it was signed; nothing was imported"
            ) from None
        return self.hash_list


def read_document(document: Any, source: str = "the list") -> SignedList:
    """Read a signed list (a parsed JSON object); :class:`FileFormatError` when malformed."""
    try:
        if not isinstance(document, dict):
            raise _BadListError("a hash list is a JSON object")
        _exact(document, {"format", "list", "signature"}, "document")
        if document["format"] != LIST_FORMAT:
            raise _BadListError(f"the format is {document['format']!r}, not {LIST_FORMAT}")
        signature = document["signature"]
        if not isinstance(signature, dict):
            raise _BadListError("'signature' must be a JSON object")
        _exact(signature, {"key_id", "value"}, "signature")
        key_id = _member(signature, "key_id", str, "signature")
        raw = base64.b64decode(_member(signature, "value", str, "signature"), validate=True)
        if len(raw) != 64:
            raise _BadListError("the signature is 64 bytes")
        hash_list = parse_body(document["list"])
        message = signed_message(document["list"])
    except (_BadListError, binascii.Error) as exc:
        raise FileFormatError(
            f"{source} is not a {LIST_FORMAT} document: {exc}",
            problems=[Problem(str(exc), field="list")],
        ) from None
    return SignedList(hash_list, key_id, raw, message)


def read_file(data: bytes, source: str) -> SignedList:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileFormatError(f"{source} is not JSON ({exc})") from None
    return read_document(document, source)


def check_quality(entry: ListedHash, least: int) -> str | None:
    """Why ``entry`` is refused as a list entry (a PDQ hash below ``least``, which would match
    pictures of anything), or ``None`` when it is taken."""
    if entry.signal == PDQ and entry.quality is not None and entry.quality < least:
        return f"PDQ {entry.value[:16]}... has quality {entry.quality}, below {least}: not imported"
    return None


def read_withdrawals(items: Any, source: str = "the withdrawal") -> tuple[WithdrawnHash, ...]:
    """The withdrawn entries of a withdrawal message (as a list's ``withdrawn`` member)."""
    try:
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_ENTRIES:
            raise _BadListError(f"'withdrawn' is a list of 1 to {MAX_ENTRIES} entries")
        return tuple(_withdrawn(item, i) for i, item in enumerate(items, 1))
    except _BadListError as exc:
        raise FileFormatError(f"{source}: {exc}") from None
