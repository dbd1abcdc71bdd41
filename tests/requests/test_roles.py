"""Who acts (hanoix.requests.roles): the checks on authorities, users, counterparts and the
node itself, and what is recorded for each in history (``actor_id``, ``actor_authority``).

Built inside the tests, not at import: a check that runs only while the module is imported is
a check no test holds."""

from __future__ import annotations

import pytest

from hanoix.errors import InputError
from hanoix.requests.roles import (
    Authority,
    AuthorityKind,
    Counterpart,
    NodeActor,
    Role,
    User,
    actor_authority,
    actor_id,
)

CENTRAL = AuthorityKind.CENTRAL_AUTHORITY


def _not_a_state(what: str, code: str) -> str:
    return (
        f"^{what} {code!r} is not an ISO 3166-1 alpha-3 code: write three capital letters, "
        "like 'AUT' or 'VNM'$"
    )


def test_an_authority_has_a_code_and_the_shape_of_a_state() -> None:
    authority = Authority("AUT-CA", "AUT", CENTRAL)
    assert (authority.code, authority.state, authority.kind) == ("AUT-CA", "AUT", CENTRAL)
    with pytest.raises(InputError, match=r"^an authority needs a code$"):
        Authority("  ", "AUT", CENTRAL)
    with pytest.raises(InputError, match=_not_a_state("authority's State", "aut")):
        Authority("AUT-CA", "aut", CENTRAL)


def test_a_user_has_an_id() -> None:
    user = User("anna", None, frozenset({Role.ADMINISTRATOR}))
    assert user.id == "anna"
    with pytest.raises(InputError, match=r"^a user needs an id$"):
        User(" ", None, frozenset())


def test_a_counterpart_has_a_state_and_an_authority() -> None:
    assert Counterpart("VNM", "VNM-CA").authority == "VNM-CA"
    with pytest.raises(InputError, match=_not_a_state("counterpart's State", "VN")):
        Counterpart("VN", "VNM-CA")
    with pytest.raises(InputError, match=r"^a counterpart needs an authority code$"):
        Counterpart("VNM", "")


def test_the_node_acts_for_a_state() -> None:
    assert NodeActor("AUT").name == "node"
    with pytest.raises(InputError, match=_not_a_state("node's State", "Austria")):
        NodeActor("Austria")


def test_each_actor_is_recorded_by_its_id_and_the_authority_it_acts_for() -> None:
    clerk = User("anna", Authority("AUT-CA", "AUT", CENTRAL), frozenset({Role.DRAFTER}))
    admin = User("root", None, frozenset({Role.ADMINISTRATOR}))
    peer = Counterpart("VNM", "VNM-CA")
    node = NodeActor("AUT")
    assert [actor_id(a) for a in (clerk, admin, peer, node)] == [
        "anna",
        "root",
        "VNM:VNM-CA",
        "AUT:node",
    ]
    assert [actor_authority(a) for a in (clerk, admin, peer, node)] == [
        "AUT-CA",
        "user:root",
        "VNM-CA",
        "AUT:node",
    ]


def test_has_any_is_true_only_when_a_role_is_shared() -> None:
    user = User("anna", None, frozenset({Role.DRAFTER, Role.EXAMINER}))
    assert user.has_any(frozenset({Role.EXAMINER, Role.AUDITOR}))
    assert not user.has_any(frozenset({Role.APPROVER}))
    assert not user.has_any(frozenset())
