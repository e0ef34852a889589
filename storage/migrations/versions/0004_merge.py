"""Merge the job-runs and FAQ-drafts branches into one head.

Revision ID: 0004_merge
Revises: 0002_jobs, 0003_faq_drafts
"""

from __future__ import annotations

revision = "0004_merge"
down_revision = ("0002_jobs", "0003_faq_drafts")
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing to change: the two branches touch different tables."""


def downgrade() -> None:
    """Nothing to undo."""
