"""Credentials that end, and sign-in that resists guessing: token lifetimes, listing and
revoking, sign-out, deactivation, the throttle, the lockout, the password gate and the TOTP
second factor. Time moves on the node's clock; nothing sleeps."""

from __future__ import annotations

import stat
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hanoix.clock import FixedClock
from hanoix.config import load_settings
from hanoix.errors import (
    AuthenticationError,
    BusyError,
    ConfigurationError,
    ConflictError,
    InputError,
    NotFoundError,
    RetryLaterError,
)
from hanoix.services import auth, second_factor
from hanoix.services.node import Node
from hanoix.store.auth import ApiTokenRow, UserRow

pytestmark = pytest.mark.usefixtures("cheap_passwords")

PASSWORD = "correct horse battery"
WRONG = "not the password at all"


def _people(node: Node) -> None:
    with node.unit_of_work() as session:
        auth.add_authority(
            session, node.clock, auth.Authority("AUT-CA", "Ministry", "central-authority", "AUT")
        )
        for name, roles, authority in (
            ("alice", {"drafter"}, "AUT-CA"),
            ("bob", {"approver"}, "AUT-CA"),
            ("root", {"administrator"}, None),
        ):
            auth.add_user(
                session,
                node.clock,
                username=name,
                display_name=name,
                roles=roles,
                authority=authority,
                password=PASSWORD,
            )


@pytest.fixture
def make_node(tmp_path: Path, db_url: str, clock: FixedClock) -> Iterator[Callable[..., Node]]:
    """Nodes on one home and database with settings of the test's choosing; each call is a
    fresh process's view (a restart), the first adds the people."""
    made: list[Node] = []

    def make(**overrides: Any) -> Node:
        settings = load_settings(tmp_path / "home", environ={}, database_url=db_url, **overrides)
        node = Node.open(settings, clock=clock)
        node.initialise()
        if not made:
            _people(node)
        made.append(node)
        return node

    yield make
    for node in made:
        node.close()


@pytest.fixture
def node(make_node: Callable[..., Node]) -> Node:
    return make_node()


def _user(node: Node, name: str) -> int:
    with node.unit_of_work() as session:
        return auth.user_id(session, name)


def _token(node: Node, name: str, **kwargs: Any) -> str:
    with node.unit_of_work() as session:
        return auth.issue_token(session, node.clock, _user(node, name), "t", **kwargs)


def _use(node: Node, token: str) -> auth.Principal:
    with node.unit_of_work() as session:
        return auth.authenticate_token(session, node.clock, token, node.credentials.policy)


# --- tokens -----------------------------------------------------------------------------------


def test_a_token_lives_the_node_maximum_by_default_and_then_dies(
    node: Node, clock: FixedClock
) -> None:
    token = _token(node, "alice")
    clock.advance(timedelta(days=90) - timedelta(seconds=1))
    assert _use(node, token).username == "alice"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(AuthenticationError):
        _use(node, token)


@pytest.mark.parametrize("days", [None, 0, 91, 100000])
def test_no_expiry_or_more_than_the_maximum_is_refused_naming_it(
    node: Node, days: int | None
) -> None:
    with pytest.raises(InputError) as caught:
        auth.token_lifetime(days, node.credentials.policy)
    assert "1 to 90 days" in caught.value.message
    assert caught.value.problems[0].field == "lifetime_days"
    with pytest.raises(InputError, match="1 to 90 days"), node.unit_of_work() as session:
        auth.issue_token(session, node.clock, 1, "t", timedelta(days=91))


def test_the_maximum_is_a_setting_and_lowering_it_shortens_tokens_already_issued(
    make_node: Callable[..., Node], clock: FixedClock
) -> None:
    node = make_node()
    token = _token(node, "alice", lifetime=timedelta(days=60))
    shorter = make_node(token_max_days=7)
    assert shorter.credentials.policy.token_max_lifetime == timedelta(days=7)
    with pytest.raises(InputError, match="1 to 7 days"):
        auth.token_lifetime(8, shorter.credentials.policy)
    clock.advance(timedelta(days=7))
    assert _use(node, token).username == "alice"  # under the old maximum
    with pytest.raises(AuthenticationError):
        _use(shorter, token)


def test_tokens_are_stored_as_digests_only(node: Node) -> None:
    token = _token(node, "alice")
    secret = token.split("_", 2)[2]
    with node.unit_of_work() as session:
        row = session.scalars(select(ApiTokenRow)).one()
        assert secret not in (row.secret_hash, row.id, row.name)
        assert len(row.secret_hash) == 64


