"""Phrasing embeddings, keyed by model id and text key.

Revision ID: 0005_embeddings
Revises: 0004_merge
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_embeddings"
down_revision = "0004_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``phrasing_embeddings``."""
    op.create_table(
        "phrasing_embeddings",
        sa.Column("model_id", sa.String(120), primary_key=True),
        sa.Column("text_key", sa.String(64), primary_key=True),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    """Drop ``phrasing_embeddings``."""
    op.drop_table("phrasing_embeddings")
