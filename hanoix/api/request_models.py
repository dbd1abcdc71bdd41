"""The JSON shapes of cooperation requests at the node's edges: API bodies and CLI files.

One input format serves ``POST /api/v1/requests``, ``hanoix request new --from-file`` and
``hanoix request validate FILE``; ``hanoix request schema KIND`` prints it as JSON Schema for a
kind, with each content's article. Structure is checked by pydantic (strict booleans and
integers: ``"2"`` is not a number and ``1`` is not ``true``); what needs the Convention's words
(an unknown kind, a date written another way, an unknown State, a content the kind does not
have) is checked by :func:`to_draft`, which reports every problem at once, each with its field
and, where one applies, its article.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
)

from hanoix.convention import RequestKind, Requirement, kind_spec
from hanoix.convention.assistance import ConfiscationMeasure, MlaPurpose
from hanoix.convention.checks import MEASURE_FIELD, PURPOSES_FIELD
from hanoix.errors import InputError, Problem, UnknownStateError
from hanoix.requests import (
    Authority,
    Channel,
    CooperationRequest,
    DeadlineStatus,
    ExecutionReport,
    IncomingRequest,
    Party,
    Postponement,
    PreservationExtension,
    Refusal,
    RequestEdit,
    RequestReference,
    ValidationReport,
    limits,
    possible_actions,
    rulebook,
)
from hanoix.requests.references import check_state_code
from hanoix.requests.rulebook import ContentValue
from hanoix.services.requests import DraftInput, default_channel, state_zone
from hanoix.store.requests import RequestSummary, encode_condition, encode_consent
from hanoix.treaty.participants import lookup

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

ContentText = Annotated[StrictStr, Field(max_length=limits.MAX_CONTENT_CHARS)]
ContentItem = Annotated[StrictStr, Field(max_length=limits.MAX_CONTENT_ITEM_CHARS)]
ContentIn = (
    ContentText
    | StrictBool
    | Annotated[list[ContentItem], Field(max_length=limits.MAX_CONTENT_ITEMS)]
)
ContentName = Annotated[str, Field(max_length=64)]
#: A request holds at most as many contents as its kind has (a dozen): 64 is plenty.
MAX_CONTENTS = 64
DateText = Annotated[
    str,
    Field(
        max_length=32,
        description="a calendar date, YYYY-MM-DD",
        json_schema_extra={"format": "date"},
    ),
]
KINDS = [k.value for k in RequestKind]


def _rfc3339(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


# --- reading input --------------------------------------------------------------------------


class RequestDocument(BaseModel):
    """A new request, as a drafter writes it (the documented input format)."""

    model_config = ConfigDict(extra="forbid", title="Request")

    kind: str = Field(
        max_length=64, description="the kind of request", json_schema_extra={"enum": list(KINDS)}
    )
    requested_state: str = Field(
        description="the requested State, ISO 3166-1 alpha-3 (e.g. VNM)",
        min_length=1,
        max_length=limits.MAX_STATE_CHARS,
    )
    language: str = Field(
        description="ISO 639-1 language of the request (Art. 40(14): one the requested State "
        "accepts)",
        min_length=2,
        max_length=limits.MAX_LANGUAGE_CHARS,
    )
    proceeding: str = Field(
        default="",
        max_length=limits.MAX_PROCEEDING_CHARS,
        description="the investigation, prosecution or proceeding the request is made for "
        "(Art. 40(19) limits use to it)",
    )
    contents: dict[ContentName, ContentIn] = Field(
        default_factory=dict,
        max_length=MAX_CONTENTS,
        description="the contents the Convention requires for the kind; see "
        "GET /api/v1/requests/schema/{kind}. A text is at most "
        f"{limits.MAX_CONTENT_CHARS} characters, a list at most {limits.MAX_CONTENT_ITEMS} "
        f"items of {limits.MAX_CONTENT_ITEM_CHARS}; the whole request's text at most "
        f"{limits.MAX_REQUEST_TEXT_BYTES} bytes as UTF-8 JSON (docs/requests.md, Sizes)",
    )
    requesting_state: str | None = Field(
        default=None,
        max_length=limits.MAX_STATE_CHARS,
        description="the requesting State (default: the acting user's)",
    )
    requested_authority: str | None = Field(
        default=None,
        max_length=limits.MAX_AUTHORITY_CHARS,
        description="the authority addressed (default: the requested State's central authority, "
        "or its 24/7 point of contact for the 24/7 channel)",
    )
    channel: Channel | None = Field(
        default=None, description="how the request travels (default: from the kind)"
    )
    urgent: StrictBool = False
    restricted: StrictBool = Field(
        default=False, description="visible only to the handling authority"
    )
    legal_basis_other: str | None = Field(
        default=None,
        max_length=limits.MAX_LEGAL_BASIS_CHARS,
        description="another legal basis (bilateral treaty, reciprocity), needed where the "
        "Convention is not in force between the two States",
    )
    convention_offence: StrictBool | None = Field(
        default=None, description="the offence is one established under Arts 7-21 (Art. 42(5))"
    )
    dual_criminality: StrictBool | None = Field(
        default=None, description="the conduct is a crime in both States (Art. 35(3))"
    )
    preservation_days: StrictInt | None = Field(
        default=None, ge=1, le=3650, description="preservation asked for, in days (Art. 42(8))"
    )
    suggested_deadline: DateText | None = Field(
        default=None, description="date by which execution is asked, YYYY-MM-DD"
    )
    owner: str | None = Field(
        default=None, max_length=limits.MAX_USERNAME_CHARS, description="username in charge"
    )


def parse_date_field(
    value: str | None, field_name: str, article: str | None, problems: list[Problem]
) -> date | None:
    """``value`` as a date written exactly YYYY-MM-DD, or a problem naming the field."""
    if value is None:
        return None
    if _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.append(
        Problem(f"{value!r} is not a date: write YYYY-MM-DD", field=field_name, article=article)
    )
    return None


def _kind(value: str, problems: list[Problem]) -> RequestKind | None:
    try:
        return RequestKind(value)
    except ValueError:
        problems.append(
            Problem(f"unknown kind {value!r}; the kinds are: {', '.join(KINDS)}", field="kind")
        )
        return None


def _state(value: str | None, field_name: str, problems: list[Problem]) -> str | None:
    if value is None:
        return None
    try:
        check_state_code(value, what=field_name)
        return lookup(value).code
    except (UnknownStateError, InputError) as exc:
        problems.append(Problem(exc.message, field=field_name))
        return None


def _contents(
    kind: RequestKind | None, contents: Mapping[str, Any], problems: list[Problem]
) -> dict[str, ContentValue]:
    out: dict[str, ContentValue] = {
        name: tuple(value) if isinstance(value, list) else value for name, value in contents.items()
    }
    if kind is not None:
        problems.extend(rulebook.unknown_contents(kind, contents))
    return out


def to_draft(document: RequestDocument) -> DraftInput:
    """The service's input for ``document``; InputError listing every problem otherwise."""
    problems: list[Problem] = []
    kind = _kind(document.kind, problems)
    requested = _state(document.requested_state, "requested_state", problems)
    requesting = _state(document.requesting_state, "requesting_state", problems)
    deadline = parse_date_field(
        document.suggested_deadline,
        "suggested_deadline",
        str(rulebook.suggested_deadline_article()),
        problems,
    )
    contents = _contents(kind, document.contents, problems)
    if problems or kind is None or requested is None:
        first = problems[0]
        where = f"{first.field}: " if first.field else ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"the request document is not usable: {where}{first.message}{more}", problems=problems
        )
    return DraftInput(
        kind=kind,
        requested_state=requested,
        language=document.language.strip().lower(),
        proceeding=document.proceeding,
        contents=contents,
        requesting_state=requesting,
        requested_authority=document.requested_authority,
        channel=document.channel,
        urgent=document.urgent,
        restricted=document.restricted,
        legal_basis_other=document.legal_basis_other,
        convention_offence=document.convention_offence,
        dual_criminality=document.dual_criminality,
        preservation_days=document.preservation_days,
        suggested_deadline=deadline,
        owner=document.owner,
    )


