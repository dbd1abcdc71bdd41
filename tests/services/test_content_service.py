"""Removal cases and matching, through the use cases on a node (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hanoix.errors import NotFoundError, PermissionDeniedError
from hanoix.requests import User
from hanoix.services import content
from hanoix.services.node import Node
from hanoix.services.requests import user_named
from tests.content.images import edited_copies, encode, scene, unrelated
from tests.services.requests_world import populate


@pytest.fixture
def world(node: Node) -> Node:
    populate(node)
    return node


def _user(node: Node, name: str) -> User:
    return user_named(node, name)


def test_content_added_to_a_case_matches_its_edited_copies_and_not_an_unrelated_picture(
    world: Node, tmp_path: Path
) -> None:
    drafter = _user(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-2026-1", consent=["hash"])
    original = encode(scene())
    [added] = content.add_content(world, drafter, case.reference, [("scene.png", original)])
    assert added.listed == 3 and added.pdq is not None
    copies = edited_copies()
    results = content.match(
        world,
        _user(world, "auditor"),
        [*copies.items(), ("same.png", original), ("other.png", encode(unrelated()))],
    )
    by_name = {r.name: r for r in results}
    for name in copies:
        assert by_name[name].matched, name
        assert by_name[name].matches[0].case == case.reference
        assert by_name[name].matches[0].signal == "pdq"
    assert {m.signal for m in by_name["same.png"].matches} == {"sha256", "md5", "pdq"}
    assert not by_name["other.png"].matched


def test_a_file_that_is_not_an_image_is_listed_and_matched_by_its_digests(world: Node) -> None:
    drafter = _user(world, "drafter")
    case = content.open_case(world, drafter, article=14, victim_ref="c-1", consent=["none"])
    [added] = content.add_content(world, drafter, case.reference, [("clip.bin", b"\x00video")])
    assert added.listed == 2 and added.note is not None
    [result] = content.match(world, drafter, [("again.bin", b"\x00video")])
    assert {m.signal for m in result.matches} == {"sha256", "md5"}


def test_another_authoritys_case_answers_as_a_missing_one(world: Node) -> None:
    case = content.open_case(
        world, _user(world, "drafter"), article=16, victim_ref="v-1", consent=["hash"]
    )
    with pytest.raises(NotFoundError) as foreign:
        content.add_content(world, _user(world, "prosecutor"), case.reference, [("f", b"x")])
    with pytest.raises(NotFoundError) as missing:
        content.add_content(world, _user(world, "prosecutor"), "RC-999999", [("f", b"x")])
    assert str(foreign.value).replace(case.reference, "RC-999999") == str(missing.value)


def test_an_administrator_may_neither_open_cases_nor_match(world: Node) -> None:
    admin = _user(world, "admin")
    with pytest.raises(PermissionDeniedError):
        content.open_case(world, admin, article=16, victim_ref="v-1", consent=["hash"])
    with pytest.raises(PermissionDeniedError):
        content.match(world, admin, [("f", b"x")])


#: Media with a marker in it, larger than the 1 MiB past which Starlette's form parser would
#: write an uploaded file to a temporary file.
MARKER = b"HANOIX-MEDIA-MARKER-" + bytes(range(32))
MEDIA = MARKER * (2 * 1024 * 1024 // len(MARKER))


def assert_no_media_kept(node: Node, root: Path, marker: bytes = MARKER) -> None:
    """Nothing under ``root`` (the node's home, its database files, the temporary folder the
    test gave the process) holds ``marker``, nor, on PostgreSQL, the hash table. Closes the
    node."""
    node.close()
    for path in root.rglob("*"):
        if path.is_file():
            assert marker not in path.read_bytes(), path
    if node.settings.database_url.startswith("postgresql"):
        import psycopg

        with psycopg.connect(node.settings.database_url.replace("+psycopg", "")) as db:
            rows = db.execute("SELECT case_id, list_name, signal, value FROM content_hashes")
            assert marker.hex() not in repr(rows.fetchall())


@pytest.mark.parametrize("how", ["service", "api"])
def test_no_media_bytes_are_stored_in_the_database_or_the_home(
    world: Node, tmp_path: Path, kept_temporary_files: Path, how: str
) -> None:
    drafter = _user(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-9", consent=["hash"])
    if how == "service":
        content.add_content(world, drafter, case.reference, [("secret.bin", MEDIA)])
    else:
        from fastapi.testclient import TestClient

        from hanoix.api.app import create_app
        from tests.services.requests_world import token

        with TestClient(create_app(world)) as client:
            sent = client.post(
                f"/api/v1/content/cases/{case.reference}/content",
                files={"files": ("secret.bin", MEDIA)},
                headers=token(world, "drafter"),
            )
        assert sent.status_code == 200, sent.text
    assert content.show_case(world, drafter, case.reference).hashes == 2  # SHA-256, MD5
    assert_no_media_kept(world, tmp_path)


def test_opening_a_case_and_listing_content_are_custody_events_without_the_victim(
    world: Node,
) -> None:
    from hanoix.services.custody import CustodyLedger

    drafter = _user(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-secret-9", consent=["hash"])
    data = encode(scene())
    content.add_content(world, drafter, case.reference, [("a.png", data)])
    content.add_content(world, drafter, case.reference, [("again.png", data)])  # nothing new
    entries = [
        e.entry if isinstance(e.entry, str) else e.entry.decode()
        for e in CustodyLedger(world).entries()
    ]
    kinds = [e for e in entries if '"content.' in e]
    assert len(kinds) == 2
    assert '"content.case-opened"' in kinds[0] and '"content.listed"' in kinds[1]
    assert all("v-secret-9" not in e for e in entries)


def test_the_index_follows_the_lists_as_they_grow_and_shrink(world: Node) -> None:
    """A process's index takes new rows as they come, and starts over when a row goes (or the
    node's radius changes): a match never answers from a stale list."""
    from sqlalchemy import delete

    from hanoix.content.cases import MatchPolicy
    from hanoix.store.content import ContentHashRow

    drafter = _user(world, "drafter")
    case = content.open_case(world, drafter, article=16, victim_ref="v-idx", consent=["hash"])
    original, other = encode(scene()), encode(unrelated())
    copy = edited_copies()["resized"]

    def matched_cases(data: bytes, policy: MatchPolicy | None = None) -> bool:
        [result] = content.match(world, drafter, [("q.png", data)], policy)
        return any(m.signal == "pdq" for m in result.matches)

    assert not matched_cases(copy)
    content.add_content(world, drafter, case.reference, [("scene.png", original)])
    assert matched_cases(copy)  # the new row is added to the index
    content.add_content(world, drafter, case.reference, [("other.png", other)])
    assert matched_cases(copy) and len(world.listed_pdq._entries) == 2
    with world.unit_of_work() as session:
        session.execute(delete(ContentHashRow).where(ContentHashRow.signal == "pdq"))
    assert not matched_cases(copy)  # rows gone: the index starts over
    content.add_content(world, drafter, case.reference, [("scene.png", original)])
    assert matched_cases(copy)
    assert not matched_cases(copy, MatchPolicy(pdq_distance=0))  # another radius: rebuilt
    assert world.listed_pdq._index.radius == 0
