"""Service levels: business hours, holidays, and the targets per priority.

- :class:`BusinessHours` is the weekly opening pattern (``"mon-fri 08:00-17:00"``,
  ``"mon-fri 08:00-17:00; sat 08:00-12:00"``, or ``"24/7"``).
- :class:`BusinessCalendar` adds the desk's timezone and holidays and does the arithmetic:
  business minutes between two moments, the moment a number of business minutes after another,
  the moment some working days later.
- :class:`SlaPolicy` holds the first-response and resolution targets per priority (in business
  minutes), a calendar per priority (urgent round the clock by default), and answers "when is
  this due" (the clock paused while the ticket waits on the user) and "how long will the user
  wait on the wall clock".

Everything takes and returns aware datetimes; nothing here reads settings or the clock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24/7"
_SEGMENT = re.compile(r"^\s*([a-z,\- ]+?)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
# How far the arithmetic looks ahead before deciding the calendar never opens.
_MAX_DAYS = 3700

DEFAULT_FIRST_RESPONSE = {"urgent": 15, "high": 60, "normal": 240, "low": 480}
DEFAULT_RESOLUTION = {"urgent": 240, "high": 540, "normal": 1620, "low": 2700}


class SlaConfigError(ValueError):
    """A business-hours, holiday or target setting that cannot be understood."""


def _minutes_of(hours: str, minutes: str, text: str) -> int:
    value = int(hours) * 60 + int(minutes)
    if int(minutes) >= 60 or value > 24 * 60:
        raise SlaConfigError(f"bad time in business hours {text!r}")
    return value


def _days_of(spec: str, text: str) -> list[int]:
    result: list[int] = []
    for part in spec.replace(" ", "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise SlaConfigError(f"unknown day in business hours {text!r} (use mon, tue, ... sun)")
        a, b = DAYS.index(first), DAYS.index(last or first)
        span = range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)]
        result.extend(span)
    return result


@dataclass(frozen=True)
class BusinessHours:
    """Opening intervals per weekday (0 = Monday) in minutes from local midnight."""

    intervals: tuple[tuple[tuple[int, int], ...], ...]
    text: str = ""

    @classmethod
    def parse(cls, text: str) -> BusinessHours:
        """``"24/7"`` or ``"mon-fri 08:00-17:00"``; several segments joined with ``;``."""
        cleaned = text.strip().lower()
        if cleaned in (ALWAYS, "24x7", "always"):
            return cls.always()
        per_day: list[list[tuple[int, int]]] = [[] for _ in DAYS]
        for segment in cleaned.split(";"):
            if not segment.strip():
                continue
            match = _SEGMENT.match(segment)
            if not match:
                raise SlaConfigError(
                    f"cannot read business hours {text!r}; e.g. 'mon-fri 08:00-17:00' or '24/7'"
                )
            days, h1, m1, h2, m2 = match.groups()
            start, end = _minutes_of(h1, m1, text), _minutes_of(h2, m2, text)
            if end <= start:
                raise SlaConfigError(f"business hours {text!r}: a period must end after it starts")
            for day in _days_of(days, text):
                per_day[day].append((start, end))
        if not any(per_day):
            raise SlaConfigError(f"business hours {text!r} never open")
        merged = tuple(tuple(_merge(sorted(day))) for day in per_day)
        return cls(merged, text.strip())

    @classmethod
    def always(cls) -> BusinessHours:
        """Open round the clock, every day."""
        return cls(tuple(((0, 24 * 60),) for _ in DAYS), ALWAYS)

    @property
    def is_always(self) -> bool:
        """Open round the clock every day."""
        return all(day == ((0, 24 * 60),) for day in self.intervals)

    def minutes_per_week(self) -> int:
        """Open minutes in a week without holidays."""
        return sum(end - start for day in self.intervals for start, end in day)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def parse_holidays(text: str | Iterable[str]) -> frozenset[date]:
    """Comma-separated ``YYYY-MM-DD`` dates (or an iterable of them)."""
    parts = text.split(",") if isinstance(text, str) else list(text)
    result: set[date] = set()
    for part in parts:
        part = part.strip()
        if not part:
            continue
        try:
            result.add(date.fromisoformat(part))
        except ValueError as error:
            raise SlaConfigError(f"holiday {part!r} is not a date like 2026-12-25") from error
    return frozenset(result)


def parse_targets(text: str, defaults: Mapping[str, int] | None = None) -> dict[str, int]:
    """``"urgent=15,high=60,normal=240,low=480"`` as a mapping priority -> minutes."""
    result = dict(defaults or {})
    for part in text.split(","):
        if not part.strip():
            continue
        name, sep, minutes = part.partition("=")
        if not sep or not minutes.strip().isdigit() or not name.strip():
            raise SlaConfigError(f"cannot read SLA target {part.strip()!r}; e.g. normal=240")
        result[name.strip().lower()] = int(minutes.strip())
    return result


@dataclass(frozen=True)
class BusinessCalendar:
    """Business hours in a timezone, minus holidays."""

    hours: BusinessHours = field(default_factory=BusinessHours.always)
    tz: tzinfo = field(default_factory=lambda: ZoneInfo("Asia/Jakarta"))
    holidays: frozenset[date] = frozenset()

    # ------------------------------------------------------------------------------ helpers
    def local(self, moment: datetime) -> datetime:
        """``moment`` in the desk's timezone."""
        return moment.astimezone(self.tz)

    def is_working_day(self, day: date) -> bool:
        """A day with opening hours that is not a holiday."""
        return day not in self.holidays and bool(self.hours.intervals[day.weekday()])

    def _open_spans(self, day: date) -> list[tuple[datetime, datetime]]:
        if day in self.holidays:
            return []
        spans = []
        for start, end in self.hours.intervals[day.weekday()]:
            spans.append((self._at(day, start), self._at(day, end)))
        return spans

    def _at(self, day: date, minute: int) -> datetime:
        if minute >= 24 * 60:
            return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
        return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.tz)

    def is_open(self, moment: datetime) -> bool:
        """Whether the desk is open at ``moment``."""
        local = self.local(moment)
        return any(a <= local < b for a, b in self._open_spans(local.date()))

    # --------------------------------------------------------------------------- arithmetic
    def business_minutes_between(self, start: datetime, end: datetime) -> float:
        """Open minutes in ``[start, end)`` (0 when ``end`` is not after ``start``)."""
        if end <= start:
            return 0.0
        a, b = self.local(start), self.local(end)
        total = 0.0
        day = a.date()
        while day <= b.date():
            for open_at, close_at in self._open_spans(day):
                lo, hi = max(open_at, a), min(close_at, b)
                if hi > lo:
                    total += (hi - lo).total_seconds() / 60
            day += timedelta(days=1)
        return total

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """The moment ``minutes`` open minutes after ``start`` (``start`` itself for 0)."""
        if minutes <= 0:
            return start
        remaining = timedelta(minutes=minutes)
        a = self.local(start)
        day = a.date()
        for _ in range(_MAX_DAYS):
            for open_at, close_at in self._open_spans(day):
                lo = max(open_at, a)
                if close_at <= lo:
                    continue
                if close_at - lo >= remaining:
                    return (lo + remaining).astimezone(start.tzinfo)
                remaining -= close_at - lo
            day += timedelta(days=1)
        raise SlaConfigError("the business calendar never opens")

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` if the desk is open then, else the next opening."""
        a = self.local(moment)
        day = a.date()
        for _ in range(_MAX_DAYS):
            for open_at, close_at in self._open_spans(day):
                if close_at > a:
                    return max(open_at, a).astimezone(moment.tzinfo)
            day += timedelta(days=1)
        raise SlaConfigError("the business calendar never opens")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local clock time ``days`` working days later (weekends and holidays skipped),
        moved to the next opening when the desk is closed then."""
        local = self.local(start)
        day = local.date()
        counted = 0
        for _ in range(_MAX_DAYS):
            if counted >= days:
                break
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        moment = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=self.tz)
        return self.next_open(moment).astimezone(start.tzinfo)


Pause = tuple[datetime, datetime | None]
"""A stretch during which a ticket waited on the user (end None: still waiting)."""


def parse_pauses(raw: object) -> tuple[Pause, ...]:
    """The pauses stored with a ticket (``[[start_iso, end_iso_or_null], ...]``); bad items skipped."""
    if not isinstance(raw, list):
        return ()
    result: list[Pause] = []
    for item in raw:
        if not isinstance(item, list | tuple) or len(item) != 2:
            continue
        try:
            start = datetime.fromisoformat(str(item[0]))
            end = datetime.fromisoformat(str(item[1])) if item[1] else None
        except ValueError:
            continue
        result.append((start, end))
    return tuple(result)


def parse_priority_hours(text: str) -> dict[str, BusinessHours]:
    """``"urgent=24/7|high=mon-sat 07:00-21:00"``: the opening hours per priority that differ from
    the desk's business hours (segments of one priority's hours are joined with ``;``)."""
    result: dict[str, BusinessHours] = {}
    for part in text.split("|"):
        if not part.strip():
            continue
        name, sep, hours = part.partition("=")
        if not sep or not name.strip():
            raise SlaConfigError(f"cannot read SLA hours {part.strip()!r}; e.g. urgent=24/7")
        result[name.strip().lower()] = BusinessHours.parse(hours)
    return result


@dataclass(frozen=True)
class SlaPolicy:
    """Targets per priority (business minutes) on a business calendar per priority.

    ``calendar`` is the desk's business calendar; ``calendars`` overrides it per priority (urgent
    runs 24/7 by default: an incident does not wait for Monday). Every due time may be given the
    pauses during which the ticket waited on the user: the clock stops then.
    """

    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    first_response: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_FIRST_RESPONSE))
    resolution: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_RESOLUTION))
    calendars: Mapping[str, BusinessCalendar] = field(default_factory=dict)

    def calendar_for(self, priority: str) -> BusinessCalendar:
        """The calendar the clocks of ``priority`` tickets run on."""
        return self.calendars.get(str(priority), self.calendar)

    def first_response_target(self, priority: str) -> int:
        """Business minutes allowed before the first response."""
        return int(self.first_response.get(priority, self.first_response.get("normal", 240)))

    def resolution_target(self, priority: str) -> int:
        """Business minutes allowed before resolution."""
        return int(self.resolution.get(priority, self.resolution.get("normal", 1620)))

    def _due(
        self, priority: str, start: datetime, target: int, pauses: Iterable[Pause], now: datetime | None
    ) -> datetime:
        calendar = self.calendar_for(priority)
        spans = [(a, b if b is not None else (now or a)) for a, b in pauses]
        due = calendar.add_business_minutes(start, target)
        # Each pass adds the paused business minutes before the current due time; pauses do not
        # overlap, so this settles after at most one pass per pause.
        for _ in range(len(spans) + 1):
            paused = sum(calendar.business_minutes_between(max(a, start), min(b, due)) for a, b in spans)
            moved = calendar.add_business_minutes(start, target + paused)
            if moved == due:
                break
            due = moved
        return due

    def first_response_due(
        self, priority: str, start: datetime, pauses: Iterable[Pause] = (), now: datetime | None = None
    ) -> datetime:
        """When the first response to a ticket escalated at ``start`` is due (an open pause runs
        until ``now``)."""
        return self._due(priority, start, self.first_response_target(priority), tuple(pauses), now)

    def resolution_due(
        self, priority: str, start: datetime, pauses: Iterable[Pause] = (), now: datetime | None = None
    ) -> datetime:
        """When a ticket escalated at ``start`` should be resolved, the clock stopped during ``pauses``."""
        return self._due(priority, start, self.resolution_target(priority), tuple(pauses), now)

    def elapsed(self, priority: str, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> float:
        """Business minutes on the ``priority`` calendar from ``start`` to ``end``, pauses left out."""
        calendar = self.calendar_for(priority)
        total = calendar.business_minutes_between(start, end)
        for a, b in pauses:
            total -= calendar.business_minutes_between(max(a, start), min(b or end, end))
        return max(0.0, total)

    def wall_minutes_to_first_response(self, priority: str, now: datetime) -> int:
        """Wall-clock minutes from ``now`` to the first-response due time (what users are told)."""
        due = self.first_response_due(priority, now)
        return max(0, round((due - now).total_seconds() / 60))


DEFAULT_PRIORITY_HOURS = "urgent=24/7"


def build_policy(
    business_hours: str,
    holidays: str,
    timezone: str,
    first_response: str,
    resolution: str,
    priority_hours: str = DEFAULT_PRIORITY_HOURS,
) -> SlaPolicy:
    """An :class:`SlaPolicy` from the settings' texts (raises :class:`SlaConfigError`).

    A priority on 24/7 hours ignores the holidays too; other per-priority hours keep them."""
    try:
        tz = ZoneInfo(timezone)
    except Exception as error:
        raise SlaConfigError(f"unknown timezone {timezone!r}") from error
    days_off = parse_holidays(holidays)
    calendar = BusinessCalendar(BusinessHours.parse(business_hours), tz, days_off)
    calendars = {
        name: BusinessCalendar(hours, tz, frozenset() if hours.is_always else days_off)
        for name, hours in parse_priority_hours(priority_hours).items()
    }
    return SlaPolicy(
        calendar,
        parse_targets(first_response, DEFAULT_FIRST_RESPONSE),
        parse_targets(resolution, DEFAULT_RESOLUTION),
        calendars,
    )