def _envelope_articles() -> dict[str, str]:
    """The article behind a field of the request document outside its contents, if any."""
    return {
        "language": str(rulebook.language_article()),
        "channel": str(rulebook.channel_article()),
        "suggested_deadline": str(rulebook.suggested_deadline_article()),
        "preservation_days": str(rulebook.preservation_period_article()),
        "convention_offence": str(rulebook.preservation_reservation_article()),
        "legal_basis_other": str(rulebook.entry_into_force_article()),
    }


def schema_problems(
    error: ValidationError, model: type[BaseModel] = RequestDocument
) -> list[Problem]:
    """Pydantic's findings on a document, each with its field and, where a rule of the
    Convention is behind the field, its article; a missing field says what it is."""
    articles = _envelope_articles()
    problems: list[Problem] = []
    for item in error.errors():
        field_name = ".".join(str(part) for part in item["loc"]) or None
        message = str(item["msg"])
        top = str(item["loc"][0]) if item["loc"] else ""
        described = model.model_fields.get(top)
        if item["type"] == "missing" and described is not None and described.description:
            message = f"missing: {described.description}"
        problems.append(Problem(message, field=field_name, article=articles.get(top)))
    return problems


def content_gaps(data: object) -> list[Problem]:
    """The contents the Convention requires that a document lacks, read from the raw document,
    so that they are reported with the envelope's problems rather than after them."""
    if not isinstance(data, Mapping):
        return []
    try:
        kind = RequestKind(str(data.get("kind")))
    except ValueError:
        return []
    contents = data.get("contents", {})
    if not isinstance(contents, Mapping):
        return []
    provided: dict[str, ContentValue] = {
        str(name): tuple(value) if isinstance(value, list) else value
        for name, value in contents.items()
    }
    return rulebook.check_contents(kind, provided)


