"""Format primitives against values computed independently from the specification."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import blake3
import pytest

from hanoix.evidence import crypto, keys, open_package
from hanoix.evidence.format import (
    MAGIC,
    PREAMBLE_SIZE,
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


# --- each refusal of the header named with its field (what verify reports at step 2) --------


def _header_of_a_sealed_package() -> dict[str, Any]:
    package, _ = seal_bytes({"a": b"x"}, authority(1), [authority(2, "Police", "VNM")])
    length = parse_preamble(package[:PREAMBLE_SIZE])
    header: dict[str, Any] = json.loads(package[PREAMBLE_SIZE : PREAMBLE_SIZE + length])
    return header


def _recipients(count: int) -> Callable[[dict[str, Any]], None]:
    def change(header: dict[str, Any]) -> None:
        first = header["recipients"][0]
        header["recipients"] = [
            dict(first, key=base64.b64encode(bytes([i]) * 32).decode()) for i in range(count)
        ]

    return change


_KEY_B64 = "must be 32 bytes in canonical base64"
_ONE_TO_64 = "header.recipients must list 1 to 64 recipients"


@pytest.mark.parametrize(
    ("change", "message", "field"),
    [
        (lambda h: h.update(chunk_size=3072), "header.chunk_size must be a power of two", "header"),
        (
            lambda h: h.update(chunk_size=2**25),
            "header.chunk_size must be an integer from 1024 to 16777216",
            "header",
        ),
        (
            lambda h: h.update(recipients=[]),
            "header.recipients must list 1 to 64 recipients",
            "header",
        ),
        (_recipients(65), "header.recipients must list 1 to 64 recipients", "header"),
        (
            lambda h: h.update(recipients=h["recipients"] * 2),
            "header.recipients names the same key twice",
            "header",
        ),
        (
            lambda h: h.update(salt="AAAA"),
            "header.salt must be 16 bytes in canonical base64",
            "header.salt",
        ),
        (
            lambda h: h.update(nonce_prefix="AAAA"),
            "header.nonce_prefix must be 7 bytes in canonical base64",
            "header.nonce_prefix",
        ),
        (
            lambda h: h.update(created="2026-11-23T12:00:00+00:00"),
            "header.created must be an RFC 3339 UTC time ending in Z",
            "header.created",
        ),
        (
            lambda h: h.update(request=5),
            "header.request must be a non-empty string (<= 1000)",
            "header",
        ),
        (lambda h: h.update(sender="x"), "header.sender must be an object", "header.sender"),
        (
            lambda h: h["sender"].update(state="aut"),
            "header.sender.state must be an ISO 3166-1 alpha-3 code or null",
            "header.sender",
        ),
        (
            lambda h: h["sender"].update(key="AAAA"),
            f"header.sender.key {_KEY_B64}",
            "header.sender.key",
        ),
        (
            lambda h: h["recipients"][0].update(key="AAAA"),
            f"header.recipients[0].key {_KEY_B64}",
            "header.recipients[0].key",
        ),
        (
            lambda h: h["recipients"][0].update(ephemeral="AAAA"),
            f"header.recipients[0].ephemeral {_KEY_B64}",
            "header.recipients[0].ephemeral",
        ),
        (
            lambda h: h["recipients"][0].update(wrapped_key="AAAA"),
            "header.recipients[0].wrapped_key must be 48 bytes in canonical base64",
            "header.recipients[0].wrapped_key",
        ),
        (
            lambda h: h["recipients"][0].update(colour="red"),
            "header.recipients[0] has unknown members colour",
            "header.recipients[0]",
        ),
        (lambda h: h.update(colour="red"), "header has unknown members colour", "header"),
        (lambda h: h.pop("salt"), "header lacks salt", "header"),
    ],
)
def test_each_refusal_of_a_header_names_its_field(
    change: Callable[[dict[str, Any]], None], message: str, field: str
) -> None:
    header = _header_of_a_sealed_package()
    change(header)
    with pytest.raises(MalformedError) as refused:
        parse_header(json.dumps(header).encode())
    assert (refused.value.message, refused.value.field) == (message, field)


def test_a_header_may_name_as_many_recipients_as_the_format_allows() -> None:
    header = _header_of_a_sealed_package()
    _recipients(64)(header)
    assert len(parse_header(json.dumps(header).encode()).recipients) == 64
