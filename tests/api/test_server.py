"""The server as a user starts it: a real process on a loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hanoix.api.server import require_loopback
from hanoix.errors import ConfigurationError


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
