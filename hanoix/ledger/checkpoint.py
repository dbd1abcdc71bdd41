"""Signed notes (c2sp.org/signed-note) and transparency-log checkpoints (c2sp.org/tlog-checkpoint).

A checkpoint is the note text::

    <origin>
    <tree size, decimal>
    <root hash, base64>
    [extension lines]

followed by a blank line and one signature line per key: ``— <key name> base64(key ID ||
signature)`` with the em dash U+2014. The log signs with Ed25519 (signature type 0x01) under a key
named after its origin, and its key ID is ``SHA-256(name || 0x0A || 0x01 || public key)[:4]``.
Verifier keys travel as *vkeys*: ``<name>+<key ID, hex>+base64(type || public key)``, the form
Go's ``golang.org/x/mod/sumdb/note`` and the transparency-dev tools read.

Parsing and verification fail closed with :class:`~hanoix.ledger.errors.CheckpointError`: the text
of a note is not looked at until a signature from the expected key has verified. A note that
breaks the syntax (not UTF-8, a control character, no blank line, a line that is not
``— <name> <signature>``) is refused whole; a signature line whose name or signature no key of
ours can have (an invisible character in the name, non-canonical base64) is a line of an
unknown key and is ignored, as the spec requires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from hanoix.ledger.errors import CheckpointError, MalformedKeyError
from hanoix.ledger.merkle import HASH_SIZE
from hanoix.signer import Ed25519Signer

EM_DASH = "\u2014"
SIGNATURE_PREFIX = EM_DASH + " "
SIGNATURE_TYPE_ED25519 = 0x01
#: The most signatures a note may carry here; the spec asks verifiers to accept at least 16.
MAX_SIGNATURES = 100
#: The largest note accepted (a checkpoint with 100 Ed25519 signatures is about 10 KiB).
MAX_NOTE_BYTES = 64 * 1024
KEY_ID_SIZE = 4

_SIZE_LINE = re.compile(r"0|[1-9][0-9]{0,19}")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f]")
_BAD_NAME = re.compile(r"[\s+]")


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """``SHA-256(name || 0x0A || type || public key)[:4]``, the RECOMMENDED key ID."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[
        :KEY_ID_SIZE
    ]


def check_key_name(name: str) -> str:
    """A key name (and a log origin) is non-empty, without Unicode spaces or plus signs."""
    if not name or _BAD_NAME.search(name) or not name.isprintable():
        raise MalformedKeyError(
            f"key name {name!r} is not usable: it must be non-empty, printable, "
            "and contain neither spaces nor '+'"
        )
    return name


def _b64decode(text: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CheckpointError(f"{what} is not valid base64") from None
    # Reject non-canonical encodings so one value has exactly one text form.
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


# --- signed notes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note: the key name, the 4-byte key ID, the signature bytes.

    A line that has the shape of a signature line but that no key of ours could have
    written (a name we would refuse, such as one with an invisible character; a signature
    that is not canonical base64 or is too short) is kept as ``verbatim`` with an empty key
    ID: it matches no verifier, so it is ignored as the signature of an unknown key, and it
    is written back unchanged.
    """

    name: str
    key_id: bytes
    signature: bytes
    verbatim: str | None = None

    def line(self) -> str:
        if self.verbatim is not None:
            return self.verbatim + "\n"
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class SignedNote:
    """A note text (ending in a newline) and its signatures, in the order they appear."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def serialize(self) -> str:
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)

    def with_signature(self, signature: NoteSignature) -> SignedNote:
        """The same note with one more signature; an identical line is not repeated."""
        if signature in self.signatures:
            return self
        return SignedNote(self.text, (*self.signatures, signature))


