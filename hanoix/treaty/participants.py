"""Participants in the Convention: States by ISO 3166-1 alpha-3 code, and the European Union.

A participant is what the depositary lists in the status table: a State, or a regional economic
integration organisation (REIO). States are named by their ISO 3166-1 alpha-3 code (pycountry) and
shown with the UN's short name, which differs from ISO's for a few States ("Iran (Islamic Republic
of)" against ISO's "Iran, Islamic Republic of"). The European Union has no ISO code; it is ``EUU``
(the code the UN and ISO 3166 reserve for it).

Names read from the depositary's table are matched against the UN name, pycountry's ``name``,
``official_name`` and ``common_name``, and a few former UN names, after folding case, accents,
apostrophes and footnote marks.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path

import pycountry

from hanoix.errors import UnknownStateError

EU_CODE = "EUU"


class ParticipantKind(StrEnum):
    STATE = "state"
    REIO = "reio"  # a regional economic integration organisation (Art. 64)


@dataclass(frozen=True)
class Participant:
    """A State or an REIO that can sign or join the Convention."""

    code: str
    name: str
    kind: ParticipantKind = ParticipantKind.STATE

    @property
    def is_reio(self) -> bool:
        return self.kind is ParticipantKind.REIO

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "name": self.name, "kind": self.kind.value}


# The UN's short names where they differ from pycountry's ``name`` (UN Treaty Collection usage).
UN_NAMES: dict[str, str] = {
    "BOL": "Bolivia (Plurinational State of)",
    "COD": "Democratic Republic of the Congo",
    "CZE": "Czech Republic",
    "FSM": "Micronesia (Federated States of)",
    "GBR": "United Kingdom of Great Britain and Northern Ireland",
    "IRN": "Iran (Islamic Republic of)",
    "KOR": "Republic of Korea",
    "MDA": "Republic of Moldova",
    "NLD": "Netherlands (Kingdom of the)",
    "PRK": "Democratic People's Republic of Korea",
    "PSE": "State of Palestine",
    "TZA": "United Republic of Tanzania",
    "USA": "United States of America",
    "VAT": "Holy See",
    "VEN": "Venezuela (Bolivarian Republic of)",
}

# Other names a depositary table has used, accepted when reading but never shown.
_FORMER_NAMES: dict[str, str] = {
    "Turkey": "TUR",
    "Czechia": "CZE",
    "Netherlands": "NLD",
    "Swaziland": "SWZ",
    "The former Yugoslav Republic of Macedonia": "MKD",
    "Cape Verde": "CPV",
    "European Community": EU_CODE,
}

# Regional economic integration organisations and their member States (needed for the REIO
# clauses of Arts 64 and 67). The EU has 27 member States since 1 February 2020.
REIO_MEMBERS: dict[str, frozenset[str]] = {
    EU_CODE: frozenset(
        {
            "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
            "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
            "SVN", "ESP", "SWE",
        }
    ),
}  # fmt: skip

_REIOS: dict[str, Participant] = {
    EU_CODE: Participant(EU_CODE, "European Union", ParticipantKind.REIO),
}


def _fold(name: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a name, for matching only."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").replace("‘", "'").casefold()
    text = re.sub(r"[^\w']+", " ", text)
    return " ".join(text.split())


_FOOTNOTE_MARKS = re.compile(r"[\s,*\d]+$")


def strip_footnote_marks(name: str) -> str:
    """``"Belgium 3, 4"`` → ``"Belgium"``: the depositary's footnote marks once tags are gone."""
    return _FOOTNOTE_MARKS.sub("", name.strip()).strip()


@cache
def _states() -> dict[str, Participant]:
    states: dict[str, Participant] = {}
    for country in pycountry.countries:
        code = str(country.alpha_3)
        states[code] = Participant(code, UN_NAMES.get(code, str(country.name)))
    return states


