"""Running a node with federation: the HTTP servers and the delivery worker, as role flags.

``hanoix serve`` runs, in one process:

* the node's application on its loopback port (plain HTTP; the federation routes are there too,
  for tests and the demo);
* with ``tls = true`` in ``federation.toml``, a second listener serving only ``/federation/v1``
  over HTTPS with mutual TLS: the node's certificate, client certificates required and accepted
  only from the directory's nodes (``HOME/federation/peers.pem``, rewritten on each directory
  import and followed by the running listener: a node added is accepted, one removed refused,
  from the next handshake);
* unless disabled (``--no-worker``, ``worker = false``), the delivery worker in a thread.

``hanoix federation worker`` runs the worker alone (the same code, another process).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from typing import Any

import uvicorn
from fastapi import FastAPI

from hanoix.api import headers, problems
from hanoix.api.federation import peer_router
from hanoix.federation.transport import FollowingServerContext
from hanoix.logs import get_logger, stdlib_log_config
from hanoix.runtime.worker import Worker
from hanoix.services.node import Node

_log = get_logger("hanoix.federation.serving")


def federation_app(node: Node) -> FastAPI:
    """An application with the node-to-node API only (for the TLS listener)."""
    app = FastAPI(title="Hanoi Exchange federation", docs_url=None, redoc_url=None)
    app.state.node = node
    problems.install(app)
    app.include_router(peer_router)
    headers.install(app)
    return app


def tls_context(node: Node) -> ssl.SSLContext:
    """The TLS listener's context: it accepts the nodes of the directory in force, also after
    a directory import while it runs (see :class:`FollowingServerContext`)."""
    federation = node.federation
    with node.unit_of_work() as session:
        directory = federation.directory(session)
    if directory is not None:
        federation.write_peer_certificates(directory)
    return FollowingServerContext(federation.identity().tls, federation.peers_file()).listening


def start_worker(node: Node) -> tuple[threading.Event, threading.Thread]:
    stop = threading.Event()
    worker = Worker(node.federation)

    def loop() -> None:
        try:
            worker.run(stop)
        finally:
            worker.close()

    thread = threading.Thread(target=loop, name="hanoix-federation-worker", daemon=True)
    thread.start()
    return stop, thread


async def _serve_all(servers: list[uvicorn.Server]) -> None:
    async def watch() -> None:
        # Each server handles the signals; when one is told to stop, stop them all.
        while not any(server.should_exit for server in servers):
            await asyncio.sleep(0.2)
        for server in servers:
            server.should_exit = True

    await asyncio.gather(watch(), *(server.serve() for server in servers))


def run(
    node: Node,
    app: FastAPI,
    *,
    host: str,
    port: int,
    log_level: str,
    worker: bool | None = None,
) -> None:
    """Serve ``app`` (and the TLS listener, and the worker, as the node's federation settings
    say) until stopped."""
    settings = node.federation.settings
    # Proxy headers are the application's to read, under the node's trusted_proxies setting
    # (hanoix.api.app); uvicorn's own default would believe any local peer.
    common: dict[str, Any] = {
        "log_level": log_level,
        "log_config": stdlib_log_config(),
        "access_log": False,  # the app logs each request itself (api/logging_middleware.py)
        "server_header": False,
        "proxy_headers": False,
    }
    servers = [uvicorn.Server(uvicorn.Config(app, host=host, port=port, **common))]
    if settings.tls:
        context = tls_context(node)
        config = uvicorn.Config(
            federation_app(node),
            host=settings.tls_host,
            port=settings.tls_port,
            ssl_context_factory=lambda _config, _default: context,
            **common,
        )
        servers.append(uvicorn.Server(config))
        _log.info("federation.tls_listener", url=f"https://{settings.tls_host}:{settings.tls_port}")
    run_worker = settings.worker if worker is None else worker
    stop: threading.Event | None = None
    thread: threading.Thread | None = None
    if run_worker:
        stop, thread = start_worker(node)
    try:
        asyncio.run(_serve_all(servers))
    finally:
        if stop is not None and thread is not None:
            stop.set()
            node.federation.state.outbox_signal.set()
            thread.join(timeout=10)
