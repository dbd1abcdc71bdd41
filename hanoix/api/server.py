"""Run the node's HTTP server with uvicorn."""

from __future__ import annotations

import ipaddress

import uvicorn

from hanoix.api.app import create_app
from hanoix.config import Settings
from hanoix.errors import ConfigurationError
from hanoix.logs import configure_logging, get_logger
from hanoix.services.node import Node


def _require_loopback(host: str) -> None:
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ConfigurationError(
            f"refusing to bind {host}: plain HTTP is served on loopback only "
            "(put a TLS-terminating proxy in front, or bind 127.0.0.1)"
        )


def serve_node(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    bind_host = host or settings.host
    bind_port = settings.port if port is None else port
    _require_loopback(bind_host)
    configure_logging(settings.log_level, settings.log_json)
    node = Node.open(settings)
    node.initialise()
    log = get_logger("hanoix.server")
    log.info("node.start", url=f"http://{bind_host}:{bind_port}/", home=str(settings.home))
    uvicorn.run(
        create_app(node),
        host=bind_host,
        port=bind_port,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
    )