def all_problems(*groups: list[Problem]) -> list[Problem]:
    """Every problem of the groups, in order, each once."""
    seen: set[tuple[str | None, str]] = set()
    merged: list[Problem] = []
    for group in groups:
        for problem in group:
            key = (problem.field, problem.message)
            if key not in seen:
                seen.add(key)
                merged.append(problem)
    return merged


def to_incoming(document: IncomingIn, authority: Authority) -> IncomingRequest:
    """The received copy of a request that came outside the network (on paper, by e-mail),
    typed in by a clerk of ``authority``, which handles it; InputError naming every problem."""
    draft = to_draft(document)
    try:
        reference = RequestReference.parse(document.reference)
    except InputError as error:
        raise InputError(
            error.message, problems=[Problem(error.message, field="reference")]
        ) from None
    requesting = draft.requesting_state or document.requesting_state
    return IncomingRequest(
        reference=reference,
        kind=draft.kind,
        requesting=Party(
            requesting,
            document.requesting_authority,
            document.requesting_zone or state_zone(requesting),
        ),
        requested=Party(authority.state, authority.code, state_zone(authority.state)),
        handled_by=authority.code,
        channel=draft.channel or default_channel(draft),
        language=draft.language,
        proceeding=draft.proceeding,
        contents=draft.contents,
        urgent=draft.urgent,
        restricted=draft.restricted,
        legal_basis_other=draft.legal_basis_other,
        convention_offence=draft.convention_offence,
        dual_criminality=draft.dual_criminality,
        preservation_days=draft.preservation_days,
        suggested_deadline=draft.suggested_deadline,
    )


def _content_schema(kind: RequestKind) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for content in kind_spec(kind).contents:
        schema: dict[str, Any]
        if content.name == MEASURE_FIELD:
            schema = {"type": "string", "enum": [m.value for m in ConfiscationMeasure]}
        elif content.name.startswith("intent_"):
            schema = {"type": "boolean"}
        else:
            schema = {
                "anyOf": [
                    {"type": "string", "maxLength": limits.MAX_CONTENT_CHARS},
                    {"type": "boolean"},
                    {
                        "type": "array",
                        "items": {"type": "string", "maxLength": limits.MAX_CONTENT_ITEM_CHARS},
                        "maxItems": limits.MAX_CONTENT_ITEMS,
                    },
                ]
            }
        requirement = content.requirement.value
        if content.condition is not None:
            requirement += f" ({content.condition.description})"
        schema["description"] = f"{content.description} ({content.art}; {requirement})"
        schema["x-article"] = str(content.art)
        schema["x-requirement"] = content.requirement.value
        properties[content.name] = schema
    if kind is RequestKind.MLA:
        properties[PURPOSES_FIELD] = {
            "type": "array",
            "items": {"type": "string", "enum": [p.value for p in MlaPurpose]},
            "description": "the purposes of Art. 40(3) the request serves",
            "x-article": "Art. 40(3)",
        }
    required_somewhere = [
        c.name
        for c in kind_spec(kind).contents
        if c.requirement in (Requirement.MANDATORY, Requirement.CONDITIONAL)
    ]
    return {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
        "description": "the contents of the kind; a draft may be incomplete, and validation "
        "names each missing one with its article. Needed for a valid request: "
        + ", ".join(required_somewhere),
    }


