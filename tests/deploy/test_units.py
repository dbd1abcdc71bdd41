"""The deployment files (deploy/): every systemd service runs hardened as the node's own user
with write access to its home only, the units pass systemd's own check where systemd is
installed, and the proxy example sends the headers the node reads, from an address the node
trusts by default."""

from __future__ import annotations

import configparser
import ipaddress
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hanoix.config import load_settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SERVICES = sorted((DEPLOY / "systemd").glob("*.service"))
HARDENING = {
    "User": "hanoix",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ReadWritePaths": "/var/lib/hanoix",
    "CapabilityBoundingSet": "",
    "ProtectClock": "yes",
}


def _service(path: Path) -> dict[str, list[str]]:
    """The [Service] section, each key with all its values (systemd repeats keys)."""
    values: dict[str, list[str]] = {}
    section = None
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            key, _, value = line.partition("=")
            values.setdefault(key, []).append(value)
    return values


def test_there_is_a_unit_for_each_process_of_a_node() -> None:
    commands = {
        path.name: _service(path)["ExecStart"][0].split("/opt/hanoix/bin/hanoix ")[1]
        for path in SERVICES
    }
    assert commands == {
        "hanoix.service": "serve --no-worker --workers 2",
        "hanoix-listener.service": "federation listen",
        "hanoix-worker.service": "federation worker",
        "hanoix-retention.service": "retention run",
    }
    timer = configparser.ConfigParser()
    timer.read(DEPLOY / "systemd" / "hanoix-retention.timer")
    assert timer["Timer"]["Persistent"] == "true"


@pytest.mark.parametrize("path", SERVICES, ids=lambda p: p.name)
def test_every_service_is_hardened(path: Path) -> None:
    service = _service(path)
    for key, value in HARDENING.items():
        assert service.get(key) == [value], f"{path.name}: {key}={value} missing"
    # The API process leaves the listener and the worker to their own units.
    if path.name == "hanoix.service":
        assert "HANOIX_FEDERATION_TLS=false" in service["Environment"]
        assert "HANOIX_FEDERATION_WORKER=false" in service["Environment"]
    assert "PROMETHEUS_MULTIPROC_DIR=/run/hanoix" in service["Environment"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd is not installed")
def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    for unit in (DEPLOY / "systemd").iterdir():
        if unit.suffix in {".service", ".timer", ".target"}:
            text = unit.read_text(encoding="utf-8")
            # The program and the environment file exist only on a machine set up for it.
            text = text.replace("/opt/hanoix/bin/hanoix", "/bin/true")
            text = text.replace("EnvironmentFile=/", "EnvironmentFile=-/")
            (tmp_path / unit.name).write_text(text, encoding="utf-8")
    units = sorted(str(p) for p in tmp_path.iterdir())
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert checked.returncode == 0 and not checked.stderr.strip(), checked.stderr


def test_the_proxy_sends_the_forwarded_headers_from_an_address_the_node_trusts() -> None:
    conf = (DEPLOY / "nginx" / "hanoix.conf").read_text(encoding="utf-8")
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "proxy_set_header X-Forwarded-Proto https;" in conf
    upstream = re.search(r"server (127\.0\.0\.1):(\d+);", conf)
    assert upstream is not None
    settings = load_settings(Path("unused"), environ={})
    assert upstream.group(2) == str(settings.port)
    trusted = [ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies]
    assert any(ipaddress.ip_address(upstream.group(1)) in network for network in trusted)
    # Peers use the mutual-TLS listener; the public site does not serve their routes.
    assert re.search(r"location /federation/ \{\s*return 404;", conf)


def test_the_container_runs_unprivileged_with_its_home_as_a_volume() -> None:
    image = (DEPLOY / "Containerfile").read_text(encoding="utf-8")
    assert "USER hanoix" in image
    assert 'VOLUME ["/var/lib/hanoix"]' in image
    assert "/api/v1/health/live" in image
    assert 'ENTRYPOINT ["hanoix"]' in image
