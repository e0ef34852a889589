"""Scheduled jobs: the ``job_runs`` claims (recap periods, reminder steps), one per (job, key).

Revision ID: 0002_jobs
Revises: 0001_initial
Create Date: 2025-01-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_jobs"
down_revision: str | Sequence[str] | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create ``job_runs``."""
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("job", sa.String(), nullable=False),
        sa.Column("key", sa.String(), nullable=False),
        sa.Column("claimed_by", sa.String(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("detail", JSON, nullable=False),
        sa.UniqueConstraint("job", "key", name="uq_job_runs_job_key"),
    )


def downgrade() -> None:
    """Drop ``job_runs``."""
    op.drop_table("job_runs")
