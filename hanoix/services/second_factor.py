"""The optional second factor: time-based one-time codes (TOTP, RFC 6238) with ``pyotp``.

The secret is shown once, at enrolment, as an ``otpauth://`` URI (for an authenticator app's
QR code) and as base32 text. The node keeps it encrypted (AES-256-GCM, bound to the user's id)
under its credentials key, ``HOME/keys/credentials.key``: a dump of the database alone does not
give the secrets away. A code is accepted once: the time step it belongs to is remembered, and
a code of that step or an earlier one is refused (a replay within its window).
"""

from __future__ import annotations

import base64
import hmac
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hanoix.errors import ConfigurationError, ConflictError
from hanoix.store.files import atomic_file

KEY_FILE_NAME = "credentials.key"
ISSUER = "Hanoi Exchange"
DIGITS = 6
# Codes of the step before and after the current one are accepted too (clocks drift, and a
# code typed at the end of its 30 seconds arrives in the next).
DRIFT_STEPS = 1
_NONCE = 12


def load_or_create_key(keys_dir: Path) -> bytes:
    """The node's credentials key (256 random bits), created on first use, readable by the
    node's user only. Every API process of a node reads the same file."""
    path = keys_dir / KEY_FILE_NAME
    if not path.exists():
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            with atomic_file(path) as out:  # a 0600 file, put in place whole
                out.write(base64.b64encode(os.urandom(32)) + b"\n")
        except ConflictError:
            pass  # another process made it first: use theirs
    try:
        key = base64.b64decode(path.read_bytes().strip(), validate=True)
    except (OSError, ValueError) as exc:
        raise ConfigurationError(
            f"the node's credentials key {path} cannot be read: restore it from a backup "
            "(second factors enrolled under it cannot be checked without it)"
        ) from exc
    if len(key) != 32:
        raise ConfigurationError(f"the node's credentials key {path} is not 32 bytes of base64")
    return key


@dataclass(frozen=True)
class Enrolment:
    """What a user needs once to set up their authenticator app."""

    secret: str
    uri: str


class SecretBox:
    """Encrypts TOTP secrets for the database, each bound to its user's id."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    def seal(self, user_id: int, secret: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, secret.encode("ascii"), _context(user_id))

    def open(self, user_id: int, sealed: bytes) -> str:
        try:
            plain = self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], _context(user_id))
        except InvalidTag as exc:
            raise ConfigurationError(
                "a second-factor secret does not open with the node's credentials key (was the "
                "key replaced?): an administrator must disable and re-enrol that user's TOTP"
            ) from exc
        return plain.decode("ascii")


def _context(user_id: int) -> bytes:
    return f"hanoix totp secret of user {user_id}".encode()


def new_enrolment(username: str, node_name: str | None) -> Enrolment:
    secret = pyotp.random_base32()
    label = f"{username}@{node_name}" if node_name else username
    uri = pyotp.TOTP(secret, digits=DIGITS).provisioning_uri(name=label, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def matching_step(secret: str, code: str, at: datetime, after_step: int | None) -> int | None:
    """The time step whose code ``code`` is, within the drift allowed and later than
    ``after_step`` (the last one used); ``None`` if there is none. Constant-time per step."""
    totp = pyotp.TOTP(secret, digits=DIGITS)
    current = totp.timecode(at)
    offered = code.strip().encode()
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        expected = totp.generate_otp(step).encode()
        if hmac.compare_digest(expected, offered) and (after_step is None or step > after_step):
            found = step
    return found


def code_at(secret: str, at: datetime) -> str:
    """The code an authenticator app shows at ``at`` (for tests and for checking a clock)."""
    return pyotp.TOTP(secret, digits=DIGITS).at(at)
