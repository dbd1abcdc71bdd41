"""Who is calling: users with passwords (argon2id) and an optional second factor (TOTP), API
tokens, expiring web sessions; and how credentials end.

Tokens are ``hxt_<id>_<secret>``: the id finds the row, the secret is compared in constant time
with its stored SHA-256 digest. Web session ids are random and stored only as digests. A wrong
username, a wrong password, a locked or a deactivated account give the same answer, in about
the same time.

Credentials end: every token expires within the node's maximum (``token_max_days``), and may
be revoked by its owner or an administrator; signing out revokes the tokens made in that
session; deactivating a user ends their sessions and revokes their tokens at once. Sign-in is
throttled per account and per client address (``limits``, counters in the database), an
account locks after repeated failures until an administrator unlocks it, and password checks
run a few at a time so that a burst of sign-ins queues instead of taking every core.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, cached_property
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import case, delete, select, update
from sqlalchemy.orm import Session

from hanoix.clock import Clock
from hanoix.config import Settings
from hanoix.errors import (
    AuthenticationError,
    BusyError,
    ConfigurationError,
    ConflictError,
    InputError,
    NotFoundError,
    PermissionDeniedError,
    Problem,
    RetryLaterError,
)
from hanoix.services import second_factor
from hanoix.services.custody import ledger_origin
from hanoix.services.second_factor import Enrolment, SecretBox
from hanoix.store.auth import (
    ApiTokenRow,
    AuthorityRow,
    SessionRow,
    UserRow,
    note_token_use,
    token_holder,
)
from hanoix.store.throttle import DatabaseStorage

if TYPE_CHECKING:
    from hanoix.services.node import Node

TOKEN_PREFIX = "hxt_"  # noqa: S105  (a public marker, not a secret)
SESSION_LIFETIME = timedelta(hours=8)
SESSION_IDLE_LIMIT = timedelta(minutes=30)
# A session's last use is written at most this often: a page open on the 24/7 desk asks every
# second, and a write (a flushed commit) per call cost more than the call itself. The idle
# limit then counts from a use at most this much earlier than the last one.
SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
DEFAULT_TOKEN_MAX_LIFETIME = timedelta(days=90)
# A token's last use is written at most this often: writing it on every call made each read a
# write transaction (an UPDATE and a flush of the write-ahead log per call).
TOKEN_USE_RECORDED_EVERY = timedelta(minutes=1)
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
_AUTHORITY_CODE = re.compile(r"^[A-Z]{3}-[A-Z0-9-]{2,60}$")

# One answer for every failed sign-in, so it tells nobody which part was wrong.
SIGN_IN_REFUSED = (
    "sign-in refused: wrong username or password, or the account is locked or deactivated "
    "(an administrator can unlock it)"
)
# How long a sign-in waits for a password check before the node answers 503.
PASSWORD_QUEUE_WAIT = 10.0

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both failures cost the same.
    return _hasher.hash(secrets.token_urlsafe(16))


ROLES = (
    "drafter",
    "approver",
    "officer_24_7",
    "examiner",
    "auditor",
    "administrator",
    "matcher",
    "data_protection_officer",
)
AUTHORITY_KINDS = ("central-authority", "contact-24-7", "competent-authority")


@dataclass(frozen=True)
class Principal:
    """An authenticated user as every authorisation check sees them.

    ``credential`` says how they proved it (``session`` or ``token``); ``must_enrol`` is true
    for a user whose roles need a second factor they have not enrolled yet: such a caller may
    only enrol it (see :func:`hanoix.api.security.current_principal`).
    """

    user_id: int
    username: str
    display_name: str
    authority: str | None
    state: str | None
    roles: frozenset[str]
    credential: str = "token"
    must_enrol: bool = False
    authority_kind: str | None = None
    """The kind of the user's authority as read when they were authenticated; ``None`` when
    they have none, or it is gone, or the principal was made without reading it."""

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    kind: str
    state: str


@dataclass(frozen=True)
class CredentialPolicy:
    """The node's rules for credentials, from its settings."""

    token_max_lifetime: timedelta = DEFAULT_TOKEN_MAX_LIFETIME
    totp_required_roles: frozenset[str] = frozenset()
    lockout_after: int = 10
    account_limits: tuple[RateLimitItem, ...] = tuple(parse_many("5/minute;30/day"))
    address_limits: tuple[RateLimitItem, ...] = tuple(parse_many("20/minute;300/day"))

    @classmethod
    def from_settings(cls, settings: Settings) -> CredentialPolicy:
        unknown = sorted(set(settings.totp_required_roles) - set(ROLES))
        if unknown:
            raise ConfigurationError(
                f"totp_required_roles: {', '.join(unknown)} is not a role; "
                f"choose from {', '.join(ROLES)}"
            )
        return cls(
            token_max_lifetime=timedelta(days=settings.token_max_days),
            totp_required_roles=frozenset(settings.totp_required_roles),
            lockout_after=settings.login_lockout_after,
            account_limits=tuple(parse_many(settings.login_limit_account)),
            address_limits=tuple(parse_many(settings.login_limit_address)),
        )

    def needs_second_factor(self, roles: frozenset[str]) -> bool:
        return bool(roles & self.totp_required_roles)


