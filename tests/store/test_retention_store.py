"""The retention tables' queries, on SQLite and PostgreSQL: what may be due, and where an
identifier is held (wildcards in it taken literally, case ignored)."""

from __future__ import annotations

from datetime import timedelta

from hanoix.clock import FixedClock
from hanoix.services import auth, content
from hanoix.services.node import Node
from hanoix.store import retention as store
from tests.services.requests_world import outgoing, populate, user


def test_requests_are_narrowed_by_the_identifier_taken_literally(node: Node) -> None:
    populate(node)
    literal = outgoing(node, "draft", proceeding="case 50%_off of Smith")
    outgoing(node, "draft", proceeding="case 50 percent xoff of Jones")
    # A unit of work: the documents are read in batches, through a cursor, inside it.
    with node.unit_of_work() as session:
        found = [str(r.reference) for r in store.requests_containing(session, "50%_off")]
        smith = [str(r.reference) for r in store.requests_containing(session, "smith")]
    assert found == [str(literal.reference)] and smith == found


def test_a_non_ascii_identifier_reads_every_request_for_the_caller_to_check(node: Node) -> None:
    populate(node)
    outgoing(node, "draft", proceeding="Nguyễn Văn A")
    outgoing(node, "draft", proceeding="someone else")
    with node.unit_of_work() as session:
        assert len(list(store.requests_containing(session, "nguyễn"))) == 2


def test_cases_are_found_by_their_victim_reference_whatever_the_case(node: Node) -> None:
    populate(node)
    drafter = user(node, "drafter")
    content.open_case(node, drafter, article=16, victim_ref="Victim-0042", consent=["hash"])
    content.open_case(node, drafter, article=16, victim_ref="other-7", consent=["hash"])
    with node.reading() as session:
        found = store.content_cases_containing(session, "victim-0042")
    assert [c.reference for c in found] == ["RC-000001"] and found[0].opened_by == "drafter"


def test_sessions_and_tokens_count_as_ended_from_expiry_or_revocation(
    node: Node, clock: FixedClock
) -> None:
    populate(node)
    with node.unit_of_work() as session:
        who = auth.user_id(session, "editor")
        auth.issue_token(session, clock, who, "short", timedelta(days=1))
        auth.issue_token(session, clock, who, "long", timedelta(days=60))
        auth.start_session(session, clock, who)
    later = clock.now() + timedelta(days=2)
    with node.reading() as session:
        ended = store.sessions_ended_before(session, later)
    kinds = sorted(s.kind for s in ended)
    assert kinds.count("token") == 1 and all(s.username == "editor" for s in ended)
    assert all(s.ended_at <= later for s in ended)
