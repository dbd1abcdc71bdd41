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

A list larger than one envelope, or one holding videos, travels in parts
(``hanoix-hash-list/2``): each part is a document of its own, signed over
``"hanoix-hash-list/2 signature\\n" || RFC 8785(list)``, whose ``list`` carries besides the
members above its number ``part``, the number of parts ``parts`` and the list's ``total``
(``{"entries": E, "withdrawn": W}``). A receiver stages the parts it is given and imports the
list only once it holds every part of that serial, all agreeing on the list, its serial, its
time, its key and its totals (:func:`assemble`): never a part of a list. A video's entry
(signal ``vpdq``, its value the SHA-256 of its frames as the ``threatexchange`` library writes
them) carries its ``frames``, each ``"<pdq hex>,<quality>,<seconds>"`` as that library writes a
vPDQ feature; the value is checked against them.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from hanoix.content.cases import CaseArticle
from hanoix.content.signals import MD5, PDQ, SHA256, VPDQ
from hanoix.content.video import VideoFrame, VpdqHash
from hanoix.errors import FileFormatError, InputError, Problem, VerificationError
from hanoix.evidence.errors import BadSignatureError
from hanoix.evidence.keys import PublicKey, SigningKey
from hanoix.ledger.events import canonical_json

LIST_FORMAT = "hanoix-hash-list/1"
SIGNATURE_CONTEXT = b"hanoix-hash-list/1 signature\n"
#: A list in parts: each part signed on its own, numbered, with the list's totals.
PARTS_FORMAT = "hanoix-hash-list/2"
PARTS_SIGNATURE_CONTEXT = b"hanoix-hash-list/2 signature\n"
#: The most entries (listed and withdrawn) one document (a list, or one part of it) may hold.
MAX_ENTRIES = 500_000
#: The most parts one list may come in (at 600 KiB a part, some 4,000 entries each: millions).
MAX_PARTS = 10_000
#: The most cropped windows one listed picture may carry (35 today: room for a finer grid).
MAX_CROPS = 100

#: The most frames one listed video may carry (one a second: over 27 hours).
MAX_FRAMES = 100_000
#: The hex length of each signal's value (a video's: the SHA-256 of its frames).
SIGNAL_HEX = {SHA256: 64, MD5: 32, PDQ: 64, VPDQ: 64}
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
    """One entry of a list: a signal, its value, its PDQ quality, the article, since when; for a
    video (signal ``vpdq``) its frames."""

    signal: str
    value: str
    quality: int | None
    article: int
    listed: datetime
    frames: tuple[VideoFrame, ...] = ()
    #: A picture's cropped windows' PDQ hashes (hanoix.content.signals.CROP_WINDOWS).
    crops: tuple[str, ...] = ()

    @property
    def key(self) -> tuple[str, str]:
        return (self.signal, self.value)

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "signal": self.signal,
            "value": self.value,
            "quality": self.quality,
            "article": self.article,
            "listed": _time(self.listed),
        }
        if self.signal == VPDQ:
            # The video's features (VpdqHash.features); the SHA-256 of their JSON array is the
            # listed value.
            found["frames"] = VpdqHash(self.frames).features
        if self.crops:
            found["crops"] = list(self.crops)
        return found


def frames_of(items: Any, what: str) -> tuple[VideoFrame, ...]:
    """The frames ``items`` (compact vPDQ features) give, numbered in order; checked."""
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_FRAMES:
        raise _BadListError(f"{what}: a video's 'frames' is a list of 1 to {MAX_FRAMES} frames")
    frames: list[VideoFrame] = []
    for number, item in enumerate(items):
        parts = item.split(",") if isinstance(item, str) else []
        try:
            pdq, quality, seconds = parts
            frames.append(VideoFrame(pdq, int(quality), number, float(seconds)))
        except (ValueError, InputError):
            raise _BadListError(
                f"{what}: frame {number + 1} is not '<64 hex>,<quality 0-100>,<seconds>'"
            ) from None
    return tuple(frames)


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

    def with_entries(
        self, entries: Iterable[ListedHash], withdrawn: Iterable[WithdrawnHash]
    ) -> HashList:
        """The same list (origin, serial, time) holding ``entries`` and ``withdrawn``."""
        return HashList(
            self.origin,
            self.state,
            self.authority,
            self.serial,
            self.issued,
            tuple(entries),
            tuple(withdrawn),
        )


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
        raise _BadListError(f"signal {signal!r}: give one of {', '.join(SIGNAL_HEX)}")
    if len(value) != length or not _HEX.fullmatch(value):
        raise _BadListError(
            f"a {signal} value is {length} lower-case hex digits, not {value[:80]!r}"
        )


