"""Format primitives against values computed independently from the specification."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import blake3
import pytest

from hanoix.evidence import crypto, keys, open_package
from hanoix.evidence.errors import NotAPackageError, UnsupportedVersionError
from hanoix.evidence.format import (
    MAGIC,
    PREAMBLE_SIZE,
    MalformedError,
    Summary,
    Trailer,
    chunk_count,
    format_time,
    pack_footer,
    pack_preamble,
    pack_trailer_body,
    parse_footer,
    parse_header,
    parse_preamble,
    parse_summary,
    parse_trailer,
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
_REQUEST_TEXT = "header.request must be a non-empty string (<= 1000)"


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
            _REQUEST_TEXT,
            "header",
        ),
        (lambda h: h.update(request=""), _REQUEST_TEXT, "header"),
        (lambda h: h.update(request="R" * 1001), _REQUEST_TEXT, "header"),
        (
            lambda h: h["sender"].update(authority=""),
            "header.sender.authority must be a non-empty string (<= 1000)",
            "header.sender",
        ),
        (
            lambda h: h["recipients"][0].update(authority=5),
            "header.recipients[0].authority must be a non-empty string (<= 1000)",
            "header.recipients[0]",
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


@pytest.mark.parametrize(
    ("created", "why"),
    [
        ("2026-13-01T00:00:00Z", "is not an RFC 3339 time"),
        ("2026-11-23T12:00:00.000Z", "is not in canonical form"),
    ],
)
def test_a_creation_time_not_in_canonical_rfc_3339_is_named(created: str, why: str) -> None:
    header = _header_of_a_sealed_package()
    header["created"] = created
    assert _refusal(parse_header, json.dumps(header).encode()) == (
        f"header.created {why}: {created!r}",
        "header.created",
    )


def test_a_header_takes_texts_up_to_their_limit_and_parties_without_a_name() -> None:
    header = _header_of_a_sealed_package()
    header["request"] = "R" * 1000
    header["sender"].update(authority=None, state=None)
    parsed = parse_header(json.dumps(header).encode())
    assert parsed.request == "R" * 1000
    assert (parsed.sender.authority, parsed.sender.state) == (None, None)
    assert parsed.recipients[0].recipient.authority == "Police"


def test_a_malformed_error_reads_as_its_message() -> None:
    error = MalformedError("summary lacks root", "summary")
    assert (str(error), error.message, error.field) == (
        "summary lacks root",
        "summary lacks root",
        "summary",
    )


def test_a_header_may_name_as_many_recipients_as_the_format_allows() -> None:
    header = _header_of_a_sealed_package()
    _recipients(64)(header)
    assert len(parse_header(json.dumps(header).encode()).recipients) == 64


# --- the summary and the trailer, parsed strictly (what verify reports at step 3) -----------

_ROOT = bytes(range(32))
_ROOT_B64 = base64.b64encode(_ROOT).decode()


def _summary_json(**changes: Any) -> bytes:
    members: dict[str, Any] = {"bytes": 5, "chunks": 2, "files": 1, "root": _ROOT_B64}
    members.update(changes)
    return json.dumps(members).encode()


def _refusal(parse: Callable[[bytes], object], data: bytes) -> tuple[str, str]:
    with pytest.raises(MalformedError) as refused:
        parse(data)
    return refused.value.message, refused.value.field


def test_a_summary_is_encoded_canonically_and_read_back_whole() -> None:
    summary = Summary(chunks=3, plaintext_bytes=2049, files=2, root=_ROOT)
    encoded = summary.encode()
    assert encoded == b'{"bytes":2049,"chunks":3,"files":2,"root":"%s"}' % _ROOT_B64.encode()
    assert parse_summary(encoded) == summary


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("chunks", 1),
        ("chunks", 2**32 - 1),
        ("bytes", 0),
        ("bytes", 2**63 - 1),
        ("files", 0),
        ("files", 2**32 - 1),
    ],
)
def test_a_summary_accepts_each_count_at_its_bounds(member: str, value: int) -> None:
    parsed = parse_summary(_summary_json(**{member: value}))
    assert parsed == Summary(
        chunks=value if member == "chunks" else 2,
        plaintext_bytes=value if member == "bytes" else 5,
        files=value if member == "files" else 1,
        root=_ROOT,
    )


_COUNT = {
    "chunks": "summary.chunks must be an integer from 1 to 4294967295",
    "bytes": "summary.bytes must be an integer from 0 to 9223372036854775807",
    "files": "summary.files must be an integer from 0 to 4294967295",
}


@pytest.mark.parametrize(
    ("member", "value"),
    [
        ("chunks", 0),
        ("chunks", 2**32),
        ("chunks", True),
        ("chunks", 2.0),
        ("bytes", -1),
        ("bytes", 2**63),
        ("files", -1),
        ("files", 2**32),
    ],
)
def test_a_summary_refuses_each_count_out_of_its_range(member: str, value: object) -> None:
    data = _summary_json(**{member: value})
    assert _refusal(parse_summary, data) == (_COUNT[member], "summary")


@pytest.mark.parametrize(
    ("data", "message", "field"),
    [
        (_summary_json(root=5), "summary.root must be a base64 string", "summary.root"),
        (
            _summary_json(root="A" * 43 + "!"),
            "summary.root is not valid base64",
            "summary.root",
        ),
        (
            # a character outside the alphabet is refused, not skipped over
            _summary_json(root=_ROOT_B64[:20] + "!" + _ROOT_B64[20:]),
            "summary.root is not valid base64",
            "summary.root",
        ),
        (_summary_json(root="é" * 44), "summary.root is not valid base64", "summary.root"),
        (
            _summary_json(root="A" * 43 + "B"),
            "summary.root must be 32 bytes in canonical base64",
            "summary.root",
        ),
        (
            _summary_json(root="AAAA"),
            "summary.root must be 32 bytes in canonical base64",
            "summary.root",
        ),
        (
            _summary_json(root=base64.b64encode(bytes(33)).decode()),
            "summary.root must be 32 bytes in canonical base64",
            "summary.root",
        ),
        (
            _summary_json(colour="red"),
            "summary has unknown members colour",
            "summary",
        ),
        (b'{"chunks": 1}', "summary lacks bytes, files, root", "summary"),
        (b"[1]", "summary must be a JSON object", "summary"),
        (
            _summary_json()[:-1] + b', "chunks": 2}',
            "summary is not valid JSON: duplicate member 'chunks'",
            "summary",
        ),
        (
            _summary_json().replace(b'"bytes": 5', b'"bytes": NaN'),
            "summary is not valid JSON: NaN is not allowed",
            "summary",
        ),
        (
            _summary_json().replace(b'"bytes": 5', b'"bytes": -Infinity'),
            "summary is not valid JSON: -Infinity is not allowed",
            "summary",
        ),
        (
            b"\xff{}",
            "summary is not valid JSON: 'utf-8' codec can't decode byte 0xff in position 0: "
            "invalid start byte",
            "summary",
        ),
        (
            b"[" * 100_000,
            "summary is nested too deeply to be read",
            "summary",
        ),
    ],
)
def test_each_refusal_of_a_summary_names_its_field(data: bytes, message: str, field: str) -> None:
    assert _refusal(parse_summary, data) == (message, field)


def _trailer(
    summary: bytes | None = None,
    leaves: bytes | None = None,
    manifest: bytes = bytes(range(16, 40)),
    signature: bytes = bytes(range(100, 164)),
) -> tuple[bytes, bytes]:
    """A trailer built by hand from the layout: (its bytes, the body the signature covers)."""
    summary = _summary_json() if summary is None else summary
    leaves = bytes(range(64)) if leaves is None else leaves
    body = (
        len(summary).to_bytes(4, "big")
        + summary
        + leaves
        + len(manifest).to_bytes(4, "big")
        + manifest
    )
    return body + signature, body


def test_a_trailer_is_split_into_its_fields() -> None:
    data, body = _trailer()
    trailer = parse_trailer(data)
    assert trailer == Trailer(
        summary=Summary(chunks=2, plaintext_bytes=5, files=1, root=_ROOT),
        leaves=bytes(range(64)),
        manifest=bytes(range(16, 40)),
        signature=bytes(range(100, 164)),
        body=body,
    )
    assert (trailer.leaf(0), trailer.leaf(1)) == (bytes(range(32)), bytes(range(32, 64)))


def test_a_trailer_body_is_packed_as_it_is_parsed() -> None:
    summary = Summary(chunks=2, plaintext_bytes=5, files=1, root=_ROOT)
    data, body = _trailer(summary=summary.encode())
    assert pack_trailer_body(summary, bytes(range(64)), bytes(range(16, 40))) == body
    assert parse_trailer(data).body == body


def test_a_trailer_takes_a_summary_and_a_manifest_at_their_largest() -> None:
    summary = _summary_json()
    summary += b" " * (4096 - len(summary))  # JSON allows trailing white space
    manifest = bytes(16)
    data, _ = _trailer(summary=summary, manifest=manifest)
    trailer = parse_trailer(data)
    assert (trailer.summary.chunks, trailer.manifest) == (2, manifest)


def _declaring(length: int, then: bytes = b"") -> bytes:
    return length.to_bytes(4, "big") + then


_SUMMARY = _summary_json()
_LEAVES = bytes(64)
_AFTER_LEAVES = _declaring(len(_SUMMARY), _SUMMARY) + _LEAVES


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the trailer is too short for its summary length"),
        (b"\x00\x00\x00", "the trailer is too short for its summary length"),
        (_declaring(1), "summary length 1 is out of range"),
        (_declaring(4097), "summary length 4097 is out of range"),
        # in range, so the length is accepted and what follows is found missing
        (_declaring(4096), "the trailer is too short for its summary"),
        (_declaring(len(_SUMMARY), _SUMMARY[:-1]), "the trailer is too short for its summary"),
        (
            _declaring(len(_SUMMARY), _SUMMARY + bytes(63)),
            "the trailer is too short for its chunk hashes",
        ),
        (_AFTER_LEAVES + b"\x00\x00\x00", "the trailer is too short for its manifest length"),
        (_AFTER_LEAVES + _declaring(15, bytes(15)), "manifest length 15 is out of range"),
        (
            _AFTER_LEAVES + _declaring(256 * 1024 * 1024 + 1),
            "manifest length 268435457 is out of range",
        ),
        (
            _AFTER_LEAVES + _declaring(256 * 1024 * 1024),
            "the trailer is too short for its manifest",
        ),
        (_AFTER_LEAVES + _declaring(16, bytes(15)), "the trailer is too short for its manifest"),
        (
            _AFTER_LEAVES + _declaring(16, bytes(16 + 63)),
            "the trailer is too short for its signature",
        ),
        (
            _AFTER_LEAVES + _declaring(16, bytes(16 + 64 + 3)),
            "the trailer has 3 bytes more than its fields",
        ),
    ],
)
def test_each_refusal_of_a_trailer_says_what_is_missing_or_extra(data: bytes, message: str) -> None:
    assert _refusal(parse_trailer, data) == (message, "trailer")


def test_a_trailer_with_the_smallest_summary_reads_it() -> None:
    # a summary of two bytes is in range: it is parsed, and found to lack every member
    assert _refusal(parse_trailer, _declaring(2, b"{}")) == (
        "summary lacks bytes, chunks, files, root",
        "summary",
    )


# --- preamble and footer ---------------------------------------------------------------------


@pytest.mark.parametrize("length", [2, 1024 * 1024])
def test_a_preamble_declares_a_header_of_2_bytes_to_1_mib(length: int) -> None:
    assert parse_preamble(pack_preamble(length)) == length


@pytest.mark.parametrize("length", [0, 1, 1024 * 1024 + 1])
def test_a_preamble_declaring_a_header_out_of_range_is_malformed(length: int) -> None:
    assert _refusal(parse_preamble, pack_preamble(length)) == (
        f"header length {length} is out of range",
        "preamble",
    )


@pytest.mark.parametrize(
    "data", [b"", MAGIC, MAGIC + b"\x00\x01", b"PK\x03\x04" + bytes(12), b"x" + MAGIC + bytes(8)]
)
def test_what_does_not_start_as_a_package_is_not_one(data: bytes) -> None:
    with pytest.raises(NotAPackageError) as refused:
        parse_preamble(data)
    assert str(refused.value) == "not a Hanoi Exchange evidence package (its first bytes differ)"


def test_a_preamble_with_unknown_flags_is_an_unsupported_version() -> None:
    data = MAGIC + b"\x00\x01" + b"\x00\x05" + b"\x00\x00\x01\x00"
    with pytest.raises(UnsupportedVersionError) as refused:
        parse_preamble(data)
    assert str(refused.value) == (
        "evidence package uses format flags 0x0005 that this hanoix does not know"
    )


def test_a_footer_gives_the_trailer_length_before_its_end_marker() -> None:
    footer = pack_footer(1234)
    assert footer == b"\x00" * 6 + b"\x04\xd2" + b"HXEV-END"
    assert parse_footer(footer) == 1234


def test_a_footer_without_its_end_marker_is_malformed() -> None:
    assert _refusal(parse_footer, bytes(8) + b"HXEV-EN!") == (
        "the package is truncated or has trailing bytes: its end marker is missing",
        "footer",
    )


def test_a_naive_time_cannot_be_written_into_a_package() -> None:
    with pytest.raises(ValueError, match=r"^times in a package must be timezone-aware$"):
        format_time(datetime(2026, 11, 23, 12, 0))


def test_times_are_written_in_utc_whatever_the_machine_s_zone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A node in Viet Nam may run with its local zone; a package always says UTC.
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    try:
        at = datetime(2026, 11, 23, 19, 0, tzinfo=timezone(timedelta(hours=7)))
        assert format_time(at) == "2026-11-23T12:00:00Z"
        assert format_time(datetime(2026, 11, 23, 12, 0, 0, 5, tzinfo=UTC)) == (
            "2026-11-23T12:00:00.000005Z"
        )
    finally:
        monkeypatch.undo()
        time.tzset()
