"""An application served by uvicorn on a free loopback port, in a thread of the test process:
for clients that must talk real HTTP to it (a browser, schemathesis's command line)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from starlette.types import ASGIApp


@contextmanager
def served_in_thread(app: ASGIApp, *, ready_path: str = "/api/v1/health") -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1; yield its base URL once ``ready_path`` answers."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120  # a loaded two-core machine starts slowly
    while time.monotonic() < deadline:
        try:
            httpx.get(base + ready_path, timeout=30)
            break
        except httpx.TransportError:
            time.sleep(0.2)
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=30)
