"""The UN Convention against Cybercrime as data: pure, typed, with no I/O.

Every rule carries its article (:class:`Art`) and how it is known (:class:`Basis`, from the
labels of ``shared/convention/FACTS.md``). Correcting a rule is editing the declaration that
holds it; see ``docs/convention.md``.

Submodules: :mod:`.articles` (chapters and articles), :mod:`.offences`, :mod:`.powers`,
:mod:`.kinds` (the shape of a kind of request), :mod:`.cooperation` (the declarations),
:mod:`.checks` (the engine), :mod:`.assistance` (purposes, 24/7 tasks, MLA grounds),
:mod:`.notifications`, :mod:`.final_provisions`, :mod:`.citations`.
"""

from __future__ import annotations

from hanoix.convention.articles import (
    ARTICLES,
    CHAPTERS,
    Article,
    Chapter,
    article,
    articles,
    chapter,
)
from hanoix.convention.checks import (
    check_contents,
    check_refusal_grounds,
    ensure_contents,
    ensure_refusal_grounds,
    kind_spec,
    kind_specs,
    refusal_cautions,
)
from hanoix.convention.citations import (
    ArticleDetail,
    Citation,
    all_citations,
    article_detail,
    citing,
    parse_reference,
)
from hanoix.convention.kinds import (
    Channel,
    Condition,
    DualCriminality,
    DualCriminalityRule,
    KindRegistry,
    KindSpec,
    Predicate,
    RefusalGround,
    RelatedKind,
    Relation,
    RequestKind,
    RequiredContent,
    Requirement,
)
from hanoix.convention.notifications import NotificationKind, NotificationSpec, notification
from hanoix.convention.periods import Bound, Period, TimeUnit
from hanoix.convention.refs import Art, Basis
from hanoix.convention.rules import Provision, Rule

__all__ = [
    "ARTICLES",
    "CHAPTERS",
    "Art",
    "Article",
    "ArticleDetail",
    "Basis",
    "Bound",
    "Channel",
    "Chapter",
    "Citation",
    "Condition",
    "DualCriminality",
    "DualCriminalityRule",
    "KindRegistry",
    "KindSpec",
    "NotificationKind",
    "NotificationSpec",
    "Period",
    "Predicate",
    "Provision",
    "RefusalGround",
    "RelatedKind",
    "Relation",
    "RequestKind",
    "RequiredContent",
    "Requirement",
    "Rule",
    "TimeUnit",
    "all_citations",
    "article",
    "article_detail",
    "articles",
    "chapter",
    "check_contents",
    "check_refusal_grounds",
    "citing",
    "ensure_contents",
    "ensure_refusal_grounds",
    "kind_spec",
    "kind_specs",
    "notification",
    "parse_reference",
    "refusal_cautions",
]
