"""Envelopes, receipts and the directory as pure formats: round trips, tampering, time, keys."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hanoix.errors import ConfigurationError
from hanoix.evidence.keys import KeyKind
from hanoix.federation import codec
from hanoix.federation.directory import (
    Directory,
    NodeKey,
    certificates,
    check_newer,
    open_directory,
    revoke_key,
    sign_directory,
)
from hanoix.federation.envelope import (
    EnvelopeHeader,
    open_envelope,
    read_envelope,
    seal_envelope,
)
from hanoix.federation.errors import (
    DirectoryError,
    DirectoryVerificationError,
    EnvelopeRejectedError,
    Reason,
    ReceiptError,
)
from hanoix.federation.receipts import parse_receipt, sign_receipt, verify_receipt
from hanoix.federation.transport import check_base_url, fingerprint, make_certificate
from tests.federation.builders import EPOCH, directory_authority, party, rng

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SKEW = timedelta(minutes=5)


A_SIGN, A_DEC, A_ENTRY = party(1, "aut.test", "AUT")
B_SIGN, B_DEC, B_ENTRY = party(2, "vnm.test", "VNM")
DIRECTORY = Directory(1, NOW, (A_ENTRY, B_ENTRY))


def header(**changes: object) -> EnvelopeHeader:
    base = EnvelopeHeader(
        id="0123456789abcdef0123456789abcdef",
        sender="aut.test",
        recipient="vnm.test",
        type="federation.notice",
        created=NOW,
        expires=NOW + timedelta(days=1),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def seal(h: EnvelopeHeader | None = None, payload: dict[str, object] | None = None) -> bytes:
    return seal_envelope(
        h or header(),
        payload if payload is not None else {"text": "please preserve"},
        signer=A_SIGN,
        recipient_key=B_DEC.public,
        random=rng(7),
    ).data


def open_(
    data: bytes, *, now: datetime = NOW, directory: Directory = DIRECTORY
) -> dict[str, object]:
    opened = open_envelope(
        data,
        recipient="vnm.test",
        directory=directory,
        decryption_key=lambda kid: B_DEC if kid == B_DEC.public.key_id else None,
        now=now,
        max_skew=SKEW,
    )
    return opened.payload


def reason_of(data: bytes, **kwargs: object) -> Reason:
    with pytest.raises(EnvelopeRejectedError) as caught:
        open_(data, **kwargs)  # type: ignore[arg-type]
    return caught.value.reason


# --- envelopes ------------------------------------------------------------------------------


def test_an_envelope_opens_to_its_payload_for_its_recipient() -> None:
    assert open_(seal()) == {"text": "please preserve"}


def test_the_payload_is_not_readable_in_the_envelope() -> None:
    data = seal(payload={"text": "secret-preservation-target"})
    assert b"secret-preservation-target" not in data


def test_sealing_is_deterministic_given_the_random_source() -> None:
    assert seal() == seal()


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_any_flipped_bit_is_refused(position: int, bit: int) -> None:
    data = bytearray(seal())
    position %= len(data)
    data[position] ^= 1 << bit
    with pytest.raises(EnvelopeRejectedError):
        open_(bytes(data))


FIELDS = ["sender", "recipient", "type", "id", "created", "expires", "in_reply_to", "urgent"]


@pytest.mark.parametrize("field", FIELDS)
def test_swapping_any_header_field_breaks_the_signature(field: str) -> None:
    fields = json.loads(seal())
    replacement = {
        "sender": "bra.test",
        "recipient": "ken.test",
        "type": "federation.ping",
        "id": "f" * 32,
        "created": "2026-11-23T11:59:00Z",
        "expires": "2026-11-25T12:00:00Z",
        "in_reply_to": "e" * 32,
        "urgent": True,
    }[field]
    fields[field] = replacement
    forged = codec.canonical(fields)
    expected = {
        "sender": Reason.UNKNOWN_SENDER,
        "recipient": Reason.WRONG_RECIPIENT,
    }.get(field, Reason.BAD_SIGNATURE)
    assert reason_of(forged) is expected


def test_a_resigned_ciphertext_cannot_be_claimed_by_another_sender() -> None:
    # C intercepts A's envelope, puts its own name and key on it and signs it: the
    # header is bound into the encryption, so B cannot decrypt it and C gains nothing.
    c_sign, _, c_entry = party(3, "bra.test", "BRA")
    directory = replace(DIRECTORY, nodes=(*DIRECTORY.nodes, c_entry))
    fields = json.loads(seal())
    fields["sender"] = "bra.test"
    fields["sender_key"] = c_sign.public.key_id
    del fields["signature"]
    message = b"hanoix-envelope/1 signature\n" + codec.canonical(fields)
    fields["signature"] = codec.b64(c_sign.sign(message))
    assert reason_of(codec.canonical(fields), directory=directory) is Reason.UNDECRYPTABLE


def test_unknown_sender_unknown_key_and_revoked_key_are_refused() -> None:
    only_b = replace(DIRECTORY, nodes=(B_ENTRY,))
    assert reason_of(seal(), directory=only_b) is Reason.UNKNOWN_SENDER
    other_key = replace(A_ENTRY, keys=(NodeKey(KeyKind.SIGNING, B_SIGN.public.raw, EPOCH),))
    assert reason_of(seal(), directory=replace(DIRECTORY, nodes=(other_key, B_ENTRY))) is (
        Reason.UNKNOWN_KEY
    )
    revoked = revoke_key(DIRECTORY, "aut.test", A_SIGN.public.key_id, NOW, "key compromised")
    assert reason_of(seal(), directory=revoked) is Reason.REVOKED_KEY


def test_a_revoked_key_is_refused_even_for_envelopes_dated_before_the_revocation() -> None:
    revoked = revoke_key(DIRECTORY, "aut.test", A_SIGN.public.key_id, NOW + timedelta(days=1))
    # A stolen key can back-date: revocation applies to everything after it is known.
    assert reason_of(seal(), directory=revoked) is Reason.REVOKED_KEY


def test_expired_and_future_dated_envelopes_are_refused_beyond_the_skew() -> None:
    data = seal()
    assert open_(data, now=NOW - SKEW + timedelta(seconds=1))  # within the skew: fine
    assert reason_of(data, now=NOW - SKEW - timedelta(seconds=1)) is Reason.FUTURE_DATED
    expires = NOW + timedelta(days=1)
    assert open_(data, now=expires + SKEW - timedelta(seconds=1))
    assert reason_of(data, now=expires + SKEW) is Reason.EXPIRED


def test_a_rotated_key_is_accepted_and_the_newest_usable_key_is_current() -> None:
    new_sign, _, _ = party(11, "aut.test", "AUT")
    rotated = replace(
        A_ENTRY,
        keys=(
            *A_ENTRY.keys,
            NodeKey(KeyKind.SIGNING, new_sign.public.raw, NOW - timedelta(hours=1)),
        ),
    )
    directory = replace(DIRECTORY, nodes=(rotated, B_ENTRY))
    assert rotated.current_key(KeyKind.SIGNING, NOW).key_id == new_sign.public.key_id  # type: ignore[union-attr]
    old = seal()
    new = seal_envelope(
        header(), {"text": "x"}, signer=new_sign, recipient_key=B_DEC.public, random=rng(8)
    ).data
    assert open_(old, directory=directory)
    assert open_(new, directory=directory)


def test_garbage_and_huge_bodies_are_refused_as_such() -> None:
    assert reason_of(b"\x00\xff not json") is Reason.MALFORMED
    assert reason_of(b"[]") is Reason.MALFORMED
    assert reason_of(b"{" + b" " * (1024 * 1024 + 1) + b"}") is Reason.TOO_LARGE
    fields = json.loads(seal())
    fields["extra"] = 1
    assert reason_of(codec.canonical(fields)) is Reason.MALFORMED


def test_an_envelope_for_another_key_of_the_recipient_is_undecryptable() -> None:
    _, other_dec, _ = party(12, "vnm.test", "VNM")
    data = seal_envelope(
        header(), {"a": 1}, signer=A_SIGN, recipient_key=other_dec.public, random=rng(9)
    ).data
    assert reason_of(data) is Reason.UNDECRYPTABLE


def test_read_envelope_keeps_the_digest_of_the_exact_bytes() -> None:
    data = seal()
    import hashlib

    assert read_envelope(data).digest == hashlib.sha256(data).hexdigest()


# --- receipts -------------------------------------------------------------------------------


def _receipt() -> tuple[bytes, str]:
    data = seal()
    digest = read_envelope(data).digest
    return sign_receipt(header(), digest, NOW, B_SIGN).to_bytes(), digest


def _check(receipt_bytes: bytes, digest: str, directory: Directory = DIRECTORY) -> None:
    verify_receipt(
        parse_receipt(receipt_bytes),
        envelope_id=header().id,
        envelope_sha256=digest,
        sender="aut.test",
        recipient="vnm.test",
        directory=directory,
    )


def test_a_receipt_verifies_for_its_envelope_only() -> None:
    receipt, digest = _receipt()
    _check(receipt, digest)
    with pytest.raises(ReceiptError, match="step 1"):
        _check(receipt, "0" * 64)


@settings(max_examples=100, deadline=None)
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_a_tampered_receipt_is_refused(position: int, bit: int) -> None:
    receipt, digest = _receipt()
    data = bytearray(receipt)
    data[position % len(data)] ^= 1 << bit
    with pytest.raises(ReceiptError):
        _check(bytes(data), digest)


def test_a_receipt_signed_by_the_sender_itself_is_refused() -> None:
    data = seal()
    digest = read_envelope(data).digest
    forged = sign_receipt(header(), digest, NOW, A_SIGN).to_bytes()
    with pytest.raises(ReceiptError, match="step 2"):
        _check(forged, digest)


# --- directory ------------------------------------------------------------------------------


def test_a_directory_round_trips_and_verifies_with_the_trusted_key() -> None:
    authority = directory_authority()
    data = sign_directory(DIRECTORY, authority.signing)
    opened = open_directory(data, authority.public)
    assert opened == DIRECTORY
    # Pretty-printing or re-ordering the file does not matter: the body's canonical form is signed.
    reordered = json.dumps(json.loads(data), sort_keys=True).encode()
    assert open_directory(reordered, authority.public) == DIRECTORY


def test_a_directory_signed_by_another_key_is_refused() -> None:
    data = sign_directory(DIRECTORY, directory_authority(1).signing)
    with pytest.raises(DirectoryVerificationError, match="step 2"):
        open_directory(data, directory_authority(2).public)


@settings(max_examples=60, deadline=None)
@given(
    path=st.sampled_from(["serial", "issued", "origin", "state", "base_url", "key", "name"]),
)
def test_a_changed_directory_field_breaks_its_signature(path: str) -> None:
    authority = directory_authority()
    document = json.loads(sign_directory(DIRECTORY, authority.signing))
    body = document["directory"]
    node = body["nodes"][0]
    if path == "serial":
        body["serial"] = 2
    elif path == "issued":
        body["issued"] = "2026-11-24T12:00:00Z"
    elif path == "key":
        node["keys"][0] = body["nodes"][1]["keys"][0]
    elif path == "name":
        node["authorities"][0]["name"] = "Someone else"
    else:
        node[path] = {"origin": "evil.test", "state": "BRA", "base_url": "http://127.0.0.2:1"}[path]
    with pytest.raises(DirectoryVerificationError):
        open_directory(json.dumps(document).encode(), authority.public)


def test_only_a_higher_serial_replaces_the_directory() -> None:
    check_newer(DIRECTORY, replace(DIRECTORY, serial=2))
    with pytest.raises(DirectoryVerificationError, match="not newer"):
        check_newer(DIRECTORY, DIRECTORY)
    with pytest.raises(DirectoryVerificationError):
        check_newer(replace(DIRECTORY, serial=5), replace(DIRECTORY, serial=4))


def test_directory_entries_are_checked() -> None:
    authority = directory_authority()
    bad_url = replace(A_ENTRY, base_url="http://example.org")
    with pytest.raises(DirectoryError, match="loopback"):
        open_directory(
            sign_directory_unchecked(replace(DIRECTORY, nodes=(bad_url,)), authority),
            authority.public,
        )
    twice = replace(DIRECTORY, nodes=(A_ENTRY, A_ENTRY))
    with pytest.raises(DirectoryError, match="same origin"):
        sign_directory(twice, authority.signing)


def test_an_entry_lists_the_next_tls_certificate_during_a_rotation() -> None:
    authority = directory_authority()
    current, following = (make_certificate("aut.test", NOW)[1].decode() for _ in range(2))
    rotating = replace(A_ENTRY, tls_certificate=current, tls_next_certificate=following)
    opened = open_directory(
        sign_directory(replace(DIRECTORY, nodes=(rotating, B_ENTRY)), authority.signing),
        authority.public,
    )
    entry = opened.node("aut.test")
    assert entry is not None and entry.tls_certificates == (current, following)
    assert entry.tls_pins == (fingerprint(current), fingerprint(following))
    assert set(certificates(opened)) == {current, following}  # the listeners accept both
    # The next certificate must be another one, and its fingerprint must match it.
    same = replace(DIRECTORY, nodes=(replace(rotating, tls_next_certificate=current), B_ENTRY))
    with pytest.raises(DirectoryError, match=r"tls\.next: is the certificate in use"):
        open_directory(sign_directory_unchecked(same, authority), authority.public)
    body = replace(DIRECTORY, nodes=(rotating, B_ENTRY)).body()
    body["nodes"][0]["tls"]["next"]["sha256"] = "0" * 64
    with pytest.raises(DirectoryError, match=r"tls\.next\.sha256"):
        open_directory(_signed_body(body, authority), authority.public)


def sign_directory_unchecked(directory: Directory, authority: object) -> bytes:
    """A signed file whose body the signer did not check (as a careless authority might)."""
    return _signed_body(directory.body(), authority)


def _signed_body(body: dict[str, object], authority: object) -> bytes:
    from hanoix.federation.directory import DIRECTORY_FORMAT, signed_message

    signing = authority.signing  # type: ignore[attr-defined]
    return json.dumps(
        {
            "format": DIRECTORY_FORMAT,
            "directory": body,
            "signature": {
                "key_id": signing.public.key_id,
                "value": codec.b64(signing.sign(signed_message(body))),
            },
        }
    ).encode()


def test_plain_http_is_allowed_to_loopback_only() -> None:
    assert check_base_url("http://127.0.0.1:8470/") == "http://127.0.0.1:8470"
    assert check_base_url("https://aut.example.org:8471") == "https://aut.example.org:8471"
    for url in ("http://10.0.0.1:8470", "http://aut.example.org", "ftp://x", "https://u:p@h"):
        with pytest.raises(ConfigurationError):
            check_base_url(url)
