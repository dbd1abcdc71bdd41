"""``open_package``: decrypt a package for one recipient, check everything, then release it.

Steps 1-6 are verification's (see :mod:`hanoix.evidence.verify`); then:

8. addressed: the key's public key is one of the header's recipients;
9. content key: the recipient's wrapped key opens (X25519 + HKDF-SHA256 + AES-256-GCM);
10. manifest: it decrypts, parses, and agrees with the signed summary;
11. chunks: each chunk's BLAKE3 hash matches its commitment (step 7) and it decrypts;
12. files: each file's size and SHA-256 equal the manifest's.

Files are written through a :class:`Sink` into a staging area; the sink is committed only when
every step holds, and aborted (everything it wrote removed) otherwise.
"""

from __future__ import annotations

import hashlib
import mmap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO, Protocol, cast

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hanoix.evidence import crypto
from hanoix.evidence.errors import NotAddressedError, PackageVerificationError
from hanoix.evidence.format import TAG_SIZE, MalformedError
from hanoix.evidence.keys import DecryptionKey, PublicKey
from hanoix.evidence.manifest import FileEntry, Manifest, parse_manifest
from hanoix.evidence.pipeline import Pipeline, buffer_slots, chunk_buffer
from hanoix.evidence.streams import Readable, WritableFile, read_fully
from hanoix.evidence.verify import (
    PackageReport,
    Structure,
    chunk_spans,
    raise_problems,
    read_structure,
)


class Sink(Protocol):
    """Where opened files go: staged by ``create``, released by ``commit``, undone by
    ``abort``. ``commit`` is called only after every check has passed."""

    def create(self, path: str) -> WritableFile: ...

    def commit(self, files: Sequence[FileEntry]) -> None: ...

    def abort(self) -> None: ...


@dataclass(frozen=True)
class OpenedPackage:
    report: PackageReport
    manifest: Manifest

    @property
    def package_id(self) -> str:
        assert self.report.package_id is not None
        return self.report.package_id


@dataclass
class _Slot:
    cipher: mmap.mmap
    plain: mmap.mmap


@dataclass
class _Chunk:
    index: int
    slot: _Slot
    length: int  # ciphertext length
    final: bool
    segments: list[tuple[int, int, int]] = field(default_factory=list)
    # The ciphertext where the package stream lent it (a memory map), else None: it is then
    # in slot.cipher.
    lent: memoryview | None = None

    @property
    def cipher(self) -> memoryview:
        if self.lent is not None:
            return self.lent
        return memoryview(self.slot.cipher)[: self.length]


def open_package(
    package: BinaryIO,
    key: DecryptionKey,
    sink: Sink,
    *,
    sender: PublicKey | None = None,
    progress: Callable[[int], None] | None = None,
) -> OpenedPackage:
    """Open ``package`` with ``key`` into ``sink``; commit the sink only if all checks pass.

    Raises :class:`NotAddressedError` when the package is not addressed to ``key``,
    :class:`PackageVerificationError` when anything does not verify (the sink is aborted).
    """
    try:
        manifest, report = _open(package, key, sink, sender, progress)
    except BaseException:
        sink.abort()
        raise
    sink.commit(manifest.files)
    return OpenedPackage(report, manifest)


def _problem(st: Structure, message: str, where: str) -> PackageVerificationError:
    st.problems.add(message, field=where)
    return PackageVerificationError(
        f"the package does not open: {message}", problems=st.problems.problems, report=st.report
    )


def _open(
    package: BinaryIO,
    key: DecryptionKey,
    sink: Sink,
    sender: PublicKey | None,
    progress: Callable[[int], None] | None,
) -> tuple[Manifest, PackageReport]:
    st = read_structure(package, sender)
    raise_problems(st)
    header, trailer = st.header, st.trailer
    assert header is not None and trailer is not None
    # 8. addressed to this key?
    mine = key.public
    stanza = next((r for r in header.recipients if r.recipient.key == mine.raw), None)
    if stanza is None:
        names = ", ".join(r.describe() for r in st.report.recipients)
        raise NotAddressedError(
            f"the package is not addressed to key {mine.key_id}; its recipients are: {names}",
            report=st.report,
        )
    # 9. content key
    try:
        content_key = crypto.unwrap(key.private, stanza.ephemeral, stanza.wrapped_key)
    except crypto.WrapError as exc:
        raise _problem(
            st, f"step 9: the content key wrapped for {mine.key_id} does not open", "header"
        ) from exc
    payload_key, manifest_key = crypto.derive_keys(content_key, header.salt)
    # 10. manifest
    try:
        manifest = parse_manifest(
            crypto.decrypt_manifest(manifest_key, st.header_hash, trailer.manifest)
        )
    except InvalidTag as exc:
        raise _problem(st, "step 10: the manifest does not decrypt", "manifest") from exc
    except MalformedError as exc:
        raise _problem(st, f"step 10: {exc.message}", "manifest") from exc
    summary = trailer.summary
    if len(manifest.files) != summary.files or manifest.plaintext_bytes != summary.plaintext_bytes:
        raise _problem(
            st,
            f"step 10: the manifest lists {len(manifest.files)} files of "
            f"{manifest.plaintext_bytes} bytes, the summary {summary.files} of "
            f"{summary.plaintext_bytes}",
            "manifest",
        )
    # 11. chunks, streamed into the sink
    digests = _decrypt_into(package, st, manifest, payload_key, sink, progress)
    # 12. files
    for entry, digest in zip(manifest.files, digests, strict=True):
        if not crypto.equal(entry.sha256, digest):
            st.problems.add(
                f"step 12: {entry.path} does not match its SHA-256 digest", field=entry.path
            )
    raise_problems(st)
    return manifest, st.report


