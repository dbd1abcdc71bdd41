"""``seal``: files in, one signed and encrypted evidence package out, in one streaming pass.

The pipeline: a reader fills fixed-size chunks (the payload is the files one after another),
a hasher computes each file's SHA-256, an encryptor seals each chunk with AES-256-GCM and
hashes the ciphertext into the BLAKE3 tree, a writer appends it to the output. Then the
encrypted manifest, the summary and the Ed25519 signature close the package.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hanoix.clock import Clock
from hanoix.evidence import crypto
from hanoix.evidence.errors import EvidenceInputError, SourceError
from hanoix.evidence.format import (
    DEFAULT_CHUNK_SIZE,
    HASH_SIZE,
    KEY_SIZE,
    MAX_CHUNK_SIZE,
    MAX_CHUNKS,
    MAX_RECIPIENTS,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    SALT_SIZE,
    TAG_SIZE,
    Header,
    RecipientStanza,
    Summary,
    chunk_count,
    pack_footer,
    pack_preamble,
    pack_trailer_body,
)
from hanoix.evidence.keys import KeyKind, PublicKey, SigningKey
from hanoix.evidence.manifest import FileEntry, Manifest, layout_problem, path_problem
from hanoix.evidence.pipeline import Pipeline, buffer_slots, chunk_buffer
from hanoix.evidence.streams import Readable, Source, Writable, read_fully

GENERATOR = "hanoix 0.1.0"


@dataclass(frozen=True)
class SealedPackage:
    """What ``seal`` wrote: the package id, its public header and summary, its manifest."""

    package_id: str
    header: Header
    summary: Summary
    manifest: Manifest
    size: int


@dataclass
class _Slot:
    plain: mmap.mmap
    cipher: mmap.mmap


@dataclass
class _Chunk:
    index: int
    slot: _Slot
    length: int = 0
    segments: list[tuple[int, int, int]] = field(default_factory=list)  # (file, start, end)
    final: bool = False
    # The chunk's plaintext when a source lent it whole (see Source.open), else None: the
    # plaintext is then in slot.plain.
    lent: memoryview | None = None

    @property
    def plain(self) -> memoryview:
        return self.lent if self.lent is not None else memoryview(self.slot.plain)


def _check_options(
    sources: Sequence[Source], recipients: Sequence[PublicKey], chunk_size: int
) -> None:
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE or chunk_size & (chunk_size - 1):
        raise EvidenceInputError(
            f"chunk size must be a power of two from {MIN_CHUNK_SIZE} to {MAX_CHUNK_SIZE}"
        )
    if not recipients:
        raise EvidenceInputError("a package needs at least one recipient (--to PUBKEY)")
    if len(recipients) > MAX_RECIPIENTS:
        raise EvidenceInputError(f"a package has at most {MAX_RECIPIENTS} recipients")
    if len({r.raw for r in recipients}) != len(recipients):
        raise EvidenceInputError("the same recipient key is given twice")
    for r in recipients:
        if r.kind is not KeyKind.ENCRYPTION:
            raise EvidenceInputError("a recipient must be an X25519 encryption public key")
    for source in sources:
        problem = path_problem(source.path)
        if problem:
            raise SourceError(f"cannot seal {source.path!r}: {problem}")
    problem = layout_problem(s.path for s in sources)
    if problem:
        raise SourceError(f"cannot seal these files together: {problem}")


def seal(
    sources: Sequence[Source],
    out: Writable,
    *,
    signer: SigningKey,
    recipients: Sequence[PublicKey],
    clock: Clock,
    random: Callable[[int], bytes] = os.urandom,
    request: str | None = None,
    note: str | None = None,
    examiner: str | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> SealedPackage:
    """Seal ``sources`` into ``out`` for ``recipients``, signed by ``signer``.

    ``random`` supplies every secret (content key, salt, nonce prefix, ephemeral keys) and
    ``clock`` the creation time, so a test can reproduce a package byte for byte. Raises
    :class:`SourceError` when a source cannot be read or changes size while being read; the
    caller then discards the partial output.
    """
    _check_options(sources, recipients, chunk_size)
    content_key = random(KEY_SIZE)
    stanzas = []
    for recipient in recipients:
        try:
            ephemeral, wrapped = crypto.wrap(content_key, recipient.raw, random(KEY_SIZE))
        except crypto.WrapError as exc:
            raise EvidenceInputError(
                f"recipient key {recipient.key_id} cannot be used: {exc}"
            ) from exc
        stanzas.append(RecipientStanza(recipient.party(), ephemeral, wrapped))
    header = Header(
        chunk_size=chunk_size,
        salt=random(SALT_SIZE),
        nonce_prefix=random(NONCE_PREFIX_SIZE),
        created=clock.now().astimezone(UTC).replace(microsecond=0),
        request=request,
        sender=signer.public.party(),
        recipients=tuple(stanzas),
    )
    header_bytes = header.encode()
    start = pack_preamble(len(header_bytes)) + header_bytes
    header_hash = crypto.header_digest(start)
    payload_key, manifest_key = crypto.derive_keys(content_key, header.salt)
    out.write(start)

    hashers = [hashlib.sha256() for _ in sources]
    sizes = [0] * len(sources)
    leaves = bytearray()
    written = [len(start)]
    aead = AESGCM(payload_key)

    # Streams that lent chunks stay open until the last stage is done with their last chunk:
    # (stream, index of the last chunk holding its bytes), in order.
    lending: deque[tuple[Readable, int]] = deque()
    lending_lock = threading.Lock()

    def close_lenders(done: int) -> None:
        with lending_lock:
            while lending and lending[0][1] <= done:
                lending.popleft()[0].close()

    def produce(emit: Callable[[_Chunk], None]) -> None:
        index = 0
        current = _Chunk(0, _take_slot())
        pending: _Chunk | None = None

        def next_chunk() -> None:
            nonlocal index, current, pending
            if pending is not None:
                emit(pending)
            pending = current
            index += 1
            current = _Chunk(index, _take_slot())

        def room_for_more(lent: memoryview | None = None) -> None:
            # Refused only when a byte would go into a chunk past the last index: an input of
            # exactly MAX_CHUNKS full chunks fits (the chunk after the last stays empty).
            if index >= MAX_CHUNKS:
                if lent is not None:
                    lent.release()  # so that its stream can close
                raise SourceError("the input is too large for one package")

        for number, source in enumerate(sources):
            stream = _open(source)
            lend = getattr(stream, "lend", None)
            lent_any = False
            try:
                while True:
                    if lend is not None and current.length == 0:
                        lent = _lend(lend, chunk_size, source)
                        if len(lent) == chunk_size:
                            room_for_more(lent)
                            # A whole chunk of this file: hashed and encrypted where it lies.
                            current.lent, current.length = lent, chunk_size
                            current.segments.append((number, 0, chunk_size))
                            sizes[number] += chunk_size
                            lent_any = True
                            next_chunk()
                            continue
                        n = len(lent)  # the file's tail: copied, the next file follows it
                        current.slot.plain[:n] = lent
                        lent.release()
                    else:
                        view = memoryview(current.slot.plain)[current.length :]
                        n = _read(stream, view, source)
                    if n == 0:
                        break
                    room_for_more()
                    current.segments.append((number, current.length, current.length + n))
                    current.length += n
                    sizes[number] += n
                    if current.length == chunk_size:
                        next_chunk()
            finally:
                if lent_any:
                    with lending_lock:
                        lending.append((stream, index if current.length else index - 1))
                else:
                    stream.close()
            if source.size is not None and sizes[number] != source.size:
                raise SourceError(
                    f"{source.path} changed while it was being sealed "
                    f"({source.size} bytes expected, {sizes[number]} read); seal it again"
                )
        if current.length == 0 and pending is not None:
            pool.put(current.slot)
            pending.final = True
            emit(pending)
        else:
            if pending is not None:
                emit(pending)
            current.final = True
            emit(current)

    def _take_slot() -> _Slot:
        return pool.get()

    def _hash(chunk: _Chunk) -> None:
        view = chunk.plain
        for number, a, b in chunk.segments:
            hashers[number].update(view[a:b])

    def _encrypt(chunk: _Chunk) -> None:
        n = chunk.length
        aead.encrypt_into(
            crypto.chunk_nonce(header.nonce_prefix, chunk.index, chunk.final),
            chunk.plain[:n],
            crypto.chunk_aad(header_hash, chunk.index, chunk.final),
            memoryview(chunk.slot.cipher)[: n + TAG_SIZE],
        )
        leaf = crypto.leaf_hasher()
        leaf.update(memoryview(chunk.slot.cipher)[: n + TAG_SIZE])
        leaves.extend(leaf.digest())

    def _write(chunk: _Chunk) -> None:
        out.write(memoryview(chunk.slot.cipher)[: chunk.length + TAG_SIZE])
        written[0] += chunk.length + TAG_SIZE
        if chunk.lent is not None:
            chunk.lent.release()
        close_lenders(chunk.index)
        pool.put(chunk.slot)
        if progress is not None:
            progress(chunk.length)

    pipeline: Pipeline[_Chunk] = Pipeline([_hash, _encrypt, _write])
    pool = pipeline.pool(
        _Slot(chunk_buffer(chunk_size), chunk_buffer(chunk_size + TAG_SIZE))
        for _ in range(buffer_slots(chunk_size))
    )
    try:
        pipeline.run(produce)
    finally:
        # Every thread has stopped: nothing touches what the streams lent any more.
        close_lenders(MAX_CHUNKS)

    manifest = Manifest(
        files=tuple(
            FileEntry(s.path, size, s.modified.astimezone(UTC), h.digest())
            for s, size, h in zip(sources, sizes, hashers, strict=True)
        ),
        note=note,
        examiner=examiner,
        generator=GENERATOR,
    )
    total = manifest.plaintext_bytes
    count = len(leaves) // HASH_SIZE
    assert count == chunk_count(total, chunk_size)
    summary = Summary(count, total, len(sources), crypto.merkle_root(crypto.split_leaves(leaves)))
    body = pack_trailer_body(
        summary,
        bytes(leaves),
        crypto.encrypt_manifest(manifest_key, header_hash, manifest.encode()),
    )
    message = crypto.signed_message(header_hash, body)
    signature = signer.sign(message)
    tail = body + signature + pack_footer(len(body) + len(signature))
    out.write(tail)
    return SealedPackage(
        package_id=crypto.package_id(message),
        header=header,
        summary=summary,
        manifest=manifest,
        size=written[0] + len(tail),
    )


def _open(source: Source) -> Readable:
    try:
        return source.open()
    except OSError as exc:
        raise SourceError(f"cannot read {source.path}: {exc.strerror or exc}") from exc


def _lend(lend: Callable[[int], memoryview], size: int, source: Source) -> memoryview:
    try:
        return lend(size)
    except OSError as exc:
        raise SourceError(f"cannot read {source.path}: {exc.strerror or exc}") from exc


def _read(stream: Readable, view: memoryview, source: Source) -> int:
    try:
        return read_fully(stream, view)
    except OSError as exc:
        raise SourceError(f"cannot read {source.path}: {exc.strerror or exc}") from exc
