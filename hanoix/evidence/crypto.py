"""The cryptography of format version 1, kept behind the seal/verify/open recipes.

* content key: 32 random bytes per package, wrapped for each recipient with X25519 + HKDF-SHA256
  + AES-256-GCM (one fresh ephemeral key per recipient, as age's X25519 stanzas);
* payload and manifest keys: HKDF-SHA256 of the content key, salted by the header's salt;
* chunks: AES-256-GCM, nonce = nonce_prefix(7) || index(u32) || final(u8), associated data =
  SHA-256(preamble || header) || index(u32) || final(u8) (age's STREAM construction, bound to
  the header), so reordering, truncation, dropping the last chunk and moving chunks between
  packages all fail;
* commitment: a BLAKE3 Merkle tree over the ciphertext chunks, shaped as RFC 9162's, with
  RFC 9162's 0x00 / 0x01 domain prefixes; the Ed25519 signature covers the header and trailer.
"""

from __future__ import annotations

import hashlib
import hmac
import struct
from collections.abc import Sequence

import blake3
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from hanoix.evidence.format import HASH_SIZE, KEY_SIZE

PAYLOAD_INFO = b"hanoix-evidence/v1 payload"
MANIFEST_INFO = b"hanoix-evidence/v1 manifest"
WRAP_INFO = b"hanoix-evidence/v1 X25519"
SIGNATURE_CONTEXT = b"hanoix-evidence/v1 signature\n"
ZERO_NONCE = bytes(12)
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

_INDEX = struct.Struct(">IB")


class WrapError(Exception):
    """A wrapped content key did not open with the recipient's key."""


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=salt, info=info).derive(ikm)


def derive_keys(content_key: bytes, salt: bytes) -> tuple[bytes, bytes]:
    """The payload key and the manifest key, both derived from the content key."""
    return _hkdf(content_key, salt, PAYLOAD_INFO), _hkdf(content_key, salt, MANIFEST_INFO)


def header_digest(preamble_and_header: bytes) -> bytes:
    return hashlib.sha256(preamble_and_header).digest()


def chunk_nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + _INDEX.pack(index, 1 if final else 0)


def chunk_aad(header_hash: bytes, index: int, final: bool) -> bytes:
    return header_hash + _INDEX.pack(index, 1 if final else 0)


def encrypt_manifest(manifest_key: bytes, header_hash: bytes, plaintext: bytes) -> bytes:
    # The manifest key encrypts exactly one message, so a fixed nonce is safe.
    return AESGCM(manifest_key).encrypt(ZERO_NONCE, plaintext, header_hash)


def decrypt_manifest(manifest_key: bytes, header_hash: bytes, ciphertext: bytes) -> bytes:
    """Raises ``InvalidTag`` when the manifest or the header was altered."""
    return AESGCM(manifest_key).decrypt(ZERO_NONCE, ciphertext, header_hash)


# --- key wrapping ---------------------------------------------------------------------------


_LOW_ORDER = "the X25519 agreement gave an all-zero secret (a low-order key)"


def _wrap_key_for(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    if not any(shared):
        # A low-order recipient key gives an all-zero secret: refuse, as RFC 7748 advises.
        # OpenSSL refuses it already inside exchange(); this holds for any other backend.
        raise WrapError(_LOW_ORDER)
    return _hkdf(shared, ephemeral_public + recipient_public, WRAP_INFO)


def wrap(
    content_key: bytes, recipient_public: bytes, ephemeral_secret: bytes
) -> tuple[bytes, bytes]:
    """Wrap ``content_key`` for one recipient; return (ephemeral public key, wrapped key).
    Raises :class:`WrapError` for a low-order recipient key."""
    ephemeral = X25519PrivateKey.from_private_bytes(ephemeral_secret)
    ephemeral_public = ephemeral.public_key().public_bytes_raw()
    try:
        shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient_public))
    except ValueError as exc:  # OpenSSL's own refusal of the all-zero secret
        raise WrapError(_LOW_ORDER) from exc
    key = _wrap_key_for(shared, ephemeral_public, recipient_public)
    return ephemeral_public, AESGCM(key).encrypt(ZERO_NONCE, content_key, None)


def unwrap(private: X25519PrivateKey, ephemeral_public: bytes, wrapped: bytes) -> bytes:
    recipient_public = private.public_key().public_bytes_raw()
    try:
        shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
        key = _wrap_key_for(shared, ephemeral_public, recipient_public)
        content_key = AESGCM(key).decrypt(ZERO_NONCE, wrapped, None)
    except (InvalidTag, ValueError) as exc:
        raise WrapError("the wrapped content key does not open with this key") from exc
    if len(content_key) != KEY_SIZE:
        raise WrapError("the wrapped content key has the wrong length")
    return content_key


# --- signature ------------------------------------------------------------------------------


def signed_message(header_hash: bytes, trailer_body: bytes) -> bytes:
    """What the sender signs: a context string, the header digest and the trailer digest."""
    return SIGNATURE_CONTEXT + header_hash + hashlib.sha256(trailer_body).digest()


def package_id(message: bytes) -> str:
    """The package's identifier: SHA-256 of the signed message (it commits to every byte
    that matters: header, every chunk through the tree, summary and manifest)."""
    return "sha256:" + hashlib.sha256(message).hexdigest()


# --- BLAKE3 Merkle tree over ciphertext chunks ------------------------------------------------


def leaf_hasher(max_threads: int = 1) -> blake3.blake3:
    hasher = blake3.blake3(max_threads=max_threads)
    hasher.update(LEAF_PREFIX)
    return hasher


def leaf_hash(chunk: bytes | bytearray | memoryview) -> bytes:
    hasher = leaf_hasher()
    hasher.update(chunk)
    return bytes(hasher.digest())


def node_hash(left: bytes, right: bytes) -> bytes:
    return bytes(blake3.blake3(NODE_PREFIX + left + right).digest())


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """RFC 9162 section 2.1.1 tree hash over already-hashed leaves (split at the largest power
    of two smaller than n). The tree of no leaves is not used: a package has >= 1 chunk."""
    if not leaves:
        raise ValueError("a package has at least one chunk")

    def subtree(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 1:
            return leaves[lo]
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(subtree(lo, lo + k), subtree(lo + k, hi))

    return subtree(0, len(leaves))


def split_leaves(data: bytes | bytearray) -> list[bytes]:
    return [bytes(data[i : i + HASH_SIZE]) for i in range(0, len(data), HASH_SIZE)]


def equal(a: bytes, b: bytes) -> bool:
    return hmac.compare_digest(a, b)
