"""Ed25519 keys held in a hardware token, used through PKCS#11 (docs/hsm.md).

A State may keep the node's signing keys (the ledger's, the witness's, the federation
signing key) and its authorities' evidence-signing keys in its HSM. The key is made in the
token (or copied into it once) as sensitive and not extractable, so the token signs but never
hands the key out; the node holds only a reference file that names the token and the key, with
the public key the token's key must match (:func:`hanoix.evidence.keys.dump_token_reference`).

An :class:`Hsm` is the PKCS#11 library (``hsm_module``) and where its user PIN comes from
(``hsm_pin_file``, else the ``HANOIX_HSM_PIN`` environment variable). Nothing is loaded until a
key is first used. The PIN is read when a token is first used and kept by no object of this
module (a keyed digest of it tells whether a second source gives the same PIN); no message names
it. A token's login belongs to the whole process in PKCS#11, so one session per token is opened
per process and shared, under a lock (a session is not to be used by two threads at once); a
process started by ``fork`` opens its own.

Every failure is a :class:`TokenError` that names what to fix: the library, the token, the PIN's
source, the key's label.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from hanoix.errors import ConfigurationError
from hanoix.evidence.keys import KeyKind, PublicKey, SigningKey, TokenReference
from hanoix.evidence.keys import check_token_labels as check_labels

if TYPE_CHECKING:
    from hanoix.config import Settings

PIN_ENV = "HANOIX_HSM_PIN"
# The Ed25519 curve's OID, DER-encoded as CKA_EC_PARAMS (RFC 8410; PKCS#11 3.0, 2.3.5).
_ED25519_PARAMS = bytes.fromhex("06032b6570")
# What a key is asked to sign once, when loaded, to prove it is the key the reference names.
_PROBE = b"hanoix: is this the key the reference file names?"
_MAX_PIN_FILE = 4096


class TokenError(ConfigurationError):
    """The hardware token, its PIN or a key in it cannot be used; the message says which."""


@dataclass
class _Open:
    """One token opened in this process: its session and the lock that serialises its use."""

    session: Any
    pid: int
    pin_digest: bytes
    lock: threading.Lock = field(default_factory=threading.Lock)
    keys: dict[str, Any] = field(default_factory=dict)  # label -> the private key's handle


_OPEN: dict[tuple[str, str], _Open] = {}
_GUARD = threading.Lock()
_SALT = os.urandom(32)  # the PINs of this process are compared by keyed digest, never kept


def _digest(pin: str) -> bytes:
    return hmac.new(_SALT, pin.encode("utf-8"), hashlib.sha256).digest()


class Hsm:
    """A PKCS#11 library and the source of its user PIN; opens tokens when keys are used."""

    def __init__(
        self,
        module: Path,
        *,
        pin_file: Path | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.module = Path(module)
        self.pin_file = pin_file
        self._environ = os.environ if environ is None else environ
        self._checked: set[tuple[str, str]] = set()  # tokens this PIN source was checked for

    def __repr__(self) -> str:
        return f"Hsm({str(self.module)!r})"

    # --- keys ---------------------------------------------------------------------------------

    def signing_key(self, reference: TokenReference, *, source: str) -> SigningKey:
        """The key ``reference`` names, checked by one signature against its public key."""
        public = reference.public
        signer = TokenSigner(self, reference.token, reference.label, public.raw)
        try:
            Ed25519PublicKey.from_public_bytes(public.raw).verify(signer.sign(_PROBE), _PROBE)
        except InvalidSignature:
            raise TokenError(
                f"{source}: the key labelled {reference.label!r} in token {reference.token!r} "
                f"is not the key this file names (public key {public.key_id}); the file or the "
                "token's key was replaced"
            ) from None
        return SigningKey(signer, public.authority, public.state)

    def generate(self, token: str, label: str) -> bytes:
        """Make an Ed25519 key pair in ``token`` under ``label``: sensitive, not extractable.
        Return its raw public key. A key of that label there already is an error."""
        check_labels(token, label)
        opened = self._session(token)
        with opened.lock:
            self._refuse_existing(opened.session, token, label)
            from pkcs11 import Attribute, KeyType, Mechanism

            params = opened.session.create_domain_parameters(
                KeyType.EC_EDWARDS, {Attribute.EC_PARAMS: _ED25519_PARAMS}, local=True
            )
            public, _ = params.generate_keypair(
                mechanism=Mechanism.EC_EDWARDS_KEY_PAIR_GEN,
                store=True,
                label=label,
                public_template={Attribute.VERIFY: True},
                private_template=_private_template(),
            )
            return _raw_point(public[Attribute.EC_POINT])

    def import_key(self, token: str, label: str, key: Ed25519PrivateKey) -> bytes:
        """Copy ``key`` into ``token`` under ``label`` (sensitive, not extractable from then on);
        return its raw public key. The file it came from is the caller's to destroy."""
        check_labels(token, label)
        from pkcs11 import Attribute, KeyType, ObjectClass

        opened = self._session(token)
        raw_public = key.public_key().public_bytes_raw()
        with opened.lock:
            self._refuse_existing(opened.session, token, label)
            template = {
                Attribute.CLASS: ObjectClass.PRIVATE_KEY,
                Attribute.KEY_TYPE: KeyType.EC_EDWARDS,
                Attribute.TOKEN: True,
                Attribute.LABEL: label,
                Attribute.EC_PARAMS: _ED25519_PARAMS,
                Attribute.VALUE: key.private_bytes_raw(),
                **_private_template(),
            }
            opened.session.create_object(template)
        return raw_public

    # --- an AES key that encrypts, at rest, the keys no token here holds ---------------------

    def generate_wrapping_key(self, token: str, label: str) -> None:
        """Make an AES-256 key in ``token`` under ``label`` (sensitive, not extractable) to
        encrypt key files with (:meth:`encrypt`). A key of that label there already is an
        error."""
        check_labels(token, label)
        from pkcs11 import Attribute, KeyType

        opened = self._session(token)
        with opened.lock:
            self._refuse_existing(opened.session, token, label, secret=True)
            opened.session.generate_key(
                KeyType.AES,
                256,
                store=True,
                label=label,
                template={
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.ENCRYPT: True,
                    Attribute.DECRYPT: True,
                    Attribute.WRAP: False,
                    Attribute.UNWRAP: False,
                },
            )

    def has_wrapping_key(self, token: str, label: str) -> bool:
        from pkcs11 import Attribute, ObjectClass

        opened = self._session(token)
        with opened.lock:
            query = {Attribute.LABEL: label, Attribute.CLASS: ObjectClass.SECRET_KEY}
            return bool(list(opened.session.get_objects(query)))

    def encrypt(self, token: str, label: str, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        """AES-256-GCM of ``data`` in the token under its key ``label`` (ciphertext || tag)."""
        return self._gcm(token, label, nonce, data, aad, decrypt=False)

    def decrypt(self, token: str, label: str, nonce: bytes, data: bytes, aad: bytes) -> bytes:
        """The plaintext of :meth:`encrypt`'s output; a :class:`TokenError` if it does not
        authenticate (another key, or the file was altered)."""
        return self._gcm(token, label, nonce, data, aad, decrypt=True)

    def _gcm(
        self, token: str, label: str, nonce: bytes, data: bytes, aad: bytes, *, decrypt: bool
    ) -> bytes:
        from pkcs11 import Mechanism, exceptions
        from pkcs11.mechanisms import GCMParams

        opened = self._session(token)
        with opened.lock:
            key = _aes_key(opened.session, token, label, "decrypt" if decrypt else "encrypt")
            params = GCMParams(nonce, aad, 128)
            try:
                if decrypt:
                    result: bytes = key.decrypt(
                        data, mechanism=Mechanism.AES_GCM, mechanism_param=params
                    )
                else:
                    result = key.encrypt(data, mechanism=Mechanism.AES_GCM, mechanism_param=params)
            except exceptions.PKCS11Error as exc:
                raise TokenError(
                    f"the AES key labelled {label!r} in token {token!r} could not "
                    f"{'decrypt' if decrypt else 'encrypt'} it ({type(exc).__name__}): another "
                    "key, or the file was altered"
                ) from None
        return result

    def key_attributes(self, token: str, label: str, *, aes: bool = False) -> dict[str, bool]:
        """Whether the key (the Ed25519 private key, or with ``aes`` the AES key) may leave the
        token: its CKA_SENSITIVE, CKA_EXTRACTABLE and CKA_NEVER_EXTRACTABLE, for
        ``hanoix keys hsm check`` and the tests."""
        from pkcs11 import Attribute

        opened = self._session(token)
        with opened.lock:
            key = (
                _aes_key(opened.session, token, label, "hold")
                if aes
                else _private_key(opened.session, token, label)
            )
            return {
                "sensitive": bool(key[Attribute.SENSITIVE]),
                "extractable": bool(key[Attribute.EXTRACTABLE]),
                "never_extractable": bool(key[Attribute.NEVER_EXTRACTABLE]),
            }

    # --- tokens -------------------------------------------------------------------------------

    def _sign(self, token: str, label: str, data: bytes) -> bytes:
        from pkcs11 import Mechanism, exceptions

        opened = self._session(token)
        with opened.lock:
            key = opened.keys.get(label)
            if key is None:
                key = opened.keys[label] = _private_key(opened.session, token, label)
            try:
                signature: bytes = key.sign(data, mechanism=Mechanism.EDDSA)
            except exceptions.PKCS11Error as exc:
                raise TokenError(
                    f"token {token!r} could not sign with the key labelled {label!r}: "
                    f"{type(exc).__name__}"
                ) from None
        return signature

    def _session(self, token: str) -> _Open:
        # A token's login belongs to the whole process (PKCS#11): one session per token is
        # shared by every Hsm of this process, whichever opened it first.
        place = (str(self.module.resolve()), token)
        with _GUARD:
            opened = _OPEN.get(place)
            if opened is not None and opened.pid != os.getpid():  # inherited through fork
                self._library().reinitialize()
                _OPEN.clear()
                opened = None
            if opened is not None and place in self._checked:
                return opened
            pin = self._pin()
            if opened is None:
                opened = _Open(self._login(token, pin), os.getpid(), _digest(pin))
                _OPEN[place] = opened
            elif not hmac.compare_digest(opened.pin_digest, _digest(pin)):
                raise TokenError(
                    f"the PIN from {self._pin_source()} is not the user PIN of token {token!r}"
                )
            self._checked.add(place)
            return opened

    def _library(self) -> Any:
        import pkcs11

        if not self.module.is_file():
            raise TokenError(
                f"hsm_module: {self.module} does not exist; give the path of the HSM's PKCS#11 "
                "library (SoftHSM2: /usr/lib/softhsm/libsofthsm2.so)"
            )
        try:
            return pkcs11.lib(str(self.module))
        except pkcs11.exceptions.PKCS11Error as exc:
            raise TokenError(
                f"hsm_module: {self.module} could not be loaded as a PKCS#11 library ({exc})"
            ) from None

    def _login(self, token: str, pin: str) -> Any:
        from pkcs11 import exceptions

        library = self._library()
        try:
            found = library.get_token(token_label=token)
        except exceptions.NoSuchToken:
            labels = sorted({t.label for t in library.get_tokens()})
            raise TokenError(
                f"no token labelled {token!r} in {self.module} (tokens there: "
                f"{', '.join(repr(label) for label in labels) or 'none'})"
            ) from None
        except exceptions.MultipleTokensReturned:
            raise TokenError(
                f"several tokens in {self.module} are labelled {token!r}; give each its own label"
            ) from None
        try:
            return found.open(user_pin=pin, rw=True)
        except (exceptions.PinIncorrect, exceptions.PinLenRange, exceptions.PinInvalid):
            raise TokenError(
                f"the PIN from {self._pin_source()} is not the user PIN of token {token!r}"
            ) from None
        except exceptions.PinLocked:
            raise TokenError(
                f"token {token!r} is locked after too many wrong PINs: its security officer "
                "must unlock it"
            ) from None
        except exceptions.PKCS11Error as exc:
            raise TokenError(f"token {token!r} cannot be opened: {type(exc).__name__}") from None

    def _pin_source(self) -> str:
        return f"hsm_pin_file {self.pin_file}" if self.pin_file is not None else f"${PIN_ENV}"

    def _pin(self) -> str:
        if self.pin_file is not None:
            try:
                data = self.pin_file.read_bytes()[:_MAX_PIN_FILE]
            except OSError as exc:
                raise TokenError(
                    f"hsm_pin_file: {self.pin_file} cannot be read ({exc.strerror})"
                ) from None
            pin = data.decode("utf-8", "replace").strip()
        else:
            pin = self._environ.get(PIN_ENV, "").strip()
        if not pin:
            raise TokenError(
                f"no PIN for the HSM: {self._pin_source()} is empty or unset "
                f"(set hsm_pin_file, or {PIN_ENV})"
            )
        return pin

    @staticmethod
    def _refuse_existing(session: Any, token: str, label: str, *, secret: bool = False) -> None:
        from pkcs11 import Attribute, ObjectClass

        kind = ObjectClass.SECRET_KEY if secret else ObjectClass.PRIVATE_KEY
        query = {Attribute.LABEL: label, Attribute.CLASS: kind}
        if list(session.get_objects(query)):
            raise TokenError(
                f"token {token!r} holds a key labelled {label!r} already; keys are never "
                "overwritten: choose another label"
            )


class TokenSigner:
    """An Ed25519 key in a token, as :class:`hanoix.signer.Ed25519Signer`: it signs there."""

    def __init__(self, hsm: Hsm, token: str, label: str, public_raw: bytes) -> None:
        self._hsm = hsm
        self.token = token
        self.label = label
        self._public = Ed25519PublicKey.from_public_bytes(public_raw)

    def sign(self, data: bytes) -> bytes:
        return self._hsm._sign(self.token, self.label, data)

    def public_key(self) -> Ed25519PublicKey:
        return self._public

    def __repr__(self) -> str:
        return f"TokenSigner(token={self.token!r}, label={self.label!r})"


def configured(settings: Settings) -> Hsm | None:
    """The HSM the settings name (``hsm_module``, ``hsm_pin_file``), or None."""
    if settings.hsm_module is None:
        return None
    return Hsm(settings.hsm_module, pin_file=settings.hsm_pin_file)


def token_reference(
    token: str, label: str, public_raw: bytes, authority: str | None, state: str | None
) -> TokenReference:
    return TokenReference(token, label, PublicKey(KeyKind.SIGNING, public_raw, authority, state))


def _private_template() -> dict[Any, Any]:
    from pkcs11 import Attribute

    return {
        Attribute.SIGN: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.PRIVATE: True,
    }


def _private_key(session: Any, token: str, label: str) -> Any:
    from pkcs11 import KeyType, ObjectClass, exceptions

    try:
        return session.get_key(
            object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC_EDWARDS, label=label
        )
    except exceptions.NoSuchKey:
        raise TokenError(
            f"token {token!r} holds no Ed25519 private key labelled {label!r}: make it with "
            "'hanoix keys hsm generate' or check the label in the reference file"
        ) from None
    except exceptions.MultipleObjectsReturned:
        raise TokenError(
            f"token {token!r} holds several keys labelled {label!r}; a label must name one key"
        ) from None


def _aes_key(session: Any, token: str, label: str, purpose: str) -> Any:
    from pkcs11 import KeyType, ObjectClass, exceptions

    try:
        return session.get_key(
            object_class=ObjectClass.SECRET_KEY, key_type=KeyType.AES, label=label
        )
    except exceptions.NoSuchKey:
        raise TokenError(
            f"token {token!r} holds no AES key labelled {label!r} to {purpose} the key file with"
        ) from None


def _raw_point(encoded: bytes) -> bytes:
    """The 32-byte public key from CKA_EC_POINT, which tokens give as a DER OCTET STRING
    (04 20 ...) or, some of them, raw."""
    if len(encoded) == 34 and encoded[:2] == b"\x04\x20":
        return encoded[2:]
    if len(encoded) == 32:
        return encoded
    raise TokenError("the token returned an Ed25519 public key in a form not understood")
