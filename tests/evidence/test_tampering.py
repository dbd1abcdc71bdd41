"""Property tests: no change to a package goes unnoticed, by verify (no key) or by open.

Every mutation must make ``verify`` fail (or refuse the input outright) and make ``open``
fail without committing anything to its sink.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hanoix.evidence import crypto
from hanoix.evidence.errors import EvidenceInputError, PackageVerificationError
from hanoix.evidence.format import (
    FOOTER_SIZE,
    TAG_SIZE,
    pack_footer,
    pack_preamble,
    parse_header,
    parse_trailer,
)
from hanoix.evidence.open import open_package
from hanoix.evidence.verify import chunk_spans, verify
from tests.evidence.helpers import CHUNK, MemorySink, authority, seal_bytes

SENDER = authority(1)
RECEIVER = authority(2, "Police", "VNM")
INTRUDER = authority(3, "Intruder", "XXX")

_rng = random.Random(5)
FILES = {"a.bin": _rng.randbytes(3500), "b/c.txt": b"hello" * 100, "empty": b""}
OTHER_FILES = {"a.bin": _rng.randbytes(3500), "b/c.txt": b"HELLO" * 100, "empty": b""}
PACKAGE, _ = seal_bytes(FILES, SENDER, [RECEIVER], seed=1)
OTHER, _ = seal_bytes(OTHER_FILES, SENDER, [RECEIVER], seed=2)

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def assert_detected(package: bytes) -> None:
    """Both verify and open reject the package; open commits nothing."""
    with pytest.raises((PackageVerificationError, EvidenceInputError)):
        verify(io.BytesIO(package), sender=SENDER.sender)
    sink = MemorySink()
    with pytest.raises((PackageVerificationError, EvidenceInputError)):
        open_package(io.BytesIO(package), RECEIVER.decryption, sink, sender=SENDER.sender)
    assert sink.committed is None


def _layout(package: bytes) -> list[tuple[int, int]]:
    verified = verify(io.BytesIO(package))
    return list(chunk_spans(verified.header, verified.trailer, verified.payload_start))


SPANS = _layout(PACKAGE)


def test_the_untouched_package_passes() -> None:
    verify(io.BytesIO(PACKAGE), sender=SENDER.sender)
    sink = MemorySink()
    open_package(io.BytesIO(PACKAGE), RECEIVER.decryption, sink, sender=SENDER.sender)
    assert sink.committed == FILES
    assert len(SPANS) >= 4  # several chunks, so reordering is meaningful


@PROPERTY
@given(position=st.integers(0, len(PACKAGE) - 1), bit=st.integers(0, 7))
def test_flipping_any_bit_of_any_byte_is_detected(position: int, bit: int) -> None:
    tampered = bytearray(PACKAGE)
    tampered[position] ^= 1 << bit
    assert_detected(bytes(tampered))


def test_flipping_a_chunk_byte_names_the_chunk() -> None:
    offset, _length = SPANS[2]
    tampered = bytearray(PACKAGE)
    tampered[offset + 10] ^= 0xFF
    with pytest.raises(PackageVerificationError) as raised:
        verify(io.BytesIO(bytes(tampered)))
    assert [p.field for p in raised.value.problems] == ["chunk 2"]
    assert "chunk 2 does not match its committed hash" in raised.value.message


@PROPERTY
@given(length=st.integers(0, len(PACKAGE) - 1))
def test_truncating_anywhere_is_detected(length: int) -> None:
    assert_detected(PACKAGE[:length])


def test_truncating_the_last_chunk_and_rebuilding_the_end_is_detected() -> None:
    # Drop the final chunk but keep a well-formed trailer and footer: the layout check fails.
    offset, _ = SPANS[-1]
    trailer_start = len(PACKAGE) - FOOTER_SIZE - _trailer_length(PACKAGE)
    assert_detected(PACKAGE[:offset] + PACKAGE[trailer_start:])


def _trailer_length(package: bytes) -> int:
    return int.from_bytes(package[-FOOTER_SIZE:-8], "big")


def _chunks(package: bytes) -> tuple[bytes, list[bytes], bytes]:
    spans = _layout(package)
    head = package[: spans[0][0]]
    chunks = [package[o : o + n] for o, n in spans]
    tail = package[spans[-1][0] + spans[-1][1] :]
    return head, chunks, tail


@PROPERTY
@given(data=st.data())
def test_reordering_chunks_is_detected(data: st.DataObject) -> None:
    head, chunks, tail = _chunks(PACKAGE)
    order = data.draw(st.permutations(range(len(chunks))))
    assume(list(order) != list(range(len(chunks))))
    assert_detected(head + b"".join(chunks[i] for i in order) + tail)


@PROPERTY
@given(data=st.data())
def test_duplicating_or_dropping_a_chunk_is_detected(data: st.DataObject) -> None:
    head, chunks, tail = _chunks(PACKAGE)
    index = data.draw(st.integers(0, len(chunks) - 1))
    where = data.draw(st.integers(0, len(chunks)))
    duplicated = [*chunks[:where], chunks[index], *chunks[where:]]
    assert_detected(head + b"".join(duplicated) + tail)
    dropped = chunks[:index] + chunks[index + 1 :]
    assert_detected(head + b"".join(dropped) + tail)


def _parts(package: bytes) -> tuple[bytes, bytes, bytes]:
    """(preamble+header, payload, trailer+footer)."""
    spans = _layout(package)
    start = spans[0][0]
    end = spans[-1][0] + spans[-1][1]
    return package[:start], package[start:end], package[end:]


def test_swapping_trailers_or_headers_between_packages_is_detected() -> None:
    head_a, payload_a, tail_a = _parts(PACKAGE)
    head_b, payload_b, tail_b = _parts(OTHER)
    assert len(payload_a) == len(payload_b)
    assert_detected(head_a + payload_a + tail_b)  # someone else's manifest and signature
    assert_detected(head_b + payload_a + tail_a)  # someone else's header (keys, salt)
    assert_detected(head_a + payload_b + tail_a)  # someone else's chunks


def _resign(package: bytes, signer: Callable[[bytes], bytes], sender_key: bytes) -> bytes:
    """What a forger with another key can do: rewrite the header's sender, re-sign."""
    head, payload, tail = _parts(package)
    header = parse_header(head[16:])
    forged_header = header.__class__(
        **{**header.__dict__, "sender": header.sender.__class__(sender_key, "Forger", None)}
    ).encode()
    new_head = pack_preamble(len(forged_header)) + forged_header
    trailer = parse_trailer(tail[:-FOOTER_SIZE])
    message = crypto.signed_message(crypto.header_digest(new_head), trailer.body)
    signature = signer(message)
    new_tail = trailer.body + signature + pack_footer(len(trailer.body) + len(signature))
    return new_head + payload + new_tail


