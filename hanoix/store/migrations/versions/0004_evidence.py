"""Evidence packages: no table of their own.

Packages live in the blob store (content-addressed, see hanoix/store/blobs.py) and their
custody in the ledger (the ``ledger_subjects`` index finds one package's history), so this
revision changes nothing. It stays in the chain because later revisions name it.

Revision ID: 0004_evidence
Revises: 0003_ledger
Create Date: 2026-11-23
"""

from __future__ import annotations

revision = "0004_evidence"
down_revision = "0003_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to create: see the module docstring."""


def downgrade() -> None:
    """Nothing to drop."""
