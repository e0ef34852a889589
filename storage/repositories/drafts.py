"""FAQ drafts proposed by specialists."""

from __future__ import annotations

from sqlmodel import col, select

from bot.core.records import (
    DraftStatus,
    FaqDraft,
)
from storage.repositories.base import SqlRepository
from storage.tables_drafts import FaqDraftRow


class SqlDraftRepository(SqlRepository):
    """``DraftRepository``: FAQ entries proposed by specialists."""

    def add(self, draft: FaqDraft) -> FaqDraft:
        """Insert ``draft``; sets and returns it with its ``id`` (its number)."""
        return self._insert(draft)

    def get(self, draft_id: int) -> FaqDraft | None:
        """Draft ``draft_id``, if it exists."""
        return self._by_id(FaqDraft, draft_id)

    def pending(self) -> list[FaqDraft]:
        """Drafts waiting for an admin, oldest first."""
        return self._records(
            FaqDraft,
            select(FaqDraftRow)
            .where(FaqDraftRow.status == DraftStatus.PENDING.value)
            .order_by(col(FaqDraftRow.id)),
        )

    def for_ticket(self, ticket_id: int) -> list[FaqDraft]:
        """Every draft proposed from ``ticket_id``, oldest first."""
        return self._records(
            FaqDraft,
            select(FaqDraftRow).where(FaqDraftRow.ticket_id == ticket_id).order_by(col(FaqDraftRow.id)),
        )
