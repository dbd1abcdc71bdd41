from __future__ import annotations

from datetime import timedelta

import pytest

from hanoix.clock import FixedClock
from hanoix.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from hanoix.services import auth
from hanoix.services.node import Node
from hanoix.store.auth import SessionRow

PASSWORD = "correct horse battery"


@pytest.fixture
def alice(node: Node) -> auth.Principal:
    with node.unit_of_work() as session:
        auth.add_authority(
            session,
            node.clock,
            auth.Authority("AUT-CA", "Federal Ministry", "central-authority", "AUT"),
        )
        return auth.add_user(
            session,
            node.clock,
            username="alice",
            display_name="Alice",
            roles={"drafter"},
            authority="AUT-CA",
            password=PASSWORD,
        )


def test_password_sign_in_gives_the_principal_with_state(node: Node, alice: auth.Principal) -> None:
    principal = auth.sign_in(node, "alice", PASSWORD).principal
    assert principal.credential == "session"
    assert principal.username == "alice"
    assert principal.state == "AUT"
    assert principal.roles == {"drafter"}


@pytest.mark.parametrize(
    ("username", "password"), [("alice", "wrong password!"), ("bob", PASSWORD)]
)
def test_wrong_user_or_password_get_the_same_answer(
    node: Node, alice: auth.Principal, username: str, password: str
) -> None:
    with pytest.raises(AuthenticationError) as caught:
        auth.sign_in(node, username, password)
    assert caught.value.message == auth.SIGN_IN_REFUSED


def test_token_round_trip_expiry_and_revocation(
    node: Node, alice: auth.Principal, clock: FixedClock
) -> None:
    with node.unit_of_work() as session:
        token = auth.issue_token(session, clock, alice.user_id, "ci", timedelta(days=1))
    with node.unit_of_work() as session:
        assert auth.authenticate_token(session, clock, token).username == "alice"
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.authenticate_token(session, clock, token[:-1] + ("A" if token[-1] != "A" else "B"))
    clock.advance(timedelta(days=2))
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.authenticate_token(session, clock, token)


def test_a_token_authenticates_with_its_user_s_authority_and_notes_its_use_once_a_minute(
    node: Node, alice: auth.Principal, clock: FixedClock
) -> None:
    with node.unit_of_work() as session:
        token = auth.issue_token(session, clock, alice.user_id, "ci", timedelta(days=1))
    first_use = clock.now()

    def use() -> auth.Principal:
        with node.reading() as session:
            return auth.authenticate_token(session, clock, token)

    def last_used() -> object:
        with node.unit_of_work() as session:
            return auth.list_tokens(session, clock, alice.user_id)[0].last_used_at

    principal = use()
    assert (principal.authority, principal.state) == ("AUT-CA", "AUT")
    assert principal.authority_kind == "central-authority"
    assert last_used() == first_use
    clock.advance(auth.TOKEN_USE_RECORDED_EVERY - timedelta(seconds=1))
    use()
    assert last_used() == first_use  # a read is not a write each time
    clock.advance(timedelta(seconds=1))
    use()
    assert last_used() == clock.now()


def test_revoked_token_is_refused(node: Node, alice: auth.Principal, clock: FixedClock) -> None:
    with node.unit_of_work() as session:
        token = auth.issue_token(session, clock, alice.user_id, "ci")
    token_id = token.removeprefix(auth.TOKEN_PREFIX).split("_")[0]
    with node.unit_of_work() as session:
        auth.revoke_token(session, clock, token_id)
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.authenticate_token(session, clock, token)


@pytest.mark.parametrize("garbage", ["", "hxt_", "hxt_x", "Bearer abc", "hxt_nope_nope"])
def test_malformed_tokens_are_refused(node: Node, garbage: str) -> None:
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.authenticate_token(session, node.clock, garbage)


