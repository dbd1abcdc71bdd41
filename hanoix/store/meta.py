"""Node-wide key/value facts (schema notes, when the treaty data was loaded, node identity)."""

from __future__ import annotations

from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hanoix.store.db import Base


class NodeMeta(Base):
    __tablename__ = "node_meta"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


def get_meta(session: Session, key: str) -> str | None:
    return session.scalar(select(NodeMeta.value).where(NodeMeta.key == key))


def set_meta(session: Session, key: str, value: str) -> None:
    row = session.get(NodeMeta, key)
    if row is None:
        session.add(NodeMeta(key=key, value=value))
    else:
        row.value = value
