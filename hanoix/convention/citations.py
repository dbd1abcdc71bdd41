"""Every article reference in the data, gathered in one walk.

:func:`all_citations` is how the CLI and the API answer "which rules rest on this article?",
and how the tests check that every reference points at an article that exists. A new kind of
data must be added to the walk here to be seen by either.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

from hanoix.convention.articles import ARTICLE_COUNT, Article, Chapter, article, chapter
from hanoix.convention.assistance import (
    CONTACT_24_7_ASSISTANCE,
    COOPERATION_SCOPE,
    MLA_PROCEDURE,
    MLA_PURPOSES,
)
from hanoix.convention.checks import kind_specs
from hanoix.convention.final_provisions import FINAL_PROVISIONS
from hanoix.convention.kinds import KindSpec
from hanoix.convention.notifications import NOTIFICATIONS
from hanoix.convention.offences import EXTRADITION_THRESHOLD, OFFENCES, SERIOUS_CRIME_THRESHOLD
from hanoix.convention.periods import Period
from hanoix.convention.powers import POWERS, PROCEDURAL_SCOPE, SAFEGUARDS
from hanoix.convention.refs import Art, Basis
from hanoix.convention.rules import Provision
from hanoix.convention.sources import reference_basis
from hanoix.errors import InputError


@dataclass(frozen=True)
class Citation:
    """One rule of the data and the article it cites.

    ``source`` says where the rule lives (``kind preservation: content necessity``) so a lawyer
    can find the declaration to correct; ``text`` is the rule in words. ``basis`` is how sure
    the rule is; :attr:`reference_basis` how sure the reference itself is (the paragraph, or
    the article's number), from the source table: a verified rule may rest only on a verified
    reference.
    """

    art: Art
    basis: Basis
    source: str
    text: str

    @property
    def reference_basis(self) -> Basis:
        return reference_basis(self.art)

    def as_dict(self) -> dict[str, Any]:
        return {
            "article": str(self.art),
            "basis": self.basis.value,
            "reference_basis": self.reference_basis.value,
            "source": self.source,
            "text": self.text,
        }


def _period(source: str, period: Period) -> Citation:
    return Citation(
        period.art,
        period.basis,
        f"{source}: period {period.name}",
        f"{period.description}: {period}",
    )


def _provision(source: str, item: Provision) -> Citation:
    return Citation(item.art, item.basis, f"{source}: {item.code}", item.description)


def _kind(spec: KindSpec) -> Iterator[Citation]:
    source = f"kind {spec.code}"
    for art in spec.legal_basis:
        yield Citation(art, spec.basis, f"{source}: legal basis", spec.title)
    yield Citation(
        spec.channel_art,
        spec.channel_basis,
        f"{source}: channel",
        f"channel: {spec.channel.value}",
    )
    for content in spec.contents:
        yield Citation(
            content.art,
            content.basis,
            f"{source}: content {content.name}",
            f"{content.description} ({content.requirement.value})",
        )
    for ground in spec.refusal_grounds:
        yield Citation(
            ground.art,
            ground.basis,
            f"{source}: refusal ground {ground.code}",
            ground.description,
        )
    for ground in spec.excluded_grounds:
        yield Citation(
            ground.art,
            ground.basis,
            f"{source}: not a ground {ground.code}",
            f"{ground.description} is not a ground of refusal",
        )
    if spec.refusal_reasons is not None:
        yield _provision(source, spec.refusal_reasons)
    for period in spec.periods:
        yield _period(source, period)
    rule = spec.dual_criminality
    yield Citation(
        rule.art,
        rule.basis,
        f"{source}: dual criminality",
        f"dual criminality {rule.rule.value.replace('-', ' ')}",
    )
    for related in spec.related:
        yield Citation(
            related.art,
            related.basis,
            f"{source}: related {related.kind.value}",
            f"{related.relation.value.replace('-', ' ')}: {related.kind.value}",
        )


def _walk() -> Iterator[Citation]:
    for threshold in (SERIOUS_CRIME_THRESHOLD, EXTRADITION_THRESHOLD):
        yield _period("threshold", threshold)
    for offence in OFFENCES:
        source = f"offence {offence.code}"
        yield Citation(offence.art, offence.basis, source, offence.description)
        for element in offence.optional_elements:
            yield Citation(
                element.art, element.basis, f"{source}: optional element", element.description
            )
        if offence.reservation is not None:
            yield Citation(
                offence.reservation,
                offence.basis,
                f"{source}: reservation",
                f"a reservation to {offence.title.lower()} is permitted",
            )
    for item in PROCEDURAL_SCOPE:
        yield _provision("procedural scope", item)
    for item in SAFEGUARDS:
        yield _provision("safeguard", item)
    for power in POWERS:
        source = f"power {power.code}"
        yield Citation(power.art, power.basis, source, power.description)
        for limit in power.limits:
            yield _period(source, limit)
        if power.reservation is not None:
            yield Citation(
                power.reservation,
                power.basis,
                f"{source}: reservation",
                f"a reservation may limit {power.title.lower()}",
            )
    for item in COOPERATION_SCOPE:
        yield _provision("cooperation scope", item)
    for item in MLA_PURPOSES:
        yield _provision("mla purpose", item)
    for item in MLA_PROCEDURE:
        yield _provision("mla procedure", item)
    for item in CONTACT_24_7_ASSISTANCE:
        yield _provision("24/7 assistance", item)
    for spec in kind_specs():
        yield from _kind(spec)
    for notification in NOTIFICATIONS:
        yield Citation(
            notification.art,
            notification.basis,
            f"notification {notification.code}",
            notification.description,
        )
    for constant in FINAL_PROVISIONS:
        if isinstance(constant, Period):
            yield _period("final provisions", constant)
        else:
            yield Citation(
                constant.art,
                constant.basis,
                f"final provisions: {constant.name}",
                constant.description,
            )


@cache
def all_citations() -> tuple[Citation, ...]:
    """Every article reference in the data (computed once: the data is immutable)."""
    return tuple(_walk())


def citing(reference: Art) -> tuple[Citation, ...]:
    """The rules citing ``reference`` or any paragraph or point inside it."""
    return tuple(item for item in all_citations() if reference.covers(item.art))


@dataclass(frozen=True)
class ArticleDetail:
    """An article, its chapter, and every rule of the data citing it (or the paragraph or
    point asked for)."""

    article: Article
    chapter: Chapter
    reference: Art
    rules: tuple[Citation, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.article.as_dict(),
            "chapter_roman": self.chapter.roman,
            "chapter_title": self.chapter.title,
            "reference": str(self.reference),
            "rules": [item.as_dict() for item in self.rules],
        }


def parse_reference(text: str) -> Art:
    """Read ``"40"``, ``"Art. 40(15)"`` or ``"40(15)(c)"``; raises :class:`InputError`."""
    try:
        return Art.parse(text)
    except ValueError:
        raise InputError(
            f"not an article reference: {text!r}; write a number from 1 to {ARTICLE_COUNT} "
            f"or a reference like 'Art. 40(15)'"
        ) from None


def article_detail(reference: int | str | Art) -> ArticleDetail:
    """The article ``reference`` points into, with the rules citing that reference.

    Raises :class:`InputError` for unreadable text and
    :class:`~hanoix.errors.NotFoundError` for an article outside 1 to 68.
    """
    if isinstance(reference, int):
        found = article(reference)  # raises first, so Art() never sees a number below 1
        ref = Art(reference)
    else:
        ref = reference if isinstance(reference, Art) else parse_reference(reference)
        found = article(ref.article)
    return ArticleDetail(found, chapter(found.chapter), ref, citing(ref))
