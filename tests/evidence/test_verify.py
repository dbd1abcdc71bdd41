"""``verify``'s report with exact answers: which problems, how many, in which field, worded how.

The API and the CLI return these problems as they are, so their count, field and message are
the contract; the tampering property tests only check that something is found.
"""

from __future__ import annotations

import io
import mmap
import random
from pathlib import Path

import blake3
import pytest

from hanoix.errors import Problem
from hanoix.evidence.errors import EvidenceInputError, PackageVerificationError
from hanoix.evidence.format import FOOTER_SIZE, PREAMBLE_SIZE, TAG_SIZE, b64encode, chunk_count
from hanoix.evidence.keys import PublicKey
from hanoix.evidence.verify import MAX_CHUNK_PROBLEMS, _Mapped, chunk_spans, verify
from tests.evidence.helpers import CHUNK, authority, seal_bytes

SENDER = authority(11)
RECEIVER = authority(12, "Police", "VNM")
OTHER = authority(13, "Intruder", "XXX")

_rng = random.Random(20)
BIG = {"disk.img": _rng.randbytes(30 * CHUNK)}
PACKAGE, SEALED = seal_bytes(BIG, SENDER, [RECEIVER], seed=3)
EMPTY, _ = seal_bytes({"nothing": b""}, SENDER, [RECEIVER], seed=4)


def _spans(package: bytes) -> list[tuple[int, int]]:
    verified = verify(io.BytesIO(package))
    return list(chunk_spans(verified.header, verified.trailer, verified.payload_start))


SPANS = _spans(PACKAGE)


def _problems(package: bytes, **kwargs: object) -> tuple[str, list[tuple[str | None, str]]]:
    with pytest.raises(PackageVerificationError) as raised:
        verify(io.BytesIO(package), **kwargs)  # type: ignore[arg-type]
    problems = raised.value.problems
    assert all(isinstance(p, Problem) and p.article is None for p in problems)
    return raised.value.message, [(p.field, p.message) for p in problems]


def _with_bad_chunks(count: int) -> bytes:
    tampered = bytearray(PACKAGE)
    for offset, _length in SPANS[:count]:
        tampered[offset + 3] ^= 0x40
    return bytes(tampered)


def test_the_package_has_enough_chunks_for_the_cap() -> None:
    assert len(SPANS) > MAX_CHUNK_PROBLEMS + 5
    assert MAX_CHUNK_PROBLEMS == 20


def test_an_intact_package_reports_what_it_holds() -> None:
    progress: list[int] = []
    verified = verify(io.BytesIO(PACKAGE), sender=SENDER.sender, progress=progress.append)
    report = verified.report
    assert report.chunks == len(SPANS)
    assert report.files == 1
    assert report.size == len(PACKAGE)
    assert report.package_id == verified.package_id == SEALED.package_id
    assert sum(progress) == report.plaintext_bytes
    assert len(progress) == len(SPANS)
    assert progress[:-1] == [CHUNK] * (len(SPANS) - 1)
    as_dict = report.as_dict()
    assert as_dict["chunks"] == len(SPANS)
    assert as_dict["package_bytes"] == len(PACKAGE)
    assert as_dict["request"] == "AUT-2026-0001"
    assert as_dict["chunk_size"] == CHUNK
    assert as_dict["signer"]["key_id"] == SENDER.sender.key_id
    assert [r["key_id"] for r in as_dict["recipients"]] == [RECEIVER.recipient.key_id]


@pytest.mark.parametrize("bad", [1, MAX_CHUNK_PROBLEMS - 1, MAX_CHUNK_PROBLEMS])
def test_up_to_the_cap_every_bad_chunk_is_listed_and_nothing_more(bad: int) -> None:
    message, problems = _problems(_with_bad_chunks(bad))
    assert problems == [
        (
            f"chunk {i}",
            f"step 7: chunk {i} does not match its committed hash (altered or reordered)",
        )
        for i in range(bad)
    ]
    more = f" (and {bad - 1} more problems)" if bad > 1 else ""
    assert message == (
        "the package does not verify: step 7: chunk 0 does not match its committed hash "
        f"(altered or reordered){more}"
    )


@pytest.mark.parametrize("bad", [MAX_CHUNK_PROBLEMS + 1, MAX_CHUNK_PROBLEMS + 5])
def test_past_the_cap_one_line_counts_the_bad_chunks_not_listed(bad: int) -> None:
    message, problems = _problems(_with_bad_chunks(bad))
    assert len(problems) == MAX_CHUNK_PROBLEMS + 1
    assert [field for field, _ in problems[:MAX_CHUNK_PROBLEMS]] == [
        f"chunk {i}" for i in range(MAX_CHUNK_PROBLEMS)
    ]
    assert problems[-1] == (
        "chunks",
        f"step 7: {bad - MAX_CHUNK_PROBLEMS} more chunks do not match",
    )
    assert message.endswith(f"(and {MAX_CHUNK_PROBLEMS} more problems)")


