"""Running a node with federation: the HTTP servers and the delivery worker, as role flags.

``hanoix serve`` runs, in one process:

* the node's application on its loopback port (plain HTTP; the federation routes are there too,
  for tests and the demo);
* with ``tls = true`` in ``federation.toml``, a second listener serving only ``/federation/v1``
  over HTTPS with mutual TLS: the node's certificate, client certificates required and accepted
  only from the directory's nodes (``HOME/federation/peers.pem``, rewritten on each directory
  import and followed by the running listener: a node added is accepted, one removed refused,
  from the next handshake);
* unless disabled (``--no-worker``, ``worker = false``), the delivery worker in a thread;
* unless ``retention_interval_minutes`` is 0, the retention run (docs/retention.md) in a
  thread, every that many minutes.

With ``--workers N`` (N > 1) the application is served by N processes on the one port
(:func:`run_processes`); the TLS listener and the delivery worker run once, in the process
that starts and supervises them.

``hanoix federation worker`` runs the worker alone (the same code, another process).
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from functools import partial
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.supervisors import Multiprocess

from hanoix.api import headers, problems
from hanoix.api.app import create_app
from hanoix.api.federation import peer_router
from hanoix.config import Settings
from hanoix.errors import ConfigurationError
from hanoix.federation.transport import FollowingServerContext
from hanoix.logs import configure_logging, get_logger, stdlib_log_config
from hanoix.runtime.worker import Worker, favour_short_steps
from hanoix.services.node import Node
from hanoix.services.retention import Scheduler

_log = get_logger("hanoix.federation.serving")


def prepare_routes(app: FastAPI) -> FastAPI:
    """Build every route's matching state before the first request, not during it.

    FastAPI builds an included router's routes lazily, the first time a request is matched
    against them: measured here, 0.35 s of CPU for the node's application, paid by whichever
    request came first (a peer's first batch, an officer's first page). A path that no route
    has is matched against every one of them, which builds them all.
    """
    scope = {"type": "http", "method": "GET", "path": "/\x00", "root_path": "", "headers": []}
    for route in app.router.routes:
        route.matches(scope)
    return app


def federation_app(node: Node) -> FastAPI:
    """An application with the node-to-node API only (for the TLS listener)."""
    app = FastAPI(title="Hanoi Exchange federation", docs_url=None, redoc_url=None)
    app.state.node = node
    problems.install(app)
    app.include_router(peer_router)
    headers.install(app)
    return prepare_routes(app)


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


def _common(log_level: str) -> dict[str, Any]:
    # Proxy headers are the application's to read, under the node's trusted_proxies setting
    # (hanoix.api.app); uvicorn's own default would believe any local peer.
    return {
        "log_level": log_level,
        "log_config": stdlib_log_config(),
        "access_log": False,  # the app logs each request itself (api/logging_middleware.py)
        "server_header": False,
        "proxy_headers": False,
    }


def _tls_server(node: Node, common: dict[str, Any]) -> uvicorn.Server | None:
    settings = node.federation.settings
    if not settings.tls:
        return None
    context = tls_context(node)
    config = uvicorn.Config(
        federation_app(node),
        host=settings.tls_host,
        port=settings.tls_port,
        ssl_context_factory=lambda _config, _default: context,
        **common,
    )
    _log.info("federation.tls_listener", url=f"https://{settings.tls_host}:{settings.tls_port}")
    return uvicorn.Server(config)


def _start_delivery(
    node: Node, worker: bool | None
) -> tuple[threading.Event | None, threading.Thread | None]:
    run_worker = node.federation.settings.worker if worker is None else worker
    return start_worker(node) if run_worker else (None, None)


def _stop_delivery(
    node: Node, stop: threading.Event | None, thread: threading.Thread | None
) -> None:
    if stop is not None and thread is not None:
        stop.set()
        node.federation.state.outbox_signal.set()
        thread.join(timeout=10)


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
    favour_short_steps()
    common = _common(log_level)
    prepare_routes(app)
    servers = [uvicorn.Server(uvicorn.Config(app, host=host, port=port, **common))]
    tls = _tls_server(node, common)
    if tls is not None:
        servers.append(tls)
    stop, thread = _start_delivery(node, worker)
    retention = Scheduler(node)
    retention.start()
    # The event loop uvicorn itself would run (uvloop, where installed), not asyncio's own.
    loop_factory = servers[0].config.get_loop_factory()
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            runner.run(_serve_all(servers))
    finally:
        retention.stop()
        _stop_delivery(node, stop, thread)


def run_listener(node: Node, *, log_level: str) -> None:
    """Serve the mutual-TLS listener alone until stopped (``hanoix federation listen``): for a
    deployment that runs the API (``hanoix serve`` with ``tls = false``), the listener and the
    delivery worker as separate services (deploy/systemd/)."""
    favour_short_steps()
    common = _common(log_level)
    tls = _tls_server(node, common)
    if tls is None:
        raise ConfigurationError(
            "the federation TLS listener is off: set tls = true in HOME/federation.toml "
            "(or HANOIX_FEDERATION_TLS=true)"
        )
    loop_factory = tls.config.get_loop_factory()
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        runner.run(_serve_all([tls]))


def worker_app(settings: Settings) -> FastAPI:
    """The application of one API process of :func:`run_processes`. The process is a fresh
    interpreter: it sets up logging and opens the node again (the parent upgraded the schema)."""
    configure_logging(settings.log_level, settings.log_json)
    favour_short_steps()
    return prepare_routes(create_app(Node.open(settings)))


def run_processes(
    node: Node,
    *,
    host: str,
    port: int,
    log_level: str,
    workers: int,
    worker: bool | None = None,
) -> None:
    """Serve the node's application from ``workers`` processes sharing one listening socket,
    until stopped; uvicorn's supervisor replaces a process that dies.

    One Python process runs on one core at a time (the GIL): several use the machine's cores.
    The node keeps nothing between calls that the processes would have to share (the database
    holds it all), as for several API machines behind a load balancer. The TLS listener and
    the delivery worker stay one each, in this process, as ``run`` has them."""
    favour_short_steps()
    common = _common(log_level)
    # The application travels to each process as the recipe to build it (spawned processes
    # receive their configuration pickled; an application with its engine cannot be).
    config = uvicorn.Config(
        partial(worker_app, node.settings),
        factory=True,
        host=host,
        port=port,
        workers=workers,
        **common,
    )
    listening = config.bind_socket()
    tls = _tls_server(node, common)
    tls_thread: threading.Thread | None = None
    if tls is not None:
        tls_thread = threading.Thread(
            target=asyncio.run, args=(tls.serve(),), name="hanoix-federation-tls", daemon=True
        )
        tls_thread.start()
    stop, thread = _start_delivery(node, worker)
    retention = Scheduler(node)
    retention.start()
    try:
        Multiprocess(config, sockets=[listening]).run()
    finally:
        if tls is not None and tls_thread is not None:
            tls.should_exit = True
            tls_thread.join(timeout=10)
        retention.stop()
        _stop_delivery(node, stop, thread)
        listening.close()