DEFAULT_POLICY = CredentialPolicy()


class PasswordGate:
    """At most ``slots`` password checks at once, at most ``queue`` more waiting; beyond that
    a sign-in is answered at once with 503 (argon2 takes a core and 64 MiB per check)."""

    def __init__(self, slots: int, queue: int, wait: float = PASSWORD_QUEUE_WAIT) -> None:
        self._admitted = threading.BoundedSemaphore(slots + queue)
        self._running = threading.BoundedSemaphore(slots)
        self._wait = wait

    @contextmanager
    def slot(self) -> Iterator[None]:
        busy = BusyError("too many sign-ins at once: try again in a moment", retry_after=1)
        if not self._admitted.acquire(blocking=False):
            raise busy
        try:
            if not self._running.acquire(timeout=self._wait):
                raise busy
            try:
                yield
            finally:
                self._running.release()
        finally:
            self._admitted.release()


class Credentials:
    """One node's credential machinery in one process: its policy, the sign-in throttle (on
    the node's database and clock), the password gate and the key for second-factor secrets."""

    def __init__(self, node: Node) -> None:
        self.node = node
        self.policy = CredentialPolicy.from_settings(node.settings)
        self.gate = PasswordGate(node.settings.login_concurrency, node.settings.login_queue)
        self.limiter = FixedWindowRateLimiter(DatabaseStorage(node.sessions, node.clock))

    @cached_property
    def box(self) -> SecretBox:
        return SecretBox(second_factor.load_or_create_key(self.node.settings.keys_dir))

    def _keys(
        self, username: str, address: str | None
    ) -> Iterator[tuple[str, RateLimitItem, tuple[str, str]]]:
        for item in self.policy.account_limits:
            yield "account", item, ("account", username.lower())
        if address:
            for item in self.policy.address_limits:
                yield "address", item, ("address", address)

    def check_throttle(self, username: str, address: str | None) -> None:
        """Refuse (429) a sign-in whose account or address has used up its failures."""
        now = self.node.clock.now().timestamp()
        for scope, item, identifiers in self._keys(username, address):
            if not self.limiter.test(item, *identifiers):
                reset = self.limiter.get_window_stats(item, *identifiers).reset_time
                wait = math.ceil(reset - now)
                where = "for this account" if scope == "account" else "from this address"
                self.node.metrics.login_throttled.labels(scope).inc()
                raise RetryLaterError(
                    f"too many failed sign-ins {where}: try again in {wait} seconds",
                    retry_after=wait,
                )

    def record_failure(self, username: str, address: str | None, user_id: int | None) -> None:
        """Count a failed sign-in against the account and the address, and towards the
        account's lockout (one statement: concurrent failures all count)."""
        self.node.metrics.login_failures.inc()
        for _scope, item, identifiers in self._keys(username, address):
            self.limiter.hit(item, *identifiers)
        if user_id is None:
            return
        threshold = self.policy.lockout_after
        with self.node.unit_of_work() as session:
            session.execute(
                update(UserRow)
                .where(UserRow.id == user_id)
                .values(
                    failed_logins=UserRow.failed_logins + 1,
                    locked_at=case(
                        (
                            (UserRow.failed_logins + 1 >= threshold) & UserRow.locked_at.is_(None),
                            self.node.clock.now(),
                        ),
                        else_=UserRow.locked_at,
                    ),
                )
            )

    def forgive_account(self, username: str) -> None:
        for item in self.policy.account_limits:
            self.limiter.clear(item, "account", username.lower())


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(
    session: Session,
    user: UserRow,
    *,
    credential: str,
    policy: CredentialPolicy = DEFAULT_POLICY,
) -> Principal:
    state = kind = None
    if user.authority_code is not None:
        authority = session.get(AuthorityRow, user.authority_code)
        if authority is not None:
            state, kind = authority.state, authority.kind
    return _principal_of(
        user.id,
        user.username,
        user.display_name,
        user.roles,
        user.totp_confirmed_at,
        (user.authority_code, state, kind),
        credential=credential,
        policy=policy,
    )


