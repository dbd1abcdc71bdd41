"""Files sent to a removal case over HTTP (the API's multipart upload, the case page's form),
read into memory and nowhere else.

Starlette's form parser writes a file part larger than 1 MiB to a temporary file: the media of
a removal case must never touch a disk in the clear (docs/content.md), so here the spooled
file's threshold is above the route's body limit (the body limit middleware stops anything
larger), and every part stays in memory until it is hashed and dropped. The evidence pages'
staged uploads (``services/uploads.py``) keep files on disk to resume them, which is why they
are not used here.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from starlette.datastructures import Headers, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from hanoix.errors import InputError, Problem

#: The largest body of files added to a case at once: the route's limit in api/limits.py,
#: which stops a larger body before it is read.
MAX_BODY_BYTES = 128 * 1024 * 1024
#: How many files one form may carry.
MAX_FILES = 20
#: The form's other fields (preserve, consent, the page's form token): a few short ones.
MAX_FIELDS = 10
MAX_FIELD_BYTES = 1024


class _InMemory(MultiPartParser):
    # Above the body limit: a file part is never rolled over to a temporary file on disk.
    spool_max_size = MAX_BODY_BYTES + 1


@dataclass(frozen=True)
class ContentForm:
    """The files (name, bytes) and the other fields of a form, as sent."""

    files: list[tuple[str, bytes]]
    fields: dict[str, list[str]]

    def flag(self, name: str) -> bool:
        """A checkbox or a boolean field: on, true, 1 or yes; off, false, 0, no or absent.
        Anything else is refused rather than read as no."""
        given = {v.strip().lower() for v in self.fields.get(name, [])}
        if given - _YES - _NO or (given & _YES and given & _NO):
            raise _bad(f"{name}: give true or false", field=name)
        return bool(given & _YES)


_YES = {"on", "true", "1", "yes"}
_NO = {"off", "false", "0", "no", ""}


def _bad(message: str, field: str = "files") -> InputError:
    return InputError(message, problems=[Problem(message, field=field)])


def no_passphrase() -> bytes:
    """What sealing asks when the authority's signing key is protected: over HTTP nobody can be
    asked for its passphrase, so the CLI, which asks, is named."""
    message = (
        "the authority's signing key is protected by a passphrase, which is not sent over "
        "HTTP: preserve these files with 'hanoix content add FILE --case REF --preserve "
        "--consent preserve'"
    )
    raise InputError(message, problems=[Problem(message, field="preserve")])


def is_form(headers: Headers) -> bool:
    return headers.get("content-type", "").split(";")[0].strip().lower() == "multipart/form-data"


async def read_form(headers: Headers, stream: AsyncGenerator[bytes, None]) -> ContentForm:
    """Read a ``multipart/form-data`` body whose files are in ``files`` parts."""
    if not is_form(headers):
        raise _bad("send the files as multipart/form-data, each in a part named 'files'")
    try:
        form = await _InMemory(
            headers,
            stream,
            max_files=MAX_FILES,
            max_fields=MAX_FIELDS,
            max_part_size=MAX_FIELD_BYTES,
        ).parse()
    except MultiPartException as bad:
        raise _bad(f"the form could not be read: {bad.message}") from None
    files: list[tuple[str, bytes]] = []
    fields: dict[str, list[str]] = {}
    try:
        for key, value in form.multi_items():
            if isinstance(value, UploadFile):
                if key != "files":
                    raise _bad(f"a file in part {key[:40]!r}: send files in parts named 'files'")
                if value.filename:  # a file input left empty sends a part with no name
                    files.append((value.filename[-200:], await value.read()))
            else:
                fields.setdefault(key, []).append(value)
    finally:
        await form.close()
    return ContentForm(files, fields)
