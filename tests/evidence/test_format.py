"""Format primitives against values computed independently from the specification."""

from __future__ import annotations

import hashlib
from pathlib import Path

import blake3
import pytest

from hanoix.evidence import crypto, keys, open_package
from hanoix.evidence.format import (
    MAGIC,
    MalformedError,
    chunk_count,
    pack_preamble,
    parse_header,
    parse_preamble,
    parse_summary,
    payload_length,
)
from hanoix.evidence.keys import KeyKind
from tests.evidence.helpers import MemorySink, authority, seal_bytes


def _b3(data: bytes) -> bytes:
    return bytes(blake3.blake3(data).digest())


def test_merkle_root_matches_the_rfc_9162_shape_with_blake3() -> None:
    leaves = [crypto.leaf_hash(bytes([i])) for i in range(5)]
    assert leaves[0] == _b3(b"\x00\x00")

    def node(a: bytes, b: bytes) -> bytes:
        return _b3(b"\x01" + a + b)

    assert crypto.merkle_root(leaves[:1]) == leaves[0]
    assert crypto.merkle_root(leaves[:2]) == node(leaves[0], leaves[1])
    assert crypto.merkle_root(leaves[:3]) == node(node(leaves[0], leaves[1]), leaves[2])
    four = node(node(leaves[0], leaves[1]), node(leaves[2], leaves[3]))
    assert crypto.merkle_root(leaves[:4]) == four
    assert crypto.merkle_root(leaves) == node(four, leaves[4])


def test_merkle_root_vector_is_stable() -> None:
    # Pinned (also in docs/evidence-format.md) so a change of the tree cannot pass unseen.
    leaves = [crypto.leaf_hash(b"chunk %d" % i) for i in range(3)]
    assert crypto.merkle_root(leaves).hex() == (
        "76d34121253c420f3b2547c515696bbd35026776af22cdf472d213a78801833c"
    )


@pytest.mark.parametrize(
    ("size", "chunks"),
    [(0, 1), (1, 1), (1024, 1), (1025, 2), (2048, 2), (2049, 3)],
)
def test_chunk_count_never_adds_an_empty_final_chunk(size: int, chunks: int) -> None:
    assert chunk_count(size, 1024) == chunks
    assert payload_length(size, 1024) == size + 16 * chunks


def test_nonce_and_associated_data_bind_index_and_final_flag() -> None:
    prefix = bytes(range(7))
    assert crypto.chunk_nonce(prefix, 1, False) == prefix + b"\x00\x00\x00\x01\x00"
    assert crypto.chunk_nonce(prefix, 1, True) == prefix + b"\x00\x00\x00\x01\x01"
    digest = bytes(32)
    assert crypto.chunk_aad(digest, 258, True) == digest + b"\x00\x00\x01\x02\x01"


def test_preamble_layout() -> None:
    data = pack_preamble(300)
    assert data == MAGIC + b"\x00\x01" + b"\x00\x00" + b"\x00\x00\x01\x2c"
    assert parse_preamble(data) == 300


@pytest.mark.parametrize(
    "header",
    [
        b'{"chunk_size": 1024, "chunk_size": 2048}',
        b"[]",
        b'{"chunk_size": NaN}',
        b"\xff",
        b'{"chunk_size": ' + b"[" * 100_000,  # the decoder's RecursionError, not a crash
    ],
)
def test_headers_are_parsed_strictly(header: bytes) -> None:
    with pytest.raises(MalformedError):
        parse_header(header)


def test_a_deeply_nested_header_is_a_finding_of_verify_not_a_crash() -> None:
    import io

    from hanoix.evidence.errors import PackageVerificationError
    from hanoix.evidence.verify import verify

    # Anyone can write a header: it is parsed before the signature is checked.
    header = b'{"recipients": ' + b"[" * 100_000
    package = pack_preamble(len(header)) + header + bytes(32)
    with pytest.raises(PackageVerificationError, match="step 2: header is nested too deeply"):
        verify(io.BytesIO(package))


def test_summary_rejects_non_canonical_base64_and_booleans() -> None:
    root = "A" * 43 + "="
    good = b'{"bytes":0,"chunks":1,"files":0,"root":"%s"}' % root.encode()
    assert parse_summary(good).chunks == 1
    with pytest.raises(MalformedError):
        parse_summary(good.replace(b'"chunks":1', b'"chunks":true'))
    with pytest.raises(MalformedError):
        parse_summary(good.replace(root.encode(), b"A" * 43 + b"B"))


VECTORS = Path(__file__).with_name("vectors")


def test_the_published_vector_is_reproduced_byte_for_byte() -> None:
    # tests/evidence/vectors/ is the worked example of docs/evidence-format.md: test keys
    # (seeds 1 and 2), seed 7 for the package's randomness, the helpers' fixed clock.
    package, sealed = seal_bytes(
        {"hello.txt": b"hello\n"}, authority(1), [authority(2, "Police", "VNM")], seed=7
    )
    assert package == (VECTORS / "v1-hello.hxp").read_bytes()
    assert hashlib.sha256(package).hexdigest() == (
        "2076246f43d9216dbe30b1ef9b83c86d108f70bdd56b4dbe86222a57b32a877f"
    )
    assert sealed.package_id == (
        "sha256:a421d461b04bbcbb98798a84f858227e4be03516ac60d7465ac6f3b8bb1ca40a"
    )


def test_the_published_vector_verifies_and_opens_with_the_published_keys() -> None:
    sender = keys.parse_public(
        (VECTORS / "v1-sender-signing.pub").read_bytes(), KeyKind.SIGNING, source="v", role="r"
    )
    recipient = keys.parse_decryption_key(
        (VECTORS / "v1-recipient-encryption.key").read_bytes(), None, source="v"
    )
    with (VECTORS / "v1-hello.hxp").open("rb") as handle:
        sink = MemorySink()
        open_package(handle, recipient, sink, sender=sender)
    assert sink.committed == {"hello.txt": b"hello\n"}
