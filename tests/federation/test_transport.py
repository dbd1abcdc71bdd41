"""The TLS listener's context follows the directory's certificates while it runs: a node added
by a directory import is accepted and one removed refused, without a restart."""

from __future__ import annotations

import base64
import hashlib
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from hanoix.federation.errors import FederationConfigError
from hanoix.federation.transport import (
    FollowingServerContext,
    TlsIdentity,
    client_context,
    fingerprint,
    make_certificate,
)

WELCOME = b"welcome"


def _identity(folder: Path, origin: str) -> TlsIdentity:
    folder.mkdir()
    key_pem, cert_pem = make_certificate(origin, datetime.now(UTC))
    key_file, cert_file = folder / "tls.key", folder / "tls.crt"
    key_file.write_bytes(key_pem)
    key_file.chmod(0o600)
    cert_file.write_bytes(cert_pem)
    return TlsIdentity(key_file, cert_file)


def _publish(peers_file: Path, *nodes: TlsIdentity) -> None:
    """What a directory import does: the peers' certificates, replaced in one step."""
    temporary = peers_file.with_name(".peers.tmp")
    temporary.write_text("".join(node.certificate_pem for node in nodes), "ascii")
    temporary.replace(peers_file)


@contextmanager
def _listener(context: ssl.SSLContext) -> Iterator[int]:
    """A TLS server on loopback that greets each client it accepts; yields its port."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(5)
                try:
                    with context.wrap_socket(connection, server_side=True) as tls:
                        tls.sendall(WELCOME)
                except (ssl.SSLError, OSError):
                    pass  # a client refused: the handshake fails, as it should

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        server.close()


def _greeted(port: int, client: TlsIdentity, server: TlsIdentity) -> bool:
    context = client_context(client, server.certificate_pem)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        try:
            with context.wrap_socket(raw) as tls:
                return tls.recv(len(WELCOME)) == WELCOME
        except (ssl.SSLError, ConnectionError):
            return False  # TLS 1.3: a refused client certificate shows on the first read


@dataclass
class Listening:
    """A listener that accepts Austria's node; Viet Nam's is not in the directory yet."""

    peers: Path
    port: int
    listener: TlsIdentity
    aut: TlsIdentity
    vnm: TlsIdentity

    def greets(self, client: TlsIdentity) -> bool:
        return _greeted(self.port, client, self.listener)


@pytest.fixture
def listening(tmp_path: Path) -> Iterator[Listening]:
    listener = _identity(tmp_path / "listener", "zaf.example")
    aut = _identity(tmp_path / "aut", "aut.example")
    vnm = _identity(tmp_path / "vnm", "vnm.example")
    peers = tmp_path / "peers.pem"
    _publish(peers, aut)
    with _listener(FollowingServerContext(listener, peers).listening) as port:
        yield Listening(peers, port, listener, aut, vnm)


def test_the_listener_follows_the_directorys_certificates_without_a_restart(
    listening: Listening,
) -> None:
    aut, vnm = listening.aut, listening.vnm
    assert listening.greets(aut)
    assert not listening.greets(vnm)  # not in the directory (yet)
    _publish(listening.peers, aut, vnm)  # an import adds Viet Nam's node
    assert listening.greets(vnm)
    _publish(listening.peers, vnm)  # a later one removes Austria's
    assert not listening.greets(aut)
    assert listening.greets(vnm)


def test_peers_that_make_no_valid_context_leave_the_last_good_one_in_force(
    listening: Listening,
) -> None:
    listening.peers.write_text("-----BEGIN CERTIFICATE-----\nnot a certificate\n", "ascii")
    assert listening.greets(listening.aut)
    assert not listening.greets(listening.vnm)


def test_a_certificate_of_an_unknown_x509_version_is_refused_as_not_a_certificate() -> None:
    # Found by the directory fuzzer: cryptography's InvalidVersion is not a ValueError, and it
    # escaped the directory's parser as an uncaught exception.
    _, pem = make_certificate("aut.hanoix.invalid", datetime.now(UTC))
    der = x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)
    version_3 = b"\xa0\x03\x02\x01\x02"  # [0] EXPLICIT INTEGER 2, i.e. X.509 v3
    assert der.count(version_3) == 1
    forged = der.replace(version_3, b"\xa0\x03\x02\x01\x0e")
    forged_pem = (
        b"-----BEGIN CERTIFICATE-----\n"
        + base64.encodebytes(forged)
        + b"-----END CERTIFICATE-----\n"
    )
    with pytest.raises(
        FederationConfigError, match=r"^the TLS certificate is not a PEM X\.509 certificate$"
    ):
        fingerprint(forged_pem)
    assert fingerprint(pem) == hashlib.sha256(der).hexdigest()
