"""The request document: the one format in which a person writes a cooperation request.

One document serves ``POST /api/v1/requests`` and ``/requests/validate``, ``hanoix request new
--from-file``, ``request validate FILE`` and ``request register``, and the web forms to come;
:func:`kind_schema` gives it as JSON Schema for a kind (``hanoix request schema KIND``,
``GET /api/v1/requests/schema/{kind}``), with each content's article. The API and the CLI both
read it here, so neither borrows the other's.

Structure is checked by pydantic (strict booleans and integers: ``"2"`` is not a number and
``1`` is not ``true``) and reported by :func:`schema_problems`; what needs the Convention's
words (an unknown kind, a date written another way, an unknown State, a content the kind does
not have) is checked by :func:`to_draft`. :func:`read_document` does both and adds every gap
the document's own words show (each content the kind requires, the proceeding), so that one
pass reports every problem, each with its field path, and where one applies its article and
basis.

The format is versioned (:data:`DOCUMENT_VERSION`, in the schema's ``$id`` and in a document's
optional ``document_version``); a document that names no version is read as the current one.
This module knows the core and pydantic only: no store, service, transport or interface.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from copy import copy
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    create_model,
    field_validator,
)
from pydantic.fields import FieldInfo

from hanoix.convention import RequestKind, Requirement, kind_spec
from hanoix.convention.assistance import MLA_PURPOSES, ConfiscationMeasure, MlaPurpose
from hanoix.convention.checks import MEASURE_FIELD, PURPOSES_FIELD
from hanoix.convention.kinds import Channel as KindChannel
from hanoix.convention.refs import Art
from hanoix.errors import InputError, Problem, UnknownStateError
from hanoix.requests import (
    CLEARABLE,
    TERM_NAMES,
    Authority,
    Channel,
    CooperationRequest,
    IncomingRequest,
    Party,
    RequestEdit,
    RequestReference,
    RequestTerms,
    RetentionConsent,
    StateProfile,
    UseAction,
    UseConsent,
    User,
    limits,
    rulebook,
)
from hanoix.requests.references import check_state_code
from hanoix.requests.rulebook import ContentValue
from hanoix.requests.validation import document_gaps
from hanoix.treaty.participants import all_participants, lookup, state_zone

#: The version of the request document. A document may name it (``document_version``); one
#: that does not is read as this version, so the documents written before it had a number
#: still read the same.
DOCUMENT_VERSION = 1


def schema_id(kind: RequestKind) -> str:
    """The ``$id`` of the JSON Schema of a document of ``kind``, naming the version."""
    return f"urn:hanoix:request-document:{DOCUMENT_VERSION}:{kind.value}"


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


# --- the documents --------------------------------------------------------------------------------


# The codes the treaty module knows (ISO 3166-1 alpha-3 and EUU): the document lists them,
# and the handler checks them with a message that says what to write.
# What RequestReference.parse reads (surrounding spaces are ignored).
REFERENCE_PATTERN = r"^\s*[A-Z]{3}-[0-9]{4}-[0-9]{6,}\s*$"
STATE_CODES: list[JsonValue] = [participant.code for participant in all_participants()]


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
        json_schema_extra={"enum": STATE_CODES},
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
        json_schema_extra={"enum": [*STATE_CODES, None]},
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
    urgent: StrictBool = Field(
        default=False,
        description="the request asks to be handled without delay (the 24/7 network carries "
        "urgent requests of the kinds it may, Art. 41)",
    )
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
    document_version: StrictInt | None = Field(
        default=None,
        description=f"the version of this format (default: the current one, {DOCUMENT_VERSION})",
        json_schema_extra={"enum": [DOCUMENT_VERSION, None]},
    )

    @field_validator("document_version")
    @classmethod
    def _known_version(cls, version: int | None) -> int | None:
        if version is not None and version != DOCUMENT_VERSION:
            raise ValueError(
                f"this node reads version {DOCUMENT_VERSION} of the request document, not {version}"
            )
        return version


class IncomingIn(RequestDocument):
    """A request that came from another State outside the network (on paper), typed in."""

    model_config = ConfigDict(extra="forbid", title="IncomingRequest")

    reference: str = Field(
        max_length=limits.MAX_REFERENCE_CHARS,
        description="the requesting State's reference, e.g. AUT-2026-000123",
        json_schema_extra={"pattern": REFERENCE_PATTERN},
    )
    requesting_state: str = Field(
        max_length=limits.MAX_STATE_CHARS,
        description="the requesting State, ISO 3166-1 alpha-3",
        json_schema_extra={"enum": STATE_CODES},
    )
    requesting_authority: str = Field(
        max_length=limits.MAX_AUTHORITY_CHARS, description="its authority's code"
    )
    requesting_zone: str | None = Field(
        default=None,
        max_length=limits.MAX_ZONE_CHARS,
        description="its IANA time zone (default: from the State)",
    )


#: The fields of a request document that an edit leaves as they are: the kind is the draft's
#: own (another kind is another request), and the version is the one this node reads.
FIXED_FIELDS = ("kind", "document_version")
#: The document's fields the service settles against the treaty data (the parties), not the
#: lifecycle's edit.
PARTY_FIELDS = ("requested_state", "requesting_state", "requested_authority")
# A null one of these goes back to what a new request gets: for the requesting State, the
# acting user's, which is the draft's own (the service refuses any other).
_DEFAULTED = frozenset({"requesting_state", "requested_authority", "channel"})


@dataclass(frozen=True)
class DraftChanges:
    """A draft's changes as a document gives them: ``edit``, which the lifecycle applies as it
    is, and the parties, which the service turns into the request's against the treaty data.
    ``defaulted`` names ``requesting_state``, ``requested_authority`` or ``channel`` given as
    null: each goes back to what a new request would get."""

    edit: RequestEdit
    requested_state: str | None = None
    requesting_state: str | None = None
    requested_authority: str | None = None
    defaulted: frozenset[str] = frozenset()


class _Changes(BaseModel):
    """What :data:`EditIn` reads besides its fields (which are the request document's)."""

    model_config = ConfigDict(extra="forbid")

    contents: dict[ContentName, ContentIn] = Field(default_factory=dict, max_length=MAX_CONTENTS)

    def payload(self, kind: RequestKind | None = None, *, strict: bool = False) -> DraftChanges:
        """The changes, each problem named by its field; a field given as null is unset
        (:data:`~hanoix.requests.CLEARABLE`) or back to its default (the authority, the
        channel), one that cannot be unset (the language) is left as it is, or with
        ``strict`` (a form, whose fields are emptied on purpose) refused by the edit."""
        problems: list[Problem] = []
        values = self.model_dump(exclude={"contents"})
        deadline = _suggested_deadline(values.pop("suggested_deadline"), problems)
        contents = _contents(kind, self.contents, problems)
        raise_if_problems(problems)
        parties = {name: values.pop(name) for name in PARTY_FIELDS}
        nulls = {name for name in self.model_fields_set if getattr(self, name) is None}
        # The edit's fields are this document's, by name; only the two read above differ.
        edit = RequestEdit(
            contents=contents,
            suggested_deadline=deadline,
            cleared=frozenset(nulls - _DEFAULTED if strict else nulls & CLEARABLE),
            **values,
        )
        return DraftChanges(edit, **parties, defaulted=frozenset(nulls & _DEFAULTED))


def _optional(field: FieldInfo) -> tuple[Any, Any]:
    """``field`` of the request document as a change: the same type and limits, absent by
    default."""
    annotation: Any = field.annotation
    if field.default_factory is not None:
        return annotation, field
    changed = copy(field)
    changed.default = None
    extra = field.json_schema_extra
    enum = extra.get("enum") if isinstance(extra, dict) else None
    if isinstance(extra, dict) and isinstance(enum, list):
        # The schema lists the values a field takes: null is one of them now.
        changed.json_schema_extra = {**extra, "enum": [*(v for v in enum if v is not None), None]}
    return annotation | None, changed


# The changes to a draft are the request document's fields, each optional, read from its one
# declaration: a field added to the document can be edited without a second list of fields.
_CHANGED_FIELDS: dict[str, Any] = {
    name: _optional(field)
    for name, field in RequestDocument.model_fields.items()
    if name not in (*FIXED_FIELDS, "contents")
}
EditIn: type[_Changes] = create_model(
    "EditIn",
    __base__=_Changes,
    __doc__="Changes to a draft: any field of the request document but its kind. Absent "
    "fields stay as they are; an empty content removes it; null unsets a field that may be "
    "unset (the legal basis, the statements, the period, the deadline, the owner) or gives "
    "the authority and channel a new request would get.",
    **_CHANGED_FIELDS,
)


# --- reading them ---------------------------------------------------------------------------------


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


def _suggested_deadline(value: str | None, problems: list[Problem]) -> date | None:
    """The date by which execution is asked, as a document (or a draft's changes) gives it."""
    rule = rulebook.envelope_rules()["suggested_deadline"]
    found = len(problems)
    deadline = parse_date_field(value, "suggested_deadline", str(rule.art), problems)
    problems[found:] = [replace(p, basis=rule.basis.value) for p in problems[found:]]
    return deadline


def raise_if_problems(problems: list[Problem]) -> None:
    """InputError naming the first of ``problems`` and carrying them all, if there are any."""
    if problems:
        first = problems[0]
        raise InputError(f"{first.field}: {first.message}", problems=problems)


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


@dataclass(frozen=True)
class DraftInput:
    """What a drafter supplies for a new request (the API body and the CLI's file map onto it):
    its kind, the requested State and its terms.

    ``requesting_state`` may be left out: it is the acting user's State. ``channel`` and
    ``requested_authority`` default from the kind and the requested State's profile.
    """

    kind: RequestKind
    requested_state: str
    terms: RequestTerms
    requesting_state: str | None = None
    requested_authority: str | None = None
    channel: Channel | None = None
    owner: str | None = None

    def fingerprint(self) -> str:
        """A digest of the whole input: the same body under one Idempotency-Key has the same."""
        # The terms are digested as fields of the input, as they were before they were a value
        # of their own: a retry across that change still matches the answer stored for it.
        data = asdict(self)
        data.update(data.pop("terms"))
        data["contents"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in self.terms.contents.items()
        }
        text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def default_channel(draft: DraftInput, profile: StateProfile | None = None) -> Channel:
    """The channel a request travels by when the drafter names none: the kind's (the 24/7
    network for preservation, and for urgent requests of kinds it may carry), else the
    requested State's preferred channel (central authorities by default)."""
    if draft.channel is not None:
        return draft.channel
    declared = kind_spec(draft.kind).channel
    urgent = draft.terms.urgent
    if declared is KindChannel.CONTACT_24_7 or (declared is KindChannel.EITHER and urgent):
        return Channel.CONTACT_24_7
    if declared is KindChannel.COMPETENT_AUTHORITIES:
        return Channel.COMPETENT_AUTHORITIES
    return profile.preferred_channel if profile is not None else Channel.CENTRAL_AUTHORITY


def to_draft(document: RequestDocument) -> DraftInput:
    """The service's input for ``document``; InputError listing every problem otherwise."""
    problems: list[Problem] = []
    kind = _kind(document.kind, problems)
    requested = _state(document.requested_state, "requested_state", problems)
    requesting = _state(document.requesting_state, "requesting_state", problems)
    deadline = _suggested_deadline(document.suggested_deadline, problems)
    contents = _contents(kind, document.contents, problems)
    if problems or kind is None or requested is None:
        first = problems[0]
        where = f"{first.field}: " if first.field else ""
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"the request document is not usable: {where}{first.message}{more}", problems=problems
        )
    # The terms are the document's fields of the same names, but for the three read above.
    read = {"language", "contents", "suggested_deadline"}
    terms = RequestTerms(
        **{name: getattr(document, name) for name in TERM_NAMES if name not in read},
        language=document.language.strip().lower(),
        contents=contents,
        suggested_deadline=deadline,
    )
    return DraftInput(
        kind=kind,
        requested_state=requested,
        terms=terms,
        requesting_state=requesting,
        requested_authority=document.requested_authority,
        channel=document.channel,
        owner=document.owner,
    )


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
        terms=draft.terms,
    )


