"""Kinds of international cooperation, declared as data, and the registry that holds them.

A kind of request is one :class:`KindSpec`: its legal basis, channel, required contents,
grounds of refusal (and grounds the Convention rules out), periods, dual-criminality rule and
related kinds. The declarations live in :mod:`hanoix.convention.cooperation`; the one engine
that reads them lives in :mod:`hanoix.convention.checks`. Adding a kind is adding a
:class:`RequestKind` member and a declaration; correcting a rule is editing a declaration.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hanoix.convention.periods import Period
from hanoix.convention.refs import Art, Basis
from hanoix.convention.rules import Provision
from hanoix.errors import NotFoundError


class RequestKind(StrEnum):
    """The kinds of cooperation a node handles; the codes are stable (stored and sent)."""

    MLA = "mla"  # Art. 40, general mutual legal assistance
    PRESERVATION = "preservation"  # Art. 42
    TRAFFIC_DISCLOSURE = "traffic-disclosure"  # Art. 43
    STORED_DATA_ACCESS = "stored-data-access"  # Art. 44
    REAL_TIME_TRAFFIC = "real-time-traffic"  # Art. 45
    INTERCEPTION = "interception"  # Art. 46
    EXTRADITION = "extradition"  # Art. 37
    SENTENCED_PERSON_TRANSFER = "sentenced-person-transfer"  # Art. 38
    PROCEEDINGS_TRANSFER = "proceedings-transfer"  # Art. 39
    SPONTANEOUS_INFORMATION = "spontaneous-information"  # Art. 40(4)-(5)
    LAW_ENFORCEMENT_COOPERATION = "law-enforcement-cooperation"  # Art. 47
    JOINT_INVESTIGATION = "joint-investigation"  # Art. 48
    CONFISCATION = "confiscation"  # Arts 49-52, chiefly 50


class Channel(StrEnum):
    """The channel a kind of request typically travels through."""

    CENTRAL_AUTHORITY = "central-authority"  # Art. 40(13)
    CONTACT_24_7 = "contact-24-7"  # Art. 41
    EITHER = "either"  # the 24/7 point of contact or the central authority
    # Direct between police or prosecution services (Art. 47 channels, Art. 48 agreements),
    # neither of the two designated authorities being required.
    COMPETENT_AUTHORITIES = "competent-authorities"


class Requirement(StrEnum):
    """How strongly a request must contain an item."""

    MANDATORY = "mandatory"  # always; missing is a problem
    CONDITIONAL = "conditional"  # mandatory when its condition holds
    WHERE_POSSIBLE = "where-possible"  # "where possible", "any available": never a problem
    IF_APPLICABLE = "if-applicable"  # "any particular procedure", "as appropriate"


class Predicate(StrEnum):
    """Named tests the engine knows; a :class:`Condition` refers to one by name.

    Each predicate answers "does the content apply to this request?" from the request's own
    fields (see :mod:`hanoix.convention.checks` for the field each one reads).
    """

    # Art. 40(15)(c): the facts are not needed when the only assistance sought is service of
    # judicial documents.
    NOT_ONLY_SERVICE_OF_DOCUMENTS = "not-only-service-of-documents"
    # A copy of the foreign order is needed only when the request asks that it be executed.
    EXECUTING_FOREIGN_ORDER = "executing-foreign-order"


@dataclass(frozen=True)
class Condition:
    """When a conditional content is required: a predicate the engine evaluates, in words."""

    predicate: Predicate
    description: str

    def as_dict(self) -> dict[str, Any]:
        return {"predicate": self.predicate.value, "description": self.description}


_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_KEBAB = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class RequiredContent:
    """One item a request of a kind must (or may) contain.

    ``name`` is the stable snake_case field name requests use; ``description`` is a noun phrase
    that completes "… is missing".
    """

    name: str
    description: str
    art: Art
    basis: Basis
    requirement: Requirement = Requirement.MANDATORY
    condition: Condition | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not _SNAKE.match(self.name):
            raise ValueError(f"content name {self.name!r} must be snake_case")
        if (self.requirement is Requirement.CONDITIONAL) != (self.condition is not None):
            raise ValueError(f"content {self.name!r}: a condition goes with 'conditional' only")

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "article": str(self.art),
            "basis": self.basis.value,
            "requirement": self.requirement.value,
            "condition": self.condition.as_dict() if self.condition else None,
            "note": self.note,
        }


@dataclass(frozen=True)
class RefusalGround:
    """A ground on which a request may be refused, or (in ``excluded_grounds``) may not be."""

    code: str
    description: str
    art: Art
    basis: Basis
    note: str = ""
    # The sources disagree on whether this ground exists for this kind; ``note`` says how.
    # A refusal on it is accepted, and the user is told (checks.refusal_cautions).
    contested: bool = False

    def __post_init__(self) -> None:
        if not _KEBAB.match(self.code):
            raise ValueError(f"ground code {self.code!r} must be kebab-case")
        if self.contested and not self.note:
            raise ValueError(f"ground {self.code!r}: say in the note why it is contested")

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "article": str(self.art),
            "basis": self.basis.value,
            "note": self.note,
            "contested": self.contested,
        }


class DualCriminalityRule(StrEnum):
    """Whether the conduct must be a crime in the requested State too."""

    NOT_REQUIRED = "not-required"
    MAY_BE_REQUIRED = "may-be-required"  # the requested State may insist on it
    REQUIRED = "required"


@dataclass(frozen=True)
class DualCriminality:
    """The dual-criminality rule of a kind. Where it is required, Art. 35(3) makes it a test
    of the underlying conduct, not of the offence's name or category."""

    rule: DualCriminalityRule
    art: Art
    basis: Basis
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "article": str(self.art),
            "basis": self.basis.value,
            "note": self.note,
        }


