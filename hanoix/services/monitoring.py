"""The node's metrics for Prometheus, and what it knows of its peers' clocks.

Two sources (docs/monitoring.md says why):

* **gauges read from the database at each scrape** (:class:`StoreCollector`): requests by
  kind and status, deadlines overdue, the outbox per peer, the inbox not acknowledged, the
  ledger, checkpoints, cosignatures, split views, locked accounts, evidence bytes, peers'
  clocks. Every process and every machine of a node answers the same figures, so it does not
  matter which one Prometheus reaches.
* **counters of events** (:class:`NodeMetrics`): failed and throttled sign-ins, failed
  deliveries. They
  live in the process that saw the event. With several processes on one machine, set
  ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess mode) for every process of
  the node before it starts, and the endpoint adds up the counters of all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.exc import SQLAlchemyError

import hanoix
from hanoix.errors import UnavailableError
from hanoix.logs import get_logger
from hanoix.store import monitoring as store

if TYPE_CHECKING:
    from hanoix.services.node import Node

_log = get_logger("hanoix.monitoring")

#: The content type of the text exposition format the endpoint answers.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: Set for every process of a node on one machine: counters are added up across them.
MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


class NodeMetrics:
    """The counters of one node in this process, in a registry of its own (two nodes in one
    process, as in the tests, never share one)."""

    def __init__(self, node: Node) -> None:
        self.registry = CollectorRegistry()
        self.login_failures = Counter(
            "hanoix_login_failures",
            "Failed sign-ins (wrong password or code, unknown or locked account)",
            registry=self.registry,
        )
        self.login_throttled = Counter(
            "hanoix_login_throttled",
            "Sign-ins refused unchecked (429): the account or the address used up its failures",
            ["scope"],
            registry=self.registry,
        )
        self.delivery_failures = Counter(
            "hanoix_delivery_failures",
            "Delivery attempts that failed, by peer and reason (retried or given up)",
            ["peer", "reason"],
            registry=self.registry,
        )
        self.store = StoreCollector(node)
        self.registry.register(self.store)

    def exposition(self) -> bytes:
        """The metrics in Prometheus' text format: this process's counters, or every
        process's under multiprocess mode, and the gauges read from the database now."""
        if os.environ.get(MULTIPROCESS_VARIABLE):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            registry.register(self.store)
            return generate_latest(registry)
        return generate_latest(self.registry)


# --- peers' clocks ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PeerClock:
    """What the node can tell of a peer's clock: its offset from ours is at least
    ``at_least`` and at most ``at_most`` seconds (peer minus us; None: unknown), from the
    envelopes and receipts exchanged most recently (:func:`hanoix.store.monitoring.
    clock_samples`). Only bounds are known for sure: a queue or the network adds delay, never
    removes it, so a drift reported is a drift that happened."""

    peer: str
    at_least: float | None
    at_most: float | None
    observed_at: datetime
    tolerance: float

    @property
    def offset(self) -> float:
        """The smallest offset the bounds allow (0 when they include it)."""
        if self.at_least is not None and self.at_least > 0:
            return self.at_least
        if self.at_most is not None and self.at_most < 0:
            return self.at_most
        return 0.0

    @property
    def drift(self) -> Literal["ahead", "behind"] | None:
        """Whether the peer's clock is certainly beyond the tolerance, and which way."""
        offset = self.offset
        if offset > self.tolerance:
            return "ahead"
        if offset < -self.tolerance:
            return "behind"
        return None


def peer_clocks(node: Node) -> list[PeerClock]:
    """Every peer the node has exchanged envelopes with, and its clock as far as known."""
    tolerance = node.federation.settings.clock_tolerance
    with node.reading() as session:
        samples = store.clock_samples(session)
    return [PeerClock(s.peer, s.at_least, s.at_most, s.observed_at, tolerance) for s in samples]


