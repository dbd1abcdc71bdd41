"""Builders for federation tests: a directory authority, in-process networks of nodes, and a
transport that routes a peer client's calls to another in-process node's service."""

from __future__ import annotations

import base64
import json
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.evidence import keys
from hanoix.evidence.keys import KeyKind, PublicKey, SigningKey
from hanoix.federation.client import PeerClient
from hanoix.federation.directory import (
    AuthorityEntry,
    Directory,
    NodeEntry,
    NodeKey,
    sign_directory,
)
from hanoix.federation.errors import EnvelopeRejectedError, TransferError
from hanoix.federation.receipts import BATCH_RECEIPT_FORMAT, choose_format
from hanoix.federation.settings import FederationSettings, trust_file
from hanoix.runtime.worker import Worker
from hanoix.services.federation import Federation
from hanoix.services.node import Node

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
WHEN = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def rng(seed: int) -> Callable[[int], bytes]:
    return random.Random(seed).randbytes


@dataclass(frozen=True)
class DirectoryAuthority:
    signing: SigningKey

    @property
    def public(self) -> PublicKey:
        return self.signing.public

    def sign(self, directory: Directory) -> bytes:
        return sign_directory(directory, self.signing)


def directory_authority(seed: int = 99) -> DirectoryAuthority:
    signing, _ = keys.generate("Directory authority", None, rng(seed))
    return DirectoryAuthority(signing)


def install_trust(home: Path, authority: DirectoryAuthority) -> None:
    home.mkdir(parents=True, exist_ok=True)
    trust_file(load_settings(home, environ={})).write_text(keys.dump_public(authority.public))


def party(
    seed: int, origin: str, state: str
) -> tuple[keys.SigningKey, keys.DecryptionKey, NodeEntry]:
    """A node's keys from ``seed`` and its directory entry, every key valid since EPOCH."""
    signing, decryption = keys.generate(origin, state, rng(seed))
    entry = NodeEntry(
        origin=origin,
        state=state,
        base_url=f"http://127.0.0.1:{9000 + seed}",
        authorities=(AuthorityEntry(f"{state}-CA", "Central authority", "central-authority"),),
        keys=(
            NodeKey(KeyKind.SIGNING, signing.public.raw, EPOCH),
            NodeKey(KeyKind.ENCRYPTION, decryption.public.raw, EPOCH),
        ),
    )
    return signing, decryption, entry


def settled(entry: NodeEntry, since: datetime = EPOCH) -> NodeEntry:
    """The entry with every key valid from ``since`` (files carry the real creation time)."""
    return replace(entry, keys=tuple(replace(k, not_before=since) for k in entry.keys))


@dataclass
class Member:
    name: str
    node: Node
    federation: Federation
    clock: FixedClock

    @property
    def origin(self) -> str:
        with self.node.unit_of_work() as session:
            return self.federation.origin(session)


@dataclass
class Network:
    authority: DirectoryAuthority
    members: dict[str, Member] = field(default_factory=dict)
    serial: int = 0
    directory: Directory | None = None

    def __getitem__(self, name: str) -> Member:
        return self.members[name]

    def publish(self, directory: Directory | None = None) -> Directory:
        """Sign ``directory`` (default: every member's entry) with the next serial and have
        every member import it."""
        self.serial += 1
        if directory is None:
            entries = tuple(settled(m.federation.own_entry()) for m in self.members.values())
            directory = Directory(self.serial, WHEN, entries)
        directory = replace(directory, serial=self.serial)
        data = self.authority.sign(directory)
        for member in self.members.values():
            member.federation.import_directory(data)
        self.directory = directory
        return directory

    def close(self) -> None:
        for member in self.members.values():
            member.node.close()


def make_network(
    tmp_path: Path,
    names: Sequence[str],
    *,
    db_urls: dict[str, str] | None = None,
    blob_urls: dict[str, str] | None = None,
    states: Sequence[str] = ("AUT", "VNM", "BRA", "KEN"),
    settings: dict[str, Any] | None = None,
) -> Network:
    authority = directory_authority()
    network = Network(authority)
    for position, name in enumerate(names):
        home = tmp_path / name
        install_trust(home, authority)
        node_settings = load_settings(
            home,
            environ={},
            database_url=(db_urls or {}).get(name),
            blob_url=(blob_urls or {}).get(name),
            state=states[position],
            origin=f"{name}.hanoix.test",
            port=18000 + position,
        )
        clock = FixedClock(WHEN)
        fed_settings = FederationSettings(
            **{"witness_interval": 0.0, "concurrency": 1, **(settings or {})}
        )
        node = Node.open(node_settings, clock=clock, federation_settings=fed_settings)
        node.initialise()
        network.members[name] = Member(name, node, node.federation, clock)
    network.publish()
    return network