def _entry(item: Any, at: int, videos: bool) -> ListedHash:
    what = f"entry {at}"
    if not isinstance(item, dict):
        raise _BadListError(f"{what} must be a JSON object")
    members = {"signal", "value", "quality", "article", "listed"}
    video = item.get("signal") == VPDQ
    if video and not videos:
        raise _BadListError(f"{what}: a video's vpdq entry travels in {PARTS_FORMAT} only")
    if "crops" in item and not videos:
        raise _BadListError(f"{what}: a picture's cropped windows travel in {PARTS_FORMAT} only")
    if video:
        members |= {"frames"}
    elif item.get("signal") == PDQ and "crops" in item:
        members |= {"crops"}
    _exact(item, members, what)
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
    frames = frames_of(item["frames"], what) if video else ()
    if video and VpdqHash(frames).digest != value:
        raise _BadListError(f"{what}: the vpdq value is not the SHA-256 of the video's frames")
    crops = _crops(item["crops"], what) if "crops" in item else ()
    listed = _parse_time(item, "listed", what)
    return ListedHash(signal, value, quality, article, listed, frames, crops)


def _crops(items: Any, what: str) -> tuple[str, ...]:
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_CROPS:
        raise _BadListError(f"{what}: 'crops' is a list of 1 to {MAX_CROPS} PDQ hashes")
    for crop in items:
        if not isinstance(crop, str) or len(crop) != SIGNAL_HEX[PDQ] or not _HEX.fullmatch(crop):
            raise _BadListError(f"{what}: a cropped window's PDQ hash is 64 lower-case hex digits")
    return tuple(items)


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


@dataclass(frozen=True)
class Part:
    """Where a document stands in its list: part ``number`` of ``parts``, and the list's
    totals (a list in one document is part 1 of 1)."""

    number: int
    parts: int
    entries: int
    withdrawn: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "part": self.number,
            "parts": self.parts,
            "total": {"entries": self.entries, "withdrawn": self.withdrawn},
        }


_BODY = {"origin", "state", "authority", "serial", "issued", "entries", "withdrawn"}


def _count(obj: dict[str, Any], name: str, least: int, most: int, what: str) -> int:
    value = _member(obj, name, int, what)
    if not least <= value <= most:
        raise _BadListError(f"{what}: {name} is an integer from {least} to {most}")
    return int(value)


def parse_body(body: Any, *, parted: bool = False) -> tuple[HashList, Part]:
    """The list (or part) ``body`` describes, every member checked (:class:`_BadListError`
    if not); ``parted``: a ``hanoix-hash-list/2`` part, which says where it stands."""
    if not isinstance(body, dict):
        raise _BadListError("'list' must be a JSON object")
    _exact(body, _BODY | {"part", "parts", "total"} if parted else _BODY, "list")
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
    listed = tuple(_entry(item, i, parted) for i, item in enumerate(entries, 1))
    gone = tuple(_withdrawn(item, i) for i, item in enumerate(withdrawn, 1))
    keys = [e.key for e in listed] + [w.key for w in gone]
    if len(set(keys)) != len(keys):
        raise _BadListError("list: a hash is given twice")
    hash_list = HashList(
        origin, state, authority, serial, _parse_time(body, "issued", "list"), listed, gone
    )
    if not parted:
        return hash_list, Part(1, 1, len(listed), len(gone))
    parts = _count(body, "parts", 1, MAX_PARTS, "list")
    total = body["total"]
    if not isinstance(total, dict):
        raise _BadListError("list: 'total' must be a JSON object")
    _exact(total, {"entries", "withdrawn"}, "total")
    limit = MAX_ENTRIES * MAX_PARTS
    part = Part(
        _count(body, "part", 1, parts, "list"),
        parts,
        _count(total, "entries", 0, limit, "total"),
        _count(total, "withdrawn", 0, limit, "total"),
    )
    return hash_list, part


def signed_message(body: dict[str, Any], context: bytes = SIGNATURE_CONTEXT) -> bytes:
    return context + canonical_json(body)


