"""Entry point of ``hanoix``: the CLI of :mod:`hanoix.cli`, with the commands that run the
node's processes (``serve``, ``federation worker``), which only this floor may start.

The CLI stays lazy: this module adds ``serve`` (whose imports wait until it runs) and points
the ``federation`` group at :mod:`.federation_commands`, loaded only when the group is used.
"""

from __future__ import annotations

import dataclasses

from hanoix.cli.app import COMMAND_GROUPS, app
from hanoix.cli.main import main, run
from hanoix.runtime import commands  # noqa: F401  (registers 'serve' on the app)

COMMAND_GROUPS["federation"] = dataclasses.replace(
    COMMAND_GROUPS["federation"], target="hanoix.runtime.federation_commands:federation_app"
)

__all__ = ["app", "main", "run"]
