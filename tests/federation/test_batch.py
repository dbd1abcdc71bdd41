"""``hanoix-envelope/2`` in signed batches (``hanoix-batch/1``) as pure formats: the golden
files, what the batch signature covers, the session keys, and the refusals."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hanoix.federation import codec
from hanoix.federation.batch import (
    BATCH_FORMAT,
    SESSION_ENVELOPES,
    SESSION_LIFETIME,
    OpeningSessions,
    SealingSessions,
    batch_digests,
    batch_root,
    sign_batch,
    verify_batch,
)
from hanoix.federation.directory import Directory
from hanoix.federation.envelope import (
    BATCHED_FORMAT,
    EnvelopeHeader,
    decrypt,
    digest,
    open_envelope,
    read_envelope,
    seal_batched_envelope,
)
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.ledger import merkle
from tests.federation.builders import party, rng
from tests.golden import as_golden, read_golden

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

A_SIGN, A_DEC, A_ENTRY = party(1, "aut.test", "AUT")
B_SIGN, B_DEC, B_ENTRY = party(2, "vnm.test", "VNM")
C_SIGN, C_DEC, C_ENTRY = party(3, "bra.test", "BRA")
DIRECTORY = Directory(1, NOW, (A_ENTRY, B_ENTRY, C_ENTRY))


def _header(n: int, sender: str = "aut.test", created: datetime = NOW) -> EnvelopeHeader:
    return EnvelopeHeader(
        id=f"{n:032x}",
        sender=sender,
        recipient="vnm.test",
        type="federation.notice",
        created=created,
        expires=created + timedelta(days=1),
    )


def _seal(n: int, sessions: SealingSessions, sender: str = "aut.test") -> bytes:
    return seal_batched_envelope(
        _header(n, sender), {"text": f"message {n}"}, sessions=sessions, recipient_key=B_DEC.public
    ).data


def _batch(count: int = 3) -> tuple[list[bytes], dict[str, Any]]:
    sessions = SealingSessions(random=rng(11))
    envelopes = [_seal(n, sessions) for n in range(1, count + 1)]
    signed = sign_batch(
        batch_digests(envelopes), sender="aut.test", recipient="vnm.test", signer=A_SIGN
    )
    return envelopes, signed


def _verify(envelopes: list[bytes], signed: object, recipient: str = "vnm.test") -> str:
    return verify_batch(
        signed, batch_digests(envelopes), recipient=recipient, directory=DIRECTORY, now=NOW
    ).key_id


def _refusal(envelopes: list[bytes], signed: object) -> Reason:
    with pytest.raises(EnvelopeRejectedError) as refused:
        _verify(envelopes, signed)
    return refused.value.reason


def _open(data: bytes, sessions: OpeningSessions | None = None) -> dict[str, Any]:
    return decrypt(read_envelope(data), B_DEC, sessions)


# --- golden files ---------------------------------------------------------------------------


def test_envelopes_of_version_2_and_their_batch_encode_to_their_golden_file() -> None:
    envelopes, signed = _batch()
    encoded = {"envelopes": [json.loads(e) for e in envelopes], "batch": signed}
    assert as_golden(encoded) == read_golden(GOLDEN, "envelopes-v2-batch.json")


def test_the_golden_batch_still_verifies_and_opens() -> None:
    golden = json.loads(read_golden(GOLDEN, "envelopes-v2-batch.json"))
    envelopes = [codec.canonical(fields) for fields in golden["envelopes"]]
    assert _verify(envelopes, golden["batch"]) == A_SIGN.public.key_id
    assert [_open(e) for e in envelopes] == [{"text": f"message {n}"} for n in (1, 2, 3)]


# --- what the batch signature covers ----------------------------------------------------------


def test_the_batch_signs_the_merkle_root_of_the_envelopes_bytes_in_order() -> None:
    envelopes, signed = _batch()
    root = merkle.root_from_leaves([merkle.leaf_hash(bytes.fromhex(digest(e))) for e in envelopes])
    assert batch_root(batch_digests(envelopes)) == root
    statement = {
        "format": BATCH_FORMAT,
        "sender": "aut.test",
        "recipient": "vnm.test",
        "key_id": A_SIGN.public.key_id,
        "batch_size": 3,
        "batch_root": root.hex(),
    }
    message = (
        b"hanoix-batch/1 signature\n"
        + json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    )
    A_SIGN.public.check_signature(base64.b64decode(signed["signature"]), message)


def test_a_changed_added_missing_or_moved_envelope_breaks_the_batch_signature() -> None:
    envelopes, signed = _batch()
    altered = json.loads(envelopes[1])
    altered["type"] = "federation.ping"
    extra = _seal(9, SealingSessions())
    for changed in (
        [envelopes[0], codec.canonical(altered), envelopes[2]],
        [*envelopes, extra],
        envelopes[:2],
        [envelopes[1], envelopes[0], envelopes[2]],
    ):
        assert _refusal(changed, signed) is Reason.BAD_SIGNATURE
    assert _verify(envelopes, signed) == A_SIGN.public.key_id


def test_a_batch_for_another_node_or_by_an_unknown_key_or_node_is_refused() -> None:
    envelopes, signed = _batch()
    with pytest.raises(EnvelopeRejectedError) as elsewhere:
        _verify(envelopes, signed, recipient="bra.test")
    assert elsewhere.value.reason is Reason.WRONG_RECIPIENT
    assert _refusal(envelopes, {**signed, "key_id": "0" * 16}) is Reason.UNKNOWN_KEY
    assert _refusal(envelopes, {**signed, "sender": "ken.test"}) is Reason.UNKNOWN_SENDER
    # Another node's key over the same statement: the key named is not the sender's.
    by_c = sign_batch(
        batch_digests(envelopes), sender="aut.test", recipient="vnm.test", signer=C_SIGN
    )
    assert _refusal(envelopes, by_c) is Reason.UNKNOWN_KEY


@pytest.mark.parametrize(
    "signed",
    [
        "not an object",
        {"format": "hanoix-batch/2"},
        {"format": BATCH_FORMAT},
        {"format": BATCH_FORMAT, "sender": "aut.test", "recipient": "vnm.test", "key_id": "x"},
    ],
)
def test_a_malformed_batch_member_is_refused_as_malformed(signed: object) -> None:
    envelopes, _ = _batch(1)
    assert _refusal(envelopes, signed) is Reason.MALFORMED


def test_a_revoked_signing_key_signs_no_batch() -> None:
    envelopes, signed = _batch()
    revoked = replace(
        A_ENTRY,
        keys=tuple(replace(k, revoked=NOW - timedelta(hours=1)) for k in A_ENTRY.keys),
    )
    directory = Directory(2, NOW, (revoked, B_ENTRY, C_ENTRY))
    with pytest.raises(EnvelopeRejectedError) as refused:
        verify_batch(
            signed, batch_digests(envelopes), recipient="vnm.test", directory=directory, now=NOW
        )
    assert refused.value.reason is Reason.REVOKED_KEY


# --- the envelope -----------------------------------------------------------------------------


def test_an_envelope_of_version_2_names_no_signature_nor_wrapped_key() -> None:
    envelopes, _ = _batch(1)
    fields = json.loads(envelopes[0])
    assert fields["format"] == BATCHED_FORMAT
    assert not {"signature", "wrapped_key", "sender_key"} & set(fields)
    parsed = read_envelope(envelopes[0])
    assert parsed.version == 2 and parsed.signature == b"" and parsed.sender_key == ""
    # Written as RFC 8785 canonical JSON, whatever the header holds.
    sealed = seal_batched_envelope(
        replace(_header(4), in_reply_to="f" * 32, urgent=True),
        {"text": "Ünïcödé ✓"},
        sessions=SealingSessions(),
        recipient_key=B_DEC.public,
    ).data
    assert sealed == codec.canonical(json.loads(sealed))


def test_an_envelope_of_version_2_alone_is_refused_as_unsigned() -> None:
    envelopes, _ = _batch(1)
    with pytest.raises(EnvelopeRejectedError) as refused:
        open_envelope(
            envelopes[0],
            recipient="vnm.test",
            directory=DIRECTORY,
            decryption_key=lambda _kid: B_DEC,
            now=NOW,
        )
    assert refused.value.reason is Reason.MALFORMED
    assert "signed batch" in refused.value.detail


def test_a_header_changed_under_the_same_ciphertext_does_not_decrypt() -> None:
    envelopes, _ = _batch(1)
    for member, value in (("sender", "bra.test"), ("urgent", True), ("type", "federation.ping")):
        fields = json.loads(envelopes[0])
        fields[member] = value
        with pytest.raises(EnvelopeRejectedError) as refused:
            _open(codec.canonical(fields))
        assert refused.value.reason is Reason.UNDECRYPTABLE


def test_a_ciphertext_moved_to_another_envelope_id_does_not_decrypt() -> None:
    sessions = SealingSessions(random=rng(5))
    first = json.loads(_seal(1, sessions))
    second = json.loads(_seal(2, sessions))
    assert first["ephemeral"] == second["ephemeral"]  # one session
    second["ciphertext"] = first["ciphertext"]
    with pytest.raises(EnvelopeRejectedError) as refused:
        _open(codec.canonical(second))
    assert refused.value.reason is Reason.UNDECRYPTABLE


def test_another_nodes_key_does_not_open_it() -> None:
    envelopes, _ = _batch(1)
    with pytest.raises(EnvelopeRejectedError) as refused:
        decrypt(read_envelope(envelopes[0]), C_DEC)
    assert refused.value.reason is Reason.UNDECRYPTABLE


# --- sessions ---------------------------------------------------------------------------------


def test_a_session_ends_after_its_lifetime_or_its_count() -> None:
    sessions = SealingSessions()
    first, _ = sessions.session(B_DEC.public, NOW)
    assert sessions.session(B_DEC.public, NOW + SESSION_LIFETIME / 2)[0] == first
    later, _ = sessions.session(B_DEC.public, NOW + SESSION_LIFETIME)
    assert later != first
    # A clock set back starts a new session too rather than extend an old one.
    assert sessions.session(B_DEC.public, NOW)[0] != later
    counted = SealingSessions()
    start, _ = counted.session(B_DEC.public, NOW)
    for _ in range(SESSION_ENVELOPES - 1):
        counted.session(B_DEC.public, NOW)
    assert counted.session(B_DEC.public, NOW)[0] != start
    # One session per recipient key.
    assert counted.session(C_DEC.public, NOW)[0] != counted.session(B_DEC.public, NOW)[0]


class _CountingKey:
    """B's X25519 key, counting its agreements."""

    def __init__(self) -> None:
        self.agreements = 0

    def exchange(self, peer: Any) -> bytes:
        self.agreements += 1
        return B_DEC.private.exchange(peer)

    def public_key(self) -> Any:
        return B_DEC.private.public_key()


def test_the_receiver_agrees_a_session_key_once_and_keeps_a_bounded_number() -> None:
    opening = OpeningSessions(size=2)
    counting = _CountingKey()
    own = replace(B_DEC, private=counting)  # type: ignore[arg-type]
    keys = [SealingSessions().session(B_DEC.public, NOW) for _ in range(3)]
    for _ in range(3):
        assert opening.key(own, keys[0][0]) == keys[0][1]
    assert counting.agreements == 1
    opening.key(own, keys[1][0])
    opening.key(own, keys[2][0])  # the least recently used (the first) goes out
    opening.key(own, keys[0][0])
    assert counting.agreements == 4


def test_envelopes_of_one_session_open_with_one_agreement() -> None:
    envelopes, _ = _batch(5)
    opening = OpeningSessions()
    assert [_open(e, opening)["text"] for e in envelopes] == [f"message {n}" for n in range(1, 6)]
    assert len({json.loads(e)["ephemeral"] for e in envelopes}) == 1
