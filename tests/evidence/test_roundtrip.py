"""Seal, verify and open: round trips over the shapes of input that break chunking code."""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hanoix.clock import FixedClock
from hanoix.evidence import (
    EvidenceInputError,
    NotAddressedError,
    NotAPackageError,
    PackageVerificationError,
    SourceError,
    UnsupportedVersionError,
    seal,
    verify,
)
from hanoix.evidence.format import PREAMBLE_SIZE, TAG_SIZE, chunk_count
from hanoix.evidence.manifest import layout_problem
from hanoix.evidence.streams import Source
from tests.evidence.helpers import (
    CHUNK,
    MODIFIED,
    WHEN,
    authority,
    open_bytes,
    released,
    rng_source,
    seal_bytes,
    sources,
    verify_bytes,
)

SENDER = authority(1)
RECEIVER = authority(2, "Police", "VNM")

_rng = random.Random(42)

CASES = {
    "empty file": {"empty": b""},
    "no files": {},
    "one byte": {"one": b"\x00"},
    "exactly one chunk": {"c": _rng.randbytes(CHUNK)},
    "one chunk plus one byte": {"c": _rng.randbytes(CHUNK + 1)},
    "one byte short of two chunks": {"c": _rng.randbytes(2 * CHUNK - 1)},
    "files straddling chunks": {f"f{i}": _rng.randbytes(700) for i in range(7)},
    "many files": {f"dir/file-{i:03}.txt": f"content {i}\n".encode() * i for i in range(120)},
    "nested folders and empties": {
        "case/a/b/c/deep.bin": _rng.randbytes(3000),
        "case/a/empty": b"",
        "case/z": b"z",
        "case/a/b/empty-too": b"",
    },
    "non-ASCII names": {
        "bằng chứng/tệp tin.txt": "Hà Nội".encode(),
        "Доказательства/файл.bin": _rng.randbytes(1500),
        "証拠/ファイル": b"\xe3\x81\x82",
        "دليل/ملف.txt": b"x" * 10,
    },
}


@pytest.mark.parametrize("files", CASES.values(), ids=CASES.keys())
def test_round_trip_gives_back_every_byte_and_digest(files: dict[str, bytes]) -> None:
    package, sealed = seal_bytes(files, SENDER, [RECEIVER])

    verified = verify_bytes(package, sender=SENDER.sender)
    total = sum(len(b) for b in files.values())
    assert verified.report.files == len(files)
    assert verified.report.plaintext_bytes == total
    assert verified.report.chunks == chunk_count(total, CHUNK)
    assert verified.package_id == sealed.package_id

    opened, sink = open_bytes(package, RECEIVER, sender=SENDER.sender)
    assert sink.committed == files
    assert [f.path for f in opened.manifest.files] == list(files)
    assert all(f.modified == MODIFIED for f in opened.manifest.files)
    assert opened.manifest.note == "seized 2026-11-20"
    assert opened.package_id == sealed.package_id


def test_chunk_boundaries_follow_the_documented_layout() -> None:
    # Exactly one chunk: no empty chunk after it. One more byte: a second chunk of one byte.
    one, _ = seal_bytes({"c": b"a" * CHUNK}, SENDER, [RECEIVER])
    two, _ = seal_bytes({"c": b"a" * (CHUNK + 1)}, SENDER, [RECEIVER])
    assert verify_bytes(one).report.chunks == 1
    assert verify_bytes(two).report.chunks == 2
    # The payload is the chunks exactly: CHUNK + 1 plaintext bytes and two tags.
    header_two = verify_bytes(two)
    assert header_two.trailer.summary.plaintext_bytes == CHUNK + 1
    payload = header_two.payload_start
    assert payload > PREAMBLE_SIZE
    assert len(two) - len(one) == 1 + TAG_SIZE + 32  # one byte, one tag, one more leaf hash


def test_sealing_is_reproducible_from_the_clock_and_random_source() -> None:
    files = {"a": b"alpha", "b": b"beta" * 500}
    first, sealed = seal_bytes(files, SENDER, [RECEIVER], seed=11)
    again, _ = seal_bytes(files, SENDER, [RECEIVER], seed=11)
    other, _ = seal_bytes(files, SENDER, [RECEIVER], seed=12)
    assert first == again
    assert first != other
    assert sealed.package_id.startswith("sha256:")


