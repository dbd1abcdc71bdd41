"""Three nodes on loopback and one case between them, end to end (``hanoix demo``).

Viet Nam, Austria and South Africa each get a home of their own (SQLite database, blob
folder, node keys, authorities with evidence key sets, users), one signed directory lists the
three, and three ``hanoix serve`` processes run it. Then the scenario plays through the public
interfaces, as a real client would: the HTTP API with each user's token for every step of the
requests, the evidence library for sealing, sending, verifying and opening the package.

1. Austria's 24/7 point of contact asks Viet Nam to preserve a provider's stored data;
2. Viet Nam's 24/7 point of contact confirms preservation;
3. Austria follows with a mutual legal assistance request within the preservation period;
4. Viet Nam's central authority executes it and returns an evidence package;
5. Austria verifies and opens it;
6. South Africa's node holds nothing of it.

:class:`Demo` is the library; :mod:`hanoix.cli.demo` is the command.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from hanoix.config import Settings, load_settings
from hanoix.errors import HanoixError
from hanoix.evidence import keys as keyfiles
from hanoix.federation.directory import Directory, sign_directory
from hanoix.federation.settings import trust_file
from hanoix.services import auth, exchange
from hanoix.services import requests as request_service
from hanoix.services.evidence import (
    Actor,
    collect_sources,
    load_decryption_key,
    load_signing_key,
    seal_files,
    write_key_set,
)
from hanoix.services.node import Node

DEFAULT_DIR = Path(".hanoix-demo")
DEFAULT_PORTS = {"VNM": 8471, "AUT": 8472, "ZAF": 8473}
PASSWORD = "hanoix-demo-2026"  # noqa: S105  (demo users only; printed for people to sign in)
MARKER = ".hanoix-demo"  # a folder holding this file may be wiped by the next demo
STEP_TIMEOUT = 30.0
PROCEEDING = "Staatsanwaltschaft Wien 71 St 18/26: ransomware attack on Vienna hospitals"


class SetupError(HanoixError):
    """The demo could not be set up (a port, a folder, a node that does not start)."""

    code = "demo-setup"


class StepFailedError(Exception):
    """A step of the scenario did not have the outcome it should."""


@dataclass(frozen=True)
class StateInfo:
    code: str
    name: str
    zone: str


STATES = (
    StateInfo("VNM", "Viet Nam", "Asia/Ho_Chi_Minh"),
    StateInfo("AUT", "Austria", "Europe/Vienna"),
    StateInfo("ZAF", "South Africa", "Africa/Johannesburg"),
)

# username: (role, authority suffix, what they do)
USERS: dict[str, tuple[str, str, str]] = {
    "officer": ("officer_24_7", "247", "24/7 duty officer"),
    "supervisor": ("approver", "247", "head of the 24/7 unit (approves)"),
    "drafter": ("drafter", "CA", "central authority clerk"),
    "approver": ("approver", "CA", "central authority approver"),
    "examiner": ("examiner", "CA", "forensic examiner"),
    "auditor": ("auditor", "CA", "auditor (reads, and the ledger)"),
}

AUTHORITY_NAMES = {
    ("VNM", "CA"): "Supreme People's Procuracy (central authority)",
    ("VNM", "247"): "Department of Cybersecurity and High-Tech Crime Prevention (24/7)",
    ("AUT", "CA"): "Federal Ministry of Justice (central authority)",
    ("AUT", "247"): "Criminal Intelligence Service, Cybercrime Competence Centre (24/7)",
    ("ZAF", "CA"): "Department of Justice and Constitutional Development (central authority)",
    ("ZAF", "247"): "SAPS Cybercrime Unit (24/7)",
}


@dataclass(frozen=True)
class StepResult:
    """One step of the scenario and its outcome."""

    number: int
    title: str
    ok: bool
    seconds: float
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.number,
            "title": self.title,
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "detail": self.detail,
        }


@dataclass
class DemoNode:
    """One State's node: its home, port, server process and demo users."""

    state: StateInfo
    home: Path
    port: int
    process: subprocess.Popen[bytes] | None = None
    _node: Node | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.state.code.lower()}.demo.hanoix"

    @property
    def settings(self) -> Settings:
        return load_settings(self.home, environ={})

    @property
    def node(self) -> Node:
        if self._node is None:
            self._node = Node.open(self.settings)
        return self._node

    def authority(self, suffix: str) -> str:
        return f"{self.state.code}-{suffix}"

    def keys(self, suffix: str) -> Path:
        return exchange.authority_keys_dir(self.node, self.authority(suffix))

    def log_tail(self, lines: int = 20) -> str:
        log = self.home / "serve.log"
        if not log.is_file():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        if self._node is not None:
            self._node.close()
            self._node = None


