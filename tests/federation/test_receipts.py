"""Receipts of both versions: hanoix-receipt/1 (one signature per envelope) and
hanoix-receipt/2 (one signature per batch, each envelope proved by its Merkle audit path),
against their golden files, and the negotiation of the format of a batch's receipts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hanoix.evidence import keys
from hanoix.federation.codec import FieldError
from hanoix.federation.directory import Directory
from hanoix.federation.envelope import EnvelopeHeader
from hanoix.federation.errors import ReceiptError
from hanoix.federation.receipts import (
    BATCH_RECEIPT_FORMAT,
    RECEIPT_FORMAT,
    BatchPosition,
    Receipt,
    VerifiedSignatures,
    batch_leaf,
    choose_format,
    parse_receipt,
    sign_batch_receipts,
    sign_receipt,
    verify_receipt,
)
from hanoix.ledger import merkle
from hanoix.ledger.events import canonical_json
from tests.federation.builders import party
from tests.golden import as_golden, read_golden

GOLDEN = Path(__file__).parent / "golden"
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


A_SIGN, _, A_ENTRY = party(1, "aut.test", "AUT")
B_SIGN, _, B_ENTRY = party(2, "vnm.test", "VNM")
DIRECTORY = Directory(1, NOW, (A_ENTRY, B_ENTRY))


def _header(n: int) -> EnvelopeHeader:
    return EnvelopeHeader(
        id=f"{n:032x}",
        sender="aut.test",
        recipient="vnm.test",
        type="federation.notice",
        created=NOW,
        expires=NOW + timedelta(days=1),
    )


def _digest(n: int) -> str:
    return f"{n:02x}" * 32


BATCH = [(_header(n), _digest(n)) for n in range(1, 6)]


def _batch() -> list[Receipt]:
    return sign_batch_receipts(BATCH, NOW, B_SIGN)


def _verify(receipt: Receipt, n: int, verified: VerifiedSignatures | None = None) -> None:
    verify_receipt(
        receipt,
        envelope_id=_header(n).id,
        envelope_sha256=_digest(n),
        sender="aut.test",
        recipient="vnm.test",
        directory=DIRECTORY,
        verified=verified,
    )


# --- golden files ---------------------------------------------------------------------------


def test_a_receipt_of_version_1_encodes_to_its_golden_file() -> None:
    receipt = sign_receipt(_header(1), _digest(1), NOW, B_SIGN)
    assert as_golden(receipt.as_dict()) == read_golden(GOLDEN, "receipt-v1.json")


def test_the_receipts_of_a_batch_of_version_2_encode_to_their_golden_file() -> None:
    encoded = [receipt.as_dict() for receipt in _batch()]
    assert as_golden(encoded) == read_golden(GOLDEN, "receipts-v2-batch.json")


def test_a_golden_receipt_of_version_1_still_verifies() -> None:
    receipt = parse_receipt(json.loads(read_golden(GOLDEN, "receipt-v1.json")))
    assert receipt.format == RECEIPT_FORMAT and receipt.batch is None
    _verify(receipt, 1)


def test_each_golden_receipt_of_a_version_2_batch_verifies_on_its_own() -> None:
    golden = json.loads(read_golden(GOLDEN, "receipts-v2-batch.json"))
    receipts = [parse_receipt(item) for item in golden]
    assert [r.format for r in receipts] == [BATCH_RECEIPT_FORMAT] * len(BATCH)
    # One signature for the batch, carried by every receipt of it.
    assert len({r.signature for r in receipts}) == 1
    for n, receipt in enumerate(receipts, start=1):
        _verify(receipt, n)
        assert parse_receipt(receipt.to_bytes()) == receipt


def test_the_batch_signature_covers_the_merkle_root_of_the_envelopes_taken() -> None:
    root = merkle.root_from_leaves([batch_leaf(h.id, d) for h, d in BATCH])
    statement = {
        "format": BATCH_RECEIPT_FORMAT,
        "sender": "aut.test",
        "recipient": "vnm.test",
        "received": "2026-11-23T12:00:00Z",
        "key_id": B_SIGN.public.key_id,
        "batch_size": len(BATCH),
        "batch_root": root.hex(),
    }
    message = (
        b"hanoix-receipt/2 signature\n"
        + json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    )
    B_SIGN.public.check_signature(_batch()[0].signature, message)


# --- version 2: what the receipts prove and what they do not --------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8, 64, 256])
def test_every_receipt_of_a_batch_of_any_size_verifies(size: int) -> None:
    batch = [(_header(n), _digest(n % 256)) for n in range(1, size + 1)]
    receipts = sign_batch_receipts(batch, NOW, B_SIGN)
    for (header, digest), receipt in zip(batch, receipts, strict=True):
        verify_receipt(
            parse_receipt(receipt.to_bytes()),
            envelope_id=header.id,
            envelope_sha256=digest,
            sender="aut.test",
            recipient="vnm.test",
            directory=DIRECTORY,
        )


class _Tree:
    """The ledger's view of a list of leaves (complete subtrees), to ask it for proofs."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.leaves = list(leaves)

    def get_nodes(self, ids: Sequence[merkle.NodeID]) -> list[bytes]:
        return [
            merkle.root_from_leaves(self.leaves[i.idx << i.level :][: 1 << i.level]) for i in ids
        ]


