"""open_package's own steps (8-12), each refusal with its class, whole message and field.

A package is re-made here the way its sender could make it (header, manifest and signature
all by the sender's key), so that verification (steps 1-7) passes and only the step under test
fails; the sink is then aborted and nothing committed.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Callable
from typing import Any

import pytest

from hanoix.evidence import crypto, open_package
from hanoix.evidence.errors import NotAddressedError, PackageVerificationError
from hanoix.evidence.format import FOOTER_SIZE, Header, pack_footer, pack_preamble
from hanoix.evidence.format import pack_trailer_body as pack_body
from hanoix.evidence.manifest import Manifest
from hanoix.evidence.verify import verify
from tests.evidence.helpers import MemorySink, authority, open_bytes, released, seal_bytes

SENDER = authority(1)
RECEIVER = authority(2, "Police", "VNM")
FILES = {"a": b"alpha" * 300, "b/c": b"", "d": b"delta" * 10}


def _sealed() -> bytes:
    package, _ = seal_bytes(FILES, SENDER, [RECEIVER, authority(4)])
    return package


def _remake(package: bytes, header: Header | None = None, manifest: bytes | None = None) -> bytes:
    """``package`` with another header or manifest (plaintext), signed again by its sender."""
    verified = verify(io.BytesIO(package))
    trailer = verified.trailer
    new_header = header or verified.header
    encoded = new_header.encode()
    head = pack_preamble(len(encoded)) + encoded
    header_hash = crypto.header_digest(head)
    sealed_manifest = trailer.manifest
    if manifest is not None:
        stanza = verified.header.recipients[0]
        key = crypto.unwrap(RECEIVER.decryption.private, stanza.ephemeral, stanza.wrapped_key)
        _, manifest_key = crypto.derive_keys(key, new_header.salt)
        sealed_manifest = crypto.encrypt_manifest(manifest_key, header_hash, manifest)
    payload_end = len(package) - FOOTER_SIZE - len(trailer.body) - len(trailer.signature)
    payload = package[verified.payload_start : payload_end]
    body = pack_body(trailer.summary, trailer.leaves, sealed_manifest)
    signature = SENDER.signing.sign(crypto.signed_message(header_hash, body))
    return head + payload + body + signature + pack_footer(len(body) + len(signature))


def _manifest(change: dict[str, object] | None = None, index: int = 0) -> bytes:
    opened, _ = open_bytes(_sealed(), RECEIVER)
    files = list(opened.manifest.files)
    if change:
        files[index] = dataclasses.replace(files[index], **change)  # type: ignore[arg-type]
    return Manifest(tuple(files), opened.manifest.note, None, opened.manifest.generator).encode()


def _refused(package: bytes) -> tuple[str, list[tuple[str | None, str]], MemorySink]:
    sink = MemorySink()
    with pytest.raises(PackageVerificationError) as refused:
        open_package(io.BytesIO(package), RECEIVER.decryption, sink, sender=SENDER.sender)
    assert (sink.aborted, sink.committed) == (True, None)
    problems = [(p.field, p.message) for p in refused.value.problems]
    assert refused.value.report is not None
    return str(refused.value), problems, sink


def test_a_package_remade_unchanged_still_opens() -> None:
    # the remaking above is sound: only what a test changes makes a package fail
    opened, sink = open_bytes(_remake(_sealed(), manifest=_manifest()), RECEIVER, SENDER.sender)
    assert sink.committed == FILES
    assert [f.path for f in opened.manifest.files] == ["a", "b/c", "d"]


def test_a_package_not_addressed_to_the_key_names_its_recipients() -> None:
    stranger = authority(5, "Customs", "AUT")
    sink = MemorySink()
    with pytest.raises(NotAddressedError) as refused:
        open_package(io.BytesIO(_sealed()), stranger.decryption, sink)
    assert str(refused.value) == (
        f"the package is not addressed to key {stranger.recipient.key_id}; its recipients are: "
        f"{RECEIVER.recipient.key_id} (Police, VNM), "
        f"{authority(4).recipient.key_id} (Ministry of Justice, AUT)"
    )
    assert refused.value.report is not None
    assert (sink.aborted, sink.committed) == (True, None)


def test_a_content_key_that_does_not_unwrap_is_step_9() -> None:
    package = _sealed()
    header = verify(io.BytesIO(package)).header
    mine = header.recipients[0]
    broken = dataclasses.replace(mine, wrapped_key=bytes(48))
    message, problems, _ = _refused(
        _remake(package, dataclasses.replace(header, recipients=(broken, header.recipients[1])))
    )
    step = f"step 9: the content key wrapped for {RECEIVER.recipient.key_id} does not open"
    assert message == f"the package does not open: {step}"
    assert problems == [("header", step)]


def test_a_manifest_that_does_not_decrypt_is_step_10() -> None:
    package = _sealed()
    header = verify(io.BytesIO(package)).header
    message, problems, _ = _refused(_remake(package, dataclasses.replace(header, salt=bytes(16))))
    assert message == "the package does not open: step 10: the manifest does not decrypt"
    assert problems == [("manifest", "step 10: the manifest does not decrypt")]


def test_a_manifest_that_does_not_parse_is_step_10() -> None:
    message, problems, _ = _refused(_remake(_sealed(), manifest=b"[]"))
    assert message == "the package does not open: step 10: manifest must be a JSON object"
    assert problems == [("manifest", "step 10: manifest must be a JSON object")]


@pytest.mark.parametrize(
    ("change", "index", "says"),
    [
        ({"size": 1501}, 0, "3 files of 1551 bytes, the summary 3 of 1550"),
        ({"size": 0}, 2, "3 files of 1500 bytes, the summary 3 of 1550"),
    ],
)
def test_a_manifest_that_disagrees_with_the_summary_is_step_10(
    change: dict[str, object], index: int, says: str
) -> None:
    message, problems, _ = _refused(_remake(_sealed(), manifest=_manifest(change, index)))
    step = f"step 10: the manifest lists {says}"
    assert (message, problems) == (f"the package does not open: {step}", [("manifest", step)])


def test_a_manifest_listing_another_number_of_files_is_step_10() -> None:
    opened, _ = open_bytes(_sealed(), RECEIVER)
    a, c, d = opened.manifest.files
    merged = dataclasses.replace(a, size=a.size + d.size)
    manifest = Manifest((merged, c), opened.manifest.note, None, "hanoix").encode()
    _, problems, _ = _refused(_remake(_sealed(), manifest=manifest))
    assert problems == [
        ("manifest", "step 10: the manifest lists 2 files of 1550 bytes, the summary 3 of 1550")
    ]


def test_a_file_whose_digest_differs_is_step_12_naming_the_file() -> None:
    message, problems, _ = _refused(
        _remake(_sealed(), manifest=_manifest({"sha256": bytes(32)}, 2))
    )
    assert message == "the package does not verify: step 12: d does not match its SHA-256 digest"
    assert problems == [("d", "step 12: d does not match its SHA-256 digest")]


def test_opening_reports_the_progress_of_each_chunk() -> None:
    progress: list[int] = []
    sink = MemorySink()
    open_package(io.BytesIO(_sealed()), RECEIVER.decryption, sink, progress=progress.append)
    assert progress == [1024, 1550 - 1024]
    assert sink.committed == FILES


class _Lending(io.BytesIO):
    """A package file lending its bytes as views (as a memory map does); from lend number
    ``short_at`` on, it has shrunk by a byte (changed on disk after it was verified)."""

    def __init__(self, data: bytes, short_at: int | None = None) -> None:
        super().__init__(data)
        self._whole, self.short_at = memoryview(data), short_at
        self.lent: list[memoryview] = []
        self.sizes: list[int] = []

    def lend(self, size: int) -> memoryview:
        start = self.tell()
        cut = 1 if self.short_at is not None and len(self.lent) >= self.short_at else 0
        view = self._whole[start : start + size - cut]
        self.seek(start + len(view))
        self.lent.append(view)
        self.sizes.append(len(view))
        return view


class _Shrinking(io.BytesIO):
    """A package file that ends early when read into a buffer for the ``at``-th time."""

    def __init__(self, data: bytes, at: int) -> None:
        super().__init__(data)
        self.reads, self.at = 0, at

    def readinto(self, buffer: Any, /) -> int:
        self.reads += 1
        return 0 if self.reads == self.at else super().readinto(buffer)


def test_a_lending_package_is_opened_from_its_views_and_each_is_released() -> None:
    package = _Lending(_sealed())
    sink = MemorySink()
    open_package(package, RECEIVER.decryption, sink, sender=SENDER.sender)
    assert sink.committed == FILES
    assert package.sizes == [1024 + 16, 1550 - 1024 + 16]
    assert all(released(view) for view in package.lent)


@pytest.mark.parametrize(
    "package", [lambda data: _Lending(data, short_at=1), lambda data: _Shrinking(data, at=2)]
)
def test_a_package_that_shrinks_after_verification_is_truncated_at_step_11(
    package: Callable[[bytes], io.BytesIO],
) -> None:
    stream = package(_sealed())
    sink = MemorySink()
    with pytest.raises(PackageVerificationError) as refused:
        open_package(stream, RECEIVER.decryption, sink, sender=SENDER.sender)
    assert str(refused.value) == "the package does not open: step 11: chunk 1 is truncated"
    assert [(p.field, p.message) for p in refused.value.problems] == [
        ("chunk 1", "step 11: chunk 1 is truncated")
    ]
    assert (sink.aborted, sink.committed) == (True, None)
    # the view found short is released at once (one lent before it may still be queued)
    assert all(released(view) for view in getattr(stream, "lent", [])[-1:])


class _Altering(io.BytesIO):
    """A package file whose bytes change (same length) when read into a buffer for the
    ``at``-th time: altered on disk after it was verified."""

    def __init__(self, data: bytes, at: int) -> None:
        super().__init__(data)
        self.reads, self.at = 0, at

    def readinto(self, buffer: Any, /) -> int:
        self.reads += 1
        n = super().readinto(buffer)
        if self.reads == self.at:
            buffer[0] ^= 1
        return n


def test_a_chunk_altered_after_verification_is_caught_by_its_commitment() -> None:
    sink = MemorySink()
    with pytest.raises(PackageVerificationError) as refused:
        open_package(_Altering(_sealed(), at=2), RECEIVER.decryption, sink)
    step = "step 7: chunk 1 does not match its committed hash"
    assert str(refused.value) == f"the package does not open: {step}"
    assert [(p.field, p.message) for p in refused.value.problems] == [("chunk 1", step)]
    assert (sink.aborted, sink.committed) == (True, None)


def test_chunks_bound_to_another_header_do_not_decrypt_at_step_11() -> None:
    # The sender re-makes the header (another request) and the manifest under it; the
    # chunks stay bound to the header they were sealed under.
    package = _sealed()
    header = dataclasses.replace(verify(io.BytesIO(package)).header, request="AUT-2026-0002")
    message, problems, _ = _refused(_remake(package, header, manifest=_manifest()))
    step = "step 11: chunk 0 does not decrypt (altered, moved or re-signed)"
    assert message == f"the package does not open: {step}"
    assert problems == [("chunk 0", step)]
