"""The delivery worker: takes due envelopes from the outbox and delivers them until a signed
receipt comes back.

* Order: urgent first, then in the order queued (``priority, seq``).
* Claims are leased (``lease`` seconds), so several workers (one in ``hanoix serve``, one
  standalone) can share a queue; a worker that dies mid-delivery leaves a lease that expires.
  Delivering twice is harmless: the receiver de-duplicates by envelope id.
* A failed attempt is retried after ``min(cap, base * 2**(attempts-1))`` seconds, of which a
  random share ``jitter`` is taken off (so peers coming back are not hit by every sender at
  once); a ``Retry-After`` from the peer is honoured when longer. Retries stop when the
  envelope expires, or when the peer refuses it for a reason that will not change (a bad
  signature, a revoked key, a malformed envelope); every outcome is logged with the reason.
* Evidence packages go first, in resumable chunks: the worker asks the peer how much it holds
  (``HEAD``) and sends the rest, so a transfer broken at 90 % resumes at 90 %.
* After a successful contact the worker exchanges ledger checkpoints with the peer (at most
  every ``witness_interval`` seconds per peer): each cosigns the other's, and a split view is
  recorded and logged as critical.
"""

from __future__ import annotations

import contextlib
import json
import random as _random
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any, BinaryIO

from sqlalchemy.orm import Session

from hanoix.errors import HanoixError, UnavailableError
from hanoix.evidence.keys import KeyKind
from hanoix.federation import codec
from hanoix.federation.batch import sign_batch
from hanoix.federation.client import PeerClient, RawResponse
from hanoix.federation.directory import Directory, NodeEntry
from hanoix.federation.envelope import BATCHED_FORMAT
from hanoix.federation.errors import DeliveryError, Reason, ReceiptError
from hanoix.federation.receipts import (
    BATCH_RECEIPT_FORMAT,
    RECEIPT_FORMAT,
    Receipt,
    VerifiedSignatures,
    parse_receipt,
    verify_receipt,
)
from hanoix.federation.settings import FederationSettings
from hanoix.federation.transport import FileVersion
from hanoix.ledger.errors import SplitViewError
from hanoix.logs import get_logger
from hanoix.services import custody
from hanoix.services.federation import Federation
from hanoix.services.federation.state import sqlite_turn
from hanoix.services.federation.wakeup import WakeListener
from hanoix.services.monitoring import note_clock
from hanoix.store import federation as store
from hanoix.store.db import commit_without_sync
from hanoix.store.monitoring import failure_reason

_log = get_logger("hanoix.federation.worker")


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, in seconds."""

    base: float = 2.0
    cap: float = 600.0
    jitter: float = 0.5

    @classmethod
    def from_settings(cls, settings: FederationSettings) -> RetryPolicy:
        return cls(settings.backoff_base, settings.backoff_cap, settings.backoff_jitter)

    def delay(self, attempts: int, rng: _random.Random, retry_after: float | None = None) -> float:
        """Seconds to wait after the ``attempts``-th failed attempt (1 for the first)."""
        ceiling = min(self.cap, self.base * float(2 ** max(0, min(attempts - 1, 62))))
        wait: float = ceiling * (1.0 - self.jitter * rng.random())
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.cap))
        return wait


@dataclass(frozen=True)
class Outcome:
    """What one delivery attempt came to."""

    kind: str  # "delivered" | "retry" | "failed"
    detail: str
    receipt: dict[str, Any] | None = None
    retry_after: float | None = None


def _retry_after(response: RawResponse) -> float | None:
    value = response.headers.get("retry-after") or response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _detail(response: RawResponse) -> str:
    """``": <detail>"`` of a peer's problem document, if it sent one (for the operator)."""
    try:
        detail = codec.json_object(response.body, "problem").get("detail")
    except codec.FieldError:
        return ""
    return f": {detail[:300]}" if isinstance(detail, str) and detail else ""


def classify(response: RawResponse) -> Outcome:
    """Map a peer's answer to an envelope onto an outcome (the receipt is checked later)."""
    try:
        body: dict[str, Any] | None = codec.json_object(response.body, "answer")
    except codec.FieldError as exc:
        body, problem = None, exc
    if response.ok and body is None:
        return Outcome(
            "retry", f"the peer answered {response.status} without a receipt ({problem})"
        )
    return classify_answer(response.status, body, _retry_after(response))


def classify_answer(status: int, body: dict[str, Any] | None, retry_after: float | None) -> Outcome:
    """:func:`classify` of an answer already parsed (``body``: None when it was no JSON
    object), such as each result of a batch: it is not encoded again to be read again."""
    if 200 <= status < 300:
        receipt = None if body is None else body.get("receipt")
        if not isinstance(receipt, dict):
            return Outcome(
                "retry", f"the peer answered {status} without a receipt (receipt: missing)"
            )
        return Outcome("delivered", "receipt received", receipt=receipt)
    reason: Reason | None = None
    detail = f"the peer answered {status}"
    if body is not None:
        try:
            reason = Reason(str(body.get("reason")))
            detail = f"{detail} ({reason.value}): {str(body.get('detail', ''))[:500]}"
        except ValueError:
            pass
    if status == 413:
        return Outcome("failed", f"{detail}: the envelope is too large for the peer")
    if reason is not None and not reason.retryable:
        return Outcome("failed", detail)
    return Outcome("retry", detail, retry_after=retry_after)


