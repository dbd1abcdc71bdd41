"""Signed letters: the PAdES signature by the requesting node, checked by pyHanko and pdfsig,
and every kind of tampering named by 'letter verify' and refused by 'import-letter'."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyhanko.pdf_utils.embed import EmbeddedFileObject, FileSpec, embed_file
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

from hanoix.api.app import create_app
from hanoix.errors import InputError, NotFoundError
from hanoix.federation.transport import CERT_VALIDITY, make_certificate
from hanoix.ledger.checkpoint import Checkpoint, sign_checkpoint
from hanoix.letters import signing
from hanoix.letters.attachment import read_qr
from hanoix.letters.proof import LetterProof
from hanoix.letters.reading import embedded_document, keywords
from hanoix.letters.typeset import TypesetLetter
from hanoix.services import letters
from hanoix.services import requests as service
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from tests.letters.conftest import install_directory, pdfa_identification, poppler, state_node
from tests.services.requests_world import outgoing, user
from tests.serving import served_in_thread


def _issued(node: Node, status: str = "approved") -> letters.IssuedLetter:
    request = outgoing(node, status)
    return letters.issue(node, user(node, "editor"), str(request.reference))


def _failed(node: Node, pdf: bytes) -> dict[str, str]:
    checked = letters.verify(node, pdf)
    return {c.name: c.detail for c in checked.failures}


def test_an_approved_request_gives_a_signed_letter_that_verifies(
    world_node: Node, receiving_node: Node, tmp_path: Path
) -> None:
    issued = _issued(world_node)
    facts = signing.read_signature(issued.pdf)
    assert facts is not None and facts.intact and facts.valid and facts.whole_file
    checked = letters.verify(receiving_node, issued.pdf)
    assert checked.verified, checked.as_dict()
    assert [c.name for c in checked.checks] == [
        "qr-digest",
        "signature",
        "unchanged",
        "signer",
        "certificate",
        "ledger",
    ]
    # Without a proof at hand and without asking the requesting node, the ledger is not
    # checked, and the report says so rather than counting it as held.
    assert not checked.ledger_checked and checked.checks[-1].as_dict() == {
        "check": "ledger",
        "holds": False,
        "run": False,
        "detail": "not checked: no proof at hand and the requesting node not asked",
    }
    path = tmp_path / "letter.pdf"
    path.write_bytes(issued.pdf)
    # A second validator: poppler's pdfsig (NSS) checks the same signature.
    assert "Signature is Valid." in poppler("pdfsig", str(path))
    # Signing appends an update: the letter is still PDF/A-3.
    assert pdfa_identification(path) == ("3", "B")


def test_a_draft_is_unsigned_and_does_not_verify(world_node: Node, receiving_node: Node) -> None:
    issued = _issued(world_node, "draft")
    assert signing.read_signature(issued.pdf) is None
    failed = _failed(receiving_node, issued.pdf)
    assert failed.keys() == {"issued", "signature"}


def _altered_text(pdf: bytes) -> bytes:
    at = pdf.index(b"Request for international cooperation")
    return pdf[:at] + b"r" + pdf[at + 1 :]


def _swapped_attachment(pdf: bytes) -> bytes:
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    forged = json.loads(embedded_document(pdf))
    forged["document"]["proceeding"] = "another proceeding"
    data = json.dumps(forged).encode()
    embed_file(
        writer,
        FileSpec(
            "request.json",
            embedded_data=EmbeddedFileObject.from_file_data(writer, data),
        ),
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("tamper", "named"),
    [
        (_altered_text, {"signature": "altered after signing"}),
        (
            _swapped_attachment,
            {"qr-digest": "swapped attachment", "unchanged": "changed after signing"},
        ),
    ],
)
def test_tampering_is_named_and_nothing_is_imported(
    world_node: Node,
    receiving_node: Node,
    tamper: Callable[[bytes], bytes],
    named: dict[str, str],
) -> None:
    issued = _issued(world_node)
    damaged = tamper(issued.pdf)
    failed = _failed(receiving_node, damaged)
    for name, words in named.items():
        assert words in failed.get(name, ""), failed
    clerk = user(receiving_node, "vnm-clerk")
    with pytest.raises(letters.LetterNotVerifiedError, match="nothing imported"):
        letters.import_letter(receiving_node, clerk, damaged)
    with pytest.raises(NotFoundError):
        service.show(receiving_node, clerk, issued.reference)


def _stranger_signs(monkeypatch: pytest.MonkeyPatch, node: Node, *, age: timedelta) -> bytes:
    """Letters signed with a new certificate (made ``age`` ago), which no directory lists;
    its PEM."""
    key_pem, cert_pem = make_certificate("stranger.invalid", node.clock.now() - age)

    def signed(_node: Node, letter: TypesetLetter, _request: Any) -> bytes:
        return signing.sign(
            letter.pdf, key_pem=key_pem, certificate_pem=cert_pem, reason="forged", location="AUT"
        )

    monkeypatch.setattr(letters, "_signed", signed)
    return cert_pem


def test_a_re_signature_by_another_key_is_a_wrong_signer(
    world_node: Node, receiving_node: Node, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stranger_signs(monkeypatch, world_node, age=timedelta(0))
    issued = _issued(world_node)
    failed = _failed(receiving_node, issued.pdf)
    assert failed.keys() == {"signer"}
    assert "wrong signer" in failed["signer"]


def test_a_second_signature_over_a_signed_letter_is_a_change_after_signing(
    world_node: Node, receiving_node: Node
) -> None:
    issued = _issued(world_node)
    key_pem, cert_pem = make_certificate("stranger.invalid", world_node.clock.now())
    twice = signing.sign(
        issued.pdf,
        key_pem=key_pem,
        certificate_pem=cert_pem,
        reason="x",
        location="AUT",
        field_name="Another",
    )
    assert "changed after signing" in _failed(receiving_node, twice)["unchanged"]


def test_without_a_directory_the_signer_cannot_be_checked(world_node: Node, tmp_path: Path) -> None:
    issued = _issued(world_node)
    for bare in state_node(tmp_path / "bare", "VNM"):
        assert "no directory of nodes" in _failed(bare, issued.pdf)["signer"]


def test_a_pdf_that_is_not_a_letter_is_unusable_input(receiving_node: Node) -> None:
    with pytest.raises(InputError, match="not a PDF"):
        letters.verify(receiving_node, b"hello")


def test_the_issue_is_a_custody_event_the_qr_code_points_to(world_node: Node) -> None:
    issued = _issued(world_node)
    assert issued.ledger is not None
    ledger = CustodyLedger(world_node)
    entries = ledger.history("request", issued.reference)
    letter = [e for e in entries if json.loads(e.entry)["kind"] == "request.letter-issued"]
    assert [e.index for e in letter] == [issued.ledger.index]
    details = json.loads(letter[0].entry)["details"]
    assert details == {"document_sha256": issued.sha256, "language": "en"}
    proof = ledger.prove_inclusion(issued.ledger.index, issued.ledger.size)
    checkpoint = proof.verify(ledger.verifier)
    assert checkpoint.root_hash.hex() == issued.ledger.root_hex
    qr = read_qr(keywords(issued.pdf))
    assert qr is not None and qr.ledger == issued.ledger and qr.sha256 == issued.sha256


def test_a_draft_letter_records_nothing(world_node: Node) -> None:
    issued = _issued(world_node, "draft")
    history = CustodyLedger(world_node).history("request", issued.reference)
    kinds = [json.loads(e.entry)["kind"] for e in history]
    assert "request.letter-issued" not in kinds


def test_the_requesting_nodes_proof_of_the_issue_is_checked_when_at_hand(
    world_node: Node, receiving_node: Node
) -> None:
    issued = _issued(world_node)
    assert issued.ledger is not None
    proof = letters.proof_of(world_node, issued.pdf)
    assert (proof.inclusion.index, proof.inclusion.tree_size) == (
        issued.ledger.index,
        issued.ledger.size,
    )
    checked = letters.verify(receiving_node, issued.pdf, LetterProof.from_dict(proof.as_dict()))
    assert checked.verified and checked.ledger_checked
    assert checked.checks[-1].name == "ledger" and "the issue of this letter" in (
        checked.checks[-1].detail
    )

    def ledger_failure(given: LetterProof) -> str:
        return {
            c.name: c.detail for c in letters.verify(receiving_node, issued.pdf, given).failures
        }["ledger"]

    # A proof of another entry (the request's approval, say) is not the letter's.
    ledger = CustodyLedger(world_node)
    index = issued.ledger.index - 1
    approval = next(ledger.entries(index, index + 1)).entry
    other = LetterProof(approval, ledger.prove_inclusion(index, issued.ledger.size))
    assert "not of entry" in ledger_failure(other)
    # The letter's proof with another entry's bytes: the entry is not the one proved.
    assert "step 3" in ledger_failure(replace(proof, entry=approval))
    # The same tree's checkpoint signed by another log does not verify with the signer's key.
    inclusion = proof.inclusion
    other_log = CustodyLedger(receiving_node).identity.signer
    signed = sign_checkpoint(
        Checkpoint(ledger.origin, inclusion.tree_size, inclusion.root_hash), other_log
    )
    forged = replace(proof, inclusion=replace(inclusion, checkpoint=signed.note))
    assert "does not verify" in ledger_failure(forged)


def test_import_checks_the_record_of_the_issue_when_it_has_a_proof_and_refuses_a_wrong_one(
    world_node: Node, receiving_node: Node
) -> None:
    issued = _issued(world_node)
    assert issued.ledger is not None
    proof = letters.proof_of(world_node, issued.pdf)
    clerk = user(receiving_node, "vnm-clerk")
    ledger = CustodyLedger(world_node)
    index = issued.ledger.index - 1
    approval = next(ledger.entries(index, index + 1)).entry
    with pytest.raises(letters.LetterNotVerifiedError, match=r"ledger: .*step 3"):
        letters.import_letter(receiving_node, clerk, issued.pdf, replace(proof, entry=approval))
    with pytest.raises(NotFoundError):
        service.show(receiving_node, clerk, issued.reference)  # nothing imported
    imported = letters.import_letter(receiving_node, clerk, issued.pdf, proof)
    assert imported.checked.ledger_checked and str(imported.request.reference) == issued.reference


def test_the_requesting_node_proves_only_the_issue_of_the_letter_asked_for(
    world_node: Node,
) -> None:
    issued = _issued(world_node)
    assert issued.ledger is not None
    mark = issued.ledger
    found = letters.issue_proof(world_node, issued.reference, mark.index, mark.size, issued.sha256)
    assert json.loads(found.entry)["kind"] == "request.letter-issued"
    # Another digest, another request's reference, another entry, a tree not yet grown: the
    # same "not found" (the digest is the key; nothing is learnt about other entries).
    for reference, index, sha in (
        (issued.reference, mark.index, "0" * 64),
        ("AUT-2026-999999", mark.index, issued.sha256),
        (issued.reference, mark.index - 1, issued.sha256),
        (issued.reference, 10**9, issued.sha256),
    ):
        with pytest.raises(NotFoundError, match="no issue of a letter"):
            letters.issue_proof(world_node, reference, index, mark.size, sha)
    with pytest.raises(InputError, match="no tree of size"):
        letters.issue_proof(world_node, issued.reference, mark.index, 10**9, issued.sha256)
    with pytest.raises(InputError, match="nothing to prove"):
        letters.proof_of(world_node, _issued(world_node, "draft").pdf)


def test_the_proof_is_asked_of_the_requesting_node_when_it_is_reachable(
    world_node: Node, tmp_path: Path
) -> None:
    issued = _issued(world_node)
    own = world_node.federation.own_entry()
    with served_in_thread(create_app(world_node)) as base:
        for receiving in state_node(tmp_path / "vnm-online", "VNM"):
            served = replace(own, base_url=base)
            install_directory(receiving, entries=(served, receiving.federation.own_entry()))
            checked = letters.verify(receiving, issued.pdf, fetch=True)
            assert checked.verified and checked.ledger_checked, checked.as_dict()
            # The peer route answers the same "not found" for a digest it did not record.
            answer = httpx.get(
                f"{base}/federation/v1/letters/{issued.reference}/issue",
                params={"index": 0, "size": 1, "document": "0" * 64},
            )
            assert answer.status_code == 404
            assert "no issue of a letter" in answer.json()["detail"]
    # The node gone: the check does not run, and the letter's other checks still stand.
    for receiving in state_node(tmp_path / "vnm-offline", "VNM"):
        gone = replace(own, base_url=base)
        install_directory(receiving, entries=(gone, receiving.federation.own_entry()))
        checked = letters.verify(receiving, issued.pdf, fetch=True)
        assert checked.verified and not checked.ledger_checked
        assert "unreachable" in checked.checks[-1].detail


def test_a_certificate_not_valid_when_the_letter_was_signed_is_stale(
    world_node: Node, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Austria's node signs with a certificate that expired before the signing, and the
    # directory Viet Nam's node holds lists it as Austria's.
    stale = _stranger_signs(monkeypatch, world_node, age=CERT_VALIDITY + timedelta(days=30))
    entry = replace(world_node.federation.own_entry(), tls_certificate=stale.decode("ascii"))
    for receiving in state_node(tmp_path / "vnm-stale", "VNM"):
        install_directory(receiving, entries=(entry, receiving.federation.own_entry()))
        failed = _failed(receiving, _issued(world_node).pdf)
        assert failed.keys() == {"certificate"}
        assert "stale certificate" in failed["certificate"]


def test_the_qr_code_printed_on_the_first_page_reads_as_the_signed_keywords(
    world_node: Node, tmp_path: Path
) -> None:
    """What a clerk's phone reads from the printed letter is what the signature covers."""
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    issued = _issued(world_node)
    path = tmp_path / "letter.pdf"
    path.write_bytes(issued.pdf)
    poppler("pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-png", str(path), str(tmp_path / "p"))
    (page,) = tmp_path.glob("p*.png")
    found = zxingcpp.read_barcodes(Image.open(page))
    assert [code.text for code in found] == [keywords(issued.pdf)]
    qr = read_qr(found[0].text)
    assert qr is not None and qr.sha256 == issued.sha256 and qr.ledger == issued.ledger