def kind_schema(kind: RequestKind) -> dict[str, Any]:
    """The JSON Schema of a request of ``kind``: the input format, with each content's
    article and requirement (``x-article``, ``x-requirement``)."""
    schema = RequestDocument.model_json_schema()
    spec = kind_spec(kind)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"{spec.title} ({kind.value})"
    schema["description"] = (
        f"A request of kind '{kind.value}' ({', '.join(str(a) for a in spec.legal_basis)})."
    )
    properties = schema["properties"]
    properties["kind"] = {"const": kind.value, "description": "the kind of request"}
    properties["contents"] = _content_schema(kind)
    return schema


# --- step bodies ----------------------------------------------------------------------------


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(
        default=None, max_length=limits.MAX_NOTE_CHARS, description="why (required for some steps)"
    )


class EditIn(BaseModel):
    """Changes to a draft; absent fields stay as they are, an empty content removes it."""

    model_config = ConfigDict(extra="forbid")

    contents: dict[ContentName, ContentIn] = Field(default_factory=dict, max_length=MAX_CONTENTS)
    proceeding: str | None = Field(default=None, max_length=limits.MAX_PROCEEDING_CHARS)
    language: str | None = Field(default=None, max_length=limits.MAX_LANGUAGE_CHARS)
    channel: Channel | None = None
    urgent: StrictBool | None = None
    restricted: StrictBool | None = None
    legal_basis_other: str | None = Field(default=None, max_length=limits.MAX_LEGAL_BASIS_CHARS)
    convention_offence: StrictBool | None = None
    dual_criminality: StrictBool | None = None
    preservation_days: StrictInt | None = Field(default=None, ge=1, le=3650)
    suggested_deadline: DateText | None = None
    owner: str | None = Field(default=None, max_length=limits.MAX_USERNAME_CHARS)

    def payload(self, kind: RequestKind | None = None) -> RequestEdit:
        problems: list[Problem] = []
        deadline = parse_date_field(
            self.suggested_deadline,
            "suggested_deadline",
            str(rulebook.suggested_deadline_article()),
            problems,
        )
        contents = _contents(kind, self.contents, problems)
        _raise(problems)
        return RequestEdit(
            contents=contents,
            proceeding=self.proceeding,
            language=self.language,
            channel=self.channel,
            urgent=self.urgent,
            restricted=self.restricted,
            legal_basis_other=self.legal_basis_other,
            convention_offence=self.convention_offence,
            dual_criminality=self.dual_criminality,
            preservation_days=self.preservation_days,
            suggested_deadline=deadline,
            owner=self.owner,
        )


def _raise(problems: list[Problem]) -> None:
    if problems:
        first = problems[0]
        raise InputError(f"{first.field}: {first.message}", problems=problems)


class PostponeIn(NoteIn):
    until: DateText = Field(description="postponed until this date (requested State's calendar)")
    reason: str = Field(max_length=limits.MAX_NOTE_CHARS, description="why; mandatory")
    consulted: StrictBool = False

    def payload(self) -> Postponement:
        problems: list[Problem] = []
        until = parse_date_field(
            self.until, "until", str(rulebook.postponement_article()), problems
        )
        _raise(problems)
        assert until is not None
        return Postponement(until=until, reason=self.reason, consulted=self.consulted)


class RefuseIn(NoteIn):
    grounds: list[Annotated[StrictStr, Field(max_length=limits.MAX_LABEL_CHARS)]] = Field(
        max_length=limits.MAX_GROUNDS, description="codes of the grounds of refusal of the kind"
    )
    reasons: str = Field(max_length=limits.MAX_NOTE_CHARS, description="the reasons; mandatory")
    consulted: StrictBool = False

    def payload(self) -> Refusal:
        return Refusal(grounds=tuple(self.grounds), reasons=self.reasons, consulted=self.consulted)