ClientFactory = Callable[[NodeEntry], PeerClient]

_PIECE = 1024 * 1024
# How often the urgent lane looks for urgent envelopes queued by another process while a round
# keeps the ordinary lane busy (one in this process wakes it at once): the poll interval
# (a second by default) was most of an urgent envelope's wait behind a queue.
URGENT_POLL_IN_ROUND = 0.01
# How long a thread holding the GIL keeps it while another waits (CPython's default is 5 ms).
# A node's threads mix long CPU-bound work (a batch's signatures, decryptions and receipts)
# with an urgent envelope's many short steps, each of which waits up to this long for the
# GIL behind the busy threads: measured on two busy cores, 1 ms took an urgent envelope's
# median behind 1,000 queued from 442 to 142 ms and from 382 to 291 ms in two pairs of runs
# (load average 8 to 14).
SWITCH_INTERVAL = 0.001


def favour_short_steps() -> None:
    """Set this process's GIL switch interval to :data:`SWITCH_INTERVAL` (the processes that
    deliver or receive envelopes: ``hanoix serve`` and ``hanoix federation worker``)."""
    sys.setswitchinterval(SWITCH_INTERVAL)


_BATCH_ENVELOPES = 64
_BATCH_BYTES = 4 * 1024 * 1024
#: The receipt formats asked of a peer for a batch, preferred first (docs/federation.md).
_RECEIPT_FORMATS = (BATCH_RECEIPT_FORMAT, RECEIPT_FORMAT)


