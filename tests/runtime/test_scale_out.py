"""One node scaled out: two API processes behind a balancer and two delivery workers, each with
a home of its own (as on four machines), sharing one PostgreSQL database and one S3 store
(SeaweedFS), send requests and an evidence package to a peer node and take its answers. Every
envelope reaches the other side once, is delivered by one worker once, and the node's custody
ledger stays gapless and verifies."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hanoix.config import load_settings
from hanoix.federation.directory import Directory
from hanoix.ledger.events import EventKind
from hanoix.services import custody
from hanoix.services.federation import PACKAGE
from hanoix.services.node import Node
from hanoix.store import federation as store
from hanoix.store import ledger as ledger_store
from hanoix.store.blobs import S3BlobStore
from tests.conftest import pg_database
from tests.federation.builders import (
    WHEN,
    DirectoryAuthority,
    directory_authority,
    install_trust,
    settled,
    write_package,
)
from tests.federation.multinode import REPO, free_port, wait_until
from tests.seaweedfs import BUCKET
from tests.services.requests_world import add_people, document, token

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

AUTHORITY_KINDS = (("CA", "central-authority"), ("247", "contact-24-7"))
USERS = {"drafter": ("drafter", "CA"), "approver": ("approver", "CA")}
# Requests each client thread drafts, approves and sends; two threads per API process.
REQUESTS_PER_THREAD = 4
THREADS_PER_API = 2
PACKAGE_BYTES = 1536 * 1024
# The worker claims few envelopes at a time, so that both workers take part in the queue.
WORKER_OPTIONS: dict[str, Any] = {
    "poll_interval": 0.1,
    "batch": 3,
    "concurrency": 2,
    "backoff_base": 0.2,
    "backoff_cap": 1.0,
    # Longer than the test: an envelope delivered twice here is a bug, not a lease that ran out.
    "lease": 300,
    "chunk_size": 256 * 1024,
    # Checkpoints exchanged after every contact, so that both workers often cosign the peer's
    # checkpoint at the same moment (two of three runs sent an envelope twice before the fix).
    "witness_interval": 0.0,
}


def _toml(values: dict[str, Any]) -> str:
    return "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())


def _environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HANOIX_")}
    env["PYTHONPATH"] = str(REPO)
    return env


@dataclass
class Process:
    """One process of a node, started as ``python -m hanoix --home HOME ARGS``."""

    name: str
    home: Path
    args: tuple[str, ...]
    popen: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        return self.home / f"{self.name}.log"

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.popen = subprocess.Popen(
                [sys.executable, "-m", "hanoix", "--home", str(self.home), *self.args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_environment(),
                cwd=self.home,
            )

    def tail(self, lines: int = 40) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name}\n" + "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.terminate()
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def events(self, name: str) -> list[dict[str, Any]]:
        """The JSON log lines of this process whose event is ``name``."""
        found = []
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # the banner, or a line the running process is still writing
            if isinstance(record, dict) and record.get("event") == name:
                found.append(record)
        return found


def wait_healthy(process: Process, port: int, timeout: float = 60.0) -> None:
    def healthy() -> bool:
        assert process.popen is not None
        if process.popen.poll() is not None:
            raise RuntimeError(f"{process.name} exited:\n{process.tail()}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    if not wait_until(healthy, timeout, interval=0.1):
        raise TimeoutError(f"{process.name} did not answer:\n{process.tail()}")


class Balancer:
    """What the State puts in front of its API machines, reduced to a TCP balancer on loopback:
    each connection goes to the next process in turn, and the bytes are passed through."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.connections: Counter[int] = Counter()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self._turn = itertools.count()
        threading.Thread(target=self._accept, name="balancer", daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            port = self.ports[next(self._turn) % len(self.ports)]
            try:
                upstream = socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            self.connections[port] += 1
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pass, args=(source, target), daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def __repr__(self) -> str:
        return f"balancer connections by port: {dict(self.connections)}"


def _pass(source: socket.socket, target: socket.socket) -> None:
    """Copy ``source`` to ``target`` until either side closes, then close both."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    for end in (source, target):
        with contextlib.suppress(OSError):
            end.shutdown(socket.SHUT_RDWR)
        end.close()


@dataclass
class ScaledOut:
    """The sending node (its processes, and a handle on its database from this test) and the
    receiving node (one ordinary process on SQLite)."""

    aut: Node
    vnm: Node
    apis: list[tuple[Process, int]]
    workers: list[Process]
    receiver: Process
    setup_home: Path
    balancer: Balancer

    @property
    def processes(self) -> list[Process]:
        return [*(p for p, _ in self.apis), *self.workers, self.receiver]

    def tails(self) -> str:
        return "\n".join(p.tail() for p in self.processes)


def _init_node(
    home: Path,
    authority: DirectoryAuthority,
    state: str,
    port: int,
    peers_reach: int,
    **options: Any,
) -> Node:
    """A node of ``state`` trusting ``authority``, serving on ``port``, which peers reach on
    ``peers_reach``, with its authorities and users."""
    install_trust(home, authority)
    settings = {"state": state, "origin": f"{state.lower()}.hanoix.test", "port": port}
    (home / "hanoix.toml").write_text(_toml({**settings, **options}))
    federation = {**WORKER_OPTIONS, "base_url": f"http://127.0.0.1:{peers_reach}"}
    (home / "federation.toml").write_text(_toml(federation))
    node = Node.open(load_settings(home, environ={}))
    node.initialise()
    add_people(
        node,
        [(f"{state}-{suffix}", kind, state) for suffix, kind in AUTHORITY_KINDS],
        {user: ({role}, f"{state}-{suffix}") for user, (role, suffix) in USERS.items()},
    )
    return node


@pytest.fixture
def scaled_out(
    tmp_path: Path,
    pg_template: str,
    seaweedfs: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[ScaledOut]:
    # The S3 credentials come from the environment, never from the node's files.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweedfs["access"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweedfs["secret"])
    blob_url = f"s3://{BUCKET}/scale-{tmp_path.name}?endpoint={seaweedfs['endpoint']}"
    authority = directory_authority()
    api_ports = [free_port() for _ in range(2)]
    receiver_port = free_port()
    with pg_database(template=pg_template) as database_url, ExitStack() as nodes:
        # Peers reach the node at one address, its balancer's, whichever process answers.
        balancer = Balancer(api_ports)
        nodes.callback(balancer.close)
        setup = tmp_path / "aut-setup"
        aut = _init_node(
            setup,
            authority,
            "AUT",
            api_ports[0],
            balancer.port,
            database_url=database_url,
            blob_url=blob_url,
            log_level="info",
            log_json=True,
        )
        nodes.callback(aut.close)
        vnm = _init_node(
            tmp_path / "vnm", authority, "VNM", receiver_port, receiver_port, log_level="warning"
        )
        nodes.callback(vnm.close)
        entries = (settled(aut.federation.own_entry()), settled(vnm.federation.own_entry()))
        signed = authority.sign(Directory(1, WHEN, entries))
        aut.federation.import_directory(signed)
        vnm.federation.import_directory(signed)
        # Each process of the sending node gets a home of its own, copied from the one
        # initialised: the keys and the configuration are what the machines share, with
        # the database and the blob store.
        homes = {}
        for name in ("api-1", "api-2", "worker-1", "worker-2"):
            homes[name] = tmp_path / name
            shutil.copytree(setup, homes[name], ignore=shutil.ignore_patterns("*.log"))
        world = ScaledOut(
            aut=aut,
            vnm=vnm,
            apis=[
                (
                    Process(
                        f"api-{n}",
                        homes[f"api-{n}"],
                        ("serve", "--no-worker", "--port", str(port)),
                    ),
                    port,
                )
                for n, port in enumerate(api_ports, start=1)
            ],
            workers=[
                Process(name, homes[name], ("federation", "worker"))
                for name in ("worker-1", "worker-2")
            ],
            receiver=Process("vnm", vnm.settings.home, ("serve",)),
            setup_home=setup,
            balancer=balancer,
        )
        try:
            for process in world.processes:
                process.start()
            for process, port in [*world.apis, (world.receiver, receiver_port)]:
                wait_healthy(process, port)
            started = wait_until(
                lambda: all(w.events("federation.worker_started") for w in world.workers), 60
            )
            assert started, world.tails()
            yield world
        finally:
            for process in world.processes:
                process.stop()


def _send_requests(base: str, headers: dict[str, dict[str, str]], count: int) -> list[str]:
    """Draft, submit, approve and send ``count`` requests through one API process."""
    references = []
    with httpx.Client(base_url=base, timeout=30) as client:
        for _ in range(count):
            created = client.post("/api/v1/requests", json=document(), headers=headers["drafter"])
            assert created.status_code == 201, created.text
            reference = created.json()["reference"]
            for step, who, version in (
                ("submit", "drafter", 1),
                ("approve", "approver", 2),
                ("send", "drafter", 3),
            ):
                answer = client.post(
                    f"/api/v1/requests/{reference}/{step}",
                    headers={**headers[who], "If-Match": f'"{version}"'},
                )
                assert answer.status_code == 200, answer.text
            references.append(reference)
    return references


def _send_package(world: ScaledOut, package: Path) -> str:
    """Queue a package from the command line (an operator's shell: a fifth process)."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "hanoix",
            "--home",
            str(world.setup_home),
            "federation",
            "send-package",
            str(package),
            "--to",
            "vnm.hanoix.test",
            "--json",
        ],
        capture_output=True,
        env=_environment(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    envelope_id: str = json.loads(done.stdout)["envelope_id"]
    return envelope_id


def _outbox(node: Node) -> list[store.OutboxItem]:
    with node.unit_of_work() as session:
        return store.list_outbox(session, limit=100_000)


def _inbox(node: Node) -> list[store.InboxItem]:
    with node.unit_of_work() as session:
        return store.list_inbox(session, None, pending_only=False, limit=100_000)


def _settled(world: ScaledOut, requests: int) -> bool:
    """Everything sent is delivered, and every acknowledgement came back."""
    outbox = _outbox(world.aut)
    return (
        len(outbox) == requests + 1
        and all(item.status == store.DELIVERED for item in outbox)
        and len(_inbox(world.aut)) >= requests
        and all(item.status == store.DELIVERED for item in _outbox(world.vnm))
    )


def test_two_api_processes_and_two_workers_deliver_each_envelope_once_and_keep_the_ledger(
    scaled_out: ScaledOut, tmp_path: Path
) -> None:
    world = scaled_out
    headers = {user: token(world.aut, user) for user in USERS}
    package = write_package(tmp_path, PACKAGE_BYTES, seed=7)
    with ThreadPoolExecutor(max_workers=len(world.apis) * THREADS_PER_API + 1) as pool:
        sending = [
            pool.submit(_send_requests, f"http://127.0.0.1:{port}", headers, REQUESTS_PER_THREAD)
            for _, port in world.apis
            for _ in range(THREADS_PER_API)
        ]
        package_envelope = pool.submit(_send_package, world, package)
        references = [reference for future in sending for reference in future.result()]
        package_sent = package_envelope.result()
    requests = len(references)
    assert len(set(references)) == requests  # no reference handed out twice

    assert wait_until(lambda: _settled(world, requests), 60, interval=0.3), world.tails()

    # The peer holds each envelope once, and was never handed one a second time.
    sent = {item.envelope_id: item for item in _outbox(world.aut)}
    with world.aut.unit_of_work() as session:
        receipts = [store.get_receipt(session, envelope_id) for envelope_id in sent]
    assert all(receipt is not None for receipt in receipts)  # each acknowledged, signed
    arrived = _inbox(world.vnm)
    assert sorted(item.envelope_id for item in arrived) == sorted(sent)
    assert [item.envelope_id for item in arrived if item.duplicates] == []
    assert Counter(item.type for item in arrived) == {"request.sent": requests, PACKAGE: 1}
    # And the peer's answers reached the node once each, through the balancer: both API
    # processes took some.
    answers = sorted(item.envelope_id for item in _outbox(world.vnm))
    assert sorted(item.envelope_id for item in _inbox(world.aut)) == answers
    for process, _ in world.apis:
        taken = [
            event
            for event in process.events("http.request")
            if event["route"].startswith("/federation/v1/envelopes") and event["status"] == 200
        ]
        assert taken, f"{process.name} took none of the peer's envelopes; {world.balancer}"
    # Each was delivered by one attempt of one worker, and both workers took part.
    delivered_by = {
        w.name: [e["envelope"] for e in w.events("federation.delivered")] for w in world.workers
    }
    counted = Counter(envelope for found in delivered_by.values() for envelope in found)
    assert counted == Counter(dict.fromkeys(sent, 1)), world.tails()
    assert all(delivered_by.values()), delivered_by
    assert all(item.attempts == 1 for item in sent.values()), world.tails()

    # The package travelled from the S3 store; none of the sending node's homes kept a copy.
    with world.aut.unit_of_work() as session:
        (transfer,) = store.list_transfers(session, "out")
    assert sent[package_sent].transfer_id == transfer.id
    assert transfer.status == "delivered" and transfer.blob_key is not None
    assert isinstance(world.aut.blobs, S3BlobStore)
    assert world.aut.blobs.exists(transfer.blob_key)
    homes = [world.setup_home, *(p.home for p, _ in world.apis), *(w.home for w in world.workers)]
    assert [p for home in homes for p in (home / "blobs").rglob("*") if p.is_file()] == []
    with world.vnm.unit_of_work() as session:
        (received,) = store.list_transfers(session, "in")
    assert received.sha256 == transfer.sha256 and received.size == package.stat().st_size

    # Every request came back acknowledged, as either API process shows.
    statuses = {
        reference: httpx.get(
            f"http://127.0.0.1:{world.apis[1][1]}/api/v1/requests/{reference}",
            headers=headers["drafter"],
        ).json()["status"]
        for reference in references
    }
    assert set(statuses.values()) == {"received"}, statuses

    # The ledger: one entry per index from 0, one package.sent for the one package, and the
    # whole log verifies against every checkpoint the processes signed.
    with world.aut.unit_of_work() as session:
        indices = list(
            session.scalars(
                select(ledger_store.entries_table.c.idx).order_by(ledger_store.entries_table.c.idx)
            )
        )
        head = ledger_store.tree_head(session)
    assert indices == list(range(head.size))
    kinds = Counter(
        json.loads(entry.entry)["kind"] for entry in custody.CustodyLedger(world.aut).entries()
    )
    assert kinds[EventKind.PACKAGE_SENT.value] == 1
    assert kinds[EventKind.REQUEST_CREATED.value] == requests
    assert kinds[EventKind.REQUEST_SENT.value] == requests
    verified = subprocess.run(
        [
            sys.executable,
            "-m",
            "hanoix",
            "--home",
            str(world.apis[0][0].home),
            "ledger",
            "verify",
            "--json",
        ],
        capture_output=True,
        env=_environment(),
        timeout=60,
        check=False,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert report["verified"] is True and report["entries"] == head.size
    assert report["checkpoints_checked"] >= 1
