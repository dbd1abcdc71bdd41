"""How long the free text of a request may be, so that every request can be sent.

A request travels to the other State's node in one signed envelope, whose payload is at most
700 KiB (``hanoix.federation.envelope.MAX_PAYLOAD_BYTES``). Each free-text field has a maximum
length in characters, and the text of the whole request as it travels (its contents, the
proceeding and the other legal basis, written as UTF-8 JSON) at most
:data:`MAX_REQUEST_TEXT_BYTES`: what remains of the envelope (references, parties, flags,
the evidence key) is small and bounded. A request over a bound is refused when it is drafted,
edited or registered, and validation reports it, naming the field; it never reaches ``send``.

docs/requests.md ("Sizes") lists these; the API's pydantic models use the same constants.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hanoix.errors import InputError, Problem

#: One text content (a summary of facts, a description of the data sought).
MAX_CONTENT_CHARS = 20_000
#: One content that is a list (accounts, identifiers, purposes): items, and each item's length.
MAX_CONTENT_ITEMS = 200
MAX_CONTENT_ITEM_CHARS = 2_000
#: The proceeding the request is made for; another legal basis.
MAX_PROCEEDING_CHARS = 2_000
MAX_LEGAL_BASIS_CHARS = 2_000
#: A note on a step, the reasons of a refusal, a postponement, an execution report.
MAX_NOTE_CHARS = 4_000
#: Short identifiers typed by people: an owner's username, an authority's code, a zone.
MAX_USERNAME_CHARS = 100
MAX_AUTHORITY_CHARS = 64
MAX_ZONE_CHARS = 64
MAX_LANGUAGE_CHARS = 8
MAX_REFERENCE_CHARS = 32
MAX_STATE_CHARS = 64
#: A recipient or a letter's reference in a consent; a ground of refusal's code.
MAX_LABEL_CHARS = 200
MAX_GROUNDS = 32
#: The text of a whole request as it travels (contents, proceeding, other legal basis), in
#: bytes of UTF-8 JSON: with the rest of the message it stays well inside one envelope.
MAX_REQUEST_TEXT_BYTES = 512 * 1024


def _json_bytes(value: Any) -> int:
    # The size of ``value`` as the envelope writes it (RFC 8785 escapes strings as this does).
    return len(
        json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode(
            "utf-8", errors="surrogatepass"
        )
    )


def _field_problems(
    contents: Mapping[str, Any], proceeding: str | None, legal_basis_other: str | None
) -> list[Problem]:
    problems: list[Problem] = []
    for name, value in contents.items():
        field = f"contents.{name}"
        if isinstance(value, str) and len(value) > MAX_CONTENT_CHARS:
            problems.append(
                Problem(f"is {len(value)} characters; at most {MAX_CONTENT_CHARS}", field=field)
            )
        elif isinstance(value, list | tuple):
            if len(value) > MAX_CONTENT_ITEMS:
                problems.append(
                    Problem(f"has {len(value)} items; at most {MAX_CONTENT_ITEMS}", field=field)
                )
            for index, item in enumerate(value):
                if isinstance(item, str) and len(item) > MAX_CONTENT_ITEM_CHARS:
                    problems.append(
                        Problem(
                            f"item {index} is {len(item)} characters; at most "
                            f"{MAX_CONTENT_ITEM_CHARS}",
                            field=field,
                        )
                    )
    for field, text, bound in (
        ("proceeding", proceeding, MAX_PROCEEDING_CHARS),
        ("legal_basis_other", legal_basis_other, MAX_LEGAL_BASIS_CHARS),
    ):
        if text is not None and len(text) > bound:
            problems.append(Problem(f"is {len(text)} characters; at most {bound}", field=field))
    return problems


def size_problems(
    contents: Mapping[str, Any], proceeding: str | None, legal_basis_other: str | None
) -> list[Problem]:
    """Every field over its bound, or, if none is, the largest field when the whole request is
    too large to travel; empty if the request fits."""
    problems = _field_problems(contents, proceeding, legal_basis_other)
    if problems:
        return problems
    sizes = {f"contents.{name}": _json_bytes(value) for name, value in contents.items()}
    sizes["proceeding"] = _json_bytes(proceeding or "")
    sizes["legal_basis_other"] = _json_bytes(legal_basis_other or "")
    total = sum(sizes.values())
    if total <= MAX_REQUEST_TEXT_BYTES:
        return []
    largest = max(sizes, key=lambda name: sizes[name])
    return [
        Problem(
            f"the request's text is {total} bytes as it travels; at most "
            f"{MAX_REQUEST_TEXT_BYTES} fit in one message to the other State: shorten this "
            f"field ({sizes[largest]} bytes) or send the material as an evidence package",
            field=largest,
        )
    ]


def check_size(
    contents: Mapping[str, Any], proceeding: str | None, legal_basis_other: str | None
) -> None:
    """Raise :class:`InputError` naming each field over its bound (see :func:`size_problems`)."""
    problems = size_problems(contents, proceeding, legal_basis_other)
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputError(
            f"the request is too large to send: {first.field}: {first.message}{more}",
            problems=problems,
        )
