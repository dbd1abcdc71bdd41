"""Start a node's HTTP server: plain HTTP on loopback only, on a free port, with its
federation listener and worker (:mod:`hanoix.runtime.serving`)."""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
import sys
import threading
import time

from hanoix.api.app import API_PREFIX, create_app
from hanoix.config import Settings
from hanoix.errors import ConfigurationError
from hanoix.logs import configure_logging, get_logger
from hanoix.runtime import serving
from hanoix.services.node import Node


def require_loopback(host: str) -> None:
    """Plain HTTP never leaves the machine: TLS comes with federation and a proxy."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigurationError(
            f"refusing to bind {host}: plain HTTP is served on loopback only "
            "(bind 127.0.0.1 and put a TLS-terminating proxy in front)"
        )


def _require_free_port(host: str, port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigurationError(
                    f"port {port} on {host} is already in use: stop the other server or "
                    f"choose another with --port (or HANOIX_PORT)"
                ) from exc
            raise ConfigurationError(f"cannot bind {host}:{port}: {exc.strerror}") from exc


def _stop_without_parent(parent: int) -> None:
    """Stop this server as SIGTERM would once ``parent`` is gone: an orphan is adopted by
    another process, so its parent's id changes."""
    while os.getppid() == parent:
        time.sleep(1.0)
    get_logger("hanoix.server").warning("node.parent_gone", parent=parent)
    os.kill(os.getpid(), signal.SIGTERM)


def serve_node(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    worker: bool | None = None,
    workers: int = 1,
    parent: int | None = None,
) -> None:
    if workers < 1:
        raise ConfigurationError(f"--workers {workers}: serve with 1 API process or more")
    bind_host = host or settings.host
    bind_port = settings.port if port is None else port
    require_loopback(bind_host)
    _require_free_port(bind_host, bind_port)
    configure_logging(settings.log_level, settings.log_json)
    node = Node.open(settings)
    node.initialise()
    url = f"http://{bind_host}:{bind_port}/"
    get_logger("hanoix.server").info("node.start", url=url, home=str(settings.home.resolve()))
    if not settings.log_json:
        # The URL is the one thing a person starting the demo needs to see; a log collector
        # reading JSON lines has it in node.start.
        print(
            f"Hanoi Exchange node at {url}  (API: {url.rstrip('/')}{API_PREFIX}/docs)",
            file=sys.stderr,
            flush=True,
        )
    if parent is not None:
        threading.Thread(
            target=_stop_without_parent, args=(parent,), name="hanoix-parent", daemon=True
        ).start()
    # The app, plus the federation TLS listener and delivery worker as configured.
    if workers > 1:
        serving.run_processes(
            node,
            host=bind_host,
            port=bind_port,
            log_level=settings.log_level,
            workers=workers,
            worker=worker,
        )
        return
    serving.run(
        node,
        create_app(node),
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        worker=worker,
    )
