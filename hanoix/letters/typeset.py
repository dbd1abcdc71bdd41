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
from dataclasses import asdict, dataclass
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
    # mutable Rust object). The template is given by its path: the binding's query reads the
    # document it last compiled only from a file.
    compiler = typst.Compiler(
        input=str(TEMPLATE), font_paths=list(font_paths), ignore_system_fonts=True
    )
    return compiler, threading.Lock()


@dataclass(frozen=True)
class SignaturePlace:
    """Where the letter's signature block is: its page (from 1) and its rectangle in PDF
    points, origin at the bottom left of the page, as a PDF widget is placed."""

    page: int
    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class TypesetLetter:
    pdf: bytes
    signature_place: SignaturePlace


def _signature_place(found: str) -> SignaturePlace:
    """The template's ``<signature-place>`` metadata (Typst measures from the top left)."""
    try:
        place = json.loads(found)
        top = float(place["page_height"]) - float(place["y"])
        return SignaturePlace(
            page=int(place["page"]),
            left=float(place["x"]),
            bottom=top - float(place["height"]),
            right=float(place["x"]) + float(place["width"]),
            top=top,
        )
    except (ValueError, KeyError, TypeError) as error:
        raise InputError(f"the letter's signature block could not be placed: {error}") from None


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
) -> TypesetLetter:
    """The letter as PDF/A-3b bytes, ``attachment`` embedded as ``request.json``, and where
    its signature block is."""
    words = asdict(text)
    words["fonts"] = list(fonts)
    compiler, lock = _compiler(font_paths)
    try:
        with lock:
            pdf = compiler.compile(
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
            place = compiler.query("<signature-place>", field="value", one=True)
    except typst.TypstError as error:
        # A defect of the template or a font, not of the request: say what Typst said.
        raise InputError(f"the letter could not be typeset: {error.message}") from None
    except RuntimeError as error:  # the binding's query reports its failures so
        raise InputError(f"the letter could not be typeset: {error}") from None
    if not isinstance(pdf, bytes):
        raise InputError("the letter could not be typeset: Typst gave no PDF")
    return TypesetLetter(pdf, _signature_place(place))
