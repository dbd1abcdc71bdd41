"""Removal cases and the rules of matching: pure values and functions, no I/O.

A removal case is opened by an authority for content covered by Art. 14 (child sexual abuse
material) or Art. 16 (intimate images shared without consent), whose removal or disabling
States endeavour to provide for under Art. 34 (recalled: FACTS.md §7). The victim is named only
by a pseudonymous reference the authority keeps the key to: the identity is personal data
(Art. 36) and never enters the node. A case holds hashes of the content, never the content.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from hanoix.content import video
from hanoix.content.signals import MD5, PDQ, PDQ_BITS, SHA256, VPDQ, ContentHashes, hamming
from hanoix.content.video import VideoFrame
from hanoix.errors import InputError, NotFoundError, PermissionDeniedError, Problem
from hanoix.requests import Role, User


class CaseArticle(IntEnum):
    """The offence whose content a case removes (Art. 34, recalled: Arts 14 and 16 only)."""

    CHILD_SEXUAL_ABUSE_MATERIAL = 14
    NON_CONSENSUAL_INTIMATE_IMAGES = 16


class Consent(StrEnum):
    """What the victim (or, for a child, whoever may give it for them) agreed to."""

    HASH = "hash"  # the content hashed and matched on this node
    SHARE = "share"  # the hashes shared with other States' nodes and with platforms
    PRESERVE = "preserve"  # the content itself sealed as evidence for the case


#: A pseudonymous reference: letters, digits and ``.-_``, 3 to 64 of them. A space or an ``@``
#: is refused, so that a name or an e-mail address cannot be typed in by mistake.
VICTIM_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,63}")

#: A case's reference as users see it: ``RC-`` and its number.
CASE_PREFIX = "RC-"
CASE_REF = re.compile(r"RC-(\d{1,12})")

#: Where each rule comes from, and how sure it is (FACTS.md §7).
ARTICLE_RULE = ("Art. 34", "recalled")
CONSENT_RULE = ("Art. 16", "inferred")
VICTIM_RULE = ("Art. 36", "recalled")


def case_reference(number: int) -> str:
    return f"{CASE_PREFIX}{number:06d}"


def case_number(reference: str) -> int:
    """The number of the case ``reference`` names (``RC-000012`` is 12)."""
    found = CASE_REF.fullmatch(reference.strip())
    if found is None:
        raise InputError(f"{reference!r} is not a removal case's reference: give RC-NNNNNN")
    return int(found.group(1))


@dataclass(frozen=True)
class NewCase:
    """A removal case as asked for, checked: its article, the victim's pseudonym, the consent."""

    article: CaseArticle
    victim_ref: str
    consent: frozenset[Consent]


@dataclass(frozen=True)
class RemovalCase:
    """A removal case as the node keeps it."""

    reference: str
    article: CaseArticle
    victim_ref: str
    authority: str
    consent: frozenset[Consent]
    opened_at: datetime
    opened_by: str
    hashes: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.reference,
            "article": int(self.article),
            "victim_ref": self.victim_ref,
            "authority": self.authority,
            "consent": sorted(self.consent),
            "opened_at": self.opened_at,
            "opened_by": self.opened_by,
            "hashes": self.hashes,
        }