def port_free(port: int) -> bool:
    """Whether a server could listen on ``port`` (as uvicorn binds: SO_REUSEADDR, so the
    TIME_WAIT connections a demo that just stopped leaves behind do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _toml(values: dict[str, Any]) -> str:
    lines = []
    for key, value in values.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int | float):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(str(value))}")
    return "\n".join(lines) + "\n"


Report = Callable[[StepResult], None]
Notice = Callable[[str], None]


class Demo:
    """Set up three nodes under ``root``, play the scenario, stop them."""

    def __init__(
        self,
        root: Path,
        *,
        ports: dict[str, int] | None = None,
        on_step: Report | None = None,
        notice: Notice | None = None,
        database_urls: dict[str, str] | None = None,
    ) -> None:
        self.root = root.resolve()  # the servers run in their homes: no relative paths
        self.wanted_ports = ports
        # A State's database, when not its home's SQLite file (tests run a node on PostgreSQL).
        self.database_urls = database_urls or {}
        self.on_step = on_step or (lambda result: None)
        self.notice = notice or (lambda text: None)
        self.nodes: dict[str, DemoNode] = {}
        self.results: list[StepResult] = []
        self.tokens: dict[tuple[str, str], str] = {}
        self.facts: dict[str, str] = {}

    # --- setting up ----------------------------------------------------------------------

    def _port(self, code: str) -> int:
        if self.wanted_ports is None:
            return free_port()
        wanted = self.wanted_ports[code]
        if port_free(wanted):
            return wanted
        chosen = free_port()
        self.notice(
            f"port {wanted} (for {code}) is taken, probably by another program or an earlier "
            f"demo still running; using {chosen} instead"
        )
        return chosen

    def _fresh_root(self) -> None:
        if self.root.exists():
            if not (self.root / MARKER).is_file():
                raise SetupError(
                    f"{self.root} exists and was not made by 'hanoix demo': remove it or choose "
                    "another folder with --dir"
                )
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        (self.root / MARKER).write_text("made by 'hanoix demo'; deleted by the next one\n")

    def setup(self) -> None:
        """Create the homes, users, keys and directory, then start and wait for the nodes."""
        self._fresh_root()
        authority_key, _ = keyfiles.generate("Demo directory authority", None)
        (self.root / "directory-authority").mkdir()
        (self.root / "directory-authority" / "signing.pub").write_text(
            keyfiles.dump_public(authority_key.public)
        )
        for info in STATES:
            self.nodes[info.code] = self._make_node(info, authority_key)
        entries = tuple(n.node.federation.own_entry() for n in self.nodes.values())
        now = datetime.now(UTC).replace(microsecond=0)
        data = sign_directory(Directory(1, now, entries), authority_key)
        (self.root / "directory.json").write_bytes(data)
        for member in self.nodes.values():
            member.node.federation.import_directory(data)
        for member in self.nodes.values():
            self._start(member)
        for member in self.nodes.values():
            self._wait_healthy(member)

    def _make_node(self, info: StateInfo, authority_key: keyfiles.SigningKey) -> DemoNode:
        home = self.root / info.code.lower()
        home.mkdir()
        member = DemoNode(info, home, self._port(info.code))
        (home / "hanoix.toml").write_text(
            _toml(
                {
                    "state": info.code,
                    "origin": member.origin,
                    "port": member.port,
                    "log_level": "warning",
                    **(
                        {"database_url": self.database_urls[info.code]}
                        if info.code in self.database_urls
                        else {}
                    ),
                }
            )
        )
        (home / "federation.toml").write_text(
            _toml(
                {
                    "base_url": member.url,
                    "poll_interval": 0.2,
                    "backoff_base": 0.5,
                    "backoff_cap": 5,
                    "connect_timeout": 2,
                    "read_timeout": 10,
                    "witness_interval": 5,
                }
            )
        )
        trust_file(member.settings).write_text(keyfiles.dump_public(authority_key.public))
        node = member.node
        node.initialise()
        with node.unit_of_work() as session:
            for suffix, kind in (("CA", "central-authority"), ("247", "contact-24-7")):
                code = member.authority(suffix)
                name = AUTHORITY_NAMES[(info.code, suffix)]
                auth.add_authority(session, node.clock, auth.Authority(code, name, kind, info.code))
            for username, (role, suffix, title) in USERS.items():
                auth.add_user(
                    session,
                    node.clock,
                    username=username,
                    display_name=f"{title}, {info.name}",
                    roles={role},
                    authority=member.authority(suffix),
                    password=PASSWORD,
                )
        for suffix in ("CA", "247"):
            write_key_set(
                member.keys(suffix),
                authority=member.authority(suffix),
                state=info.code,
                passphrase=None,
            )
        return member

    def _start(self, member: DemoNode) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HANOIX_")}
        # The servers run the very code this demo runs, wherever it is installed from.
        code = str(Path(__file__).resolve().parents[1])
        env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH")) if p)
        with (member.home / "serve.log").open("wb") as log:
            member.process = subprocess.Popen(  # noqa: S603  (our own argv, no shell)
                [
                    *(sys.executable, "-m", "hanoix", "--home", str(member.home), "serve"),
                    *("--parent", str(os.getpid())),  # a demo killed outright takes them along
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=member.home,
                start_new_session=True,  # Ctrl-C reaches the demo, which stops them in order
            )

    def _wait_healthy(self, member: DemoNode, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if member.process is not None and member.process.poll() is not None:
                raise SetupError(
                    f"the {member.state.name} node stopped at start:\n{member.log_tail()}"
                )
            try:
                if httpx.get(f"{member.url}/api/v1/health", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SetupError(f"the {member.state.name} node did not answer within {timeout:.0f} s")

    def start_node(self, code: str) -> None:
        """Start ``code``'s server again (after :meth:`stop_node`) and wait until it answers."""
        member = self.nodes[code]
        self._start(member)
        self._wait_healthy(member)

    def stop_node(self, code: str) -> None:
        """Stop ``code``'s server (SIGTERM, then SIGKILL after 10 s) and close its database."""
        member = self.nodes[code]
        process = member.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        member.process = None
        member.close()

    def stop(self) -> None:
        """Stop the three servers (SIGTERM, then SIGKILL after 10 s) and close the databases."""
        for member in self.nodes.values():
            process = member.process
            if process is not None and process.poll() is None:
                process.terminate()
        for member in self.nodes.values():
            process = member.process
            if process is not None:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=10)
            member.close()

    # --- the HTTP client -----------------------------------------------------------------

    def token(self, code: str, username: str) -> str:
        """Sign in as ``username`` on ``code``'s node and get an API token, as a client does."""
        key = (code, username)
        if key not in self.tokens:
            member = self.nodes[code]
            with httpx.Client(base_url=member.url, timeout=10) as client:
                login = client.post(
                    "/api/v1/auth/login", json={"username": username, "password": PASSWORD}
                )
                _expect(login, 200, f"sign in as {username}")
                issued = client.post("/api/v1/auth/tokens", json={"name": "hanoix demo"})
                _expect(issued, 201, f"token for {username}")
            self.tokens[key] = str(issued.json()["token"])
        return self.tokens[key]

    def call(
        self,
        code: str,
        username: str,
        method: str,
        path: str,
        *,
        body: Any = None,
        expect: int = 200,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        member = self.nodes[code]
        sent = {"Authorization": f"Bearer {self.token(code, username)}", **(headers or {})}
        response = httpx.request(
            method, f"{member.url}/api/v1{path}", json=body, headers=sent, timeout=30
        )
        _expect(response, expect, f"{method} {path} as {username}@{code}")
        return response

    def get(self, code: str, username: str, path: str, *, expect: int = 200) -> Any:
        return self.call(code, username, "GET", path, expect=expect).json()

    def step(self, code: str, username: str, reference: str, step: str, body: Any = None) -> Any:
        """Take a lifecycle step: read the request's ETag, then post the step with If-Match."""
        current = self.call(code, username, "GET", f"/requests/{reference}")
        answer = self.call(
            code,
            username,
            "POST",
            f"/requests/{reference}/{step}",
            body=body,
            headers={"If-Match": current.headers["ETag"]},
        )
        return answer.json()

    def wait_for(self, code: str, username: str, reference: str, status: str) -> Any:
        """Poll ``code``'s node until its copy of ``reference`` is in ``status``."""
        deadline = time.monotonic() + STEP_TIMEOUT
        seen: Any = None
        while time.monotonic() < deadline:
            found = self.call(code, username, "GET", f"/requests/{reference}", expect=0)
            if found.status_code == 200:
                seen = found.json()
                if seen["status"] == status:
                    return seen
            time.sleep(0.2)
        where = "not there" if seen is None else f"'{seen['status']}'"
        raise StepFailedError(
            f"{reference} on {self.nodes[code].state.name}'s node is {where}, not '{status}', "
            f"after {STEP_TIMEOUT:.0f} s"
        )

    # --- the scenario --------------------------------------------------------------------

    @contextmanager
    def _step(self, title: str) -> Iterator[list[str]]:
        detail: list[str] = []
        started = time.monotonic()
        try:
            yield detail
        except (StepFailedError, HanoixError, httpx.HTTPError, KeyError, ValueError) as exc:
            if isinstance(exc, HanoixError):
                message = exc.message
            elif isinstance(exc, KeyError):
                message = f"an answer lacks the member {exc}"
            else:
                message = str(exc)
            result = StepResult(
                len(self.results) + 1, title, False, time.monotonic() - started, message
            )
            self.results.append(result)
            self.on_step(result)
            raise StepFailedError(message) from None
        result = StepResult(
            len(self.results) + 1, title, True, time.monotonic() - started, "; ".join(detail)
        )
        self.results.append(result)
        self.on_step(result)

    def play(self) -> bool:
        """Play the scenario; True if every step succeeded (it stops at the first failure)."""
        try:
            self._scenario()
        except StepFailedError:
            return False
        return all(r.ok for r in self.results)

    def _scenario(self) -> None:
        vnm, aut = "VNM", "AUT"
        with self._step("Austria's 24/7 officer drafts an urgent preservation request") as out:
            created = self.call(
                aut, "officer", "POST", "/requests", body=preservation_draft(), expect=201
            ).json()
            preservation = created["reference"]
            self.facts["preservation"] = preservation
            problems = created.get("validation", {}).get("problems", [])
            if problems:
                raise StepFailedError(f"the draft is not valid: {problems}")
            out.append(f"{preservation}, valid, to VNM-247 by the 24/7 network")
        with self._step("Austria submits, approves (four eyes) and sends it") as out:
            self.step(aut, "officer", preservation, "submit")
            self.step(aut, "supervisor", preservation, "approve")
            sent = self.step(aut, "officer", preservation, "send")
            out.append(f"status {sent['status']}")
        with self._step("Viet Nam's 24/7 point of contact receives it over the network") as out:
            got = self.wait_for(vnm, "officer", preservation, "received")
            inbox = self.get(vnm, "officer", "/federation/inbox")
            urgent = [m for m in inbox if m["type"] == "request.sent" and m["urgent"]]
            if not urgent:
                raise StepFailedError("the request is not on the 24/7 view as urgent")
            self.wait_for(aut, "officer", preservation, "received")
            out.append(f"handled by {got['handled_by']}; urgent on the 24/7 view; AUT sees it")
        with self._step("Viet Nam preserves the provider's stored data and confirms it") as out:
            today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date().isoformat()
            self.step(vnm, "officer", preservation, "acknowledge")
            self.step(vnm, "officer", preservation, "start-execution")
            done = self.step(
                vnm,
                "officer",
                preservation,
                "execute",
                {
                    "preserved_on": today,
                    "summary": "Mailbox and login records of the account preserved at the "
                    "provider's data centre in Ha Noi.",
                },
            )
            expiry = done["preservation"]["expires_at"]
            out.append(f"preserved on {today}, until {expiry}")
        with self._step("Austria sees the preservation confirmed and its deadline") as out:
            seen = self.wait_for(aut, "officer", preservation, "executed")
            expiry = seen["preservation"]["expires_at"]
            if expiry != done["preservation"]["expires_at"]:
                raise StepFailedError(f"the two copies disagree on the expiry: {expiry}")
            out.append(f"both nodes: preserved until {expiry}")
        with self._step("Austria follows up with an MLA request for the preserved data") as out:
            read = self.call(aut, "officer", "GET", f"/requests/{preservation}")
            follow = self.call(
                aut,
                "officer",
                "POST",
                f"/requests/{preservation}/follow-up",
                body={"contents": _follow_up_contents()},
                expect=201,
                headers={"If-Match": read.headers["ETag"]},
            ).json()
            mla = follow["follow_up"]["reference"]
            problems = (follow["follow_up"].get("validation") or {}).get("problems", [])
            if problems:
                raise StepFailedError(f"the follow-up is not valid: {problems}")
            self.facts["mla"] = mla
            self.step(aut, "officer", mla, "submit")
            self.step(aut, "supervisor", mla, "approve")
            self.step(aut, "officer", mla, "send")
            out.append(f"{mla} follows up {preservation}; sent within the preservation period")
        with self._step("Viet Nam's central authority receives and acknowledges it") as out:
            got = self.wait_for(vnm, "drafter", mla, "received")
            self.step(vnm, "drafter", mla, "acknowledge")
            self.step(vnm, "examiner", mla, "start-execution")
            held = self.get(vnm, "officer", f"/requests/{preservation}")
            out.append(f"handled by {got['handled_by']}; preservation follow-ups: ")
            out[-1] += ", ".join(held.get("follow_ups", [])) or "(none)"
        with self._step("Viet Nam seals the evidence and returns it for the request") as out:
            sent_package = self._return_evidence(mla)
            self.step(
                vnm,
                "examiner",
                mla,
                "execute",
                {"summary": "Mailbox export and login records handed over as evidence."},
            )
            out.append(f"package {sent_package.package_id} queued to {sent_package.recipient}")
        with self._step("Austria receives the package, verified on arrival") as out:
            self.wait_for(aut, "officer", mla, "executed")
            received = self._wait_for_evidence(mla)
            out.append(f"{received.package_id}: {received.size} bytes, verified, attached to {mla}")
        with self._step("Austria's 24/7 unit verifies and opens it") as out:
            out.append(self._open_evidence(mla, received))
        with self._step("Austria closes the MLA request; Viet Nam's copy follows") as out:
            self.step(aut, "officer", mla, "close")
            self.wait_for(vnm, "drafter", mla, "closed")
            out.append("closed on both nodes")
        with self._step("South Africa's node holds nothing of it") as out:
            out.append(self._third_node_sees_nothing(preservation, mla))

    def _return_evidence(self, mla: str) -> exchange.SentEvidence:
        member = self.nodes["VNM"]
        node = member.node
        examiner = request_service.user_named(node, "examiner")
        recipient = exchange.requesting_authority_key(node, examiner, mla)
        seized = self.root / "vnm-seized" / "provider-export"
        seized.mkdir(parents=True)
        (seized / "mailbox.mbox").write_text(_MAILBOX, "utf-8")
        (seized / "logins.csv").write_text(_LOGINS, "utf-8")
        package = self.root / "vnm-seized" / f"{mla}.hxp"
        seal_files(
            collect_sources([seized]),
            package,
            signer=load_signing_key(member.keys("CA") / "signing.key"),
            recipients=[recipient],
            clock=node.clock,
            request=mla,
            note="Export of the preserved account, as requested",
            examiner="examiner, Viet Nam",
            node=node,
            actor=Actor("examiner", member.authority("CA")),
        )
        return exchange.send_evidence(node, examiner, mla, package)

    def _wait_for_evidence(self, mla: str) -> exchange.ReceivedEvidence:
        node = self.nodes["AUT"].node
        officer = request_service.user_named(node, "officer")
        deadline = time.monotonic() + STEP_TIMEOUT
        while time.monotonic() < deadline:
            found = exchange.received_evidence(node, officer, mla)
            if found:
                return found[-1]
            time.sleep(0.2)
        raise StepFailedError(f"no package arrived for {mla} within {STEP_TIMEOUT:.0f} s")

    def _open_evidence(self, mla: str, received: exchange.ReceivedEvidence) -> str:
        member = self.nodes["AUT"]
        node = member.node
        # May the 24/7 unit handling the request open it? The conditions on use answer.
        self.call("AUT", "officer", "POST", f"/requests/{mla}/uses", body={"action": "open"})
        officer = request_service.user_named(node, "officer")
        folder = self.root / "aut-received"
        folder.mkdir()
        opened = exchange.open_evidence(
            node,
            officer,
            mla,
            received.package_id,
            load_decryption_key(member.keys("247") / "encryption.key"),
            folder / "opened",
            actor=Actor("officer", member.authority("247")),
        )
        names = ", ".join(f.path for f in opened.manifest.files)
        header = opened.report.header
        signer = header.sender.authority if header is not None else "unknown"
        return f"signed by {signer}; {len(opened.manifest.files)} files ({names}) in {folder}"

    def _third_node_sees_nothing(self, *references: str) -> str:
        zaf = "ZAF"
        listed = self.get(zaf, "drafter", "/requests")
        if listed["items"]:
            raise StepFailedError(f"South Africa lists requests: {listed['items']}")
        for reference in references:
            self.call(zaf, "drafter", "GET", f"/requests/{reference}", expect=404)
        inbox = self.get(zaf, "officer", "/federation/inbox?all=true")
        if inbox:
            raise StepFailedError(f"South Africa's inbox holds {len(inbox)} messages")
        entries = self.get(zaf, "auditor", "/ledger/entries?limit=500")
        text = json.dumps(entries)
        if any(reference in text for reference in references):
            raise StepFailedError("South Africa's ledger names the requests")
        return (
            f"no request listed, {', '.join(references)} not found, inbox empty, "
            f"none of its {entries['tree_size']} ledger entries names them"
        )


def _expect(response: httpx.Response, status: int, what: str) -> None:
    if status and response.status_code != status:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise StepFailedError(f"{what}: HTTP {response.status_code}: {detail}"[:500])


def preservation_draft() -> dict[str, Any]:
    return {
        "kind": "preservation",
        "requested_state": "VNM",
        "requested_authority": "VNM-247",
        "channel": "contact-24-7",
        "urgent": True,
        "language": "en",
        "proceeding": PROCEEDING,
        "preservation_days": 90,
        "legal_basis_other": "Reciprocity, pending the Convention's entry into force",
        "convention_offence": True,
        "dual_criminality": True,
        "contents": {
            "requesting_authority": "Criminal Intelligence Service Austria, Cybercrime "
            "Competence Centre (C4), on behalf of the Vienna public prosecutor",
            "offence": "Illegal access and data interference (Arts 7 and 9); extortion",
            "summary_of_facts": "On 2 November 2026 the networks of three Vienna hospitals "
            "were encrypted; the ransom notes name a webmail account hosted in Viet Nam.",
            "data_to_preserve": "Stored content, subscriber data and login records of the "
            "account named in the annex, from 1 October 2026",
            "relationship_to_offence": "The account was used to negotiate the ransom.",
            "custodian_or_location": "A webmail provider with its data centre in Ha Noi",
            "necessity": "The provider deletes inactive accounts after 30 days.",
            "intent_to_request_mla": True,
            "confidentiality": "Do not notify the account holder.",
        },
    }


def _follow_up_contents() -> dict[str, Any]:
    return {
        "subject_and_nature": "Criminal investigation of a ransomware attack on hospitals",
        "conducting_authority": "Public Prosecutor's Office Vienna, cybercrime unit",
        "assistance_sought": "Production of the preserved data of the account",
        "purpose": "Evidence for the prosecution of the attackers",
        "data_sought": "The content, subscriber data and login records preserved under the "
        "earlier request",
    }


_MAILBOX = """From negotiator@example.invalid Mon Nov  2 03:14:07 2026
From: negotiator@example.invalid
Subject: your files

Pay 40 BTC within 72 hours.
"""
_LOGINS = """time,ip
2026-11-02T03:10:55Z,203.0.113.7
2026-11-02T03:41:12Z,198.51.100.23
"""


# --- running it --------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a run produced: the steps, and whether setting up failed (exit 2)."""

    results: list[StepResult]
    setup_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.setup_error is None and bool(self.results) and all(r.ok for r in self.results)

    @property
    def exit_code(self) -> int:
        if self.setup_error is not None:
            return 2
        return 0 if self.ok else 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "setup_error": self.setup_error,
            "steps": [r.as_dict() for r in self.results],
        }


