"""Which desks a user's roles open, for the header and the front page.

The roles come from the requests domain's own tables (:func:`~hanoix.requests.allowed_roles`),
so a desk shows for exactly those whose services would answer it; the services still decide
what each desk lists.
"""

from __future__ import annotations

from collections.abc import Iterable

from hanoix.content.cases import CASE_ROLES
from hanoix.requests import Action, Role
from hanoix.requests.authorisation import allowed_roles

#: The desks, in the order the header shows them: (key, path).
DESKS = (
    ("24-7", "/desk/24-7"),
    ("requests", "/desk/requests"),
    ("approvals", "/desk/approvals"),
    ("removal", "/desk/removal"),
)

_OPENED_BY = {
    "24-7": frozenset({Role.OFFICER_24_7}),
    "requests": allowed_roles(Action.VIEW),
    "approvals": allowed_roles(Action.APPROVE),
    # Removal cases are worked by the roles the content services allow (docs/content.md).
    "removal": CASE_ROLES,
}


def desk_links(roles: Iterable[str] | None) -> list[tuple[str, str]]:
    """The (key, path) of each desk that ``roles`` open."""
    known = {role.value for role in Role}
    held = {Role(role) for role in roles or () if role in known}
    return [(key, path) for key, path in DESKS if held & _OPENED_BY[key]]


def opens(key: str, roles: Iterable[str]) -> bool:
    """True when ``roles`` open the desk ``key``."""
    return any(found == key for found, _ in desk_links(roles))