def note_clock(
    peer: str, *, at_least: float | None, at_most: float | None, tolerance: float, seen: str
) -> None:
    """Log a peer's clock beyond the tolerance, as one envelope or receipt shows it (``seen``:
    ``envelope`` or ``receipt``). Called where they are checked; the metric and the 24/7 desk
    read the same evidence from the database."""
    if at_least is not None and at_least > tolerance:
        _log.warning(
            "federation.clock_drift",
            peer=peer,
            direction="ahead",
            seconds=round(at_least, 3),
            tolerance=tolerance,
            seen=seen,
        )
    elif at_most is not None and at_most < -tolerance:
        _log.warning(
            "federation.clock_drift",
            peer=peer,
            direction="behind",
            seconds=round(-at_most, 3),
            tolerance=tolerance,
            seen=seen,
        )


# --- gauges from the database -----------------------------------------------------------------


class StoreCollector:
    """Reads the node's state from its database when Prometheus scrapes (a custom collector:
    nothing is kept in the process, so the figures cannot go stale or disagree between
    processes)."""

    def __init__(self, node: Node) -> None:
        self.node = node

    def describe(self) -> list[Metric]:
        return []  # the families depend on the data; nothing to reserve in the registry

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily("hanoix_build_info", "The node's version", labels=["version"])
        info.add_metric([hanoix.__version__], 1)
        yield info
        up = GaugeMetricFamily("hanoix_database_up", "1 if the database answered this scrape")
        now = self.node.clock.now()
        try:
            with self.node.reading() as session:
                gauges = store.read_gauges(session, now)
            clocks = peer_clocks(self.node)
        except (SQLAlchemyError, UnavailableError) as exc:
            _log.warning("monitoring.database_unreachable", reason=type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from _request_families(gauges)
        yield from _federation_families(gauges, now)
        yield from _ledger_families(gauges, now)
        yield from _clock_families(clocks)
        locked = GaugeMetricFamily("hanoix_accounts_locked", "Accounts locked by failed sign-ins")
        locked.add_metric([], gauges.accounts_locked)
        yield locked
        evidence = CounterMetricFamily(
            "hanoix_evidence_bytes",
            "Bytes of evidence packages transferred and verified, by direction (in: received)",
            labels=["direction"],
        )
        for direction in ("in", "out"):
            evidence.add_metric([direction], gauges.evidence_bytes.get(direction, 0))
        yield evidence


def _age(now: datetime, then: datetime | None) -> float:
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


def _request_families(gauges: store.Gauges) -> Iterator[Metric]:
    requests = GaugeMetricFamily(
        "hanoix_requests",
        "Cooperation requests by kind, side (requesting: this State asks; requested: it is "
        "asked) and status",
        labels=["kind", "side", "status"],
    )
    for (kind, side, status), count in sorted(gauges.requests.items()):
        requests.add_metric([kind, side, status], count)
    yield requests
    overdue = GaugeMetricFamily(
        "hanoix_requests_overdue", "Requests whose next deadline has passed", labels=["kind"]
    )
    for kind, count in sorted(gauges.overdue.items()):
        overdue.add_metric([kind], count)
    yield overdue


def _federation_families(gauges: store.Gauges, now: datetime) -> Iterator[Metric]:
    depth = GaugeMetricFamily(
        "hanoix_outbox_pending", "Envelopes waiting to be delivered, by peer", labels=["peer"]
    )
    oldest = GaugeMetricFamily(
        "hanoix_outbox_oldest_pending_seconds",
        "Age of the oldest envelope waiting for a peer (0: none waits)",
        labels=["peer"],
    )
    retrying = GaugeMetricFamily(
        "hanoix_outbox_retrying",
        "Envelopes waiting for a peer that failed at least once",
        labels=["peer"],
    )
    given_up = GaugeMetricFamily(
        "hanoix_outbox_failed", "Envelopes given up (refused for good), by peer", labels=["peer"]
    )
    last = GaugeMetricFamily(
        "hanoix_outbox_last_delivery_timestamp_seconds",
        "When an envelope was last delivered to a peer (Unix time)",
        labels=["peer"],
    )
    for peer, queue in sorted(gauges.queues.items()):
        depth.add_metric([peer], queue.pending)
        oldest.add_metric([peer], _age(now, queue.oldest_pending))
        retrying.add_metric([peer], queue.retrying)
        given_up.add_metric([peer], queue.failed)
        if queue.last_delivered is not None:
            last.add_metric([peer], queue.last_delivered.timestamp())
    yield from (depth, oldest, retrying, given_up, last)
    failing = GaugeMetricFamily(
        "hanoix_outbox_failing",
        "Envelopes not delivered whose last attempt failed, by peer and reason",
        labels=["peer", "reason"],
    )
    for (peer, reason), count in sorted(gauges.failing.items()):
        failing.add_metric([peer, reason], count)
    yield failing
    inbox = GaugeMetricFamily(
        "hanoix_inbox_unacknowledged",
        "Messages received and not yet acknowledged, by urgency",
        labels=["urgency"],
    )
    inbox_age = GaugeMetricFamily(
        "hanoix_inbox_oldest_unacknowledged_seconds",
        "How long the oldest message not acknowledged has waited, by urgency (0: none)",
        labels=["urgency"],
    )
    for urgent, (count, since) in sorted(gauges.unacknowledged.items(), reverse=True):
        urgency = "urgent" if urgent else "routine"
        inbox.add_metric([urgency], count)
        inbox_age.add_metric([urgency], _age(now, since))
    yield inbox
    yield inbox_age
    refusals = CounterMetricFamily(
        "hanoix_envelopes_refused",
        "Envelopes this node refused, by sender (as listed, or 'unknown') and reason",
        labels=["sender", "reason"],
    )
    for (sender, reason), count in sorted(gauges.refusals.items()):
        refusals.add_metric([sender, reason], count)
    yield refusals


def _ledger_families(gauges: store.Gauges, now: datetime) -> Iterator[Metric]:
    size = GaugeMetricFamily("hanoix_ledger_entries", "Entries in the custody ledger")
    size.add_metric([], gauges.ledger_size)
    yield size
    checkpoint = GaugeMetricFamily(
        "hanoix_ledger_checkpoint_size", "Entries covered by the newest signed checkpoint"
    )
    checkpoint.add_metric([], gauges.checkpoint_size)
    yield checkpoint
    if gauges.checkpoint_at is not None:
        age = GaugeMetricFamily(
            "hanoix_ledger_checkpoint_age_seconds", "Age of the newest signed checkpoint"
        )
        age.add_metric([], _age(now, gauges.checkpoint_at))
        yield age
    cosigned = GaugeMetricFamily(
        "hanoix_witness_cosignature_age_seconds",
        "Age of the newest cosignature of this node's checkpoint, by witness",
        labels=["witness"],
    )
    cosigned_size = GaugeMetricFamily(
        "hanoix_witness_cosigned_size",
        "Entries covered by the newest checkpoint a witness cosigned",
        labels=["witness"],
    )
    waiting = GaugeMetricFamily(
        "hanoix_witness_uncosigned_seconds",
        "How long the oldest checkpoint a witness has not cosigned has existed (0: it cosigned "
        "the newest)",
        labels=["witness"],
    )
    for witness, seen in sorted(gauges.cosigned.items()):
        cosigned.add_metric([witness], _age(now, seen.at))
        cosigned_size.add_metric([witness], seen.size)
        waiting.add_metric([witness], _age(now, seen.waiting_since))
    yield cosigned
    yield cosigned_size
    yield waiting
    split = GaugeMetricFamily(
        "hanoix_split_views",
        "Split views detected: a peer's ledger showing two inconsistent histories (alert on any)",
        labels=["origin"],
    )
    for origin, count in sorted(gauges.split_views.items()):
        split.add_metric([origin], count)
    yield split


def _clock_families(clocks: list[PeerClock]) -> Iterator[Metric]:
    offset = GaugeMetricFamily(
        "hanoix_peer_clock_offset_seconds",
        "A peer's clock minus this node's, the smallest the newest envelopes allow",
        labels=["peer"],
    )
    drift = GaugeMetricFamily(
        "hanoix_peer_clock_drift",
        "1 if a peer's clock is beyond the tolerance (federation setting clock_tolerance)",
        labels=["peer"],
    )
    for clock in clocks:
        offset.add_metric([clock.peer], clock.offset)
        drift.add_metric([clock.peer], 0 if clock.drift is None else 1)
    yield offset
    yield drift