class ExecuteIn(NoteIn):
    preserved_on: DateText | None = Field(
        default=None, description="for a preservation: the local date the data was preserved"
    )
    summary: str = Field(default="", max_length=limits.MAX_NOTE_CHARS)

    def payload(self) -> ExecutionReport:
        problems: list[Problem] = []
        preserved_on = parse_date_field(
            self.preserved_on,
            "preserved_on",
            str(rulebook.preservation_period_article()),
            problems,
        )
        _raise(problems)
        return ExecutionReport(preserved_on=preserved_on, summary=self.summary)


class ExtendIn(NoteIn):
    days: StrictInt = Field(ge=1, le=3650, description="days added to the preservation")
    reason: str = Field(default="", max_length=limits.MAX_NOTE_CHARS)

    def payload(self) -> PreservationExtension:
        return PreservationExtension(days=self.days, reason=self.reason)


class UseOnlyForProceedingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["use-only-for-proceeding"]
    proceeding: str = Field(min_length=1, max_length=limits.MAX_PROCEEDING_CHARS)


class NoOnwardTransferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["no-onward-transfer"]
    written: StrictBool = False


class KeepConfidentialIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["keep-confidential"]


class DeleteByIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["delete-by"]
    on: DateText


ConditionIn = Annotated[
    UseOnlyForProceedingIn | NoOnwardTransferIn | KeepConfidentialIn | DeleteByIn,
    Field(discriminator="type"),
]


class ConditionsIn(NoteIn):
    conditions: list[ConditionIn] = Field(min_length=1, max_length=32)


class UseConsentIn(NoteIn):
    type: Literal["use"]
    action: Literal["open", "export", "forward", "use_in_proceeding", "disclose_exculpatory"]
    proceeding: str | None = Field(default=None, max_length=limits.MAX_PROCEEDING_CHARS)
    recipient: str | None = Field(default=None, max_length=limits.MAX_LABEL_CHARS)
    written: StrictBool = False
    letter: str | None = Field(default=None, max_length=limits.MAX_LABEL_CHARS)


class RetentionConsentIn(NoteIn):
    type: Literal["retention"]
    until: DateText
    written: StrictBool = False
    letter: str | None = Field(default=None, max_length=limits.MAX_LABEL_CHARS)


ConsentIn = Annotated[UseConsentIn | RetentionConsentIn, Field(discriminator="type")]


class LinkIn(NoteIn):
    reference: str = Field(
        max_length=limits.MAX_REFERENCE_CHARS,
        description="the follow-up request's reference, e.g. AUT-2026-000124",
    )


class FollowUpIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str | None = Field(
        default=None,
        max_length=64,
        description="the follow-up's kind (default: access to stored data, Art. 44)",
        json_schema_extra={"enum": list(KINDS)},
    )
    contents: dict[ContentName, ContentIn] = Field(default_factory=dict, max_length=MAX_CONTENTS)


class UseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["open", "export", "forward", "use_in_proceeding", "disclose_exculpatory"]
    proceeding: str | None = Field(default=None, max_length=limits.MAX_PROCEEDING_CHARS)
    recipient: str | None = Field(default=None, max_length=limits.MAX_LABEL_CHARS)


class IncomingIn(RequestDocument):
    """A request that came from another State outside the network (on paper), typed in."""

    model_config = ConfigDict(extra="forbid", title="IncomingRequest")

    reference: str = Field(
        max_length=limits.MAX_REFERENCE_CHARS,
        description="the requesting State's reference, e.g. AUT-2026-000123",
    )
    requesting_state: str = Field(
        max_length=limits.MAX_STATE_CHARS, description="the requesting State, ISO 3166-1 alpha-3"
    )
    requesting_authority: str = Field(
        max_length=limits.MAX_AUTHORITY_CHARS, description="its authority's code"
    )
    requesting_zone: str | None = Field(
        default=None,
        max_length=limits.MAX_ZONE_CHARS,
        description="its IANA time zone (default: from the State)",
    )


# --- output ---------------------------------------------------------------------------------


class ProblemOut(BaseModel):
    field: str | None
    article: str | None
    message: str


class ValidationOut(BaseModel):
    """Findings of a validation, for one version of a request."""

    valid: bool
    version: int | None = None
    kind: str | None = None
    problems: list[ProblemOut] = Field(description="errors: they stop submit, approve and send")
    warnings: list[ProblemOut]

    @classmethod
    def of(
        cls, report: ValidationReport, *, kind: str | None = None, stored: bool = True
    ) -> ValidationOut:
        return cls(
            valid=not report.has_errors,
            version=report.version if stored else None,
            kind=kind,
            problems=[ProblemOut(**p.as_dict()) for p in report.errors],
            warnings=[ProblemOut(**p.as_dict()) for p in report.warnings],
        )