def test_three_recipients_each_open_and_a_fourth_cannot() -> None:
    recipients = [authority(10 + i, f"Authority {i}", "VNM") for i in range(3)]
    outsider = authority(99, "Elsewhere", "FRA")
    files = {"evidence.bin": random.Random(3).randbytes(5000)}
    package, _ = seal_bytes(files, SENDER, recipients)
    for recipient in recipients:
        _, sink = open_bytes(package, recipient)
        assert sink.committed == files
    with pytest.raises(NotAddressedError) as raised:
        open_bytes(package, outsider)
    assert outsider.recipient.key_id in raised.value.message
    assert all(r.recipient.key_id in raised.value.message for r in recipients)
    assert raised.value.exit_code == 1


def test_the_sender_can_be_pinned_and_a_wrong_one_is_named() -> None:
    package, _ = seal_bytes({"a": b"a"}, SENDER, [RECEIVER])
    with pytest.raises(PackageVerificationError) as raised:
        verify_bytes(package, sender=RECEIVER.sender)
    assert "wrong sender" in raised.value.message
    assert SENDER.sender.key_id in raised.value.message
    with pytest.raises(PackageVerificationError):
        open_bytes(package, RECEIVER, sender=RECEIVER.sender)


def test_verify_reports_parties_and_sizes_without_any_private_key() -> None:
    package, sealed = seal_bytes({"x/y": b"12345", "z": b""}, SENDER, [RECEIVER])
    report = verify_bytes(package).report.as_dict()
    assert report["signer"]["key_id"] == SENDER.sender.key_id
    assert report["signer"]["authority"] == "Ministry of Justice"
    assert [r["key_id"] for r in report["recipients"]] == [RECEIVER.recipient.key_id]
    assert report["request"] == "AUT-2026-0001"
    assert report["created"] == "2026-11-23T12:00:00Z"
    assert (report["files"], report["bytes"]) == (2, 5)
    assert report["package_bytes"] == len(package) == sealed.size


def test_file_names_and_note_are_not_in_clear() -> None:
    package, _ = seal_bytes(
        {"secret-suspect-name.txt": b"attack at dawn"}, SENDER, [RECEIVER], note="informant X"
    )
    for text in (b"secret-suspect-name", b"attack at dawn", b"informant X"):
        assert text not in package


def test_a_file_that_changes_size_while_sealed_is_refused() -> None:
    growing = Source("log.txt", lambda: io.BytesIO(b"longer than announced"), MODIFIED, 5)
    with pytest.raises(SourceError, match="changed while it was being sealed"):
        seal(
            [growing],
            io.BytesIO(),
            signer=SENDER.signing,
            recipients=[RECEIVER.recipient],
            clock=_clock(),
            random=rng_source(1),
        )


def test_an_unreadable_source_is_named() -> None:
    def refuse() -> io.BytesIO:
        raise PermissionError(13, "Permission denied")

    bad = [*sources({"ok": b"fine"}), Source("locked/file", refuse, MODIFIED, 4)]
    with pytest.raises(SourceError, match="cannot read locked/file: Permission denied"):
        seal(
            bad,
            io.BytesIO(),
            signer=SENDER.signing,
            recipients=[RECEIVER.recipient],
            clock=_clock(),
            random=rng_source(1),
        )


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../escape", "'..'"),
        ("/etc/passwd", "absolute"),
        ("a//b", "empty"),
        ("back\\slash", "backslash"),
        ("bell\x07", "control"),
        ("e\u0301", "NFC"),
    ],
)
def test_paths_that_could_escape_or_collide_are_refused(path: str, why: str) -> None:
    with pytest.raises(SourceError, match=why):
        seal_bytes({path: b"x"}, SENDER, [RECEIVER])


def test_a_file_cannot_also_be_a_folder() -> None:
    with pytest.raises(SourceError, match="both a file and a folder"):
        seal_bytes({"a": b"1", "a/b": b"2"}, SENDER, [RECEIVER])


