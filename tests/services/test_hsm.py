"""The node's keys in a SoftHSM2 token: checkpoints, envelopes and evidence packages signed
through the token and accepted by the verifiers every node and court already runs."""

from __future__ import annotations

import base64
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hanoix.clock import FixedClock
from hanoix.config import Settings, load_settings
from hanoix.evidence import keys as keyfiles
from hanoix.evidence.errors import KeyFileError
from hanoix.evidence.keys import DecryptionKey, KeyKind
from hanoix.evidence.seal import seal
from hanoix.evidence.verify import verify
from hanoix.federation.envelope import (
    EnvelopeHeader,
    decrypt,
    read_envelope,
    seal_envelope,
    verify_signature,
)
from hanoix.federation.identity import load_identity, new_generation
from hanoix.ledger.checkpoint import NoteVerifier, open_checkpoint
from hanoix.ledger.events import CustodyEvent, EventKind
from hanoix.ledger.witness import verify_cosignatures, witness_checkpoint
from hanoix.services import custody, hsm
from hanoix.services.node import Node
from hanoix.store.hsm import TokenError, TokenSigner
from hanoix.store.keys import load_signing_key, unwrapped_key
from tests.evidence.helpers import WHEN, authority, rng_source, sources
from tests.softhsm import SoftHsm

AT = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def hsm_settings(tmp_path: Path, softhsm: SoftHsm) -> Settings:
    return load_settings(
        tmp_path / "home",
        environ={},
        hsm_module=softhsm.module,
        hsm_pin_file=softhsm.pin_file,
        state="AUT",
    )


def test_checkpoints_and_cosignatures_signed_in_the_token_pass_the_existing_verifiers(
    tmp_path: Path, softhsm: SoftHsm
) -> None:
    settings = hsm_settings(tmp_path, softhsm)
    made = hsm.generate_node_key(settings, "ledger", softhsm.token, softhsm.label("ledger"))
    hsm.generate_node_key(settings, "witness", softhsm.token, softhsm.label("witness"))
    reference = keyfiles.parse_token_reference(
        (settings.keys_dir / "ledger.key").read_bytes(), source="ledger.key", role="test"
    )
    assert reference is not None and reference.public.key_id == made["key_id"]

    node = Node.open(settings, clock=FixedClock(AT))
    try:
        node.initialise()
        with node.unit_of_work() as session:
            custody.record(
                session,
                CustodyEvent(
                    kind=EventKind.PACKAGE_SEALED,
                    actor="examiner:a",
                    authority="AUT-BMJ",
                    at=AT,
                    subject={"package": "sha256:" + "ab" * 32},
                ),
                clock=node.clock,
            )
        ledger = custody.CustodyLedger(node)
        signed = ledger.checkpoint()
        report = ledger.verify()
        with node.unit_of_work() as session:
            identity = custody.load_identity(node, session)
    finally:
        node.close()
    # The key the file names, whose private half only the token has, signed the checkpoint.
    log_key = NoteVerifier(signed.origin, reference.public.raw)
    opened = open_checkpoint(signed.note, log_key)
    assert opened.size == signed.size >= 1
    assert report.problems == () and report.checkpoints_checked >= 1
    # The witness key in the token cosigns, as a peer's witness would, checked as peers do.
    assert isinstance(identity.cosigner._private_key, TokenSigner)
    witnessed = witness_checkpoint(
        identity.cosigner, signed.note, log_key, previous=None, now=AT + timedelta(minutes=1)
    )
    found = verify_cosignatures(witnessed.cosigned_note, [identity.witness_verifier])
    assert [c.name for c in found] == [f"{signed.origin}/witness"]


def test_a_node_key_in_use_is_not_replaced_by_one_in_the_token(
    tmp_path: Path, softhsm: SoftHsm
) -> None:
    settings = hsm_settings(tmp_path, softhsm)
    settings.keys_dir.mkdir(parents=True)
    (settings.keys_dir / "witness.key").write_text("a key in use")
    with pytest.raises(KeyFileError, match=r"witness.key exists already.*hanoix keys hsm import"):
        hsm.generate_node_key(settings, "witness", softhsm.token, softhsm.label())
    with pytest.raises(KeyFileError, match=r"is ledger or witness, not 'tls'"):
        hsm.generate_node_key(settings, "tls", softhsm.token, softhsm.label())


def test_envelopes_are_signed_and_opened_with_a_federation_generation_in_the_token(
    tmp_path: Path, softhsm: SoftHsm
) -> None:
    settings = hsm_settings(tmp_path, softhsm)
    node = Node.open(settings, clock=FixedClock(AT))
    origin, device, wrapping = "aut.example", node.keys.hsm, softhsm.label("wrap")
    in_token = hsm.generate_in_token(device, softhsm.token, softhsm.label("signing"), origin, "AUT")

    def seal_in(key: DecryptionKey) -> str:
        return hsm.sealed_text(device, key, softhsm.token, wrapping)

    assert new_generation(node.keys, origin, "AUT", in_token=in_token, seal=seal_in) == 1
    identity = load_identity(node.keys, origin, "AUT")
    signing = identity.signing_key(None, AT)
    assert isinstance(signing.private, TokenSigner)
    assert signing.public.key_id == in_token.public.key_id

    # Sealed to the generation's own X25519 key, whose file is encrypted under the token's
    # AES key: signed in the token, checked by the verifier every node runs, and opened.
    own = identity.generations[0].decryption
    header = EnvelopeHeader(
        "0" * 32, origin, "vnm.example", "hanoix.test", AT, AT + timedelta(hours=1)
    )
    sealed = seal_envelope(header, {"hello": 1}, signer=signing, recipient_key=own.public)
    parsed = read_envelope(sealed.data)
    verify_signature(parsed, signing.public)
    assert decrypt(parsed, own) == {"hello": 1}

    encrypted = (settings.keys_dir / "federation" / "encryption-1.key").read_bytes()
    with pytest.raises(KeyFileError, match="needs the hardware token 'hanoix-test'"):
        keyfiles.parse_decryption_key(encrypted, None, source="encryption-1.key")
    nonce = next(line for line in encrypted.splitlines() if line.startswith(b"nonce: "))
    altered = encrypted.replace(nonce, b"nonce: " + base64.b64encode(bytes(12)))
    with pytest.raises(TokenError, match="could not decrypt it"):
        unwrapped_key(altered, device, KeyKind.ENCRYPTION, source="altered", role="test")


def test_evidence_sealed_with_an_authoritys_key_in_the_token_verifies(
    tmp_path: Path, softhsm: SoftHsm
) -> None:
    device = softhsm.hsm()
    made = hsm.generate_key_file(
        device,
        softhsm.token,
        softhsm.label("evidence"),
        tmp_path / "aut" / "signing.key",
        authority="Ministry of Justice",
        state="AUT",
    )
    assert (tmp_path / "aut" / "signing.pub").is_file()
    signer = load_signing_key(tmp_path / "aut" / "signing.key", hsm=device)
    out = io.BytesIO()
    seal(
        sources({"a.txt": b"seized"}),
        out,
        signer=signer,
        recipients=[authority(2).recipient],
        clock=FixedClock(WHEN),
        random=rng_source(7),
    )
    verified = verify(io.BytesIO(out.getvalue()), sender=signer.public)
    assert verified.report.signer is not None
    assert verified.report.signer.key_id == made["key_id"]
    checked = hsm.check_key_file(device, tmp_path / "aut" / "signing.key")
    assert (checked["sensitive"], checked["extractable"], checked["signs"]) == (True, False, True)
