"""Signed notes and checkpoints: the C2SP formats, byte for byte, and every way they fail."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoix.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    SignedNote,
    key_id,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
)
from hanoix.ledger.errors import CheckpointError, MalformedKeyError, MalformedProofError
from hanoix.ledger.merkle import EMPTY_ROOT
from hanoix.ledger.proofs import ConsistencyProof, InclusionProof

# The example of golang.org/x/mod/sumdb/note (the reference implementation of signed notes).
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIGNATURE_LINE = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKv"
    "qfqdngotpRZb6KE6RyyBwJnAM=\n"
)
GO_NOTE = GO_TEXT + "\n" + GO_SIGNATURE_LINE

ORIGIN = "vnm.hanoix.invalid/ledger"
ROOT = hashlib.sha256(b"a root").digest()


def go_signer() -> NoteSigner:
    seed = base64.b64decode(GO_SKEY.split("+", 4)[4])[1:]
    return NoteSigner("PeterNeumann", Ed25519PrivateKey.from_private_bytes(seed))


@pytest.fixture
def signer() -> NoteSigner:
    return NoteSigner(ORIGIN, Ed25519PrivateKey.generate())


# --- interoperability with the reference implementation -------------------------------------------


def test_the_go_reference_note_verifies_with_its_vkey() -> None:
    verifier = NoteVerifier.from_vkey(GO_VKEY)
    assert verifier.key_id.hex() == "c74f20a3"
    note = verifier.verify(GO_NOTE)
    assert note.text == GO_TEXT
    assert note.serialize() == GO_NOTE


def test_signing_reproduces_the_go_reference_note_byte_for_byte() -> None:
    signer = go_signer()
    assert signer.verifier().vkey == GO_VKEY
    assert SignedNote(GO_TEXT, (signer.sign(GO_TEXT),)).serialize() == GO_NOTE


def test_every_mangled_vkey_is_refused() -> None:
    # As the Go implementation's own test: every proper substring, every byte bumped.
    raw = GO_VKEY.encode()
    mangled = {raw[i:j] for i in range(len(raw) + 1) for j in range(i + 1, len(raw) + 1)}
    mangled.discard(raw)
    for position in range(len(raw)):
        mangled.add(raw[:position] + bytes([raw[position] + 1]) + raw[position + 1 :])
    mangled.add(b"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==")
    mangled.add(b"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
    for vkey in mangled:
        with pytest.raises(MalformedKeyError):
            NoteVerifier.from_vkey(vkey.decode("latin-1"))


def test_key_id_is_the_truncated_sha256_of_name_type_and_key(signer: NoteSigner) -> None:
    expected = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + signer.public_key).digest()[:4]
    assert signer.key_id == expected == key_id(ORIGIN, 0x01, signer.public_key)
    assert NoteVerifier.from_vkey(signer.verifier().vkey) == signer.verifier()


# --- checkpoints ----------------------------------------------------------------------------------


def test_checkpoint_note_has_the_c2sp_layout(signer: NoteSigner) -> None:
    signed = sign_checkpoint(Checkpoint(ORIGIN, 20852163, ROOT), signer)
    text, signature = signed.note.split("\n\n")
    assert text == f"{ORIGIN}\n20852163\n{base64.b64encode(ROOT).decode()}"
    assert signature.startswith(f"\u2014 {ORIGIN} ")
    assert signature.endswith("\n")
    raw = base64.b64decode(signature.split(" ")[2])
    assert raw[:4] == signer.key_id
    assert len(raw) == 4 + 64
    opened = open_checkpoint(signed.note, signer.verifier())
    assert opened.checkpoint == Checkpoint(ORIGIN, 20852163, ROOT)
    assert opened.note == signed.note


def test_empty_tree_and_extension_lines_round_trip(signer: NoteSigner) -> None:
    checkpoint = Checkpoint(ORIGIN, 0, EMPTY_ROOT, ("ext one", "ext two"))
    signed = sign_checkpoint(checkpoint, signer)
    assert "\n0\n" in signed.note
    assert open_checkpoint(signed.note, signer.verifier()).checkpoint == checkpoint


def test_a_bad_signature_fails(signer: NoteSigner) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT), signer).note
    text, line = note.split("\n\n")
    name, encoded = line.rstrip("\n").split(" ")[1:]
    raw = bytearray(base64.b64decode(encoded))
    raw[10] ^= 1
    forged = f"{text}\n\n\u2014 {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(forged, signer.verifier())


def test_a_changed_size_or_root_fails(signer: NoteSigner) -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT), signer).note
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(note.replace("\n5\n", "\n6\n"), signer.verifier())
    other_root = base64.b64encode(EMPTY_ROOT).decode()
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(
            note.replace(base64.b64encode(ROOT).decode(), other_root), signer.verifier()
        )


def test_a_checkpoint_of_another_origin_fails(signer: NoteSigner) -> None:
    # Signed by this very key, but naming another log: refused at step 4.
    note = sign_checkpoint(Checkpoint("aut.hanoix.invalid/ledger", 5, ROOT), signer).note
    with pytest.raises(CheckpointError, match="step 4"):
        open_checkpoint(note, signer.verifier())
    # Signed by another log's key: not signed by the expected key at all.
    other = NoteSigner("aut.hanoix.invalid/ledger", Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint("aut.hanoix.invalid/ledger", 5, ROOT), other).note
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(note, signer.verifier())


def test_a_same_named_key_that_is_not_ours_is_ignored(signer: NoteSigner) -> None:
    impostor = NoteSigner(ORIGIN, Ed25519PrivateKey.generate())
    note = sign_checkpoint(Checkpoint(ORIGIN, 5, ROOT), impostor).note
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(note, signer.verifier())


def test_unknown_signatures_are_ignored_but_a_bad_known_one_rejects(signer: NoteSigner) -> None:
    text = Checkpoint(ORIGIN, 5, ROOT).body()
    stranger = NoteSigner("witness.example/w1", Ed25519PrivateKey.generate())
    note = SignedNote(text, (stranger.sign(text), signer.sign(text))).serialize()
    assert open_checkpoint(note, signer.verifier()).size == 5
    good = signer.sign(text)
    bad = type(good)(good.name, good.key_id, bytes(64))
    twice = SignedNote(text, (good, bad)).serialize()
    with pytest.raises(CheckpointError, match="does not verify"):
        open_checkpoint(twice, signer.verifier())


def signed_text(signer: NoteSigner, text: str) -> str:
    return SignedNote(text, (signer.sign(text),)).serialize()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (f"{ORIGIN}\n5\n", "at least three lines"),
        (f"{ORIGIN}\n05\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n-5\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\nfive\n{base64.b64encode(ROOT).decode()}\n", "leading zeros"),
        (f"{ORIGIN}\n5\n{base64.b64encode(ROOT[:31]).decode()}\n", "not 32 bytes"),
        (f"{ORIGIN}\n5\nnot*base64\n", "base64"),
        (f"{ORIGIN}\n5\n{base64.b64encode(ROOT).decode()[:-1]}\n", "base64"),
        (f"\n5\n{base64.b64encode(ROOT).decode()}\n", "origin line is empty"),
    ],
)
def test_malformed_checkpoint_texts_fail(signer: NoteSigner, text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        open_checkpoint(signed_text(signer, text), signer.verifier())


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("no blank line\n\u2014 a AAAA\n", "no blank line"),
        ("text\n\n\u2014 a AAAAAAAA", "does not end with a newline"),
        ("text\n\n- a AAAAAAAA\n", "does not start with"),
        ("text\n\n\u2014 a\n", "not '\u2014 <name> <signature>'"),
        ("text\n\n\u2014 a b AAAAAAAA\n", "not '\u2014 <name> <signature>'"),
        ("te\x07xt\n\n\u2014 a AAAAAAAA\n", "control characters"),
        ("text\n\n" + "\u2014 a AAAAAAAA\n" * 101, "more than 100"),
        (b"text\n\n\xff\n", "UTF-8"),
        ("x" * 70_000 + "\n\n\u2014 a AAAAAAAA\n", "larger than"),
    ],
)
def test_malformed_notes_fail(note: str | bytes, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_note(note)


# Lines a key of ours cannot have written: C2SP says a verifier MUST ignore signatures of
# unknown keys, so each is ignored, and the note still verifies with the known key's line.
_B64_SIG = base64.b64encode(bytes(4) + bytes(64)).decode()
UNKNOWN_KEY_LINES = [
    f"\u2014 witness\u200b.example {_B64_SIG}",  # zero-width space in the name
    f"\u2014 \u202ewitness.example {_B64_SIG}",  # a bidi override
    f"\u2014 wit\u00a0ness {_B64_SIG}",  # a Unicode (no-break) space
    f"\u2014 a+b {_B64_SIG}",  # '+' is not allowed in a name
    "\u2014 witness.example AAAAAAB=",  # non-canonical: padding bits set
    "\u2014 witness.example AAAAAA",  # unpadded
    "\u2014 witness.example !!!!",  # not base64 at all
    "\u2014 witness.example AAAA",  # no room for a key ID and a signature
]


@pytest.mark.parametrize("line", UNKNOWN_KEY_LINES)
@pytest.mark.parametrize("first", [True, False])
def test_an_unreadable_line_of_an_unknown_key_is_ignored(
    signer: NoteSigner, line: str, first: bool
) -> None:
    text = Checkpoint(ORIGIN, 7, ROOT).body()
    ours = signer.sign(text).line()
    note = text + "\n" + (line + "\n" + ours if first else ours + line + "\n")
    opened = open_checkpoint(note, signer.verifier())
    assert opened.size == 7
    assert opened.note == note  # written back unchanged, the foreign line in its place


@pytest.mark.parametrize("line", UNKNOWN_KEY_LINES)
def test_a_note_with_only_unreadable_lines_is_not_signed(signer: NoteSigner, line: str) -> None:
    text = Checkpoint(ORIGIN, 7, ROOT).body()
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(text + "\n" + line + "\n", signer.verifier())


def test_our_key_in_non_canonical_base64_does_not_count(signer: NoteSigner) -> None:
    text = Checkpoint(ORIGIN, 7, ROOT).body()
    good = signer.sign(text).line().rstrip("\n")
    unpadded = good.rstrip("=")
    assert unpadded != good
    with pytest.raises(CheckpointError, match="not signed by"):
        open_checkpoint(text + "\n" + unpadded + "\n", signer.verifier())


def test_the_text_ends_at_the_last_blank_line(signer: NoteSigner) -> None:
    text = "first\n\nsecond paragraph\n"
    parsed = parse_note(signed_text(signer, text))
    assert parsed.text == text
    signer.verifier().verify(parsed)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"index": 0},
        {
            "index": -1,
            "tree_size": 1,
            "leaf_hash": "00" * 32,
            "root_hash": "00" * 32,
            "audit_path": [],
            "checkpoint": "x",
        },
        {
            "index": True,
            "tree_size": 1,
            "leaf_hash": "00" * 32,
            "root_hash": "00" * 32,
            "audit_path": [],
            "checkpoint": "x",
        },
        {
            "index": 0,
            "tree_size": 1,
            "leaf_hash": "AA" * 32,
            "root_hash": "00" * 32,
            "audit_path": [],
            "checkpoint": "x",
        },
        {
            "index": 0,
            "tree_size": 1,
            "leaf_hash": "00" * 31,
            "root_hash": "00" * 32,
            "audit_path": ["zz"],
            "checkpoint": "x",
        },
        {
            "index": 0,
            "tree_size": 1,
            "leaf_hash": "00" * 32,
            "root_hash": "00" * 32,
            "audit_path": "00",
            "checkpoint": 5,
        },
        [],
    ],
)
def test_malformed_proof_documents_are_input_errors(data: object) -> None:
    with pytest.raises(MalformedProofError):
        InclusionProof.from_dict(data)
    with pytest.raises(MalformedProofError):
        ConsistencyProof.from_dict(data)
