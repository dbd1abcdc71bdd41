"""What the treaty commands answer, computed from treaty data and a day, with no database.

:mod:`hanoix.services.treaty` answers from the node's database; ``hanoix treaty status``,
``participant`` and ``applies`` answer from the home's copy of the same data when there is one
(:func:`home_data`, issue 13), through the same functions, so the
answer is the same. Nothing here imports SQLAlchemy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from hanoix.store import treaty_file
from hanoix.treaty.dataset import DatasetInfo, TreatyData, data_warnings
from hanoix.treaty.status import (
    Applicability,
    ParticipantStatus,
    StatusSummary,
    TreatyStatus,
)

if TYPE_CHECKING:
    from hanoix.config import Settings


class ImportFormat(StrEnum):
    CSV = "csv"
    UN_XML = "un-xml"


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"


@dataclass(frozen=True)
class StatusReport:
    """The Convention's status on a date, with what the reader must know about the data."""

    summary: StatusSummary
    warnings: tuple[str, ...]
    dataset: DatasetInfo

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.summary.as_dict(),
            "fortieth_deposit": (
                self.summary.fortieth_deposit.isoformat() if self.summary.fortieth_deposit else None
            ),
            "warnings": list(self.warnings),
            "dataset": self.dataset.as_dict(),
        }


@dataclass(frozen=True)
class ParticipantReport:
    status: ParticipantStatus
    warnings: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {**self.status.as_dict(), "warnings": list(self.warnings)}


@dataclass(frozen=True)
class ApplicabilityReport:
    answer: Applicability
    warnings: tuple[str, ...]

    @property
    def applies(self) -> bool:
        return self.answer.applies

    def as_dict(self) -> dict[str, Any]:
        return {**self.answer.as_dict(), "warnings": list(self.warnings)}


def status_report(data: TreatyData, today: date, on: date | None = None) -> StatusReport:
    """The Convention's status on ``on`` (default ``today``), with what ``data`` warrants."""
    summary = TreatyStatus(data.actions, data.declarations).summary(on or today)
    return StatusReport(summary, tuple(data_warnings(data, today)), data.info)


def participant_report(
    data: TreatyData, code: str, today: date, on: date | None = None
) -> ParticipantReport:
    """One participant's actions, declarations and standing on ``on`` (default ``today``)."""
    result = TreatyStatus(data.actions, data.declarations).participant(code, on or today)
    return ParticipantReport(result, tuple(data_warnings(data, today)))


def applicability_report(
    data: TreatyData, a: str, b: str, today: date, on: date | None = None
) -> ApplicabilityReport:
    """Whether the Convention binds both ``a`` and ``b`` on ``on`` (default ``today``)."""
    answer = TreatyStatus(data.actions, data.declarations).applies(a, b, on or today)
    return ApplicabilityReport(answer, tuple(data_warnings(data, today)))


def home_data(settings: Settings) -> TreatyData | None:
    """The treaty data of the home's own database, read from the home's copy of its treaty
    tables; ``None`` when only the database can tell: a database named by URL, no database yet
    (opening the node creates it and loads the shipped data, stamped with the time), no copy."""
    if not treaty_file.kept_for(settings) or not settings.default_database_file.exists():
        return None
    return treaty_file.read(settings.home)
