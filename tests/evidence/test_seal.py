"""seal.py's refusals of its inputs, each with its class and whole message."""

from __future__ import annotations

import hashlib
import importlib
import io
from collections.abc import Callable
from typing import Any

import pytest

from hanoix.clock import FixedClock
from hanoix.evidence import seal
from hanoix.evidence.errors import EvidenceInputError, SourceError
from hanoix.evidence.keys import KeyKind, PublicKey
from hanoix.evidence.streams import Source
from tests.evidence.helpers import (
    MODIFIED,
    WHEN,
    authority,
    open_bytes,
    rng_source,
    sources,
    verify_bytes,
)


def test_a_low_order_recipient_key_is_an_input_error_naming_the_key() -> None:
    # A key file can hold any 32 bytes; zero is a point of small order (RFC 7748 section 6.1).
    weak = PublicKey(KeyKind.ENCRYPTION, bytes(32), None, None)
    out = io.BytesIO()
    with pytest.raises(EvidenceInputError) as refused:
        seal(
            sources({"a": b"x"}),
            out,
            signer=authority(1).signing,
            recipients=[authority(2).recipient, weak],
            clock=FixedClock(WHEN),
            random=rng_source(7),
        )
    assert str(refused.value) == (
        f"recipient key {weak.key_id} cannot be used: "
        "the X25519 agreement gave an all-zero secret (a low-order key)"
    )
    assert out.getvalue() == b""


def _seal(recipients: list[PublicKey], chunk_size: int = 1024) -> int:
    out = io.BytesIO()
    sealed = seal(
        sources({"a": b"x" * 3000}),
        out,
        signer=authority(1).signing,
        recipients=recipients,
        clock=FixedClock(WHEN),
        random=rng_source(7),
        chunk_size=chunk_size,
    )
    assert sealed.size == len(out.getvalue())
    return sealed.summary.chunks


@pytest.mark.parametrize(
    ("chunk_size", "chunks"), [(1024, 3), (2048, 2), (2 * 1024 * 1024, 1), (16 * 1024 * 1024, 1)]
)
def test_each_chunk_size_the_format_allows_seals(chunk_size: int, chunks: int) -> None:
    assert _seal([authority(2).recipient], chunk_size) == chunks


@pytest.mark.parametrize("chunk_size", [0, 512, 1023, 1536, 3072, 32 * 1024 * 1024])
def test_a_chunk_size_the_format_does_not_allow_is_refused(chunk_size: int) -> None:
    with pytest.raises(EvidenceInputError) as refused:
        _seal([authority(2).recipient], chunk_size)
    assert str(refused.value) == "chunk size must be a power of two from 1024 to 16777216"


def _recipients(count: int) -> list[PublicKey]:
    return [PublicKey(KeyKind.ENCRYPTION, authority(100 + i).recipient.raw) for i in range(count)]


def test_a_package_may_be_sealed_for_64_recipients_not_65() -> None:
    assert _seal(_recipients(64)) == 3
    with pytest.raises(EvidenceInputError) as refused:
        _seal(_recipients(65))
    assert str(refused.value) == "a package has at most 64 recipients"


@pytest.mark.parametrize(
    ("recipients", "message"),
    [
        ([], "a package needs at least one recipient (--to PUBKEY)"),
        (
            [authority(2).recipient, authority(2).recipient],
            "the same recipient key is given twice",
        ),
        (
            [authority(2).recipient, authority(3).sender],
            "a recipient must be an X25519 encryption public key",
        ),
    ],
)
def test_each_refusal_of_the_recipients_is_named(recipients: list[PublicKey], message: str) -> None:
    with pytest.raises(EvidenceInputError) as refused:
        _seal(recipients)
    assert str(refused.value) == message


class _Failing(io.BytesIO):
    """A stream whose reads (or loans, with ``lend``) fail with ``error``."""

    def __init__(self, error: OSError, *, lends: bool = False) -> None:
        super().__init__(b"data")
        self.error = error
        if lends:
            self.lend = self._lend

    def readinto(self, buffer: Any, /) -> int:
        raise self.error

    def _lend(self, size: int) -> memoryview:
        raise self.error


def _seal_sources(
    files: list[Source], chunk_size: int = 1024, progress: Callable[[int], None] | None = None
) -> None:
    seal(
        files,
        io.BytesIO(),
        signer=authority(1).signing,
        recipients=[authority(2).recipient],
        clock=FixedClock(WHEN),
        random=rng_source(7),
        chunk_size=chunk_size,
        progress=progress,
    )


@pytest.mark.parametrize(
    ("files", "message"),
    [
        (
            [Source("/etc/passwd", lambda: io.BytesIO(b"x"), MODIFIED)],
            "cannot seal '/etc/passwd': the path is absolute",
        ),
        (
            sources({"a": b"1", "a/b": b"2"}),
            "cannot seal these files together: a is both a file and a folder",
        ),
        (
            [Source("log.txt", lambda: io.BytesIO(b"longer than announced"), MODIFIED, 5)],
            "log.txt changed while it was being sealed (5 bytes expected, 21 read); seal it again",
        ),
        (
            [Source("disk/a", lambda: _Failing(OSError(5, "Input/output error")), MODIFIED)],
            "cannot read disk/a: Input/output error",
        ),
        (
            [Source("disk/b", lambda: _Failing(OSError("device gone")), MODIFIED)],
            "cannot read disk/b: device gone",
        ),
        (
            [
                Source(
                    "disk/c",
                    lambda: _Failing(OSError(5, "Input/output error"), lends=True),
                    MODIFIED,
                )
            ],
            "cannot read disk/c: Input/output error",
        ),
    ],
)
def test_each_refusal_of_a_source_names_the_file(files: list[Source], message: str) -> None:
    with pytest.raises(SourceError) as refused:
        _seal_sources(files)
    assert str(refused.value) == message


