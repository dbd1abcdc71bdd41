"""Bodies over their route's limit are refused with 413 while they stream, before anything reads
them whole; every free-text field of a request has a maximum length, named when it is passed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.api.limits import (
    AUTH_BODY_BYTES,
    CONTENT_ADD_BODY_BYTES,
    DEFAULT_BODY_BYTES,
    ENVELOPE_BODY_BYTES,
    REQUEST_BODY_BYTES,
    TRANSFER_CHUNK_BODY_BYTES,
    UPLOAD_FORM_BODY_BYTES,
    UPLOAD_RANGE_BODY_BYTES,
    limit_for,
)
from hanoix.api.problems import PROBLEM_MEDIA_TYPE
from hanoix.config import load_settings
from hanoix.requests import limits
from hanoix.services.node import Node
from tests.services.requests_world import document, populate, token

MIB = 1024 * 1024


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


@pytest.fixture
def client(world: Node) -> Iterator[TestClient]:
    with TestClient(create_app(world)) as c:
        yield c


def _pieces(total: int, piece: int = 64 * 1024) -> Iterator[bytes]:
    """``total`` bytes in pieces, without a length: httpx sends them chunked."""
    sent = 0
    while sent < total:
        size = min(piece, total - sent)
        sent += size
        yield b"x" * size


def _assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body = response.json()
    assert body["type"].endswith("/too-large")
    assert f"at most {limit} bytes" in body["detail"]


def test_each_route_has_its_limit() -> None:
    assert limit_for("POST", "/api/v1/auth/login") == (AUTH_BODY_BYTES, "a sign-in or token body")
    assert limit_for("POST", "/api/v1/requests")[0] == REQUEST_BODY_BYTES
    assert limit_for("POST", "/api/v1/requests/AUT-2026-000001/edit")[0] == REQUEST_BODY_BYTES
    assert limit_for("POST", "/federation/v1/envelopes")[0] == ENVELOPE_BODY_BYTES
    assert limit_for("PUT", "/federation/v1/transfers/" + "a" * 32)[0] == (
        TRANSFER_CHUNK_BODY_BYTES
    )
    assert limit_for("POST", "/federation/v1/transfers/" + "a" * 32)[0] == ENVELOPE_BODY_BYTES
    assert limit_for("POST", "/api/v1/users/lea/deactivate")[0] == DEFAULT_BODY_BYTES
    upload = "/requests/AUT-2026-000001/evidence/uploads/" + "a" * 32
    assert limit_for("PUT", upload)[0] == UPLOAD_RANGE_BODY_BYTES
    assert limit_for("POST", upload)[0] == DEFAULT_BODY_BYTES
    assert limit_for("POST", "/requests/AUT-2026-000001/evidence/files")[0] == (
        UPLOAD_FORM_BODY_BYTES
    )
    assert limit_for("POST", "/requests/AUT-2026-000001/evidence/seal")[0] == DEFAULT_BODY_BYTES
    for added in ("/api/v1/content/cases/RC-000001/content", "/content/cases/RC-000001/content"):
        assert limit_for("POST", added)[0] == CONTENT_ADD_BODY_BYTES
    assert limit_for("POST", "/api/v1/content/cases/RC-000001/notices")[0] == DEFAULT_BODY_BYTES
    assert AUTH_BODY_BYTES < DEFAULT_BODY_BYTES < REQUEST_BODY_BYTES


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_read(
    client: TestClient,
) -> None:
    body = b"{" + b" " * AUTH_BODY_BYTES + b"}"
    response = client.post(
        "/api/v1/auth/login", content=body, headers={"content-type": "application/json"}
    )
    _assert_too_large(response, AUTH_BODY_BYTES)


def test_a_chunked_body_is_counted_as_it_arrives(client: TestClient) -> None:
    response = client.post(
        "/api/v1/auth/login",
        content=_pieces(AUTH_BODY_BYTES + 1, piece=4096),
        headers={"content-type": "application/json"},
    )
    _assert_too_large(response, AUTH_BODY_BYTES)


def test_a_body_within_the_limit_reaches_the_route(client: TestClient) -> None:
    response = client.post("/api/v1/auth/login", json={"username": "nobody", "password": "x" * 900})
    assert response.status_code == 401


def test_a_request_document_over_its_bound_is_413_and_nothing_is_stored(
    client: TestClient, world: Node
) -> None:
    huge = document(proceeding="p" * REQUEST_BODY_BYTES)
    response = client.post("/api/v1/requests", json=huge, headers=token(world, "drafter"))
    _assert_too_large(response, REQUEST_BODY_BYTES)
    listed = client.get("/api/v1/requests", headers=token(world, "drafter")).json()
    assert listed["items"] == []


def test_an_envelope_route_takes_its_own_limit_not_the_default(client: TestClient) -> None:
    # Larger than the default limit, smaller than an envelope's: the route reads and judges it.
    garbage = b"x" * (DEFAULT_BODY_BYTES * 2)
    response = client.post("/federation/v1/envelopes", content=garbage)
    assert response.status_code == 400
    too_big = client.post("/federation/v1/envelopes", content=b"x" * (ENVELOPE_BODY_BYTES + 1))
    _assert_too_large(too_big, ENVELOPE_BODY_BYTES)


@pytest.mark.parametrize(
    ("field", "value", "bound"),
    [
        ("proceeding", "p" * (limits.MAX_PROCEEDING_CHARS + 1), limits.MAX_PROCEEDING_CHARS),
        ("legal_basis_other", "b" * (limits.MAX_LEGAL_BASIS_CHARS + 1), None),
        ("owner", "o" * (limits.MAX_USERNAME_CHARS + 1), None),
        ("requested_authority", "A" * (limits.MAX_AUTHORITY_CHARS + 1), None),
        ("language", "e" * (limits.MAX_LANGUAGE_CHARS + 1), None),
    ],
)
def test_every_free_text_field_has_a_maximum_length(
    client: TestClient, world: Node, field: str, value: str, bound: int | None
) -> None:
    response = client.post(
        "/api/v1/requests", json=document(**{field: value}), headers=token(world, "drafter")
    )
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert [p["field"] for p in problems] == [field]
    if bound is not None:
        assert str(bound) in problems[0]["message"]


@pytest.mark.parametrize(
    ("value", "where"),
    [
        ("s" * (limits.MAX_CONTENT_CHARS + 1), "contents.summary_of_facts"),
        (["i"] * (limits.MAX_CONTENT_ITEMS + 1), "contents.summary_of_facts"),
        (["i" * (limits.MAX_CONTENT_ITEM_CHARS + 1)], "contents.summary_of_facts"),
    ],
)
def test_contents_have_a_maximum_length_too(
    client: TestClient, world: Node, value: Any, where: str
) -> None:
    body = document()
    body["contents"]["summary_of_facts"] = value
    response = client.post("/api/v1/requests", json=body, headers=token(world, "drafter"))
    assert response.status_code == 422, response.text
    fields = {p["field"] for p in response.json()["problems"]}
    assert any(f.startswith(where) for f in fields), fields


def test_the_bounds_are_in_the_schema_and_the_docs() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs"
    requests_doc = (docs / "requests.md").read_text("utf-8")
    api_doc = (docs / "api.md").read_text("utf-8")
    for bound in (
        limits.MAX_CONTENT_CHARS,
        limits.MAX_CONTENT_ITEMS,
        limits.MAX_CONTENT_ITEM_CHARS,
        limits.MAX_PROCEEDING_CHARS,
        limits.MAX_NOTE_CHARS,
        limits.MAX_REQUEST_TEXT_BYTES,
    ):
        assert f"{bound:,}" in requests_doc, bound
    for bound in (
        AUTH_BODY_BYTES,
        REQUEST_BODY_BYTES,
        DEFAULT_BODY_BYTES,
        ENVELOPE_BODY_BYTES,
        CONTENT_ADD_BODY_BYTES,
    ):
        assert f"{bound:,}" in api_doc, bound


# --- a served node's memory ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (the peak since start or the last reset) of ``pid``, in KiB."""
    values: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0])
    return values


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, int]]:
    home = tmp_path / "home"
    node = Node.open(load_settings(home, environ={}))
    node.initialise()
    node.close()
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hanoix", "serve", "--port", str(port), "--no-worker"],
        env={**os.environ, "HANOIX_HOME": str(home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Two minutes: a loaded machine has been seen to take over 30 s to start a node.
        deadline = time.monotonic() + 120
        healthy = False
        while not healthy and proc.poll() is None and time.monotonic() < deadline:
            try:
                healthy = httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200
            except httpx.TransportError:
                time.sleep(0.2)
        if not healthy:
            pytest.fail(f"the node did not answer on {base} (exit code {proc.poll()})")
        yield base, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def test_fifty_mebibyte_bodies_are_refused_without_the_server_growing_by_their_size(
    served: tuple[str, int],
) -> None:
    base, pid = served
    size = 50 * MIB
    with httpx.Client(timeout=60) as warm:  # the first sign-in loads what later ones reuse
        for _ in range(3):
            warm.post(f"{base}/api/v1/auth/login", json={"username": "x", "password": "y"})
    # Reset the peak to the present (Linux: "5" to clear_refs), so the peak measured after is
    # the peak during these calls, not the start-up's.
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = _memory_kib(pid)

    def declared(path: str) -> httpx.Response:
        with httpx.Client(timeout=120) as c:
            return c.post(
                base + path,
                content=_pieces(size),
                headers={"content-length": str(size), "content-type": "application/json"},
            )

    def chunked(path: str) -> httpx.Response:
        with httpx.Client(timeout=120) as c:
            return c.post(
                base + path, content=_pieces(size), headers={"content-type": "application/json"}
            )

    # Four at once, as the attack was run: two sign-ins, two request documents.
    with ThreadPoolExecutor(4) as pool:
        answers = list(
            pool.map(
                lambda call: call[0](call[1]),
                [
                    (declared, "/api/v1/auth/login"),
                    (chunked, "/api/v1/auth/login"),
                    (declared, "/api/v1/requests"),
                    (chunked, "/api/v1/requests"),
                ],
            )
        )
    after = _memory_kib(pid)
    assert [a.status_code for a in answers] == [413, 413, 413, 413]
    assert all(a.headers["content-type"] == PROBLEM_MEDIA_TYPE for a in answers)
    grown_kib = after["VmHWM"] - before["VmRSS"]
    print(f"served node memory: before {before}, after {after} (KiB); peak grew {grown_kib} KiB")
    # The bodies sum to 200 MiB; the node's peak may move by allocator noise, never by a body.
    assert grown_kib < 16 * 1024, (before, after)
