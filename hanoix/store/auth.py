"""Tables of the node's authorities, users, API tokens, web sessions and sign-in throttles.

Secrets are never stored in the clear: passwords as argon2id hashes, tokens and session ids as
SHA-256 digests of high-entropy random values, second-factor (TOTP) secrets encrypted with the
node's credentials key (which lives in the home, not in the database). Throttle keys are
digests too, so a username mistyped as a password is not kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    bindparam,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from hanoix.store.db import Base, UTCDateTime


class AuthorityRow(Base):
    __tablename__ = "authorities"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(Text, nullable=True)
    authority_code: Mapped[str | None] = mapped_column(
        ForeignKey("authorities.code"), nullable=True
    )
    # Space-separated role codes; a user holds few roles and they are read with the user.
    roles: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Consecutive failed sign-ins; at the node's threshold the account is locked until an
    # administrator unlocks it. Kept here so every API process and every restart agree.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The TOTP secret, AES-GCM under the node's credentials key; confirmed once a first code
    # matched; the last time step used, so a code is accepted once.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    totp_last_step: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The digest of the web session it was made in: signing out of that session revokes it.
    web_session: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class SessionRow(Base):
    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginThrottleRow(Base):
    """One fixed window of the sign-in throttle (``limits``' storage, see
    :mod:`hanoix.store.throttle`): failures counted under a key until the window ends."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


@dataclass(frozen=True)
class TokenHolder:
    """An API token with what authenticating a call by it needs: its user and their
    authority (``None``: the user has none, or it is gone)."""

    secret_hash: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    user_id: int
    username: str
    display_name: str
    active: bool
    roles: str
    authority_code: str | None
    totp_confirmed_at: datetime | None
    authority_state: str | None
    authority_kind: str | None


_tokens, _users, _authorities = ApiTokenRow.__table__, UserRow.__table__, AuthorityRow.__table__
# Built once and run on the connection: every API call runs it, and building the statement
# and passing it through the ORM session cost more than running it.
_TOKEN_HOLDER = (
    select(
        _tokens.c.secret_hash,
        _tokens.c.created_at,
        _tokens.c.expires_at,
        _tokens.c.revoked_at,
        _tokens.c.last_used_at,
        _users.c.id.label("user_id"),
        _users.c.username,
        _users.c.display_name,
        _users.c.active,
        _users.c.roles,
        _users.c.authority_code,
        _users.c.totp_confirmed_at,
        _authorities.c.state.label("authority_state"),
        _authorities.c.kind.label("authority_kind"),
    )
    .select_from(
        _tokens.join(_users, _users.c.id == _tokens.c.user_id).outerjoin(
            _authorities, _authorities.c.code == _users.c.authority_code
        )
    )
    .where(_tokens.c.id == bindparam("token_id"))
)
_NOTE_TOKEN_USE = (
    update(ApiTokenRow)
    .where(ApiTokenRow.id == bindparam("token_id"))
    .values(last_used_at=bindparam("at"))
)


def token_holder(session: Session, token_id: str) -> TokenHolder | None:
    """The token ``token_id`` with its user and their authority, in one query."""
    row = session.connection().execute(_TOKEN_HOLDER, {"token_id": token_id}).first()
    return TokenHolder(**row._mapping) if row is not None else None


def note_token_use(session: Session, token_id: str, at: datetime) -> None:
    session.connection().execute(_NOTE_TOKEN_USE, {"token_id": token_id, "at": at})
