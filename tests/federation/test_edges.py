"""Real node processes on loopback: the standalone worker, the people's federation routes, the
announcement a transfer needs before any chunk, and batched delivery."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from hanoix.federation.batch import sign_batch
from hanoix.services import auth
from hanoix.services.federation import Message
from hanoix.store import federation as store
from tests.federation.builders import write_package
from tests.federation.multinode import REPO, Cluster, NodeProcess, start_cluster, wait_until

pytestmark = pytest.mark.slow


def enqueue(sender: NodeProcess, recipient: NodeProcess, text: str, **kwargs: object) -> str:
    with sender.node.unit_of_work() as session:
        sealed = sender.federation.enqueue(
            session,
            Message(recipient.origin, "federation.notice", {"text": text}, **kwargs),  # type: ignore[arg-type]
        )
    return sealed.header.id


def status_of(member: NodeProcess, envelope_id: str) -> str | None:
    with member.node.unit_of_work() as session:
        item = store.get_outbox(session, envelope_id)
    return None if item is None else item.status


def hanoix(member: NodeProcess, *args: str) -> list[str]:
    return [sys.executable, "-m", "hanoix", "--home", str(member.home), *args]


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("HANOIX_")}
    env["PYTHONPATH"] = str(REPO)
    return env


@pytest.fixture
def quiet_pair(tmp_path: Path) -> Iterator[Cluster]:
    """Two nodes serving the API without their in-server workers."""
    cluster = start_cluster(tmp_path, ["aut", "vnm"], federation={"worker": False})
    try:
        yield cluster
    finally:
        cluster.stop()


def test_the_standalone_worker_delivers_once_and_runs_until_interrupted(
    quiet_pair: Cluster,
) -> None:
    aut, vnm = quiet_pair["aut"], quiet_pair["vnm"]
    first = [enqueue(aut, vnm, f"message {n}") for n in range(3)]
    assert {status_of(aut, i) for i in first} == {store.PENDING}  # nobody delivers them
    done = subprocess.run(
        hanoix(aut, "federation", "worker", "--once", "--json"),
        env=environment(),
        capture_output=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert json.loads(done.stdout)["attempts"] == 3
    assert {status_of(aut, i) for i in first} == {store.DELIVERED}
    with vnm.node.unit_of_work() as session:
        taken = store.list_inbox(session, None, pending_only=False)
    assert sorted(m.envelope_id for m in taken) == sorted(first)

    # Run for a bounded time: it picks up what is queued while it runs, and stops on SIGINT.
    worker = subprocess.Popen(
        hanoix(aut, "federation", "worker"),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        later = enqueue(aut, vnm, "while the worker runs", urgent=True)
        assert wait_until(lambda: status_of(aut, later) == store.DELIVERED, 60), (
            worker.stderr.read().decode() if worker.poll() is not None and worker.stderr else ""
        )
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    assert worker.returncode is not None


def _user(member: NodeProcess, username: str, role: str, authority: str | None) -> dict[str, str]:
    node = member.node
    with node.unit_of_work() as session:
        auth.add_user(
            session,
            node.clock,
            username=username,
            display_name=username,
            roles={role},
            authority=authority,
            password=None,
        )
    with node.unit_of_work() as session:
        issued = auth.issue_token(session, node.clock, auth.user_id(session, username), "test")
    return {"Authorization": f"Bearer {issued}"}


def test_the_peoples_federation_routes_over_http_by_role(quiet_pair: Cluster) -> None:
    aut, vnm = quiet_pair["aut"], quiet_pair["vnm"]
    with vnm.node.unit_of_work() as session:
        auth.add_authority(
            session, vnm.node.clock, auth.Authority("VNM-247", "Cyber unit", "contact-24-7", "VNM")
        )
    officer = _user(vnm, "duty", "officer_24_7", "VNM-247")
    drafter = _user(vnm, "clerk", "drafter", "VNM-247")
    auditor = _user(vnm, "audit", "auditor", "VNM-247")
    examiner = _user(vnm, "exam", "examiner", "VNM-247")
    admin = _user(vnm, "root", "administrator", None)

    ordinary = enqueue(aut, vnm, "for information")
    urgent = enqueue(aut, vnm, "preserve account X now", urgent=True)
    done = subprocess.run(
        hanoix(aut, "federation", "worker", "--once"), env=environment(), timeout=120
    )
    assert done.returncode == 0

    base = f"http://127.0.0.1:{vnm.port}/api/v1/federation"
    with httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/inbox").status_code == 401
        for who in (examiner, admin):
            assert client.get("/inbox", headers=who).status_code == 403
        for who in (officer, drafter, auditor):
            listed = client.get("/inbox", headers=who)
            assert listed.status_code == 200
            assert [m["envelope_id"] for m in listed.json()] == [urgent, ordinary]
        first = listed.json()[0]
        assert first["urgent"] is True and first["payload"]["text"] == "preserve account X now"

        path = f"/inbox/{urgent}/acknowledge"
        assert client.post(path).status_code == 401
        for who in (auditor, examiner, admin):
            assert client.post(path, headers=who).status_code == 403
        acknowledged = client.post(path, headers=officer)
        assert acknowledged.status_code == 200
        assert acknowledged.json() == {"envelope_id": urgent, "acknowledged": True, "changed": True}
        assert client.post(path, headers=drafter).json()["changed"] is False
        assert client.post(f"/inbox/{'0' * 32}/acknowledge", headers=officer).status_code == 404
        pending = client.get("/inbox", headers=officer).json()
        assert [m["envelope_id"] for m in pending] == [ordinary]
        everything = client.get("/inbox", params={"all": "true"}, headers=auditor).json()
        assert everything[0]["acknowledged_by"] == "duty"

        assert client.get("/status").status_code == 401
        for who in (drafter, examiner):
            assert client.get("/status", headers=who).status_code == 403
        for who in (admin, officer, auditor):
            status = client.get("/status", headers=who)
            assert status.status_code == 200
            body = status.json()
            assert body["origin"] == vnm.origin
            assert body["inbox"]["received"] == 2
            assert [p["origin"] for p in body["peers"]] == [aut.origin]


def test_no_chunk_is_taken_before_a_signed_envelope_announces_the_transfer(
    quiet_pair: Cluster, tmp_path: Path
) -> None:
    aut, vnm = quiet_pair["aut"], quiet_pair["vnm"]
    base = f"http://127.0.0.1:{vnm.port}/federation/v1/transfers"
    transfer_id = "ab" * 16
    headers = {
        "Hanoix-Transfer-Size": "5",
        "Hanoix-Transfer-Sha256": "0" * 64,
        "Hanoix-Sender": aut.origin,  # claiming to be a directory node is not enough
    }
    refused = httpx.put(f"{base}/{transfer_id}?offset=0", content=b"hello", headers=headers)
    assert refused.status_code == 403
    assert refused.json()["error"] == "transfer-not-announced"
    assert not (vnm.home / "federation" / "incoming" / f"{transfer_id}.part").exists()
    with vnm.node.unit_of_work() as session:
        assert store.get_transfer(session, transfer_id) is None

    # An announcement must be a signed evidence.package envelope naming this transfer.
    garbage = httpx.post(f"{base}/{transfer_id}", content=b"{}")
    assert garbage.status_code == 400 and garbage.json()["reason"] == "malformed"
    notice_id = enqueue(aut, vnm, "not a package")
    with aut.node.unit_of_work() as session:
        notice = store.get_outbox(session, notice_id)
    assert notice is not None
    wrong_type = httpx.post(f"{base}/{transfer_id}", content=notice.envelope)
    assert wrong_type.status_code == 422 and wrong_type.json()["reason"] == "bad-payload"
    forged = json.loads(notice.envelope)
    forged["signature"] = base64.b64encode(bytes(64)).decode()
    tampered = httpx.post(f"{base}/{transfer_id}", content=json.dumps(forged).encode())
    assert tampered.status_code == 403 and tampered.json()["reason"] == "bad-signature"

    # The real thing: announced by its envelope, sent in streamed chunks, verified, received.
    package = write_package(tmp_path, 300_000, 7)
    with aut.node.unit_of_work() as session:
        sealed = aut.federation.send_package(session, vnm.origin, package)
        transfer = store.get_outbox(session, sealed.header.id)
    assert transfer is not None and transfer.transfer_id is not None
    other = httpx.post(f"{base}/{transfer_id}", content=sealed.data)
    assert other.status_code == 422 and other.json()["reason"] == "bad-payload"
    announced = httpx.post(f"{base}/{transfer.transfer_id}", content=sealed.data)
    assert announced.status_code == 200 and announced.headers["hanoix-offset"] == "0"
    done = subprocess.run(
        hanoix(aut, "federation", "worker", "--once"), env=environment(), timeout=120
    )
    assert done.returncode == 0
    assert status_of(aut, sealed.header.id) == store.DELIVERED
    with vnm.node.unit_of_work() as session:
        received = store.get_transfer(session, transfer.transfer_id)
    assert received is not None and received.status == "verified"
    assert received.blob_key == "sha256:" + received.sha256
    # A finished transfer takes no more bytes.
    late = httpx.put(
        f"{base}/{transfer.transfer_id}?offset={received.size}",
        content=b"x",
        headers={
            "Hanoix-Transfer-Size": str(received.size),
            "Hanoix-Transfer-Sha256": received.sha256,
            "Hanoix-Sender": aut.origin,
        },
    )
    assert late.status_code == 400


def test_a_batch_takes_each_envelope_once_and_answers_each(quiet_pair: Cluster) -> None:
    aut, vnm = quiet_pair["aut"], quiet_pair["vnm"]
    ids = [enqueue(aut, vnm, f"batched {n}") for n in range(5)]
    with aut.node.unit_of_work() as session:
        envelopes = [store.get_outbox(session, i).envelope for i in ids]  # type: ignore[union-attr]
    url = f"http://127.0.0.1:{vnm.port}/federation/v1/envelopes/batch"

    def post(items: list[bytes]) -> list[dict[str, object]]:
        body = {"envelopes": [base64.b64encode(e).decode() for e in items]}
        answer = httpx.post(url, json=body, timeout=30)
        assert answer.status_code == 200
        results: list[dict[str, object]] = answer.json()["results"]
        return results

    broken = envelopes[2].replace(b'"ciphertext":"', b'"ciphertext":"AAAA', 1)
    first = post([*envelopes[:2], broken, *envelopes[3:]])
    assert [r["status"] for r in first] == [200, 200, 403, 200, 200]
    assert first[2]["reason"] == "bad-signature"
    again = post(envelopes)
    assert [r["status"] for r in again] == [200] * 5
    assert [r["duplicate"] for r in again] == [True, True, False, True, True]
    assert again[0]["receipt"] == first[0]["receipt"]
    with vnm.node.unit_of_work() as session:
        taken = store.list_inbox(session, None, pending_only=False)
    assert sorted(m.envelope_id for m in taken) == sorted(ids)
    assert httpx.post(url, json={"envelopes": []}).status_code == 400
    too_many = httpx.post(url, json={"envelopes": ["AAAA"] * 257}, timeout=30)
    assert too_many.status_code == 400
    assert "a batch is at most 256" in too_many.json()["detail"]


def test_envelopes_of_version_2_are_taken_over_http_only_under_their_batch_signature(
    quiet_pair: Cluster,
) -> None:
    aut, vnm = quiet_pair["aut"], quiet_pair["vnm"]
    federation = aut.federation
    federation.settings = federation.settings.model_copy(update={"envelope_version": 2})
    ids = [enqueue(aut, vnm, f"batched {n}") for n in range(3)]
    with aut.node.unit_of_work() as session:
        items = [store.get_outbox(session, i) for i in ids]
        directory = federation.require_directory(session)
    envelopes = [item.envelope for item in items if item is not None]
    assert {json.loads(e)["format"] for e in envelopes} == {"hanoix-envelope/2"}
    signer = federation.identity().signing_key(directory, aut.node.clock.now())
    signed = sign_batch(
        [item.digest for item in items if item is not None],
        sender=aut.origin,
        recipient=vnm.origin,
        signer=signer,
    )
    url = f"http://127.0.0.1:{vnm.port}/federation/v1/envelopes/batch"
    body: dict[str, object] = {"envelopes": [base64.b64encode(e).decode() for e in envelopes]}
    unsigned = httpx.post(url, json=body, timeout=30).json()["results"]
    assert [(r["status"], r["reason"]) for r in unsigned] == [(400, "malformed")] * 3
    assert httpx.post(url, json={**body, "batch": "signed"}, timeout=30).status_code == 400
    taken = httpx.post(url, json={**body, "batch": signed}, timeout=30).json()["results"]
    assert [(r["status"], r["duplicate"]) for r in taken] == [(200, False)] * 3
    with vnm.node.unit_of_work() as session:
        received = store.list_inbox(session, None, pending_only=False)
    assert sorted(m.envelope_id for m in received) == sorted(ids)
