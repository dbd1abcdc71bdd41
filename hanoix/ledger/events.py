"""Custody events: what the custody ledger records, as canonical JSON (RFC 8785).

Every module that changes custody of evidence or the state of a request records one of these
through the ledger service; the ledger hashes their canonical bytes into its Merkle tree.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import rfc8785

from hanoix.errors import InputError, Problem
from hanoix.ledger.errors import MalformedEntryError

#: The longest actor, authority or subject value accepted (identifiers, not prose).
MAX_NAME_LENGTH = 256
#: The largest canonical entry accepted: custody events are small; content never goes here.
MAX_ENTRY_BYTES = 64 * 1024
_FIELDS = ("kind", "actor", "authority", "at", "subject", "details")
#: The deepest an entry may nest, the entry object itself being level 1 (``details`` is level
#: 2): every reader re-derives and serves an entry by recursion, and 32 levels are far beyond
#: any custody event while far below any reader's recursion limit.
MAX_DEPTH = 32


_SAFE_INTEGER = 2**53 - 1
_FIRST_SURROGATE = "\ud800"


def _plain(value: Any) -> bool:
    """Whether ``json.dumps`` writes ``value`` exactly as RFC 8785 does.

    True for objects, arrays, booleans, null, integers within +/-(2**53 - 1), and strings whose
    characters all lie below U+D800: there, UTF-16 code-unit order (RFC 8785's key order) is
    code-point order (Python's), and both escape exactly '"', '\\' and the controls below
    U+0020 (as \\b \\t \\n \\f \\r, else \\u00xx). Floats, subclasses (enums) and
    anything else take the reference implementation.
    """
    texts: list[str] = []
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str:
            texts.append(item)
        elif kind is dict:
            for key, child in item.items():
                if type(key) is not str:
                    return False
                texts.append(key)
                stack.append(child)
        elif kind is list:
            stack.extend(item)
        elif kind is int:
            if not -_SAFE_INTEGER <= item <= _SAFE_INTEGER:
                return False
        elif item is not None and kind is not bool:
            return False
    joined = "".join(texts)
    # isascii() reads a flag of the string, where max() reads every character.
    return not joined or joined.isascii() or max(joined) < _FIRST_SURROGATE


def canonical_json(value: Any) -> bytes:
    """RFC 8785 (JCS) bytes of a JSON value.

    Appends are dominated by canonicalisation, so values that the standard library already
    writes canonically take that (C) path; everything else goes through ``rfc8785``. The two
    are checked byte for byte against each other in tests/ledger/test_events.py.
    """
    if _plain(value):
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode("utf-8")
    return bytes(rfc8785.dumps(value))


def _number_problem(path: str, value: int | float) -> str | None:
    """Why the number ``value`` cannot be re-derived from its canonical form, or None."""
    if isinstance(value, int):
        if not -_SAFE_INTEGER <= value <= _SAFE_INTEGER:
            return (
                f"{path}: the integer {value} is outside I-JSON's exact range "
                f"(+/-{_SAFE_INTEGER}); write it as a string"
            )
        return None
    if not math.isfinite(value):
        return f"{path}: {value} is not a JSON number"
    text = rfc8785.dumps(value)
    try:
        again = rfc8785.dumps(json.loads(text))
    except (rfc8785.CanonicalizationError, ValueError):
        again = b""
    if again != text:
        return (
            f"{path}: {value!r} is written {text.decode()} in canonical JSON, which does not "
            "read back as the same number (RFC 8785 re-derivation fails); write it as a string"
        )
    return None


def _short(path: str) -> str:
    return path if len(path) <= 60 else f"{path[:28]}...{path[-28:]}"


def _field_of(path: str) -> str:
    # The entry's own member the finding is in: "details" for "details.a.b".
    parts = path.split(".")
    return parts[1] if parts[0] == "entry" and len(parts) > 1 else parts[0]


def representability_problems(value: Any, path: str = "entry", depth: int = 1) -> list[Problem]:
    """What in ``value`` (an entry as JSON) could not be re-derived and served: nesting deeper
    than :data:`MAX_DEPTH`, integers beyond +/-(2**53 - 1), non-finite floats, and floats whose
    RFC 8785 form reads back as another value (``1e20`` is written ``100000000000000000000``,
    an integer no re-derivation accepts). Walked without recursion; empty when all is well."""
    problems: list[Problem] = []
    stack: list[tuple[Any, str, int]] = [(value, path, depth)]
    while stack and len(problems) < 10:
        item, path, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > MAX_DEPTH:
                problems.append(
                    Problem(
                        f"{_short(path)}: nested deeper than {MAX_DEPTH} levels (the entry "
                        "itself is level 1)",
                        field=_field_of(path),
                    )
                )
                continue
            children = item.items() if isinstance(item, dict) else enumerate(item)
            stack.extend((child, f"{path}.{key}", depth + 1) for key, child in children)
        elif isinstance(item, int | float) and not isinstance(item, bool):
            message = _number_problem(_short(path), item)
            if message is not None:
                problems.append(Problem(message, field=_field_of(path)))
    return problems


def check_representable(value: Any, path: str = "entry", depth: int = 1) -> None:
    """Raise :class:`MalformedEntryError` naming the first of :func:`representability_problems`."""
    problems = representability_problems(value, path, depth)
    if problems:
        raise MalformedEntryError(f"custody event field {problems[0].message}", problems=problems)


class EventKind(StrEnum):
    # evidence packages
    PACKAGE_SEALED = "package.sealed"
    PACKAGE_SENT = "package.sent"
    PACKAGE_RECEIVED = "package.received"
    PACKAGE_OPENED = "package.opened"
    PACKAGE_VERIFIED = "package.verified"
    PACKAGE_FORWARDED = "package.forwarded"
    PACKAGE_DELETED = "package.deleted"
    # cooperation requests
    REQUEST_CREATED = "request.created"
    REQUEST_APPROVED = "request.approved"
    REQUEST_SENT = "request.sent"
    REQUEST_ACKNOWLEDGED = "request.acknowledged"
    REQUEST_EXECUTED = "request.executed"
    REQUEST_REFUSED = "request.refused"
    REQUEST_CLOSED = "request.closed"
    REQUEST_CHANGED = "request.changed"  # any other lifecycle step; details say which
    REQUEST_LETTER_ISSUED = "request.letter-issued"  # a signed letter (docs/letters.md)
    # removal of Art. 14 and 16 content by hash (docs/content.md): never the victim or the media
    CONTENT_CASE_OPENED = "content.case-opened"
    CONTENT_LISTED = "content.listed"
    CONTENT_NOTICE_SENT = "content.notice-sent"
    CONTENT_NOTICE_ACKNOWLEDGED = "content.notice-acknowledged"
    CONTENT_NOTICE_REMOVED = "content.notice-removed"
    CONTENT_NOTICE_REFUSED = "content.notice-refused"
    CONTENT_REUPLOADED = "content.reuploaded"  # removed content matched again: notice reopened
    CONTENT_REQUEST_LINKED = "content.request-linked"
    CONTENT_REQUEST_UNLINKED = "content.request-unlinked"
    CONTENT_PRESERVED = "content.preserved"  # media sealed into an evidence package
    CONTENT_LIST_PUBLISHED = "content.list-published"  # a signed list sent to other States
    CONTENT_LIST_IMPORTED = "content.list-imported"  # another State's list, verified
    CONTENT_WITHDRAWN = "content.withdrawn"  # a hash withdrawn (here, or by its publisher)
    CONTENT_FEEDBACK = "content.feedback"  # a platform's report: blocked or not blocked
    # retention (docs/retention.md): the category, rule and subject erased, never the content
    DATA_ERASED = "data.erased"
    # the log and its peers
    CHECKPOINT_COSIGNED = "checkpoint.cosigned"
    SPLIT_VIEW_DETECTED = "checkpoint.split-view"
    ENVELOPE_REJECTED = "envelope.rejected"


@dataclass(frozen=True)
class CustodyEvent:
    """One custody event. ``subject`` names the object: ``{"package": "sha256:..."}`` or
    ``{"request": "AUT-2026-0001"}``; ``details`` holds anything else worth keeping (never
    evidence content, never personal data beyond identifiers)."""

    kind: EventKind
    actor: str
    authority: str
    at: datetime
    subject: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise InputError("a custody event's time must be timezone-aware (UTC)")
        if not self.actor.strip():
            raise InputError("a custody event needs an actor (who did it)")
        if not self.authority.strip():
            raise InputError("a custody event needs an authority (on whose behalf)")
        if not self.subject:
            raise InputError("a custody event needs a subject (package digest or request ref)")
        # What cannot be re-derived from its canonical bytes, or served back, is refused here,
        # at append, and not found out later by a court or a reader of the log.
        check_representable(self.details, "details", 2)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "actor": self.actor,
            "authority": self.authority,
            "at": self.at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "subject": dict(self.subject),
            "details": dict(self.details),
        }

    def canonical_bytes(self) -> bytes:
        """The RFC 8785 canonical JSON of the event: the bytes that become the Merkle leaf."""
        return canonical_json(self.as_dict())

    @classmethod
    def from_dict(cls, data: Any) -> CustodyEvent:
        """Read an event from its JSON form (as :meth:`as_dict` writes it).

        Raises :class:`~hanoix.ledger.errors.MalformedEntryError` listing every bad field.
        """
        if not isinstance(data, Mapping):
            raise MalformedEntryError("a custody event is a JSON object")
        problems: list[Problem] = []

        def bad(name: str, message: str) -> None:
            problems.append(Problem(message=message, field=name))

        for name in data:
            if name not in _FIELDS:
                bad(str(name), f"unknown field (expected {', '.join(_FIELDS)})")
        kind = data.get("kind")
        if kind is None:
            bad("kind", "missing: what happened, e.g. package.sealed")
        elif kind not in {k.value for k in EventKind}:
            bad(
                "kind",
                f"{kind!r} is not a custody event kind; expected one of "
                + ", ".join(k.value for k in EventKind),
            )
        names: dict[str, str] = {}
        for name, meaning in (("actor", "who did it"), ("authority", "on whose behalf")):
            value = data.get(name)
            if not isinstance(value, str) or not value.strip():
                bad(name, f"missing or empty: {meaning}, as a non-empty string")
            elif len(value) > MAX_NAME_LENGTH:
                bad(name, f"longer than {MAX_NAME_LENGTH} characters")
            else:
                names[name] = value
        at = _read_time(data.get("at"), bad)
        subject = data.get("subject")
        if not isinstance(subject, Mapping) or not subject:
            bad(
                "subject",
                'missing: the object concerned, e.g. {"package": "sha256:..."} '
                'or {"request": "AUT-2026-0001"}',
            )
        else:
            for key, value in subject.items():
                if not isinstance(value, str) or not value.strip():
                    bad(f"subject.{key}", "must be a non-empty string")
                elif len(value) > MAX_NAME_LENGTH or len(key) > MAX_NAME_LENGTH:
                    bad(f"subject.{key}", f"longer than {MAX_NAME_LENGTH} characters")
        details = data.get("details", {})
        if not isinstance(details, Mapping):
            bad("details", "must be a JSON object")
        if problems:
            first = problems[0]
            raise MalformedEntryError(
                f"custody event field '{first.field}': {first.message}", problems=problems
            )
        assert at is not None and isinstance(subject, Mapping) and isinstance(details, Mapping)
        event = cls(
            kind=EventKind(str(kind)),
            actor=names["actor"],
            authority=names["authority"],
            at=at,
            subject={str(k): str(v) for k, v in subject.items()},
            details=dict(details),
        )
        try:
            encoded = event.canonical_bytes()
        except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
            raise MalformedEntryError(
                f"custody event field 'details': not representable as canonical JSON ({exc})",
                problems=[Problem(message=str(exc), field="details")],
            ) from None
        if len(encoded) > MAX_ENTRY_BYTES:
            raise MalformedEntryError(
                f"custody event field 'details': the event is {len(encoded)} bytes as canonical "
                f"JSON; the limit is {MAX_ENTRY_BYTES} (keep content out of the ledger)",
                problems=[Problem(message="too large", field="details")],
            )
        return event


def _read_time(value: Any, bad: Callable[[str, str], None]) -> datetime | None:
    if value is None:
        bad("at", "missing: when it happened, as an RFC 3339 time such as 2026-11-23T12:00:00Z")
        return None
    if not isinstance(value, str):
        bad("at", f"{value!r} is not a string: write an RFC 3339 time such as 2026-11-23T12:00:00Z")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        bad("at", f"{value!r} is not an RFC 3339 time such as 2026-11-23T12:00:00Z")
        return None
    if "T" not in value or parsed.tzinfo is None:
        bad("at", f"{value!r} needs a date, a time and a zone (Z or +HH:MM)")
        return None
    return parsed.astimezone(UTC)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise MalformedEntryError(f"the JSON object has the key {key!r} twice")
        result[key] = value
    return result


def _reject_constant(name: str) -> Any:
    raise MalformedEntryError(f"{name} is not a JSON number")


def load_events(data: bytes | str, *, source: str = "input") -> list[CustodyEvent]:
    """Read one custody event (a JSON object) or several (an array of objects).

    Duplicate keys, NaN and Infinity are refused: an entry has exactly one canonical form.
    """
    try:
        parsed = json.loads(
            data, object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except MalformedEntryError as exc:
        raise MalformedEntryError(f"{source}: {exc.message}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedEntryError(f"{source} is not valid JSON: {exc}") from None
    except RecursionError:
        raise MalformedEntryError(
            f"{source} is nested too deeply to read (at most {MAX_DEPTH} levels)"
        ) from None
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise MalformedEntryError(f"{source} holds an empty list: no custody event to record")
    events: list[CustodyEvent] = []
    for position, item in enumerate(items):
        try:
            events.append(CustodyEvent.from_dict(item))
        except MalformedEntryError as exc:
            where = f"{source}, event {position}" if isinstance(parsed, list) else source
            raise MalformedEntryError(f"{where}: {exc.message}", problems=exc.problems) from None
    return events
