"""Fuzz target: signed notes and checkpoints (C2SP signed-note and tlog-checkpoint), as a peer
serves them, a witness cosigns them and a court checks them; and verifier keys (vkeys).

On each input whose first line is a vkey (it holds a ``+``): ``from_vkey`` of a log's key,
else of a witness's. On any other: ``Checkpoint.from_body`` on the note's text (a mutated
text never passes the signature, and the checkpoint parser must hold on its own),
``verify_cosignatures`` with the witness's key, and ``open_checkpoint`` with the log's key
(steps 1-4). Documented outcomes: :class:`CheckpointError` and :class:`MalformedKeyError`.
"""

from __future__ import annotations

import contextlib

from hanoix.evidence import keys
from hanoix.ledger.checkpoint import (
    Checkpoint,
    NoteSigner,
    NoteVerifier,
    open_checkpoint,
    parse_note,
    sign_checkpoint,
)
from hanoix.ledger.errors import CheckpointError, MalformedKeyError
from hanoix.ledger.witness import CosignatureVerifier, Cosigner, verify_cosignatures
from tests.fuzz.federation_world import rng
from tests.fuzz.harness import Parse, Target

ORIGIN = "aut.hanoix.test/ledger/0f3a"
LOG = NoteSigner(ORIGIN, keys.generate("log", "AUT", rng(41))[0].private)
WITNESS = Cosigner("vnm.hanoix.test/witness", keys.generate("witness", "VNM", rng(42))[0].private)


def seeds() -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for size, extensions in ((0, ()), (1, ()), (12345, ("extension line: yes",))):
        checkpoint = Checkpoint(ORIGIN, size, bytes(range(size % 7, size % 7 + 32)), extensions)
        note = parse_note(sign_checkpoint(checkpoint, LOG).note)
        cosignature = WITNESS.cosign(note.text, 1_790_000_000 + size).note_signature()
        found[f"checkpoint-{size}"] = note.serialize().encode()
        found[f"cosigned-{size}"] = note.with_signature(cosignature).serialize().encode()
    found["vkey"] = (LOG.verifier().vkey + "\n").encode()
    found["witness-vkey"] = (WITNESS.verifier().vkey + "\n").encode()
    return found


def prepare() -> Parse:
    log_key = LOG.verifier()
    witness_key = WITNESS.verifier()

    def parse(data: bytes) -> object:
        text = data.decode("utf-8", errors="replace")
        first_line = text.split("\n", 1)[0]
        if "+" in first_line:
            try:
                return NoteVerifier.from_vkey(first_line)
            except MalformedKeyError:
                return CosignatureVerifier.from_vkey(first_line)
        with contextlib.suppress(CheckpointError):  # documented; the note is read next
            Checkpoint.from_body(text[: text.find("\n\n") + 1] if "\n\n" in text else text)
        verify_cosignatures(data, [witness_key])
        return open_checkpoint(data, log_key)

    return parse


TARGET = Target(
    name="checkpoint",
    reads="signed notes, checkpoints and cosignatures (hanoix/ledger/checkpoint.py, witness.py)",
    documented=(CheckpointError, MalformedKeyError),
    seeds=seeds,
    prepare=prepare,
    short_runs=1000,
)