def test_sessions_expire_when_idle_and_after_their_lifetime(
    node: Node, alice: auth.Principal, clock: FixedClock
) -> None:
    with node.unit_of_work() as session:
        sid = auth.start_session(session, clock, alice.user_id)
    clock.advance(auth.SESSION_IDLE_LIMIT - timedelta(minutes=1))
    with node.unit_of_work() as session:
        assert auth.resume_session(session, clock, sid).username == "alice"
    clock.advance(auth.SESSION_IDLE_LIMIT + timedelta(minutes=1))
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.resume_session(session, clock, sid)


def test_a_session_in_use_is_written_at_most_once_a_minute_and_stays_alive(
    node: Node, alice: auth.Principal, clock: FixedClock
) -> None:
    with node.unit_of_work() as session:
        sid = auth.start_session(session, clock, alice.user_id)

    def last_seen() -> object:
        with node.unit_of_work() as session:
            return session.get(SessionRow, auth._digest(sid)).last_seen_at  # type: ignore[union-attr]

    started = last_seen()
    clock.advance(auth.SESSION_TOUCH_INTERVAL / 2)
    with node.unit_of_work() as session:
        auth.resume_session(session, clock, sid)
    assert last_seen() == started  # within the interval: nothing written
    # Used every half interval for longer than the idle limit: never idle, so never ended.
    elapsed = auth.SESSION_TOUCH_INTERVAL / 2
    while elapsed <= auth.SESSION_IDLE_LIMIT * 2:
        clock.advance(auth.SESSION_TOUCH_INTERVAL / 2)
        elapsed += auth.SESSION_TOUCH_INTERVAL / 2
        with node.unit_of_work() as session:
            assert auth.resume_session(session, clock, sid).username == "alice"
    assert last_seen() != started
    # Then left alone past the idle limit (counted from the last use written): ended.
    clock.advance(auth.SESSION_IDLE_LIMIT + auth.SESSION_TOUCH_INTERVAL)
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.resume_session(session, clock, sid)


def test_session_lifetime_is_a_hard_limit(
    node: Node, alice: auth.Principal, clock: FixedClock
) -> None:
    with node.unit_of_work() as session:
        sid = auth.start_session(session, clock, alice.user_id)
    step = auth.SESSION_IDLE_LIMIT - timedelta(minutes=1)
    elapsed = timedelta()
    while elapsed + step < auth.SESSION_LIFETIME:
        clock.advance(step)
        elapsed += step
        with node.unit_of_work() as session:
            auth.resume_session(session, clock, sid)
    clock.advance(step)
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.resume_session(session, clock, sid)


def test_ended_session_is_gone(node: Node, alice: auth.Principal, clock: FixedClock) -> None:
    with node.unit_of_work() as session:
        sid = auth.start_session(session, clock, alice.user_id)
    with node.unit_of_work() as session:
        auth.end_session(session, clock, sid)
    with node.unit_of_work() as session, pytest.raises(AuthenticationError):
        auth.resume_session(session, clock, sid)


def test_user_rules(node: Node, alice: auth.Principal) -> None:
    def add(**kwargs: object) -> None:
        args: dict[str, object] = {
            "username": "carol",
            "display_name": "Carol",
            "roles": {"approver"},
            "authority": "AUT-CA",
            "password": PASSWORD,
        }
        args.update(kwargs)
        with node.unit_of_work() as session:
            auth.add_user(session, node.clock, **args)  # type: ignore[arg-type]

    with pytest.raises(ConflictError):
        add(username="alice")
    with pytest.raises(InputError, match="roles"):
        add(roles={"king"})
    with pytest.raises(InputError, match="authority"):
        add(authority=None)
    with pytest.raises(NotFoundError):
        add(authority="AUT-NOPE")
    with pytest.raises(InputError, match="too short"):
        add(password="short")
    with pytest.raises(InputError, match="username"):
        add(username="Carol Smith")
    add(username="root", roles={"administrator"}, authority=None)


def test_authority_code_must_match_its_state(node: Node) -> None:
    with node.unit_of_work() as session, pytest.raises(InputError, match="must start"):
        auth.add_authority(
            session, node.clock, auth.Authority("VNM-CA", "x", "central-authority", "AUT")
        )