def test_recipients_must_be_encryption_keys_and_distinct() -> None:
    with pytest.raises(EvidenceInputError, match="X25519"):
        seal(
            [],
            io.BytesIO(),
            signer=SENDER.signing,
            recipients=[SENDER.sender],
            clock=_clock(),
        )
    with pytest.raises(EvidenceInputError, match="twice"):
        seal_bytes({}, SENDER, [RECEIVER, RECEIVER])
    with pytest.raises(EvidenceInputError, match="at least one recipient"):
        seal_bytes({}, SENDER, [])


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 a zip file", b"\x89HXEV\r\n"])
def test_something_that_is_not_a_package_is_an_input_error(data: bytes) -> None:
    with pytest.raises(NotAPackageError) as raised:
        verify(io.BytesIO(data))
    assert raised.value.exit_code == 2


def test_a_package_of_a_future_version_names_the_version() -> None:
    package, _ = seal_bytes({"a": b"a"}, SENDER, [RECEIVER])
    future = package[:8] + b"\x00\x02" + package[10:]
    with pytest.raises(UnsupportedVersionError, match="version 2 is not supported"):
        verify(io.BytesIO(future))


def _clock() -> FixedClock:
    return FixedClock(WHEN)


_names = st.text(alphabet="abcé文_-", min_size=1, max_size=6)


@settings(max_examples=40, deadline=None)
@given(
    files=st.dictionaries(
        st.lists(_names, min_size=1, max_size=3).map("/".join),
        st.binary(max_size=3 * CHUNK + 5),
        max_size=6,
    )
)
def test_any_set_of_files_round_trips(files: dict[str, bytes]) -> None:
    assume(layout_problem(files) is None)
    package, _ = seal_bytes(files, SENDER, [RECEIVER])
    _, sink = open_bytes(package, RECEIVER, sender=SENDER.sender)
    assert sink.committed == files


class _LendingStream(io.BytesIO):
    """A stream that lends its bytes as views (as a memory-mapped file does) and checks that
    it is closed once, only after every view it lent was released."""

    def __init__(self, data: bytes, log: list[str], name: str) -> None:
        super().__init__(data)
        self.log, self.name = log, name
        self.outstanding: list[memoryview] = []
        self._whole = memoryview(data)

    def lend(self, size: int) -> memoryview:
        start = self.tell()
        view = self._whole[start : start + size]
        self.seek(start + len(view))
        self.outstanding.append(view)
        return view

    def close(self) -> None:
        if not self.closed:
            assert all(released(v) for v in self.outstanding), self.name
            self.log.append(self.name)
        super().close()


LENDING_SIZES = [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 2 * CHUNK + 5, 0, CHUNK]


@pytest.mark.parametrize("lenders", ["all", "none", "alternate"])
def test_lent_chunks_give_the_same_package_and_every_stream_is_closed_once(
    lenders: str,
) -> None:
    files = {f"f{i}.bin": random.Random(i).randbytes(size) for i, size in enumerate(LENDING_SIZES)}
    expected, _ = seal_bytes(files, SENDER, [RECEIVER])
    closed: list[str] = []

    def opener(i: int, name: str, data: bytes) -> Callable[[], io.BytesIO]:
        lends = lenders == "all" or (lenders == "alternate" and i % 2 == 0)
        if lends:
            return lambda: _LendingStream(data, closed, name)
        return lambda: io.BytesIO(data)

    lending_sources = [
        Source(name, opener(i, name, data), MODIFIED, len(data))
        for i, (name, data) in enumerate(files.items())
    ]
    out = io.BytesIO()
    seal(
        lending_sources,
        out,
        signer=SENDER.signing,
        recipients=[RECEIVER.recipient],
        clock=FixedClock(WHEN),
        random=rng_source(7),
        request="AUT-2026-0001",
        note="seized 2026-11-20",
        chunk_size=CHUNK,
    )
    assert out.getvalue() == expected
    lent_names = [
        s.path
        for i, s in enumerate(lending_sources)
        if lenders == "all" or (lenders == "alternate" and i % 2 == 0)
    ]
    assert sorted(closed) == sorted(lent_names)