def _principal_of(
    user_id: int,
    username: str,
    display_name: str,
    roles_text: str,
    totp_confirmed_at: datetime | None,
    authority: tuple[str | None, str | None, str | None],
    *,
    credential: str,
    policy: CredentialPolicy,
) -> Principal:
    """The principal of a user as stored; ``authority``: its code, State and kind."""
    roles = frozenset(roles_text.split())
    code, state, kind = authority
    return Principal(
        user_id=user_id,
        username=username,
        display_name=display_name,
        authority=code,
        state=state,
        authority_kind=kind,
        roles=roles,
        credential=credential,
        must_enrol=policy.needs_second_factor(roles) and totp_confirmed_at is None,
    )


def add_authority(session: Session, clock: Clock, authority: Authority) -> Authority:
    if not _AUTHORITY_CODE.match(authority.code):
        raise InputError(
            f"authority code {authority.code!r}: write the State's alpha-3 code, a dash and a "
            "short name in capitals, e.g. AUT-CA or VNM-247"
        )
    if authority.kind not in AUTHORITY_KINDS:
        raise InputError(
            f"authority kind {authority.kind!r}: use one of {', '.join(AUTHORITY_KINDS)}"
        )
    if not authority.code.startswith(authority.state + "-"):
        raise InputError(
            f"authority code {authority.code} must start with its State's code {authority.state}-"
        )
    if session.get(AuthorityRow, authority.code) is not None:
        raise ConflictError(f"authority {authority.code} exists already")
    session.add(
        AuthorityRow(
            code=authority.code,
            name=authority.name,
            kind=authority.kind,
            state=authority.state,
            created_at=clock.now(),
        )
    )
    return authority


def list_authorities(session: Session) -> list[Authority]:
    rows = session.scalars(select(AuthorityRow).order_by(AuthorityRow.code))
    return [Authority(r.code, r.name, r.kind, r.state) for r in rows]


def add_user(
    session: Session,
    clock: Clock,
    *,
    username: str,
    display_name: str,
    roles: set[str],
    authority: str | None,
    password: str | None,
) -> Principal:
    """Create a user. Every role but administrator needs an authority to act for."""
    if not _USERNAME.match(username):
        raise InputError(f"username {username!r}: 2-63 lower-case letters, digits, '.', '_' or '-'")
    unknown = sorted(roles - set(ROLES))
    if unknown or not roles:
        raise InputError(f"roles {', '.join(unknown) or '(none)'}: choose from {', '.join(ROLES)}")
    if authority is None and roles != {"administrator"}:
        raise InputError("a user with case roles needs --authority (the authority they act for)")
    if authority is not None and session.get(AuthorityRow, authority) is None:
        raise NotFoundError(f"authority {authority} does not exist: add it first")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise InputError(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if session.scalar(select(UserRow.id).where(UserRow.username == username)) is not None:
        raise ConflictError(f"user {username} exists already")
    user = UserRow(
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password) if password else None,
        authority_code=authority,
        roles=" ".join(sorted(roles)),
        active=True,
        created_at=clock.now(),
        failed_logins=0,
    )
    session.add(user)
    session.flush()
    return _principal(session, user, credential="cli")