def _drop_last_chunks(count: int) -> bytes:
    """The package with its last ``count`` chunks cut out and its trailer and footer kept."""
    cut_from = SPANS[-count][0]
    payload_end = SPANS[-1][0] + SPANS[-1][1]
    return PACKAGE[:cut_from] + PACKAGE[payload_end:]


@pytest.mark.parametrize("count", [1, 2, 7])
def test_truncation_says_how_many_bytes_and_chunks_are_missing(count: int) -> None:
    missing_bytes = sum(length for _, length in SPANS[-count:])
    expected = SPANS[-1][0] + SPANS[-1][1] - SPANS[0][0]
    message, problems = _problems(_drop_last_chunks(count))
    assert problems == [
        (
            "payload",
            f"step 6: the package is truncated: {missing_bytes} bytes of chunk data are "
            f"missing ({expected - missing_bytes} of {expected})",
        ),
        ("chunks", f"step 7: {count} chunks are missing from the end (truncated)"),
    ]
    assert message.endswith("(and 1 more problems)")


def test_one_byte_short_misses_the_last_chunk_only() -> None:
    payload_end = SPANS[-1][0] + SPANS[-1][1]
    short = PACKAGE[: payload_end - 1] + PACKAGE[payload_end:]
    _, problems = _problems(short)
    assert [field for field, _ in problems] == ["payload", "chunks"]
    assert problems[0][1].startswith("step 6: the package is truncated: 1 bytes of chunk data")
    assert problems[1][1] == "step 7: 1 chunks are missing from the end (truncated)"


def test_extra_chunk_data_is_counted_in_bytes() -> None:
    payload_end = SPANS[-1][0] + SPANS[-1][1]
    longer = PACKAGE[:payload_end] + b"\x00" * 33 + PACKAGE[payload_end:]
    message, problems = _problems(longer)
    assert problems == [
        (
            "payload",
            "step 6: the package has 33 bytes more chunk data than its summary declares "
            "(a chunk duplicated or inserted?)",
        )
    ]
    assert message == f"the package does not verify: {problems[0][1]}"


def test_an_empty_payload_is_one_empty_chunk_that_verifies() -> None:
    verified = verify(io.BytesIO(EMPTY), sender=SENDER.sender)
    assert verified.report.plaintext_bytes is not None
    spans = _spans(EMPTY)
    # The manifest travels in the payload, so even "no bytes" of files makes chunks; the last
    # chunk is at least its tag.
    assert all(length >= TAG_SIZE for _, length in spans)
    assert verified.report.chunks == len(spans)


def test_a_package_with_all_its_chunk_data_cut_out_is_truncated_not_malformed() -> None:
    # The payload ends exactly where the header ends: the boundary of step 3's check. The
    # footer is still right, so every chunk is reported missing, not the footer.
    header_end, payload_end = SPANS[0][0], SPANS[-1][0] + SPANS[-1][1]
    expected = payload_end - header_end
    _, problems = _problems(PACKAGE[:header_end] + PACKAGE[payload_end:])
    assert problems == [
        (
            "payload",
            f"step 6: the package is truncated: {expected} bytes of chunk data are "
            f"missing (0 of {expected})",
        ),
        ("chunks", f"step 7: {len(SPANS)} chunks are missing from the end (truncated)"),
    ]


def test_a_footer_one_byte_past_the_header_names_the_footer() -> None:
    header_end, payload_end = SPANS[0][0], SPANS[-1][0] + SPANS[-1][1]
    cut = bytearray(PACKAGE[:header_end] + PACKAGE[payload_end:])
    trailer_length = int.from_bytes(cut[-FOOTER_SIZE:][:8], "big")
    cut[-FOOTER_SIZE : -FOOTER_SIZE + 8] = (trailer_length + 1).to_bytes(8, "big")
    _, problems = _problems(bytes(cut))
    assert problems == [
        ("footer", "step 3: the footer's trailer length is larger than the package")
    ]


def test_a_pinned_sender_that_did_not_sign_is_named_with_both_keys() -> None:
    _, problems = _problems(PACKAGE, sender=OTHER.sender)
    assert problems == [
        (
            "signature",
            f"step 4: wrong sender: the package is signed by key {SENDER.sender.describe()}, "
            f"not by the expected key {OTHER.sender.describe()}",
        )
    ]


def test_an_encryption_key_given_as_sender_is_refused_before_reading() -> None:
    with pytest.raises(EvidenceInputError, match=r"^--sender-key must be an Ed25519 signing"):
        verify(io.BytesIO(PACKAGE), sender=RECEIVER.recipient)


