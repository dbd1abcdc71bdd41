"""``/convention``: the Convention as the node encodes it, read-only.

The data is the public text of a treaty, so these routes need no sign-in. Every rule comes
with its article and its basis; errors (an unknown article or kind) are the usual problem+json
documents from :mod:`hanoix.api.problems`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from hanoix.convention import (
    Basis,
    Bound,
    Channel,
    DualCriminalityRule,
    Relation,
    Requirement,
    TimeUnit,
    article_detail,
    articles,
    kind_spec,
    kind_specs,
)
from hanoix.convention.notifications import (
    NOTIFICATIONS,
    NotificationForm,
    Timing,
    ValueType,
)

router = APIRouter(prefix="/convention", tags=["convention"])

ArticleRef = Annotated[str, Field(description="an article reference, e.g. 'Art. 40(15)(c)'")]


class ArticleOut(BaseModel):
    number: int
    title: str
    chapter: int
    basis: Basis = Field(description="how the article's number and existence are known")
    title_basis: Basis = Field(description="how its short title is known")


class CitationOut(BaseModel):
    article: ArticleRef
    basis: Basis = Field(description="how sure the rule is")
    reference_basis: Basis = Field(
        description="how sure the reference is: the paragraph cited, or the article's number "
        "(a verified rule rests only on a verified reference)"
    )
    source: str = Field(description="where the rule lives in the data")
    text: str


class ArticleDetailOut(ArticleOut):
    chapter_roman: str
    chapter_title: str
    reference: ArticleRef
    rules: list[CitationOut] = Field(description="every rule of the data citing the article")


class ConditionOut(BaseModel):
    predicate: str
    description: str


class ContentOut(BaseModel):
    name: str = Field(description="the stable snake_case field name of a request")
    description: str
    article: ArticleRef
    basis: Basis
    requirement: Requirement
    condition: ConditionOut | None
    note: str


class GroundOut(BaseModel):
    code: str
    description: str
    article: ArticleRef
    basis: Basis
    note: str
    contested: bool = Field(
        description="the sources disagree on whether this ground exists for the kind; a "
        "refusal on it stands, with a caution"
    )


class ProvisionOut(BaseModel):
    code: str
    description: str
    article: ArticleRef
    basis: Basis
    note: str


class PeriodOut(BaseModel):
    name: str
    description: str
    amount: int
    unit: TimeUnit
    bound: Bound
    renewable: bool
    article: ArticleRef
    basis: Basis
    note: str


class DualCriminalityOut(BaseModel):
    rule: DualCriminalityRule
    article: ArticleRef
    basis: Basis
    note: str


class RelatedOut(BaseModel):
    kind: str
    relation: Relation
    article: ArticleRef
    basis: Basis


class KindOut(BaseModel):
    code: str
    title: str
    summary: str
    legal_basis: list[ArticleRef]
    basis: Basis
    channel: Channel
    channel_article: ArticleRef
    channel_basis: Basis
    urgent: bool
    contents_inferred: bool = Field(description="all contents are inferred, none listed")
    contents: list[ContentOut]
    refusal_grounds: list[GroundOut]
    excluded_grounds: list[GroundOut] = Field(description="grounds that may not be relied on")
    refusal_reasons: ProvisionOut | None
    periods: list[PeriodOut]
    dual_criminality: DualCriminalityOut
    related: list[RelatedOut]
    note: str


class NotificationFieldOut(BaseModel):
    name: str
    description: str
    type: ValueType
    required: bool


class NotificationOut(BaseModel):
    code: str
    form: NotificationForm
    title: str
    description: str
    article: ArticleRef
    timing: Timing
    fields: list[NotificationFieldOut]
    basis: Basis
    note: str


@router.get("/articles", response_model=list[ArticleOut], summary="The articles, with basis")
def list_articles(
    chapter: Annotated[int | None, Query(description="only this chapter (1 to 9)")] = None,
) -> list[ArticleOut]:
    return [ArticleOut.model_validate(item.as_dict()) for item in articles(chapter)]


@router.get(
    "/articles/{number}",
    response_model=ArticleDetailOut,
    summary="One article and every rule citing it",
)
def get_article(number: int) -> ArticleDetailOut:
    return ArticleDetailOut.model_validate(article_detail(number).as_dict())


@router.get("/kinds", response_model=list[KindOut], summary="Every kind of request, in full")
def list_kinds() -> list[KindOut]:
    return [KindOut.model_validate(spec.as_dict()) for spec in kind_specs()]


@router.get("/kinds/{code}", response_model=KindOut, summary="One kind of request")
def get_kind(code: str) -> KindOut:
    return KindOut.model_validate(kind_spec(code).as_dict())


@router.get(
    "/notifications",
    response_model=list[NotificationOut],
    summary="What a State notifies, declares or reserves",
)
def list_notifications() -> list[NotificationOut]:
    return [NotificationOut.model_validate(spec.as_dict()) for spec in NOTIFICATIONS]
