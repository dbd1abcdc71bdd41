"""Evidence in the browser, on two nodes: Viet Nam's examiner uploads files in ranges (an
interrupted upload resumes at the node's offset), seals and sends them for Austria's request;
Austria's examiner verifies, takes a copy, opens the package and reads the report."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from hanoix.api.app import create_app
from hanoix.logs import configure_logging
from hanoix.services import auth, exchange, uploads
from hanoix.services.evidence import write_key_set
from hanoix.services.node import Node
from tests.federation.builders import Network
from tests.services.exchange_world import deliver, exchange_network, executing_mla
from tests.web.pages import PASSWORD, form_token, sign_in

pytestmark = pytest.mark.usefixtures("cheap_passwords")

MAILBOX = b"From: someone@example.vn\n\n" + b"hello from the seized mailbox\n" * 3000


@dataclass
class World:
    net: Network
    reference: str

    @property
    def vnm(self) -> Node:
        return self.net["v"].node

    @property
    def aut(self) -> Node:
        return self.net["a"].node


def _people(node: Node, foreign: str, people: dict[str, tuple[str, str]]) -> None:
    """Add ``people`` (username: role, authority) and ``foreign``, an authority of the other
    State with users on this node (a liaison office)."""
    with node.unit_of_work() as session:
        state = "AUT" if foreign.startswith("AUT") else "VNM"
        auth.add_authority(
            session, node.clock, auth.Authority(foreign, foreign, "competent-authority", state)
        )
        for username, (role, authority) in people.items():
            auth.add_user(
                session,
                node.clock,
                username=username,
                display_name=username.title(),
                roles={role},
                authority=authority,
                password=PASSWORD,
            )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    net = exchange_network(tmp_path)
    execution = executing_mla(net, tmp_path)
    v, a = net["v"].node, net["a"].node
    write_key_set(
        exchange.authority_keys_dir(v, "VNM-CA"), authority="VNM-CA", state="VNM", passphrase=None
    )
    _people(
        v,
        "AUT-LIAISON",
        {
            "hoa": ("examiner", "VNM-CA"),
            "duc": ("examiner", "VNM-CA"),
            "kim": ("examiner", "VNM-247"),
            "max": ("examiner", "AUT-LIAISON"),
        },
    )
    _people(
        a,
        "VNM-LIAISON",
        {
            "anna": ("examiner", "AUT-CA"),
            "paul": ("officer_24_7", "AUT-247"),
            "dora": ("drafter", "AUT-CA"),
            "lien": ("examiner", "VNM-LIAISON"),
        },
    )
    yield World(net, execution.reference)
    net.close()


def browser(node: Node, username: str) -> TestClient:
    client = TestClient(create_app(node), base_url="https://node.test")
    sign_in(client, username)
    return client


def token(client: TestClient, reference: str) -> str:
    page = client.get(f"/requests/{reference}/evidence")
    assert page.status_code == 200, page.text
    return form_token(page.text)


def start(client: TestClient, reference: str, name: str, size: int) -> str:
    created = client.post(
        f"/requests/{reference}/evidence/uploads",
        json={"name": name, "size": size},
        headers={"X-CSRF-Token": token(client, reference)},
    )
    assert created.status_code == 201, created.text
    upload: str = created.json()["upload"]
    assert created.headers["location"].endswith(upload)
    return upload


def put(client: TestClient, url: str, body: bytes, first: int, last: int, total: int) -> object:
    return client.put(
        url,
        content=body,
        headers={
            "X-CSRF-Token": form_token(client.get(url.rsplit("/uploads", 1)[0]).text),
            "Content-Range": f"bytes {first}-{last}/{total}",
        },
    )


def staged_files(node: Node) -> list[Path]:
    folder = uploads.uploads_dir(node)
    return sorted(folder.iterdir()) if folder.exists() else []


def test_an_interrupted_upload_resumes_at_the_nodes_offset_and_seals_a_package_that_verifies(
    world: World,
) -> None:
    ref, size = world.reference, len(MAILBOX)
    with browser(world.vnm, "hoa") as hoa:
        upload = start(hoa, ref, "export/mailbox.mbox", size)
        url = f"/requests/{ref}/evidence/uploads/{upload}"
        # The whole file announced, the connection cut after 40,000 bytes.
        cut = put(hoa, url, MAILBOX[:40_000], 0, size - 1, size)
        assert cut.status_code == 200  # type: ignore[attr-defined]
        assert cut.json() == {"offset": 40_000, "size": size, "complete": False}  # type: ignore[attr-defined]
        assert hoa.get(url).json() == {"offset": 40_000, "size": size}
        # The page closed and the same file chosen again: the same upload, from the same offset.
        again = hoa.post(
            f"/requests/{ref}/evidence/uploads",
            json={"name": "export/mailbox.mbox", "size": size},
            headers={"X-CSRF-Token": token(hoa, ref)},
        )
        assert again.status_code == 200
        assert again.json() == {"upload": upload, "offset": 40_000, "size": size}
        rest = put(hoa, url, MAILBOX[40_000:], 40_000, size - 1, size)
        assert rest.json()["complete"] is True  # type: ignore[attr-defined]
        page = hoa.get(f"/requests/{ref}/evidence")
        assert "export/mailbox.mbox" in page.text and upload not in page.text.split("remove")[0]
        sealed = hoa.post(
            f"/requests/{ref}/evidence/seal",
            data={"csrf_token": form_token(page.text), "note": "as requested"},
        )
        assert sealed.status_code == 200, sealed.text
        package_id = re.search(r"<code>(sha256:[0-9a-f]+)</code>", sealed.text)
        assert package_id, sealed.text
        assert (
            "package.sealed" in sealed.text and "Sealed and queued for a.hanoix.test" in sealed.text
        )
        assert staged_files(world.vnm) == []  # sealed: the uploads are gone

        deliver(world.net)
        pid = package_id.group(1)
        # The delivery, with the other node's signed receipt, is a custody event too.
        sent_page = hoa.get(f"/requests/{ref}/evidence/packages/{pid}").text
        assert "package.sent" in sent_page
        proof = re.search(r'href="(/ledger/proof\?index=\d+)"', sent_page)
        assert proof and hoa.get(proof.group(1)).status_code == 200
    with browser(world.aut, "anna") as anna:
        listed = anna.get(f"/requests/{ref}/evidence")
        assert pid in listed.text
        report = anna.get(f"/requests/{ref}/evidence/packages/{pid}/report")
        assert report.status_code == 200
        assert "<script" not in report.text and "evidence-report.css" in report.text
        assert 'data-testid="result">Verified' in report.text
        assert "valid, made with the key" in report.text and "VNM-CA" in report.text
        copy = anna.get(f"/requests/{ref}/evidence/packages/{pid}/file")
        assert copy.status_code == 200
        digest = hashlib.sha256(copy.content).hexdigest()
        assert f'data-testid="sha256">{digest}<' in report.text
        assert "Inclusion proof" in report.text and "Root hash" in report.text
        package_page = anna.get(f"/requests/{ref}/evidence/packages/{pid}")
        verified = anna.post(
            f"/requests/{ref}/evidence/packages/{pid}/verify",
            data={"csrf_token": form_token(package_page.text)},
        )
        assert verified.status_code == 200 and "package.verified" in verified.text
        opened = anna.post(
            f"/requests/{ref}/evidence/packages/{pid}/open",
            data={"csrf_token": form_token(package_page.text)},
        )
        assert opened.status_code == 200, opened.text
        assert "export/mailbox.mbox" in opened.text
        assert hashlib.sha256(MAILBOX).hexdigest() in opened.text
        folder = re.search(r"<code>(evidence/opened/[^<]+)</code>", opened.text)
        assert folder
        assert (world.aut.settings.home / folder.group(1) / "export/mailbox.mbox").read_bytes() == (
            MAILBOX
        )
        after = anna.get(f"/requests/{ref}/evidence/packages/{pid}")
        assert "package.opened" in after.text


def test_a_range_that_does_not_start_at_the_nodes_offset_is_refused_with_that_offset(
    world: World,
) -> None:
    ref = world.reference
    with browser(world.vnm, "hoa") as hoa:
        upload = start(hoa, ref, "logins.csv", 1000)
        url = f"/requests/{ref}/evidence/uploads/{upload}"
        assert put(hoa, url, b"x" * 300, 0, 299, 1000).status_code == 200  # type: ignore[attr-defined]
        ahead = put(hoa, url, b"y" * 200, 500, 699, 1000)
        assert ahead.status_code == 409  # type: ignore[attr-defined]
        assert ahead.json()["offset"] == 300  # type: ignore[attr-defined]
        assert "up to byte 300" in ahead.json()["message"]  # type: ignore[attr-defined]
        again = put(hoa, url, b"z" * 100, 0, 99, 1000)  # sent twice: refused, nothing lost
        assert again.status_code == 409 and again.json()["offset"] == 300  # type: ignore[attr-defined]
        too_long = put(hoa, url, b"w" * 800, 300, 999, 1000)  # more than the range says
        assert too_long.status_code == 400  # type: ignore[attr-defined]
        assert hoa.get(url).json()["offset"] == 300
        wrong_total = put(hoa, url, b"v" * 10, 300, 309, 2000)
        assert wrong_total.status_code == 400  # type: ignore[attr-defined]
        assert "begun for 1000 bytes" in wrong_total.json()["message"]  # type: ignore[attr-defined]


def test_a_too_large_upload_is_refused_with_a_clear_message_and_leaves_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    node = world.vnm
    small = node.settings.model_copy(update={"evidence_upload_max_bytes": 5000})
    monkeypatch.setattr(node, "settings", small)
    ref = world.reference
    with browser(node, "hoa") as hoa:
        refused = hoa.post(
            f"/requests/{ref}/evidence/uploads",
            json={"name": "huge.bin", "size": 5001},
            headers={"X-CSRF-Token": token(hoa, ref)},
        )
        assert refused.status_code == 413
        assert "at most 5,000 bytes" in refused.json()["message"]
        assert staged_files(node) == []
        # Without scripts: the whole form is refused before a byte of it is read.
        page = hoa.get(f"/requests/{ref}/evidence")
        form = hoa.post(
            f"/requests/{ref}/evidence/files",
            data={"csrf_token": form_token(page.text)},
            files={"files": ("huge.bin", b"\0" * (5000 + 2 * 1024 * 1024))},
        )
        assert form.status_code == 413
        assert "at most 5,000 bytes" in form.text
        assert staged_files(node) == []
        # Two files that fit one by one but not together: the second is refused.
        start(hoa, ref, "a.bin", 3000)
        second = hoa.post(
            f"/requests/{ref}/evidence/uploads",
            json={"name": "b.bin", "size": 3000},
            headers={"X-CSRF-Token": token(hoa, ref)},
        )
        assert second.status_code == 413 and "there would be 6,000" in second.json()["message"]


def test_the_plain_form_stages_files_when_scripts_are_off(world: World) -> None:
    ref = world.reference
    with browser(world.vnm, "hoa") as hoa:
        page = hoa.get(f"/requests/{ref}/evidence")
        sent = hoa.post(
            f"/requests/{ref}/evidence/files",
            data={"csrf_token": form_token(page.text)},
            files=[("files", ("notes.txt", b"seized notes")), ("files", ("logins.csv", b"a,b\n"))],
        )
        assert sent.status_code == 200, sent.text
        assert "notes.txt" in sent.text and "logins.csv" in sent.text
    staged = uploads.staged_for(world.vnm, exchange.service.user_named(world.vnm, "hoa"), ref)
    assert sorted((s.name, s.complete) for s in staged) == [
        ("logins.csv", True),
        ("notes.txt", True),
    ]


def test_another_users_upload_is_not_found(world: World) -> None:
    ref = world.reference
    with browser(world.vnm, "hoa") as hoa:
        upload = start(hoa, ref, "mine.bin", 10)
    url = f"/requests/{ref}/evidence/uploads/{upload}"
    with browser(world.vnm, "duc") as duc:
        assert duc.get(url).status_code == 404
        assert put(duc, url, b"0123456789", 0, 9, 10).status_code == 404  # type: ignore[attr-defined]
        page = duc.get(f"/requests/{ref}/evidence")
        assert "mine.bin" not in page.text
        removed = duc.post(f"{url}/remove", data={"csrf_token": form_token(page.text)})
        assert removed.status_code == 404
        assert duc.get(f"/requests/{ref}/evidence/uploads/{'A' * 32}").status_code == 404
    assert len(staged_files(world.vnm)) == 2  # hoa's upload and its metadata, untouched


def test_a_user_of_another_authority_can_neither_seal_nor_download(world: World) -> None:
    ref = world.reference
    # Another authority of the same State reads the request, as the API lets it, and no more;
    # an authority of another State sees nothing of it: the API's 404.
    for username, page_status, refusal in (("kim", 200, 403), ("max", 404, 404)):
        with browser(world.vnm, username) as other:
            page = other.get(f"/requests/{ref}/evidence")
            assert page.status_code == page_status
            form = form_token(other.get("/account").text)
            refused = other.post(
                f"/requests/{ref}/evidence/uploads",
                json={"name": "x.bin", "size": 1},
                headers={"X-CSRF-Token": form},
            )
            assert refused.status_code == refusal
            sealed = other.post(f"/requests/{ref}/evidence/seal", data={"csrf_token": form})
            assert sealed.status_code == refusal
            if page_status == 200:
                # Only what the user may do is offered: no section that would be refused.
                assert "Return evidence" not in page.text and "may only read it" not in page.text
                assert 'id="upload-form"' not in page.text
    assert staged_files(world.vnm) == []
    with browser(world.vnm, "hoa") as hoa:
        upload = start(hoa, ref, "m.bin", 3)
        put(hoa, f"/requests/{ref}/evidence/uploads/{upload}", b"abc", 0, 2, 3)
        sealed = hoa.post(f"/requests/{ref}/evidence/seal", data={"csrf_token": token(hoa, ref)})
        pid = re.search(r"<code>(sha256:[0-9a-f]+)</code>", sealed.text)
        assert pid
    deliver(world.net)
    base = f"/requests/{ref}/evidence/packages/{pid.group(1)}"
    with browser(world.aut, "lien") as lien:
        for path in ("", "/file", "/report"):
            assert lien.get(base + path).status_code == 404, path
        token_page = lien.get("/account")
        for path in ("/verify", "/open"):
            made = lien.post(base + path, data={"csrf_token": form_token(token_page.text)})
            assert made.status_code == 404, path
    with browser(world.aut, "paul") as paul:
        # Austria's 24/7 unit reads the request but may not take a copy of what came for it.
        page = paul.get(base)
        assert page.status_code == 200 and "Evidence package" in page.text
        assert "/file" not in page.text and "Open it" not in page.text
        assert paul.get(base + "/file").status_code == 403
    with browser(world.aut, "dora") as dora:
        # A drafter of the authority in charge opens it, but is not offered a copy her role
        # may not take: the node refuses it all the same.
        page = dora.get(base)
        assert "Open it" in page.text and "Download a copy" not in page.text
        assert "/file" not in page.text
        assert dora.get(base + "/file").status_code == 403
    with browser(world.aut, "anna") as anna:
        page = anna.get(base)
        assert "Download a copy" in page.text and "Open it" in page.text
        # The requesting side returns nothing: the section is not there to refuse it.
        assert "Return evidence" not in anna.get(f"/requests/{ref}/evidence").text


def test_every_post_and_put_needs_the_form_token(world: World) -> None:
    ref = world.reference
    with browser(world.vnm, "hoa") as hoa:
        upload = start(hoa, ref, "t.bin", 4)
        base = f"/requests/{ref}/evidence"
        assert hoa.post(f"{base}/uploads", json={"name": "u.bin", "size": 1}).status_code == 403
        unsigned = hoa.put(
            f"{base}/uploads/{upload}", content=b"abcd", headers={"Content-Range": "bytes 0-3/4"}
        )
        assert unsigned.status_code == 403
        assert hoa.get(f"{base}/uploads/{upload}").json()["offset"] == 0
        wrong = {"csrf_token": "not-the-token"}
        assert hoa.post(f"{base}/seal", data=wrong).status_code == 403
        assert hoa.post(f"{base}/uploads/{upload}/remove", data=wrong).status_code == 403
        files = {"files": ("a.txt", b"a")}
        assert hoa.post(f"{base}/files", data=wrong, files=files).status_code == 403
        assert hoa.post(f"{base}/packages/sha256:00/verify", data=wrong).status_code == 403
        assert hoa.post(f"{base}/packages/sha256:00/open", data=wrong).status_code == 403
    assert len(staged_files(world.vnm)) == 2  # only t.bin


def test_uploads_expire_and_their_names_never_reach_the_logs(
    world: World, capfd: pytest.CaptureFixture[str]
) -> None:
    ref = world.reference
    # Logging is set up once per process, and another test may have left it at "warning":
    # the node logs at "info", as it runs by default.
    configure_logging("info")
    with browser(world.vnm, "hoa") as hoa:
        first = start(hoa, ref, "suspect-diary.txt", 5)
        put(hoa, f"/requests/{ref}/evidence/uploads/{first}", b"diary", 0, 4, 5)
    hours = world.vnm.settings.evidence_upload_expiry_hours
    world.net["v"].clock.advance(timedelta(hours=hours, minutes=1))
    with browser(world.vnm, "hoa") as hoa:  # the session has ended meanwhile too
        start(hoa, ref, "later.txt", 1)  # a new upload sweeps the expired ones
        assert hoa.get(f"/requests/{ref}/evidence/uploads/{first}").status_code == 404
        assert "suspect-diary.txt" not in hoa.get(f"/requests/{ref}/evidence").text
    assert len(staged_files(world.vnm)) == 2  # later.txt and its metadata
    captured = capfd.readouterr()
    logged = captured.out + captured.err
    assert first in logged  # the opaque id is how a log line names an upload
    assert "suspect-diary" not in logged
    assert "diary" not in logged.replace("suspect-diary", "")


def test_the_report_of_a_package_damaged_in_storage_says_it_does_not_verify(world: World) -> None:
    ref = world.reference
    with browser(world.vnm, "hoa") as hoa:
        upload = start(hoa, ref, "mailbox.mbox", len(MAILBOX))
        put(
            hoa,
            f"/requests/{ref}/evidence/uploads/{upload}",
            MAILBOX,
            0,
            len(MAILBOX) - 1,
            len(MAILBOX),
        )
        sealed = hoa.post(f"/requests/{ref}/evidence/seal", data={"csrf_token": token(hoa, ref)})
        found = re.search(r"<code>(sha256:[0-9a-f]+)</code>", sealed.text)
        assert found
    deliver(world.net)
    pid = found.group(1)
    (item,) = exchange.received_evidence(
        world.aut, exchange.service.user_named(world.aut, "anna"), ref
    )
    blob = world.aut.settings.effective_blob_dir / "sha256" / item.sha256[:2] / item.sha256[2:]
    blob.chmod(0o600)
    data = bytearray(blob.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one chunk's ciphertext
    blob.write_bytes(bytes(data))
    with browser(world.aut, "anna") as anna:
        report = anna.get(f"/requests/{ref}/evidence/packages/{pid}/report")
        assert report.status_code == 200
        assert 'data-testid="result">NOT verified' in report.text
        assert 'data-testid="signature">not shown to be valid' in report.text
        assert f'data-testid="sha256">{item.sha256}<' in report.text  # as it was received
        page = anna.get(f"/requests/{ref}/evidence/packages/{pid}")
        verified = anna.post(
            f"/requests/{ref}/evidence/packages/{pid}/verify",
            data={"csrf_token": form_token(page.text)},
        )
        assert "NOT verified" in verified.text
        assert "verified: false" in verified.text


def test_a_full_disk_keeps_what_arrived_and_says_so(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref = world.reference
    with browser(world.vnm, "hoa") as hoa:
        upload = start(hoa, ref, "disk.bin", 10)
        url = f"/requests/{ref}/evidence/uploads/{upload}"
        real_write = os.write

        room = [4]

        def full(fd: int, data: bytes | memoryview) -> int:
            if not room[0]:
                raise OSError(errno.ENOSPC, "No space left on device")
            written = real_write(fd, bytes(data[: room[0]]))  # four bytes fit, then nothing
            room[0] -= written
            return written

        monkeypatch.setattr(os, "write", full)
        refused = put(hoa, url, b"0123456789", 0, 9, 10)
        monkeypatch.undo()
        assert refused.status_code == 507  # type: ignore[attr-defined]
        assert "disk is full" in refused.json()["message"]  # type: ignore[attr-defined]
        assert hoa.get(url).json()["offset"] == 4
        assert put(hoa, url, b"456789", 4, 9, 10).json()["complete"] is True  # type: ignore[attr-defined]
