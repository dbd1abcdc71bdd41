"""Statistics use cases: make a node's report for a period, sign it, verify a signed one.

The facts come from the store's aggregate queries (:mod:`hanoix.store.statistics`), the tables
from the pure core (:mod:`hanoix.statistics`), the signature from the node's federation key
(:mod:`hanoix.federation.statistics`): the key the directory lists for this node, so anyone
holding the directory can check a report, offline. Who may read statistics on the API and the
web pages is :data:`~hanoix.statistics.readers.READERS` (docs/statistics.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from hanoix.errors import ConfigurationError, InputError
from hanoix.federation.statistics import VerifiedReport, sign_report, verify_report
from hanoix.services.node import Node
from hanoix.statistics import DEFAULT_THRESHOLD, Privacy, build_report, check_period
from hanoix.statistics.readers import READERS
from hanoix.store.statistics import read_facts


@dataclass(frozen=True)
class Options:
    """What a report is asked for with: the period (days, both included), the small-cell
    threshold, and ε when the counts by State are to be differentially private."""

    start: date
    end: date
    threshold: int = DEFAULT_THRESHOLD
    epsilon: float | None = None


def parse_day(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option} must be a date written YYYY-MM-DD, not {text!r}") from None


def _privacy(epsilon: float | None) -> Privacy | None:
    if epsilon is None:
        return None
    from hanoix.statistics.privacy import laplace_noise

    return laplace_noise(epsilon)


def make_report(node: Node, options: Options) -> dict[str, Any]:
    """The report's body for ``options``, made now (not signed)."""
    check_period(options.start, options.end)
    privacy = _privacy(options.epsilon)
    state = node.settings.state
    if state is None:
        raise ConfigurationError(
            "the node has no State: set state in hanoix.toml (hanoix init --state AUT)"
        )
    now = node.clock.now()
    with node.reading() as session:
        facts = read_facts(session, state, options.start, options.end, now)
        origin = node.federation.origin(session)
    return build_report(
        facts,
        state=state,
        origin=origin,
        generated_at=now,
        threshold=options.threshold,
        privacy=privacy,
    )


def sign(node: Node, body: dict[str, Any]) -> bytes:
    """The signed report file of ``body``, with the node's federation signing key in use."""
    federation = node.federation
    with node.reading() as session:
        directory = federation.directory(session)
        identity = federation.identity(session)
    signer = identity.signing_key(directory, node.clock.now())
    return sign_report(body, identity.origin, signer)


def signed_report(node: Node, options: Options) -> tuple[dict[str, Any], bytes]:
    """The report for ``options`` and its signed file."""
    body = make_report(node, options)
    return body, sign(node, body)


def verify(node: Node, data: bytes) -> VerifiedReport:
    """Verify a signed report against the directory in force on this node."""
    with node.reading() as session:
        directory = node.federation.require_directory(session)
    return verify_report(data, directory)


__all__ = [
    "READERS",
    "Options",
    "make_report",
    "parse_day",
    "sign",
    "signed_report",
    "verify",
]
