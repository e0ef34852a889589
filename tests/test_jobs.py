"""Scheduled jobs with a controlled clock: SLA reminders and breaches, urgent re-pings, follow-ups,
auto-close and reopen, rating reminders, recaps sent once by several runners, and the wiring."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.app import assemble_engine, recap_schedules, start_jobs
from bot.core.records import TicketStatus
from bot.jobs.helpdesk_jobs import HelpdeskJobs, JobConfig
from bot.jobs.scheduler import build_scheduler, catch_up, latest_fire_time
from bot.reports.model import ReportOptions
from bot.settings import Settings
from bot.sla.policy import BusinessCalendar, BusinessHours, SlaPolicy, parse_holidays
from storage.database import make_engine
from storage.uow import sql_uow_factory
from tests.fakes import DeskWorld, Sent

JAKARTA = ZoneInfo("Asia/Jakarta")


def local(month: int, day: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(2026, month, day, hh, mm, ss, tzinfo=JAKARTA).astimezone(UTC)


def make_jobs(world: DeskWorld, holidays: str = "", **kw: Any) -> HelpdeskJobs:
    calendar = BusinessCalendar(BusinessHours.parse("mon-fri 08:00-17:00"), JAKARTA, parse_holidays(holidays))
    policy = SlaPolicy(
        calendar,
        {"urgent": 15, "high": 60, "normal": 240, "low": 480},
        {"urgent": 240, "high": 540, "normal": 1620, "low": 2700},
    )
    config = JobConfig(policy=policy, report_options=ReportOptions(policy=policy), charts=False, **kw)
    jobs = HelpdeskJobs(world.engine, config)
    jobs.install()
    return jobs


async def open_ticket(world: DeskWorld, text: str = "/ticket monitor mati") -> list[Sent]:
    """The user asks for a person and skips the triage questions; returns what they were told."""
    reply = await world.user_says(text)
    for _ in range(3):
        reply = await world.user_presses("Lewati")
    return reply


async def run(world: DeskWorld, jobs: HelpdeskJobs, at: datetime) -> list[Sent]:
    """Set the clock, run every ticket job, deliver; returns what was sent."""
    world.clock.current = at
    before = len(world.sender.sent)
    jobs.tick()
    await world.deliver()
    return world.sender.sent[before:]


def announcements(sent: list[Sent]) -> list[Sent]:
    """Posts in the desk channel itself (not in a ticket thread, not card edits)."""
    return [s for s in sent if s.message.address.chat_id == "desk" and s.thread_id is None]


def to_user(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.message.address.chat_id == "user-budi"]


# ------------------------------------------------------------------------------------ SLA
async def test_unclaimed_ticket_is_reminded_then_marked_breached(world: DeskWorld) -> None:
    jobs = make_jobs(world)
    told = await open_ticket(world)  # Monday 09:00, normal: first response due 13:00
    assert "sekitar 4 jam (paling lambat hari ini pukul 13.00)" in told[-1].text
    assert await run(world, jobs, local(11, 23, 12, 29)) == []
    sent = await run(world, jobs, local(11, 23, 12, 30))  # target minus the 30-minute margin
    [reminder] = announcements(sent)
    assert "Pengingat: #1 [NORMAL] belum diambil" in reminder.text and "hari ini pukul 13.00" in reminder.text
    assert [b.action for b in reminder.message.buttons] == ["claim"]
    assert await run(world, jobs, local(11, 23, 12, 45)) == []  # never twice
    sent = await run(world, jobs, local(11, 23, 13, 0))
    assert any("SLA terlewat: #1" in s.text and s.thread_id for s in sent)
    assert any(s.message.edit_message_id and "SLA" in s.text for s in sent)  # the card shows it
    assert world.ticket(1).sla_breached and "sla_breached" in world.events(1)
    assert await run(world, jobs, local(11, 23, 13, 30)) == []


async def test_ticket_claimed_a_second_before_the_reminder_gets_none(world: DeskWorld) -> None:
    jobs = make_jobs(world)
    await open_ticket(world)
    world.clock.current = local(11, 23, 12, 29, 59)
    await world.desk_presses("claim", "1")
    assert announcements(await run(world, jobs, local(11, 23, 12, 30))) == []
    thread = world.ticket(1).desk_thread_id
    await world.desk_says("sudah saya cek, coba restart", thread_id=thread)  # first response at 12:30
    assert await run(world, jobs, local(11, 23, 13, 1)) == []  # answered in time: no breach
    assert not world.ticket(1).sla_breached


async def test_weekend_and_holiday_push_the_due_time(world: DeskWorld) -> None:
    jobs = make_jobs(world, holidays="2026-11-23")  # Monday is a holiday
    world.clock.current = local(11, 20, 16, 30)  # Friday 16:30
    told = await open_ticket(world)
    assert "sekitar 3 hari 19 jam (paling lambat hari Selasa pukul 11.30)" in told[-1].text
    for moment in (local(11, 21, 10), local(11, 23, 11, 0), local(11, 24, 10, 59)):
        assert await run(world, jobs, moment) == []
    assert len(announcements(await run(world, jobs, local(11, 24, 11, 0)))) == 1
    sent = await run(world, jobs, local(11, 24, 11, 30))
    assert any("SLA terlewat" in s.text for s in sent)


async def test_late_run_skips_the_pointless_reminder(world: DeskWorld) -> None:
    jobs = make_jobs(world)
    await open_ticket(world)
    sent = await run(world, jobs, local(11, 23, 14, 0))  # the process was down from 09:00 to 14:00
    assert announcements(sent) == []  # no reminder after the due time ...
    assert [s.text for s in sent if "SLA" in s.text and s.thread_id]  # ... only the breach


async def test_urgent_ticket_pings_at_once_and_again_until_claimed(world: DeskWorld) -> None:
    jobs = make_jobs(world, urgent_reping_minutes=10)
    await world.user_says("saya dapat email phishing minta login, sudah saya klik")  # Monday 09:00, urgent

    def pings(sent: list[Sent]) -> list[str]:
        return [s.text for s in announcements(sent) if s.text.startswith("URGENT #1")]

    assert len(pings(await run(world, jobs, local(11, 23, 9, 0)))) == 1  # at once
    assert pings(await run(world, jobs, local(11, 23, 9, 5))) == []
    assert len(pings(await run(world, jobs, local(11, 23, 9, 10)))) == 1
    assert len(pings(await run(world, jobs, local(11, 23, 10, 10)))) == 1  # down for an hour: one, not six
    await world.desk_presses("claim", "1")
    assert pings(await run(world, jobs, local(11, 23, 10, 30))) == []


# ----------------------------------------------------------------------------- follow-ups
async def test_waiting_user_is_reminded_once_then_closed_and_a_reply_reopens(world: DeskWorld) -> None:
    jobs = make_jobs(world, holidays="2026-11-27", followup_days=3, followup_close_days=4)
    await open_ticket(world)
    thread = world.ticket(1).desk_thread_id
    await world.desk_says("boleh kirim foto layarnya?", thread_id=thread)  # Monday 09:00: waiting on the user
    assert world.ticket(1).status == TicketStatus.WAITING_USER
    assert to_user(await run(world, jobs, local(11, 25, 17))) == []
    [reminder] = to_user(await run(world, jobs, local(11, 26, 9)))  # three working days later
    assert "menunggu balasan Anda untuk tiket #1" in reminder.text and "4 hari kerja" in reminder.text
    assert to_user(await run(world, jobs, local(11, 26, 12))) == []
    # Four more working days, Friday the 27th being a holiday: Thursday 3 December.
    assert to_user(await run(world, jobs, local(12, 2, 17))) == []
    [closed] = to_user(await run(world, jobs, local(12, 3, 9)))
    assert "Tiket #1 (monitor mati) saya tutup" in closed.text
    ticket = world.ticket(1)
    assert ticket.status == TicketStatus.CLOSED and ticket.context["auto_closed"]
    assert any("ditutup otomatis" in s.text for s in world.desk_messages())
    assert to_user(await run(world, jobs, local(12, 10, 9))) == []  # closed: nothing more

    reply = await world.user_says("maaf baru balas, layarnya masih mati")
    assert "Tiket #1 saya buka kembali" in reply[0].text
    assert world.ticket(1).status == TicketStatus.CLAIMED
    assert any("masih mati" in s.text and s.thread_id == thread for s in world.desk_messages()[-3:])
    assert world.events(1)[-3:] == ["auto_closed", "reopened", "relayed"]


async def test_reply_long_after_an_auto_close_is_a_new_question(world: DeskWorld) -> None:
    jobs = make_jobs(world, followup_days=1, followup_close_days=1, followup_reopen_days=14)
    await open_ticket(world)
    await world.desk_says("sudah dicoba?", thread_id=world.ticket(1).desk_thread_id)
    await run(world, jobs, local(11, 24, 9))
    await run(world, jobs, local(11, 25, 9))
    assert world.ticket(1).status == TicketStatus.CLOSED
    world.clock.current = local(12, 20, 9)
    await world.user_says("lupa password email")
    assert world.ticket(1).status == TicketStatus.CLOSED  # too late to reopen: answered as a new question
    assert world.ticket(2) is not None


async def test_rating_reminder_once(world: DeskWorld) -> None:
    jobs = make_jobs(world, rating_reminder_hours=24)
    await open_ticket(world)
    await world.desk_says("/resolve 1 kabel diganti")  # Monday 09:00
    assert to_user(await run(world, jobs, local(11, 24, 8, 59))) == []
    [reminder] = to_user(await run(world, jobs, local(11, 24, 9, 1)))
    assert "tiket #1" in reminder.text and [b.label for b in reminder.message.buttons] == [
        "1",
        "2",
        "3",
        "4",
        "5",
    ]
    assert to_user(await run(world, jobs, local(11, 24, 12))) == []
    await world.user_presses("4")
    assert world.ticket(1).rating == 4


# ---------------------------------------------------------------------------------- recaps
async def test_two_runners_send_one_recap(world: DeskWorld) -> None:
    await world.user_says("lupa password email")  # one ticket on Monday 23 November
    first = make_jobs(world)
    other_engine = make_engine(world.url)
    try:
        engine2 = assemble_engine(sql_uow_factory(other_engine), world.faq, world.clock, world.config)
        second = HelpdeskJobs(engine2, first.config)
        fire = local(11, 24, 8)
        world.clock.current = fire
        results: list[bool] = []
        barrier = threading.Barrier(2)

        def go(jobs: HelpdeskJobs) -> None:
            barrier.wait()
            results.append(jobs.run_recap("day", fire))

        threads = [threading.Thread(target=go, args=(j,)) for j in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)
        assert sorted(results) == [False, True]
        assert second.run_recap("day", fire) is False and first.run_recap("day", fire) is False
    finally:
        other_engine.dispose()
    await world.deliver()
    recaps = [s.text for s in world.desk_messages() if s.text.startswith("Rekap helpdesk")]
    assert recaps == [recaps[0]] and recaps[0].startswith("Rekap helpdesk 23 November 2026")
    assert "Tiket: 1 (Console 1)" in recaps[0]


async def test_recap_goes_to_the_report_channel_with_its_chart(world: DeskWorld) -> None:
    from bot.core.types import ChannelAddress

    jobs = make_jobs(world)
    jobs.config = JobConfig(
        **{**jobs.config.__dict__, "report_channel": ChannelAddress("console", "managers"), "charts": True}
    )
    assert jobs.run_recap("week", local(11, 23, 8))
    await world.deliver()
    text, chart = world.sender.to("managers")
    assert text.text.startswith("Rekap helpdesk mingguan, Sen 16 Nov - Min 22 Nov")
    assert chart.message.image is not None and chart.message.image.startswith(b"\x89PNG")


async def test_catch_up_posts_only_the_latest_missed_recap(world: DeskWorld) -> None:
    from bot.core.records import Ticket

    jobs = make_jobs(world)
    schedules = {"day": "0 8 * * *", "week": "0 8 * * mon"}
    # A brand-new desk is not greeted with empty recaps.
    assert catch_up(jobs, schedules, now=local(11, 16, 9)) == []
    with world.uow_factory() as uow:
        for day in (22, 25):
            uow.tickets.add(
                Ticket("console", "budi", "Budi", "user-budi", "printer", created_at=local(11, day, 10))
            )
        uow.commit()
    assert catch_up(jobs, schedules, now=local(11, 23, 9)) == ["day", "week"]  # Monday 09:00
    assert catch_up(jobs, schedules, now=local(11, 23, 9, 30)) == []  # restarted: already posted
    # Down from Monday until Thursday 10:00: yesterday's recap only; the week's is too old now.
    assert catch_up(jobs, schedules, now=local(11, 26, 10)) == ["day"]
    await world.deliver()
    titles = [s.text.splitlines()[0] for s in world.desk_messages()]
    assert titles == [
        "Rekap helpdesk 22 November 2026",
        "Rekap helpdesk mingguan, Sen 16 Nov - Min 22 Nov",
        "Rekap helpdesk 25 November 2026",
    ]


async def test_a_failed_recap_can_be_retried(world: DeskWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    jobs = make_jobs(world)

    def broken(*_: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(jobs, "make_report", broken)
    with pytest.raises(RuntimeError):
        jobs.run_recap("day", local(11, 24, 8))
    monkeypatch.undo()
    assert jobs.run_recap("day", local(11, 24, 8))


def test_job_run_claims(uow_factory: Any) -> None:
    t = datetime(2026, 11, 23, 1, tzinfo=UTC)
    with uow_factory() as uow:
        assert uow.jobs.claim("recap", "day:2026-11-22", t, owner="a")
        assert not uow.jobs.claim("recap", "day:2026-11-22", t, owner="b")  # same transaction, still once
        uow.commit()
    with uow_factory() as uow:
        assert not uow.jobs.claim(
            "recap", "day:2026-11-22", t + timedelta(minutes=5), stale_after=timedelta(minutes=15)
        )
        # Unfinished and stale: the owner died half-way, another process takes over.
        assert uow.jobs.claim(
            "recap", "day:2026-11-22", t + timedelta(minutes=20), stale_after=timedelta(minutes=15)
        )
        uow.jobs.finish("recap", "day:2026-11-22", t + timedelta(minutes=21))
        uow.commit()
    with uow_factory() as uow:
        assert uow.jobs.is_done("recap", "day:2026-11-22")
        assert not uow.jobs.claim(
            "recap", "day:2026-11-22", t + timedelta(days=1), stale_after=timedelta(minutes=1)
        )
        assert uow.jobs.claimed_at("recap", "day:2026-11-22") == t + timedelta(minutes=20)
        assert uow.jobs.claimed_keys("recap", ["day:2026-11-22", "day:2026-11-23"]) == {"day:2026-11-22"}


# ---------------------------------------------------------------------------------- wiring
def test_latest_fire_time() -> None:
    monday_nine = local(11, 23, 9)
    assert latest_fire_time("0 8 * * *", JAKARTA, monday_nine) == local(11, 23, 8)
    assert latest_fire_time("0 8 * * mon", JAKARTA, local(11, 23, 7, 59)) is None  # last Monday: too long ago
    assert latest_fire_time("0 8 * * mon", JAKARTA, local(11, 29, 9), within=timedelta(days=7)) == local(
        11, 23, 8
    )


async def test_scheduler_wiring(world: DeskWorld) -> None:
    jobs = make_jobs(world)
    settings = Settings(_env_file=None, REPORT_MONTHLY_CRON="0 7 1 * *")  # type: ignore[call-arg]
    schedules = recap_schedules(settings)
    assert schedules == {"day": "0 8 * * *", "week": "0 8 * * mon", "month": "0 7 1 * *"}
    scheduler = build_scheduler(jobs, schedules, 60)
    assert {job.id for job in scheduler.get_jobs()} == {
        "recap-day",
        "recap-week",
        "recap-month",
        "tickets",
        "catch-up",
    }
    trigger = next(job.trigger for job in scheduler.get_jobs() if job.id == "recap-week")
    assert trigger.get_next_fire_time(None, local(11, 23, 9)) == local(11, 30, 8)

    quiet = Settings(  # type: ignore[call-arg]
        _env_file=None,
        REPORT_DAILY_CRON="",
        REPORT_WEEKLY_CRON="",
        JOBS_INTERVAL_SECONDS=3600,
        SLA_FIRST_RESPONSE_MINUTES="normal=120",
    )
    world.engine.commands.clear()
    stop = start_jobs(SimpleNamespace(settings=quiet, engine=world.engine, dispatcher=world.dispatcher))  # type: ignore[arg-type]
    try:
        assert "report" in world.engine.commands
        assert world.engine.response_estimator("normal", local(11, 23, 9)) == 120
    finally:
        stop()
