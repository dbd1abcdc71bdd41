"""Removal notices, re-uploads, links to requests and preserved media, through the use cases on
a node (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from hanoix.clock import FixedClock
from hanoix.content.notices import NoticeState
from hanoix.errors import (
    InputError,
    NotFoundError,
    PermissionDeniedError,
    RuleViolationError,
    TransitionError,
)
from hanoix.services import content
from hanoix.services import content_notices as notices
from hanoix.services.custody import CustodyLedger
from hanoix.services.node import Node
from tests.content.images import edited_copies, encode, scene
from tests.services.requests_world import outgoing, populate, user


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


def _case(node: Node, victim: str = "v-secret-1", consent: tuple[str, ...] = ("hash",)) -> str:
    drafter = user(node, "drafter")
    case = content.open_case(node, drafter, article=16, victim_ref=victim, consent=consent)
    content.add_content(node, drafter, case.reference, [("scene.png", encode(scene()))])
    return case.reference


def _entries(node: Node) -> list[dict[str, object]]:
    found = []
    for entry in CustodyLedger(node).entries():
        text = entry.entry if isinstance(entry.entry, str) else entry.entry.decode()
        if '"content.' in text:
            found.append(json.loads(text))
    return found


def test_a_notice_is_sent_answered_and_removed_with_a_custody_event_for_each_step(
    world: Node, clock: FixedClock
) -> None:
    case = _case(world)
    drafter = user(world, "drafter")
    sent = notices.send_notice(
        world, drafter, case, to="ExampleTube", deadline=clock.now() + timedelta(hours=48)
    )
    assert sent.state is NoticeState.SENT and len(sent.content) == 1
    assert "Art. 16" in sent.legal_basis and "Art. 34" in sent.legal_basis
    acknowledged = notices.answer_notice(world, drafter, sent.reference, "acknowledged")
    removed = notices.answer_notice(
        world, user(world, "officer"), sent.reference, "removed", confirmation="TKT-0042"
    )
    assert acknowledged.state is NoticeState.ACKNOWLEDGED
    assert removed.state is NoticeState.REMOVED and removed.confirmation == "TKT-0042"
    with pytest.raises(TransitionError):
        notices.answer_notice(world, drafter, sent.reference, "refused", reason="too late")
    kinds = [e["kind"] for e in _entries(world)]
    assert kinds[-3:] == [
        "content.notice-sent",
        "content.notice-acknowledged",
        "content.notice-removed",
    ]
    assert all("v-secret-1" not in json.dumps(e) for e in _entries(world))


def test_a_refusal_keeps_its_reason_and_is_final(world: Node, clock: FixedClock) -> None:
    case = _case(world)
    drafter = user(world, "drafter")
    sent = notices.send_notice(
        world, drafter, case, to="vnm", kind="state", deadline=clock.now() + timedelta(days=7)
    )
    assert sent.recipient == "VNM"
    refused = notices.answer_notice(
        world, drafter, sent.reference, "refused", reason="lawful where hosted"
    )
    assert refused.reason == "lawful where hosted"
    with pytest.raises(TransitionError):
        notices.answer_notice(world, drafter, sent.reference, "removed", confirmation="x")


def test_overdue_notices_are_listed_first_and_alone_with_overdue(
    world: Node, clock: FixedClock
) -> None:
    case = _case(world)
    drafter = user(world, "drafter")
    soon = notices.send_notice(
        world, drafter, case, to="A", deadline=clock.now() + timedelta(hours=1)
    )
    later = notices.send_notice(
        world, drafter, case, to="B", deadline=clock.now() + timedelta(days=5)
    )
    done = notices.send_notice(
        world, drafter, case, to="C", deadline=clock.now() + timedelta(hours=2)
    )
    notices.answer_notice(world, drafter, done.reference, "removed", confirmation="ok-1")
    assert notices.list_notices(world, drafter, overdue=True) == []
    clock.advance(timedelta(hours=3))
    overdue = notices.list_notices(world, drafter, overdue=True)
    assert [n.reference for n in overdue] == [soon.reference]
    everything = notices.list_notices(world, drafter)
    assert next(n.reference for n in everything) == soon.reference
    assert {n.reference for n in everything} == {soon.reference, later.reference, done.reference}
    [row] = notices.desk(world, drafter)
    assert row.overdue == 1 and row.open_notices == 2 and row.notices == 3


def test_a_match_after_removal_reopens_the_notice_as_a_re_upload(
    world: Node, clock: FixedClock
) -> None:
    case = _case(world)
    drafter = user(world, "drafter")
    sent = notices.send_notice(
        world, drafter, case, to="ExampleTube", deadline=clock.now() + timedelta(hours=24)
    )
    # Matching before removal reopens nothing.
    copy = edited_copies()["resized-jpeg-mirrored"]
    assert content.match_and_reopen(world, drafter, [("c.jpg", copy)]).reopened == []
    notices.answer_notice(world, drafter, sent.reference, "removed", confirmation="TKT-1")
    clock.advance(timedelta(days=3))
    found = content.match_and_reopen(world, user(world, "auditor"), [("c.jpg", copy)])
    [reopened] = found.reopened
    assert reopened.notice == sent.reference
    assert reopened.deadline == clock.now() + timedelta(hours=24)
    [notice] = notices.list_notices(world, drafter)
    assert notice.state is NoticeState.REUPLOADED and notice.reuploads == 1
    assert notice.confirmation == "TKT-1"
    assert _entries(world)[-1]["kind"] == "content.reuploaded"
    # Reopened, it is worked again like a sent notice; a second match while open reopens nothing.
    assert content.match_and_reopen(world, drafter, [("c.jpg", copy)]).reopened == []
    again = notices.answer_notice(world, drafter, sent.reference, "removed", confirmation="TKT-2")
    assert again.state is NoticeState.REMOVED and again.confirmation == "TKT-2"


def test_notices_of_another_authority_answer_as_missing_ones(
    world: Node, clock: FixedClock
) -> None:
    case = _case(world)
    sent = notices.send_notice(
        world, user(world, "drafter"), case, to="A", deadline=clock.now() + timedelta(days=1)
    )
    with pytest.raises(NotFoundError) as foreign:
        notices.answer_notice(world, user(world, "prosecutor"), sent.reference, "acknowledged")
    with pytest.raises(NotFoundError) as missing:
        notices.answer_notice(world, user(world, "prosecutor"), "RN-999999", "acknowledged")
    assert str(foreign.value).replace(sent.reference, "RN-999999") == str(missing.value)
    with pytest.raises(NotFoundError):
        notices.send_notice(
            world, user(world, "prosecutor"), case, to="A", deadline=clock.now() + timedelta(1)
        )
    assert notices.list_notices(world, user(world, "prosecutor")) == []
    with pytest.raises(PermissionDeniedError):
        notices.list_notices(world, user(world, "auditor"))


def test_a_case_without_content_cannot_be_noticed(world: Node, clock: FixedClock) -> None:
    drafter = user(world, "drafter")
    case = content.open_case(world, drafter, article=14, victim_ref="c-1", consent=["none"])
    with pytest.raises(RuleViolationError):
        notices.send_notice(
            world, drafter, case.reference, to="A", deadline=clock.now() + timedelta(days=1)
        )


def test_a_case_is_linked_to_requests_its_user_may_see_and_shows_their_status(
    world: Node,
) -> None:
    case = _case(world)
    drafter = user(world, "drafter")
    request = outgoing(world, "sent")
    linked = notices.link_request(world, drafter, case, str(request.reference))
    assert linked.status == "sent" and linked.visible
    notices.link_request(world, drafter, case, str(request.reference))  # once only
    shown = notices.case_file(world, drafter, case)
    assert [r.reference for r in shown.linked] == [str(request.reference)]
    assert notices.cases_of_request(world, drafter, str(request.reference)) == [case]
    assert notices.cases_of_request(world, user(world, "prosecutor"), str(request.reference)) == []
    assert notices.cases_of_request(world, user(world, "auditor"), str(request.reference)) == []
    # A request the user may not see answers as a missing one.
    vnm = outgoing(world, "draft", author="vnm-clerk", requested_state="AUT")
    with pytest.raises(NotFoundError):
        notices.link_request(world, drafter, case, str(vnm.reference))
    notices.unlink_request(world, drafter, case, str(request.reference))
    assert notices.case_file(world, drafter, case).linked == []
    with pytest.raises(NotFoundError):
        notices.unlink_request(world, drafter, case, str(request.reference))
    kinds = [e["kind"] for e in _entries(world)]
    assert kinds.count("content.request-linked") == 1
    assert kinds[-1] == "content.request-unlinked"


def _keys(node: Node, authority: str = "AUT-CA") -> Path:
    from hanoix.services import evidence, exchange

    folder = exchange.authority_keys_dir(node, authority)
    evidence.write_key_set(folder, authority=authority, state="AUT", passphrase=None)
    return folder


def test_preserved_media_is_sealed_to_the_authoritys_own_key_and_opens_again(
    world: Node, tmp_path: Path
) -> None:
    from hanoix.services import evidence

    folder = _keys(world)
    drafter = user(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-7", consent=["hash"])
    marker = b"HANOIX-PRESERVED-MARKER-" + bytes(range(64))
    with pytest.raises(RuleViolationError):
        notices.preserve(world, drafter, case.reference, [("f.bin", marker)])
    [sealed] = notices.preserve(
        world, drafter, case.reference, [("dir/f.bin", marker)], consent=["preserve"]
    )
    shown = notices.case_file(world, drafter, case.reference)
    assert "preserve" in shown.case.consent
    [kept] = shown.preserved
    assert kept["package_id"] == sealed.package_id
    package = tmp_path / "kept.hxp"
    with world.blobs.get(str(kept["blob"])) as blob:
        package.write_bytes(blob.read())
    key = evidence.load_decryption_key(folder / "encryption.key", ask=lambda: b"")
    out = tmp_path / "opened"
    evidence.open_file(package, key, out)
    assert (out / "f.bin").read_bytes() == marker
    assert _entries(world)[-1]["kind"] == "content.preserved"
    world.close()
    for path in (world.settings.home).rglob("*"):
        if path.is_file() and path != package and out not in path.parents:
            assert marker not in path.read_bytes(), path


def test_preserving_needs_the_authoritys_keys(world: Node) -> None:
    drafter = user(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-7", consent=["hash"])
    with pytest.raises(NotFoundError, match="keys new"):
        notices.preserve(world, drafter, case.reference, [("f", b"x")], consent=["preserve"])
    assert notices.case_file(world, drafter, case.reference).preserved == []
    with pytest.raises(InputError):
        notices.case_file(world, drafter, "nonsense")