class PartyOut(BaseModel):
    state: str
    authority: str
    zone: str


class DeadlineOut(BaseModel):
    kind: str
    label: str
    due: str | None = Field(description="RFC 3339, UTC; null while held")
    state: Literal["overdue", "warning", "running", "held"]
    seconds_left: int | None
    owner: str
    article: str | None
    basis: str
    local: dict[str, str] = Field(description="the due time in each party's local time")
    held_by: str | None
    reference: str

    @classmethod
    def of(cls, status: DeadlineStatus) -> DeadlineOut:
        deadline = status.deadline
        return cls(
            kind=deadline.kind.value,
            label=deadline.label,
            due=_rfc3339(deadline.due) if deadline.due else None,
            state=status.state.value,
            seconds_left=int(status.time_left.total_seconds())
            if status.time_left is not None
            else None,
            owner=f"{deadline.owner.kind.value}:{deadline.owner.id}",
            article=str(deadline.article) if deadline.article else None,
            basis=deadline.basis,
            local={state: value.isoformat() for state, value in status.local.items()},
            held_by=str(deadline.held_by) if deadline.held_by else None,
            reference=str(deadline.reference),
        )


class HistoryEntryOut(BaseModel):
    seq: int
    action: str
    from_status: str | None
    to_status: str
    at: str
    side: str
    actor: str
    authority: str
    note: str | None
    details: dict[str, str]


class PreservationOut(BaseModel):
    starts_on: str
    zone: str
    days: int
    total_days: int
    expires_at: str
    extensions: list[dict[str, Any]]


class RequestOut(BaseModel):
    """A request as its reader may see it. ``version`` is also the ETag."""

    reference: str
    kind: str
    side: Literal["requesting", "requested"]
    status: str
    version: int
    requesting: PartyOut
    requested: PartyOut
    handled_by: str
    channel: str
    language: str
    urgent: bool
    restricted: bool
    legal_basis: str
    legal_basis_other: str | None
    convention_offence: bool | None
    dual_criminality: bool | None
    preservation_days: int | None
    suggested_deadline: str | None
    owner: str | None
    drafted_by: str | None
    authors: list[str]
    approved_by: str | None
    follows_up: str | None
    follow_ups: list[str]
    created_at: str
    updated_at: str
    proceeding: str
    contents: dict[str, str | bool | list[str]]
    preservation: PreservationOut | None
    conditions: list[dict[str, Any]]
    consents: list[dict[str, Any]]
    refusal: dict[str, Any] | None
    postponement: dict[str, Any] | None
    history: list[HistoryEntryOut]
    possible_actions: list[str]
    deadlines: list[DeadlineOut]
    validation: ValidationOut | None = None

    @classmethod
    def of(
        cls,
        request: CooperationRequest,
        deadlines: list[DeadlineStatus] | None = None,
        validation: ValidationReport | None = None,
    ) -> RequestOut:
        # The summary fields come from the request's loggable view (no personal data); the
        # personal ones are added here for the reader who may read the contents.
        view = request.loggable()
        preservation = request.preservation
        last = request.history[-1].at if request.history else request.created_at
        return cls(
            reference=view["reference"],
            kind=view["kind"],
            side=view["side"],
            status=view["status"],
            version=view["version"],
            requesting=PartyOut(**view["requesting"]),
            requested=PartyOut(**view["requested"]),
            handled_by=view["handled_by"],
            channel=view["channel"],
            language=view["language"],
            urgent=view["urgent"],
            restricted=view["restricted"],
            legal_basis=view["legal_basis"],
            legal_basis_other=view["legal_basis_other"],
            convention_offence=view["convention_offence"],
            dual_criminality=view["dual_criminality"],
            preservation_days=view["preservation_days"],
            suggested_deadline=view["suggested_deadline"],
            owner=view["owner"],
            drafted_by=view["drafted_by"],
            authors=view["authors"],
            approved_by=view["approved_by"],
            follows_up=view["follows_up"],
            follow_ups=view["follow_ups"],
            created_at=_rfc3339(request.created_at),
            updated_at=_rfc3339(last),
            proceeding=request.proceeding,
            contents={
                k: list(v) if isinstance(v, tuple) else v for k, v in request.contents.items()
            },
            preservation=None
            if preservation is None
            else PreservationOut(
                starts_on=preservation.starts_on.isoformat(),
                zone=preservation.zone,
                days=preservation.days,
                total_days=preservation.total_days,
                expires_at=_rfc3339(preservation.expires_at()),
                extensions=[{"days": e.days, "reason": e.reason} for e in preservation.extensions],
            ),
            conditions=[encode_condition(c) for c in request.conditions.conditions],
            consents=[encode_consent(c) for c in request.conditions.consents],
            refusal=None
            if request.refusal is None
            else {
                "grounds": list(request.refusal.grounds),
                "reasons": request.refusal.reasons,
                "consulted": request.refusal.consulted,
                # Grounds the sources contest for this kind: the refusal stands, the doubt shows.
                "cautions": [
                    p.as_dict()
                    for p in rulebook.refusal_cautions(request.kind, request.refusal.grounds)
                ],
            },
            postponement=None
            if request.postponement is None
            else {
                "until": request.postponement.until.isoformat(),
                "reason": request.postponement.reason,
                "consulted": request.postponement.consulted,
            },
            history=[
                HistoryEntryOut(
                    seq=e.seq,
                    action=e.action.value,
                    from_status=e.from_status.value if e.from_status else None,
                    to_status=e.to_status.value,
                    at=_rfc3339(e.at),
                    side=e.side.value,
                    actor=e.actor,
                    authority=e.authority,
                    note=e.note,
                    details=dict(e.details),
                )
                for e in request.history
            ],
            possible_actions=[a.value for a in possible_actions(request.status)],
            deadlines=[DeadlineOut.of(s) for s in deadlines or []],
            validation=ValidationOut.of(validation, kind=request.kind.value)
            if validation is not None
            else None,
        )


