"""The drafting form of a kind of request, derived from its declaration: no form is written by
hand for any kind.

:func:`drafting_form` gives the ordered fields a form asks for: the envelope first (read from
the request document's JSON Schema, :func:`hanoix.documents.requests.kind_schema`), then every
content the convention module declares for the kind, in declaration order. Each field carries
its path in the request document, a label, a widget hint, whether and when it is needed, and
the article and basis of the rule behind it. :func:`place_findings` puts the findings of a
validation (:func:`hanoix.services.validation.validate_document_with`) next to the fields
they concern, so that a page shows every gap where it is.

Pure: no I/O, no store, no service. Adding a kind is adding its declaration; its form follows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from hanoix.convention import DualCriminalityRule, RequestKind, Requirement, kind_spec
from hanoix.documents.requests import DOCUMENT_VERSION, kind_schema
from hanoix.errors import Problem
from hanoix.requests import rulebook
from hanoix.requests.rulebook import CONTENTS, content_path


class Widget(StrEnum):
    """How a form asks for a field."""

    TEXT = "text"  # one line
    LONG_TEXT = "long-text"  # several lines
    DATE = "date"  # YYYY-MM-DD
    STATE = "state"  # an ISO 3166-1 alpha-3 code, from ``options``
    CHOICE = "choice"  # one of ``options``
    LIST = "list"  # any of ``options``
    YES_NO = "yes-no"  # a statement made or not
    NUMBER = "number"  # a whole number


class Need(StrEnum):
    """Whether a form must have a field filled before the request is valid."""

    REQUIRED = "required"  # always
    CONDITIONAL = "conditional"  # when ``condition`` holds
    WHERE_POSSIBLE = "where-possible"  # asked for, never an error
    IF_APPLICABLE = "if-applicable"  # given only when it applies
    OPTIONAL = "optional"  # a default applies


@dataclass(frozen=True)
class FormField:
    """One field of a drafting form.

    ``path`` is where the value goes in the request document (``language``,
    ``contents.summary_of_facts``) and the ``field`` of the findings on it; ``article`` and
    ``basis`` cite the rule behind it (``None`` where the Convention says nothing of it);
    ``condition`` says, in words, when a conditional field is needed.
    """

    path: str
    label: str
    widget: Widget
    need: Need
    help: str
    article: str | None = None
    basis: str | None = None
    condition: str | None = None
    options: tuple[str, ...] = ()
    max_length: int | None = None

    @property
    def is_content(self) -> bool:
        """Whether the field is one of the contents the Convention requires for the kind."""
        return self.path.startswith(f"{CONTENTS}.")

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "label": self.label,
            "widget": self.widget.value,
            "need": self.need.value,
            "condition": self.condition,
            "article": self.article,
            "basis": self.basis,
            "help": self.help,
            "options": list(self.options),
            "max_length": self.max_length,
        }


# Fields of the document a form does not ask for: the kind is the form's own, and the version
# is the one this node writes.
_NOT_ASKED = frozenset({"kind", "document_version", CONTENTS})

# A text longer than this is written on several lines.
_LONG_TEXT = 256


def _when(field_name: str, kind: RequestKind) -> tuple[Need, str | None] | None:
    """Whether an envelope field is needed for ``kind``, and when; ``None`` when the kind
    has no use for it. Read from the rules the validation applies, not from a list per kind."""
    if field_name in ("preservation_days", "convention_offence"):
        # The period of Art. 42(8) and the reservation of Art. 42(5) concern preservation only.
        if not rulebook.is_preservation(kind):
            return None
        return Need.OPTIONAL, None
    if field_name == "dual_criminality":
        if rulebook.dual_criminality(kind) is DualCriminalityRule.NOT_REQUIRED:
            return None
        return Need.OPTIONAL, None
    if field_name == "proceeding":
        return Need.REQUIRED, None  # validation's Art. 40(19) finding
    if field_name == "requesting_state":
        return Need.CONDITIONAL, "unless the acting user's State (or the node's) requests"
    if field_name == "legal_basis_other":
        return (
            Need.CONDITIONAL,
            "when the Convention does not apply between the two States on the day",
        )
    return None if field_name in _NOT_ASKED else (Need.OPTIONAL, None)


def _variant(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The non-null variant of an optional field's schema (``anyOf: [X, null]``)."""
    options = [option for option in schema.get("anyOf", ()) if option.get("type") != "null"]
    if len(options) != 1:
        return schema  # a content that may be text, a yes/no or a list: none is picked
    plain = {key: value for key, value in schema.items() if key != "anyOf"}
    return {**plain, **options[0]}


def _widget(
    schema: Mapping[str, Any], definitions: Mapping[str, Any]
) -> tuple[Widget, tuple[str, ...]]:
    if "$ref" in schema:
        schema = {**schema, **definitions[str(schema["$ref"]).rsplit("/", 1)[-1]]}
    enum = tuple(str(value) for value in schema.get("enum", ()) if value is not None)
    kind = schema.get("type")
    if kind == "array":
        items = schema.get("items", {})
        return Widget.LIST, tuple(str(v) for v in items.get("enum", ()))
    if kind == "boolean":
        return Widget.YES_NO, ()
    if kind == "integer":
        return Widget.NUMBER, ()
    if schema.get("format") == "date":
        return Widget.DATE, ()
    if enum:
        states = "ISO 3166-1" in str(schema.get("description", "")) or "State" in str(
            schema.get("title", "")
        )
        return (Widget.STATE if states else Widget.CHOICE), enum
    if "anyOf" in schema or int(schema.get("maxLength", 0)) > _LONG_TEXT:
        return Widget.LONG_TEXT, ()
    return Widget.TEXT, ()