def test_the_signatures_widget_lies_over_the_letters_signature_block(
    world_node: Node, tmp_path: Path
) -> None:
    """A reader's click on the signature block opens the signature's status: the widget is
    there, with an (empty) appearance stream, as PDF/A wants for a visible widget."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields

    issued = _issued(world_node)
    reader = PdfFileReader(io.BytesIO(issued.pdf))
    ((name, _value, field_ref),) = list(enumerate_sig_fields(reader))
    widget = field_ref.get_object()
    assert name == signing.FIELD_NAME and "/N" in widget["/AP"]
    left, bottom, right, top = (float(v) for v in widget["/Rect"])
    assert right - left > 300 and top - bottom > 20
    pages = [page.get_object() for page in reader.root["/Pages"]["/Kids"]]
    number = 1 + next(i for i, page in enumerate(pages) if page is widget["/P"].get_object())
    path = tmp_path / "letter.pdf"
    path.write_bytes(issued.pdf)
    height = float(pages[number - 1]["/MediaBox"][3])
    crop = {"-x": left, "-y": height - top, "-W": right - left, "-H": top - bottom}
    options = [part for flag, value in crop.items() for part in (flag, f"{value:.0f}")]
    page = str(number)
    under = poppler("pdftotext", "-f", page, "-l", page, *options, str(path), "-")
    assert "For the requesting authority: AUT-CA" in under and "Approved by:" in under
