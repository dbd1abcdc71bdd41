"""Who is who: this node's identity and keys, the directory of nodes in force, the peers.

:class:`Peers` is the base of every federation use case: it holds the node, its federation
settings, its message types and the state it shares (see :mod:`.state`)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from hanoix.errors import NotFoundError
from hanoix.evidence.keys import DecryptionKey
from hanoix.federation.directory import (
    AuthorityEntry,
    Directory,
    NodeEntry,
    certificates,
    check_newer,
    open_directory,
)
from hanoix.federation.errors import FederationConfigError, UnknownPeerError
from hanoix.federation.handlers import HandlerRegistry, load_plugins
from hanoix.federation.identity import (
    NodeIdentity,
    load_identity,
    load_trust_anchor,
    new_generation,
    new_tls,
    promote_tls,
)
from hanoix.federation.settings import FederationSettings, load_federation_settings, trust_file
from hanoix.logs import get_logger
from hanoix.services import auth, custody
from hanoix.services import hsm as hsm_keys
from hanoix.services.federation.messages import registry
from hanoix.store import federation as store

if TYPE_CHECKING:
    from hanoix.services.node import Node

_log = get_logger("hanoix.federation")


class Peers:
    """Federation for one node: its identity and the directory. Build it through the node
    (:attr:`hanoix.services.node.Node.federation`), which reads the settings and loads the
    plugins once."""

    def __init__(
        self,
        node: Node,
        settings: FederationSettings | None = None,
        handlers: HandlerRegistry[Node] = registry,
    ) -> None:
        self.node = node
        self.settings = settings or load_federation_settings(node.settings)
        self.handlers = handlers
        self.state = node.federation_state
        load_plugins(self.settings.plugins)

    def origin(self, session: Session) -> str:
        return custody.ledger_origin(self.node.settings, session)

    def identity(self, session: Session | None = None) -> NodeIdentity:
        cached = self.state.identity()
        if cached is not None:
            return cached
        if session is None:
            with self.node.unit_of_work() as own:
                origin = self.origin(own)
        else:
            origin = self.origin(session)
        identity = load_identity(self.node.keys, origin, self.node.settings.state)
        self.state.keep_identity(identity)
        return identity

    def rotate_keys(self, *, token: str | None = None, label: str | None = None) -> dict[str, Any]:
        """Make a new key generation; peers accept it once the directory lists it. With
        ``token`` (and ``label``), its signing key is made in the HSM and never leaves it, and
        its X25519 key is kept encrypted under the token's AES key ``LABEL-wrap``."""
        with self.node.unit_of_work() as session:
            origin = self.origin(session)
        in_token, seal = None, None
        if token is not None:
            device, wrapping = self.node.keys.hsm, f"{label}-wrap"
            in_token = hsm_keys.generate_in_token(
                device, token, label or "", origin[:200], self.node.settings.state
            )

            def seal_in(key: DecryptionKey) -> str:
                # The X25519 key cannot live in the token: it is kept encrypted under an AES
                # key of the token (docs/decisions/0011-keys-in-hardware.md).
                return hsm_keys.sealed_text(device, key, token, wrapping)

            seal = seal_in
        number = new_generation(
            self.node.keys, origin, self.node.settings.state, in_token=in_token, seal=seal
        )
        self.state.forget_identity()
        identity = self.identity()
        generation = next(g for g in identity.generations if g.number == number)
        return {
            "generation": number,
            "signing_key_id": generation.signing.public.key_id,
            "encryption_key_id": generation.decryption.public.key_id,
            "next_step": "send 'hanoix node identity --json' to the directory authority",
        }

    def rotate_tls(self) -> dict[str, Any]:
        """Make the next TLS certificate; the node presents it once a directory lists it."""
        with self.node.unit_of_work() as session:
            origin = self.origin(session)
        following = new_tls(self.node.keys, origin, self.node.clock.now())
        self.state.forget_identity()
        return {
            "tls_next_sha256": following.fingerprint,
            "next_step": "send 'hanoix node identity --json' to the directory authority; the "
            "node presents the new certificate once it imports a directory that lists it",
        }

    def base_url(self) -> str:
        if self.settings.base_url:
            return self.settings.base_url
        if self.settings.tls:
            return f"https://{self.settings.tls_host}:{self.settings.tls_port}"
        return f"http://{self.node.settings.host}:{self.node.settings.port}"

    def own_entry(self) -> NodeEntry:
        """This node's directory entry, to send to the directory authority."""
        ledger = custody.CustodyLedger(self.node)
        with self.node.unit_of_work() as session:
            identity = self.identity(session)
            authorities = tuple(
                AuthorityEntry(a.code, a.name, a.kind) for a in auth.list_authorities(session)
            )
        return identity.entry(
            self.base_url(), authorities, ledger.verifier.vkey, ledger.witness_verifier.vkey
        )

    def directory(self, session: Session) -> Directory | None:
        # Every envelope asks: look at the digest in force, and load the document only when
        # it is not the one parsed already.
        digest = store.latest_directory_digest(session)
        if digest is None:
            return None
        cached = self.state.directory(digest)
        if cached is not None:
            return cached
        stored = store.latest_directory(session)
        if stored is None:
            return None
        # Verified on import; parsed again here from what was stored (it was signed).
        directory = open_directory(stored.document, self.trust_anchor())
        self.state.keep_directory(stored.digest, directory)
        return directory

    def trust_anchor(self) -> Any:
        return load_trust_anchor(trust_file(self.node.settings))

    def import_directory(self, data: bytes) -> Directory:
        """Verify ``data`` against the trusted key and put it in force if it is newer."""
        directory = open_directory(data, self.trust_anchor())
        with self.node.unit_of_work() as session:
            check_newer(self.directory(session), directory)
            origin = self.origin(session)
            store.add_directory(
                session,
                serial=directory.serial,
                issued_at=directory.issued,
                imported_at=self.node.clock.now(),
                digest=hashlib.sha256(data).hexdigest(),
                document=data,
            )
        self.write_peer_certificates(directory)
        _log.info(
            "federation.directory_imported", serial=directory.serial, nodes=len(directory.nodes)
        )
        if promote_tls(self.node.keys, directory, origin):
            self.state.forget_identity()
            _log.warning("federation.tls_rotated", serial=directory.serial)
        return directory

    def export_directory(self) -> bytes:
        with self.node.unit_of_work() as session:
            stored = store.latest_directory(session)
        if stored is None:
            raise NotFoundError("no directory imported yet: hanoix directory import FILE")
        return stored.document

    def peers_file(self) -> Path:
        return self.node.settings.home / "federation" / "peers.pem"

    def write_peer_certificates(self, directory: Directory) -> Path:
        """The CA bundle of the TLS listener: every directory node's certificate."""
        path = self.peers_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp")
        temporary.write_text("".join(certificates(directory)), "ascii")
        temporary.replace(path)
        return path

    def require_directory(self, session: Session) -> Directory:
        directory = self.directory(session)
        if directory is None:
            raise FederationConfigError(
                "no directory of nodes: import one with 'hanoix directory import FILE'"
            )
        return directory

    def peer(self, session: Session, origin: str) -> NodeEntry:
        entry = self.require_directory(session).node(origin)
        if entry is None:
            raise UnknownPeerError(f"the directory lists no node {origin!r}")
        return entry