def new_case(article: int, victim_ref: str, consent: Iterable[str]) -> NewCase:
    """Check a case before it is opened; every problem is reported at once."""
    problems: list[Problem] = []
    try:
        checked_article = CaseArticle(article)
    except ValueError:
        checked_article = CaseArticle.NON_CONSENSUAL_INTIMATE_IMAGES
        problems.append(
            Problem(
                f"article {article}: a removal case is for Art. 14 or Art. 16 content",
                field="article",
                article=ARTICLE_RULE[0],
                basis=ARTICLE_RULE[1],
            )
        )
    ref = victim_ref.strip()
    if not VICTIM_REF.fullmatch(ref):
        problems.append(
            Problem(
                "the victim reference must be a pseudonym (3-64 letters, digits, '.', '-', '_'; "
                "no spaces or '@'): never the victim's name or address",
                field="victim_ref",
                article=VICTIM_RULE[0],
                basis=VICTIM_RULE[1],
            )
        )
    scopes: set[Consent] = set()
    for given in consent:
        if given == "none":
            continue
        try:
            scopes.add(Consent(given))
        except ValueError:
            problems.append(
                Problem(
                    f"consent {given!r}: give hash, share, preserve or none",
                    field="consent",
                )
            )
    if checked_article is CaseArticle.NON_CONSENSUAL_INTIMATE_IMAGES and Consent.HASH not in scopes:
        # An adult's intimate images are hashed at their request (the StopNCII model); child
        # abuse material is removed whatever anyone agreed to.
        problems.append(
            Problem(
                "an Art. 16 case needs the victim's consent to hashing (--consent hash)",
                field="consent",
                article=CONSENT_RULE[0],
                basis=CONSENT_RULE[1],
            )
        )
    if problems:
        raise InputError("the removal case cannot be opened", problems=problems)
    return NewCase(checked_article, ref, frozenset(scopes))


# --- matching ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class MatchPolicy:
    """When two PDQ hashes are the same picture: within ``pdq_distance`` bits, both of quality
    ``pdq_quality`` or more (the threatexchange library's PDQ thresholds: 31 and 50). When two
    vPDQ hashes are the same video: frames within ``vpdq_distance`` bits, of quality
    ``vpdq_quality`` or more, at least ``vpdq_query_percent`` of the query's frames matched and
    ``vpdq_compared_percent`` of the listed video's (threatexchange: 31, 50, 80% and 0%;
    :mod:`hanoix.content.video`)."""

    pdq_distance: int = 31
    pdq_quality: int = 50
    vpdq_distance: int = video.VPDQ_DISTANCE
    vpdq_quality: int = video.VPDQ_QUALITY
    vpdq_query_percent: float = video.VPDQ_QUERY_PERCENT
    vpdq_compared_percent: float = video.VPDQ_COMPARED_PERCENT

    def __post_init__(self) -> None:
        if not 0 <= self.pdq_distance <= 128:
            raise InputError("the PDQ match distance must be between 0 and 128 bits")
        if not 0 <= self.pdq_quality <= 100:
            raise InputError("the PDQ quality threshold must be between 0 and 100")
        if not 0 <= self.vpdq_distance <= 128:
            raise InputError("the vPDQ frame distance must be between 0 and 128 bits")
        if not 0 <= self.vpdq_quality <= 100:
            raise InputError("the vPDQ frame quality threshold must be between 0 and 100")
        if not (0 <= self.vpdq_query_percent <= 100 and 0 <= self.vpdq_compared_percent <= 100):
            raise InputError("the vPDQ match percentages must be between 0 and 100")


@dataclass(frozen=True)
class HashEntry:
    """One hash of a list: which case, which list, which signal, the value (hex), its quality,
    and the node it came from (``case`` and ``origin`` are None for an imported entry and for
    this node's own, respectively: another State's case is not named here); for a video's vPDQ
    hash the value is its digest and ``frames`` its frames."""

    case: str | None
    list: str
    signal: str
    value: str
    quality: int | None = None
    origin: str | None = None
    frames: tuple[VideoFrame, ...] = field(default=(), compare=False)
    #: For a PDQ entry, the hashes of the picture's cropped windows (signals.CROP_WINDOWS).
    crops: tuple[str, ...] = field(default=(), compare=False)

    def pdq_values(self) -> tuple[str, ...]:
        """Every PDQ hash this entry matches by: its own, then its cropped windows'."""
        return (self.value, *self.crops)


@dataclass(frozen=True)
class Match:
    """One list entry a piece of content matched. For a vPDQ match, ``distance`` is the largest
    distance between a matched query frame and its nearest listed frame, and ``vpdq`` the
    shares (percent) of the query's and the listed video's frames that matched; ``origin`` is
    the node that published an imported list (None for this node's own)."""

    case: str | None
    list: str
    signal: str
    distance: int
    vpdq: video.VpdqComparison | None = None
    origin: str | None = None

    def as_dict(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "case": self.case,
            "list": self.list,
            "signal": self.signal,
            "distance": self.distance,
            "origin": self.origin,
        }
        if self.vpdq is not None:  # a vPDQ match only: the other matches keep their shape
            found["vpdq"] = {
                "query_percent": round(self.vpdq.query_percent, 1),
                "compared_percent": round(self.vpdq.compared_percent, 1),
            }
        return found


