"""The table for :class:`bot.core.records.FaqDraft`: FAQ entries proposed by specialists.

Created by the migration ``0003_faq_drafts``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from storage.tables import _ts


class FaqDraftRow(SQLModel, table=True):
    """:class:`bot.core.records.FaqDraft`."""

    __tablename__ = "faq_drafts"
    __table_args__ = (
        Index("ix_faq_drafts_status", "status"),
        Index("ix_faq_drafts_ticket_id", "ticket_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    question: str
    answer: str
    language: str = "id"
    category: str = "other"
    entry_id: str = ""
    status: str = "pending"
    ticket_id: int | None = Field(default=None, foreign_key="tickets.id")
    proposed_by: str = ""
    proposed_by_name: str = ""
    decided_by: str | None = None
    decision_note: str = ""
    created_at: datetime | None = _ts()
    decided_at: datetime | None = _ts()
