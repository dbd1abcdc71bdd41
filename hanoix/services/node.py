"""The composition root: one node's settings, database, blob folder and clock.

Everything that does I/O for a node hangs off a :class:`Node`; the CLI, the API and tests build
one and pass it down. Nothing is created at import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from hanoix.clock import Clock, SystemClock
from hanoix.config import Settings
from hanoix.errors import ConfigurationError
from hanoix.store import migrate
from hanoix.store.blobs import BlobStore, open_blob_store
from hanoix.store.db import (
    make_engine,
    reading_factory,
    session_factory,
    setup_lock,
    unit_of_work,
)

if TYPE_CHECKING:
    from hanoix.federation.settings import FederationSettings
    from hanoix.services.auth import Credentials
    from hanoix.services.content import ListedPdq, ListedVideos
    from hanoix.services.custody import CustodyLedger
    from hanoix.services.federation import Federation
    from hanoix.services.federation.state import FederationState
    from hanoix.services.monitoring import NodeMetrics
    from hanoix.services.requests import RequestEvents
    from hanoix.store.keys import KeyStore

# Steps run once when a home is initialised (after the schema exists), registered by the
# modules that need them (for example: load the shipped treaty status).
InitStep = Callable[["Node", Session], dict[str, Any] | None]
_init_steps: list[tuple[str, InitStep]] = []


def register_init_step(name: str, step: InitStep) -> None:
    if all(existing != name for existing, _ in _init_steps):
        _init_steps.append((name, step))


@dataclass
class Node:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock = field(default_factory=SystemClock)
    federation_settings: FederationSettings | None = None
    """None: read from ``HOME/federation.toml`` and the environment when first needed."""

    @classmethod
    def open(
        cls,
        settings: Settings,
        clock: Clock | None = None,
        *,
        federation_settings: FederationSettings | None = None,
    ) -> Node:
        settings.home.mkdir(parents=True, exist_ok=True)
        engine = make_engine(settings.effective_database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=session_factory(engine),
            clock=clock or SystemClock(),
            federation_settings=federation_settings,
        )

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        with unit_of_work(self.sessions) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Like :meth:`unit_of_work`, for a use case that reads (each statement consistent on
        its own) or writes one row: without a transaction around it, so without the round
        trips that begin and end one (see :func:`hanoix.store.db.reading_factory`)."""
        with unit_of_work(self._reading_sessions) as session:
            yield session

    @cached_property
    def _reading_sessions(self) -> sessionmaker[Session]:
        return reading_factory(self.engine)

    @cached_property
    def blobs(self) -> BlobStore:
        """Where the node keeps evidence packages: its blob folder, or the S3-compatible store
        ``blob_url`` names."""
        return open_blob_store(self.settings.blob_url, self.settings.effective_blob_dir)

    @cached_property
    def keys(self) -> KeyStore:
        """Where the node keeps its private keys (ledger, witness, federation, TLS):
        ``HOME/keys``; the signing keys may be held in the HSM these files name."""
        from hanoix.store import hsm  # the key formats load only where keys are used
        from hanoix.store.keys import KeyStore

        return KeyStore(self.settings.keys_dir, hsm.configured(self.settings))

    @cached_property
    def request_events(self) -> RequestEvents:
        """Who hears of the steps this node's users take on requests (the exchange, which tells
        the other State's node), subscribed in :mod:`hanoix.services.registry`."""
        from hanoix.services.registry import request_events

        return request_events(self)

    @cached_property
    def credentials(self) -> Credentials:
        """The node's credential policy, sign-in throttle and password gate, for this process."""
        from hanoix.services.auth import Credentials

        return Credentials(self)

    @cached_property
    def custody_ledger(self) -> CustodyLedger:
        """The node's custody ledger for this process's readers, which keeps what it verified
        (the log's identity, its own signed checkpoints) between calls: a request's page
        proves its steps without reading the keys and checking the checkpoint again."""
        from hanoix.services.custody import CustodyLedger

        return CustodyLedger(self)

    @cached_property
    def federation_state(self) -> FederationState:
        """What the node's federation keeps between calls in this process (caches, staged
        files, locks, the outbox signal)."""
        from hanoix.services.federation.state import FederationState

        return FederationState()

    @cached_property
    def metrics(self) -> NodeMetrics:
        """The node's metrics in this process: its event counters, and the collector that
        reads the rest from the database when scraped (docs/monitoring.md)."""
        from hanoix.services.monitoring import NodeMetrics

        return NodeMetrics(self)

    @cached_property
    def listed_pdq(self) -> ListedPdq:
        """The listed PDQ hashes and their index, for this process's matches."""
        from hanoix.services.content import ListedPdq

        return ListedPdq()

    @cached_property
    def listed_videos(self) -> ListedVideos:
        """The listed videos and the index of their frames, for this process's matches."""
        from hanoix.services.content import ListedVideos

        return ListedVideos()

    @cached_property
    def federation(self) -> Federation:
        """The node's federation: its settings read and its plugins loaded once."""
        from hanoix.services.federation import Federation

        return Federation(self, self.federation_settings)

    def upgrade_schema(self) -> None:
        try:
            migrate.upgrade(self.engine)
        except OperationalError as exc:
            raise self._unreachable(exc) from exc

    def initialise(self) -> dict[str, Any]:
        """Create the schema and the blob folder, then run the registered init steps."""
        # Import for its side effect: modules register their init steps when loaded.
        from hanoix.services import registry  # noqa: F401

        self.settings.home.mkdir(parents=True, exist_ok=True)  # the lock file lives there
        with ExitStack() as held:
            try:
                held.enter_context(setup_lock(self.engine, self.settings.home))
            except OperationalError as exc:
                raise self._unreachable(exc) from exc
            self.upgrade_schema()
            self.settings.effective_blob_dir.mkdir(parents=True, exist_ok=True)
            summary: dict[str, Any] = {
                "home": str(self.settings.home.resolve()),
                "database": self.engine.url.render_as_string(hide_password=True),
                "blobs": self.settings.blob_url or str(self.settings.effective_blob_dir.resolve()),
                "schema": migrate.current_revision(self.engine),
            }
            for name, step in _init_steps:
                with self.unit_of_work() as session:
                    outcome = step(self, session)
                if outcome is not None:
                    summary[name] = outcome
        return summary

    def prepare(self, *, create: bool = True) -> None:
        """Make the node usable by a command (decision 0006): a new database is created (as
        ``init`` does) unless ``create`` is false; one at the current schema is used as it is;
        one behind or ahead of this version is refused, since only ``init`` and ``serve``
        upgrade a schema."""
        try:
            revision = migrate.current_revision(self.engine)
        except OperationalError as exc:
            raise self._unreachable(exc) from exc
        if revision is None:
            if not create:
                home = self.settings.home
                raise ConfigurationError(
                    f"no node at {home}: run 'hanoix --home {home} init' first, "
                    "or give the right --home"
                )
            self.initialise()
            return
        head = migrate.HEAD_REVISION
        if revision == head:
            return
        if revision in migrate.known_revisions():
            raise ConfigurationError(
                f"the database schema is at revision {revision}, this version of hanoix needs "
                f"{head}: run 'hanoix --home {self.settings.home} init' to upgrade it "
                "(back the database up first)"
            )
        raise ConfigurationError(
            f"the database schema is at revision {revision}, which this version of hanoix does "
            "not know: it was upgraded by a newer version; use that version"
        )

    def _unreachable(self, error: OperationalError) -> ConfigurationError:
        # The driver's message spans lines; an error is one line.
        reason = " ".join(str(error.orig).split())
        return ConfigurationError(
            f"cannot reach the database {self.engine.url.render_as_string(hide_password=True)}: "
            f"{reason}; check HANOIX_DATABASE_URL"
        )

    def close(self) -> None:
        self.engine.dispose()
