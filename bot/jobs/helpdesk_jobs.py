"""Scheduled work: recaps, SLA reminders and breaches, follow-ups, rating reminders, ``/report``.

Every job is a plain method that takes the time (``now``, from the injected clock by default), so
tests call them directly with a fixed clock; :mod:`bot.jobs.scheduler` only decides when they run.

- **Once across processes.** Each piece of work is claimed in ``job_runs`` under a key (a recap
  period ``week:2026-11-16``, a reminder step ``remind:42:first_response``) in the same unit of
  work that queues its messages in the outbox: several helpdesk processes on one database send it
  once. A recap claims first and commits (its chart takes a moment), then finishes; a claim left
  unfinished by a crashed process is taken over after :data:`RECAP_STALE`.
- **No floods after downtime.** Only the current step of anything repeating is sent (the latest
  urgent re-ping, the breach rather than the reminder it replaced); a breach notice older than
  :data:`BREACH_NOTICE_HOURS` only marks the ticket; a rating reminder missed by more than its own
  delay is skipped; only the latest missed recap of each schedule is made (see :mod:`bot.jobs.scheduler`).
- **Everything through the outbox**: messages are queued with :meth:`bot.engine.engine.Turn.send`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.conversation import privacy
from bot.core.records import Priority, Role, Ticket, TicketEvent, TicketStatus
from bot.core.types import Button, ChannelAddress, InboundMessage, OutboundMessage
from bot.engine import ticket_states
from bot.engine.cards import rating_buttons
from bot.engine.engine import HelpdeskEngine
from bot.engine.ticket_states import SLA_PAUSES
from bot.engine.turn import Turn
from bot.reports.chart import render_png
from bot.reports.figures import build_report
from bot.reports.labels import title
from bot.reports.model import PERIOD_KINDS, Report, ReportOptions
from bot.reports.periods import Period, period_before, period_containing
from bot.reports.render import render_summary
from bot.sla.policy import SlaPolicy, parse_pauses

log = logging.getLogger(__name__)

RECAP_STALE = timedelta(minutes=15)
BREACH_NOTICE_HOURS = 24
DUE_LABEL_FROM_MINUTES = 60
AUTO_CLOSED_RESOLUTION = "auto-closed: no reply from the user"


@dataclass(frozen=True)
class JobConfig:
    """What the jobs need to know (built from the settings by :func:`bot.app.job_config`)."""

    policy: SlaPolicy = field(default_factory=SlaPolicy)
    report_options: ReportOptions = field(default_factory=ReportOptions)
    report_channel: ChannelAddress | None = None  # None: the desk
    reminder_margin_minutes: int = 30
    urgent_reping_minutes: int = 10
    followup_days: int = 3
    followup_close_days: int = 4
    followup_reopen_days: int = 14
    rating_reminder_hours: int = 24
    retention_days: int = 0  # message texts of closed tickets are purged after this many days (0: kept)
    owner: str = ""  # who claims, for the record (host and process)
    charts: bool = True


def _last(events: Sequence[TicketEvent], predicate: Callable[[TicketEvent], bool]) -> TicketEvent | None:
    for event in reversed(events):
        if predicate(event):
            return event
    return None


class HelpdeskJobs:
    """The scheduled jobs of one helpdesk process, around its engine."""

    def __init__(self, engine: HelpdeskEngine, config: JobConfig, wake: Callable[[], None] | None = None):
        self.engine = engine
        self.config = config
        self.uow_factory = engine.uow_factory
        self.clock = engine.clock
        self.wake = wake or engine.wake_dispatcher

    # ---------------------------------------------------------------------------- helpers
    @property
    def policy(self) -> SlaPolicy:
        """The SLA targets and calendar."""
        return self.config.policy

    @property
    def lang(self) -> str:
        """The desk's language (recaps, desk reminders)."""
        return self.engine.desk_lang

    def _now(self, now: datetime | None) -> datetime:
        return now if now is not None else self.clock.now()

    def _woke(self, queued: int) -> int:
        if queued and self.wake is not None:
            try:
                self.wake()
            except Exception:  # waking is a courtesy: the dispatcher polls anyway
                log.debug("could not wake the dispatcher", exc_info=True)
        return queued

    def due_label(self, due: datetime, now: datetime, lang: str) -> str:
        """``due`` as people read it in the desk's timezone ("today 13:00", "Monday 11:30")."""
        tz = self.policy.calendar.tz
        return self.engine.t(lang, "due_time", at=due.astimezone(tz), today=now.astimezone(tz).date())

    def desk_main(self) -> ChannelAddress:
        """The desk channel itself (outside any ticket thread), where reminders are announced."""
        desk = self.engine.config.desk
        return ChannelAddress(desk.platform, desk.chat_id)

    # ------------------------------------------------------------------------------ install
    def install(self) -> None:
        """Hook the SLA estimate and the ``/report`` command into the engine."""
        self.engine.response_estimator = self.policy.wall_minutes_to_first_response
        self.engine.response_due_label = self.response_due_label
        self.engine.commands["report"] = self.report_command

    def response_due_label(self, now: datetime, minutes: int, lang: str) -> str:
        """The due time told to a user with a ticket's expected wait ("" for short waits)."""
        if minutes < DUE_LABEL_FROM_MINUTES:
            return ""
        return self.due_label(now + timedelta(minutes=minutes), now, lang)

    # ------------------------------------------------------------------------------- recaps
    def recap_address(self) -> ChannelAddress:
        """Where recaps are posted: ``REPORT_CHANNEL`` or the desk."""
        return self.config.report_channel or self.desk_main()

    def make_report(self, period: Period, now: datetime | None = None) -> Report:
        """The recap figures of ``period`` as of ``now``."""
        with self.uow_factory() as uow:
            return build_report(uow, period, self._now(now), self.config.report_options)

    def recap_messages(self, report: Report, address: ChannelAddress, lang: str) -> list[OutboundMessage]:
        """The summary message and, when charts are on, the chart as an image."""
        messages = [OutboundMessage(address, render_summary(report, lang))]
        if self.config.charts:
            caption = self.engine.t(lang, "report_chart_caption", title=title(report, lang))
            messages.append(OutboundMessage(address, caption, image=render_png(report, lang)))
        return messages

    def run_recap(
        self,
        kind: str,
        fire_time: datetime | None = None,
        now: datetime | None = None,
        skip_empty: bool = False,
    ) -> bool:
        """Post the recap of the last complete ``kind`` period before ``fire_time``, once.

        Returns False when another process (or an earlier run) has it already, or when
        ``skip_empty`` is set and the period saw no tickets (a catch-up after start-up should not
        greet a new desk with an empty recap).
        """
        now = self._now(now)
        period = period_before(kind, fire_time or now, self.policy.calendar.tz)
        key = period.key
        with self.uow_factory() as uow:
            if not uow.jobs.claim("recap", key, now, owner=self.config.owner, stale_after=RECAP_STALE):
                return False
            uow.commit()
        try:
            report = self.make_report(period, now)
            messages = (
                []
                if skip_empty and report.total == 0
                else self.recap_messages(report, self.recap_address(), self.lang)
            )
            with self.uow_factory() as uow:
                turn = Turn(uow, now)
                for message in messages:
                    turn.send(message)
                uow.jobs.finish("recap", key, now, {"tickets": report.total})
                uow.commit()
        except Exception:
            with self.uow_factory() as uow:
                uow.jobs.release("recap", key)
                uow.commit()
            raise
        if not messages:
            return False
        log.info("recap %s posted (%d tickets)", key, report.total)
        self._woke(len(messages))
        return True

    # ---------------------------------------------------------------------------------- SLA
    def run_sla(self, now: datetime | None = None) -> int:
        """Reminders, urgent re-pings and breaches of the open escalated tickets; returns messages queued."""
        now = self._now(now)
        with self.uow_factory() as uow:
            turn = Turn(uow, now)
            tickets = [t for t in uow.tickets.list_open() if t.escalated and t.escalated_at is not None]
            histories = uow.tickets.events_for(t.id for t in tickets if t.id is not None)
            for ticket in tickets:
                self._sla_for(turn, ticket, histories.get(ticket.id or 0, []))
            uow.commit()
            return self._woke(turn.sent)

    def _sla_for(self, turn: Turn, ticket: Ticket, events: Sequence[TicketEvent]) -> None:
        assert ticket.escalated_at is not None and ticket.id is not None
        jobs, now, policy = turn.uow.jobs, turn.now, self.policy
        calendar = policy.calendar_for(ticket.priority)
        start = ticket.escalated_at
        pauses = parse_pauses(ticket.context.get(SLA_PAUSES))
        responded = ticket.first_response_at is not None or any(e.kind == "resolved" for e in events)
        unclaimed = ticket.owner is None and ticket.status == TicketStatus.OPEN
        first_due = policy.first_response_due(ticket.priority, start, pauses, now)
        if unclaimed and ticket.priority == Priority.URGENT:
            waited = calendar.business_minutes_between(start, now)
            step = int(waited // max(1, self.config.urgent_reping_minutes))
            if jobs.claim("sla", f"urgent:{ticket.id}:{step}", now, owner=self.config.owner):
                wall = (now - start).total_seconds() / 60
                self._announce(
                    turn, ticket, "sla_urgent_ping", waited=self.engine.t(self.lang, "minutes", minutes=wall)
                )
        elif unclaimed and not responded and now < first_due:
            target = policy.first_response_target(ticket.priority)
            remind_at = calendar.add_business_minutes(
                start, max(0, target - self.config.reminder_margin_minutes)
            )
            if now >= remind_at and jobs.claim(
                "sla", f"remind:{ticket.id}:first_response", now, owner=self.config.owner
            ):
                self._announce(
                    turn, ticket, "sla_reminder_unclaimed", due=self.due_label(first_due, now, self.lang)
                )
        if not responded and now >= first_due:
            self._breach(turn, ticket, "first_response", first_due)
        if ticket.status == TicketStatus.WAITING_USER:
            return  # the resolution clock is paused while the ticket waits on the user
        resolution_due = policy.resolution_due(ticket.priority, start, pauses, now)
        if now >= resolution_due:
            self._breach(turn, ticket, "resolution", resolution_due)

    def _announce(self, turn: Turn, ticket: Ticket, key: str, **fields: str) -> None:
        text = self.engine.t(
            self.lang,
            key,
            number=ticket.number,
            priority=str(ticket.priority).upper(),
            subject=ticket.subject[:200],
            **fields,
        )
        claim = Button(self.engine.t(self.lang, "btn_claim"), "claim", str(ticket.id))
        turn.send(OutboundMessage(self.desk_main(), text, (claim,)), ticket_id=ticket.id)

    def _breach(self, turn: Turn, ticket: Ticket, target: str, due: datetime) -> None:
        if not turn.uow.jobs.claim("sla", f"breach:{ticket.id}:{target}", turn.now, owner=self.config.owner):
            return
        ticket.sla_breached = True
        ticket.updated_at = turn.now
        turn.event(ticket, "sla_breached", "bot", target=target, due=due.isoformat())
        if turn.now - due <= timedelta(hours=BREACH_NOTICE_HOURS):
            text = self.engine.t(
                self.lang,
                f"sla_breached_{target}",
                number=ticket.number,
                due=self.due_label(due, turn.now, self.lang),
            )
            self.engine.to_thread(turn, ticket, text)
        self.engine.update_card(turn, ticket)

    # ---------------------------------------------------------------------------- follow-ups
    def run_followups(self, now: datetime | None = None) -> int:
        """Remind users who keep a specialist waiting, then close their tickets; returns messages queued."""
        now = self._now(now)
        calendar = self.policy.calendar
        with self.uow_factory() as uow:
            turn = Turn(uow, now)
            waiting = [t for t in uow.tickets.list_open() if t.status == TicketStatus.WAITING_USER]
            histories = uow.tickets.events_for(t.id for t in waiting if t.id is not None)
            for ticket in waiting:
                asked = _last(
                    histories.get(ticket.id or 0, []),
                    lambda e: e.kind == "relayed" and e.detail.get("direction") == "to_user",
                )
                since = (asked.at if asked is not None else None) or ticket.updated_at or ticket.created_at
                if since is None:
                    continue
                base = f"followup:{ticket.id}:{int(since.timestamp())}"
                reminded_at = uow.jobs.claimed_at("followup", f"{base}:remind")
                if reminded_at is None:
                    if now >= calendar.add_working_days(since, self.config.followup_days) and uow.jobs.claim(
                        "followup", f"{base}:remind", now, owner=self.config.owner
                    ):
                        self._remind_user(turn, ticket)
                elif now >= calendar.add_working_days(
                    reminded_at, self.config.followup_close_days
                ) and uow.jobs.claim("followup", f"{base}:close", now, owner=self.config.owner):
                    self._auto_close(turn, ticket)
            uow.commit()
            return self._woke(turn.sent)

    def _to_user(
        self, turn: Turn, ticket: Ticket, key: str, buttons: tuple[Button, ...] = (), **fields: object
    ) -> None:
        text = self.engine.t(
            ticket.language, key, number=ticket.number, subject=ticket.subject[:80], **fields
        )
        turn.send(OutboundMessage(self.engine.user_address(ticket), text, buttons), ticket_id=ticket.id)

    def _remind_user(self, turn: Turn, ticket: Ticket) -> None:
        self._to_user(turn, ticket, "followup_user_reminder", days=self.config.followup_close_days)
        turn.event(ticket, "followup", "bot", step="remind")
        self.engine.to_thread(
            turn, ticket, self.engine.t(self.lang, "followup_desk_reminder", number=ticket.number)
        )

    def _auto_close(self, turn: Turn, ticket: Ticket) -> None:
        reopen_until = turn.now + timedelta(days=self.config.followup_reopen_days)
        ticket_states.close(
            turn,
            ticket,
            "bot",
            "auto_closed",
            AUTO_CLOSED_RESOLUTION,
            auto_closed=True,
            reopen_until=reopen_until.isoformat(),
        )
        self._to_user(turn, ticket, "followup_user_closed")
        self.engine.to_thread(
            turn,
            ticket,
            self.engine.t(self.lang, "followup_desk_closed", number=ticket.number),
            close_thread=True,
        )
        self.engine.update_card(turn, ticket)

    # ------------------------------------------------------------------------------ ratings
    def run_ratings(self, now: datetime | None = None) -> int:
        """One reminder to rate a resolved ticket that has no rating yet; returns messages queued."""
        hours = self.config.rating_reminder_hours
        if hours <= 0:
            return 0
        now = self._now(now)
        delay = timedelta(hours=hours)

        with self.uow_factory() as uow:
            turn = Turn(uow, now)
            for ticket in uow.tickets.resolved_between(now - 2 * delay, now - delay):
                if (
                    ticket.status != TicketStatus.RESOLVED
                    or ticket.rating is not None
                    or not ticket.escalated
                ):
                    continue
                assert ticket.resolved_at is not None
                key = f"rating:{ticket.id}:{int(ticket.resolved_at.timestamp())}"
                if uow.jobs.claim("rating", key, now, owner=self.config.owner):
                    self._to_user(turn, ticket, "rating_reminder", rating_buttons(ticket))
            uow.commit()
            return self._woke(turn.sent)

    def tick(self, now: datetime | None = None) -> int:
        """Every ticket job once (what the scheduler runs every minute); returns messages queued."""
        now = self._now(now)
        self.run_retention(now)
        return self.run_sla(now) + self.run_followups(now) + self.run_ratings(now)

    def run_retention(self, now: datetime | None = None) -> dict[str, int]:
        """Purge texts older than the retention period (``DATA_RETENTION_DAYS``); returns the counts."""
        if self.config.retention_days <= 0:
            return {}
        with self.uow_factory() as uow:
            counts = privacy.purge_expired(Turn(uow, self._now(now)), self.config.retention_days)
            uow.commit()
        if any(counts.values()):
            log.info("retention purge: %s", counts)
        return counts

    # ------------------------------------------------------------------------------ /report
    async def report_command(self, turn: Turn, event: InboundMessage) -> None:
        """``/report [day|week|month] [now]``: the recap in the chat, for admins only."""
        engine = self.engine
        sender = event.sender
        if engine.is_desk(event.address):
            lang = engine.desk_lang
        else:
            lang = engine.user_record(turn, sender).language or engine.config.default_language
        args = event.text.lower().split()
        if await engine.role_of(sender) != Role.ADMIN:
            turn.audit(sender, "report", " ".join(args), allowed=False)
            turn.send(
                OutboundMessage(
                    event.address, engine.t(lang, "report_refused"), ephemeral_user_id=sender.user_id
                )
            )
            return
        kinds = [a for a in args if a in PERIOD_KINDS]
        current = any(a in ("now", "today", "current", "ini", "sekarang") for a in args)
        unknown = [
            a
            for a in args
            if a not in PERIOD_KINDS and a not in ("now", "today", "current", "ini", "sekarang")
        ]
        if unknown or len(kinds) > 1:
            turn.send(OutboundMessage(event.address, engine.t(lang, "report_usage")))
            return
        kind = kinds[0] if kinds else "day"
        tz = self.policy.calendar.tz
        period = period_containing(kind, turn.now, tz) if current else period_before(kind, turn.now, tz)
        report = build_report(turn.uow, period, turn.now, self.config.report_options)
        turn.audit(sender, "report", period.key, allowed=True, tickets=report.total)
        turn.send(OutboundMessage(event.address, render_summary(report, lang)))
        if self.config.charts:
            png = await asyncio.to_thread(render_png, report, lang)
            caption = engine.t(lang, "report_chart_caption", title=title(report, lang))
            turn.send(OutboundMessage(event.address, caption, image=png))


__all__ = ["HelpdeskJobs", "JobConfig"]
