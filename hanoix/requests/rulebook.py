"""The requests module's one window on :mod:`hanoix.convention`.

Every rule a request obeys (required contents, grounds of refusal, periods, dual criminality,
the paragraphs of Art. 40 a step cites) is read here from the convention module's declarations;
nothing is restated. When the convention module corrects a paragraph number (for instance the
shift of Art. 40's later paragraphs), requests cite the corrected one without a change here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache

from hanoix.convention import (
    DualCriminalityRule,
    KindSpec,
    NotificationKind,
    Period,
    Relation,
    RequestKind,
    checks,
    kind_spec,
    notification,
)
from hanoix.convention.assistance import MLA_PROCEDURE
from hanoix.convention.final_provisions import ENTRY_INTO_FORCE_DELAY
from hanoix.convention.kinds import Channel as KindChannel
from hanoix.convention.periods import Bound, TimeUnit
from hanoix.convention.refs import Art, Basis
from hanoix.errors import Problem

ContentValue = str | bool | tuple[str, ...]
"""A content of a request: text, a yes/no statement, or a list of codes (purposes)."""

# The reservation a requested State may make on preservation for non-Convention offences.
PRESERVATION_RESERVATION = NotificationKind.RESERVATION_PRESERVATION_DUAL_CRIMINALITY


def spec(kind: RequestKind) -> KindSpec:
    """The convention module's declaration of ``kind``."""
    return kind_spec(kind)


def content_names(kind: RequestKind) -> frozenset[str]:
    """Names of every content the declaration of ``kind`` lists (required or not)."""
    return frozenset(content.name for content in spec(kind).contents)


def unknown_contents(kind: RequestKind, names: Iterable[str]) -> list[Problem]:
    """A problem for each of ``names`` that a request of ``kind`` cannot hold, citing the
    kind's legal basis: a content of another kind is a mistake, not something to keep."""
    known = content_names(kind) | {checks.PURPOSES_FIELD, checks.MEASURE_FIELD}
    article = str(legal_basis_article(kind))
    return [
        Problem(
            f"a '{kind.value}' request has no content {name!r}; its contents are: "
            f"{', '.join(sorted(content_names(kind)))}",
            field=content_path(name),
            article=article,
        )
        for name in names
        if name not in known
    ]


#: Where a request holds its contents: a content's field path is ``contents.<name>``.
CONTENTS = "contents"


def content_path(name: str) -> str:
    """The path of content ``name`` in a request (and in the request document)."""
    return f"{CONTENTS}.{name}"


def check_contents(kind: RequestKind, provided: Mapping[str, ContentValue]) -> list[Problem]:
    """Every required content of ``kind`` missing from ``provided`` (the convention engine),
    each named by its path in the request (``contents.<name>``), as unknown contents are."""
    return [
        replace(problem, field=content_path(problem.field or ""))
        for problem in checks.check_contents(kind, provided)
    ]


def check_refusal_grounds(kind: RequestKind, codes: Iterable[str]) -> list[Problem]:
    """Problems with refusal grounds ``codes`` for ``kind`` (the convention engine)."""
    return checks.check_refusal_grounds(kind, codes)


def refusal_cautions(kind: RequestKind, codes: Iterable[str]) -> list[Problem]:
    """Grounds given that the sources contest for ``kind`` (the convention engine)."""
    return checks.refusal_cautions(kind, codes)


def legal_basis_article(kind: RequestKind) -> Art:
    """The main article a kind of request rests on."""
    return spec(kind).legal_basis[0]


def refusal_article(kind: RequestKind) -> Art:
    """The paragraph that lists the grounds of refusal for ``kind`` (its legal basis when the
    kind cannot be refused)."""
    grounds = spec(kind).refusal_grounds
    if not grounds:
        return legal_basis_article(kind)
    art = grounds[0].art
    return Art(art.article, art.paragraph)


def reasons_article(kind: RequestKind) -> Art:
    """The rule that a refusal of ``kind`` gives reasons."""
    reasons = spec(kind).refusal_reasons
    return reasons.art if reasons is not None else legal_basis_article(kind)


@cache
def procedure_article(code: str) -> Art:
    """The paragraph of Art. 40 behind procedural rule ``code`` (``"postponement"``, ...)."""
    return _procedure(code).art


@dataclass(frozen=True)
class Cited:
    """A rule as a finding or a form cites it: its article and how sure it is."""

    art: Art
    basis: Basis


def _procedure(code: str) -> Cited:
    for provision in MLA_PROCEDURE:
        if provision.code == code:
            return Cited(provision.art, provision.basis)
    raise KeyError(f"the convention module declares no procedural rule {code!r}")


