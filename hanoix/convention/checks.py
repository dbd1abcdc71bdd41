"""The one engine that checks a request against its kind's declaration.

:func:`check_contents` finds every missing required content and :func:`check_refusal_grounds`
every ground that cannot carry a refusal. Both return :class:`~hanoix.errors.Problem` lists that
name the field and the article, and both read nothing but the declarations in
:data:`hanoix.convention.cooperation.KINDS` (or a registry passed in), so adding or correcting
a kind never touches this module. The ``ensure_*`` variants raise
:class:`~hanoix.errors.RuleViolationError` for callers that stop at the first "no".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from collections.abc import Set as AbstractSet

from hanoix.convention.assistance import ConfiscationMeasure, MlaPurpose
from hanoix.convention.cooperation import KINDS
from hanoix.convention.kinds import (
    KindRegistry,
    KindSpec,
    Predicate,
    RequestKind,
    RequiredContent,
    Requirement,
    suggest,
)
from hanoix.convention.refs import Art
from hanoix.errors import Problem, RuleViolationError

# The request fields the predicates read. They are inputs of the check, not contents the
# Convention requires, which is why they are not declared among a kind's contents.
PURPOSES_FIELD = "assistance_purposes"  # Art. 40(3) purposes, as MlaPurpose codes
MEASURE_FIELD = "measure_sought"  # a ConfiscationMeasure code

GROUNDS_FIELD = "grounds"


def kind_spec(kind: RequestKind | str, *, registry: KindRegistry = KINDS) -> KindSpec:
    """The declaration of ``kind``; an unknown code raises NotFoundError with a suggestion."""
    return registry.get(kind)


def kind_specs(*, registry: KindRegistry = KINDS) -> tuple[KindSpec, ...]:
    """Every declared kind, in declaration order."""
    return tuple(registry)


def is_missing(value: object) -> bool:
    """Whether a provided value counts as absent.

    ``None``, blank text, empty collections and ``False`` are absent: a mandatory statement
    answered "no" (e.g. the intention to follow up a preservation) is not made.
    """
    if value is None or value is False:
        return True
    if isinstance(value, str | bytes):
        return not value.strip()
    if isinstance(value, Mapping | list | tuple | AbstractSet):
        return len(value) == 0
    return False


def _codes(value: object) -> set[str]:
    if isinstance(value, str):
        return {value}
    if isinstance(value, list | tuple | AbstractSet):
        return {str(item) for item in value}
    return set()


def _not_only_service_of_documents(provided: Mapping[str, object]) -> bool:
    # Unknown or absent purposes keep the summary required: the exception is never presumed.
    purposes = _codes(provided.get(PURPOSES_FIELD))
    return purposes != {MlaPurpose.SERVE_DOCUMENTS.value}


def _executing_foreign_order(provided: Mapping[str, object]) -> bool:
    return ConfiscationMeasure.EXECUTE_FOREIGN_ORDER.value in _codes(provided.get(MEASURE_FIELD))


# Each predicate says whether a conditional content applies to the request in hand.
PREDICATES: Mapping[Predicate, Callable[[Mapping[str, object]], bool]] = {
    Predicate.NOT_ONLY_SERVICE_OF_DOCUMENTS: _not_only_service_of_documents,
    Predicate.EXECUTING_FOREIGN_ORDER: _executing_foreign_order,
}


def applies(content: RequiredContent, provided: Mapping[str, object]) -> bool:
    """Whether ``content`` must be present in this request (mandatory, or its condition holds)."""
    if content.requirement is Requirement.MANDATORY:
        return True
    if content.requirement is Requirement.CONDITIONAL and content.condition is not None:
        return PREDICATES[content.condition.predicate](provided)
    return False


def check_contents(
    kind: RequestKind | str, provided: Mapping[str, object], *, registry: KindRegistry = KINDS
) -> list[Problem]:
    """Every required content of ``kind`` missing from ``provided``, in declaration order.

    Each problem names the field, the article and its basis, e.g. "Art. 40(15)(c): summary of
    the relevant facts is missing". Contents required only "where possible" or "if applicable"
    are never reported; conditional ones are reported when their condition holds.
    """
    spec = registry.get(kind)
    return [
        Problem(
            message=f"{content.art}: {content.description} is missing",
            field=content.name,
            article=str(content.art),
            basis=content.basis.value,
        )
        for content in spec.contents
        if applies(content, provided) and is_missing(provided.get(content.name))
    ]


def check_refusal_grounds(
    kind: RequestKind | str, codes: Iterable[str], *, registry: KindRegistry = KINDS
) -> list[Problem]:
    """Problems with the grounds given to refuse a request of ``kind``.

    No grounds at all, a ground the Convention rules out (bank secrecy, fiscal matters…) and a
    code not among the kind's grounds are each a problem; so is refusing a kind that asks
    nothing (spontaneous information).
    """
    spec = registry.get(kind)
    main = spec.legal_basis[0]
    if not spec.refusal_grounds or spec.refusal_reasons is None:
        return [
            Problem(
                f"{main}: {spec.title.lower()} is not a request; there is nothing to refuse",
                GROUNDS_FIELD,
                str(main),
            )
        ]
    given = list(dict.fromkeys(code.strip() for code in codes if code.strip()))
    if not given:
        reasons = spec.refusal_reasons
        return [
            Problem(
                f"{reasons.art}: {reasons.description}; name at least one ground of refusal",
                GROUNDS_FIELD,
                str(reasons.art),
            )
        ]
    allowed = {ground.code for ground in spec.refusal_grounds}
    excluded = {ground.code: ground for ground in spec.excluded_grounds}
    # Unknown codes point at the paragraph that lists the grounds.
    listing = _paragraph(spec.refusal_grounds[0].art)
    problems: list[Problem] = []
    for code in given:
        if code in allowed:
            continue
        ruled_out = excluded.get(code)
        if ruled_out is not None:
            problems.append(
                Problem(
                    f"{ruled_out.art}: {ruled_out.description} is not a ground of refusal",
                    GROUNDS_FIELD,
                    str(ruled_out.art),
                )
            )
            continue
        close = suggest(code, sorted(allowed))
        hint = f"did you mean {close!r}? " if close else ""
        problems.append(
            Problem(
                f"{listing}: {code!r} is not a ground of refusal for kind {spec.code!r}; "
                f"{hint}valid grounds: {', '.join(sorted(allowed))}",
                GROUNDS_FIELD,
                str(listing),
            )
        )
    return problems


def refusal_cautions(
    kind: RequestKind | str, codes: Iterable[str], *, registry: KindRegistry = KINDS
) -> list[Problem]:
    """What a user refusing ``kind`` on ``codes`` must be told, though the refusal stands:
    each ground given that the sources contest for this kind (the legal-system ground of
    preservation and disclosure, Arts 42(6) and 43), with its article and why."""
    spec = registry.get(kind)
    given = {code.strip() for code in codes}
    return [
        Problem(
            f"{ground.art}: the ground '{ground.code}' is contested for a {spec.code} request "
            f"(basis {ground.basis.value}): {ground.note}",
            GROUNDS_FIELD,
            str(ground.art),
        )
        for ground in spec.refusal_grounds
        if ground.contested and ground.code in given
    ]


def _paragraph(art: Art) -> Art:
    return Art(art.article, art.paragraph)


def ensure_contents(
    kind: RequestKind | str, provided: Mapping[str, object], *, registry: KindRegistry = KINDS
) -> None:
    """Raise :class:`RuleViolationError` listing every missing content, if any."""
    problems = check_contents(kind, provided, registry=registry)
    if problems:
        spec = registry.get(kind)
        count = f"{len(problems)} required content{'s' if len(problems) > 1 else ''}"
        raise RuleViolationError(
            f"the {spec.code} request is incomplete: {count} missing", problems=problems
        )


def ensure_refusal_grounds(
    kind: RequestKind | str, codes: Iterable[str], *, registry: KindRegistry = KINDS
) -> None:
    """Raise :class:`RuleViolationError` if the grounds cannot carry a refusal of ``kind``."""
    problems = check_refusal_grounds(kind, codes, registry=registry)
    if problems:
        raise RuleViolationError("the grounds given cannot carry a refusal", problems=problems)
