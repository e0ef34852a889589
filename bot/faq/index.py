"""The FAQ as the engine sees it: entries by id plus a matcher, kept in step with the database.

Several helpdesk processes may share one database; each notices an edit by comparing the stored
FAQ revision (a cheap query) at most every ``refresh_seconds`` and rebuilds its matcher then.
The engine calls :meth:`refresh` before it opens the unit of work of each event, never inside it.

**Thresholds follow the FAQ.** Stored thresholds (setting :data:`THRESHOLDS_SETTING`) say which
matcher kind and which FAQ content (a fingerprint of ids and phrasings) they were fitted for. When
they do not fit the current FAQ (after an import, a chat edit, a rollback, or with another matcher),
a matcher that can calibrate itself (:class:`~bot.core.ports.CalibratingFinder`) fits new ones:
from the labelled questions stored by ``kb calibrate`` (:data:`LABELLED_SETTING`) when there are
enough, else from the FAQ itself. The result is stored, so other processes and restarts reuse it.
The first calibration of a process runs at once; later ones run in a background thread while the
previous thresholds stay in use (an edit rarely moves them much), so an edit is picked up at once.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any

from bot.core.ports import AnswerFinder, CalibratingFinder, UnitOfWork, UnitOfWorkFactory
from bot.core.types import FaqEntry, MatchResult, MatchThresholds

log = logging.getLogger(__name__)

THRESHOLDS_SETTING = "matcher.thresholds"
LABELLED_SETTING = "matcher.labelled"
"""Labelled questions ``[[text, expect], ...]`` kept by ``kb calibrate`` for later recalibrations."""


def stored_thresholds(uow: UnitOfWork) -> MatchThresholds | None:
    """The calibrated thresholds saved in the database, if any."""
    return thresholds_from(uow.faq.get_setting(THRESHOLDS_SETTING))


def thresholds_from(raw: Any) -> MatchThresholds | None:
    """The thresholds in a stored setting value (``None`` when it holds none)."""
    if not isinstance(raw, dict):
        return None
    known = {k: v for k, v in raw.items() if k in MatchThresholds.__dataclass_fields__}
    return MatchThresholds(**known)


def faq_fingerprint(entries: Sequence[FaqEntry]) -> str:
    """A digest of what matching depends on: entry ids and their phrasings (not the answers)."""
    content = sorted((e.id, sorted((lang, list(q)) for lang, q in e.questions.items())) for e in entries)
    return hashlib.sha256(json.dumps(content, ensure_ascii=False).encode("utf-8")).hexdigest()[:24]


def calibration_record(
    thresholds: MatchThresholds, kind: str, fingerprint: str, source: str
) -> dict[str, Any]:
    """The setting value for thresholds fitted by ``source`` for matcher ``kind`` on a FAQ."""
    return {**asdict(thresholds), "matcher": kind, "faq": fingerprint, "source": source}


def stored_labelled(uow: UnitOfWork) -> list[tuple[str, str]]:
    """The labelled questions kept for recalibration."""
    raw = uow.faq.get_setting(LABELLED_SETTING)
    if not isinstance(raw, list):
        return []
    return [(str(item[0]), str(item[1])) for item in raw if isinstance(item, list) and len(item) == 2]


class FaqIndex:
    """Entries by id and a matcher over them, refreshed when the stored FAQ changes."""

    def __init__(
        self,
        uow_factory: UnitOfWorkFactory,
        finder: AnswerFinder,
        refresh_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
        background_calibration: bool = True,
        calibration_progress: Callable[[int, int], None] | None = None,
    ):
        self._uow_factory = uow_factory
        self._finder = finder
        # Checked once: a runtime protocol check looks at every member, and this one is asked
        # for every message (prepare, prepared).
        self._calibrating_finder: CalibratingFinder | None = (
            finder if isinstance(finder, CalibratingFinder) else None
        )
        self._refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._background = background_calibration
        self._progress = calibration_progress
        self._entries: dict[str, FaqEntry] = {}
        self._revision: int | None = None
        self._checked_at = float("-inf")
        self._refresh_lock = threading.Lock()
        self.on_match: Callable[[float], None] | None = None  # seconds per match (for the metrics)
        self._fitted_for: str | None = None
        self.last_calibration: str | None = None
        """``"self"`` or ``"labelled"`` after this index fitted thresholds, else ``None``."""
        self._calibrating: threading.Thread | None = None

    @property
    def finder(self) -> AnswerFinder:
        """The matcher behind the index."""
        return self._finder

    def refresh(self, force: bool = False) -> bool:
        """Reload from the database if the FAQ changed; returns whether it reloaded. Safe to call
        from several threads at once (concurrent events): one reloads, the others wait for it."""
        with self._refresh_lock:
            return self._refresh(force)

    def _refresh(self, force: bool) -> bool:
        now = self._monotonic()
        if not force and now - self._checked_at < self._refresh_seconds:
            return False
        self._checked_at = now
        with self._uow_factory() as uow:
            revision = uow.faq.revision()
            if not force and revision == self._revision:
                return False
            entries = uow.faq.all()
            raw = uow.faq.get_setting(THRESHOLDS_SETTING)
            labelled = stored_labelled(uow)
        self._entries = {entry.id: entry for entry in entries}
        finder = self._finder
        if not isinstance(finder, CalibratingFinder):
            finder.rebuild(entries, thresholds_from(raw))
            self._revision = revision
            return True
        finder.rebuild(entries)
        fingerprint = faq_fingerprint(entries)
        key = f"{finder.kind}/{fingerprint}"
        stored = thresholds_from(raw)
        if stored is not None and isinstance(raw, dict) and _fits(raw, finder.kind, fingerprint):
            finder.set_thresholds(stored)
            self._fitted_for = key
        elif self._fitted_for != key and len(entries) >= 2:
            if self._fitted_for is None or not self._background:
                self._calibrate(finder, entries, labelled, fingerprint)
            elif self._calibrating is None or not self._calibrating.is_alive():
                self._calibrating = threading.Thread(
                    target=self._calibrate,
                    args=(finder, entries, labelled, fingerprint),
                    name="faq-calibration",
                    daemon=True,
                )
                self._calibrating.start()
        self._revision = revision
        return True

    def _calibrate(
        self,
        finder: CalibratingFinder,
        entries: Sequence[FaqEntry],
        labelled: Sequence[tuple[str, str]],
        fingerprint: str,
    ) -> None:
        kind = finder.kind
        started = time.perf_counter()
        try:
            thresholds = finder.fit_thresholds(labelled, self._progress)
        except Exception:
            log.exception("could not calibrate the matcher; keeping the thresholds in use")
            return
        source = "labelled" if labelled else "self"
        if faq_fingerprint(finder_entries(finder, entries)) != fingerprint:
            return  # the FAQ changed meanwhile: the next refresh calibrates again
        finder.set_thresholds(thresholds)
        self._fitted_for = f"{kind}/{fingerprint}"
        self.last_calibration = source
        log.info(
            "matcher thresholds fitted for %d entries (%s, %s) in %.1f s",
            len(entries),
            kind,
            source,
            time.perf_counter() - started,
        )
        try:
            with self._uow_factory() as uow:
                uow.faq.set_setting(
                    THRESHOLDS_SETTING, calibration_record(thresholds, kind, fingerprint, source)
                )
                uow.commit()
        except Exception:  # another process may have stored the same a moment earlier
            log.warning("could not store the fitted thresholds", exc_info=True)

    def wait_for_calibration(self, timeout: float | None = None) -> None:
        """Wait until a background calibration (if any) has finished (for tools and tests)."""
        thread = self._calibrating
        if thread is not None:
            thread.join(timeout)

    def prepare(self, text: str) -> None:
        """Let the matcher do the costly part of matching ``text`` now (see
        :meth:`bot.core.ports.CalibratingFinder.prepare`); the engine calls it in a worker thread."""
        if self._calibrating_finder is not None:
            self._calibrating_finder.prepare(text)

    def prepared(self, text: str) -> bool:
        """Whether :meth:`prepare` has nothing to do for ``text`` (cheap: the engine asks on the
        event loop and skips the worker thread then)."""
        finder = self._calibrating_finder
        return finder is None or finder.is_prepared(text)

    def refresh_due(self) -> bool:
        """Whether :meth:`refresh` would look at the database now (cheap, as :meth:`prepared`)."""
        return self._monotonic() - self._checked_at >= self._refresh_seconds

    def invalidate(self) -> None:
        """Make the next :meth:`refresh` look at the database whatever the interval (after an edit)."""
        self._checked_at = float("-inf")
        self._revision = None

    def match(self, text: str, lang: str | None = None) -> MatchResult:
        """Match ``text`` against the FAQ as of the last :meth:`refresh`."""
        if self.on_match is None:
            return self._finder.match(text, lang)
        started = time.perf_counter()
        try:
            return self._finder.match(text, lang)
        finally:
            self.on_match(time.perf_counter() - started)

    def get(self, entry_id: str) -> FaqEntry | None:
        """The entry ``entry_id`` as of the last :meth:`refresh`."""
        return self._entries.get(entry_id)

    def entries(self) -> list[FaqEntry]:
        """Every current entry."""
        return list(self._entries.values())


def finder_entries(finder: AnswerFinder, fallback: Sequence[FaqEntry]) -> Sequence[FaqEntry]:
    """The entries ``finder`` is built on (``fallback`` when it does not say)."""
    entries = getattr(finder, "entries", None)
    return tuple(entries) if entries is not None else fallback


def _fits(raw: dict[str, Any], kind: str, fingerprint: str) -> bool:
    """Whether stored thresholds were fitted for this matcher kind and FAQ. Thresholds stored
    without a kind (by older versions, or by ``kb calibrate`` for a lexical matcher) fit a lexical
    matcher on any FAQ, as before."""
    if "matcher" not in raw:
        return kind == "lexical"
    return raw.get("matcher") == kind and raw.get("faq") == fingerprint