def test_a_batchs_paths_and_root_are_the_ledgers_rfc_9162_ones() -> None:
    for size in range(1, 70):
        batch = [(_header(n), _digest(n)) for n in range(1, size + 1)]
        leaves = [batch_leaf(h.id, d) for h, d in batch]
        tree = _Tree(leaves)
        for index, receipt in enumerate(sign_batch_receipts(batch, NOW, B_SIGN)):
            assert receipt.batch is not None
            assert list(receipt.batch.path) == merkle.inclusion_proof(tree, index, size)
            root = merkle.root_from_inclusion_proof(leaves[index], index, size, receipt.batch.path)
            assert root == merkle.root_from_leaves(leaves)


def test_a_sender_cannot_prove_the_delivery_of_an_envelope_left_out_of_the_batch() -> None:
    # The sender knows every leaf it sent: it can build a path for an envelope the receiver
    # refused, but the receiver signed the root of the envelopes it took, which is another.
    taken = BATCH[:4]
    signature = sign_batch_receipts(taken, NOW, B_SIGN)[0].signature
    leaves = [batch_leaf(h.id, d) for h, d in BATCH]

    forged = Receipt(
        envelope_id=_header(5).id,
        envelope_sha256=_digest(5),
        sender="aut.test",
        recipient="vnm.test",
        received=NOW,
        key_id=B_SIGN.public.key_id,
        signature=signature,
        batch=BatchPosition(5, 4, tuple(merkle.inclusion_proof(_Tree(leaves), 4, 5))),
    )
    with pytest.raises(ReceiptError, match="step 3"):
        _verify(forged, 5)
    # Nor does claiming the batch had only the envelopes taken, with another's position.
    swapped = replace(_batch()[0], envelope_id=_header(5).id, envelope_sha256=_digest(5))
    with pytest.raises(ReceiptError, match="step 3"):
        _verify(swapped, 5)


@pytest.mark.parametrize(
    "change",
    [
        {"batch_index": 1},
        {"batch_size": 4},
        {"batch_size": 6},
        {"received": "2026-11-23T12:00:01Z"},
        {"batch_path": []},
    ],
)
def test_a_receipt_with_another_position_time_or_size_does_not_verify(
    change: dict[str, object],
) -> None:
    fields = {**_batch()[0].as_dict(), **change}
    with pytest.raises(ReceiptError, match="step 3"):
        _verify(parse_receipt(fields), 1)


@settings(max_examples=100, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_a_tampered_receipt_of_version_2_is_refused(position: int, bit: int) -> None:
    data = bytearray(_batch()[2].to_bytes())
    data[position % len(data)] ^= 1 << bit
    with pytest.raises(ReceiptError):
        _verify(parse_receipt(bytes(data)), 3)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("batch_size", 0, "batch_size"),
        ("batch_index", 5, "batch_index"),
        ("batch_path", ["00" * 32] * 18, "batch_path"),
        ("batch_path", ["XY" * 32], "hash"),
        ("batch_path", ["AB" * 32], "hash"),
        ("batch_path", ["00" * 31 + "0\n"], "hash"),
        ("batch_path", ["00" * 31], "hash"),
        ("batch_path", [None], "hash"),
        ("batch_path", "00" * 32, "batch_path"),
    ],
)
def test_a_malformed_batch_position_is_refused_by_name(
    field: str, value: object, message: str
) -> None:
    fields = {**_batch()[0].as_dict(), field: value}
    with pytest.raises(ReceiptError, match=message):
        parse_receipt(fields)