def _user_row(session: Session, username: str) -> UserRow:
    row = session.scalar(select(UserRow).where(UserRow.username == username))
    if row is None:
        raise NotFoundError(f"no user named {username}: list them with 'hanoix user list'")
    return row


def user_id(session: Session, username: str) -> int:
    return _user_row(session, username).id


# --- signing in -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    session_id: str


class SecondFactorRequiredError(AuthenticationError):
    """The password was right and the account has a second factor: send its code."""

    code = "second-factor-required"


def _verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sign_in(
    node: Node,
    username: str,
    password: str,
    *,
    code: str | None = None,
    address: str | None = None,
) -> SignedIn:
    """Check a password (and the one-time code of an account that has a second factor) and
    open a web session.

    In order: the throttle (429 once the account or the address has used up its failures);
    the password, checked through the gate outside any transaction, against a dummy hash for
    an unknown, locked or deactivated account so that all fail alike; then the code. Each
    failure counts towards the throttle and the account's lockout, in its own transaction.
    """
    credentials = node.credentials
    credentials.check_throttle(username, address)
    with node.unit_of_work() as session:
        user = session.scalar(select(UserRow).where(UserRow.username == username))
        usable = user is not None and user.active and user.locked_at is None
        stored = user.password_hash if user is not None and usable else None
        known_id = user.id if user is not None else None
    with credentials.gate.slot():
        matched = _verify_password(stored or _dummy_hash(), password) and stored is not None
    if not matched or known_id is None:
        credentials.record_failure(username, address, known_id)
        raise AuthenticationError(SIGN_IN_REFUSED)
    code_refused = False
    with node.unit_of_work() as session:
        user = session.get(UserRow, known_id)
        if user is None or not user.active or user.locked_at is not None:
            raise AuthenticationError(SIGN_IN_REFUSED)
        if user.totp_confirmed_at is not None and user.totp_secret is not None:
            if not code:
                raise SecondFactorRequiredError(
                    "this account signs in with a one-time code too: send the 6-digit code "
                    "of your authenticator app as 'totp'",
                )
            secret = credentials.box.open(user.id, user.totp_secret)
            step = second_factor.matching_step(secret, code, node.clock.now(), user.totp_last_step)
            if step is None:
                code_refused = True
            else:
                user.totp_last_step = step
        if not code_refused:
            user.failed_logins = 0
            if _hasher.check_needs_rehash(stored or ""):
                user.password_hash = _hasher.hash(password)
            principal = _principal(session, user, credential="session", policy=credentials.policy)
            session_id = start_session(session, node.clock, user.id)
    if code_refused:
        credentials.record_failure(username, address, known_id)
        raise AuthenticationError(
            "wrong or already used one-time code: wait for the next code of your "
            "authenticator app and sign in again"
        )
    credentials.forgive_account(username)
    return SignedIn(principal, session_id)


def unlock_user(node: Node, username: str) -> None:
    """Unlock an account locked by failed sign-ins and forgive its throttle (administrators)."""
    with node.unit_of_work() as session:
        user = _user_row(session, username)
        user.locked_at = None
        user.failed_logins = 0
    node.credentials.forgive_account(username)