class _Lender(io.BytesIO):
    """A stream that lends its bytes as views, as a memory map does, logging what it does."""

    def __init__(self, data: bytes, log: list[str]) -> None:
        super().__init__(data)
        self.log, self._whole = log, memoryview(data)

    def lend(self, size: int) -> memoryview:
        start = self.tell()
        self.seek(start + size)
        self.log.append(f"lent {len(self._whole[start : start + size])}")
        return self._whole[start : start + size]

    def close(self) -> None:
        if not self.closed:
            self.log.append("closed")
        super().close()


@pytest.mark.parametrize(
    ("size", "lent", "written"),
    [
        # closed by the writer as it writes the last chunk holding its bytes, before it
        # reports that chunk: chunk 1 (its end falls on a chunk boundary) ...
        (2048, ["lent 1024", "lent 1024", "lent 0"], ["w", "closed", "w", "w"]),
        # ... or chunk 2, where its last 5 bytes were copied, the next file after them
        (2053, ["lent 1024", "lent 1024", "lent 5"], ["w", "w", "closed", "w", "w"]),
    ],
)
def test_a_lending_stream_is_closed_once_its_last_chunk_is_written(
    size: int, lent: list[str], written: list[str]
) -> None:
    log: list[str] = []
    files = [
        Source("a", lambda: _Lender(b"a" * size, log), MODIFIED, size),
        Source("b", lambda: io.BytesIO(b"b" * 1024), MODIFIED, 1024),
    ]
    _seal_sources(files, progress=lambda n: log.append(f"wrote {n}"))
    assert [entry for entry in log if entry.startswith("lent")] == lent
    events = [entry for entry in log if not entry.startswith("lent")]
    assert [e if e == "closed" else "w" for e in events] == written
    assert sum(int(e.split()[1]) for e in events if e != "closed") == size + 1024


def test_a_lending_stream_is_closed_when_a_later_source_fails() -> None:
    log: list[str] = []

    def refuse() -> io.BytesIO:
        raise PermissionError(13, "Permission denied")

    files = [
        Source("a", lambda: _Lender(b"a" * 2048, log), MODIFIED, 2048),
        Source("locked", refuse, MODIFIED, 1),
    ]
    with pytest.raises(SourceError) as refused:
        _seal_sources(files)
    assert str(refused.value) == "cannot read locked: Permission denied"
    assert log.count("closed") == 1


def test_an_input_of_more_chunks_than_a_package_holds_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 2**32 - 1 chunks cannot be sealed in a test; the same guard with a limit of 3.
    monkeypatch.setattr(importlib.import_module("hanoix.evidence.seal"), "MAX_CHUNKS", 3)
    with pytest.raises(SourceError) as refused:
        _seal_sources(sources({"big": b"x" * (3 * 1024 + 1)}))
    assert str(refused.value) == "the input is too large for one package"


@pytest.mark.parametrize("lends", [False, True], ids=["read", "lent"])
def test_an_input_of_exactly_as_many_chunks_as_a_package_holds_is_sealed(
    monkeypatch: pytest.MonkeyPatch, lends: bool
) -> None:
    # The limit counts chunks, not chunk indexes reached: three full chunks fit in three (the
    # guard once refused them), and one byte more does not, read or lent alike.
    monkeypatch.setattr(importlib.import_module("hanoix.evidence.seal"), "MAX_CHUNKS", 3)
    log: list[str] = []

    def source(data: bytes) -> list[Source]:
        opener = (lambda: _Lender(data, log)) if lends else (lambda: io.BytesIO(data))
        return [Source("big", opener, MODIFIED, len(data))]

    out = io.BytesIO()
    seal(
        source(b"x" * 3 * 1024),
        out,
        signer=authority(1).signing,
        recipients=[authority(2).recipient],
        clock=FixedClock(WHEN),
        random=rng_source(7),
        chunk_size=1024,
    )
    assert verify_bytes(out.getvalue()).trailer.summary.chunks == 3
    _, sink = open_bytes(out.getvalue(), authority(2))
    assert sink.committed == {"big": b"x" * 3 * 1024}
    with pytest.raises(SourceError, match=r"^the input is too large for one package$"):
        _seal_sources(source(b"x" * (3 * 1024 + 1)))
    if lends:
        assert log.count("closed") == 2  # each stream closed, the refused one too


def test_what_seal_returns_is_the_manifest_it_sealed_with_its_examiner() -> None:
    out = io.BytesIO()
    sealed = seal(
        sources({"a": b"x" * 3000, "b": b""}),
        out,
        signer=authority(1).signing,
        recipients=[authority(2).recipient],
        clock=FixedClock(WHEN),
        random=rng_source(7),
        examiner="Examiner Nguyen",
        note="seized",
        chunk_size=1024,
    )
    manifest = sealed.manifest
    assert (manifest.examiner, manifest.note, manifest.generator) == (
        "Examiner Nguyen",
        "seized",
        "hanoix 0.1.0",
    )
    assert [(f.path, f.size, f.sha256) for f in manifest.files] == [
        ("a", 3000, hashlib.sha256(b"x" * 3000).digest()),
        ("b", 0, hashlib.sha256(b"").digest()),
    ]
    opened, _ = open_bytes(out.getvalue(), authority(2))
    assert opened.manifest == manifest
