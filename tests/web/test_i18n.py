"""The web pages' languages: complete catalogues, the browser's choice, right-to-left."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.services.node import Node
from hanoix.web import i18n, templating

ROOT = Path(__file__).resolve().parents[2]
METHODS = [
    ("hanoix/web/**.py", "python"),
    ("hanoix/web/templates/**.html", "jinja2.ext:babel_extract"),
]
OPTIONS = {"hanoix/web/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]")


def _in_the_code() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(str(ROOT), METHODS, OPTIONS):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalogue(code: str) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each message of the catalogue (by its singular) with its forms: (source, translation)
    pairs, one for a plain message, one per plural form for a plural one ("" untranslated)."""
    with i18n.catalogue_path(code).open("rb") as source:
        catalogue = read_po(source)
    found: dict[str, tuple[tuple[str, str], ...]] = {}
    for message in catalogue:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, str):
            found[message.id] = ((message.id, str(message.string or "")),)
        else:
            singular, plural = message.id
            forms = tuple(message.string) if message.string else ("",)
            found[singular] = tuple(
                (singular if n == 0 else plural, str(form)) for n, form in enumerate(forms)
            )
    return found


def test_the_code_has_strings_to_translate() -> None:
    found = _in_the_code()
    assert {"Sign in", "Change your password", "Type your username and your password."} <= found
    assert len(found) > 50


@pytest.mark.parametrize("code", [c for c in i18n.languages() if c != "en"])
def test_every_string_of_the_pages_is_translated(code: str) -> None:
    translated = {k for k, forms in _catalogue(code).items() if all(t for _, t in forms)}
    missing = sorted(_in_the_code() - set(translated))
    assert not missing, f"{code}: run `make messages` and translate: {missing}"


@pytest.mark.parametrize("code", [c for c in i18n.languages() if c != "en"])
def test_translations_keep_their_placeholders(code: str) -> None:
    for forms in _catalogue(code).values():
        for source, target in forms:
            assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), (
                source
            )


def test_french_is_there() -> None:
    assert "fr" in i18n.languages()
    assert i18n.translations("fr").gettext("Sign out") == "Se déconnecter"
    assert i18n.native_name("fr") == "français"


@pytest.mark.parametrize(
    ("chosen", "header", "expected"),
    [
        ("fr", "en", "fr"),
        (None, "fr-CA,fr;q=0.9,en;q=0.8", "fr"),
        (None, "de-AT, fr;q=0.8, en;q=0.9", "en"),
        (None, "de, fr;q=0", "en"),
        (None, "fr;q=bogus, en", "en"),
        ("xx", "*", "en"),
        (None, None, "en"),
        (None, "FR_fr", "fr"),
    ],
)
def test_the_language_is_the_users_then_the_browsers_then_english(
    chosen: str | None, header: str | None, expected: str
) -> None:
    assert i18n.choose(chosen, header) == expected


@pytest.fixture
def with_arabic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The node as it is once an Arabic catalogue is added (one entry is enough to show that
    the layout turns round)."""
    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR, locales)
    arabic = locales / "ar" / "LC_MESSAGES"
    arabic.mkdir(parents=True)
    (arabic / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: ar\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Sign in"\nmsgstr "تسجيل الدخول"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(i18n, "LOCALES_DIR", locales)
    for cached in (i18n.languages, i18n.translations, templating.environment):
        cached.cache_clear()
    yield
    for cached in (i18n.languages, i18n.translations, templating.environment):
        cached.cache_clear()


@pytest.mark.usefixtures("with_arabic")
def test_an_arabic_catalogue_lays_the_pages_out_right_to_left(node: Node) -> None:
    assert i18n.is_right_to_left("ar") and not i18n.is_right_to_left("fr")
    with TestClient(create_app(node)) as client:
        page = client.get("/sign-in", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in page.text
    assert "تسجيل الدخول" in page.text
    # What the catalogue does not have yet stays in English rather than vanishing.
    assert "Username" in page.text