def draft_document(request: CooperationRequest) -> dict[str, Any]:
    """The request document of a stored draft (JSON-shaped): every field a drafter gave or the
    node settled (the parties, the channel), what the drafting form shows to edit it."""
    terms = request.terms
    document: dict[str, Any] = {name: getattr(terms, name) for name in TERM_NAMES}
    document.update(
        kind=request.kind.value,
        requesting_state=request.requesting.state,
        requested_state=request.requested.state,
        requested_authority=request.requested.authority,
        channel=request.channel.value,
        owner=request.owner,
        suggested_deadline=terms.suggested_deadline.isoformat()
        if terms.suggested_deadline
        else None,
        contents={k: list(v) if isinstance(v, tuple) else v for k, v in terms.contents.items()},
    )
    return {name: value for name, value in document.items() if value is not None}


# --- problems -------------------------------------------------------------------------------------


def schema_problems(
    error: ValidationError, model: type[BaseModel] = RequestDocument
) -> list[Problem]:
    """Pydantic's findings on a document, each with its field and, where a rule of the
    Convention is behind the field, its article and basis; a missing field says what it is."""
    rules = rulebook.envelope_rules()
    problems: list[Problem] = []
    for item in error.errors():
        field_name = ".".join(str(part) for part in item["loc"]) or None
        message = str(item["msg"])
        top = str(item["loc"][0]) if item["loc"] else ""
        described = model.model_fields.get(top)
        if item["type"] == "missing" and described is not None and described.description:
            message = f"missing: {described.description}"
        rule = rules.get(top)
        problems.append(
            Problem(
                message,
                field=field_name,
                article=str(rule.art) if rule else None,
                basis=rule.basis.value if rule else None,
            )
        )
    return problems