def test_a_package_cut_before_its_trailer_names_the_footer() -> None:
    _, problems = _problems(PACKAGE[: SPANS[0][0] + 3])
    assert problems == [("footer", "step 3: the package is truncated: it ends before its trailer")]


def test_a_footer_claiming_a_longer_trailer_than_the_package_names_the_footer() -> None:
    footer = bytearray(PACKAGE[-FOOTER_SIZE:])
    footer[:8] = (len(PACKAGE) * 2).to_bytes(8, "big")
    _, problems = _problems(PACKAGE[:-FOOTER_SIZE] + bytes(footer))
    assert problems == [
        ("footer", "step 3: the footer's trailer length is larger than the package")
    ]


def test_a_header_cut_short_is_named_as_such() -> None:
    _, problems = _problems(PACKAGE[:40])
    assert problems == [("header", "step 2: the package is truncated inside its header")]


def _party(key: PublicKey, authority: str, state: str) -> dict[str, object]:
    return {"key_id": key.key_id, "key": b64encode(key.raw), "authority": authority, "state": state}


def test_the_report_names_signer_and_recipients_with_authority_and_state() -> None:
    as_dict = verify(io.BytesIO(PACKAGE)).report.as_dict()
    assert as_dict["signer"] == _party(SENDER.sender, "Ministry of Justice", "AUT")
    assert as_dict["recipients"] == [_party(RECEIVER.recipient, "Police", "VNM")]
    assert as_dict["created"] == "2026-11-23T12:00:00Z"
    assert as_dict["package_id"] == SEALED.package_id
    assert as_dict["files"] == 1
    assert as_dict["bytes"] == verify(io.BytesIO(PACKAGE)).report.plaintext_bytes


def test_what_a_package_cut_in_its_header_still_reports() -> None:
    with pytest.raises(PackageVerificationError) as raised:
        verify(io.BytesIO(PACKAGE[:40]))
    report = raised.value.report
    assert report is not None
    assert report.signer is None
    assert report.recipients == ()
    assert report.as_dict() == {
        "package_id": None,
        "signer": None,
        "recipients": [],
        "request": None,
        "created": None,
        "chunk_size": None,
        "chunks": None,
        "files": None,
        "bytes": None,
        "package_bytes": 40,
    }


class _Unseekable(io.RawIOBase):
    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def seek(self, offset: int, whence: int = 0) -> int:
        raise io.UnsupportedOperation("not seekable")


def test_a_stream_that_cannot_seek_is_an_input_error() -> None:
    with pytest.raises(EvidenceInputError, match=r"^the package must be a seekable file$"):
        verify(_Unseekable())  # type: ignore[arg-type]


def test_a_file_on_disk_verifies_through_its_memory_map(tmp_path: Path) -> None:
    path = tmp_path / "package.hxp"
    path.write_bytes(_with_bad_chunks(2))
    with path.open("rb") as stream, pytest.raises(PackageVerificationError) as raised:
        verify(stream)
    assert [p.field for p in raised.value.problems] == ["chunk 0", "chunk 1"]
    path.write_bytes(PACKAGE)
    progress: list[int] = []
    with path.open("rb") as stream:
        verified = verify(stream, progress=progress.append)
    assert sum(progress) == verified.report.plaintext_bytes


# --- the field and wording of each step's problem: what the API and the CLI hand on ---------


def _trailer_start(package: bytes) -> int:
    return SPANS[-1][0] + SPANS[-1][1]


def test_a_header_length_out_of_range_is_named_on_the_preamble() -> None:
    tampered = bytearray(PACKAGE)
    tampered[12:16] = (1).to_bytes(4, "big")  # the preamble's header length, below its minimum
    _, problems = _problems(bytes(tampered))
    assert problems == [("preamble", "step 1: header length 1 is out of range")]


def test_a_header_that_is_not_json_is_named_on_the_header() -> None:
    tampered = bytearray(PACKAGE)
    tampered[PREAMBLE_SIZE] = ord("[")  # the header's opening brace
    _, problems = _problems(bytes(tampered))
    assert [field for field, _ in problems] == ["header"]
    assert problems[0][1].startswith("step 2: header ")


def test_an_altered_signature_is_named_with_the_key_the_header_gives() -> None:
    tampered = bytearray(PACKAGE)
    tampered[-FOOTER_SIZE - 1] ^= 0x01  # the signature's last byte
    _, problems = _problems(bytes(tampered))
    assert problems == [
        (
            "signature",
            "step 4: the signature does not verify with the sender key in the header "
            f"({SENDER.sender.key_id}): the header or trailer was altered",
        )
    ]


