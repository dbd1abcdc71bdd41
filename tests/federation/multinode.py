"""A harness that runs real ``python -m hanoix serve`` processes on loopback ports.

Each node has its own home (SQLite, keys, blobs); the harness initialises them, signs one
directory listing them all with a test directory authority, imports it everywhere, starts the
servers and waits until each answers its health check. Nodes can be killed with SIGKILL and
restarted. The test process opens the same homes to enqueue and inspect (SQLite in WAL mode
with a busy timeout is shared safely between processes).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from hanoix.config import load_settings
from hanoix.federation.directory import Directory
from hanoix.services.federation import Federation
from hanoix.services.node import Node
from tests.federation.builders import (
    WHEN,
    DirectoryAuthority,
    directory_authority,
    install_trust,
    settled,
)

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _toml(values: dict[str, Any]) -> str:
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int | float):
            lines.append(f"{key} = {value}")
        elif isinstance(value, list | tuple):
            lines.append(
                f"{key} = [{', '.join(repr(str(v)).replace(chr(39), chr(34)) for v in value)}]"
            )
        else:
            lines.append(f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


@dataclass
class NodeProcess:
    name: str
    home: Path
    port: int
    tls_port: int | None
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _node: Node | None = field(default=None, repr=False)

    @property
    def settings(self) -> Any:
        return load_settings(self.home, environ={})

    @property
    def node(self) -> Node:
        if self._node is None:
            self._node = Node.open(self.settings)
        return self._node

    @property
    def federation(self) -> Federation:
        return self.node.federation

    @property
    def origin(self) -> str:
        return f"{self.name}.hanoix.test"

    def start(self) -> None:
        log = (self.home / f"serve-{self.starts}.log").open("wb")
        self.starts += 1
        env = {key: value for key, value in os.environ.items() if not key.startswith("HANOIX_")}
        env["PYTHONPATH"] = str(REPO)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "hanoix", "--home", str(self.home), "serve"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.home,
        )
        log.close()

    def wait_healthy(self, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/api/v1/health"
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"node {self.name} exited: {self.log_tail()}")
            try:
                if httpx.get(url, timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"node {self.name} did not become healthy: {self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        logs = sorted(self.home.glob("serve-*.log"))
        if not logs:
            return ""
        return "\n".join(logs[-1].read_text(errors="replace").splitlines()[-lines:])

    def kill(self) -> None:
        """SIGKILL: no cleanup, no flush, as a power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self._node is not None:
            self._node.close()
            self._node = None


@dataclass
class Cluster:
    nodes: dict[str, NodeProcess]
    authority: DirectoryAuthority
    serial: int = 1
    directory: Directory | None = None

    def __getitem__(self, name: str) -> NodeProcess:
        return self.nodes[name]

    def publish(self, directory: Directory) -> None:
        """Sign and import a new directory on every node (running nodes see it at once)."""
        self.serial += 1
        from dataclasses import replace

        directory = replace(directory, serial=self.serial)
        data = self.authority.sign(directory)
        for member in self.nodes.values():
            member.federation.import_directory(data)
        self.directory = directory

    def stop(self) -> None:
        for member in self.nodes.values():
            member.stop()


def start_cluster(
    tmp_path: Path,
    names: list[str],
    *,
    federation: dict[str, Any] | None = None,
    tls: bool = False,
    states: tuple[str, ...] = ("AUT", "VNM", "BRA", "KEN"),
    database_urls: dict[str, str] | None = None,
) -> Cluster:
    authority = directory_authority()
    nodes: dict[str, NodeProcess] = {}
    for position, name in enumerate(names):
        home = tmp_path / name
        home.mkdir(parents=True, exist_ok=True)  # a test may have mounted a disk there
        port = free_port()
        tls_port = free_port() if tls else None
        install_trust(home, authority)
        node_options: dict[str, Any] = {
            "state": states[position],
            "origin": f"{name}.hanoix.test",
            "port": port,
            "log_level": "warning",
        }
        if database_urls and name in database_urls:
            node_options["database_url"] = database_urls[name]
        (home / "hanoix.toml").write_text(_toml(node_options))
        options: dict[str, Any] = {
            "poll_interval": 0.1,
            "backoff_base": 0.2,
            "backoff_cap": 1.0,
            "lease": 5,
            "connect_timeout": 2,
            "read_timeout": 5,
            "witness_interval": 2,
            **(federation or {}),
        }
        if tls:
            options.update(
                {"tls": True, "tls_port": tls_port, "base_url": f"https://127.0.0.1:{tls_port}"}
            )
        else:
            options["base_url"] = f"http://127.0.0.1:{port}"
        (home / "federation.toml").write_text(_toml(options))
        member = NodeProcess(name, home, port, tls_port)
        member.node.initialise()
        nodes[name] = member
    entries = tuple(settled(m.federation.own_entry()) for m in nodes.values())
    directory = Directory(1, WHEN, entries)
    data = authority.sign(directory)
    for member in nodes.values():
        member.federation.import_directory(data)
    cluster = Cluster(nodes, authority, 1, directory)
    try:
        for member in nodes.values():
            member.start()
        for member in nodes.values():
            member.wait_healthy()
    except BaseException:
        cluster.stop()
        raise
    return cluster


def wait_until(predicate: Any, timeout: float, interval: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


def running(cluster: Cluster) -> Iterator[Cluster]:
    try:
        yield cluster
    finally:
        cluster.stop()