def check(on_step: Report | None = None, notice: Notice | None = None) -> Outcome:
    """Play the scenario on fresh temporary homes and free ports, then stop everything."""
    with tempfile.TemporaryDirectory(prefix="hanoix-demo-") as folder:
        demo = Demo(Path(folder) / "demo", on_step=on_step, notice=notice)
        try:
            try:
                demo.setup()
            except (HanoixError, OSError) as exc:
                message = exc.message if isinstance(exc, HanoixError) else str(exc)
                return Outcome([], message)
            demo.play()
            return Outcome(demo.results)
        finally:
            demo.stop()


def wait_for_interrupt(demo: Demo, on_waiting: Callable[[], None] | None = None) -> None:
    """Block until Ctrl-C or SIGTERM, or until a node stops on its own.

    `on_waiting` runs once the handlers are in place: a prompt printed before them would let a
    Ctrl-C pressed at once reach the CLI's own interrupt path instead of ending the wait."""
    # The handler only appends to a list: setting a threading.Event there could deadlock, as
    # the handler runs in the main thread, possibly while that thread holds the Event's own
    # (not reentrant) lock inside Event.wait (CI saw the demo hang once on Ctrl-C).
    received: list[int] = []
    handlers = {
        sig: signal.signal(sig, lambda signum, _frame: received.append(signum))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        if on_waiting is not None:
            on_waiting()
        while not received:
            if any(
                m.process is not None and m.process.poll() is not None for m in demo.nodes.values()
            ):
                return
            time.sleep(0.5)
    finally:
        for sig, previous in handlers.items():
            signal.signal(sig, previous)