def sign_list(hash_list: HashList, signer: SigningKey) -> dict[str, Any]:
    """The signed document of ``hash_list`` in one piece (``hanoix-hash-list/1``: a JSON
    object, the payload of an envelope or, with :func:`dump_document`, a file). That version
    has no member for a picture's cropped windows: its pictures go without them."""
    bare = [replace(e, crops=()) if e.crops else e for e in hash_list.entries]
    body = hash_list.with_entries(bare, hash_list.withdrawn).body()
    parse_body(json.loads(json.dumps(body)))  # never sign what would not read back
    return _signed(LIST_FORMAT, body, signer, SIGNATURE_CONTEXT)


def _signed(form: str, body: dict[str, Any], signer: SigningKey, context: bytes) -> dict[str, Any]:
    return {
        "format": form,
        "list": body,
        "signature": {
            "key_id": signer.public.key_id,
            "value": base64.b64encode(signer.sign(signed_message(body, context))).decode("ascii"),
        },
    }


#: What a part's members other than its entries take at most, in bytes (origin, times,
#: totals, the signature and the document's frame): the rest of a part's budget is entries.
PART_OVERHEAD = 1024


def _size(item: dict[str, Any]) -> int:
    # An entry's members are ASCII strings, integers and null, whose RFC 8785 form is the
    # compact, sorted JSON the standard library writes (in a tenth of the time); and its comma.
    return len(json.dumps(item, separators=(",", ":"), sort_keys=True)) + 1


def oversized(hash_list: HashList, budget: int) -> list[ListedHash]:
    """The entries too large to travel in a part of ``budget`` bytes (a video of many hours'
    frames): a list cannot carry them whole, and a part of a video is not sent."""
    room = budget - PART_OVERHEAD
    return [e for e in hash_list.entries if _size(e.as_dict()) > room]


def sign_parts(hash_list: HashList, signer: SigningKey, budget: int) -> list[dict[str, Any]]:
    """The signed documents ``hash_list`` travels in, each of at most ``budget`` bytes: one
    ``hanoix-hash-list/1`` document when it fits and holds no video (a node of the previous
    release reads it), otherwise numbered ``hanoix-hash-list/2`` parts."""
    room = budget - PART_OVERHEAD
    items: list[ListedHash | WithdrawnHash] = [*hash_list.entries, *hash_list.withdrawn]
    sizes = [_size(item.as_dict()) for item in items]
    if room <= 0 or any(size > room for size in sizes):
        raise ValueError("leave out the entries too large for a part (oversized) first")
    # A video's frames and a picture's cropped windows are members the previous release's
    # strict reader refuses: only a list without them goes as one version 1 document.
    plain = not any(e.signal == VPDQ or e.crops for e in hash_list.entries)
    if plain and sum(sizes) <= room:
        whole = sign_list(hash_list, signer)
        if len(canonical_json(whole)) <= budget:
            return [whole]
    pieces: list[tuple[list[ListedHash], list[WithdrawnHash]]] = [([], [])]
    used = 0
    for item, size in zip(items, sizes, strict=True):
        if used + size > room and (pieces[-1][0] or pieces[-1][1]):
            pieces.append(([], []))
            used = 0
        used += size
        if isinstance(item, ListedHash):
            pieces[-1][0].append(item)
        else:
            pieces[-1][1].append(item)
    documents: list[dict[str, Any]] = []
    for number, (entries, withdrawn) in enumerate(pieces, 1):
        part = Part(number, len(pieces), len(hash_list.entries), len(hash_list.withdrawn))
        body = {**hash_list.with_entries(entries, withdrawn).body(), **part.as_dict()}
        parse_body(json.loads(json.dumps(body)), parted=True)
        documents.append(_signed(PARTS_FORMAT, body, signer, PARTS_SIGNATURE_CONTEXT))
    return documents


def dump_document(document: dict[str, Any] | list[dict[str, Any]]) -> bytes:
    """A signed list (or its parts, as a JSON array) as a file."""
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass(frozen=True)
class SignedList:
    """A list (or one part of it) read but not yet verified: the list, where the part stands,
    and who says they signed it."""

    hash_list: HashList
    key_id: str
    signature: bytes
    message: bytes
    part: Part = Part(1, 1, 0, 0)

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
                f"the signature of list {self.hash_list.name} serial {self.hash_list.serial}"
                f"{self.where} does not verify with {self.hash_list.origin}'s key {key.key_id}: "
                "the list was altered after it was signed; nothing was imported"
            ) from None
        return self.hash_list

    @property
    def where(self) -> str:
        """`` part N of M`` for a list in parts, nothing for a list in one piece."""
        return f" part {self.part.number} of {self.part.parts}" if self.part.parts > 1 else ""