def parse_note(data: str | bytes) -> SignedNote:
    """Split a signed note into its text and signature lines; check the syntax only.

    The text is not trusted by this: verify a signature first (:meth:`NoteVerifier.verify`).
    """
    if isinstance(data, bytes):
        if len(data) > MAX_NOTE_BYTES:
            raise CheckpointError(f"the note is larger than {MAX_NOTE_BYTES} bytes")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckpointError("the note is not valid UTF-8") from None
    if len(data.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise CheckpointError(f"the note is larger than {MAX_NOTE_BYTES} bytes")
    if _CONTROL.search(data):
        raise CheckpointError("the note contains control characters other than newline")
    split = data.rfind("\n\n")
    if split < 0:
        raise CheckpointError("the note has no blank line between its text and its signatures")
    text, block = data[: split + 1], data[split + 2 :]
    if not block.endswith("\n"):
        raise CheckpointError("the note's signature block does not end with a newline")
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError(f"the note has more than {MAX_SIGNATURES} signatures")
    signatures: list[NoteSignature] = []
    for number, line in enumerate(lines, start=1):
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(f"signature line {number} does not start with '— '")
        name, space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        if not space or " " in encoded:
            raise CheckpointError(f"signature line {number} is not '— <name> <signature>'")
        if not name or not encoded:
            raise CheckpointError(f"signature line {number} is not '— <name> <signature>'")
        signatures.append(_read_signature(name, encoded, line))
    return SignedNote(text, tuple(signatures))


def _read_signature(name: str, encoded: str, line: str) -> NoteSignature:
    """One signature line; one that no key of ours can have made is kept as an unknown key's
    (C2SP: "Verifiers MUST ignore signatures from unknown keys"), not refused with the note."""
    try:
        check_key_name(name)
        raw = _b64decode(encoded, "the signature")
    except (MalformedKeyError, CheckpointError):
        return NoteSignature(name, b"", b"", verbatim=line)
    if len(raw) <= KEY_ID_SIZE:
        return NoteSignature(name, b"", b"", verbatim=line)
    return NoteSignature(name, raw[:KEY_ID_SIZE], raw[KEY_ID_SIZE:])


class NoteSigner:
    """An Ed25519 note signer (signature type 0x01) under a key name; the key is a file's or
    a hardware token's (:class:`hanoix.signer.Ed25519Signer`)."""

    def __init__(self, name: str, private_key: Ed25519Signer) -> None:
        self.name = check_key_name(name)
        self._private_key = private_key
        self.public_key = _raw_public_key(private_key.public_key())
        self.key_id = key_id(name, SIGNATURE_TYPE_ED25519, self.public_key)

    def sign(self, text: str) -> NoteSignature:
        if not text.endswith("\n"):
            raise ValueError("a note text ends with a newline")
        return NoteSignature(self.name, self.key_id, self._private_key.sign(text.encode()))

    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.name, self.public_key)

    def __repr__(self) -> str:
        return f"NoteSigner({self.name!r}, key_id={self.key_id.hex()})"


class NoteVerifier:
    """The public half of a :class:`NoteSigner`: verifies that key's signatures on notes."""

    signature_type = SIGNATURE_TYPE_ED25519

    def __init__(self, name: str, public_key: bytes) -> None:
        self.name = check_key_name(name)
        if len(public_key) != 32:
            raise MalformedKeyError("an Ed25519 public key is 32 bytes")
        self.public_key = bytes(public_key)
        self.key_id = key_id(name, self.signature_type, self.public_key)
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    @classmethod
    def from_vkey(cls, vkey: str) -> NoteVerifier:
        """Read a verifier key ``<name>+<key ID hex>+base64(0x01 || public key)``."""
        name, public_key = _parse_vkey(vkey.strip(), cls.signature_type)
        return cls(name, public_key)

    @property
    def vkey(self) -> str:
        encoded = base64.b64encode(bytes([self.signature_type]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def matches(self, signature: NoteSignature) -> bool:
        # An unreadable line has an empty key ID: it never matches (see NoteSignature).
        return signature.name == self.name and signature.key_id == self.key_id

    def verify_text(self, text: str, signature: NoteSignature) -> None:
        if not self.matches(signature):
            raise CheckpointError(f"the signature is not from the key {self.name}")
        try:
            self._key.verify(signature.signature, text.encode())
        except InvalidSignature:
            raise CheckpointError(
                f"the signature of {self.name} (key {self.key_id.hex()}) does not verify"
            ) from None

    def verify(self, note: SignedNote | str | bytes) -> SignedNote:
        """Check the note carries a valid signature of this key; return it parsed.

        Signatures of unknown keys are ignored, as the spec requires; a failing signature of
        this key rejects the whole note.
        """
        parsed = note if isinstance(note, SignedNote) else parse_note(note)
        found = False
        for signature in parsed.signatures:
            if self.matches(signature):
                self.verify_text(parsed.text, signature)
                found = True
        if not found:
            raise CheckpointError(
                f"the note is not signed by the key {self.name} ({self.key_id.hex()})"
            )
        return parsed

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, NoteVerifier)
            and type(other) is type(self)
            and (other.name, other.public_key) == (self.name, self.public_key)
        )

    def __hash__(self) -> int:
        return hash((type(self), self.name, self.public_key))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.vkey!r})"