def test_a_user_lists_and_revokes_their_tokens_and_no_one_elses(
    node: Node, clock: FixedClock
) -> None:
    mine = _token(node, "alice")
    theirs = _token(node, "bob")
    alice, bob = _user(node, "alice"), _user(node, "bob")
    mine_id = mine.split("_")[1]
    with node.unit_of_work() as session:
        listed = auth.list_tokens(session, clock, alice)
        assert [t.id for t in listed] == [mine_id]
        assert listed[0].status(clock.now()) == "live"
        with pytest.raises(NotFoundError):
            auth.revoke_token(session, clock, theirs.split("_")[1], owner=alice)
        auth.revoke_token(session, clock, mine_id, owner=alice)
    with pytest.raises(AuthenticationError):
        _use(node, mine)
    assert _use(node, theirs).user_id == bob
    with node.unit_of_work() as session:
        assert auth.list_tokens(session, clock, alice) == []
        ended = auth.list_tokens(session, clock, alice, include_ended=True)
    assert [t.status(clock.now()) for t in ended] == ["revoked"]


def test_signing_out_revokes_the_tokens_made_in_that_session_only(
    node: Node, clock: FixedClock
) -> None:
    first = auth.sign_in(node, "alice", PASSWORD).session_id
    second = auth.sign_in(node, "alice", PASSWORD).session_id
    made_in_first = _token(node, "alice", web_session=first)
    made_in_second = _token(node, "alice", web_session=second)
    from_cli = _token(node, "alice")
    with node.unit_of_work() as session:
        assert auth.end_session(session, clock, first) == 1
    with pytest.raises(AuthenticationError):
        _use(node, made_in_first)
    assert _use(node, made_in_second).username == "alice"
    assert _use(node, from_cli).username == "alice"


def test_deactivation_ends_sessions_and_tokens_at_once_and_activation_brings_none_back(
    node: Node, clock: FixedClock
) -> None:
    sid = auth.sign_in(node, "alice", PASSWORD).session_id
    token = _token(node, "alice")
    with node.unit_of_work() as session:
        info = auth.set_active(session, clock, "alice", False)
    assert not info.active
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.resume_session(session, clock, sid)
    with pytest.raises(AuthenticationError):
        _use(node, token)
    with pytest.raises(AuthenticationError, match="sign-in refused"):
        auth.sign_in(node, "alice", PASSWORD)
    with node.unit_of_work() as session:
        auth.set_active(session, clock, "alice", True)
    with pytest.raises(AuthenticationError):
        _use(node, token)
    assert auth.sign_in(node, "alice", PASSWORD).principal.username == "alice"


def test_users_are_listed_for_administrators(node: Node) -> None:
    with node.unit_of_work() as session:
        users = {u.username: u for u in auth.list_users(session)}
        with pytest.raises(NotFoundError, match="hanoix user list"):
            auth.describe_user(session, "ghost")
    assert sorted(users) == ["alice", "bob", "root"]
    assert users["bob"].roles == ["approver"]
    assert (users["alice"].active, users["alice"].locked) == (True, False)
    assert users["alice"].second_factor == "none"


# --- the throttle and the lockout -------------------------------------------------------------


def _fail(node: Node, name: str = "alice", address: str | None = "198.51.100.7") -> None:
    with pytest.raises(AuthenticationError):
        auth.sign_in(node, name, WRONG, address=address)


def test_five_failures_a_minute_then_429_even_with_the_right_password(
    node: Node, clock: FixedClock
) -> None:
    for _ in range(5):
        _fail(node)
    with pytest.raises(RetryLaterError) as caught:
        auth.sign_in(node, "alice", PASSWORD, address="198.51.100.7")
    assert caught.value.http_status == 429
    assert 1 <= caught.value.retry_after <= 60
    assert "for this account" in caught.value.message
    # From another address too: the account is what is throttled.
    with pytest.raises(RetryLaterError):
        auth.sign_in(node, "ALICE", PASSWORD, address="203.0.113.9")
    clock.advance(timedelta(seconds=caught.value.retry_after))
    assert auth.sign_in(node, "alice", PASSWORD, address="198.51.100.7").principal.username


def test_one_address_trying_many_accounts_is_throttled(node: Node) -> None:
    for number in range(20):
        _fail(node, f"nobody{number}", address="192.0.2.1")
    with pytest.raises(RetryLaterError, match="from this address"):
        auth.sign_in(node, "alice", PASSWORD, address="192.0.2.1")
    assert auth.sign_in(node, "alice", PASSWORD, address="192.0.2.2").principal


