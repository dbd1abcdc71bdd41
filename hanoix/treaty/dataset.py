"""A body of treaty data with what is known about it: its source, its date and its gaps."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from hanoix.treaty.actions import Declaration, SourceBasis, TreatyAction

# The depositary's status page for the Convention, as XML (the importer's ``un-xml`` format).
UNTC_XML_URL = (
    "https://treaties.un.org/doc/Publication/MTDSG/Volume%20II/Chapter%20XVIII/XVIII-16.en.xml"
)
REFRESH_HINT = (
    f"to refresh, download {UNTC_XML_URL} and run `hanoix treaty import FILE --format un-xml`"
)
# Treaty status changes with every deposit; older data is flagged.
STALE_AFTER_DAYS = 30


@dataclass(frozen=True)
class DatasetInfo:
    """Where the node's treaty data comes from and how far it can be trusted."""

    source: str
    as_of: date | None
    format: str = "csv"
    imported_at: datetime | None = None
    imported_from: str | None = None  # the file of the latest import, if any
    gaps: str | None = None  # what the data is known to miss; None when it claims completeness

    def as_dict(self) -> dict[str, str | None]:
        return {
            "source": self.source,
            "format": self.format,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "imported_at": self.imported_at.isoformat() if self.imported_at else None,
            "imported_from": self.imported_from,
            "gaps": self.gaps,
        }


@dataclass(frozen=True)
class TreatyData:
    """Actions and declarations, with the facts about the dataset they come from."""

    actions: tuple[TreatyAction, ...]
    declarations: tuple[Declaration, ...] = ()
    info: DatasetInfo = field(default_factory=lambda: DatasetInfo(source="empty", as_of=None))


def data_warnings(data: TreatyData, today: date) -> list[str]:
    """What a reader of a status computed from ``data`` on ``today`` must be told.

    The data is partial when its gaps are stated or some rows are only reported by the press;
    it is stale when older than :data:`STALE_AFTER_DAYS` days (or undated). Every warning ends
    with how to refresh from the depositary.
    """
    warnings: list[str] = []
    info = data.info
    if info.gaps:
        warnings.append(f"the treaty data is partial: {info.gaps}")
    reported = sum(1 for a in data.actions if a.basis is SourceBasis.REPORTED)
    if reported:
        warnings.append(
            f"{reported} of the {len(data.actions)} treaty actions are reported by the press, "
            "not verified against the depositary"
        )
    if info.as_of is None:
        warnings.append("the treaty data has no date")
    elif (today - info.as_of).days > STALE_AFTER_DAYS:
        warnings.append(
            f"the treaty data is {(today - info.as_of).days} days old (as of "
            f"{info.as_of.isoformat()}); status changes with every deposit"
        )
    if warnings:
        warnings.append(REFRESH_HINT)
    return warnings
