"""``verify``: check a package without any private key, as a court would.

Every step runs and every failure is collected (a court's report lists them all); any
failure raises :class:`PackageVerificationError`. Steps, numbered as in the messages:

1. preamble: magic and format version (else an input error: not a package / unsupported);
2. header: well-formed JSON with every field valid;
3. trailer: the footer's end marker, then summary, chunk hashes, manifest and signature;
4. signature: Ed25519 by the header's sender key over the header and trailer digests, and,
   when the caller pins a sender key, that it is this key;
5. commitment: the BLAKE3 Merkle root of the chunk hashes equals the summary's root;
6. layout: chunk count and payload length agree with the byte count (truncation, extra bytes);
7. chunks: the BLAKE3 leaf hash of every ciphertext chunk equals its committed hash.

Plaintext is never needed: the signature commits to the ciphertext through the tree.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import blake3

from hanoix.errors import ErrorReport
from hanoix.evidence import crypto
from hanoix.evidence.errors import (
    BadSignatureError,
    EvidenceInputError,
    PackageVerificationError,
)
from hanoix.evidence.format import (
    FOOTER_SIZE,
    PREAMBLE_SIZE,
    TAG_SIZE,
    Header,
    MalformedError,
    Party,
    Trailer,
    b64encode,
    chunk_count,
    format_time,
    parse_footer,
    parse_header,
    parse_preamble,
    parse_trailer,
    payload_length,
    plaintext_length,
)
from hanoix.evidence.keys import KeyKind, PublicKey

MAX_CHUNK_PROBLEMS = 20


def _party_dict(kind: KeyKind, party: Party) -> dict[str, Any]:
    key = PublicKey(kind, party.key, party.authority, party.state)
    return {
        "key_id": key.key_id,
        "key": b64encode(party.key),
        "authority": party.authority,
        "state": party.state,
    }


@dataclass(frozen=True)
class PackageReport:
    """What can be said about a package without a private key (all of it public)."""

    size: int
    package_id: str | None = None
    header: Header | None = None
    chunks: int | None = None
    files: int | None = None
    plaintext_bytes: int | None = None

    @property
    def signer(self) -> PublicKey | None:
        if self.header is None:
            return None
        s = self.header.sender
        return PublicKey(KeyKind.SIGNING, s.key, s.authority, s.state)

    @property
    def recipients(self) -> tuple[PublicKey, ...]:
        if self.header is None:
            return ()
        return tuple(
            PublicKey(KeyKind.ENCRYPTION, r.recipient.key, r.recipient.authority, r.recipient.state)
            for r in self.header.recipients
        )

    def as_dict(self) -> dict[str, Any]:
        h = self.header
        return {
            "package_id": self.package_id,
            "signer": _party_dict(KeyKind.SIGNING, h.sender) if h else None,
            "recipients": [
                _party_dict(KeyKind.ENCRYPTION, r.recipient) for r in (h.recipients if h else ())
            ],
            "request": h.request if h else None,
            "created": format_time(h.created) if h else None,
            "chunk_size": h.chunk_size if h else None,
            "chunks": self.chunks,
            "files": self.files,
            "bytes": self.plaintext_bytes,
            "package_bytes": self.size,
        }


@dataclass(frozen=True)
class VerifiedPackage:
    """A package whose signature, structure and every chunk hold."""

    report: PackageReport
    header: Header
    trailer: Trailer
    header_hash: bytes
    payload_start: int = field(repr=False)

    @property
    def package_id(self) -> str:
        assert self.report.package_id is not None
        return self.report.package_id


@dataclass
class Structure:
    """Steps 1-6; filled as far as the package allows."""

    report: PackageReport
    problems: ErrorReport
    header: Header | None = None
    header_hash: bytes = b""
    trailer: Trailer | None = None
    payload_start: int = 0
    payload_end: int = 0
    layout_ok: bool = False


def _size(stream: BinaryIO) -> int:
    try:
        size = stream.seek(0, os.SEEK_END)
    except (OSError, ValueError) as exc:
        raise EvidenceInputError("the package must be a seekable file") from exc
    return size


def _read_at(stream: BinaryIO, offset: int, length: int) -> bytes:
    stream.seek(offset)
    data = stream.read(length)
    return data


def read_structure(stream: BinaryIO, sender: PublicKey | None) -> Structure:
    """Steps 1 to 6. Raises input errors for step 1; collects every later problem."""
    if sender is not None and sender.kind is not KeyKind.SIGNING:
        raise EvidenceInputError("--sender-key must be an Ed25519 signing public key")
    size = _size(stream)
    problems = ErrorReport()
    st = Structure(PackageReport(size=size), problems)
    # 1. preamble
    try:
        header_length = parse_preamble(_read_at(stream, 0, PREAMBLE_SIZE))
    except MalformedError as exc:
        problems.add(f"step 1: {exc.message}", field=exc.field)
        return st
    # 2. header
    header_end = PREAMBLE_SIZE + header_length
    raw_header = _read_at(stream, PREAMBLE_SIZE, header_length)
    if len(raw_header) < header_length:
        problems.add("step 2: the package is truncated inside its header", field="header")
        return st
    try:
        st.header = parse_header(raw_header)
    except MalformedError as exc:
        problems.add(f"step 2: {exc.message}", field="header")
        return st
    st.header_hash = crypto.header_digest(_read_at(stream, 0, header_end))
    st.payload_start = header_end
    st.report = PackageReport(size=size, header=st.header)
    # 3. trailer
    try:
        if size < header_end + FOOTER_SIZE:
            raise MalformedError("the package is truncated: it ends before its trailer", "footer")
        trailer_length = parse_footer(_read_at(stream, size - FOOTER_SIZE, FOOTER_SIZE))
        st.payload_end = size - FOOTER_SIZE - trailer_length
        if st.payload_end < header_end:
            raise MalformedError("the footer's trailer length is larger than the package", "footer")
        st.trailer = parse_trailer(_read_at(stream, st.payload_end, trailer_length))
    except MalformedError as exc:
        problems.add(f"step 3: {exc.message}", field=exc.field)
        return st
    trailer = st.trailer
    summary = trailer.summary
    message = crypto.signed_message(st.header_hash, trailer.body)
    st.report = PackageReport(
        size=size,
        package_id=crypto.package_id(message),
        header=st.header,
        chunks=summary.chunks,
        files=summary.files,
        plaintext_bytes=summary.plaintext_bytes,
    )
    # 4. signature
    signer = st.report.signer
    assert signer is not None
    try:
        signer.check_signature(trailer.signature, message)
    except BadSignatureError:
        problems.add(
            f"step 4: the signature does not verify with the sender key in the header "
            f"({signer.key_id}): the header or trailer was altered",
            field="signature",
        )
    if sender is not None and not crypto.equal(sender.raw, signer.raw):
        problems.add(
            f"step 4: wrong sender: the package is signed by key {signer.describe()}, "
            f"not by the expected key {sender.describe()}",
            field="signature",
        )
    # 5. commitment
    if not crypto.equal(crypto.merkle_root(crypto.split_leaves(trailer.leaves)), summary.root):
        problems.add(
            "step 5: the chunk hashes do not add up to the committed Merkle root",
            field="trailer",
        )
    # 6. layout
    expected_chunks = chunk_count(summary.plaintext_bytes, st.header.chunk_size)
    if summary.chunks != expected_chunks:
        problems.add(
            f"step 6: {summary.plaintext_bytes} bytes in chunks of {st.header.chunk_size} make "
            f"{expected_chunks} chunks, but the summary says {summary.chunks}",
            field="trailer",
        )
    else:
        st.layout_ok = True
        expected = payload_length(summary.plaintext_bytes, st.header.chunk_size)
        found = st.payload_end - st.payload_start
        if found < expected:
            problems.add(
                f"step 6: the package is truncated: {expected - found} bytes of chunk data "
                f"are missing ({found} of {expected})",
                field="payload",
            )
        elif found > expected:
            problems.add(
                f"step 6: the package has {found - expected} bytes more chunk data than its "
                "summary declares (a chunk duplicated or inserted?)",
                field="payload",
            )
    return st


def chunk_spans(header: Header, trailer: Trailer, payload_start: int) -> Iterator[tuple[int, int]]:
    """(offset, length) of each ciphertext chunk in the package."""
    summary = trailer.summary
    offset = payload_start
    for index in range(summary.chunks):
        length = (
            plaintext_length(index, summary.chunks, summary.plaintext_bytes, header.chunk_size)
            + TAG_SIZE
        )
        yield offset, length
        offset += length


class _Mapped:
    """A read-only memory map of the package when it is a regular file.

    Pages already hashed are dropped from the mapping (MADV_DONTNEED) so the resident memory
    stays flat: a mapped page of page cache counts as ours while it is mapped.
    """

    def __init__(self, stream: BinaryIO) -> None:
        self.mapping: mmap.mmap | None = None
        try:
            self.mapping = mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            return
        with contextlib.suppress(AttributeError, OSError):
            self.mapping.madvise(mmap.MADV_SEQUENTIAL)

    def hash(self, hasher: blake3.blake3, offset: int, length: int) -> bool:
        if self.mapping is None:
            return False
        with memoryview(self.mapping) as whole, whole[offset : offset + length] as piece:
            hasher.update(piece)
        start = offset - offset % mmap.PAGESIZE
        end = (offset + length) - (offset + length) % mmap.PAGESIZE
        if end > start:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                self.mapping.madvise(mmap.MADV_DONTNEED, start, end - start)
        return True

    def close(self) -> None:
        if self.mapping is not None:
            self.mapping.close()


class StreamedLeaves:
    """The BLAKE3 leaf hashes of a package's chunks, worked out from its bytes as they arrive
    in order (a receiver writing the package to disk), so that :func:`verify` need not read
    the chunks again.

    Until the trailer is known, where the payload ends is not: every span of ``chunk_size``
    plus the tag after the header is hashed as if it were a whole chunk. :func:`verify` takes
    a streamed hash only for a chunk whose offset and length match the package's layout
    exactly, and hashes the others (the last chunk, a span that ran into the trailer) from the
    file. A stream that is not a package, or a header that does not parse, leaves no hashes:
    the verification from the file reports what is wrong. The caller answers for the bytes
    given here being the bytes of the file verified.
    """

    def __init__(self) -> None:
        self.offset = 0
        self._head = bytearray()
        self._unusable = False
        self._payload_start = 0
        self._span = 0
        self._in_span = 0
        self._hasher: blake3.blake3 | None = None
        self._leaves: list[bytes] = []

    def update(self, data: bytes | bytearray | memoryview) -> None:
        with memoryview(data) as view:
            self.offset += len(view)
            if self._unusable:
                return
            rest = view if self._span else self._read_head(view)
            while len(rest):
                if self._hasher is None:
                    self._hasher = crypto.leaf_hasher()
                take = min(len(rest), self._span - self._in_span)
                self._hasher.update(rest[:take])
                self._in_span += take
                rest = rest[take:]
                if self._in_span == self._span:
                    self._leaves.append(bytes(self._hasher.digest()))
                    self._hasher = None
                    self._in_span = 0

    def _read_head(self, view: memoryview) -> memoryview:
        """Gather the preamble and header (small: no chunk is hashed until they are known)."""
        wanted = PREAMBLE_SIZE
        if len(self._head) >= PREAMBLE_SIZE:
            wanted = self._payload_start
        take = max(0, wanted - len(self._head))
        self._head += view[:take]
        rest = view[take:]
        if len(self._head) < wanted:
            return rest[:0]
        try:
            if not self._payload_start:
                self._payload_start = PREAMBLE_SIZE + parse_preamble(bytes(self._head))
                return self._read_head(rest)
            header = parse_header(bytes(self._head[PREAMBLE_SIZE:]))
        except (MalformedError, EvidenceInputError):
            self._unusable = True
            return rest[:0]
        self._span = header.chunk_size + TAG_SIZE
        self._head = bytearray()
        return rest

    def leaf(self, index: int, offset: int, length: int, payload_start: int) -> bytes | None:
        """The streamed hash of chunk ``index`` at ``offset`` if it was hashed as a whole."""
        if self._unusable or not self._span or payload_start != self._payload_start:
            return None
        if length != self._span or index >= len(self._leaves):
            return None
        if offset != payload_start + index * self._span:
            return None
        return self._leaves[index]


def _check_chunks(
    stream: BinaryIO,
    st: Structure,
    progress: Callable[[int], None] | None,
    streamed: StreamedLeaves | None = None,
) -> None:
    """Step 7: hash every chunk present and compare with its committed hash."""
    assert st.header is not None and st.trailer is not None
    bad: list[int] = []
    missing = 0
    mapped = _Mapped(stream)
    try:
        for index, (offset, length) in enumerate(
            chunk_spans(st.header, st.trailer, st.payload_start)
        ):
            if offset + length > st.payload_end:
                missing += 1
                continue
            digest = None
            if streamed is not None:
                digest = streamed.leaf(index, offset, length, st.payload_start)
            if digest is None:
                hasher = crypto.leaf_hasher(max_threads=-1)
                if not mapped.hash(hasher, offset, length):
                    hasher.update(_read_at(stream, offset, length))
                digest = bytes(hasher.digest())
            if not crypto.equal(digest, st.trailer.leaf(index)):
                bad.append(index)
            if progress is not None:
                progress(length - TAG_SIZE)
    finally:
        mapped.close()
    for index in bad[:MAX_CHUNK_PROBLEMS]:
        st.problems.add(
            f"step 7: chunk {index} does not match its committed hash (altered or reordered)",
            field=f"chunk {index}",
        )
    if len(bad) > MAX_CHUNK_PROBLEMS:
        st.problems.add(
            f"step 7: {len(bad) - MAX_CHUNK_PROBLEMS} more chunks do not match", field="chunks"
        )
    if missing:
        st.problems.add(
            f"step 7: {missing} chunks are missing from the end (truncated)", field="chunks"
        )


def raise_problems(st: Structure) -> None:
    problems = st.problems.problems
    if problems:
        more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
        raise PackageVerificationError(
            f"the package does not verify: {problems[0].message}{more}",
            problems=problems,
            report=st.report,
        )


def verify(
    package: BinaryIO,
    *,
    sender: PublicKey | None = None,
    progress: Callable[[int], None] | None = None,
    streamed: StreamedLeaves | None = None,
) -> VerifiedPackage:
    """Verify ``package`` (a seekable binary stream) without any private key.

    With ``sender``, the package must be signed by exactly that key. With ``streamed`` (the
    package's bytes as they were written), chunks already hashed are not read again. Returns
    the verified package; raises :class:`PackageVerificationError` listing every failed check,
    or an input error when the stream is not a package of a version this software reads.
    """
    st = read_structure(package, sender)
    if st.trailer is not None and st.header is not None and st.layout_ok:
        if streamed is not None and streamed.offset != st.report.size:
            raise EvidenceInputError(
                f"the streamed hashes cover {streamed.offset} bytes, the package has "
                f"{st.report.size}: they are not of this file"
            )
        _check_chunks(package, st, progress, streamed)
    raise_problems(st)
    assert st.header is not None and st.trailer is not None
    return VerifiedPackage(st.report, st.header, st.trailer, st.header_hash, st.payload_start)
