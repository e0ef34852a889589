"""Service levels per priority: each priority on its own calendar (urgent round the clock by
default), the clocks paused while a ticket waits on the user, and what the user is told."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.records import TicketStatus
from bot.jobs.helpdesk_jobs import HelpdeskJobs, JobConfig
from bot.reports.figures import ticket_facts
from bot.reports.model import ReportOptions
from bot.settings import Settings
from bot.sla.policy import SlaConfigError, build_policy, parse_priority_hours
from tests.fakes import DeskWorld

JAKARTA = ZoneInfo("Asia/Jakarta")


def local(month: int, day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, tzinfo=JAKARTA).astimezone(UTC)


SATURDAY_NIGHT = local(11, 21, 22, 0)  # Saturday 21 November 2026, 22:00 in Jakarta
POLICY = build_policy(
    "mon-fri 08:00-17:00", "2026-11-23", "Asia/Jakarta", "urgent=15,normal=240", "urgent=240,normal=1620"
)


def test_urgent_runs_round_the_clock_normal_waits_for_business_hours() -> None:
    assert POLICY.first_response_due("urgent", SATURDAY_NIGHT) == local(11, 21, 22, 15)
    assert POLICY.resolution_due("urgent", SATURDAY_NIGHT) == local(11, 22, 2, 0)
    # Normal: Monday the 23rd is a holiday, so Tuesday 08:00 + 4 hours.
    assert POLICY.first_response_due("normal", SATURDAY_NIGHT) == local(11, 24, 12, 0)
    assert POLICY.wall_minutes_to_first_response("urgent", SATURDAY_NIGHT) == 15


def test_priority_hours_setting_is_read_and_checked() -> None:
    hours = parse_priority_hours("urgent=24/7|high=mon-sat 07:00-21:00")
    assert hours["urgent"].is_always and not hours["high"].is_always
    with pytest.raises(SlaConfigError):
        parse_priority_hours("urgent")
    with pytest.raises(ValueError):
        Settings(SLA_PRIORITY_HOURS="urgent=sometimes")  # type: ignore[call-arg]
    policy = build_policy("mon-fri 08:00-17:00", "", "Asia/Jakarta", "", "", "")
    assert policy.first_response_due("urgent", SATURDAY_NIGHT) == local(11, 23, 8, 15)  # no override


def test_the_clock_pauses_while_the_ticket_waits_on_the_user() -> None:
    start = local(11, 24, 9, 0)  # Tuesday 09:00, normal: resolution due 1620 business minutes later
    plain = POLICY.resolution_due("normal", start)
    waited = ((local(11, 24, 10, 0), local(11, 24, 12, 0)),)  # two business hours with the user
    paused = POLICY.resolution_due("normal", start, waited)
    assert (paused - plain).total_seconds() == 2 * 3600
    assert POLICY.elapsed("normal", start, local(11, 24, 13, 0), waited) == 120
    # Still waiting: the pause runs until now.
    open_pause = ((local(11, 24, 10, 0), None),)
    assert POLICY.resolution_due("normal", start, open_pause, local(11, 24, 11, 0)) > plain


def make_jobs(world: DeskWorld) -> HelpdeskJobs:
    jobs = HelpdeskJobs(
        world.engine, JobConfig(policy=POLICY, report_options=ReportOptions(policy=POLICY), charts=False)
    )
    jobs.install()
    return jobs


async def test_an_incident_on_saturday_night_is_promised_minutes_not_monday(world: DeskWorld) -> None:
    make_jobs(world)
    world.clock.current = SATURDAY_NIGHT
    reply = await world.user_says("I clicked a link in a suspicious email and entered my password")
    told = "\n".join(s.text for s in reply)
    assert "a specialist is being alerted now" in told and "about 15 minutes" in told
    assert "Monday" not in told and "Tuesday" not in told
    assert world.ticket(1).priority == "urgent"


async def test_normal_ticket_on_saturday_is_told_the_business_day(world: DeskWorld) -> None:
    make_jobs(world)
    world.clock.current = SATURDAY_NIGHT
    await world.user_says("/ticket monitor mati")
    for _ in range(3):
        reply = await world.user_presses("Lewati")
    assert "Selasa" in reply[-1].text  # Tuesday: Monday is a holiday in this policy


async def test_waiting_on_the_user_pauses_breach_and_recap(world: DeskWorld) -> None:
    jobs = make_jobs(world)
    world.clock.current = local(11, 24, 9, 0)
    await world.user_says("/ticket monitor mati")
    for _ in range(3):
        await world.user_presses("Lewati")
    thread = world.desk_messages()[0].thread_id
    world.clock.current = local(11, 24, 9, 30)
    await world.desk_says("Apakah kabelnya sudah dicek?", thread_id=thread)
    assert world.ticket(1).status == TicketStatus.WAITING_USER
    # Four business days later the resolution target (3 days) has passed on the wall clock, but
    # the ticket has waited on the user all along: no breach.
    world.clock.current = local(11, 27, 16, 0)
    jobs.run_sla()
    assert not world.ticket(1).sla_breached
    await world.user_says("sudah, tetap mati")
    ticket = world.ticket(1)
    assert ticket.context["sla_pauses"][0][1] is not None  # the pause ended when the user replied
    world.clock.current = local(11, 27, 16, 30)
    await world.desk_says("/resolve monitor diganti", thread_id=thread)
    ticket = world.ticket(1)
    with world.uow_factory() as uow:
        events = uow.tickets.events(1)
    facts = ticket_facts(ticket, events, world.clock.now(), ReportOptions(policy=POLICY))
    assert facts.first_response_minutes == 30
    assert facts.resolution_minutes == 60  # 09:00-09:30 and 16:00-16:30; the wait left out
    assert not facts.resolution_breached and not facts.first_response_breached