@dataclass(frozen=True)
class MatchResult:
    """Whether one piece of content matched any list, and every match (the nearest first)."""

    name: str
    hashes: ContentHashes
    matches: tuple[Match, ...] = field(default=())
    note: str | None = None

    @property
    def matched(self) -> bool:
        return bool(self.matches)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.name,
            "matched": self.matched,
            "matches": [m.as_dict() for m in self.matches],
            "note": self.note,
        }


def entries_of(
    case: str, list_name: str, hashes: ContentHashes, policy: MatchPolicy
) -> tuple[list[HashEntry], str | None]:
    """The list entries ``hashes`` gives a case, and a note when its PDQ hash is left out (a
    hash below the quality threshold would match flat pictures of anything)."""
    entries = [
        HashEntry(case, list_name, SHA256, hashes.sha256),
        HashEntry(case, list_name, MD5, hashes.md5),
    ]
    note = hashes.note
    if hashes.pdq is not None:
        if hashes.pdq.quality >= policy.pdq_quality:
            entries.append(
                HashEntry(
                    case,
                    list_name,
                    PDQ,
                    hashes.pdq.value,
                    hashes.pdq.quality,
                    crops=hashes.pdq.crops,
                )
            )
        else:
            note = (
                f"PDQ quality {hashes.pdq.quality} is below {policy.pdq_quality}: the PDQ hash "
                "is not listed (too little detail to tell pictures apart); exact digests only"
            )
    if hashes.vpdq is not None:
        if hashes.vpdq.usable(policy.vpdq_quality):
            entries.append(
                HashEntry(case, list_name, VPDQ, hashes.vpdq.digest, frames=hashes.vpdq.frames)
            )
        else:
            note = (
                f"no frame of the video has a PDQ quality of {policy.vpdq_quality} or more: the "
                "vPDQ hash is not listed (too little detail); exact digests only"
            )
    return entries, note


def pdq_distance(query: ContentHashes, listed: HashEntry) -> int:
    """The distance of a listed PDQ entry (its hash or one of its cropped windows') to the
    query or to any of its rotations and mirror images (so a mirrored copy matches its
    original, and a cropped copy the window it was cut like)."""
    assert query.pdq is not None
    return min(
        hamming(mine, theirs)
        for mine in listed.pdq_values()
        for theirs in (query.pdq.value, *query.pdq.variants)
    )


def pdq_distances(query: ContentHashes, listed: Sequence[HashEntry]) -> list[int]:
    """:func:`pdq_distance` of each of ``listed``, computed over all of them at once (XOR and
    bit counts on 64-bit words: some 30 times faster than one by one)."""
    import numpy

    assert query.pdq is not None
    if not listed:
        return []
    values = [entry.pdq_values() for entry in listed]
    owners = numpy.repeat(numpy.arange(len(listed)), [len(v) for v in values])
    table = numpy.frombuffer(
        bytes.fromhex("".join(value for row in values for value in row)), dtype=">u8"
    ).reshape(len(owners), 4)
    queries = numpy.frombuffer(
        bytes.fromhex("".join((query.pdq.value, *query.pdq.variants))), dtype=">u8"
    ).reshape(-1, 4)
    nearest = numpy.full(len(owners), PDQ_BITS, dtype=numpy.int64)
    for words in queries:
        counts = numpy.bitwise_count(table ^ words).sum(axis=1, dtype=numpy.int64)
        numpy.minimum(nearest, counts, out=nearest)
    best = numpy.full(len(listed), PDQ_BITS, dtype=numpy.int64)
    numpy.minimum.at(best, owners, nearest)
    return [int(d) for d in best]