@contextlib.contextmanager
def _no_autoflush(session: Session, enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    with session.no_autoflush:
        yield


class _RefusedError(Exception):
    """The peer refused a transfer's announcement for a reason that will not change."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.detail)
        self.outcome = outcome


def _pieces(handle: BinaryIO, length: int, name: str) -> Iterator[bytes]:
    """``length`` bytes of ``handle`` from where it stands, in pieces (a streamed body)."""
    left = length
    while left > 0:
        data = handle.read(min(_PIECE, left))
        if not data:
            raise DeliveryError(f"the blob {name} is shorter than recorded")
        left -= len(data)
        yield data


ROUNDS_IN_FLIGHT = 2
"""Rounds the running lane has on their way at once (:meth:`Worker._pipeline_step`)."""


@dataclass
class _Round:
    """A claimed round: its envelopes, and the requests carrying them (or their outcomes)."""

    items: list[store.OutboxItem]
    uploads: list[Future[Outcome]]
    sends: list[Future[list[tuple[store.OutboxItem, Outcome, Receipt | None]]]] = field(
        default_factory=list
    )
    urgent: list[Future[None]] = field(default_factory=list)
    outcomes: list[tuple[store.OutboxItem, Outcome, Receipt | None]] = field(default_factory=list)


class Worker:
    """Delivers the outbox of one node. ``run`` loops until ``stop`` is set."""

    def __init__(
        self,
        federation: Federation,
        *,
        client_factory: ClientFactory | None = None,
        rng: _random.Random | None = None,
    ) -> None:
        self.federation = federation
        self.node = federation.node
        self.settings = federation.settings
        self.policy = RetryPolicy.from_settings(self.settings)
        self.rng = rng or _random.Random()  # noqa: S311  (jitter, not a secret)
        self._client_factory = client_factory or self._make_client
        # By peer, the certificates it may present, and our own certificate: a client is
        # made again when either side's certificate changes.
        self._clients: dict[tuple[str, str, tuple[str, ...], FileVersion], PeerClient] = {}
        self._clients_lock = threading.Lock()
        self._last_witness: dict[str, float] = {}
        self._witness_lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=self.settings.concurrency, thread_name_prefix="hanoix-delivery"
        )
        # Evidence transfers run apart, so that a long upload never holds up a round of small
        # (or urgent) envelopes; a round records its outcomes in one transaction.
        self._transfers = ThreadPoolExecutor(
            max_workers=max(1, self.settings.concurrency // 2),
            thread_name_prefix="hanoix-transfer",
        )
        self._in_flight: set[str] = set()
        self._in_flight_lock = threading.Lock()
        # The running loop exchanges checkpoints on a thread of its own: an exchange (two
        # round trips, a proof, a cosignature) held up the delivery that happened to be due
        # for it, an urgent one too. Direct calls (drain, deliver) keep it inline.
        self._witness_apart = False
        self._in_round = threading.Event()
        """Set while the ordinary lane delivers a round (the urgent lane polls meanwhile)."""
        self._witnessing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hanoix-witness")
        # The running urgent lane sends on threads of its own and claims again at once, up to
        # ``concurrency`` requests in flight: an urgent envelope queued while the previous one
        # is on its way no longer waits for that one's round trip and write (measured: most
        # of an urgent envelope's wait behind a queue was the lane finishing the one before).
        self._urgent_senders = ThreadPoolExecutor(
            max_workers=self.settings.concurrency, thread_name_prefix="hanoix-urgent-send"
        )
        self._urgent_sending = 0
        self._urgent_sent = threading.Condition()

    # clients

    def _make_client(self, entry: NodeEntry) -> PeerClient:
        return PeerClient.for_entry(
            entry,
            self.federation.identity().tls,
            connect_timeout=self.settings.connect_timeout,
            read_timeout=self.settings.read_timeout,
        )

    def client(self, entry: NodeEntry) -> PeerClient:
        # No certificate file (plain HTTP to loopback peers): a version of zeros.
        key = (entry.origin, entry.base_url, entry.tls_pins, self.federation.identity().tls.version)
        with self._clients_lock:
            found = self._clients.get(key)
            if found is None:
                found = self._client_factory(entry)
                self._clients[key] = found
            return found

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._transfers.shutdown(wait=True)
        self._urgent_senders.shutdown(wait=True)
        self._witnessing.shutdown(wait=True)
        with self._clients_lock:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    # the loop

    def run(self, stop: threading.Event) -> None:
        _log.info("federation.worker_started", concurrency=self.settings.concurrency)
        self._witness_apart = True
        lane = threading.Thread(
            target=self._urgent_lane, args=(stop,), name="hanoix-urgent", daemon=True
        )
        lane.start()
        # Another process of this host that queues an urgent envelope wakes the lane at once.
        wakeups = WakeListener(self.node.settings.home, self.federation.state.urgent_signal.set)
        wakeups.start()
        try:
            self._ordinary_lane(stop)
        finally:
            wakeups.close()
            self.federation.state.urgent_signal.set()
            lane.join(timeout=10)
        _log.info("federation.worker_stopped")

    def _ordinary_lane(self, stop: threading.Event) -> None:
        unavailable = False
        rounds: deque[_Round] = deque()
        try:
            while not stop.is_set():
                try:
                    wait = self._pipeline_step(rounds)
                    if unavailable:
                        _log.info("federation.worker_database_back")
                        unavailable = False
                except UnavailableError as exc:
                    # The database is down or the disk full: nothing was taken or recorded
                    # that is not leased (claimed envelopes come back when their lease ends).
                    # Say so once, in one line, and try again at the polling pace.
                    if not unavailable:
                        _log.warning("federation.worker_database_unavailable", reason=exc.message)
                        unavailable = True
                    wait = self.settings.poll_interval
                except Exception:  # noqa: BLE001  (the loop must survive a bad round; logged)
                    _log.exception("federation.worker_round_failed")
                    wait = self.settings.poll_interval
                if wait > 0:
                    self.federation.state.outbox_signal.wait(wait)
                    self.federation.state.outbox_signal.clear()
        finally:
            # What is on its way is recorded before the lane stops: its envelopes would
            # otherwise wait for their lease to end before going again (and be sent twice).
            while rounds:
                with contextlib.suppress(Exception):
                    self._finish_round(rounds.popleft())
            self._in_round.clear()

    def _pipeline_step(self, rounds: deque[_Round]) -> float:
        """Claim and send a round while the one before it is on its way, then record the
        oldest once ``ROUNDS_IN_FLIGHT`` are out (or nothing more is due); return how long to
        wait before the next step (0: at once).

        One round at a time left both nodes idle half the time: the sender's claim and
        record, then the receiver's checks and write, then the sender's reading of the
        receipts, each waited for the other. With the next round claimed and queued behind
        the requests of the one in flight, the sender's work overlaps the receiver's; the
        requests in flight stay at ``concurrency`` (the pool's threads), so a peer is not sent
        more at once than before, and urgent envelopes keep their own lane."""
        # Set before the claim: the urgent lane looks often from the moment requests may leave.
        self._in_round.set()
        try:
            started = self._start_round() if len(rounds) < ROUNDS_IN_FLIGHT else None
            if started is not None:
                rounds.append(started)
                if len(rounds) < ROUNDS_IN_FLIGHT:
                    return 0.0
            if not rounds:
                self._in_round.clear()
                return self._idle_wait()
            self._finish_round(rounds.popleft())
            return 0.0
        finally:
            if not rounds:
                self._in_round.clear()

    def _urgent_lane(self, stop: threading.Event) -> None:
        """Urgent envelopes only, on a thread of their own: they never wait for a round of
        ordinary ones to come back (the ordinary lane takes them first too, when it claims),
        nor for the urgent ones sent before them. Woken at once by an urgent envelope queued
        in this process; polls otherwise."""
        signal = self.federation.state.urgent_signal
        claim = True
        while not stop.is_set():
            # Cleared before the claim, so that one queued meanwhile is not slept through.
            signal.clear()
            taken = 0
            # An idle ordinary lane polls as often, urgent envelopes first: this one polls
            # only while a round or urgent requests are in flight (woken, it claims at once).
            if claim or self._busy():
                try:
                    taken = self._dispatch_urgent(stop)
                except UnavailableError:
                    pass  # the ordinary lane says so in the log
                except Exception:  # noqa: BLE001  (the lane must outlive a bad round; logged)
                    _log.exception("federation.urgent_round_failed")
            claim = taken > 0 or signal.wait(self._urgent_wait())
        with self._urgent_sent:
            self._urgent_sent.wait_for(lambda: self._urgent_sending == 0, timeout=10)

    def _busy(self) -> bool:
        return self._in_round.is_set() or self._urgent_sending > 0

    def _urgent_wait(self) -> float:
        if self._busy():
            return min(URGENT_POLL_IN_ROUND, self.settings.poll_interval)
        return self.settings.poll_interval

    def _dispatch_urgent(self, stop: threading.Event) -> int:
        """Claim the urgent envelopes that are due, once a sender is free, and hand them to
        the urgent senders without waiting for them; return how many were taken."""
        concurrency = self.settings.concurrency
        with self._urgent_sent:
            # Claimed only when they can leave: those due meanwhile go in the next request.
            while self._urgent_sending >= concurrency and not stop.is_set():
                self._urgent_sent.wait(timeout=self.settings.poll_interval)
            if stop.is_set():
                return 0
        items, directory = self._claim(urgent_only=True)
        small, _ = self._split(items)
        for unit in self._units(small, spread=1):
            with self._urgent_sent:
                self._urgent_sending += 1
            future = self._urgent_senders.submit(self._deliver_and_record, unit, directory)
            future.add_done_callback(self._urgent_done)
        return len(items)

    def _urgent_done(self, future: Future[None]) -> None:
        error = future.exception()
        # An unavailable database is the ordinary lane's to report (once, not per request).
        if error is not None and not isinstance(error, UnavailableError):
            _log.error("federation.urgent_round_failed", exc_info=error)
        with self._urgent_sent:
            self._urgent_sending -= 1
            self._urgent_sent.notify_all()

    def run_urgent_once(self) -> int:
        """Claim the urgent envelopes that are due and send them at once, one request per peer
        (or a few, for many), and wait for them; return how many were taken."""
        items, directory = self._claim(urgent_only=True)
        small, _ = self._split(items)
        for unit in self._units(small, spread=1):
            self._deliver_and_record(unit, directory)
        return len(items)

    def _deliver_and_record(
        self, unit: list[store.OutboxItem], directory: Directory | None
    ) -> None:
        self._record_all(self._unit_outcomes(unit, directory))

    def _idle_wait(self) -> float:
        with self.node.unit_of_work() as session:
            due = store.next_due(session)
        if due is None:
            return self.settings.poll_interval
        seconds = (due - self.node.clock.now()).total_seconds()
        return min(self.settings.poll_interval, max(0.0, seconds))

    def run_once(self, *, wait_transfers: bool = False) -> int:
        """Claim one batch of due envelopes and deliver them; return how many were taken.

        Small envelopes go several to a request, ``concurrency`` requests in flight over each
        peer's kept-alive connections; the round's outcomes are recorded in one transaction
        when its requests are back (urgent envelopes do not wait for a round: they have their
        own lane, :meth:`run_urgent_once`). Envelopes with an evidence transfer go to their
        own threads and record their outcome alone; the round does not wait for them unless
        ``wait_transfers``. (The running lane overlaps rounds: :meth:`_pipeline_step`.)
        """
        self._in_round.set()
        try:
            started = self._start_round()
            if started is None:
                return 0
            self._finish_round(started, wait_transfers=wait_transfers)
        finally:
            self._in_round.clear()
        return len(started.items)

    def _start_round(self) -> _Round | None:
        """Claim the due envelopes and put their requests on their way (``None``: none due)."""
        items, directory = self._claim(urgent_only=False)
        if not items:
            return None
        small, uploads = self._split(items)
        # Urgent envelopes claimed with a round go in requests of their own, recorded as
        # soon as they are back: in a round's requests they waited for the slowest of them
        # and for the round's write (a fifth of a second behind a full round).
        urgent = [item for item in small if item.urgent]
        units = self._units([item for item in small if not item.urgent])
        if self.settings.concurrency == 1:
            # Sent here, one request after the other, as the round is started.
            for unit in self._units(urgent, spread=1):
                self._record_all(self._unit_outcomes(unit, directory))
            outcomes: list[tuple[store.OutboxItem, Outcome, Receipt | None]] = []
            for unit in units:
                outcomes += self._unit_outcomes(unit, directory)
            return _Round(items, uploads, outcomes=outcomes)
        urgent_rounds = [
            self._pool.submit(self._deliver_and_record, unit, directory)
            for unit in self._units(urgent, spread=1)
        ]
        sends = [self._pool.submit(self._unit_outcomes, unit, directory) for unit in units]
        return _Round(items, uploads, sends=sends, urgent=urgent_rounds)

    def _finish_round(self, started: _Round, *, wait_transfers: bool = False) -> None:
        """Wait for a round's requests and record their outcomes in one transaction (every
        other writer of the outbox, the API queueing or another worker, waits less than for
        one transaction per request)."""
        outcomes = list(started.outcomes)
        for future in started.sends:
            outcomes += future.result()
        for pending in started.urgent:
            pending.result()
        self._record_all(outcomes)
        if wait_transfers:
            for upload in started.uploads:
                upload.result()

    def _outbox_writer(self, urgent: bool) -> contextlib.AbstractContextManager[None]:
        """The lanes' write transactions take turns, the urgent lane's first (on SQLite)."""
        turns = self.federation.state.outbox_turns
        return sqlite_turn(turns, self.node.engine.dialect.name, urgent=urgent)

    def _claim(self, *, urgent_only: bool) -> tuple[list[store.OutboxItem], Directory | None]:
        now = self.node.clock.now()
        # The urgent lane looks every few milliseconds while a round is in flight, and an
        # idle ordinary lane at each poll, and they mostly find nothing: a read says so
        # without the outbox turn, a transaction and the claim's statements (a fifth of a busy
        # sender's CPU went to the urgent lane's, a tenth of a receiving node's to its idle
        # lane's).
        with self.node.reading() as session:
            if not store.due_now(session, now, urgent_only=urgent_only):
                return [], None
        with self._outbox_writer(urgent_only), self.node.unit_of_work() as session:
            # A lease lost in a power cut only has the envelope sent again (the peer answers
            # the repeat with its receipt): its commit need not wait for the disk, and holds
            # SQLite's one write lock that much less (the queueing and the urgent lane wait
            # for it).
            commit_without_sync(session)
            items = store.claim_due(
                session, now, self._lease_end(now), self.settings.batch, urgent_only=urgent_only
            )
            directory = self.federation.directory(session) if items else None
        return items, directory

    def _split(
        self, items: list[store.OutboxItem]
    ) -> tuple[list[store.OutboxItem], list[Future[Outcome]]]:
        """Small envelopes to deliver now; transfers handed to their own threads."""
        small: list[store.OutboxItem] = []
        uploads: list[Future[Outcome]] = []
        with self._in_flight_lock:
            for item in items:
                if item.envelope_id in self._in_flight:
                    continue  # a transfer of this worker still running (its lease ran out)
                if item.transfer_id is None:
                    small.append(item)
                else:
                    self._in_flight.add(item.envelope_id)
                    uploads.append(self._transfers.submit(self._deliver_transfer, item))
        return small, uploads

    def _units(
        self, items: list[store.OutboxItem], spread: int | None = None
    ) -> list[list[store.OutboxItem]]:
        """Split a round into requests: per peer, several envelopes per request (at most
        ``_BATCH_ENVELOPES`` and ``_BATCH_BYTES``), spread over ``spread`` requests in flight
        (``concurrency`` unless said), kept in queue order (urgent ones first)."""
        spread = spread or self.settings.concurrency
        by_peer: dict[str, list[store.OutboxItem]] = {}
        for item in items:
            by_peer.setdefault(item.recipient, []).append(item)
        units: list[list[store.OutboxItem]] = []
        for group in by_peer.values():
            per_request = max(1, min(_BATCH_ENVELOPES, -(-len(group) // spread)))
            unit: list[store.OutboxItem] = []
            size = 0
            for item in group:
                if unit and (len(unit) >= per_request or size + len(item.envelope) > _BATCH_BYTES):
                    units.append(unit)
                    unit, size = [], 0
                unit.append(item)
                size += len(item.envelope)
            if unit:
                units.append(unit)
        return units

    def _unit_outcomes(
        self, unit: list[store.OutboxItem], directory: Directory | None
    ) -> list[tuple[store.OutboxItem, Outcome, Receipt | None]]:
        if len(unit) == 1:
            return [self._outcome(unit[0], directory)]
        try:
            return self._attempt_batch(unit, directory)
        except DeliveryError as exc:
            detail = exc.message
        except HanoixError as exc:
            detail = f"{type(exc).__name__}: {exc.message}"
        except Exception as exc:  # noqa: BLE001  (a bug must not lose envelopes: retry them)
            _log.exception("federation.delivery_crashed", envelopes=len(unit))
            detail = f"internal error: {type(exc).__name__}: {exc}"
        return [(item, Outcome("retry", detail), None) for item in unit]

    def _attempt_batch(
        self, unit: list[store.OutboxItem], directory: Directory | None
    ) -> list[tuple[store.OutboxItem, Outcome, Receipt | None]]:
        """Several envelopes to one peer in one request; each gets its own outcome."""
        if directory is None:
            with self.node.unit_of_work() as session:
                directory = self.federation.require_directory(session)
        now = self.node.clock.now()
        results: list[tuple[store.OutboxItem, Outcome, Receipt | None]] = []
        entry = directory.node(unit[0].recipient)
        sendable: list[store.OutboxItem] = []
        batched = False
        for item in unit:
            if now >= item.expires_at or entry is None:
                results.append(self._outcome(item, directory))  # expired, or not listed
                continue
            fields = json.loads(item.envelope)
            listed = entry.find_key(KeyKind.ENCRYPTION, str(fields.get("recipient_key")))
            if listed is not None and listed.revoked is not None:
                results.append(self._outcome(item, directory))
                continue
            batched = batched or fields.get("format") == BATCHED_FORMAT
            sendable.append(item)
        if not sendable or entry is None:
            return results
        origin = self.federation.identity().origin
        client = self.client(entry)
        # hanoix-envelope/2 are signed here, once for the request (docs/federation.md,
        # "Signed batches"); a request of version 1 envelopes only goes as before.
        signed = None
        if batched:
            signer = self.federation.identity().signing_key(directory, now)
            digests = [item.digest for item in sendable]
            signed = sign_batch(digests, sender=origin, recipient=entry.origin, signer=signer)
        # One signature for the batch's receipts where the peer signs hanoix-receipt/2; a
        # peer from before it ignores the member and signs each envelope's receipt.
        response = client.post_envelopes(
            [item.envelope for item in sendable], receipts=_RECEIPT_FORMATS, signed=signed
        )
        if response.status in (404, 405) and batched:
            # A peer without batches reads no hanoix-envelope/2 either: as the refusal of a
            # version it does not read, not retried (federation retry, once it is upgraded).
            outcome = Outcome(
                "failed",
                f"the peer answered {response.status} to a batch: it reads no "
                f"{BATCHED_FORMAT}, which travels only in batches; upgrade it, or seal "
                "version 1 (envelope_version = 1), then retry",
            )
            return results + [(item, outcome, None) for item in sendable]
        if response.status in (404, 405):  # a peer without batches: one request each
            return results + [self._outcome(item, directory) for item in sendable]
        if not response.ok:
            outcome = Outcome(
                "retry",
                f"the peer answered {response.status} to a batch",
                retry_after=_retry_after(response),
            )
            return results + [(item, outcome, None) for item in sendable]
        try:
            answers = codec.json_object(response.body, "batch answer").get("results")
            if not isinstance(answers, list) or len(answers) != len(sendable):
                raise codec.FieldError("results", "must be one result per envelope")
        except codec.FieldError as exc:
            outcome = Outcome("retry", f"the peer's answer to a batch is malformed: {exc}")
            return results + [(item, outcome, None) for item in sendable]
        delivered = False
        verified = VerifiedSignatures()
        for item, answer in zip(sendable, answers, strict=True):
            status = answer.get("status") if isinstance(answer, dict) else None
            if not isinstance(status, int) or isinstance(status, bool):
                results.append((item, Outcome("retry", "the peer's result is malformed"), None))
                continue
            outcome = classify_answer(status, answer, None)
            if outcome.kind != "delivered":
                results.append((item, outcome, None))
                continue
            assert outcome.receipt is not None
            try:
                receipt = parse_receipt(outcome.receipt)
                verify_receipt(
                    receipt,
                    envelope_id=item.envelope_id,
                    envelope_sha256=item.digest,
                    sender=origin,
                    recipient=item.recipient,
                    directory=directory,
                    verified=verified,
                )
            except ReceiptError as exc:
                failed = Outcome("retry", f"the peer's receipt does not verify: {exc.message}")
                results.append((item, failed, None))
                continue
            delivered = True
            results.append((item, outcome, receipt))
        if delivered:
            self._maybe_witness(entry, client)
        return results

    def _deliver_transfer(self, item: store.OutboxItem) -> Outcome:
        try:
            return self.deliver(item)
        finally:
            with self._in_flight_lock:
                self._in_flight.discard(item.envelope_id)

    def drain(self, max_rounds: int = 1_000_000) -> int:
        """Deliver until nothing is due now; return how many attempts were made."""
        total = 0
        for _ in range(max_rounds):
            taken = self.run_once(wait_transfers=True)
            if taken == 0:
                break
            total += taken
        return total

    def _lease_end(self, now: datetime) -> datetime:
        return now + timedelta(seconds=self.settings.lease)

    # one delivery

    def deliver(self, item: store.OutboxItem) -> Outcome:
        """One attempt for one envelope; records the outcome; never raises."""
        item, outcome, receipt = self._outcome(item, None)
        self._record_all([(item, outcome, receipt)])
        return outcome

    def _outcome(
        self, item: store.OutboxItem, directory: Directory | None
    ) -> tuple[store.OutboxItem, Outcome, Receipt | None]:
        """One attempt, not yet recorded: the outcome and, when delivered, the checked
        receipt. Never raises."""
        try:
            outcome, receipt = self._attempt(item, directory)
        except DeliveryError as exc:
            outcome, receipt = Outcome("retry", exc.message), None
        except HanoixError as exc:
            outcome, receipt = Outcome("retry", f"{type(exc).__name__}: {exc.message}"), None
        except Exception as exc:  # noqa: BLE001  (a bug must not lose the envelope: retry it)
            _log.exception("federation.delivery_crashed", envelope=item.envelope_id)
            outcome = Outcome("retry", f"internal error: {type(exc).__name__}: {exc}")
            receipt = None
        return item, outcome, receipt

    def _attempt(
        self, item: store.OutboxItem, directory: Directory | None = None
    ) -> tuple[Outcome, Receipt | None]:
        now = self.node.clock.now()
        if now >= item.expires_at:
            expired = f"expired at {codec.format_time(item.expires_at)} undelivered"
            return Outcome("failed", expired), None
        if directory is None:
            with self.node.unit_of_work() as session:
                directory = self.federation.require_directory(session)
        entry = directory.node(item.recipient)
        if entry is None:
            return Outcome(
                "retry", f"the directory (serial {directory.serial}) lists no {item.recipient!r}"
            ), None
        fields = json.loads(item.envelope)
        if fields.get("format") == BATCHED_FORMAT and item.transfer_id is None:
            # Signed only by a batch: one of its own.
            ((_, outcome, receipt),) = self._attempt_batch([item], directory)
            return outcome, receipt
        recipient_key = fields.get("recipient_key")
        listed = entry.find_key(KeyKind.ENCRYPTION, str(recipient_key))
        if listed is not None and listed.revoked is not None:
            return Outcome(
                "failed",
                f"the key {listed.key_id} this envelope is encrypted to has been revoked; "
                "send the message again",
            ), None
        client = self.client(entry)
        if item.transfer_id is not None:
            try:
                self._upload(item, client)
            except _RefusedError as refused:
                return refused.outcome, None
        response = client.post_envelope(item.envelope)
        outcome = classify(response)
        if outcome.kind != "delivered":
            return outcome, None
        assert outcome.receipt is not None
        try:
            receipt = parse_receipt(outcome.receipt)
            verify_receipt(
                receipt,
                envelope_id=item.envelope_id,
                envelope_sha256=item.digest,
                sender=self.federation.identity().origin,
                recipient=item.recipient,
                directory=directory,
            )
        except ReceiptError as exc:
            return Outcome("retry", f"the peer's receipt does not verify: {exc.message}"), None
        self._maybe_witness(entry, client)
        return outcome, receipt

    def _record_all(self, results: list[tuple[store.OutboxItem, Outcome, Receipt | None]]) -> None:
        """Keep the receipts and record every outcome, in one transaction. Until it commits
        nothing is lost: an envelope not marked delivered is sent again and the peer answers
        the repeat with the same receipt."""
        if not results:
            return
        logs: list[Callable[[], None]] = []
        # Small envelopes only touch their outbox and receipt rows (distinct per envelope):
        # their inserts and updates can wait for one flush at commit, instead of a flush
        # before each lookup. A transfer's delivery (custody records) keeps the usual flushes.
        batched = all(item.transfer_id is None for item, _, _ in results)
        # Small envelopes delivered are recorded together, in a few statements.
        delivered: list[tuple[store.OutboxItem, Receipt, dict[str, Any]]] = []
        urgent = any(item.urgent for item, _, _ in results)
        self._observe(results)
        with (
            self._outbox_writer(urgent),
            self.node.unit_of_work() as session,
            _no_autoflush(session, batched),
        ):
            for item, outcome, receipt in results:
                log = dict(
                    envelope=item.envelope_id, to=item.recipient, type=item.type, urgent=item.urgent
                )
                if outcome.kind == "delivered":
                    assert receipt is not None and outcome.receipt is not None
                    if item.transfer_id is None:
                        delivered.append((item, receipt, outcome.receipt))
                    else:
                        self.federation.record_delivery(session, item, receipt, outcome.receipt)
                    logs.append(
                        partial(
                            _log.info, "federation.delivered", attempts=item.attempts + 1, **log
                        )
                    )
                elif outcome.kind == "failed":
                    store.mark_failed(session, item.envelope_id, outcome.detail)
                    logs.append(
                        partial(
                            _log.error, "federation.delivery_failed", reason=outcome.detail, **log
                        )
                    )
                else:
                    delay = self.policy.delay(item.attempts + 1, self.rng, outcome.retry_after)
                    next_at = self.node.clock.now() + timedelta(seconds=delay)
                    attempts = store.mark_retry(session, item.envelope_id, outcome.detail, next_at)
                    logs.append(
                        partial(
                            _log.warning,
                            "federation.delivery_retry",
                            reason=outcome.detail,
                            attempts=attempts,
                            retry_in=round(delay, 3),
                            **log,
                        )
                    )
            self.federation.record_deliveries(session, delivered)
        for emit in logs:
            emit()

    def _observe(self, results: list[tuple[store.OutboxItem, Outcome, Receipt | None]]) -> None:
        """Count the failed attempts (metrics) and read the peers' clocks off the receipts:
        a receipt was signed after the envelope was due and before now (docs/monitoring.md)."""
        now = self.node.clock.now()
        tolerance = self.settings.clock_tolerance
        failures = self.node.metrics.delivery_failures
        for item, outcome, receipt in results:
            if outcome.kind != "delivered":
                failures.labels(item.recipient, failure_reason(outcome.detail)).inc()
            elif receipt is not None:
                note_clock(
                    item.recipient,
                    at_least=(receipt.received - now).total_seconds(),
                    at_most=(receipt.received - item.next_attempt_at).total_seconds(),
                    tolerance=tolerance,
                    seen="receipt",
                )

    # evidence transfer

    def _upload(self, item: store.OutboxItem, client: PeerClient) -> None:
        assert item.transfer_id is not None
        with self.node.unit_of_work() as session:
            transfer = store.get_transfer(session, item.transfer_id)
        if transfer is None or transfer.blob_key is None:
            raise DeliveryError(f"transfer {item.transfer_id} of the outbox is missing")
        # The transfer is announced by its signed envelope (the peer accepts no chunk of a
        # transfer it cannot attribute to a directory-listed sender); the answer is the offset
        # the peer holds durably.
        head = client.announce_transfer(transfer.id, item.envelope)
        if not head.ok:
            outcome = classify(head)
            if outcome.kind == "failed":
                raise _RefusedError(outcome)
            raise DeliveryError(
                f"the peer answered {head.status} to the transfer's announcement: {outcome.detail}",
                status=head.status,
            )
        try:
            offset = int(head.headers.get("hanoix-offset", "0"))
        except ValueError:
            raise DeliveryError("the peer's Hanoix-Offset is not a number") from None
        if not 0 <= offset <= transfer.size:
            raise DeliveryError(
                f"the peer claims {offset} bytes of a {transfer.size}-byte transfer"
            )
        if offset:
            _log.info(
                "federation.transfer_resumed",
                transfer=transfer.id,
                offset=offset,
                size=transfer.size,
            )
        sender = self.federation.identity().origin
        blobs = self.node.blobs
        with blobs.get(transfer.blob_key) as handle:
            while offset < transfer.size:
                length = min(self.settings.chunk_size, transfer.size - offset)
                handle.seek(offset)
                response = client.put_chunk(
                    transfer.id,
                    offset=offset,
                    total=transfer.size,
                    sha256=transfer.sha256,
                    sender=sender,
                    data=_pieces(handle, length, transfer.blob_key),
                    length=length,
                )
                if response.status == 409:
                    # The peer holds another offset (an earlier attempt got further): resume there.
                    try:
                        offset = int(codec.json_object(response.body, "problem")["offset"])
                    except (codec.FieldError, KeyError, TypeError, ValueError):
                        raise DeliveryError("the peer refused the chunk's offset") from None
                    continue
                if not response.ok:
                    raise DeliveryError(
                        f"the peer answered {response.status} to a chunk{_detail(response)}",
                        status=response.status,
                    )
                offset += length
                now = self.node.clock.now()
                with self.node.unit_of_work() as session:
                    store.update_transfer(session, transfer.id, now, offset=offset)
                    store.renew_lease(session, item.envelope_id, self._lease_end(now))

    # witnessing

    def _maybe_witness(self, entry: NodeEntry, client: PeerClient) -> None:
        if entry.ledger_verifier is None or entry.witness_verifier is None:
            return
        now = time.monotonic()
        with self._witness_lock:
            last = self._last_witness.get(entry.origin)
            if last is not None and now - last < self.settings.witness_interval:
                return
            self._last_witness[entry.origin] = now
        if self._witness_apart:
            self._witnessing.submit(self._witness, entry, client)
        else:
            self._witness(entry, client)

    def _witness(self, entry: NodeEntry, client: PeerClient) -> None:
        try:
            self.exchange_checkpoints(entry, client)
        except SplitViewError as split:
            _log.critical("federation.split_view", peer=entry.origin, reason=split.evidence.reason)
        except (HanoixError, DeliveryError) as exc:
            _log.warning("federation.witness_failed", peer=entry.origin, reason=exc.message)
        except Exception:  # noqa: BLE001
            # The exchange comes after the delivery it follows, which already has its receipt:
            # a fault here must not send the envelope again (the peer would see a repeat); on
            # its own thread, nobody else would log it either.
            _log.exception("federation.witness_failed", peer=entry.origin)

    def exchange_checkpoints(self, entry: NodeEntry, client: PeerClient) -> dict[str, Any]:
        """Cosign the peer's checkpoint and have it cosign ours (one round trip each way)."""
        ledger = custody.CustodyLedger(self.node)
        log_key = entry.ledger_verifier
        assert log_key is not None
        last = ledger.last_witnessed(entry.origin)
        since = 0 if last is None else last.tree_size
        own_origin = self.federation.identity().origin
        response = client.get_checkpoint(since, own_origin)
        if not response.ok:
            raise DeliveryError(
                f"the peer answered {response.status} to GET checkpoint", status=response.status
            )
        try:
            answer = codec.json_object(response.body, "checkpoint answer")
            note = codec.text(answer, "checkpoint", max_length=65536, multiline=True)
            raw_proof = answer.get("consistency", [])
            if not isinstance(raw_proof, list):
                raise codec.FieldError("consistency", "must be a list")
            proof = [bytes.fromhex(str(h)) for h in raw_proof]
            seen = answer.get("witnessed_size")
        except (codec.FieldError, ValueError) as exc:
            raise DeliveryError(f"the peer's checkpoint answer is malformed: {exc}") from None
        witnessed = ledger.witness(note, log_key, proof)
        own = ledger.checkpoint()
        own_proof: list[str] = []
        if isinstance(seen, int) and not isinstance(seen, bool) and 0 < seen < own.size:
            own_proof = [h.hex() for h in ledger.prove_consistency(seen, own.size).consistency_path]
        body = json.dumps(
            {
                "witness": own_origin,
                "cosigned": witnessed.cosigned_note,
                "checkpoint": own.note,
                "consistency": own_proof,
            }
        ).encode()
        reply = client.post_witness(body)
        if not reply.ok:
            raise DeliveryError(
                f"the peer answered {reply.status} to our checkpoint", status=reply.status
            )
        try:
            cosigned = codec.text(
                codec.json_object(reply.body, "witness answer"),
                "cosigned",
                max_length=65536,
                multiline=True,
            )
        except codec.FieldError as exc:
            raise DeliveryError(f"the peer's cosignature answer is malformed: {exc}") from None
        verifier = entry.witness_verifier
        assert verifier is not None
        from hanoix.ledger.witness import verify_cosignatures

        if verify_cosignatures(cosigned, [verifier]):
            with self.node.unit_of_work() as session:
                store.add_cosignature(
                    session, entry.origin, own.size, cosigned, self.node.clock.now()
                )
        _log.info(
            "federation.checkpoints_exchanged",
            peer=entry.origin,
            peer_size=witnessed.checkpoint.size,
            own_size=own.size,
        )
        return {"peer": witnessed.as_dict(), "own_size": own.size}
