"""Delivery that survives crashes and outages: outbox leases, attempts, platform health.

Revision ID: 0006_delivery
Revises: 0005_embeddings
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_delivery"
down_revision = "0005_embeddings"
branch_labels = None
depends_on = None


def _ts(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=True)


def upgrade() -> None:
    """Add the lease owner and outage flag to ``outbox``; create ``outbox_attempts`` and
    ``delivery_health``."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(), nullable=True))
        batch.add_column(sa.Column("outage_wait", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_index("ix_outbox_platform_status", "outbox", ["platform", "status", "id"])
    op.create_table(
        "outbox_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("outbox_id", sa.Integer(), sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("worker", sa.String(), nullable=False),
        _ts("started_at"),
        sa.Column("outcome", sa.String(), nullable=False),
        _ts("finished_at"),
        sa.Column("detail", sa.String(), nullable=False),
        sa.UniqueConstraint("outbox_id", "attempt", name="uq_outbox_attempts_attempt"),
    )
    op.create_index("ix_outbox_attempts_outbox_id", "outbox_attempts", ["outbox_id"])
    op.create_table(
        "delivery_health",
        sa.Column("platform", sa.String(), primary_key=True),
        _ts("failing_since"),
        _ts("last_failure_at"),
        _ts("last_probe_at"),
        _ts("last_success_at"),
        _ts("alerted_at"),
        sa.Column("last_error", sa.String(), nullable=False),
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_table("delivery_health")
    op.drop_index("ix_outbox_attempts_outbox_id", table_name="outbox_attempts")
    op.drop_table("outbox_attempts")
    op.drop_index("ix_outbox_platform_status", table_name="outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("outage_wait")
        batch.drop_column("claimed_by")
