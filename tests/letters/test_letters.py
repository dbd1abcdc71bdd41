"""Request letters: the words of every kind in English and French, the draft, the PDF/A-3
with its embedded document, and import on the receiving node."""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import typst
from babel.messages.pofile import read_po

from hanoix.convention import RequestKind, kind_spec
from hanoix.errors import InputError, NotFoundError
from hanoix.federation.request_wire import encode_request
from hanoix.letters import attachment, compose
from hanoix.letters.reading import embedded_document
from hanoix.letters.wording import catalogue_file, wording
from hanoix.services import letters
from hanoix.services import requests as service
from hanoix.services.node import Node
from tests.letters.conftest import folded, pdf_text, pdfa_identification, poppler
from tests.services.requests_world import outgoing, user


def _plain_pdf() -> bytes:
    """A PDF that is not a letter (no attachment)."""
    pdf = typst.Compiler(ignore_system_fonts=True).compile(b"= Hello", format="pdf")
    assert isinstance(pdf, bytes)
    return pdf


def _write(tmp_path: Path, name: str, pdf: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(pdf)
    return path


@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_letter_of_every_kind_has_every_heading_in_its_language(
    world_node: Node, tmp_path: Path, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The words are checked here, the signature in test_signed_letters.py.
    monkeypatch.setattr(letters, "_signed", lambda _node, letter, _request: letter.pdf)
    words = wording(language)
    for kind in RequestKind:
        request = outgoing(world_node, "approved", kind)
        issued = letters.issue(
            world_node, user(world_node, "editor"), str(request.reference), language
        )
        text = pdf_text(_write(tmp_path, f"{kind.value}.pdf", issued.pdf))
        assert str(request.reference) in text
        assert folded(words.gettext(kind_spec(kind).title)) in text
        for content in kind_spec(kind).contents:
            heading = compose._heading(content.description, words.gettext)
            assert folded(heading) in text, (kind, heading)
            # The facts stay as the drafter wrote them.
            value = request.contents.get(content.name)
            if isinstance(value, str):
                assert folded(value) in text
        assert "DRAFT" not in text and "PROJET" not in text


def test_the_french_letter_reads_in_french(world_node: Node, tmp_path: Path) -> None:
    request = outgoing(world_node, "approved")
    issued = letters.issue(world_node, user(world_node, "editor"), str(request.reference), "fr")
    text = pdf_text(_write(tmp_path, "fr.pdf", issued.pdf))
    for phrase in (
        "Notre référence :",
        "Base juridique",
        "Entraide judiciaire",
        "23 novembre 2026",
    ):
        assert phrase in text


def test_a_request_not_yet_approved_gives_a_watermarked_draft(
    world_node: Node, tmp_path: Path
) -> None:
    request = outgoing(world_node, "awaiting_approval")
    issued = letters.issue(world_node, user(world_node, "editor"), str(request.reference))
    assert issued.draft and issued.file_name.endswith("-DRAFT.pdf")
    text = pdf_text(_write(tmp_path, "draft.pdf", issued.pdf))
    assert "DRAFT: this request has not been approved" in text
    assert "Signed electronically" not in text


def test_an_unknown_language_is_refused_naming_those_there_are(world_node: Node) -> None:
    request = outgoing(world_node, "approved")
    with pytest.raises(InputError, match=r"no letter wording for language 'xx'.*en, "):
        letters.issue(world_node, user(world_node, "editor"), str(request.reference), "xx")


def test_a_reader_who_may_not_see_the_request_gets_no_letter(world_node: Node) -> None:
    request = outgoing(world_node, "approved")
    with pytest.raises(NotFoundError, match="not found"):
        letters.issue(world_node, user(world_node, "vnm-clerk"), str(request.reference))


def test_the_letter_is_pdf_a_3_and_embeds_the_canonical_document(
    world_node: Node, tmp_path: Path
) -> None:
    request = outgoing(world_node, "approved")
    issued = letters.issue(world_node, user(world_node, "editor"), str(request.reference))
    path = _write(tmp_path, "letter.pdf", issued.pdf)
    assert pdfa_identification(path) == ("3", "B")
    assert "request.json" in poppler("pdfdetach", "-list", str(path))
    embedded = attachment.decode(embedded_document(issued.pdf))
    assert embedded.sha256 == issued.sha256
    assert embedded.reference == str(request.reference)
    assert embedded.document == encode_request(request)
    assert embedded.draft is False


def test_import_letter_registers_the_request_the_network_would(
    world_node: Node, receiving_node: Node
) -> None:
    request = outgoing(world_node, "approved")
    issued = letters.issue(world_node, user(world_node, "editor"), str(request.reference))
    imported = letters.import_letter(receiving_node, user(receiving_node, "vnm-clerk"), issued.pdf)
    assert not imported.checked.ledger_checked  # no proof at hand, the node not asked
    registered = imported.request
    assert registered.reference == request.reference
    assert registered.kind is request.kind
    assert registered.terms == request.terms
    assert (registered.requesting, registered.requested) == (request.requesting, request.requested)
    assert registered.handled_by == "VNM-CA"


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda pdf: b"not a pdf", "not a PDF"),
        (lambda pdf: _plain_pdf(), "embeds no request.json"),
    ],
)
def test_import_refuses_what_is_not_a_letter_and_imports_nothing(
    world_node: Node, receiving_node: Node, damage, message: str
) -> None:
    request = outgoing(world_node, "approved")
    issued = letters.issue(world_node, user(world_node, "editor"), str(request.reference))
    clerk = user(receiving_node, "vnm-clerk")
    with pytest.raises(InputError, match=message):
        letters.import_letter(receiving_node, clerk, damage(issued.pdf))
    with pytest.raises(NotFoundError, match="not found"):
        service.show(receiving_node, clerk, str(request.reference))


