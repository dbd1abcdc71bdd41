"""Every request the size bounds allow fits one envelope and arrives whole on the other node; a
larger one is refused when drafted, edited or validated, naming the field, never at send."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from hanoix.errors import InputError, RuleViolationError
from hanoix.federation.envelope import MAX_PAYLOAD_BYTES
from hanoix.requests import Action, RequestEdit, Status, amend, limits
from hanoix.services import requests as service
from hanoix.services.exchange import REQUEST_SENT
from hanoix.services.requests import DraftInput
from hanoix.store import federation as fed_store
from hanoix.store import requests as request_store
from tests.federation.builders import Member, Network
from tests.services.exchange_world import deliver, exchange_network, take
from tests.services.requests_world import draft

WIDE = "\U0001d11e"  # four bytes in UTF-8, one character: the most bytes a character allows


@pytest.fixture
def net(tmp_path: Path) -> Iterator[Network]:
    network = exchange_network(tmp_path)
    yield network
    network.close()


def _text_bytes(request: DraftInput) -> int:
    terms = request.terms
    values = [*terms.contents.values(), terms.proceeding, terms.legal_basis_other or ""]
    return sum(
        len(
            json.dumps(
                list(v) if isinstance(v, tuple) else v, ensure_ascii=False, separators=(",", ":")
            ).encode()
        )
        for v in values
    )


def largest_draft() -> DraftInput:
    """A complete MLA draft whose text is exactly the largest the bounds allow: every field at
    most its length, and the whole at exactly ``MAX_REQUEST_TEXT_BYTES`` as it travels."""
    base = draft()
    proceeding = "p" * limits.MAX_PROCEEDING_CHARS
    other = "o" * limits.MAX_LEGAL_BASIS_CHARS
    contents = dict(base.terms.contents)
    names = [name for name, value in contents.items() if isinstance(value, str)]
    for name in names:
        contents[name] = "x"  # every content present, as a valid request needs
    room = limits.MAX_REQUEST_TEXT_BYTES - _text_bytes(
        amend(base, contents=contents, proceeding=proceeding, legal_basis_other=other)
    )
    for name in names:
        # Fill each text with four-byte characters, the last one topped up with ASCII.
        wide = min(limits.MAX_CONTENT_CHARS - 1, room // 4)
        narrow = min(limits.MAX_CONTENT_CHARS - 1 - wide, room - 4 * wide)
        contents[name] = WIDE * wide + "x" * (1 + narrow)
        room -= 4 * wide + narrow
        if room == 0:
            break
    assert room == 0, "the kind has too few contents to reach the bound"
    result = amend(base, contents=contents, proceeding=proceeding, legal_basis_other=other)
    assert _text_bytes(result) == limits.MAX_REQUEST_TEXT_BYTES
    assert limits.size_problems(result.terms.contents, proceeding, other) == []
    return result


def _send(member: Member, request: DraftInput) -> str:
    created = service.create(member.node, service.user_named(member.node, "drafter"), request)
    reference = str(created.request.reference)
    take(member, "drafter", reference, Action.SUBMIT)
    take(member, "approver", reference, Action.APPROVE)
    take(member, "drafter", reference, Action.SEND)
    return reference


def test_the_largest_request_the_bounds_allow_is_sent_and_arrives_whole(net: Network) -> None:
    sent = largest_draft()
    reference = _send(net["a"], sent)
    with net["a"].node.unit_of_work() as session:
        [queued] = [i for i in fed_store.list_outbox(session) if i.type == REQUEST_SENT]
    assert len(queued.envelope) < 1024 * 1024  # one envelope, under its own limit
    deliver(net)
    with net["v"].node.unit_of_work() as session:
        arrived = request_store.load(session, reference)
    assert arrived is not None and arrived.status is Status.RECEIVED
    assert dict(arrived.contents) == dict(sent.terms.contents)
    assert arrived.proceeding == sent.terms.proceeding
    assert arrived.legal_basis_other == sent.terms.legal_basis_other
    # The margin left for what travels besides the text: the bound is not a near miss.
    assert limits.MAX_REQUEST_TEXT_BYTES + 64 * 1024 < MAX_PAYLOAD_BYTES


def test_one_byte_more_is_refused_at_create_naming_the_largest_field(net: Network) -> None:
    largest = largest_draft()
    contents = dict(largest.terms.contents)
    name = next(
        n for n, v in contents.items() if isinstance(v, str) and len(v) < limits.MAX_CONTENT_CHARS
    )
    contents[name] = str(contents[name]) + "x"
    member = net["a"]
    with pytest.raises(InputError) as refused:
        service.create(
            member.node,
            service.user_named(member.node, "drafter"),
            amend(largest, contents=contents),
        )
    [problem] = refused.value.problems
    assert problem.field is not None and problem.field.startswith("contents.")
    assert str(limits.MAX_REQUEST_TEXT_BYTES) in problem.message
    with pytest.raises(InputError, match="too large to send"):
        service.validate_draft(
            member.node,
            amend(largest, contents=contents),
            user=service.user_named(member.node, "drafter"),
        )


def test_an_edit_that_makes_a_request_too_large_is_refused(net: Network) -> None:
    member = net["a"]
    drafter = service.user_named(member.node, "drafter")
    created = service.create(member.node, drafter, draft())
    reference = str(created.request.reference)
    with pytest.raises(InputError) as refused:
        take(
            member,
            "drafter",
            reference,
            Action.EDIT,
            payload=RequestEdit(
                contents={"summary_of_facts": "s" * (limits.MAX_CONTENT_CHARS + 1)}
            ),
        )
    assert refused.value.problems[0].field == "contents.summary_of_facts"


def test_a_stored_request_over_a_lowered_bound_stops_at_validation_not_at_send(
    net: Network, monkeypatch: pytest.MonkeyPatch
) -> None:
    member = net["a"]
    created = service.create(member.node, service.user_named(member.node, "drafter"), draft())
    reference = str(created.request.reference)
    # A request stored under an older, larger bound: validation, which gates submit, approve
    # and send, names the field; the message is never built.
    monkeypatch.setattr(limits, "MAX_REQUEST_TEXT_BYTES", 100)
    with pytest.raises(RuleViolationError) as refused:
        take(member, "drafter", reference, Action.SUBMIT)
    fields = [p.field for p in refused.value.problems]
    assert any(f is not None and f.startswith(("contents.", "proceeding")) for f in fields)