# --- API tokens -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenInfo:
    """An API token as its owner and administrators see it (never its secret)."""

    id: str
    name: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    from_web_session: bool

    def status(self, now: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "live"


def _expires(row: ApiTokenRow, policy: CredentialPolicy) -> datetime:
    # A maximum lowered later shortens the tokens already issued too.
    return min(row.expires_at, row.created_at + policy.token_max_lifetime)


def _lifetime_refused(asked: str, policy: CredentialPolicy) -> InputError:
    message = (
        f"lifetime_days: {asked} is not allowed; API tokens on this node live 1 to "
        f"{policy.token_max_lifetime.days} days (the node's token_max_days)"
    )
    return InputError(message, problems=[Problem(message, field="lifetime_days")])


def token_lifetime(days: int | None, policy: CredentialPolicy) -> timedelta:
    """The lifetime asked for, within the node's maximum; ``None`` asks for no expiry, which
    is refused like any lifetime over the maximum."""
    if days is None:
        raise _lifetime_refused("no expiry", policy)
    lifetime = timedelta(days=days)
    if days < 1 or lifetime > policy.token_max_lifetime:
        raise _lifetime_refused(f"{days} days", policy)
    return lifetime


def issue_token(
    session: Session,
    clock: Clock,
    user_id: int,
    name: str,
    lifetime: timedelta | None = None,
    *,
    policy: CredentialPolicy = DEFAULT_POLICY,
    web_session: str | None = None,
) -> str:
    """Create an API token and return it; only its digest is kept, so show it once.

    ``lifetime`` defaults to the node's maximum and may not exceed it. ``web_session`` is the
    id of the session it is made in: signing out of that session revokes it.
    """
    lifetime = policy.token_max_lifetime if lifetime is None else lifetime
    if lifetime <= timedelta(0) or lifetime > policy.token_max_lifetime:
        raise _lifetime_refused(f"{lifetime.total_seconds() / 86400:g} days", policy)
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        ApiTokenRow(
            id=token_id,
            user_id=user_id,
            name=name,
            secret_hash=_digest(secret),
            created_at=now,
            expires_at=now + lifetime,
            web_session=_digest(web_session) if web_session else None,
        )
    )
    return f"{TOKEN_PREFIX}{token_id}_{secret}"


def authenticate_token(
    session: Session, clock: Clock, token: str, policy: CredentialPolicy = DEFAULT_POLICY
) -> Principal:
    failure = AuthenticationError("invalid, expired or revoked API token")
    if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
        raise failure
    token_id, _, secret = token.removeprefix(TOKEN_PREFIX).partition("_")
    # Every API call comes here: one prepared query for the token, its user and authority.
    holder = token_holder(session, token_id)
    expected = holder.secret_hash if holder is not None else _digest("")
    if not hmac.compare_digest(expected, _digest(secret)) or holder is None:
        raise failure
    now = clock.now()
    expires = min(holder.expires_at, holder.created_at + policy.token_max_lifetime)
    if holder.revoked_at is not None or expires <= now:
        raise failure
    if not holder.active:
        raise failure
    if holder.last_used_at is None or now - holder.last_used_at >= TOKEN_USE_RECORDED_EVERY:
        note_token_use(session, token_id, now)
    return _principal_of(
        holder.user_id,
        holder.username,
        holder.display_name,
        holder.roles,
        holder.totp_confirmed_at,
        (holder.authority_code, holder.authority_state, holder.authority_kind),
        credential="token",
        policy=policy,
    )


def list_tokens(
    session: Session,
    clock: Clock,
    user_id: int,
    *,
    include_ended: bool = False,
    policy: CredentialPolicy = DEFAULT_POLICY,
) -> list[TokenInfo]:
    """A user's tokens, newest first: the live ones, or with ``include_ended`` also those
    expired or revoked."""
    rows = session.scalars(
        select(ApiTokenRow)
        .where(ApiTokenRow.user_id == user_id)
        .order_by(ApiTokenRow.created_at.desc(), ApiTokenRow.id)
    )
    now = clock.now()
    found = [
        TokenInfo(
            id=row.id,
            name=row.name,
            created_at=row.created_at,
            expires_at=_expires(row, policy),
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
            from_web_session=row.web_session is not None,
        )
        for row in rows
    ]
    return [t for t in found if include_ended or t.status(now) == "live"]


