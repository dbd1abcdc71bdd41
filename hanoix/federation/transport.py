"""Transport security: which URLs may be used, the node's TLS certificate, pinned TLS contexts.

Production is HTTPS with mutual authentication. Each node has a self-signed certificate made on
``hanoix init``; the directory carries every node's certificate and its SHA-256 fingerprint, so
trust comes from the signed directory, never from a public CA:

* as a client, a node trusts exactly the peer's certificate from the directory (it is the only
  CA of the context) and checks the fingerprint of what the peer presented again after the
  handshake; it presents its own certificate;
* as a server, it requires a client certificate and accepts the certificates of the directory's
  nodes only (their certificates are its CA bundle).

Plain HTTP is allowed to loopback addresses only (tests and the demo).
"""

from __future__ import annotations

import hashlib
import ipaddress
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hanoix.federation.errors import FederationConfigError
from hanoix.logs import get_logger

_log = get_logger(__name__)

TLS_KEY_FILE = "tls.key"
TLS_CERT_FILE = "tls.crt"
CERT_VALIDITY = timedelta(days=825)


def is_loopback_host(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """A node's base URL: ``https://host[:port][/path]``, or ``http://`` to a loopback host."""
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FederationConfigError(f"base URL {url!r} is not a URL") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise FederationConfigError(
            f"base URL {url!r} must be https://host[:port] (or http:// on loopback)"
        )
    if parts.query or parts.fragment or parts.username or parts.password:
        raise FederationConfigError(f"base URL {url!r} must not carry a query, fragment or user")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise FederationConfigError(
            f"base URL {url!r}: plain HTTP is allowed to loopback addresses only; "
            "use https:// with the node's pinned certificate"
        )
    return url.rstrip("/")


# --- the node's certificate -----------------------------------------------------------------


def fingerprint(certificate_pem: str | bytes) -> str:
    """SHA-256 of the certificate's DER encoding, lower-case hex."""
    data = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
    try:
        certificate = x509.load_pem_x509_certificate(data)
    except (ValueError, x509.InvalidVersion):
        # InvalidVersion is not a ValueError: a certificate of version 14 came through as an
        # uncaught exception until the directory fuzzer found it.
        raise FederationConfigError("the TLS certificate is not a PEM X.509 certificate") from None
    return certificate.fingerprint(hashes.SHA256()).hex()


def der_fingerprint(der: bytes) -> str:
    return hashlib.sha256(der).hexdigest()


@dataclass(frozen=True)
class TlsIdentity:
    """The node's TLS key and self-signed certificate files."""

    key_file: Path
    cert_file: Path

    @property
    def certificate_pem(self) -> str:
        return self.cert_file.read_text("ascii")

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.certificate_pem)

    @property
    def version(self) -> FileVersion:
        """Changes when the certificate file is replaced (a rotation put in force)."""
        return file_version(self.cert_file)


FileVersion = tuple[int, int, int]


def file_version(path: Path) -> FileVersion:
    """What changes when a file is written or replaced: (inode, mtime, size); zeros if absent."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return info.st_ino, info.st_mtime_ns, info.st_size


def make_certificate(
    origin: str, now: datetime, hosts: tuple[str, ...] = ("localhost", "127.0.0.1")
) -> tuple[bytes, bytes]:
    """A new ECDSA P-256 key and a self-signed certificate for ``origin``: (key PEM, cert PEM).

    The subject alternative names list ``hosts`` for tools that check names; the nodes
    themselves do not: they pin the certificate.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    serial = x509.random_serial_number()
    # Two certificates of one node are trusted side by side during a rotation. OpenSSL finds
    # the certificate that vouches for the one presented by name, then by key identifier:
    # without a name of its own and the identifiers, it picked the other one and refused.
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, origin[:64]),
            x509.NameAttribute(NameOID.SERIAL_NUMBER, format(serial, "x")),
        ]
    )
    alt_names: list[x509.GeneralName] = []
    for host in hosts:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            alt_names.append(x509.DNSName(host))
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + CERT_VALIDITY)
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), critical=False
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM)


# --- pinned contexts ------------------------------------------------------------------------


def client_context(identity: TlsIdentity, peer_certificate_pem: str) -> ssl.SSLContext:
    """A client context that trusts exactly ``peer_certificate_pem`` and presents ours.

    Host names are not checked: the pin (the exact certificate) is stronger than a name.
    """
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=peer_certificate_pem)
    context.load_cert_chain(identity.cert_file, identity.key_file)
    return context


def server_context(identity: TlsIdentity, peer_certificates: list[str]) -> ssl.SSLContext:
    """A server context that requires a client certificate from the directory's nodes."""
    if not peer_certificates:
        raise FederationConfigError(
            "TLS needs the directory's certificates to authenticate peers: "
            "import a directory first (hanoix directory import FILE)"
        )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(identity.cert_file, identity.key_file)
    context.load_verify_locations(cadata="".join(peer_certificates))
    return context


class FollowingServerContext:
    """The TLS listener's context, following the files that say whom to accept.

    A context is fixed once a listener runs on it, but a directory import (another process)
    rewrites the peers' certificates, and a node that joined must not wait for every listener
    to restart, nor a removed one stay accepted until then. So the listening context hands
    each handshake to the context built from the files as they are now (its SNI callback sets
    the connection's context, which OpenSSL consults for the peer's certificate); the files are
    checked with a ``stat`` per handshake and a new context built only when they changed. A
    file that does not make a valid context is logged and the last good context kept.
    """

    def __init__(self, identity: TlsIdentity, peers_file: Path) -> None:
        self._identity = identity
        self._peers_file = peers_file
        self._lock = threading.Lock()
        self._version = self._files_version()
        self._current = self._build()
        # The first context both listens and serves until the files change.
        self.listening = self._current
        self.listening.sni_callback = self._choose

    def current(self) -> ssl.SSLContext:
        version = self._files_version()
        with self._lock:
            if version != self._version:
                try:
                    self._current = self._build()
                except (OSError, ssl.SSLError, FederationConfigError) as exc:
                    _log.error("federation.tls_reload_failed", error=str(exc))
                self._version = version
            return self._current

    def _choose(
        self, connection: ssl.SSLObject | ssl.SSLSocket, _name: str | None, _ctx: ssl.SSLContext
    ) -> None:
        connection.context = self.current()

    def _build(self) -> ssl.SSLContext:
        peers = self._peers_file.read_text("ascii") if self._peers_file.exists() else ""
        own = self._identity.certificate_pem
        # The node's own tools may call its listener.
        return server_context(self._identity, [peers, own] if own not in peers else [peers])

    def _files_version(self) -> tuple[FileVersion, ...]:
        paths = (self._peers_file, self._identity.cert_file, self._identity.key_file)
        return tuple(file_version(path) for path in paths)