def match(
    name: str,
    query: ContentHashes,
    exact: Iterable[HashEntry],
    perceptual: Iterable[HashEntry],
    policy: MatchPolicy,
    videos: Iterable[HashEntry] = (),
) -> MatchResult:
    """Match ``query`` against the ``exact`` entries whose digest equals one of its own (found
    by the store), the ``perceptual`` (PDQ) entries to compare by distance, and the listed
    ``videos`` (vPDQ entries with their frames) to compare frame by frame."""
    found: dict[tuple[str | None, str, str], Match] = {}
    digests = {SHA256: query.sha256, MD5: query.md5}
    for entry in exact:
        if digests.get(entry.signal) == entry.value:
            found[(entry.case, entry.list, entry.signal)] = Match(
                entry.case, entry.list, entry.signal, 0, origin=entry.origin
            )
    note = query.note
    if query.pdq is not None and query.pdq.quality < policy.pdq_quality:
        note = f"PDQ quality {query.pdq.quality} is below {policy.pdq_quality}: exact digests only"
    elif query.pdq is not None:
        usable = [
            entry
            for entry in perceptual
            if entry.quality is None or entry.quality >= policy.pdq_quality
        ]
        for entry, distance in zip(usable, pdq_distances(query, usable), strict=True):
            if distance <= policy.pdq_distance:
                key = (entry.case, entry.list, PDQ)
                if key not in found or found[key].distance > distance:
                    found[key] = Match(entry.case, entry.list, PDQ, distance, origin=entry.origin)
    if query.vpdq is not None and not query.vpdq.usable(policy.vpdq_quality):
        note = (
            f"no frame of the video has a PDQ quality of {policy.vpdq_quality} or more: "
            "exact digests only"
        )
    elif query.vpdq is not None:
        for entry in videos:
            compared = video.compare(
                query.vpdq.frames,
                entry.frames,
                distance=policy.vpdq_distance,
                quality=policy.vpdq_quality,
            )
            # At least one frame must match, whatever the shares asked (threatexchange's index
            # only weighs the listed videos that some query frame came near).
            if (
                compared is not None
                and compared.query_percent > 0
                and compared.query_percent >= policy.vpdq_query_percent
                and compared.compared_percent >= policy.vpdq_compared_percent
            ):
                key = (entry.case, entry.list, VPDQ)
                if key not in found or found[key].distance > compared.distance:
                    found[key] = Match(
                        entry.case, entry.list, VPDQ, compared.distance, compared, entry.origin
                    )
    ordered = sorted(found.values(), key=lambda m: (m.distance, m.case or "", m.list, m.signal))
    return MatchResult(name, query, tuple(ordered), note)


# --- who may do what ----------------------------------------------------------------------------

#: Who opens removal cases and lists their content: the people who work cases at an authority.
CASE_ROLES = frozenset({Role.DRAFTER, Role.OFFICER_24_7, Role.EXAMINER})
#: Who may match content against the lists: those, auditors (who change nothing), and
#: matchers (a platform's or hotline's integration, which may do nothing else).
MATCH_ROLES = CASE_ROLES | {Role.AUDITOR, Role.MATCHER}


def authority_of_case_worker(user: User) -> str:
    """The authority ``user`` works removal cases for; refused unless they may."""
    if user.authority is None or not user.has_any(CASE_ROLES):
        raise PermissionDeniedError(
            f"user {user.id} may not work removal cases: it takes an authority's drafter, "
            "24/7 officer or examiner"
        )
    return user.authority.code


def check_matcher(user: User) -> None:
    """Refuse ``user`` unless they may match content against the node's lists."""
    if user.authority is None or not user.has_any(MATCH_ROLES):
        raise PermissionDeniedError(f"user {user.id} may not match content against hash lists")


def visible_case(case: RemovalCase | None, reference: str, authority: str) -> RemovalCase:
    """``case`` if ``authority`` opened it; another authority's case answers as a missing one."""
    if case is None or case.authority != authority:
        raise NotFoundError(f"no removal case {reference} of {authority} on this node")
    return case