@given(
    st.text(alphabet="0123456789abcdef", min_size=32, max_size=32),
    st.text(alphabet="0123456789abcdef", min_size=64, max_size=64),
)
def test_a_leaf_written_directly_is_the_canonical_one(envelope_id: str, sha256: str) -> None:
    canonical = canonical_json({"envelope_id": envelope_id, "envelope_sha256": sha256})
    assert batch_leaf(envelope_id, sha256) == merkle.leaf_hash(canonical)


def test_a_leaf_of_other_text_is_still_canonicalised() -> None:
    # Not reached by a receipt that parsed (hex only), but the leaf stays RFC 8785's.
    odd = 'Q"\u00e9\n'
    canonical = canonical_json({"envelope_id": odd, "envelope_sha256": "ab"})
    assert batch_leaf(odd, "ab") == merkle.leaf_hash(canonical)


def test_a_receipt_of_version_1_with_batch_members_is_malformed() -> None:
    fields = {**_batch()[0].as_dict(), "format": RECEIPT_FORMAT}
    with pytest.raises(ReceiptError, match="unknown members"):
        parse_receipt(fields)


def test_a_receipt_of_an_unknown_version_is_refused_with_the_versions_known() -> None:
    fields = {**_batch()[0].as_dict(), "format": "hanoix-receipt/3"}
    with pytest.raises(ReceiptError, match="hanoix-receipt/1, hanoix-receipt/2"):
        parse_receipt(fields)


def test_a_batch_receipt_covers_one_sender_and_one_recipient() -> None:
    other = replace(_header(9), sender="other.test")
    with pytest.raises(ValueError, match="one sender"):
        sign_batch_receipts([*BATCH, (other, _digest(9))], NOW, B_SIGN)
    assert sign_batch_receipts([], NOW, B_SIGN) == []


def test_a_batch_signed_by_the_sender_itself_is_refused() -> None:
    forged = sign_batch_receipts(BATCH, NOW, A_SIGN)[0]
    with pytest.raises(ReceiptError, match="step 2"):
        _verify(forged, 1)


# --- one signature check per batch ----------------------------------------------------------


def test_the_receipts_of_a_batch_cost_one_signature_check_with_a_memo() -> None:
    checks: list[bytes] = []
    original = keys.PublicKey.check_signature

    def counting(self: keys.PublicKey, signature: bytes, message: bytes) -> None:
        checks.append(message)
        original(self, signature, message)

    verified = VerifiedSignatures()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keys.PublicKey, "check_signature", counting)
        for n, receipt in enumerate(_batch(), start=1):
            _verify(receipt, n, verified)
    assert len(checks) == 1


def test_a_memo_of_a_good_signature_lets_no_forged_receipt_through() -> None:
    verified = VerifiedSignatures()
    good = _batch()
    _verify(good[0], 1, verified)
    # Same signature, another batch claimed: the root differs, so the memo does not answer.
    forged = replace(good[1], batch=BatchPosition(2, 1, good[1].batch.path[:1]))  # type: ignore[union-attr]
    with pytest.raises(ReceiptError, match="step 3"):
        _verify(forged, 2, verified)
    # A signature that failed is not remembered: it fails again.
    bad = replace(good[2], signature=bytes(64))
    for _ in range(2):
        with pytest.raises(ReceiptError, match="step 3"):
            _verify(bad, 3, verified)


# --- negotiation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wanted", "chosen"),
    [
        (None, RECEIPT_FORMAT),  # a sender from before hanoix-receipt/2
        ([BATCH_RECEIPT_FORMAT, RECEIPT_FORMAT], BATCH_RECEIPT_FORMAT),
        ([RECEIPT_FORMAT, BATCH_RECEIPT_FORMAT], RECEIPT_FORMAT),
        ([RECEIPT_FORMAT], RECEIPT_FORMAT),
        (["hanoix-receipt/9", BATCH_RECEIPT_FORMAT], BATCH_RECEIPT_FORMAT),
    ],
)
def test_a_batch_is_answered_in_the_first_receipt_format_both_know(
    wanted: list[str] | None, chosen: str
) -> None:
    assert choose_format({} if wanted is None else {"receipts": wanted}) == chosen


@pytest.mark.parametrize(
    ("wanted", "message"),
    [
        (["hanoix-receipt/9"], "names no receipt format this node signs"),
        ([], "list of 1 to 16"),
        ("hanoix-receipt/2", "list of 1 to 16"),
        ([2], "list of 1 to 16"),
        (None, "list of 1 to 16"),  # null is not the member left out
    ],
)
def test_a_batch_asking_for_no_known_receipt_format_is_refused_by_name(
    wanted: object, message: str
) -> None:
    with pytest.raises(FieldError, match=message):
        choose_format({"receipts": wanted})
