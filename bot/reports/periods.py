"""Report periods: a day, a week, a month or a range of days, in the desk's timezone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo


# ------------------------------------------------------------------------------------ periods
@dataclass(frozen=True)
class Period:
    """``[start, end)`` in the desk's timezone; ``kind`` is day, week, month or range."""

    kind: str
    start: datetime
    end: datetime

    @property
    def first_day(self) -> date:
        """The first local day of the period."""
        return self.start.date()

    @property
    def last_day(self) -> date:
        """The last local day of the period (inclusive)."""
        return (self.end - timedelta(microseconds=1)).date()

    def days(self) -> list[date]:
        """Every local day of the period."""
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(count)]

    @property
    def key(self) -> str:
        """A stable name for the period (``week:2026-11-16``), used to claim its recap once."""
        if self.kind == "range":
            return f"range:{self.first_day.isoformat()}:{self.last_day.isoformat()}"
        return f"{self.kind}:{self.first_day.isoformat()}"


def _midnight(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_containing(kind: str, moment: datetime, tz: tzinfo) -> Period:
    """The day, week (Monday to Sunday) or month that contains ``moment``."""
    day = moment.astimezone(tz).date()
    if kind == "day":
        first, after = day, day + timedelta(days=1)
    elif kind == "week":
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    elif kind == "month":
        first, after = _month_start(day), _next_month(day)
    else:
        raise ValueError(f"unknown period {kind!r} (day, week or month)")
    return Period(kind, _midnight(first, tz), _midnight(after, tz))


def period_before(kind: str, moment: datetime, tz: tzinfo) -> Period:
    """The last complete day, week or month before the one containing ``moment``."""
    current = period_containing(kind, moment, tz)
    return period_containing(kind, current.start - timedelta(hours=1), tz)


def period_between(first: date, last: date, tz: tzinfo) -> Period:
    """The local days ``first`` to ``last``, both included."""
    if last < first:
        raise ValueError("the end date is before the start date")
    return Period("range", _midnight(first, tz), _midnight(last + timedelta(days=1), tz))