def raw_gaps(data: object) -> list[Problem]:
    """The gaps a document's own words show (every content its kind requires and the
    proceeding, :func:`hanoix.requests.validation.document_gaps`), read from the raw document,
    so that they are reported with the envelope's problems rather than after them: only the
    kind needs to be readable."""
    if not isinstance(data, Mapping):
        return []
    try:
        kind = RequestKind(str(data.get("kind")))
    except ValueError:
        return []
    contents = data.get("contents", {})
    if not isinstance(contents, Mapping):
        contents = {}
    provided: dict[str, ContentValue] = {
        str(name): tuple(value) if isinstance(value, list) else value
        for name, value in contents.items()
    }
    proceeding = data.get("proceeding", "")
    return document_gaps(kind, provided, proceeding if isinstance(proceeding, str) else "")


@dataclass(frozen=True)
class DocumentReading:
    """A request document as read, before any treaty data is consulted.

    ``draft`` is the service's input when the document can be used, else ``None`` and
    ``unusable`` says why (a field missing or of the wrong type, an unknown kind or State, a
    date written another way). ``gaps`` are what the document lacks in its own words (every
    content the kind requires, the proceeding), found whether or not the rest is usable.
    """

    kind: RequestKind | None
    draft: DraftInput | None
    unusable: tuple[Problem, ...]
    gaps: tuple[Problem, ...]

    @property
    def problems(self) -> list[Problem]:
        """Every problem of a document that cannot be used: why, then every gap, each once."""
        return all_problems(list(self.unusable), list(self.gaps))


