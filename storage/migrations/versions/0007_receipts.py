"""Find an outbox row by its platform receipt (WhatsApp status webhooks name the message id).

Revision ID: 0007_receipts
Revises: 0006_delivery
"""

from __future__ import annotations

from alembic import op

revision = "0007_receipts"
down_revision = "0006_delivery"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Index ``outbox`` on (platform, receipt_message_id)."""
    op.create_index("ix_outbox_receipt", "outbox", ["platform", "receipt_message_id"])


def downgrade() -> None:
    """Drop what :func:`upgrade` added."""
    op.drop_index("ix_outbox_receipt", table_name="outbox")
