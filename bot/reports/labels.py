"""Small pieces every rendering of a recap shares: texts in the asked language, percentages, durations,
channel and category names, the title."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from bot import texts
from bot.reports.model import Report


# ------------------------------------------------------------------------------------ helpers
def _t(lang: str, key: str, **fields: Any) -> str:
    return texts.text(lang, key, **fields)


def pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.0f}%"


def _mins(lang: str, minutes: float | None) -> str:
    return _t(lang, "report_none") if minutes is None else _t(lang, "minutes", minutes=minutes)


def _channel(name: str) -> str:
    return name[:1].upper() + name[1:]


def category_label(category: str, lang: str) -> str:
    """A category's name for people (the id itself when it has no text)."""
    key = f"category_{category}"
    label = _t(lang, key)
    return category if label == key else label


def title(report: Report, lang: str) -> str:
    """The recap's title, e.g. "Helpdesk recap, week Mon 17 Nov - Sun 23 Nov"."""
    period = report.period
    if period.kind == "day":
        return _t(lang, "report_title_day", day=_t(lang, "date_long", day=period.first_day))
    if period.kind == "month":
        return _t(lang, "report_title_month", month=_t(lang, "month_year", day=period.first_day))
    key = "report_title_week" if period.kind == "week" else "report_title_range"
    first, last = period.first_day, period.last_day
    last_text = (
        _t(lang, "date_long", day=last) if period.kind == "range" else _t(lang, "date_short", day=last)
    )
    return _t(lang, key, first=_t(lang, "date_short", day=first), last=last_text)


def generated(report: Report, lang: str) -> str:
    tz: tzinfo | None = report.period.start.tzinfo
    when = report.generated_at.astimezone(tz)
    stamp = f"{_t(lang, 'date_short', day=when.date())} {when:%H:%M}"
    return _t(lang, "report_generated", when=stamp, timezone=str(tz))
