"""What signs with an Ed25519 key, wherever the key lives.

The ledger's checkpoints, a witness's cosignatures, the node's envelopes and receipts and an
authority's evidence packages are all signed with Ed25519. The code that signs them needs two
things of the key, and no more: a signature over some bytes, and the public key. A private key
read from a file (``cryptography``'s :class:`Ed25519PrivateKey`) has both, and so has a key
held in a hardware token and used through PKCS#11 (:mod:`hanoix.store.hsm`), whose private half
never leaves the token. The signing code takes either (docs/hsm.md).
"""

from __future__ import annotations

from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class Ed25519Signer(Protocol):
    """An Ed25519 private key, in a file or in a token: it signs, and tells its public key."""

    def sign(self, data: bytes) -> bytes:
        """The 64-byte Ed25519 signature (RFC 8032, pure) of ``data``."""
        ...

    def public_key(self) -> Ed25519PublicKey: ...
