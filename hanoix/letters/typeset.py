"""The letter's words typeset as PDF/A-3b with Typst, the request's document attached.

Typst runs inside the Python wheel (no network, no system service); the template
(``letter.typ``) gets the words as JSON through ``sys.inputs`` and shows them as text, so
nothing a drafter wrote is read as markup. The attachment is the canonical JSON of the
request (:mod:`hanoix.letters.attachment`), embedded with relationship ``Source`` as PDF/A-3
allows (as European e-invoices embed their XML). The QR code (segno) on the first page says
what the attachment's digest is.
"""

from __future__ import annotations

import io
import json
import threading
from dataclasses import asdict
from datetime import datetime
from functools import cache
from pathlib import Path

import segno
import typst

from hanoix.errors import InputError
from hanoix.letters.compose import LetterText

TEMPLATE = Path(__file__).with_name("letter.typ")
#: Typst's own fonts: Libertinus Serif covers Latin, Greek and Cyrillic.
LATIN_FONTS = ("Libertinus Serif",)


@cache
def _compiler(font_paths: tuple[str, ...]) -> tuple[typst.Compiler, threading.Lock]:
    # System fonts are not scanned: the letter looks the same on every node, and the fonts of
    # other scripts are named folders (hanoix/letters/fonts.py). One compiler per font set,
    # used by one thread at a time (the API's handlers run in a thread pool; a compiler is a
    # mutable Rust object).
    compiler = typst.Compiler(font_paths=list(font_paths), ignore_system_fonts=True)
    return compiler, threading.Lock()


def qr_svg(payload: str) -> str:
    """The QR code of ``payload`` as SVG (error correction M, which a printed page survives)."""
    out = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(out, kind="svg", border=2, xmldecl=False)
    return out.getvalue().decode("ascii")


def typeset(
    text: LetterText,
    *,
    attachment: bytes,
    qr_payload: str,
    issued_at: datetime,
    fonts: tuple[str, ...] = LATIN_FONTS,
    font_paths: tuple[str, ...] = (),
) -> bytes:
    """The letter as PDF/A-3b bytes, ``attachment`` embedded as ``request.json``."""
    words = asdict(text)
    words["fonts"] = list(fonts)
    compiler, lock = _compiler(font_paths)
    try:
        with lock:
            pdf = compiler.compile(
                TEMPLATE.read_bytes(),
                format="pdf",
                pdf_standards=["a-3b"],
                sys_inputs={
                    "letter": json.dumps(words, ensure_ascii=False),
                    "document": attachment.decode("utf-8"),
                    "qr": qr_svg(qr_payload),
                    # The QR code's text in the document's keywords too (signed with the rest),
                    # for a verifier that reads no images.
                    "qr_text": qr_payload,
                },
                timestamp=issued_at.replace(microsecond=0),
            )
    except typst.TypstError as error:
        # A defect of the template or a font, not of the request: say what Typst said.
        raise InputError(f"the letter could not be typeset: {error.message}") from None
    if not isinstance(pdf, bytes):
        raise InputError("the letter could not be typeset: Typst gave no PDF")
    return pdf