def _label(text: str) -> str:
    words = text.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _envelope(kind: RequestKind, schema: Mapping[str, Any]) -> list[FormField]:
    rules = rulebook.envelope_rules()
    required = set(schema.get("required", ()))
    definitions = schema.get("$defs", {})
    fields: list[FormField] = []
    for name, raw in schema["properties"].items():
        when: tuple[Need, str | None] | None = (
            (Need.REQUIRED, None) if name in required and name not in _NOT_ASKED else None
        )
        when = when or _when(name, kind)
        if when is None:
            continue
        field_schema = _variant(raw)
        widget, options = _widget(field_schema, definitions)
        rule = rules.get(name)
        article = str(rule.art) if rule else None
        basis = rule.basis.value if rule else None
        if name == "dual_criminality":
            cited = rulebook.dual_criminality_rule(kind)
            article, basis = str(cited.art), cited.basis.value
        fields.append(
            FormField(
                path=name,
                label=str(raw.get("title") or _label(name)),
                widget=widget,
                need=when[0],
                condition=when[1],
                help=str(raw.get("description", "")),
                article=article,
                basis=basis,
                options=options,
                max_length=field_schema.get("maxLength"),
            )
        )
    return fields


_NEEDS = {
    Requirement.MANDATORY: Need.REQUIRED,
    Requirement.CONDITIONAL: Need.CONDITIONAL,
    Requirement.WHERE_POSSIBLE: Need.WHERE_POSSIBLE,
    Requirement.IF_APPLICABLE: Need.IF_APPLICABLE,
}


def _contents(kind: RequestKind, schema: Mapping[str, Any]) -> list[FormField]:
    spec = kind_spec(kind)
    declared = {content.name: content for content in spec.contents}
    fields: list[FormField] = []
    for name, raw in schema["properties"].items():
        widget, options = _widget(raw, {})
        content = declared.get(name)
        # A content's label and help are its declaration's words; an input the engine reads
        # (the purposes of Art. 40(3)) has only its schema's.
        label = _label(content.description if content else str(raw.get("description", name)))
        help_text = content.note if content else ""
        fields.append(
            FormField(
                path=content_path(name),
                label=label,
                widget=widget,
                need=_NEEDS[Requirement(str(raw.get("x-requirement")))],
                condition=raw.get("x-condition"),
                help=help_text,
                article=raw.get("x-article"),
                basis=raw.get("x-basis"),
                options=options,
                max_length=raw.get("maxLength"),
            )
        )
    return fields


@dataclass(frozen=True)
class DraftingForm:
    """The form of a kind of request: its title, legal basis and ordered fields."""

    kind: RequestKind
    title: str
    legal_basis: tuple[str, ...]
    basis: str
    document_version: int
    fields: tuple[FormField, ...]

    def field(self, path: str) -> FormField:
        """The field at ``path``; KeyError naming the paths otherwise."""
        for item in self.fields:
            if item.path == path:
                return item
        raise KeyError(f"no field {path!r}; the fields are: {', '.join(self.paths)}")

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(item.path for item in self.fields)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "title": self.title,
            "legal_basis": list(self.legal_basis),
            "basis": self.basis,
            "document_version": self.document_version,
            "fields": [item.as_dict() for item in self.fields],
        }


def drafting_form(kind: RequestKind) -> DraftingForm:
    """The ordered fields a drafting form of ``kind`` asks for: the envelope (from the request
    document's JSON Schema), then each content the Convention requires or allows for the kind
    (from its declaration), each with its article, basis, need and help."""
    schema = kind_schema(kind)
    spec = kind_spec(kind)
    contents = schema["properties"][CONTENTS]
    return DraftingForm(
        kind=kind,
        title=spec.title,
        legal_basis=tuple(str(art) for art in spec.legal_basis),
        basis=spec.basis.value,
        document_version=DOCUMENT_VERSION,
        fields=(*_envelope(kind, schema), *_contents(kind, contents)),
    )


@dataclass(frozen=True)
class PlacedFindings:
    """Findings put next to the fields they concern: ``by_path`` for the form's fields (a
    finding on a part of a field, such as one item of a list, goes to the field), ``elsewhere``
    for those of the whole document or of a field the form does not show."""

    by_path: Mapping[str, tuple[Problem, ...]]
    elsewhere: tuple[Problem, ...]


def _owner(path: str, paths: Sequence[str]) -> str | None:
    for candidate in paths:
        if path == candidate or path.startswith(f"{candidate}."):
            return candidate
    return None


def place_findings(form: DraftingForm, findings: Iterable[Problem]) -> PlacedFindings:
    """Each of ``findings`` (errors or warnings of a validation) by the form field it concerns,
    in the order given; the others in ``elsewhere``."""
    paths = form.paths
    by_path: dict[str, list[Problem]] = {}
    elsewhere: list[Problem] = []
    for finding in findings:
        owner = _owner(finding.field or "", paths)
        if owner is None:
            elsewhere.append(finding)
        else:
            by_path.setdefault(owner, []).append(finding)
    return PlacedFindings({k: tuple(v) for k, v in by_path.items()}, tuple(elsewhere))