def test_repeated_failures_lock_the_account_until_an_administrator_unlocks_it(
    make_node: Callable[..., Node], clock: FixedClock
) -> None:
    node = make_node()
    for number in range(10):
        if number and number % 5 == 0:
            clock.advance(timedelta(minutes=1))  # past the per-minute throttle
        _fail(node, address=f"192.0.2.{number}")
    clock.advance(timedelta(minutes=1))
    with pytest.raises(AuthenticationError) as caught:
        auth.sign_in(node, "alice", PASSWORD)
    assert caught.value.message == auth.SIGN_IN_REFUSED  # the same answer as a wrong password
    # The lock is in the database: a restarted process (another Node) sees it.
    restarted = make_node()
    with restarted.unit_of_work() as session:
        info = auth.describe_user(session, "alice")
    assert info.locked and info.failed_logins == 11  # tries on a locked account count too
    auth.unlock_user(restarted, "alice")
    assert auth.sign_in(restarted, "alice", PASSWORD).principal.username == "alice"
    with restarted.unit_of_work() as session:
        assert auth.describe_user(session, "alice").failed_logins == 0


def test_the_throttle_is_shared_by_every_process_of_the_node(
    make_node: Callable[..., Node],
) -> None:
    one, two = make_node(), make_node()
    for _ in range(3):
        _fail(one)
    for _ in range(2):
        _fail(two)
    with pytest.raises(RetryLaterError):
        auth.sign_in(one, "alice", PASSWORD, address="198.51.100.7")


def test_a_success_resets_the_failure_count(node: Node) -> None:
    for _ in range(4):
        _fail(node)
    auth.sign_in(node, "alice", PASSWORD)
    with node.unit_of_work() as session:
        assert auth.describe_user(session, "alice").failed_logins == 0
    for _ in range(4):
        _fail(node, address=None)  # the account's window was cleared too


def test_limits_are_settings(make_node: Callable[..., Node]) -> None:
    node = make_node(login_limit_account="2/hour", login_lockout_after=3)
    _fail(node)
    _fail(node)
    with pytest.raises(RetryLaterError) as caught:
        auth.sign_in(node, "alice", PASSWORD)
    assert 3000 < caught.value.retry_after <= 3600


def test_an_unknown_role_in_the_second_factor_setting_is_refused(
    make_node: Callable[..., Node],
) -> None:
    node = make_node(totp_required_roles="approver,wizard")
    with pytest.raises(ConfigurationError, match="wizard"):
        _ = node.credentials


# --- the password gate ------------------------------------------------------------------------


def test_the_gate_runs_few_checks_at_once_and_turns_the_rest_away() -> None:
    gate = auth.PasswordGate(slots=1, queue=1, wait=30)
    inside, release = threading.Event(), threading.Event()
    waited: list[str] = []

    def hold() -> None:
        with gate.slot():
            inside.set()
            release.wait(30)

    def queue() -> None:
        with gate.slot():
            waited.append("ran")

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(30)
    queued = threading.Thread(target=queue)
    queued.start()
    # One running, one waiting: a third is told to come back (503).
    deadline = threading.Event()
    for _ in range(1000):
        try:
            with gate.slot():
                pass
        except BusyError as busy:
            assert busy.http_status == 503
            assert busy.retry_after == 1
            break
        deadline.wait(0.001)  # the queued thread has not taken its place yet
    else:
        pytest.fail("the gate never turned a sign-in away")
    release.set()
    holder.join(30)
    queued.join(30)
    assert waited == ["ran"]


def test_a_sign_in_that_waits_too_long_is_turned_away() -> None:
    gate = auth.PasswordGate(slots=1, queue=5, wait=0)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with gate.slot():
            inside.set()
            release.wait(30)

    holder = threading.Thread(target=hold)
    holder.start()
    assert inside.wait(30)
    with pytest.raises(BusyError), gate.slot():
        pass
    release.set()
    holder.join(30)


# --- the second factor ------------------------------------------------------------------------


def _enrolled(node: Node, name: str = "alice") -> str:
    enrolment = auth.enrol_totp(node, name)
    assert enrolment.uri.startswith("otpauth://totp/")
    assert f"secret={enrolment.secret}" in enrolment.uri
    auth.confirm_totp(node, name, second_factor.code_at(enrolment.secret, node.clock.now()))
    return enrolment.secret