def test_re_signing_with_another_key_is_detected() -> None:
    forged = _resign(PACKAGE, INTRUDER.signing.sign, INTRUDER.sender.raw)
    # The forgery is internally consistent: without a pinned sender, verify names the forger.
    report = verify(io.BytesIO(forged)).report
    assert report.signer is not None and report.signer.key_id == INTRUDER.sender.key_id
    # With the expected sender pinned, and on opening, it is caught.
    assert_detected(forged)
    # Even opening without a pinned sender fails: the chunks are bound to the original header.
    with pytest.raises(PackageVerificationError, match="does not decrypt"):
        open_package(io.BytesIO(forged), RECEIVER.decryption, MemorySink())


def test_a_signature_by_another_key_under_the_original_header_fails() -> None:
    head, payload, tail = _parts(PACKAGE)
    trailer = parse_trailer(tail[:-FOOTER_SIZE])
    message = crypto.signed_message(crypto.header_digest(head), trailer.body)
    forged_tail = trailer.body + INTRUDER.signing.sign(message) + tail[-FOOTER_SIZE:]
    with pytest.raises(PackageVerificationError, match="signature does not verify"):
        verify(io.BytesIO(head + payload + forged_tail))


def test_a_chunk_re_encrypted_by_a_recipient_is_caught_by_the_commitment() -> None:
    # A recipient knows the content key, so it can make a chunk that decrypts; the signed
    # hash tree still names it.
    head, chunks, tail = _chunks(PACKAGE)
    verified = verify(io.BytesIO(PACKAGE))
    from hanoix.evidence.crypto import derive_keys, unwrap

    stanza = verified.header.recipients[0]
    content_key = unwrap(RECEIVER.decryption.private, stanza.ephemeral, stanza.wrapped_key)
    payload_key, _ = derive_keys(content_key, verified.header.salt)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    forged_chunk = AESGCM(payload_key).encrypt(
        crypto.chunk_nonce(verified.header.nonce_prefix, 1, False),
        b"\x00" * (len(chunks[1]) - TAG_SIZE),
        crypto.chunk_aad(verified.header_hash, 1, False),
    )
    forged = head + chunks[0] + forged_chunk + b"".join(chunks[2:]) + tail
    assert len(forged) == len(PACKAGE) and len(chunks[1]) - TAG_SIZE == CHUNK
    assert_detected(forged)


@pytest.mark.slow
def test_flipping_any_byte_outside_the_chunk_bodies_is_detected() -> None:
    # Exhaustive over every byte of preamble, header, trailer and footer, and over the first
    # and last byte of every chunk (chunk bodies are sampled by the property test above).
    positions = set(range(SPANS[0][0])) | set(range(SPANS[-1][0] + SPANS[-1][1], len(PACKAGE)))
    for offset, length in SPANS:
        positions |= {offset, offset + length - 1}
    for position in sorted(positions):
        tampered = bytearray(PACKAGE)
        tampered[position] ^= 0x01
        assert_detected(bytes(tampered))
