"""Envelopes carry their protocol version (``hanoix-envelope/N``): a node refuses one of a
version it does not read by name, logs why, and the sender records the refusal; envelopes of
the version both read go through."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hanoix.federation.envelope import (
    BATCHED_VERSION,
    ENVELOPE_FORMAT,
    ENVELOPE_VERSION,
    envelope_version,
    read_envelope,
)
from hanoix.federation.errors import EnvelopeRejectedError, Reason
from hanoix.store import federation as store
from tests.federation.builders import Network, Router, make_network, worker_for
from tests.services.federation_world import inbox, outbox, send

NEWER = f"hanoix-envelope/{BATCHED_VERSION + 1}"


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = make_network(tmp_path, ["a", "b"])
    yield network
    network.close()


def _as_version(envelope: bytes, format_name: str) -> bytes:
    fields = json.loads(envelope)
    fields["format"] = format_name
    return json.dumps(fields).encode()


def _sealed(net: Network) -> bytes:
    envelope_id = send(net, "a", "b")
    return outbox(net, "a")[envelope_id].envelope


def test_the_format_names_the_protocol_version(net: Network) -> None:
    data = _sealed(net)
    assert json.loads(data)["format"] == ENVELOPE_FORMAT == "hanoix-envelope/1"
    assert envelope_version(ENVELOPE_FORMAT) == ENVELOPE_VERSION == 1
    assert envelope_version("hanoix-envelope/12") == 12
    for not_a_version in ("hanoix-envelope/01", "hanoix-envelope/1.1", "hanoix-receipt/1", 1):
        assert envelope_version(not_a_version) is None
    assert read_envelope(data).header.sender == net["a"].origin


def test_an_envelope_of_another_version_is_refused_by_name(net: Network) -> None:
    data = _sealed(net)
    with pytest.raises(EnvelopeRejectedError) as refused:
        read_envelope(_as_version(data, NEWER))
    assert refused.value.reason is Reason.UNSUPPORTED_VERSION and not refused.value.retryable
    message = refused.value.detail
    assert NEWER in message and ENVELOPE_FORMAT in message
    assert f"it says it is from {net['a'].origin}" in message
    # Something that names no envelope format at all is malformed, as before.
    with pytest.raises(EnvelopeRejectedError) as garbled:
        read_envelope(_as_version(data, "hanoix-envelope/one"))
    assert garbled.value.reason is Reason.MALFORMED


def test_a_newer_sender_is_refused_logged_and_the_refusal_recorded_on_its_side(
    net: Network, capsys: pytest.CaptureFixture[str]
) -> None:
    router = Router(net)
    real = Router(net)

    def from_a_newer_node(request: httpx.Request) -> httpx.Response:
        # The sender's node speaks a later version: every envelope it sends says so.
        body = request.read()
        if request.url.path.endswith("/batch"):
            batch = json.loads(body)
            batch["envelopes"] = [
                base64.b64encode(_as_version(base64.b64decode(e), NEWER)).decode()
                for e in batch["envelopes"]
            ]
            body = json.dumps(batch).encode()
        else:
            body = _as_version(body, NEWER)
        rewritten = httpx.Request(request.method, request.url, content=body)
        return real.handle(rewritten)

    router.faults.append(from_a_newer_node)
    envelope_id = send(net, "a", "b")
    capsys.readouterr()
    worker_for(net["a"], router).drain()

    # The receiver took nothing, counted the refusal under the sender it names, and logged it.
    assert inbox(net, "b") == []
    counted = {(r.sender, r.reason) for r in net["b"].federation.refusals()}
    assert (net["a"].origin, "unsupported-version") in counted
    logged = "".join(capsys.readouterr())  # wherever the logger writes in this process
    assert "federation.envelope_rejected" in logged and "unsupported-version" in logged
    # The sender gave up at once (the same envelope will never be read there) and says why.
    item = outbox(net, "a")[envelope_id]
    assert item.status == store.FAILED and item.attempts == 1
    assert item.last_error is not None
    assert "unsupported-version" in item.last_error and NEWER in item.last_error


def test_nodes_of_the_same_version_interoperate(net: Network) -> None:
    envelope_id = send(net, "a", "b")
    worker_for(net["a"], Router(net)).drain()
    assert outbox(net, "a")[envelope_id].status == store.DELIVERED
    assert [m.envelope_id for m in inbox(net, "b")] == [envelope_id]