def revoke_token(
    session: Session, clock: Clock, token_id: str, *, owner: int | None = None
) -> None:
    """Revoke a token (kept, marked revoked, for the record). With ``owner``, only that user's
    tokens: another's answers like a missing one."""
    row = session.get(ApiTokenRow, token_id)
    if row is None or (owner is not None and row.user_id != owner):
        raise NotFoundError(f"no API token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = clock.now()


def _revoke_where(session: Session, clock: Clock, *criteria: object) -> int:
    result = session.execute(
        update(ApiTokenRow)
        .where(ApiTokenRow.revoked_at.is_(None), *criteria)  # type: ignore[arg-type]
        .values(revoked_at=clock.now())
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- web sessions -----------------------------------------------------------------------------


def start_session(session: Session, clock: Clock, user_id: int) -> str:
    """Open a web session; returns the session id for the cookie (stored only as a digest)."""
    session_id = secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        SessionRow(
            id_hash=_digest(session_id),
            user_id=user_id,
            created_at=now,
            expires_at=now + SESSION_LIFETIME,
            last_seen_at=now,
        )
    )
    return session_id


def resume_session(
    session: Session, clock: Clock, session_id: str, policy: CredentialPolicy = DEFAULT_POLICY
) -> Principal:
    """The user of a live session; sessions end after their lifetime or when left idle."""
    # One query for the session, its user and their authority (every page and API call
    # asks): the authority is then in the session's identity map for _principal.
    found = session.execute(
        select(SessionRow, UserRow, AuthorityRow)
        .join(UserRow, UserRow.id == SessionRow.user_id)
        .outerjoin(AuthorityRow, AuthorityRow.code == UserRow.authority_code)
        .where(SessionRow.id_hash == _digest(session_id))
    ).first()
    now = clock.now()
    if found is None:
        raise AuthenticationError("your session has ended: sign in again")
    row, user, _authority = found
    if row.expires_at <= now or now - row.last_seen_at > SESSION_IDLE_LIMIT:
        raise AuthenticationError("your session has ended: sign in again")
    if not user.active:
        raise AuthenticationError("your session has ended: sign in again")
    if now - row.last_seen_at >= SESSION_TOUCH_INTERVAL:
        row.last_seen_at = now
    return _principal(session, user, credential="session", policy=policy)


SESSION_COOKIE_PREFIX = "hanoix_session_"


def session_cookie_name(node: Node) -> str:
    """The name of this node's session cookie: its own, from the ledger's origin.

    Browsers keep cookies per host, not per port: with one name for every node, signing in to
    a second node on the same host (the demo's three, an operator's test node) signed out of
    the first. The origin is the node's lasting name, the same for all its web workers; the
    API and the web pages share the one cookie, so that a page's session calls the API too.
    """
    with node.unit_of_work() as session:
        origin = ledger_origin(node.settings, session)
    return SESSION_COOKIE_PREFIX + hashlib.sha256(origin.encode()).hexdigest()[:12]


def end_session(session: Session, clock: Clock, session_id: str) -> int:
    """Sign out: end the session and revoke the API tokens made in it; returns how many."""
    digest = _digest(session_id)
    row = session.get(SessionRow, digest)
    if row is not None:
        session.delete(row)
    return _revoke_where(session, clock, ApiTokenRow.web_session == digest)


def change_password(
    node: Node, user_id: int, current: str, new: str, *, keep_session: str | None = None
) -> int:
    """Change a signed-in user's own password, proven by the current one; then end their other
    web sessions (with the API tokens made in them), since whoever knew the old password may
    hold one. Returns how many sessions ended. A wrong current password counts towards the
    account's lockout like a failed sign-in."""
    if len(new) < MIN_PASSWORD_LENGTH:
        message = f"the new password is too short: use at least {MIN_PASSWORD_LENGTH} characters"
        raise InputError(message, problems=[Problem(message, field="new_password")])
    if new == current:
        message = "the new password is the current one: choose another"
        raise InputError(message, problems=[Problem(message, field="new_password")])
    credentials = node.credentials
    with node.unit_of_work() as session:
        user = session.get(UserRow, user_id)
        if user is None or not user.active or user.locked_at is not None:
            raise AuthenticationError("your session has ended: sign in again")
        username, stored = user.username, user.password_hash
    credentials.check_throttle(username, None)
    with credentials.gate.slot():
        matched = _verify_password(stored or _dummy_hash(), current) and stored is not None
    if not matched:
        credentials.record_failure(username, None, user_id)
        message = "the current password is wrong"
        raise AuthenticationError(message, problems=[Problem(message, field="current_password")])
    kept = _digest(keep_session) if keep_session else None
    with node.unit_of_work() as session:
        user = session.get(UserRow, user_id)
        if user is None:
            raise AuthenticationError("your session has ended: sign in again")
        user.password_hash = _hasher.hash(new)
        others = [
            row.id_hash
            for row in session.scalars(select(SessionRow).where(SessionRow.user_id == user_id))
            if row.id_hash != kept
        ]
        for digest in others:
            session.execute(delete(SessionRow).where(SessionRow.id_hash == digest))
            _revoke_where(session, node.clock, ApiTokenRow.web_session == digest)
    credentials.forgive_account(username)
    return len(others)


# --- users ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserInfo:
    """A user as administrators see them."""

    username: str
    display_name: str
    authority: str | None
    roles: list[str]
    active: bool
    locked: bool
    failed_logins: int
    second_factor: str
    created_at: datetime


def _info(row: UserRow) -> UserInfo:
    if row.totp_confirmed_at is not None:
        factor = "totp"
    elif row.totp_secret is not None:
        factor = "totp-unconfirmed"
    else:
        factor = "none"
    return UserInfo(
        username=row.username,
        display_name=row.display_name,
        authority=row.authority_code,
        roles=sorted(row.roles.split()),
        active=row.active,
        locked=row.locked_at is not None,
        failed_logins=row.failed_logins,
        second_factor=factor,
        created_at=row.created_at,
    )


def list_users(session: Session) -> list[UserInfo]:
    return [_info(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]


def describe_user(session: Session, username: str) -> UserInfo:
    return _info(_user_row(session, username))


def set_active(session: Session, clock: Clock, username: str, active: bool) -> UserInfo:
    """Activate or deactivate a user. Deactivating ends every session and revokes every token
    of theirs at once; activating again gives none of them back."""
    user = _user_row(session, username)
    user.active = active
    if not active:
        session.execute(delete(SessionRow).where(SessionRow.user_id == user.id))
        _revoke_where(session, clock, ApiTokenRow.user_id == user.id)
    return _info(user)


def require_other_user(actor: Principal, username: str, what: str) -> None:
    """An administrator may not lock themselves out through the API."""
    if actor.username == username:
        raise PermissionDeniedError(
            f"you cannot {what} your own account: ask another administrator "
            "(or use the command line on the node)"
        )


# --- the second factor ------------------------------------------------------------------------


def enrol_totp(node: Node, username: str) -> Enrolment:
    """Give a user a new TOTP secret, unconfirmed until a first code matches it. Refused when
    one is confirmed already: an administrator disables it first, so that a stolen session
    cannot replace a user's second factor."""
    credentials = node.credentials
    with node.unit_of_work() as session:
        user = _user_row(session, username)
        if user.totp_confirmed_at is not None:
            raise ConflictError(
                f"{username} has a second factor already: an administrator disables it first "
                f"('hanoix user totp disable {username}')"
            )
        enrolment = second_factor.new_enrolment(username, node.settings.origin)
        user.totp_secret = credentials.box.seal(user.id, enrolment.secret)
        user.totp_last_step = None
    return enrolment


def confirm_totp(node: Node, username: str, code: str) -> UserInfo:
    """Turn the second factor on with a first code from the authenticator app."""
    credentials = node.credentials
    with node.unit_of_work() as session:
        user = _user_row(session, username)
        if user.totp_secret is None:
            raise ConflictError(f"{username} has no second factor to confirm: enrol one first")
        if user.totp_confirmed_at is not None:
            raise ConflictError(f"{username}'s second factor is confirmed already")
        secret = credentials.box.open(user.id, user.totp_secret)
        step = second_factor.matching_step(secret, code, node.clock.now(), user.totp_last_step)
        if step is None:
            message = "that code does not match: type the code your authenticator app shows now"
            raise InputError(message, problems=[Problem(message, field="code")])
        user.totp_last_step = step
        user.totp_confirmed_at = node.clock.now()
        return _info(user)


def disable_totp(session: Session, username: str) -> UserInfo:
    """Remove a user's second factor (administrators: a lost phone, a re-enrolment)."""
    user = _user_row(session, username)
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
    return _info(user)
