"""The bodies of the API's request routes that are not the request document: the payloads of
lifecycle steps, and the answers only the API gives (a page, a follow-up, a use, a received
package). The request document and the request as read are :mod:`hanoix.documents`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from hanoix.documents.request_views import RequestOut, SummaryOut
from hanoix.documents.requests import (
    KINDS,
    MAX_CONTENTS,
    REFERENCE_PATTERN,
    ContentIn,
    ContentName,
    DateText,
    parse_date_field,
    raise_if_problems,
)
from hanoix.errors import Problem
from hanoix.requests import (
    ExecutionReport,
    Postponement,
    PreservationExtension,
    Refusal,
    limits,
    rulebook,
)


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(
        default=None, max_length=limits.MAX_NOTE_CHARS, description="why (required for some steps)"
    )


class PostponeIn(NoteIn):
    until: DateText = Field(description="postponed until this date (requested State's calendar)")
    reason: str = Field(max_length=limits.MAX_NOTE_CHARS, description="why; mandatory")
    consulted: StrictBool = False

    def payload(self) -> Postponement:
        problems: list[Problem] = []
        until = parse_date_field(
            self.until, "until", str(rulebook.postponement_article()), problems
        )
        raise_if_problems(problems)
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
        raise_if_problems(problems)
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
        json_schema_extra={"pattern": REFERENCE_PATTERN},
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


class PageOut(BaseModel):
    items: list[SummaryOut]
    next_cursor: str | None = Field(description="pass as ?cursor= for the next page; null: last")


class FollowUpOut(BaseModel):
    follow_up: RequestOut
    preservation_reference: str
    preservation_version: int


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
