"""Reading a letter back: the document it embeds (pyHanko's PDF reader, no rendering)."""

from __future__ import annotations

import io
from typing import Any

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from hanoix.errors import InputError
from hanoix.letters.attachment import FILE_NAME, MAX_ATTACHMENT_BYTES

#: A letter is a few pages of text and a small attachment; a bigger file is not one of ours.
MAX_LETTER_BYTES = 32 * 1024 * 1024

_NOT_A_LETTER = f"not a request letter: it embeds no {FILE_NAME}"


def open_pdf(pdf: bytes) -> PdfFileReader:
    """``pdf`` opened for reading; InputError when it is not a PDF."""
    if len(pdf) > MAX_LETTER_BYTES:
        raise InputError(f"the file is larger than {MAX_LETTER_BYTES} bytes: not a letter")
    if not pdf.startswith(b"%PDF-"):
        raise InputError("not a PDF file (it does not start with %PDF-)")
    try:
        return PdfFileReader(io.BytesIO(pdf), strict=False)
    except (PdfError, ValueError, KeyError, TypeError) as error:
        raise InputError(f"not a readable PDF: {error}") from None


def _name_tree_pairs(node: Any, depth: int = 0) -> list[tuple[str, Any]]:
    if depth > 8:
        raise InputError("the PDF's embedded file tree is too deep")
    pairs: list[tuple[str, Any]] = []
    if "/Names" in node:
        flat = node["/Names"]
        pairs.extend((str(flat[i]), flat[i + 1]) for i in range(0, len(flat) - 1, 2))
    for kid in node.get("/Kids", ()):
        pairs.extend(_name_tree_pairs(kid.get_object(), depth + 1))
    return pairs


def embedded_files(reader: PdfFileReader) -> dict[str, bytes]:
    """Every file embedded in the PDF, by name."""
    try:
        names = reader.root.get("/Names")
        tree = names.get("/EmbeddedFiles") if names is not None else None
        if tree is None:
            return {}
        found: dict[str, bytes] = {}
        for name, spec in _name_tree_pairs(tree.get_object()):
            stream = spec.get_object()["/EF"]["/F"].get_object()
            if not isinstance(stream, generic.StreamObject):
                raise InputError(f"embedded file {name!r} is not a stream")
            if int(stream.get("/Length", 0)) > MAX_ATTACHMENT_BYTES:
                raise InputError(f"embedded file {name!r} is too large for a letter")
            found[name] = stream.data
        return found
    except (PdfError, KeyError, TypeError, ValueError, IndexError) as error:
        raise InputError(f"the PDF's embedded files cannot be read: {error}") from None


def embedded_document(pdf: bytes) -> bytes:
    """The request document a letter embeds; InputError for a PDF that is not a letter."""
    files = embedded_files(open_pdf(pdf))
    if FILE_NAME not in files:
        raise InputError(_NOT_A_LETTER)
    if len(files) != 1:
        raise InputError(f"a letter embeds {FILE_NAME} only; this PDF embeds {sorted(files)}")
    return files[FILE_NAME]


def keywords(pdf: bytes) -> str:
    """The document's keywords (its information dictionary): where a letter repeats the text
    of its QR code."""
    reader = open_pdf(pdf)
    try:
        info = reader.trailer_view.get("/Info")
        value = info.get_object().get("/Keywords") if info is not None else None
    except (PdfError, KeyError, TypeError, ValueError) as error:
        raise InputError(f"the PDF's information dictionary cannot be read: {error}") from None
    return "" if value is None else str(value)
