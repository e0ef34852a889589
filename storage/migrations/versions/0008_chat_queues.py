"""Find the head of every chat's outbox queue from an index alone (the dispatcher asks often).

Revision ID: 0008_chat_queues
Revises: 0007_receipts
"""

from __future__ import annotations

from alembic import op

revision = "0008_chat_queues"
down_revision = "0007_receipts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index ``outbox`` on (status, platform, chat_id, id)."""
    op.create_index("ix_outbox_chat_queue", "outbox", ["status", "platform", "chat_id", "id"])


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_index("ix_outbox_chat_queue", table_name="outbox")
