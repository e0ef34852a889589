"""Business hours, holidays and SLA targets: the arithmetic the reminders and recaps rely on."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.settings import Settings
from bot.sla.policy import (
    BusinessCalendar,
    BusinessHours,
    SlaConfigError,
    SlaPolicy,
    build_policy,
    parse_holidays,
    parse_targets,
)

JAKARTA = ZoneInfo("Asia/Jakarta")


def local(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=JAKARTA)


OFFICE = BusinessCalendar(BusinessHours.parse("mon-fri 08:00-17:00"), JAKARTA)


def test_parse_business_hours() -> None:
    hours = BusinessHours.parse("mon-fri 08:00-17:00; sat 08:00-12:00")
    assert hours.intervals[0] == ((480, 1020),)
    assert hours.intervals[5] == ((480, 720),)
    assert hours.intervals[6] == ()
    assert hours.minutes_per_week() == 5 * 540 + 240
    assert BusinessHours.parse("24/7").is_always
    assert BusinessHours.parse("mon,wed 09:00-12:00").intervals[2] == ((540, 720),)
    assert BusinessHours.parse("fri-mon 10:00-11:00").intervals[6] == ((600, 660),)  # wraps over the week end
    assert BusinessHours.parse("mon 13:00-17:00; mon 08:00-14:00").intervals[0] == ((480, 1020),)  # merged


@pytest.mark.parametrize(
    "bad", ["mon-fri 9-5", "someday 08:00-17:00", "mon-fri 17:00-08:00", "mon 08:70-09:00", ""]
)
def test_bad_business_hours_are_refused(bad: str) -> None:
    with pytest.raises(SlaConfigError):
        BusinessHours.parse(bad)


def test_holidays_and_targets() -> None:
    assert parse_holidays("2026-12-25, 2026-01-01,") == {date(2026, 12, 25), date(2026, 1, 1)}
    with pytest.raises(SlaConfigError):
        parse_holidays("25/12/2026")
    assert parse_targets("urgent=10, normal=120", {"low": 480}) == {"low": 480, "urgent": 10, "normal": 120}
    with pytest.raises(SlaConfigError):
        parse_targets("normal=soon")


def test_settings_refuse_bad_sla_values() -> None:
    with pytest.raises(ValueError, match="BUSINESS_HOURS"):
        Settings(BUSINESS_HOURS="weekdays 9 to 5")  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="HOLIDAYS"):
        Settings(HOLIDAYS="christmas")  # type: ignore[call-arg]
    assert Settings(BUSINESS_HOURS="24/7").business_hours == "24/7"  # type: ignore[call-arg]


def test_friday_afternoon_ticket_is_due_monday_morning() -> None:
    start = local(2026, 11, 20, 16, 30)  # Friday
    due = OFFICE.add_business_minutes(start, 240)
    assert due == local(2026, 11, 23, 11, 30)
    assert OFFICE.business_minutes_between(start, due) == pytest.approx(240)
    assert due.tzinfo == start.tzinfo


def test_holiday_moves_the_due_time_a_day() -> None:
    calendar = BusinessCalendar(OFFICE.hours, JAKARTA, parse_holidays("2026-11-23"))
    assert calendar.add_business_minutes(local(2026, 11, 20, 16, 30), 240) == local(2026, 11, 24, 11, 30)
    assert calendar.business_minutes_between(local(2026, 11, 20, 12), local(2026, 11, 24, 9)) == 300 + 60
    assert not calendar.is_open(local(2026, 11, 23, 10))
    assert calendar.is_open(local(2026, 11, 24, 10))


def test_minutes_between_outside_hours_and_reversed() -> None:
    assert OFFICE.business_minutes_between(local(2026, 11, 21, 9), local(2026, 11, 22, 18)) == 0  # weekend
    assert OFFICE.business_minutes_between(local(2026, 11, 23, 18), local(2026, 11, 23, 7)) == 0
    assert OFFICE.business_minutes_between(local(2026, 11, 23, 7), local(2026, 11, 24, 18)) == 2 * 540
    # UTC inputs are read in the desk's timezone: 01:00 UTC is 08:00 in Jakarta.
    assert (
        OFFICE.business_minutes_between(datetime(2026, 11, 23, 1, tzinfo=UTC), local(2026, 11, 23, 9)) == 60
    )


def test_add_minutes_from_outside_hours_and_zero() -> None:
    assert OFFICE.add_business_minutes(local(2026, 11, 21, 20), 15) == local(2026, 11, 23, 8, 15)
    assert OFFICE.add_business_minutes(local(2026, 11, 23, 6), 0) == local(2026, 11, 23, 6)
    assert OFFICE.add_business_minutes(local(2026, 11, 23, 16, 59), 2) == local(2026, 11, 24, 8, 1)
    assert OFFICE.next_open(local(2026, 11, 23, 17)) == local(2026, 11, 24, 8)
    assert OFFICE.next_open(local(2026, 11, 23, 9)) == local(2026, 11, 23, 9)


def test_round_the_clock() -> None:
    always = BusinessCalendar(BusinessHours.always(), JAKARTA)
    assert always.add_business_minutes(local(2026, 11, 21, 23, 50), 20) == local(2026, 11, 22, 0, 10)
    assert always.business_minutes_between(local(2026, 11, 21), local(2026, 11, 22)) == 1440
    with_holiday = BusinessCalendar(BusinessHours.always(), JAKARTA, parse_holidays("2026-11-22"))
    assert with_holiday.add_business_minutes(local(2026, 11, 21, 23, 50), 20) == local(2026, 11, 23, 0, 10)


def test_working_days_skip_weekends_and_holidays() -> None:
    thursday = local(2026, 11, 19, 10)
    assert OFFICE.add_working_days(thursday, 2) == local(2026, 11, 23, 10)  # Fri, (weekend), Mon
    calendar = BusinessCalendar(OFFICE.hours, JAKARTA, parse_holidays("2026-11-20"))
    assert calendar.add_working_days(thursday, 2) == local(2026, 11, 24, 10)
    # Asked at 18:00: the moment falls after hours, so it waits for the next opening.
    assert OFFICE.add_working_days(local(2026, 11, 19, 18), 1) == local(2026, 11, 23, 8)


def test_policy_targets_and_wall_clock_wait() -> None:
    policy = build_policy("mon-fri 08:00-17:00", "", "Asia/Jakarta", "urgent=15,normal=240", "normal=1620")
    friday = local(2026, 11, 20, 16, 30)
    assert policy.first_response_due("normal", friday) == local(2026, 11, 23, 11, 30)
    assert policy.first_response_due("low", friday) == local(2026, 11, 23, 15, 30)  # default low target, 480
    assert policy.first_response_due("odd", friday) == local(2026, 11, 23, 11, 30)  # unknown: the normal one
    assert policy.wall_minutes_to_first_response("normal", friday) == 67 * 60
    assert policy.wall_minutes_to_first_response("urgent", local(2026, 11, 23, 9)) == 15
    assert policy.resolution_target("high") == 540  # default when not configured
    assert SlaPolicy().first_response_target("urgent") == 15
    with pytest.raises(SlaConfigError):
        build_policy("24/7", "", "Mars/Olympus", "", "")
