"""The server as a user starts it: a real process on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from hanoix.config import load_settings
from hanoix.errors import ConfigurationError
from hanoix.runtime.server import require_loopback
from hanoix.services import auth
from hanoix.services.node import Node


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_starts_prints_its_url_and_answers_health(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "HANOIX_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "hanoix", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1)
                body = response.json()
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert body is not None, "server did not answer in time"
        assert body["status"] == "ok"
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=15)
    assert f"http://127.0.0.1:{port}/" in err
    assert (tmp_path / "home" / "hanoix.db").is_file()


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.org"])
def test_serve_refuses_to_bind_beyond_loopback(host: str) -> None:
    with pytest.raises(ConfigurationError, match="loopback"):
        require_loopback(host)


def test_serve_on_a_busy_port_is_a_clear_error(cli: object, tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = cli("--home", tmp_path / "h", "serve", "--port", str(port))  # type: ignore[operator]
    assert result.exit_code == 2
    assert "already in use" in result.stderr


@contextmanager
def _serving(home: Path, **env: str) -> Iterator[str]:
    """``hanoix serve`` on a free loopback port, as a user starts it; yields its base URL."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hanoix", "serve", "--port", str(port), "--no-worker"],
        env={**os.environ, "HANOIX_HOME": str(home), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                httpx.get(f"{base}/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=15)


@pytest.mark.parametrize(("trusted", "secure"), [(None, True), ("192.0.2.1", False)])
def test_the_scheme_the_proxy_forwards_is_believed_from_trusted_proxies_only(
    tmp_path: Path, trusted: str | None, secure: bool
) -> None:
    home = tmp_path / "home"
    node = Node.open(load_settings(home, environ={}))
    node.initialise()
    with node.unit_of_work() as session:
        auth.add_authority(
            session, node.clock, auth.Authority("AUT-CA", "CA", "central-authority", "AUT")
        )
        auth.add_user(
            session, node.clock, username="lea", display_name="Lea", roles={"drafter"},
            authority="AUT-CA", password="correct horse battery",
        )  # fmt: skip
    node.close()
    env = {"HANOIX_TRUSTED_PROXIES": trusted} if trusted else {}
    with _serving(home, **env) as base:
        signed_in = httpx.post(
            f"{base}/api/v1/auth/login",
            json={"username": "lea", "password": "correct horse battery"},
            headers={"X-Forwarded-Proto": "https"},
        )
    assert signed_in.status_code == 200
    assert ("secure" in signed_in.headers["set-cookie"].lower()) is secure


def _api_processes(parent: int) -> list[int]:
    """The processes ``parent`` spawned to serve the API (not multiprocessing's helper)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [
        int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def test_serve_with_workers_answers_from_that_many_processes_and_stops_them(
    tmp_path: Path,
) -> None:
    port = _free_port()
    command = ["serve", "--port", str(port), "--no-worker", "--workers", "2"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "hanoix", *command],
        env={**os.environ, "HANOIX_HOME": str(tmp_path / "home")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        answers: list[int] = []
        while proc.poll() is None and time.monotonic() < deadline and len(answers) < 20:
            try:
                answers.append(httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code)
            except httpx.TransportError:
                time.sleep(0.2)
        assert answers == [200] * 20
        workers = _api_processes(proc.pid)
        assert len(workers) == 2
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_serve_with_no_workers_is_a_usage_error(cli: object, tmp_path: Path) -> None:
    result = cli("--home", tmp_path / "h", "serve", "--workers", "0")  # type: ignore[operator]
    assert result.exit_code == 2
    assert "--workers" in result.stderr


def test_a_server_started_with_parent_stops_when_that_parent_is_killed(tmp_path: Path) -> None:
    # The demo starts its nodes with --parent: a demo killed outright (SIGKILL, no handler
    # runs) must not leave three servers behind on their ports.
    port = _free_port()
    log = tmp_path / "serve.log"
    env = {**os.environ, "HANOIX_HOME": str(tmp_path / "home")}
    middle = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, subprocess, sys, time\n"
            "with open(sys.argv[2], 'wb') as log:\n"
            "    subprocess.Popen([sys.executable, '-m', 'hanoix', 'serve', '--port', sys.argv[1],"
            " '--parent', str(os.getpid())], stdout=log, stderr=subprocess.STDOUT)\n"
            "time.sleep(600)\n",
            str(port),
            str(log),
        ],
        env=env,
    )
    try:

        def answers() -> bool:
            try:
                return httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).is_success
            except httpx.TransportError:
                return False

        deadline = time.monotonic() + 30
        while not answers() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert answers(), log.read_text()
        middle.kill()
        middle.wait(timeout=10)
        deadline = time.monotonic() + 20
        while answers() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not answers(), "the server outlived its parent"
        assert "node.parent_gone" in log.read_text()
    finally:
        middle.kill()
