"""Signed notes and checkpoints: the C2SP formats, byte for byte, and every way they fail."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hanoix.ledger.checkpoint import (
    MAX_NOTE_BYTES,
    MAX_SIGNATURES,
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


# --- each refusal of the formats named exactly, at its boundary -------------------------------


def _vkey_with(key: bytes, name: str = "PeterNeumann", signature_type: int = 1) -> str:
    key_hex = key_id(name, signature_type, key).hex()
    return f"{name}+{key_hex}+" + base64.b64encode(bytes([signature_type]) + key).decode()


def test_each_way_a_verifier_key_is_malformed_is_named() -> None:
    assert NoteVerifier.from_vkey(GO_VKEY).vkey == GO_VKEY
    name, key_hex, encoded = GO_VKEY.split("+", 2)
    cases = {
        f"{name}+{key_hex}": r"^a verifier key reads <name>\+<key id, 8 hex>\+<base64 key>$",
        f"{name}+{key_hex.upper()}+{encoded}": r"^the key ID of a verifier key is 8 lower-case "
        r"hex digits$",
        # A character outside the alphabet is refused, not skipped.
        f"{name}+{key_hex}+{encoded[:10]}*{encoded[11:]}": r"^the key of a verifier key is not "
        r"valid base64$",
        f"{name}+{key_hex}+" + base64.b64encode(b"\x01" + b"k" * 31).decode(): r"^the verifier "
        r"key is not an Ed25519 key of signature type 0x01$",
        f"{name}+00000000+{encoded}": r"^the key ID of the verifier key does not match its key$",
        f"Peter Neumann+{key_hex}+{encoded}": r"^key name 'Peter Neumann' is not usable: it must "
        r"be non-empty, printable, and contain neither spaces nor '\+'$",
    }
    for vkey, message in cases.items():
        with pytest.raises(MalformedKeyError, match=message):
            NoteVerifier.from_vkey(vkey)
    # A key whose base64 holds '+' splits on the first two '+' only.
    for seed in range(64):
        key = Ed25519PrivateKey.from_private_bytes(bytes([seed]) * 32)
        raw = key.public_key().public_bytes_raw()
        vkey = _vkey_with(raw)
        if "+" in vkey.split("+", 2)[2]:
            assert NoteVerifier.from_vkey(vkey).vkey == vkey
            break
    else:
        pytest.fail("no key of the 64 tried has a '+' in its base64")


@pytest.mark.parametrize("name", ["", "with space", "with+plus", "tab\tname", "bell\x07"])
def test_an_unusable_key_name_is_refused(name: str) -> None:
    with pytest.raises(MalformedKeyError, match=r"is not usable: it must be non-empty, printable"):
        NoteSigner(name, Ed25519PrivateKey.generate())


def test_a_note_of_exactly_the_largest_size_is_read_and_one_byte_more_is_not() -> None:
    signature = GO_SIGNATURE_LINE
    filler = "x" * (MAX_NOTE_BYTES - len((GO_TEXT + "\n" + signature).encode()) - 1) + "\n"
    note = GO_TEXT + filler + "\n" + signature
    assert len(note.encode()) == MAX_NOTE_BYTES
    assert parse_note(note).text == GO_TEXT + filler
    assert parse_note(note.encode()).text == GO_TEXT + filler
    too_large = rf"^the note is larger than {MAX_NOTE_BYTES} bytes$"
    with pytest.raises(CheckpointError, match=too_large):
        parse_note("y" + note)
    with pytest.raises(CheckpointError, match=too_large):
        parse_note(("y" + note).encode())


def test_a_note_may_carry_the_most_signatures_and_no_more() -> None:
    line = GO_SIGNATURE_LINE
    most = GO_TEXT + "\n" + line * MAX_SIGNATURES
    assert len(parse_note(most).signatures) == MAX_SIGNATURES
    with pytest.raises(
        CheckpointError, match=rf"^the note has more than {MAX_SIGNATURES} signatures$"
    ):
        parse_note(most + line)


def test_a_bad_signature_line_is_named_by_its_number_from_one() -> None:
    second = GO_TEXT + "\n" + GO_SIGNATURE_LINE + "— PeterNeumann\n"
    with pytest.raises(CheckpointError, match=r"^signature line 2 is not '— <name> <signature>'$"):
        parse_note(second)
    with pytest.raises(CheckpointError, match=r"^signature line 1 is not '— <name> <signature>'$"):
        parse_note(GO_TEXT + "\n" + "—  x08go\n")


@pytest.mark.parametrize(
    "encoded",
    [
        "x08g",  # four bytes: a key ID and no signature
        "x08go/ZJkx==",  # not canonical: the last character has bits that are dropped
        "@@@@",  # not base64
    ],
)
def test_a_signature_no_key_of_ours_made_is_kept_verbatim_under_no_key(encoded: str) -> None:
    line = f"— PeterNeumann {encoded}"
    (signature,) = parse_note(GO_TEXT + "\n" + line + "\n").signatures
    assert (signature.name, signature.key_id, signature.signature) == ("PeterNeumann", b"", b"")
    assert signature.line() == line + "\n"
    assert not NoteVerifier.from_vkey(GO_VKEY).matches(signature)


def test_a_signature_one_byte_longer_than_a_key_id_is_read() -> None:
    encoded = base64.b64encode(b"\xc7\x4f\x20\xa3\x01").decode()
    (signature,) = parse_note(f"{GO_TEXT}\n— PeterNeumann {encoded}\n").signatures
    assert (signature.key_id, signature.signature) == (b"\xc7\x4f\x20\xa3", b"\x01")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"origin": ""}, "a checkpoint origin is one non-empty line"),
        ({"origin": "a\nb"}, "a checkpoint origin is one non-empty line"),
        ({"size": -1}, "a checkpoint size is at least 0"),
        ({"root_hash": ROOT[:31]}, "a checkpoint root hash is 32 bytes"),
        ({"extensions": ("",)}, "checkpoint extension lines are non-empty single lines"),
        ({"extensions": ("a\nb",)}, "checkpoint extension lines are non-empty single lines"),
    ],
)
def test_a_checkpoint_that_cannot_be_written_is_refused(
    kwargs: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {"origin": ORIGIN, "size": 3, "root_hash": ROOT} | kwargs
    with pytest.raises(ValueError, match=rf"^{message}$"):
        Checkpoint(**fields)  # type: ignore[arg-type]