def test_sign_in_asks_for_the_code_once_enrolled(node: Node, clock: FixedClock) -> None:
    secret = _enrolled(node)
    clock.advance(timedelta(seconds=30))
    with pytest.raises(auth.SecondFactorRequiredError):
        auth.sign_in(node, "alice", PASSWORD)
    with pytest.raises(AuthenticationError, match="one-time code"):
        auth.sign_in(node, "alice", PASSWORD, code="000000")
    code = second_factor.code_at(secret, clock.now())
    assert auth.sign_in(node, "alice", PASSWORD, code=code).principal.username == "alice"
    with node.unit_of_work() as session:
        assert auth.describe_user(session, "alice").second_factor == "totp"


def test_a_used_code_is_refused_within_its_window(node: Node, clock: FixedClock) -> None:
    secret = _enrolled(node)
    clock.advance(timedelta(seconds=30))
    code = second_factor.code_at(secret, clock.now())
    auth.sign_in(node, "alice", PASSWORD, code=code)
    with pytest.raises(AuthenticationError, match="already used"):
        auth.sign_in(node, "alice", PASSWORD, code=code)
    # Nor a code of an earlier step, still inside the drift allowed.
    earlier = second_factor.code_at(secret, clock.now() - timedelta(seconds=30))
    with pytest.raises(AuthenticationError):
        auth.sign_in(node, "alice", PASSWORD, code=earlier)
    clock.advance(timedelta(seconds=30))
    fresh = second_factor.code_at(secret, clock.now())
    assert auth.sign_in(node, "alice", PASSWORD, code=fresh).principal


def test_the_confirming_code_cannot_be_replayed_to_sign_in(node: Node) -> None:
    enrolment = auth.enrol_totp(node, "alice")
    code = second_factor.code_at(enrolment.secret, node.clock.now())
    auth.confirm_totp(node, "alice", code)
    with pytest.raises(AuthenticationError):
        auth.sign_in(node, "alice", PASSWORD, code=code)


def test_wrong_codes_count_towards_the_throttle(node: Node) -> None:
    _enrolled(node)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            auth.sign_in(node, "alice", PASSWORD, code="123456")
    with pytest.raises(RetryLaterError):
        auth.sign_in(node, "alice", PASSWORD, code="123456")


def test_confirmation_needs_a_matching_code_and_enrolment_cannot_replace_a_confirmed_one(
    node: Node,
) -> None:
    with pytest.raises(ConflictError, match="enrol one first"):
        auth.confirm_totp(node, "alice", "123456")
    auth.enrol_totp(node, "alice")
    with pytest.raises(InputError, match="does not match"):
        auth.confirm_totp(node, "alice", "000000")
    with node.unit_of_work() as session:
        assert auth.describe_user(session, "alice").second_factor == "totp-unconfirmed"
    # Unconfirmed, it is not asked for at sign-in, and may be enrolled anew.
    assert auth.sign_in(node, "alice", PASSWORD).principal
    _enrolled(node)
    with pytest.raises(ConflictError, match="disables it first"):
        auth.enrol_totp(node, "alice")
    with node.unit_of_work() as session:
        assert auth.disable_totp(session, "alice").second_factor == "none"
    assert auth.sign_in(node, "alice", PASSWORD).principal


def test_the_secret_is_kept_encrypted_under_a_key_outside_the_database(node: Node) -> None:
    secret = _enrolled(node)
    with node.unit_of_work() as session:
        stored = session.scalars(select(UserRow.totp_secret).where(UserRow.username == "alice"))
        sealed = stored.one()
    assert sealed is not None
    assert secret.encode() not in sealed
    key_file = node.settings.keys_dir / second_factor.KEY_FILE_NAME
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Under another key (a dump read elsewhere), it does not open.
    other = second_factor.SecretBox(bytes(32))
    with pytest.raises(ConfigurationError, match="re-enrol"):
        other.open(_user(node, "alice"), sealed)
    # Nor does one user's sealed secret open as another's.
    with pytest.raises(ConfigurationError):
        node.credentials.box.open(_user(node, "bob"), sealed)


def test_an_approver_must_enrol_when_the_node_requires_it(
    make_node: Callable[..., Node],
) -> None:
    node = make_node(totp_required_roles=("approver",))
    bob = auth.sign_in(node, "bob", PASSWORD).principal
    assert bob.must_enrol
    assert not auth.sign_in(node, "alice", PASSWORD).principal.must_enrol
    token = _token(node, "bob")
    assert _use(node, token).must_enrol
    secret = _enrolled(node, "bob")
    node.clock.advance(timedelta(seconds=30))  # type: ignore[attr-defined]
    code = second_factor.code_at(secret, node.clock.now())
    assert not auth.sign_in(node, "bob", PASSWORD, code=code).principal.must_enrol
    assert not _use(node, token).must_enrol
