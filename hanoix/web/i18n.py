"""The languages of the web pages: Babel catalogues, chosen per request.

Every string a page shows goes through gettext (``_()`` in templates and code). English is the
language the templates are written in; each other language is a catalogue under
``locales/<code>/LC_MESSAGES/messages.po`` (``make messages`` extracts and updates them). The
catalogues are compiled in memory when first used: nothing to build, nothing generated in git.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES_DIR = Path(__file__).parent / "locales"
SOURCE_LANGUAGE = "en"
LANGUAGE_COOKIE = "hanoix_lang"
DOMAIN = "messages"


def catalogue_path(code: str) -> Path:
    return LOCALES_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def languages() -> tuple[str, ...]:
    """The languages the pages can be shown in: English and every catalogue present."""
    found = sorted(
        entry.name
        for entry in LOCALES_DIR.iterdir()
        if entry.is_dir() and catalogue_path(entry.name).is_file()
    )
    return (SOURCE_LANGUAGE, *(code for code in found if code != SOURCE_LANGUAGE))


@cache
def translations(code: str) -> gettext.NullTranslations:
    """The compiled catalogue of ``code`` (English: the templates' own words)."""
    if code == SOURCE_LANGUAGE or code not in languages():
        return gettext.NullTranslations()
    with catalogue_path(code).open("rb") as source:
        catalogue = read_po(source, locale=code, domain=DOMAIN)
    compiled = BytesIO()
    # A fuzzy entry is a machine's guess awaiting review: shown only once a person confirms it.
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def native_name(code: str) -> str:
    """A language's name in that language, as a language menu shows it ("français")."""
    return Locale.parse(code).get_display_name(code) or code


def is_right_to_left(code: str) -> bool:
    return Locale.parse(code).character_order == "right-to-left"


def _weighted(accept_language: str) -> list[tuple[float, str]]:
    weighted: list[tuple[float, str]] = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*" and quality > 0:
            # Equal weights keep the browser's order: the earlier one wins.
            weighted.append((quality - position * 1e-6, tag.strip()))
    return sorted(weighted, reverse=True)


def choose(chosen: str | None, accept_language: str | None) -> str:
    """The language of a page: the one the user chose on the account page, else the first
    one of the browser's (``Accept-Language``) that the node has, else English."""
    available = languages()
    if chosen in available:
        return chosen
    for _quality, tag in _weighted(accept_language or ""):
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in available:
            return primary
    return SOURCE_LANGUAGE