@cache
def _name_index() -> dict[str, str]:
    index: dict[str, str] = {}
    for country in pycountry.countries:
        code = str(country.alpha_3)
        for attribute in ("name", "official_name", "common_name"):
            value = getattr(country, attribute, None)
            if value:
                index.setdefault(_fold(str(value)), code)
    for code, name in UN_NAMES.items():
        index[_fold(name)] = code  # the UN's name wins over any ISO name it shadows
    for name, code in _FORMER_NAMES.items():
        index.setdefault(_fold(name), code)
    for reio in _REIOS.values():
        index[_fold(reio.name)] = reio.code
    return index


def all_participants() -> list[Participant]:
    """Every participant the node knows, REIOs first, then States by code."""
    return [*_REIOS.values(), *sorted(_states().values(), key=lambda p: p.code)]


def is_known(code: str) -> bool:
    return code in _REIOS or code in _states()


def _suggestions(text: str) -> list[str]:
    """The closest known participants to ``text``, by code and by name, as ``"VNM (Viet Nam)"``."""
    upper = text.strip().upper()
    everyone = {p.code: p for p in all_participants()}
    codes = difflib.get_close_matches(upper, list(everyone), n=3, cutoff=0.6)
    by_name = difflib.get_close_matches(_fold(text), list(_name_index()), n=3, cutoff=0.6)
    found: list[str] = []
    for code in [*(_name_index()[n] for n in by_name), *codes]:
        if code not in found:
            found.append(code)
    return [f"{code} ({everyone[code].name})" for code in found[:4]]


def _unknown(text: str, what: str) -> UnknownStateError:
    close = _suggestions(text)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    return UnknownStateError(
        f"unknown {what} {text!r}: use an ISO 3166-1 alpha-3 code (e.g. VNM) or EUU for the "
        f"European Union{hint}"
    )


def lookup(code: str) -> Participant:
    """The participant with ISO 3166-1 alpha-3 ``code`` (case-insensitive), or ``EUU``.

    Raises :class:`UnknownStateError` suggesting the closest codes and names.
    """
    key = code.strip().upper()
    if key in _REIOS:
        return _REIOS[key]
    state = _states().get(key)
    if state is None:
        raise _unknown(code, "State code")
    return state


def fold_name(name: str) -> str:
    """The form under which ``name`` is matched (case, accents, punctuation and footnote marks
    ignored): keys of the operator's name map are folded the same way."""
    return _fold(strip_footnote_marks(name))


def lookup_name(name: str, names: Mapping[str, str] | None = None) -> Participant:
    """The participant the depositary calls ``name`` (footnote marks are ignored).

    ``names`` maps names the operator has identified (folded with :func:`fold_name`) to codes,
    for a name this node does not know (``--map "Türkiye=TUR"``); it wins over the built-in
    names. An unknown name raises :class:`UnknownStateError` saying how to map it.
    """
    folded = fold_name(name)
    code = (names or {}).get(folded) or _name_index().get(folded)
    if code is None:
        shown = strip_footnote_marks(name)
        error = _unknown(shown, "participant name")
        raise UnknownStateError(
            f"{error.message}; if it is a participant, say which with --map '{shown}=ISO3'"
        )
    return lookup(code)


def reio_members(code: str) -> frozenset[str]:
    """The member States of the REIO ``code`` (empty for a State)."""
    return REIO_MEMBERS.get(code, frozenset())


def reios_of(code: str) -> list[str]:
    """The REIOs that the State ``code`` is a member of."""
    return sorted(reio for reio, members in REIO_MEMBERS.items() if code in members)


# --- time zones -----------------------------------------------------------------------------------


def _zone_tables() -> list[Path]:
    return [Path(base) / "zone.tab" for base in zoneinfo.TZPATH]


@cache
def _zones_by_country() -> dict[str, str]:
    zones: dict[str, str] = {}
    for table in _zone_tables():
        if not table.is_file():
            continue
        for line in table.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) >= 3:
                zones.setdefault(parts[0], parts[2])
        break
    return zones


def state_zone(state: str) -> str:
    """The IANA zone a State's periods are counted in: the first zone the tz database lists
    for the country (a State spanning zones should set its own; ``UTC`` if none is known)."""
    country = pycountry.countries.get(alpha_3=state)
    if country is None:
        return "UTC"
    return _zones_by_country().get(country.alpha_2, "UTC")