def read_document(document: Any, source: str = "the list") -> SignedList:
    """Read a signed list or part (a parsed JSON object); :class:`FileFormatError` when
    malformed."""
    try:
        if not isinstance(document, dict):
            raise _BadListError("a hash list is a JSON object")
        _exact(document, {"format", "list", "signature"}, "document")
        if document["format"] not in (LIST_FORMAT, PARTS_FORMAT):
            raise _BadListError(
                f"the format is {document['format']!r}, not {LIST_FORMAT} or {PARTS_FORMAT}"
            )
        parted = document["format"] == PARTS_FORMAT
        signature = document["signature"]
        if not isinstance(signature, dict):
            raise _BadListError("'signature' must be a JSON object")
        _exact(signature, {"key_id", "value"}, "signature")
        key_id = _member(signature, "key_id", str, "signature")
        raw = base64.b64decode(_member(signature, "value", str, "signature"), validate=True)
        if len(raw) != 64:
            raise _BadListError("the signature is 64 bytes")
        hash_list, part = parse_body(document["list"], parted=parted)
        message = signed_message(
            document["list"], PARTS_SIGNATURE_CONTEXT if parted else SIGNATURE_CONTEXT
        )
    except (_BadListError, binascii.Error) as exc:
        raise FileFormatError(
            f"{source} is not a {LIST_FORMAT} or {PARTS_FORMAT} document: {exc}",
            problems=[Problem(str(exc), field="list")],
        ) from None
    return SignedList(hash_list, key_id, raw, message, part)


class IncompleteListError(FileFormatError):
    """Parts of a list are missing, or do not make one list: nothing of it is imported."""


def assemble(parts: Sequence[SignedList]) -> HashList:
    """The list ``parts`` (each verified already) make together: every part of one serial,
    each once, agreeing on the list, its time, key and totals. :class:`IncompleteListError`
    names what is missing or does not agree."""
    if not parts:
        raise IncompleteListError("no part of the list was given")
    first = parts[0]
    head = first.hash_list
    label = f"list {head.name} serial {head.serial}"
    for signed in parts:
        other = signed.hash_list
        if (
            (other.origin, other.state, other.authority, other.serial, other.issued)
            != (head.origin, head.state, head.authority, head.serial, head.issued)
            or signed.key_id != first.key_id
            or (signed.part.parts, signed.part.entries, signed.part.withdrawn)
            != (first.part.parts, first.part.entries, first.part.withdrawn)
        ):
            raise IncompleteListError(
                f"{label}: part {signed.part.number} does not belong with part "
                f"{first.part.number} (another list, serial, time, key or totals); nothing "
                "was imported"
            )
    numbers = [p.part.number for p in parts]
    missing = sorted(set(range(1, first.part.parts + 1)) - set(numbers))
    if missing:
        raise IncompleteListError(
            f"{label} is incomplete: part{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(str, missing[:20]))}{' ...' if len(missing) > 20 else ''} of "
            f"{first.part.parts} missing; nothing was imported"
        )
    if len(numbers) != len(set(numbers)):
        raise IncompleteListError(f"{label}: a part is given twice; nothing was imported")
    ordered = sorted(parts, key=lambda p: p.part.number)
    entries = tuple(e for p in ordered for e in p.hash_list.entries)
    withdrawn = tuple(w for p in ordered for w in p.hash_list.withdrawn)
    if (len(entries), len(withdrawn)) != (first.part.entries, first.part.withdrawn):
        raise IncompleteListError(
            f"{label}: its parts hold {len(entries)} entries and {len(withdrawn)} withdrawn, "
            f"not the {first.part.entries} and {first.part.withdrawn} signed; nothing was "
            "imported"
        )
    keys = [e.key for e in entries] + [w.key for w in withdrawn]
    if len(set(keys)) != len(keys):
        raise IncompleteListError(f"{label}: a hash is given twice; nothing was imported")
    return head.with_entries(entries, withdrawn)


def read_file(data: bytes, source: str) -> list[SignedList]:
    """The signed list, or its parts, that a file holds (a document, or a JSON array of part
    documents)."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileFormatError(f"{source} is not JSON ({exc})") from None
    if isinstance(document, list):
        if not 1 <= len(document) <= MAX_PARTS:
            raise FileFormatError(f"{source}: a list in parts holds 1 to {MAX_PARTS} parts")
        return [read_document(item, f"{source} item {i}") for i, item in enumerate(document, 1)]
    return [read_document(document, source)]


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