class Relation(StrEnum):
    """How another kind relates to this one."""

    FOLLOW_UP = "follow-up"  # normally follows this one (preservation -> stored-data access)
    ARISES_FROM = "arises-from"  # is made while executing the other one
    ALTERNATIVE = "alternative"  # may be used instead, or when this one is refused
    SPECIAL_FORM = "special-form"  # a special form of this one, with its own rules


@dataclass(frozen=True)
class RelatedKind:
    """A link to another kind, with the article that makes it."""

    kind: RequestKind
    relation: Relation
    art: Art
    basis: Basis

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "relation": self.relation.value,
            "article": str(self.art),
            "basis": self.basis.value,
        }


@dataclass(frozen=True)
class KindSpec:
    """The declaration of one kind of cooperation: everything the engine needs to check it.

    ``legal_basis`` lists the articles the kind rests on (first is the main one); ``basis`` is
    how sure the kind's own rules are. ``refusal_reasons`` is the rule that a refusal be
    reasoned; it is ``None`` only for kinds that cannot be refused (nothing was asked).
    """

    kind: RequestKind
    title: str
    summary: str
    legal_basis: tuple[Art, ...]
    basis: Basis
    channel: Channel
    channel_art: Art
    channel_basis: Basis
    urgent: bool
    contents: tuple[RequiredContent, ...]
    refusal_grounds: tuple[RefusalGround, ...]
    excluded_grounds: tuple[RefusalGround, ...]
    refusal_reasons: Provision | None
    periods: tuple[Period, ...]
    dual_criminality: DualCriminality
    related: tuple[RelatedKind, ...] = ()
    note: str = ""

    def __post_init__(self) -> None:
        if not self.legal_basis:
            raise ValueError(f"kind {self.kind}: give at least one article as legal basis")
        names = [content.name for content in self.contents]
        if len(names) != len(set(names)):
            raise ValueError(f"kind {self.kind}: content names repeat: {names}")
        allowed = {ground.code for ground in self.refusal_grounds}
        excluded = {ground.code for ground in self.excluded_grounds}
        if len(allowed) != len(self.refusal_grounds) or allowed & excluded:
            raise ValueError(f"kind {self.kind}: a ground is listed twice or both allowed and not")
        if self.refusal_grounds and self.refusal_reasons is None:
            raise ValueError(f"kind {self.kind}: refusable kinds need the reasons rule")

    @property
    def code(self) -> str:
        return self.kind.value

    @property
    def contents_inferred(self) -> bool:
        """True when the Convention (as known) lists no contents and all are inferred."""
        return all(content.basis is Basis.INFERRED for content in self.contents)

    def content(self, name: str) -> RequiredContent:
        """The content called ``name``; raises :class:`NotFoundError` with the valid names."""
        for item in self.contents:
            if item.name == name:
                return item
        valid = ", ".join(item.name for item in self.contents)
        raise NotFoundError(f"a {self.code} request has no content {name!r}; it has: {valid}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": self.title,
            "summary": self.summary,
            "legal_basis": [str(art) for art in self.legal_basis],
            "basis": self.basis.value,
            "channel": self.channel.value,
            "channel_article": str(self.channel_art),
            "channel_basis": self.channel_basis.value,
            "urgent": self.urgent,
            "contents_inferred": self.contents_inferred,
            "contents": [item.as_dict() for item in self.contents],
            "refusal_grounds": [item.as_dict() for item in self.refusal_grounds],
            "excluded_grounds": [item.as_dict() for item in self.excluded_grounds],
            "refusal_reasons": self.refusal_reasons.as_dict() if self.refusal_reasons else None,
            "periods": [item.as_dict() for item in self.periods],
            "dual_criminality": self.dual_criminality.as_dict(),
            "related": [item.as_dict() for item in self.related],
            "note": self.note,
        }


def suggest(given: str, options: Iterable[str]) -> str | None:
    """The option closest to ``given``, if any is close: whole codes first, then any
    kebab-case part of a code (so ``sovereinty`` finds ``sovereignty-security-ordre-public``).
    """
    choices = list(options)
    close = difflib.get_close_matches(given, choices, n=1)
    if close:
        return close[0]
    by_part = {part: option for option in choices for part in option.split("-") if len(part) > 3}
    close = difflib.get_close_matches(given, list(by_part), n=1, cutoff=0.75)
    return by_part[close[0]] if close else None


class KindRegistry:
    """The declared kinds, one per :class:`RequestKind`, in declaration order."""

    def __init__(self, specs: Iterable[KindSpec] = ()) -> None:
        self._specs: dict[RequestKind, KindSpec] = {}
        for spec in specs:
            self.register(spec)

    def register(self, spec: KindSpec) -> None:
        """Add a declaration; a kind is declared once."""
        if spec.kind in self._specs:
            raise ValueError(f"kind {spec.kind} is declared twice")
        self._specs[spec.kind] = spec

    def get(self, kind: RequestKind | str) -> KindSpec:
        """The declaration of ``kind``; an unknown code raises :class:`NotFoundError` that
        suggests the closest code and lists the valid ones."""
        try:
            key = RequestKind(kind)
        except ValueError:
            key = None
        spec = self._specs.get(key) if key is not None else None
        if spec is None:
            codes = [item.value for item in self._specs]
            close = suggest(str(kind), codes)
            hint = f"did you mean {close!r}? " if close else ""
            raise NotFoundError(
                f"unknown kind of request {str(kind)!r}; {hint}valid kinds: {', '.join(codes)}"
            )
        return spec

    def __iter__(self) -> Iterator[KindSpec]:
        return iter(self._specs.values())

    def __len__(self) -> int:
        return len(self._specs)

    def __contains__(self, kind: object) -> bool:
        return kind in self._specs