def test_import_refuses_a_draft_and_a_letter_addressed_elsewhere(
    world_node: Node, receiving_node: Node
) -> None:
    draft = outgoing(world_node, "draft")
    issued = letters.issue(world_node, user(world_node, "editor"), str(draft.reference))
    with pytest.raises(InputError, match="DRAFT"):
        letters.import_letter(receiving_node, user(receiving_node, "vnm-clerk"), issued.pdf)
    approved = outgoing(world_node, "approved")
    issued = letters.issue(world_node, user(world_node, "editor"), str(approved.reference))
    with pytest.raises(InputError, match="addressed to VNM, not this node"):
        letters.import_letter(world_node, user(world_node, "editor"), issued.pdf)


def _marked(path: Path) -> list[str]:
    tree = ast.parse(path.read_text("utf-8"))
    return [
        ast.literal_eval(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "N_"
    ]


@pytest.mark.parametrize("language", ["fr", "es", "ar", "zh", "ru"])
def test_every_catalogue_is_complete(language: str) -> None:
    messages = _marked(Path(compose.__file__))
    for kind in RequestKind:
        spec = kind_spec(kind)
        messages += [spec.title, *(c.description for c in spec.contents)]
    with catalogue_file(language).open("rb") as source:
        catalogue = read_po(source, locale=language)
    missing = [m for m in messages if m not in catalogue or not catalogue[m].string]
    assert not missing


def test_without_a_language_the_letter_is_in_one_the_requested_state_accepts(
    world_node: Node,
) -> None:
    french = outgoing(world_node, "draft", language="fr")
    assert (
        letters.issue(world_node, user(world_node, "editor"), str(french.reference)).language
        == "fr"
    )
    # German is not one of the languages Viet Nam accepts (nor has a catalogue): English is.
    german = outgoing(world_node, "draft", language="de")
    assert (
        letters.issue(world_node, user(world_node, "editor"), str(german.reference)).language
        == "en"
    )


def test_letters_typeset_in_several_threads_at_once(world_node: Node) -> None:
    # The API's handlers run in a thread pool; Typst's compiler is used by one at a time.
    requests = [str(outgoing(world_node, "draft").reference) for _ in range(4)]
    editor = user(world_node, "editor")
    with ThreadPoolExecutor(4) as pool:
        made = list(pool.map(lambda ref: letters.issue(world_node, editor, ref), requests))
    assert [m.reference for m in made] == requests


def test_a_withdrawn_request_gets_no_letter(world_node: Node) -> None:
    withdrawn = outgoing(world_node, "withdrawn")
    with pytest.raises(InputError, match="was withdrawn"):
        letters.issue(world_node, user(world_node, "editor"), str(withdrawn.reference))