class Router:
    """An httpx transport that serves /federation/v1 from in-process members, with faults.

    ``faults`` is a list of callables tried in order on each request; one that returns a
    response (or raises) replaces the real answer.
    """

    def __init__(self, network: Network) -> None:
        self.network = network
        self.faults: list[Callable[[httpx.Request], httpx.Response | None]] = []
        self.calls: list[tuple[str, str]] = []

    def member_for(self, request: httpx.Request) -> Member:
        port = request.url.port
        for member in self.network.members.values():
            if member.node.settings.port == port:
                return member
        raise httpx.ConnectError("no such node", request=request)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, request.url.path))
        for fault in self.faults:
            answer = fault(request)
            if answer is not None:
                return answer
        member = self.member_for(request)
        federation = member.federation
        path = request.url.path.removeprefix("/federation/v1")
        body = request.read()
        try:
            if request.method == "POST" and path == "/envelopes/batch":
                from hanoix.api.federation import rejection_response

                batch = json.loads(body)
                envelopes = [base64.b64decode(e) for e in batch["envelopes"]]
                # As the batch route: the receipt format the sender prefers among those known.
                batched = choose_format(batch) == BATCH_RECEIPT_FORMAT
                answers: list[dict[str, Any]] = []
                results = federation.process_inbound_batch(
                    envelopes, batch_receipts=batched, signed_batch=batch.get("batch")
                )
                for result in results:
                    if result is None:
                        answers.append({"status": 500})
                    elif isinstance(result, EnvelopeRejectedError):
                        answers.append(json.loads(rejection_response(result).body))
                    else:
                        answers.append({"status": 200, **result.as_dict()})
                return httpx.Response(200, json={"results": answers})
            if request.method == "POST" and path == "/envelopes":
                return httpx.Response(200, json=federation.process_inbound(body).as_dict())
            if path.startswith("/transfers/"):
                transfer_id = path.rsplit("/", 1)[1]
                if request.method == "HEAD":
                    offset = federation.transfer_offset(transfer_id)
                    return httpx.Response(200, headers={"Hanoix-Offset": str(offset)})
                if request.method == "POST":
                    offset = federation.announce_transfer(transfer_id, body)
                    return httpx.Response(200, headers={"Hanoix-Offset": str(offset)})
                held = federation.put_chunk(
                    transfer_id,
                    offset=int(request.url.params["offset"]),
                    total=int(request.headers["hanoix-transfer-size"]),
                    sha256=request.headers["hanoix-transfer-sha256"],
                    sender=request.headers["hanoix-sender"],
                    chunks=iter([body]),
                )
                return httpx.Response(200, json={"offset": held})
            if request.method == "GET" and path == "/checkpoint":
                params = request.url.params
                answer = federation.checkpoint_for(
                    int(params.get("since", "0")), params.get("witness")
                )
                return httpx.Response(200, json=answer)
            if request.method == "POST" and path == "/witness":
                return httpx.Response(200, json=federation.accept_witness(json.loads(body)))
        except EnvelopeRejectedError as rejection:
            return httpx.Response(
                422,
                json={"reason": rejection.reason.value, "detail": rejection.detail},
            )
        except TransferError as exc:
            return httpx.Response(exc.http_status, json=exc.as_dict())
        return httpx.Response(404)


def worker_for(member: Member, router: Router, **kwargs: Any) -> Worker:
    def factory(entry: NodeEntry) -> PeerClient:
        return PeerClient(entry.base_url, transport=httpx.MockTransport(router.handle))

    return Worker(member.federation, client_factory=factory, rng=random.Random(1), **kwargs)


def package_bytes(size: int, seed: int, recipient: PublicKey | None = None) -> bytes:
    """A sealed evidence package of about ``size`` bytes of content."""
    from tests.evidence.helpers import authority, seal_bytes

    sender = authority(seed)
    data = random.Random(seed).randbytes(size)
    package, _ = seal_bytes({"disk.img": data}, sender, [authority(seed + 1)], seed=seed)
    return package


def write_package(tmp_path: Path, size: int, seed: int) -> Path:
    path = tmp_path / f"package-{seed}.hxev"
    path.write_bytes(package_bytes(size, seed))
    return path


def later(clock: FixedClock, seconds: float) -> None:
    clock.advance(timedelta(seconds=seconds))
