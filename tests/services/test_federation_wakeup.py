"""Another process of the host that queues an urgent envelope wakes the running workers at
once, through a Unix datagram socket each of them listens on in the node's home."""

from __future__ import annotations

import socket
import stat
import threading
import time
from pathlib import Path

from hanoix.services.federation import Message
from hanoix.services.federation.wakeup import WakeListener, wake_folder, wake_workers
from hanoix.services.node import Node
from hanoix.store import federation as store
from tests.federation.builders import Router, make_network, worker_for
from tests.services.federation_world import outbox


def test_a_listening_worker_is_woken_and_its_socket_is_its_users_alone(tmp_path: Path) -> None:
    woken = threading.Event()
    listener = WakeListener(tmp_path, woken.set)
    assert listener.start()
    try:
        [path] = list(wake_folder(tmp_path).glob("*.sock"))
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0
        wake_workers(tmp_path)
        assert woken.wait(timeout=5)
    finally:
        listener.close()
    assert not path.exists()


def test_waking_removes_the_socket_of_a_worker_that_died_and_never_raises(tmp_path: Path) -> None:
    assert wake_folder(tmp_path).exists() is False
    wake_workers(tmp_path)  # nobody listens: nothing to do
    wake_folder(tmp_path).mkdir(parents=True)
    dead = wake_folder(tmp_path) / "1-dead.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as gone:
        gone.bind(str(dead))  # closed without removing its file, as when a worker is killed
    wake_workers(tmp_path)
    assert not dead.exists()


def test_a_home_whose_path_is_too_long_for_a_socket_is_woken_too(tmp_path: Path) -> None:
    home = tmp_path / ("h" * 120)
    woken = threading.Event()
    listener = WakeListener(home, woken.set)
    assert listener.start()
    try:
        wake_workers(home)
        assert woken.wait(timeout=5)
    finally:
        listener.close()


def test_an_urgent_envelope_queued_by_another_process_wakes_an_idle_worker(
    tmp_path: Path,
) -> None:
    # A poll far longer than the test waits: only the wake-up can deliver in time.
    net = make_network(tmp_path, ["a", "b"], settings={"poll_interval": 60.0})
    worker = worker_for(net["a"], Router(net))
    # The node as another process opens it: its own federation state, so no in-process signal.
    other = Node.open(
        net["a"].node.settings,
        clock=net["a"].clock,
        federation_settings=net["a"].federation.settings,
    )
    stop = threading.Event()
    loop = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not list(wake_folder(tmp_path / "a").glob("*")):
            time.sleep(0.01)  # the worker is listening...
        time.sleep(0.2)  # ...and its lanes are asleep in their 60-second waits
        with other.unit_of_work() as session:
            envelope_id = other.federation.enqueue(
                session, Message(net["b"].origin, "federation.notice", {"text": "now"}, urgent=True)
            ).header.id
        while time.monotonic() < deadline and outbox(net, "a")[envelope_id].status != (
            store.DELIVERED
        ):
            time.sleep(0.02)
        assert outbox(net, "a")[envelope_id].status == store.DELIVERED
        assert time.monotonic() < deadline
    finally:
        stop.set()
        net["a"].node.federation_state.outbox_signal.set()
        net["a"].node.federation_state.urgent_signal.set()
        loop.join(timeout=20)
        worker.close()
        other.close()
        net.close()