@cache
def envelope_rules() -> Mapping[str, Cited]:
    """The rule behind each field of a request outside its contents that has one, by the
    field's name: what a finding on the field, and a form asking for it, cite. Read from the
    convention module's declarations, so a corrected paragraph or basis shows everywhere."""
    languages = notification(NotificationKind.LANGUAGES)
    channels = notification(NotificationKind.CENTRAL_AUTHORITY)
    reservation = notification(PRESERVATION_RESERVATION)
    period = _preservation()
    return {
        "language": Cited(languages.art, languages.basis),
        "channel": Cited(channels.art, channels.basis),
        "proceeding": _procedure("limits-on-use"),
        "suggested_deadline": _procedure("execute-promptly"),
        "preservation_days": Cited(period.art, period.basis),
        "convention_offence": Cited(reservation.art, reservation.basis),
        "legal_basis_other": Cited(entry_into_force_article(), ENTRY_INTO_FORCE_DELAY.basis),
    }


def dual_criminality_rule(kind: RequestKind) -> Cited:
    """The article and basis of the dual-criminality rule of ``kind``."""
    rule = spec(kind).dual_criminality
    return Cited(rule.art, rule.basis)


def language_article() -> Art:
    """Languages a State accepts for requests (Art. 40(14))."""
    return notification(NotificationKind.LANGUAGES).art


def channel_article() -> Art:
    """Channels of requests: central authorities, or as the requested State requires."""
    return notification(NotificationKind.CENTRAL_AUTHORITY).art


def postponement_article() -> Art:
    """Postponement only where execution would interfere with ongoing proceedings."""
    return procedure_article("postponement")


def suggested_deadline_article() -> Art:
    """Execute as soon as possible, taking account of the deadlines the requesting State
    suggests; the requesting State says promptly when assistance is no longer needed."""
    return procedure_article("execute-promptly")


def entry_into_force_article() -> Art:
    """The article on entry into force, which decides whether the Convention applies."""
    return Art(ENTRY_INTO_FORCE_DELAY.art.article)


def preservation_period(kind: RequestKind) -> Period | None:
    """The minimum period (in days) during which a request of ``kind`` keeps data preserved,
    or ``None`` if the kind preserves nothing."""
    for period in spec(kind).periods:
        if period.bound is Bound.MINIMUM and period.unit is TimeUnit.DAYS:
            return period
    return None


def is_preservation(kind: RequestKind) -> bool:
    """Whether a request of ``kind`` preserves data for a minimum period (Art. 42)."""
    return preservation_period(kind) is not None


def _preservation() -> Period:
    period = preservation_period(RequestKind.PRESERVATION)
    if period is None:
        raise LookupError("the convention module declares no preservation period")
    return period


def preservation_minimum_days(kind: RequestKind = RequestKind.PRESERVATION) -> int:
    """The Convention's minimum preservation period in days (60, Art. 42(8))."""
    period = preservation_period(kind) or _preservation()
    return period.amount


def preservation_period_article(kind: RequestKind = RequestKind.PRESERVATION) -> Art:
    """The article of the minimum preservation period (Art. 42(8))."""
    period = preservation_period(kind) or _preservation()
    return period.art


def extension_article() -> Art:
    """Extension of a preservation before its period ends.

    FACTS.md §6.7 recalls it as Art. 42(9), unverified; the convention module mentions it only
    in the note of the preservation period, so the reference is built from that period's
    article here rather than declared a second time as a rule.
    """
    return Art(preservation_period_article().article, 9)


def preservation_reservation_article() -> Art:
    """The reservation on preservation for non-Convention offences (Art. 42(5))."""
    return notification(PRESERVATION_RESERVATION).art


def dual_criminality(kind: RequestKind) -> DualCriminalityRule:
    """Whether dual criminality is required, may be required, or not, for ``kind``."""
    return spec(kind).dual_criminality.rule


def dual_criminality_article(kind: RequestKind) -> Art:
    """The article behind the dual-criminality rule of ``kind``."""
    return spec(kind).dual_criminality.art


def follow_up_kinds(kind: RequestKind) -> tuple[RequestKind, ...]:
    """The kinds that normally follow up ``kind``, in the declaration's order."""
    return tuple(r.kind for r in spec(kind).related if r.relation is Relation.FOLLOW_UP)


def default_follow_up_kind(kind: RequestKind = RequestKind.PRESERVATION) -> RequestKind:
    """The kind drafted by default to follow up a preservation (access to stored data)."""
    kinds = follow_up_kinds(kind)
    if not kinds:
        raise LookupError(f"the convention module declares no follow-up for {kind}")
    return kinds[0]


def travels_through_24_7(kind: RequestKind) -> bool:
    """Whether ``kind`` may go through the 24/7 points of contact (Art. 41(3))."""
    return spec(kind).channel in (KindChannel.CONTACT_24_7, KindChannel.EITHER)


def travels_between_competent_authorities(kind: RequestKind) -> bool:
    """Whether ``kind`` goes directly between competent authorities (Arts 40(4), 47, 48)."""
    return spec(kind).channel is KindChannel.COMPETENT_AUTHORITIES
