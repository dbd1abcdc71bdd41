"""Every table of the node, gathered so Alembic sees one metadata.

Each adapter module defines its own tables next to the code that uses them; add its import here.
"""

from __future__ import annotations

from hanoix.store import (  # noqa: F401  (registers the tables on Base.metadata)
    auth,
    content,  # removal cases and their hash lists (never the content)
    content_notices,  # removal notices, links to requests, preserved media (sealed)
    federation,  # federation: outbox, inbox, receipts, directory, transfers
    ledger,
    meta,
    requests,  # cooperation requests, steps, counters, keys
    retention,  # erasures and the data-protection officer's trail
    statistics,  # reports a secretariat received from national nodes
    treaty,
)
from hanoix.store.db import Base

metadata = Base.metadata