def test_an_altered_chunk_hash_breaks_the_signature_the_root_and_that_chunk() -> None:
    tampered = bytearray(PACKAGE)
    start = _trailer_start(PACKAGE)
    summary_length = int.from_bytes(tampered[start : start + 4], "big")
    tampered[start + 4 + summary_length] ^= 0x01  # the first byte of chunk 0's committed hash
    _, problems = _problems(bytes(tampered))
    assert [field for field, _ in problems] == ["signature", "trailer", "chunk 0"]
    assert problems[1] == (
        "trailer",
        "step 5: the chunk hashes do not add up to the committed Merkle root",
    )
    assert problems[2] == (
        "chunk 0",
        "step 7: chunk 0 does not match its committed hash (altered or reordered)",
    )


def test_a_byte_count_that_makes_another_number_of_chunks_stops_before_the_chunks() -> None:
    verified = verify(io.BytesIO(PACKAGE))
    summary = verified.trailer.summary
    declared = f'"bytes":{summary.plaintext_bytes}'.encode()
    smaller = summary.plaintext_bytes // 10 ** (len(str(summary.plaintext_bytes)) - 1)
    forged = f'"bytes":{smaller}'.ljust(len(declared)).encode()
    # Same length, so the trailer still parses: spaces are allowed around JSON members.
    assert PACKAGE.count(declared) == 1
    expected = chunk_count(smaller, CHUNK)
    assert expected != summary.chunks
    _, problems = _problems(PACKAGE.replace(declared, forged))
    # Layout (step 6) failed, so no chunk is hashed against it (no step 7).
    assert problems[0][0] == "signature"
    assert problems[1:] == [
        (
            "trailer",
            f"step 6: {smaller} bytes in chunks of {CHUNK} make {expected} chunks, but the "
            f"summary says {summary.chunks}",
        )
    ]


def test_a_package_that_is_a_header_and_a_footer_is_read_up_to_its_empty_trailer() -> None:
    # Exactly header + footer: the footer is present, so step 3 reads it and finds no trailer.
    footer = bytearray(PACKAGE[-FOOTER_SIZE:])
    footer[:8] = (0).to_bytes(8, "big")
    _, problems = _problems(PACKAGE[: SPANS[0][0]] + bytes(footer))
    assert problems == [("trailer", "step 3: the trailer is too short for its summary length")]


def test_a_package_cut_in_its_trailer_still_reports_its_size_and_header() -> None:
    cut = PACKAGE[: SPANS[0][0] + 3]
    with pytest.raises(PackageVerificationError) as raised:
        verify(io.BytesIO(cut))
    report = raised.value.report
    assert report is not None
    assert report.size == len(cut)
    assert report.header is not None
    assert report.as_dict()["signer"] == _party(SENDER.sender, "Ministry of Justice", "AUT")
    assert report.as_dict()["package_id"] is None


# --- the memory map: what verify hashes is read in place, and dropped once hashed -----------


def _resident_bytes_of(path: Path) -> int:
    """The resident size of this process's mapping of ``path`` (from /proc/self/smaps)."""
    sizes = []
    inside = False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if head and "-" in head[0] and len(head) >= 5:
            inside = len(head) >= 6 and head[-1] == str(path)
        elif inside and head and head[0] == "Rss:":
            sizes.append(int(head[1]) * 1024)
    assert len(sizes) == 1, f"{path} is mapped {len(sizes)} times"
    return sizes[0]


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc")
def test_a_mapped_file_is_hashed_in_place_and_its_pages_dropped_behind(tmp_path: Path) -> None:
    data = random.Random(5).randbytes(4096 * mmap.PAGESIZE + 123)
    path = tmp_path / "package.hxp"
    path.write_bytes(data)
    with path.open("rb") as stream:
        mapped = _Mapped(stream)
        try:
            assert mapped.mapping is not None
            with pytest.raises(TypeError):
                mapped.mapping[0] = 0  # read-only: verify can never write to evidence
            assert _resident_bytes_of(path) == 0  # nothing read yet
            hasher = blake3.blake3()
            step = CHUNK + TAG_SIZE  # spans that straddle pages, as chunks do
            for offset in range(0, len(data), step):
                assert mapped.hash(hasher, offset, min(step, len(data) - offset))
            assert hasher.digest() == blake3.blake3(data).digest()
            # Every whole page hashed was dropped. The kernel may map the file in large folios
            # (2 MiB here) when the last page is read, so the bound is a quarter of the file, not
            # one page; keeping every page (no drop, or a wrong range) leaves the whole file.
            assert _resident_bytes_of(path) <= len(data) // 4
        finally:
            mapped.close()


def test_a_stream_without_a_file_is_hashed_from_reads_not_a_map() -> None:
    mapped = _Mapped(io.BytesIO(PACKAGE))
    assert mapped.mapping is None
    assert mapped.hash(blake3.blake3(), 0, 10) is False
    mapped.close()
