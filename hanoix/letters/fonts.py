"""The fonts a letter's script needs, and where the node finds them.

Latin, Greek and Cyrillic letters use Typst's own Libertinus Serif (inside the wheel). Arabic
and Chinese need Debian's Noto fonts, which the node's set-up installs (``scripts/
test-setup.sh`` in CI; an operator: ``apt-get install fonts-noto-core fonts-noto-cjk``). The
system's font list is never read, only the Noto folders, and each letter names its families,
so a letter looks the same on every node; a missing file is an error naming the package to install.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hanoix.errors import InputError

#: Where Debian installs the Noto fonts.
NOTO_TRUETYPE = Path("/usr/share/fonts/truetype/noto")
NOTO_OPENTYPE = Path("/usr/share/fonts/opentype/noto")
LIBERTINUS = "Libertinus Serif"


@dataclass(frozen=True)
class ScriptFonts:
    """The font families a language's letter is set in (Typst falls back along the list, glyph
    by glyph), the files they come from, and the Debian package that installs them."""

    families: tuple[str, ...]
    files: tuple[Path, ...] = ()
    package: str = ""

    @property
    def folders(self) -> tuple[str, ...]:
        """The folders Typst reads the files from (it takes folders, not files; the families
        named decide which of their fonts a letter uses)."""
        return tuple(sorted({str(path.parent) for path in self.files}))


_ARABIC = ScriptFonts(
    (LIBERTINUS, "Noto Naskh Arabic"),
    (NOTO_TRUETYPE / "NotoNaskhArabic-Regular.ttf", NOTO_TRUETYPE / "NotoNaskhArabic-Bold.ttf"),
    "fonts-noto-core",
)
_CHINESE = ScriptFonts(
    (LIBERTINUS, "Noto Serif CJK SC"),
    (NOTO_OPENTYPE / "NotoSerifCJK-Regular.ttc", NOTO_OPENTYPE / "NotoSerifCJK-Bold.ttc"),
    "fonts-noto-cjk",
)
_BY_LANGUAGE = {"ar": _ARABIC, "zh": _CHINESE}
_LATIN = ScriptFonts((LIBERTINUS,))


def fonts_for(language: str) -> ScriptFonts:
    """The fonts of ``language``'s letter; InputError naming the package when they are not
    installed."""
    fonts = _BY_LANGUAGE.get(language, _LATIN)
    missing = [path for path in fonts.files if not path.is_file()]
    if missing:
        raise InputError(
            f"a letter in {language!r} needs the font {missing[0].name}, which this machine "
            f"lacks: install Debian's {fonts.package} (apt-get install {fonts.package})"
        )
    return fonts
