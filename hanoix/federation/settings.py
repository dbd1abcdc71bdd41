"""Federation settings: ``HOME/federation.toml`` and ``HANOIX_FEDERATION_*`` variables.

Kept apart from the node's :class:`~hanoix.config.Settings` so that a node that does not
federate needs nothing. Precedence, highest first: explicit overrides, environment variables,
the file, the defaults. Example file::

    base_url = "https://aut.example.org:8471"   # what the directory lists for this node
    tls = true                 # serve /federation/v1 on its own HTTPS port, mutual TLS
    tls_host = "0.0.0.0"
    tls_port = 8471
    worker = true              # run the delivery worker inside 'hanoix serve'
    backoff_base = 2.0         # seconds; delay = min(cap, base * 2**(attempt-1)) * jitter
    backoff_cap = 600.0
    backoff_jitter = 0.5       # the delay is drawn from [(1 - jitter) * d, d]
    max_skew = 300             # seconds of clock difference tolerated between nodes
    clock_tolerance = 120      # seconds of difference reported as a peer's clock drifting
    plugins = ["hanoix_extra.messages"]   # modules that register message types
"""

from __future__ import annotations

import os
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hanoix.config import Settings, setting_names, settings_error
from hanoix.errors import ConfigurationError
from hanoix.federation.errors import FederationConfigError

FILE_NAME = "federation.toml"
TRUST_FILE = "directory-trust.pub"

_ENV_PREFIX = "HANOIX_FEDERATION_"
_ENV = {
    "HANOIX_FEDERATION_BASE_URL": "base_url",
    "HANOIX_FEDERATION_TLS": "tls",
    "HANOIX_FEDERATION_TLS_HOST": "tls_host",
    "HANOIX_FEDERATION_TLS_PORT": "tls_port",
    "HANOIX_FEDERATION_WORKER": "worker",
    "HANOIX_FEDERATION_BACKOFF_BASE": "backoff_base",
    "HANOIX_FEDERATION_BACKOFF_CAP": "backoff_cap",
    "HANOIX_FEDERATION_BACKOFF_JITTER": "backoff_jitter",
    "HANOIX_FEDERATION_MAX_SKEW": "max_skew",
    "HANOIX_FEDERATION_CLOCK_TOLERANCE": "clock_tolerance",
    "HANOIX_FEDERATION_POLL_INTERVAL": "poll_interval",
    "HANOIX_FEDERATION_LEASE": "lease",
    "HANOIX_FEDERATION_CONNECT_TIMEOUT": "connect_timeout",
    "HANOIX_FEDERATION_READ_TIMEOUT": "read_timeout",
    "HANOIX_FEDERATION_CHUNK_SIZE": "chunk_size",
    "HANOIX_FEDERATION_BATCH": "batch",
    "HANOIX_FEDERATION_CONCURRENCY": "concurrency",
    "HANOIX_FEDERATION_ENVELOPE_VERSION": "envelope_version",
    "HANOIX_FEDERATION_TTL": "ttl",
    "HANOIX_FEDERATION_MAX_TRANSFER_BYTES": "max_transfer_bytes",
    "HANOIX_FEDERATION_WITNESS_INTERVAL": "witness_interval",
    "HANOIX_FEDERATION_PLUGINS": "plugins",
}


class FederationSettings(BaseModel):
    """How this node federates. Immutable once built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str | None = Field(
        default=None, description="this node's URL as peers reach it; default from host/port"
    )
    tls: bool = Field(default=False, description="serve federation on HTTPS with mutual TLS")
    tls_host: str = Field(default="127.0.0.1", description="address of the TLS listener")
    tls_port: int = Field(default=8471, ge=0, le=65535, description="port of the TLS listener")
    worker: bool = Field(default=True, description="run the delivery worker in 'hanoix serve'")
    backoff_base: float = Field(default=2.0, gt=0, description="first retry delay, seconds")
    backoff_cap: float = Field(default=600.0, gt=0, description="longest retry delay, seconds")
    backoff_jitter: float = Field(
        default=0.5, ge=0, le=1, description="share of each retry delay drawn at random"
    )
    max_skew: float = Field(
        default=300.0,
        ge=0,
        le=86400,
        description="seconds an envelope may be dated ahead of this node's clock, or used "
        "past its expiry, before it is refused",
    )
    clock_tolerance: float = Field(
        default=120.0,
        gt=0,
        le=86400,
        description="seconds a peer's clock may differ from ours before it is reported "
        "(log, metric, 24/7 desk); below max_skew, so it is noticed before envelopes are refused",
    )
    ttl: float = Field(
        default=7 * 86400.0,
        gt=0,
        le=30 * 86400,
        description="seconds an envelope lives; one not delivered by then is given up",
    )
    poll_interval: float = Field(default=1.0, gt=0, le=60, description="idle worker poll, s")
    lease: float = Field(default=60.0, gt=0, description="how long a worker holds a claim, s")
    connect_timeout: float = Field(default=5.0, gt=0, description="seconds to connect")
    read_timeout: float = Field(default=30.0, gt=0, description="seconds to wait for an answer")
    chunk_size: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        le=64 * 1024 * 1024,
        description="bytes of an evidence package sent per request of a transfer",
    )
    batch: int = Field(default=256, ge=1, le=1000, description="envelopes claimed at once")
    concurrency: int = Field(default=4, ge=1, le=64, description="deliveries in parallel")
    envelope_version: int = Field(
        default=1,
        ge=1,
        le=2,
        description="envelope format sealed for messages (evidence announcements stay 1): 2, "
        "signed once per batch, once every peer runs a release that reads it",
    )
    witness_interval: float = Field(
        default=30.0, ge=0, description="least seconds between checkpoint exchanges with a peer"
    )
    max_transfer_bytes: int = Field(
        default=64 * 1024**3, gt=0, description="largest evidence package accepted, in bytes"
    )
    plugins: tuple[str, ...] = Field(
        default=(), description="Python modules that register message types"
    )

    @property
    def skew(self) -> timedelta:
        return timedelta(seconds=self.max_skew)

    @property
    def lifetime(self) -> timedelta:
        return timedelta(seconds=self.ttl)


def load_federation_settings(
    settings: Settings, environ: dict[str, str] | None = None, **overrides: Any
) -> FederationSettings:
    env = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    path = settings.home / FILE_NAME
    if path.is_file():
        try:
            with path.open("rb") as handle:
                values.update(setting_names(tomllib.load(handle), _ENV, str(path)))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise FederationConfigError(f"cannot read {path}: {exc}") from None
        except ConfigurationError as exc:
            raise FederationConfigError(exc.message) from None
    unknown = sorted(v for v in env if v.startswith(_ENV_PREFIX) and v not in _ENV)
    if unknown:
        # A misspelt variable would otherwise be ignored without a word.
        raise FederationConfigError(
            f"unknown federation setting {unknown[0]}; the variables are: {', '.join(_ENV)}"
        )
    for variable, name in _ENV.items():
        value = env.get(variable)
        if value:
            values[name] = (
                tuple(v.strip() for v in value.split(",") if v.strip())
                if (name == "plugins")
                else value
            )
    values.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return FederationSettings(**values)
    except ValidationError as exc:
        raise FederationConfigError(
            settings_error(exc, "federation setting", sorted(_ENV.values()))
        ) from None


def trust_file(settings: Settings) -> Path:
    """Where the directory authority's public key is kept: ``HOME/directory-trust.pub``."""
    return settings.home / TRUST_FILE
