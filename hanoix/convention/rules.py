"""Two small shapes for rules that are neither periods nor kinds of request.

* :class:`Provision`: one item of a list the Convention makes (a purpose of mutual legal
  assistance, a task of the 24/7 point of contact), with a stable code.
* :class:`Rule`: one typed constant (a count, a date, a yes/no, a majority), so that the treaty
  module can compute with it while a lawyer can still see where it comes from.

Both carry their article and their basis, like every rule in :mod:`hanoix.convention`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, Generic, TypeVar

from hanoix.convention.refs import Art, Basis

T = TypeVar("T")


@dataclass(frozen=True)
class Provision:
    """One item of a list in the Convention, paraphrased, with a stable kebab-case code."""

    code: str
    description: str
    art: Art
    basis: Basis
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "description": self.description,
            "article": str(self.art),
            "basis": self.basis.value,
            "note": self.note,
        }


@dataclass(frozen=True)
class Rule(Generic[T]):
    """A typed constant of the Convention: ``value`` is what software computes with."""

    name: str
    value: T
    description: str
    art: Art
    basis: Basis
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": _plain(self.value),
            "description": self.description,
            "article": str(self.art),
            "basis": self.basis.value,
            "note": self.note,
        }


def _plain(value: object) -> object:
    """A JSON-friendly form of a rule's value (dates as ISO 8601, fractions as "2/3")."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Fraction):
        return f"{value.numerator}/{value.denominator}"
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value
