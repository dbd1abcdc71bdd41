"""A throwaway PostgreSQL cluster of a test's own, on a free loopback port, that the test may
stop and start at will (the shared server at 5432 is never touched).

Made with the server's own tools: ``initdb`` (as the ``postgres`` user when the test runs as
root, since initdb refuses root) into a temporary folder, then ``pg_ctl start`` / ``stop``.
:func:`throwaway_postgres` skips the test, saying why, where the binaries are absent.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from tests.federation.multinode import free_port


def _binaries() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


class ThrowawayPostgres:
    """One cluster in ``root``: ``start``, ``stop`` (fast: clients are cut off at once) and
    ``url`` of a database in it."""

    def __init__(self, binaries: Path, root: Path) -> None:
        self.binaries = binaries
        self.root = root
        self.data = root / "data"
        self.port = free_port()
        self.log = root / "server.log"
        self._as_owner: list[str] = []
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(root, owner.pw_uid, owner.pw_gid)
            self._as_owner = ["runuser", "-u", "postgres", "--"]

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as_owner, str(self.binaries / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def initialise(self) -> None:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")

    def start(self) -> None:
        options = (
            f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} "
            "-c shared_buffers=16MB -c max_connections=40 -c fsync=on"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-o", options, "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        try:
            self._run("pg_ctl", "-D", str(self.data), "status")
        except subprocess.CalledProcessError:
            return False
        return True

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True, connect_timeout=5) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


@contextmanager
def throwaway_postgres() -> Iterator[ThrowawayPostgres]:
    """A running throwaway cluster; stopped and deleted afterwards."""
    binaries = _binaries()
    if binaries is None or not (binaries / "initdb").exists():
        pytest.skip("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres user to run initdb as")
    # Not under pytest's tmp_path: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="hanoix-pg-"))
    cluster = ThrowawayPostgres(binaries, root)
    try:
        cluster.initialise()
        cluster.start()
        yield cluster
    finally:
        if cluster.data.exists() and cluster.running():
            cluster.stop()
        shutil.rmtree(root, ignore_errors=True)
