"""A hash list between two real node processes on loopback: published, imported, and a
withdrawal that lands on the other node well within the minute the issue allows."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from hanoix.content.signals import hash_content
from hanoix.services import content, content_lists
from hanoix.services.requests import user_named
from hanoix.store import content as store
from tests.content.images import edited_copies, encode, scene
from tests.federation.multinode import NodeProcess, start_cluster, wait_until
from tests.services.requests_world import add_people

pytestmark = pytest.mark.slow


def _held(member: NodeProcess) -> list[store.HeldList]:
    with member.node.reading() as session:
        return store.held_lists(session)


def test_a_withdrawal_reaches_the_other_node_within_a_minute(tmp_path: Path) -> None:
    cluster = start_cluster(tmp_path, ["aut", "vnm"])
    try:
        aut, vnm = cluster["aut"], cluster["vnm"]
        for member, state in ((aut, "AUT"), (vnm, "VNM")):
            add_people(
                member.node,
                [(f"{state}-CA", "central-authority", state)],
                {"drafter": ({"drafter"}, f"{state}-CA")},
            )
        drafter = user_named(aut.node, "drafter")
        case = content.open_case(aut.node, drafter, article=14, victim_ref="c-1", consent=[])
        picture = encode(scene())
        content.add_content(aut.node, drafter, case.reference, [("scene.png", picture)])
        content_lists.publish(aut.node, drafter, ["VNM"])
        assert wait_until(lambda: len(_held(vnm)) == 1, timeout=60), vnm.log_tail()
        checker = user_named(vnm.node, "drafter")
        copy = edited_copies()["resized"]
        [found] = content.match(vnm.node, checker, [("copy", copy)])
        assert found.matched and found.matches[0].list == "AUT:AUT-CA"

        pdq = hash_content(picture).pdq
        assert pdq is not None
        started = time.monotonic()
        content_lists.withdraw(aut.node, drafter, pdq.value, "court-order")
        assert wait_until(lambda: _held(vnm)[0].withdrawn == 1, timeout=60), vnm.log_tail()
        took = time.monotonic() - started
        assert took < 60
        [again] = content.match(vnm.node, checker, [("copy", copy)])
        assert not again.matched
    finally:
        cluster.stop()