def _decrypt_into(
    package: BinaryIO,
    st: Structure,
    manifest: Manifest,
    payload_key: bytes,
    sink: Sink,
    progress: Callable[[int], None] | None,
) -> list[bytes]:
    header, trailer = st.header, st.trailer
    assert header is not None and trailer is not None
    files = manifest.files
    hashers = [hashlib.sha256() for _ in files]
    aead = AESGCM(payload_key)
    last = trailer.summary.chunks - 1

    def produce(emit: Callable[[_Chunk], None]) -> None:
        package.seek(st.payload_start)
        lend = getattr(package, "lend", None)
        number, left = 0, files[0].size if files else 0
        for index, (_offset, length) in enumerate(chunk_spans(header, trailer, st.payload_start)):
            slot = pool.get()
            chunk = _Chunk(index, slot, length, index == last)
            if lend is not None:
                chunk.lent = lend(length)
                got = len(chunk.lent)
            else:
                got = read_fully(cast(Readable, package), memoryview(slot.cipher)[:length])
            if got != length:
                if chunk.lent is not None:
                    chunk.lent.release()
                raise _problem(st, f"step 11: chunk {index} is truncated", f"chunk {index}")
            pos, end = 0, length - TAG_SIZE
            while pos < end:
                while left == 0:
                    number += 1
                    left = files[number].size
                take = min(left, end - pos)
                chunk.segments.append((number, pos, pos + take))
                pos += take
                left -= take
            emit(chunk)

    def check_and_decrypt(chunk: _Chunk) -> None:
        try:
            _check_and_decrypt(chunk)
        finally:
            if chunk.lent is not None:
                chunk.lent.release()  # the ciphertext is not needed after this stage

    def _check_and_decrypt(chunk: _Chunk) -> None:
        cipher = chunk.cipher
        hasher = crypto.leaf_hasher()
        hasher.update(cipher)
        if not crypto.equal(bytes(hasher.digest()), trailer.leaf(chunk.index)):
            raise _problem(
                st,
                f"step 7: chunk {chunk.index} does not match its committed hash",
                f"chunk {chunk.index}",
            )
        try:
            aead.decrypt_into(
                crypto.chunk_nonce(header.nonce_prefix, chunk.index, chunk.final),
                cipher,
                crypto.chunk_aad(st.header_hash, chunk.index, chunk.final),
                memoryview(chunk.slot.plain)[: chunk.length - TAG_SIZE],
            )
        except InvalidTag as exc:
            raise _problem(
                st,
                f"step 11: chunk {chunk.index} does not decrypt (altered, moved or re-signed)",
                f"chunk {chunk.index}",
            ) from exc

    def hash_files(chunk: _Chunk) -> None:
        plain = memoryview(chunk.slot.plain)
        for number, a, b in chunk.segments:
            hashers[number].update(plain[a:b])

    writer: list[WritableFile] = []
    next_file = [0]

    def advance_to(number: int) -> None:
        while next_file[0] <= number:
            if writer:
                writer.pop().close()
            writer.append(sink.create(files[next_file[0]].path))
            next_file[0] += 1

    def write_files(chunk: _Chunk) -> None:
        plain = memoryview(chunk.slot.plain)
        for number, a, b in chunk.segments:
            advance_to(number)
            writer[0].write(plain[a:b])
        pool.put(chunk.slot)
        if progress is not None:
            progress(chunk.length - TAG_SIZE)

    pipeline: Pipeline[_Chunk] = Pipeline([check_and_decrypt, hash_files, write_files])
    pool = pipeline.pool(
        _Slot(chunk_buffer(header.chunk_size + TAG_SIZE), chunk_buffer(header.chunk_size))
        for _ in range(buffer_slots(header.chunk_size))
    )
    try:
        pipeline.run(produce)
        advance_to(len(files) - 1)  # files after the last byte: empty ones
    finally:
        if writer:
            writer.pop().close()
    return [h.digest() for h in hashers]