def _parse_vkey(vkey: str, signature_type: int) -> tuple[str, bytes]:
    # Names never hold '+', base64 may: split on the first two only (as Go's note package does).
    parts = vkey.split("+", 2)
    if len(parts) != 3:
        raise MalformedKeyError("a verifier key reads <name>+<key id, 8 hex>+<base64 key>")
    name, hash_hex, encoded = parts
    check_key_name(name)
    if not re.fullmatch(r"[0-9a-f]{8}", hash_hex):
        raise MalformedKeyError("the key ID of a verifier key is 8 lower-case hex digits")
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise MalformedKeyError("the key of a verifier key is not valid base64") from None
    if len(raw) != 33 or raw[0] != signature_type:
        raise MalformedKeyError(
            f"the verifier key is not an Ed25519 key of signature type 0x{signature_type:02x}"
        )
    public_key = raw[1:]
    if key_id(name, signature_type, public_key).hex() != hash_hex:
        raise MalformedKeyError("the key ID of the verifier key does not match its key")
    return name, public_key


# --- checkpoints ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A log's tree head: its origin, its size and the root hash at that size."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise ValueError("a checkpoint origin is one non-empty line")
        if self.size < 0:
            raise ValueError("a checkpoint size is at least 0")
        if len(self.root_hash) != HASH_SIZE:
            raise ValueError("a checkpoint root hash is 32 bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise ValueError("checkpoint extension lines are non-empty single lines")

    def body(self) -> str:
        """The note text: origin, size, base64 root hash, extension lines; newline-terminated."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode("ascii")]
        return "\n".join([*lines, *self.extensions]) + "\n"

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Read a checkpoint note text (already verified); raise :class:`CheckpointError`."""
        if not text.endswith("\n"):
            raise CheckpointError("the checkpoint text does not end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("a checkpoint has at least three lines: origin, size, root hash")
        origin, size_line, root_line, *extensions = lines
        if not origin:
            raise CheckpointError("the checkpoint's origin line is empty")
        if not _SIZE_LINE.fullmatch(size_line):
            raise CheckpointError(
                f"the checkpoint's size line {size_line!r} is not a decimal without leading zeros"
            )
        root = _b64decode(root_line, "the checkpoint's root hash")
        if len(root) != HASH_SIZE:
            raise CheckpointError("the checkpoint's root hash is not 32 bytes")
        if any(not line for line in extensions):
            raise CheckpointError("the checkpoint has an empty extension line")
        return cls(origin, int(size_line), root, tuple(extensions))

    def as_dict(self) -> dict[str, object]:
        return {
            "origin": self.origin,
            "tree_size": self.size,
            "root_hash": self.root_hash.hex(),
        }


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint together with the signed note it was read from (or written as)."""

    checkpoint: Checkpoint
    note: str

    @property
    def origin(self) -> str:
        return self.checkpoint.origin

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root_hash(self) -> bytes:
        return self.checkpoint.root_hash

    def as_dict(self) -> dict[str, object]:
        return {**self.checkpoint.as_dict(), "checkpoint": self.note}


def sign_checkpoint(checkpoint: Checkpoint, signer: NoteSigner) -> SignedCheckpoint:
    """Sign ``checkpoint`` as a note; the signer's name SHOULD be the checkpoint's origin."""
    text = checkpoint.body()
    note = SignedNote(text, (signer.sign(text),))
    return SignedCheckpoint(checkpoint, note.serialize())


def open_checkpoint(
    note: str | bytes, verifier: NoteVerifier, *, origin: str | None = None
) -> SignedCheckpoint:
    """Verify and read a checkpoint note. Steps, each failing with :class:`CheckpointError`:

    1. the note is a well-formed signed note;
    2. it carries a valid signature of ``verifier``'s key (others are ignored);
    3. its text is a well-formed checkpoint;
    4. its origin is ``origin`` (by default the verifier's key name).
    """
    try:
        parsed = parse_note(note)
    except CheckpointError as exc:
        raise CheckpointError(f"checkpoint step 1: {exc.message}") from None
    try:
        verifier.verify(parsed)
    except CheckpointError as exc:
        raise CheckpointError(f"checkpoint step 2: {exc.message}") from None
    try:
        checkpoint = Checkpoint.from_body(parsed.text)
    except CheckpointError as exc:
        raise CheckpointError(f"checkpoint step 3: {exc.message}") from None
    expected = verifier.name if origin is None else origin
    if checkpoint.origin != expected:
        raise CheckpointError(
            f"checkpoint step 4: the checkpoint is from the log {checkpoint.origin!r}, "
            f"not from {expected!r}"
        )
    return SignedCheckpoint(checkpoint, parsed.serialize())
