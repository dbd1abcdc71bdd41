"""Who is calling: users with passwords (argon2id), API tokens, expiring web sessions.

Tokens are ``hxt_<id>_<secret>``: the id finds the row, the secret is compared in constant time
with its stored SHA-256 digest. Web session ids are random and stored only as digests. A wrong
username and a wrong password give the same answer, in about the same time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hanoix.clock import Clock
from hanoix.errors import AuthenticationError, ConflictError, InputError, NotFoundError
from hanoix.store.auth import ApiTokenRow, AuthorityRow, SessionRow, UserRow

TOKEN_PREFIX = "hxt_"  # noqa: S105  (a public marker, not a secret)
SESSION_LIFETIME = timedelta(hours=8)
SESSION_IDLE_LIMIT = timedelta(minutes=30)
MIN_PASSWORD_LENGTH = 12
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
_AUTHORITY_CODE = re.compile(r"^[A-Z]{3}-[A-Z0-9-]{2,60}$")

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Verified against when the username is unknown, so both failures cost the same.
    return _hasher.hash(secrets.token_urlsafe(16))


ROLES = ("drafter", "approver", "officer_24_7", "examiner", "auditor", "administrator")
AUTHORITY_KINDS = ("central-authority", "contact-24-7", "competent-authority")


@dataclass(frozen=True)
class Principal:
    """An authenticated user as every authorisation check sees them."""

    user_id: int
    username: str
    display_name: str
    authority: str | None
    state: str | None
    roles: frozenset[str]

    def has_role(self, role: str) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class Authority:
    code: str
    name: str
    kind: str
    state: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _principal(session: Session, user: UserRow) -> Principal:
    state = None
    if user.authority_code is not None:
        authority = session.get(AuthorityRow, user.authority_code)
        state = authority.state if authority else None
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        authority=user.authority_code,
        state=state,
        roles=frozenset(user.roles.split()),
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
    )
    session.add(user)
    session.flush()
    return _principal(session, user)


def user_id(session: Session, username: str) -> int:
    found = session.scalar(select(UserRow.id).where(UserRow.username == username))
    if found is None:
        raise NotFoundError(f"no user named {username}")
    return found


def authenticate_password(session: Session, username: str, password: str) -> Principal:
    user = session.scalar(select(UserRow).where(UserRow.username == username))
    stored = user.password_hash if user is not None and user.active else None
    try:
        _hasher.verify(stored or _dummy_hash(), password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        stored = None
    if user is None or stored is None:
        raise AuthenticationError("wrong username or password")
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return _principal(session, user)


def issue_token(
    session: Session,
    clock: Clock,
    user_id: int,
    name: str,
    lifetime: timedelta | None = None,
) -> str:
    """Create an API token and return it; only its digest is kept, so show it once."""
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
            expires_at=now + lifetime if lifetime else None,
        )
    )
    return f"{TOKEN_PREFIX}{token_id}_{secret}"


def authenticate_token(session: Session, clock: Clock, token: str) -> Principal:
    failure = AuthenticationError("invalid, expired or revoked API token")
    if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
        raise failure
    token_id, _, secret = token.removeprefix(TOKEN_PREFIX).partition("_")
    row = session.get(ApiTokenRow, token_id)
    expected = row.secret_hash if row is not None else _digest("")
    if not hmac.compare_digest(expected, _digest(secret)) or row is None:
        raise failure
    now = clock.now()
    if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise failure
    user = session.get(UserRow, row.user_id)
    if user is None or not user.active:
        raise failure
    row.last_used_at = now
    return _principal(session, user)


def revoke_token(session: Session, clock: Clock, token_id: str) -> None:
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        raise NotFoundError(f"no API token with id {token_id}")
    row.revoked_at = clock.now()


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


def resume_session(session: Session, clock: Clock, session_id: str) -> Principal:
    """The user of a live session; sessions end after their lifetime or when left idle."""
    row = session.get(SessionRow, _digest(session_id))
    now = clock.now()
    if row is None or row.expires_at <= now or now - row.last_seen_at > SESSION_IDLE_LIMIT:
        raise AuthenticationError("your session has ended: sign in again")
    user = session.get(UserRow, row.user_id)
    if user is None or not user.active:
        raise AuthenticationError("your session has ended: sign in again")
    row.last_seen_at = now
    return _principal(session, user)


def end_session(session: Session, session_id: str) -> None:
    row = session.get(SessionRow, _digest(session_id))
    if row is not None:
        session.delete(row)
