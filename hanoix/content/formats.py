"""The formats the field already uses for hash lists, written and read with the standard
library (pure: bytes in, values out). docs/content.md, "Shared lists", says why not through the
``threatexchange`` library itself.

* ``te-file``: the ``threatexchange`` library's local file exchange
  (``LocalFileSignalExchangeAPI``): one signal a line, its type and its value separated by one
  space (``pdq <64 hex>``, ``video_md5 <32 hex>``, and a video's ``vpdq`` hash as the library's
  vPDQ signal writes it: a JSON array of ``"hex,quality,seconds"`` frames), as Meta's
  Hasher-Matcher-Actioner reads it. It has no place for a withdrawal: a withdrawn hash is
  simply not in the file.
* ``stopncii``: the records of StopNCII's hash exchange API (``FetchHashes``): per hash its
  ``signalType`` (``ImagePDQ``, ``VideoMD5``), ``hashValue``, ``hashStatus`` (``Received``,
  ``Active``, ``Withdrawn``) and the platforms' ``CSPFeedbacks`` (``Blocked``, ``NotBlocked``...).
  A platform reports back in the same shape, or as ``SubmitFeedback``'s ``hashFeedbacks``.

* ``ncmec``: the entries of NCMEC's hash sharing API (``GetEntries``, XML): ``<image>`` and
  ``<video>`` entries under ``<images>``/``<videos>``, each with its ``<fingerprints>`` (``pdq``,
  ``md5``), a withdrawn one as ``<deletedImage>``/``<deletedVideo>``.

SHA-256 is this node's own exact signal and has no name in either format: it travels only in
the signed ``hanoix-hash-list/1`` document. An MD5 goes out as ``video_md5``/``VideoMD5`` (the
name those exchanges give an exact MD5; a picture's MD5 matches as well).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from hanoix.content.lists import ListedHash, WithdrawnHash, check_signal, frames_of
from hanoix.content.signals import MD5, PDQ, SHA256, VPDQ
from hanoix.content.video import VideoFrame, VpdqHash
from hanoix.errors import FileFormatError, InputError


class ListFormat(StrEnum):
    HANOIX = "hanoix"  # the signed hanoix-hash-list/1 document
    TE_FILE = "te-file"
    STOPNCII = "stopncii"
    NCMEC = "ncmec"


#: Signal names of the threatexchange library (``SignalType.get_name()``) and of StopNCII.
TE_NAMES = {PDQ: "pdq", MD5: "video_md5", VPDQ: "vpdq"}
STOPNCII_NAMES = {PDQ: "ImagePDQ", MD5: "VideoMD5"}
#: StopNCII's case statuses: which leave a hash in force.
IN_FORCE = {"Received", "Active"}
GONE = {"Withdrawn", "Deleted"}
#: What a platform may answer about a hash it matched (StopNCII's CSP feedback values).
FEEDBACK = {
    "Blocked": "blocked",
    "NotBlocked": "not-blocked",
    "PendingReview": "pending-review",
    "None": "none",
    "QualityUnknown": "quality-unknown",
    "Unknown": "unknown",
    "Withdrawn": "withdrawn",
    "Deleted": "deleted",
}
MAX_LINES = 500_000


def _ours(names: dict[str, str], name: str, where: str) -> str:
    for signal, theirs in names.items():
        if theirs == name:
            return signal
    raise FileFormatError(
        f"{where}: signal type {name[:40]!r} is not one this node matches "
        f"(give {' or '.join(names.values())})"
    )


def _value(signal: str, value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise FileFormatError(f"{where}: the hash value must be a string")
    text = value.strip().lower()
    try:
        check_signal(signal, text)
    except ValueError as exc:
        raise FileFormatError(f"{where}: {exc}") from None
    return text


# --- threatexchange local file ---------------------------------------------------------------


def write_te_file(entries: Iterable[ListedHash]) -> bytes:
    """One ``type value`` line per hash in force that the format can name (a video's vPDQ
    hash as its frames, which the library's vPDQ signal reads)."""
    lines = [
        f"{TE_NAMES[e.signal]} " + (VpdqHash(e.frames).signal if e.signal == VPDQ else e.value)
        for e in entries
        if e.signal in TE_NAMES
    ]
    return "".join(f"{line}\n" for line in lines).encode("ascii")


def read_te_file(
    data: bytes, source: str, videos: dict[str, tuple[VideoFrame, ...]] | None = None
) -> list[tuple[str, str]]:
    """The (signal, value) pairs of a local signal file; blank lines are skipped. A video's
    value is the digest of its frames, which go into ``videos`` (by digest) when given."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(f"{source} is not a text file of signals") from None
    found: list[tuple[str, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        if number > MAX_LINES:
            raise FileFormatError(f"{source} line {number}: more than {MAX_LINES} lines")
        name, _, value = line.strip().partition(" ")
        where = f"{source} line {number}"
        signal = _ours(TE_NAMES, name, where)
        if signal == VPDQ:
            frames = _video(value, where)
            digest = VpdqHash(frames).digest
            if videos is not None:
                videos[digest] = frames
            found.append((VPDQ, digest))
        else:
            found.append((signal, _value(signal, value, where)))
    return found


def _video(value: str, where: str) -> tuple[VideoFrame, ...]:
    try:
        return frames_of(json.loads(value), where)
    except ValueError as exc:  # not JSON, or frames that are not vPDQ features
        raise FileFormatError(
            f"{where}: a vpdq value is a JSON array of 'hex,quality,seconds' frames ({exc})"
        ) from None


# --- StopNCII --------------------------------------------------------------------------------


def write_stopncii(
    entries: Iterable[ListedHash], withdrawn: Iterable[WithdrawnHash], at: datetime
) -> bytes:
    """A ``FetchHashes`` answer holding every hash the format can name: ``Active``, or
    ``Withdrawn`` (a platform deletes it). No case numbers: they are the authority's."""
    records: list[dict[str, Any]] = []
    for e in entries:
        if e.signal in STOPNCII_NAMES:
            records.append(_record(e.signal, e.value, "Active", e.listed))
    for w in withdrawn:
        if w.signal in STOPNCII_NAMES:
            records.append(_record(w.signal, w.value, "Withdrawn", w.at))
    document = {
        "count": len(records),
        "nextPageToken": None,
        "nextSetTimestamp": int(at.timestamp()),
        "hasMoreRecords": False,
        "hashRecords": records,
    }
    return (json.dumps(document, indent=1) + "\n").encode("utf-8")


def _record(signal: str, value: str, status: str, at: datetime) -> dict[str, Any]:
    return {
        "lastModtimestamp": int(at.timestamp()),
        "signalType": STOPNCII_NAMES[signal],
        "hashValue": value,
        "hashStatus": status,
        "caseNumbers": {},
        "CSPFeedbacks": [],
    }


#: NCMEC's votes on an entry's fingerprint (its hash sharing API's feedback: ``affirmative``,
#: ``negative``), by the names of threatexchange's ``FeedbackType``, with the opinion each
#: stands for in the library's ``SignalOpinionCategory`` (what ``report_opinion`` sends).
VOTES = {"upvote": "POSITIVE_CLASS", "downvote": "NEGATIVE_CLASS"}
#: A downvote's reason: NCMEC's reason is a GUID from its list of reasons; a platform may give
#: a short text instead.
MAX_VOTE_REASON = 200


@dataclass(frozen=True)
class Vote:
    """A platform's vote on one listed hash, as NCMEC's exchange has them."""

    signal: str  # sha256, md5, pdq
    value: str
    vote: str  # upvote, downvote
    reason: str | None = None


def check_vote(signal: str, value: str, vote: str, reason: str | None) -> Vote:
    """A vote as given, checked: a signal this node lists, a hash in hex of its length, one
    of :data:`VOTES`, and a reason only with a downvote (NCMEC asks one of it)."""
    lengths = {SHA256: 64, MD5: 32, PDQ: 64}
    signal = signal.strip().lower()
    value = value.strip().lower()
    if signal not in lengths:
        raise InputError(f"signal {signal[:20]!r}: give {', '.join(lengths)}")
    if len(value) != lengths[signal] or any(c not in "0123456789abcdef" for c in value):
        raise InputError(f"a {signal} hash is {lengths[signal]} hex digits")
    if vote not in VOTES:
        raise InputError(f"vote {vote[:20]!r}: give {' or '.join(VOTES)}")
    reason = (reason or "").strip() or None
    if reason is not None and vote != "downvote":
        raise InputError("a reason goes with a downvote only")
    if reason is not None and len(reason) > MAX_VOTE_REASON:
        raise InputError(f"a downvote's reason is at most {MAX_VOTE_REASON} characters")
    return Vote(signal, value, vote, reason)


@dataclass(frozen=True)
class Feedback:
    """A platform's report on one hash: what it did (blocked, not-blocked...), who it is."""

    signal: str | None  # None when the report does not say (SubmitFeedback)
    value: str
    verdict: str
    source: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class StopNCIIRecords:
    """A StopNCII file read: hashes in force, hashes withdrawn, and the platforms' feedback."""

    in_force: tuple[tuple[str, str], ...]
    withdrawn: tuple[tuple[str, str], ...]
    feedback: tuple[Feedback, ...]


def _json(data: bytes, source: str) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise FileFormatError(f"{source} is not JSON ({exc})") from None
    if not isinstance(document, dict):
        raise FileFormatError(f"{source}: a StopNCII document is a JSON object")
    return document


def _feedbacks(items: Any, signal: str | None, value: str, where: str) -> list[Feedback]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise FileFormatError(f"{where}: CSPFeedbacks must be a list")
    found: list[Feedback] = []
    for item in items:
        if not isinstance(item, dict) or item.get("feedbackValue") not in FEEDBACK:
            raise FileFormatError(
                f"{where}: a feedback needs a feedbackValue ({', '.join(FEEDBACK)})"
            )
        tags = item.get("tags") or []
        source = item.get("source") or "unnamed platform"
        if not isinstance(tags, list) or not isinstance(source, str):
            raise FileFormatError(f"{where}: a feedback's tags are a list, its source a string")
        found.append(
            Feedback(
                signal,
                value,
                FEEDBACK[item["feedbackValue"]],
                source[:200],
                tuple(str(t)[:100] for t in tags[:20]),
            )
        )
    return found


def read_stopncii(data: bytes, source: str) -> StopNCIIRecords:
    """A ``FetchHashes`` answer (``hashRecords``) or a ``SubmitFeedback`` body
    (``hashFeedbacks``)."""
    document = _json(data, source)
    in_force: list[tuple[str, str]] = []
    gone: list[tuple[str, str]] = []
    feedback: list[Feedback] = []
    records = document.get("hashRecords")
    reports = document.get("hashFeedbacks")
    if not isinstance(records, list) and not isinstance(reports, list):
        raise FileFormatError(f"{source}: a StopNCII document has hashRecords or hashFeedbacks")
    if len(records or []) + len(reports or []) > MAX_LINES:
        raise FileFormatError(f"{source}: more than {MAX_LINES} records")
    for number, record in enumerate(records or [], 1):
        where = f"{source} record {number}"
        if not isinstance(record, dict):
            raise FileFormatError(f"{where} is not a JSON object")
        signal = _ours(STOPNCII_NAMES, str(record.get("signalType")), where)
        value = _value(signal, record.get("hashValue"), where)
        status = record.get("hashStatus")
        if status in IN_FORCE:
            in_force.append((signal, value))
        elif status in GONE:
            gone.append((signal, value))
        else:
            raise FileFormatError(
                f"{where}: hashStatus {str(status)[:40]!r}: give Received, Active or Withdrawn"
            )
        feedback.extend(_feedbacks(record.get("CSPFeedbacks"), signal, value, where))
    for number, report in enumerate(reports or [], 1):
        where = f"{source} feedback {number}"
        if not isinstance(report, dict):
            raise FileFormatError(f"{where} is not a JSON object")
        raw = report.get("hashValue")
        if not isinstance(raw, str):
            raise FileFormatError(f"{where}: hashValue must be a string")
        guessed = {64: PDQ, 32: MD5}.get(len(raw.strip()))
        if guessed is None:
            raise FileFormatError(f"{where}: a PDQ (64 hex) or MD5 (32 hex) hashValue")
        value = _value(guessed, raw, where)
        feedback.extend(_feedbacks([report], None, value, where))
    return StopNCIIRecords(tuple(in_force), tuple(gone), tuple(feedback))


# --- NCMEC -----------------------------------------------------------------------------------

_NCMEC_TIME = "%Y-%m-%dT%H:%M:%SZ"


def write_ncmec(
    entries: Iterable[ListedHash],
    withdrawn: Iterable[WithdrawnHash],
    at: datetime,
    member: str,
) -> bytes:
    """A ``GetEntries`` answer: a PDQ hash as an image entry, an MD5 as a video entry (the
    pairs Hasher-Matcher-Actioner takes from NCMEC), withdrawn ones as deleted entries. An
    entry's id is its signal and value: nothing of the case."""
    import xml.etree.ElementTree as ET

    root = ET.Element("queryResult")
    stamp = at.strftime(_NCMEC_TIME)
    groups = {
        PDQ: ET.SubElement(root, "images", maxTimestamp=stamp),
        MD5: ET.SubElement(root, "videos", maxTimestamp=stamp),
    }
    kinds = {PDQ: "image", MD5: "video"}
    items = [(e.signal, e.value, False) for e in entries] + [
        (w.signal, w.value, True) for w in withdrawn
    ]
    for signal, value, deleted in items:
        if signal not in groups:
            continue
        kind = kinds[signal]
        entry = ET.SubElement(groups[signal], f"deleted{kind.title()}" if deleted else kind)
        ET.SubElement(entry, "id").text = f"{signal}-{value}"
        ET.SubElement(entry, "member", id="0").text = member
        ET.SubElement(ET.SubElement(entry, "fingerprints"), signal).text = value
    ET.SubElement(ET.SubElement(root, "paging"), "next")
    ET.indent(root)
    written: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return written + b"\n"


def read_ncmec(data: bytes, source: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The (signal, value) pairs in force and deleted of a ``GetEntries`` answer: every ``pdq``
    and ``md5`` fingerprint; other fingerprints (PhotoDNA, SHA-1...) are not matched here."""
    import xml.etree.ElementTree as ET

    lowered = data.lower()
    for encoded in (lowered, lowered.replace(b"\x00", b"")):  # UTF-16 too
        if b"<!doctype" in encoded or b"<!entity" in encoded:
            raise FileFormatError(
                f"{source} declares a DOCTYPE or entities, which NCMEC's answers never do: "
                "refused (entity expansion is a known attack)"
            )
    try:
        root = ET.fromstring(data)  # noqa: S314  (DOCTYPE and entities refused above)
    except ET.ParseError as exc:
        raise FileFormatError(f"{source} is not XML ({exc})") from None
    if root.tag != "queryResult":
        raise FileFormatError(f"{source}: an NCMEC answer is a <queryResult>, not <{root.tag}>")
    in_force: list[tuple[str, str]] = []
    gone: list[tuple[str, str]] = []
    for group in (*root.findall("images"), *root.findall("videos")):
        for number, entry in enumerate(group, 1):
            deleted = entry.tag.lower().startswith("deleted")
            where = f"{source} <{group.tag}> entry {number}"
            for fingerprint in entry.findall("fingerprints/*"):
                signal = {"pdq": PDQ, "md5": MD5}.get(fingerprint.tag.lower())
                if signal is None or fingerprint.text is None:
                    continue
                pair = (signal, _value(signal, fingerprint.text, where))
                (gone if deleted else in_force).append(pair)
            if len(in_force) + len(gone) > MAX_LINES:
                raise FileFormatError(f"{source}: more than {MAX_LINES} fingerprints")
    return in_force, gone
