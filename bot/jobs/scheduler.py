"""When the jobs of :mod:`bot.jobs.helpdesk_jobs` run: APScheduler 3 wiring (the only module that imports it).

- Recaps run on the cron expressions ``REPORT_DAILY_CRON``, ``REPORT_WEEKLY_CRON`` and
  ``REPORT_MONTHLY_CRON`` in the desk's timezone. At start-up, the latest fire time of each schedule
  within :data:`CATCH_UP` is run too (a process that was down at 08:00 posts the missed recap
  once; older ones are skipped); ``job_runs`` makes that a no-op where the recap went out already.
- The ticket jobs (SLA reminders, follow-ups, rating reminders) run every ``JOBS_INTERVAL_SECONDS``.

Jobs run in the scheduler's worker thread, each in its own units of work, and queue their messages
in the outbox; the dispatcher (in the event loop) is woken thread-safely.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs.helpdesk_jobs import HelpdeskJobs

log = logging.getLogger(__name__)

CATCH_UP = timedelta(hours=24)
RECAP_KINDS = ("day", "week", "month")


def cron_trigger(cron: str, tz: tzinfo) -> CronTrigger:
    """A trigger for a five-field cron expression (``"0 8 * * mon"``) in ``tz``."""
    return CronTrigger.from_crontab(cron, timezone=tz)


def latest_fire_time(cron: str, tz: tzinfo, now: datetime, within: timedelta = CATCH_UP) -> datetime | None:
    """The last time ``cron`` fired at or before ``now``, if that was within ``within``."""
    trigger = cron_trigger(cron, tz)
    moment = trigger.get_next_fire_time(None, now - within)
    latest = None
    while moment is not None and moment <= now:
        latest = moment
        moment = trigger.get_next_fire_time(moment, moment + timedelta(seconds=1))
    return latest


def catch_up(jobs: HelpdeskJobs, schedules: dict[str, str], now: datetime | None = None) -> list[str]:
    """Run the latest missed recap of each schedule (once; skipped when already posted)."""
    now = now or jobs.clock.now()
    tz = jobs.policy.calendar.tz
    posted = []
    for kind, cron in schedules.items():
        fired = latest_fire_time(cron, tz, now)
        if fired is not None and jobs.run_recap(kind, fired, now, skip_empty=True):
            posted.append(kind)
    return posted


def build_scheduler(
    jobs: HelpdeskJobs, schedules: dict[str, str], interval_seconds: int
) -> BackgroundScheduler:
    """The scheduler with every job added (not started)."""
    tz = jobs.policy.calendar.tz
    scheduler = BackgroundScheduler(
        timezone=tz, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}
    )
    for kind, cron in schedules.items():
        scheduler.add_job(
            _recap_now, cron_trigger(cron, tz), args=[jobs, kind], id=f"recap-{kind}", name=f"{kind} recap"
        )
    scheduler.add_job(
        jobs.tick,
        IntervalTrigger(seconds=max(5, interval_seconds), timezone=tz),
        id="tickets",
        name="SLA reminders and follow-ups",
        misfire_grace_time=max(5, interval_seconds),
    )
    scheduler.add_job(catch_up, "date", args=[jobs, schedules], id="catch-up", name="missed recaps")
    return scheduler


def _recap_now(jobs: HelpdeskJobs, kind: str) -> None:
    jobs.run_recap(kind)


def run_jobs(jobs: HelpdeskJobs, schedules: dict[str, str], interval_seconds: int) -> Callable[[], None]:
    """Install the SLA estimate and `/report` in the engine, start the jobs; returns the stop function."""
    jobs.install()
    scheduler = build_scheduler(jobs, schedules, interval_seconds)
    scheduler.start()
    log.info("background jobs started: %s", ", ".join(job.name for job in scheduler.get_jobs()))

    def stop() -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)

    return stop


__all__ = ["build_scheduler", "catch_up", "latest_fire_time", "run_jobs"]
