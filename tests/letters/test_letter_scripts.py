"""Letters in Arabic (right to left), Chinese and Russian: set in fonts that have their glyphs
(no tofu: the fonts embedded are checked with pdffonts), their wording marked as awaiting
review, and a clear error naming the font package where it is missing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hanoix.errors import InputError
from hanoix.letters import fonts
from hanoix.letters.fonts import ScriptFonts
from hanoix.services import letters
from hanoix.services.node import Node
from tests.letters.conftest import poppler
from tests.services.requests_world import outgoing, user

# The marks pdftotext writes around right-to-left runs, and the LRMs around article numbers.
_BIDI_MARKS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

SCRIPTS = [
    # language, a heading in its script, the font that must be embedded
    ("ar", "الأساس القانوني", "NotoNaskhArabic"),
    ("zh", "法律依据", "NotoSerifCJK"),
    ("ru", "Правовое основание", "LibertinusSerif"),
]


@pytest.mark.parametrize(("language", "heading", "font"), SCRIPTS)
def test_a_letter_in_another_script_is_set_in_a_font_that_has_its_glyphs(
    world_node: Node,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    language: str,
    heading: str,
    font: str,
) -> None:
    monkeypatch.setattr(letters, "_signed", lambda _node, letter, _request: letter.pdf)
    try:
        fonts.fonts_for(language)
    except InputError as missing:
        pytest.skip(str(missing))  # scripts/test-setup.sh installs them in CI
    request = outgoing(world_node, "approved")
    issued = letters.issue(world_node, user(world_node, "editor"), str(request.reference), language)
    path = tmp_path / f"{language}.pdf"
    path.write_bytes(issued.pdf)
    embedded = poppler("pdffonts", str(path))
    assert font in embedded
    text = _BIDI_MARKS.sub("", poppler("pdftotext", str(path), "-"))
    assert heading in text
    assert str(request.reference) in text
    # The facts stay as written (English here), whatever the letter's language.
    assert "StA Wien 123 Js 456/26" in text


def test_a_missing_font_names_the_package_to_install(
    world_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    absent = ScriptFonts(("Noto Naskh Arabic",), (Path("/nonexistent/Naskh.ttf"),), "fonts-x")
    monkeypatch.setitem(fonts._BY_LANGUAGE, "ar", absent)
    request = outgoing(world_node, "approved")
    with pytest.raises(InputError, match=r"needs the font Naskh.ttf.*apt-get install fonts-x"):
        letters.issue(world_node, user(world_node, "editor"), str(request.reference), "ar")


def test_the_arabic_chinese_and_russian_wording_awaits_review() -> None:
    from hanoix.letters.wording import wording

    for language in ("ar", "zh", "ru"):
        words = wording(language)
        assert not words.reviewed
    assert wording("ar").right_to_left and not wording("zh").right_to_left
    assert wording("fr").reviewed