class SummaryOut(BaseModel):
    """A row of a list: no contents, no personal data."""

    reference: str
    kind: str
    side: str
    requesting_state: str
    requested_state: str
    status: str
    handled_by: str
    restricted: bool
    urgent: bool
    next_deadline: str | None
    follows_up: str | None
    created_at: str
    updated_at: str
    version: int

    @classmethod
    def of(cls, row: RequestSummary) -> SummaryOut:
        return cls(
            reference=row.reference,
            kind=row.kind,
            side=row.side,
            requesting_state=row.requesting_state,
            requested_state=row.requested_state,
            status=row.status,
            handled_by=row.handled_by,
            restricted=row.restricted,
            urgent=row.urgent,
            next_deadline=_rfc3339(row.next_deadline) if row.next_deadline else None,
            follows_up=row.follows_up,
            created_at=_rfc3339(row.created_at),
            updated_at=_rfc3339(row.updated_at),
            version=row.version,
        )


class PageOut(BaseModel):
    items: list[SummaryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


class FollowUpOut(BaseModel):
    follow_up: RequestOut
    preservation_reference: str
    preservation_version: int


class ProofOut(BaseModel):
    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    audit_path: list[str]
    checkpoint: str


class HistoryStepOut(BaseModel):
    seq: int
    action: str
    from_status: str | None
    to_status: str
    side: str
    actor: str
    authority: str
    at: str
    ledger_index: int
    event: dict[str, Any] = Field(description="the custody event; its RFC 8785 form is the leaf")
    entry_matches: bool = Field(description="the event hashes to the proved leaf")
    proof: ProofOut


class HistoryOut(BaseModel):
    reference: str
    version: int
    tree_size: int
    steps: list[HistoryStepOut]


class UseOut(BaseModel):
    allowed: Literal[True]
    action: str
    notice: Literal["sent", "by-other-means"] | None = Field(
        default=None,
        description="for an exculpatory disclosure (Art. 40(19)): the notice to the requested "
        "State went to its node, or must be given another way before disclosing",
    )


class ReceivedEvidenceOut(BaseModel):
    """A package the other State returned for a request, verified when it arrived."""

    reference: str
    package_id: str = Field(description="the package's id (sha256: of its signed part)")
    sha256: str = Field(description="SHA-256 of the whole package file, hex")
    size: int = Field(description="the package file's size in bytes")
    sender: str = Field(description="the node that sent it")
    received_at: str
    envelope_id: str
