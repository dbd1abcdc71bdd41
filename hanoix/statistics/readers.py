"""Who may read a node's statistics, and a secretariat's global tables (docs/statistics.md,
"Who reads them").

The officers who handle requests (they see the same counts on their desks), the auditor who
reviews the node, the administrator who sends its reports to the secretariat. An examiner
handles evidence, not the node's figures; a matcher only matches content.
"""

from __future__ import annotations

from collections.abc import Iterable

from hanoix.requests import Role

READERS = frozenset(
    {Role.DRAFTER, Role.APPROVER, Role.OFFICER_24_7, Role.AUDITOR, Role.ADMINISTRATOR}
)


def reads_statistics(roles: Iterable[str]) -> bool:
    """Whether a user with ``roles`` (their codes) may read the node's statistics."""
    return bool({r.value for r in READERS} & set(roles))


#: Who may read a secretariat node's global tables and the States' reports it holds: its
#: administrators, who put the tables before the Conference, and its auditors, who review
#: what the States sent. A secretariat handles no requests: there are no officers on it.
GLOBAL_READERS = frozenset({Role.AUDITOR, Role.ADMINISTRATOR})


def reads_global(roles: Iterable[str]) -> bool:
    """Whether a user with ``roles`` may read a secretariat's global tables."""
    return bool({r.value for r in GLOBAL_READERS} & set(roles))
