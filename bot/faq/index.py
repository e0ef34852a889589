"""The FAQ as the engine sees it: entries by id plus a matcher, kept in step with the database.

Several helpdesk processes may share one database; each notices an edit by comparing the stored
FAQ revision (a cheap query) at most every ``refresh_seconds`` and rebuilds its matcher then.
The engine calls :meth:`refresh` before it opens the unit of work of each event, never inside it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.core.ports import AnswerFinder, UnitOfWork, UnitOfWorkFactory
from bot.core.types import FaqEntry, MatchResult, MatchThresholds

THRESHOLDS_SETTING = "matcher.thresholds"


def stored_thresholds(uow: UnitOfWork) -> MatchThresholds | None:
    """The calibrated thresholds saved in the database, if any."""
    raw = uow.faq.get_setting(THRESHOLDS_SETTING)
    if not isinstance(raw, dict):
        return None
    known = {k: v for k, v in raw.items() if k in MatchThresholds.__dataclass_fields__}
    return MatchThresholds(**known)


class FaqIndex:
    """Entries by id and a matcher over them, refreshed when the stored FAQ changes."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        finder: AnswerFinder,
        refresh_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ):
        self._uow_factory = uow_factory
        self._finder = finder
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._entries: dict[str, FaqEntry] = {}
        self._revision: int | None = None
        self._checked_at = float("-inf")

    def refresh(self, force: bool = False) -> bool:
        """Reload from the database if the FAQ changed; returns whether it reloaded."""
        now = self._monotonic()
        if not force and now - self._checked_at < self._refresh_seconds:
            return False
        self._checked_at = now
        with self._uow_factory() as uow:
            revision = uow.faq.revision()
            if not force and revision == self._revision:
                return False
            entries = uow.faq.all()
            thresholds = stored_thresholds(uow)
        self._entries = {entry.id: entry for entry in entries}
        self._finder.rebuild(entries, thresholds)
        self._revision = revision
        return True

    def invalidate(self) -> None:
        """Make the next :meth:`refresh` look at the database whatever the interval (after an edit)."""
        self._checked_at = float("-inf")
        self._revision = None

    def match(self, text: str, lang: str | None = None) -> MatchResult:
        """Match ``text`` against the FAQ as of the last :meth:`refresh`."""
        return self._finder.match(text, lang)

    def get(self, entry_id: str) -> FaqEntry | None:
        """The entry ``entry_id`` as of the last :meth:`refresh`."""
        return self._entries.get(entry_id)

    def entries(self) -> list[FaqEntry]:
        """Every current entry."""
        return list(self._entries.values())
