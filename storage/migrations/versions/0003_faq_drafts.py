"""FAQ drafts: entries proposed by specialists from resolved tickets, waiting for an admin.

Revision ID: 0003_faq_drafts
Revises: 0001_initial
Create Date: 2025-01-03
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_faq_drafts"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _str(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(), nullable=nullable)


def upgrade() -> None:
    """Create the ``faq_drafts`` table."""
    op.create_table(
        "faq_drafts",
        sa.Column("id", sa.Integer(), primary_key=True),
        _str("question"),
        _str("answer"),
        _str("language"),
        _str("category"),
        _str("entry_id"),
        _str("status"),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id"), nullable=True),
        _str("proposed_by"),
        _str("proposed_by_name"),
        _str("decided_by", nullable=True),
        _str("decision_note"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_faq_drafts_status", "faq_drafts", ["status"])
    op.create_index("ix_faq_drafts_ticket_id", "faq_drafts", ["ticket_id"])


def downgrade() -> None:
    """Drop the ``faq_drafts`` table."""
    op.drop_index("ix_faq_drafts_ticket_id", table_name="faq_drafts")
    op.drop_index("ix_faq_drafts_status", table_name="faq_drafts")
    op.drop_table("faq_drafts")
