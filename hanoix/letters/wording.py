"""The letters' languages: a Babel catalogue per language, English the source.

``locales/<code>/LC_MESSAGES/letters.po`` holds a letter's labels and fixed wording, the kinds'
titles and every content heading of the Convention's declarations (their English words are the
message ids). The languages in :data:`AWAITING_REVIEW` have a draft catalogue no legal
translator has reviewed yet: their letters say so. The catalogues are compiled in memory when
first used, as the web pages' are.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path

import pycountry
from babel import Locale
from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from hanoix.errors import InputError

LOCALES_DIR = Path(__file__).parent / "locales"
SOURCE_LANGUAGE = "en"
DOMAIN = "letters"
#: Catalogues written without a reviewed legal translation: the letter says so.
AWAITING_REVIEW = frozenset({"ar", "ru", "zh"})


def catalogue_file(code: str) -> Path:
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def languages() -> tuple[str, ...]:
    """The languages a letter can be written in: English and every catalogue present."""
    found = sorted(
        entry.name for entry in LOCALES_DIR.iterdir() if catalogue_file(entry.name).is_file()
    )
    return (SOURCE_LANGUAGE, *found)


@dataclass(frozen=True)
class Wording:
    """One language's catalogue, its script direction and whether a person reviewed it."""

    code: str
    translations: gettext.NullTranslations
    right_to_left: bool
    reviewed: bool

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def long_date(self, day: date) -> str:
        return format_date(day, format="long", locale=self.code)

    def state_name(self, code: str) -> str:
        """The State's name in this language (Babel's territory names), else its code."""
        country = pycountry.countries.get(alpha_3=code)
        if country is None:
            return code
        name = Locale.parse(self.code).territories.get(country.alpha_2)
        return str(name) if name else str(country.name)


def right_to_left(code: str) -> bool:
    """Whether ``code``'s script runs right to left (False for a code Babel does not know)."""
    try:
        return bool(Locale.parse(code).character_order == "right-to-left")
    except (ValueError, TypeError):
        return False


@cache
def wording(code: str) -> Wording:
    """The wording of ``code``; InputError naming the languages there are for another."""
    wanted = code.strip().lower()
    if wanted not in languages():
        raise InputError(
            f"no letter wording for language {code!r}: choose one of {', '.join(languages())}"
        )
    rtl = right_to_left(wanted)
    if wanted == SOURCE_LANGUAGE:
        return Wording(wanted, gettext.NullTranslations(), rtl, reviewed=True)
    with catalogue_file(wanted).open("rb") as source:
        catalogue = read_po(source, locale=wanted, domain=DOMAIN)
    reviewed = wanted not in AWAITING_REVIEW
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Wording(wanted, Translations(compiled, domain=DOMAIN), rtl, reviewed)