def read_document(data: object, model: type[RequestDocument] = RequestDocument) -> DocumentReading:
    """Read ``data`` (a parsed JSON document) as a request document of ``model``, collecting
    every problem in one pass: the schema's, the Convention's words' (:func:`to_draft`) and
    every gap. The CLI, the API and the web's drafting form all read documents here."""
    draft: DraftInput | None = None
    unusable: list[Problem] = []
    try:
        draft = to_draft(model.model_validate(data))
    except ValidationError as invalid:
        unusable = schema_problems(invalid, model)
    except InputError as refused:
        unusable = list(refused.problems) or [Problem(refused.message)]
    kind: RequestKind | None = draft.kind if draft is not None else None
    if kind is None and isinstance(data, Mapping):
        try:
            kind = RequestKind(str(data.get("kind")))
        except ValueError:
            kind = None
    return DocumentReading(kind, draft, tuple(unusable), tuple(raw_gaps(data)))


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


# --- the JSON Schema ------------------------------------------------------------------------------


# The purposes are a list of Art. 40(3)'s points; they are cited as the paragraph, with the
# basis the convention module gives its points (all the same).
_PURPOSES_ART = Art(MLA_PURPOSES[0].art.article, MLA_PURPOSES[0].art.paragraph)
_PURPOSES_BASIS = MLA_PURPOSES[0].basis


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
        schema["x-basis"] = content.basis.value
        schema["x-requirement"] = content.requirement.value
        if content.condition is not None:
            schema["x-condition"] = content.condition.description
        properties[content.name] = schema
    if kind is RequestKind.MLA:
        properties[PURPOSES_FIELD] = {
            "type": "array",
            "items": {"type": "string", "enum": [p.value for p in MlaPurpose]},
            "description": "the purposes of Art. 40(3) the request serves",
            "x-article": str(_PURPOSES_ART),
            "x-basis": _PURPOSES_BASIS.value,
            "x-requirement": Requirement.IF_APPLICABLE.value,
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
    article, its basis, requirement and condition (``x-article``, ``x-basis``,
    ``x-requirement``, ``x-condition``)."""
    schema = RequestDocument.model_json_schema()
    spec = kind_spec(kind)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = schema_id(kind)
    schema["title"] = f"{spec.title} ({kind.value})"
    schema["description"] = (
        f"A request of kind '{kind.value}' ({', '.join(str(a) for a in spec.legal_basis)})."
    )
    properties = schema["properties"]
    properties["kind"] = {"const": kind.value, "description": "the kind of request"}
    properties["contents"] = _content_schema(kind)
    return schema


# --- consents -------------------------------------------------------------------------------------


def granted_consent(
    user: User,
    now: datetime,
    *,
    use: UseAction | None = None,
    until: date | None = None,
    proceeding: str | None = None,
    recipient: str | None = None,
    written: bool = False,
    letter: str | None = None,
) -> UseConsent | RetentionConsent:
    """The consent ``user`` records now for their State: to one ``use``, or to keeping the
    material ``until`` a date (exactly one of the two). It is granted by the user's authority,
    or by the user where they act for none."""
    granted_by = user.authority.code if user.authority is not None else user.id
    if use is not None and until is None:
        return UseConsent(
            action=use,
            granted_by=granted_by,
            granted_at=now,
            proceeding=proceeding,
            recipient=recipient,
            written=written,
            letter=letter,
        )
    if until is not None and use is None:
        return RetentionConsent(
            until=until, granted_by=granted_by, granted_at=now, written=written, letter=letter
        )
    raise InputError("a consent is to one use or to keeping the material until a date")
