"""Realistic demo tickets over the past weeks, so recaps and charts can be seen without real traffic.

:func:`fill_demo_data` writes tickets and their histories (FAQ answers solved or not, escalations,
claims, replies, resolutions, ratings, reopenings, auto-closes, a few security incidents and
repeated questions the FAQ does not cover) through a unit of work. It is deterministic for a seed
and a ``now``; nothing happens after ``now``, so recent tickets are still open.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from bot.core.ports import UnitOfWorkFactory
from bot.core.records import Priority, Ticket, TicketEvent, TicketStatus
from bot.core.types import FaqEntry
from bot.sla.policy import SlaPolicy

SPECIALISTS = (
    ("telegram:5001", "Sari"),
    ("telegram:5002", "Budi"),
    ("slack:U05RINA", "Rina"),
    ("slack:U05AGUS", "Agus"),
)
REQUESTERS = (
    "Dewi",
    "Andi",
    "Putri",
    "Rizky",
    "Siti",
    "Fajar",
    "Ayu",
    "Hendra",
    "Lestari",
    "Yoga",
    "Maya",
    "Bayu",
    "Nadia",
    "Eko",
    "Wulan",
    "Dimas",
    "Citra",
    "Arif",
    "Indah",
    "Reza",
)
CHANNELS = (("telegram", 0.55), ("slack", 0.35), ("console", 0.10))
# Questions the FAQ does not answer, asked again and again in other words (the FAQ gaps).
GAP_TOPICS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    (
        "software",
        5.0,
        (
            "aplikasi absensi tidak bisa dibuka",
            "absensi online error waktu check-in",
            "attendance app crashes when I clock in",
            "aplikasi absen tidak bisa login dari hp",
        ),
    ),
    (
        "software",
        3.0,
        (
            "laporan ERP tidak bisa diexport ke excel",
            "ERP report export to excel is empty",
            "export laporan di ERP gagal terus",
        ),
    ),
    (
        "access",
        2.5,
        (
            "slip gaji di portal HR tidak muncul",
            "cannot see my payslip in the HR portal",
            "portal HR slip gaji kosong",
        ),
    ),
    (
        "other",
        1.5,
        (
            "tanda tangan digital di PDF tidak valid",
            "digital signature on the pdf shows invalid",
        ),
    ),
    (
        "other",
        1.0,
        (
            "nomor extension telepon meja tidak aktif",
            "CCTV lantai 2 mati sejak pagi",
            "kartu akses gedung tidak bisa tap di pintu lantai 4",
            "monitor ruang rapat besar tidak bisa cast dari laptop",
        ),
    ),
)
SECURITY_SUBJECTS = (
    ("phishing", "dapat email minta login ulang office365, sudah saya klik linknya"),
    ("lost_device", "laptop kantor saya hilang di kereta"),
    ("malware", "muncul pesan file saya dienkripsi, minta tebusan"),
    ("compromised", "someone sent emails from my account that I did not write"),
)
_BATCH = 20
RESOLUTIONS = (
    "settings fixed remotely",
    "driver reinstalled",
    "access granted",
    "account unlocked",
    "configured with user",
    "replaced the cable",
    "cleared the cache and re-synced",
    "installed and activated",
)


@dataclass
class _Ticket:
    ticket: Ticket
    events: list[TicketEvent] = field(default_factory=list)

    def event(self, kind: str, at: datetime, actor: str = "", **detail: Any) -> None:
        self.events.append(TicketEvent(0, kind, actor, detail, at))


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def _business_delay(rng: random.Random, median: float) -> float:
    return max(2.0, rng.lognormvariate(0, 0.9) * median)


class _Generator:
    def __init__(self, entries: Sequence[FaqEntry], policy: SlaPolicy, now: datetime, seed: int, lang: str):
        self.rng = random.Random(seed)
        self.entries = [e for e in entries if not e.security] or [
            FaqEntry("password-reset", "account", {"id": ("lupa password",)}, {"id": "Reset lewat portal."})
        ]
        self.security_entries = {e.id: e for e in entries if e.security}
        self.policy = policy
        self.now = now
        self.lang = lang
        # A few entries are asked far more often than the rest (a realistic long tail).
        self.weights = [1.0 / (1 + i * 0.35) for i in range(len(self.entries))]
        self.rng.shuffle(self.weights)
        self.improved: dict[str, tuple[int, datetime]] = {}

    # ----------------------------------------------------------------------------- plumbing
    def requester(self) -> tuple[str, str, str]:
        platform = _pick(self.rng, CHANNELS)
        name = self.rng.choice(REQUESTERS)
        return platform, f"{platform[0]}{1000 + 37 * REQUESTERS.index(name)}", name

    def ticket(self, created: datetime, subject: str, category: str, status: str) -> _Ticket:
        platform, user_id, name = self.requester()
        ticket = Ticket(
            requester_platform=platform,
            requester_id=user_id,
            requester_name=name,
            user_chat_id=user_id,
            subject=subject,
            language=self.lang if self.rng.random() < 0.8 else "en",
            category=category,
            status=status,
            created_at=created,
            updated_at=created,
        )
        made = _Ticket(ticket)
        made.event("created", created, f"{platform}:{user_id}")
        return made

    def requester_key(self, made: _Ticket) -> str:
        return f"{made.ticket.requester_platform}:{made.ticket.requester_id}"

    # ------------------------------------------------------------------------------ stories
    def faq_ticket(self, created: datetime) -> _Ticket:
        entry = self.rng.choices(self.entries, weights=self.weights)[0]
        version = entry.version
        helpful = 0.62
        if entry.id in self.improved:
            new_version, since = self.improved[entry.id]
            if created >= since:
                version, helpful = new_version, 0.8
            else:
                version, helpful = new_version - 1, 0.35
        questions = entry.questions.get(self.lang) or next(iter(entry.questions.values()), (entry.id,))
        made = self.ticket(created, self.rng.choice(questions), entry.category, TicketStatus.ANSWERED)
        made.ticket.faq_entry_id, made.ticket.faq_version = entry.id, version
        made.event("answered", created, "bot", entry=entry.id, version=version)
        roll = self.rng.random()
        reply_at = created + timedelta(minutes=self.rng.uniform(1, 12))
        if reply_at > self.now:
            return made
        if roll < helpful:
            made.ticket.status = TicketStatus.SELF_SERVICE
            made.ticket.resolved_at = reply_at
            made.ticket.resolution = f"FAQ {entry.id}"
            made.event("self_solved", reply_at, self.requester_key(made))
            if self.rng.random() < 0.55:
                score = self.rng.choices([5, 4, 3, 2], weights=[55, 30, 10, 5])[0]
                made.ticket.rating = score
                made.event("csat", reply_at + timedelta(minutes=1), self.requester_key(made), score=score)
        elif roll < helpful + 0.17:
            pass  # no feedback: silent
        else:
            kind = "not_solved" if self.rng.random() < 0.75 else "asked_human"
            made.event(kind, reply_at, self.requester_key(made))
            if self.rng.random() < 0.85:
                reason = "not_solved" if kind == "not_solved" else "asked"
                self.escalate(made, reply_at + timedelta(minutes=self.rng.uniform(2, 5)), reason)
        return made

    def gap_ticket(self, created: datetime) -> _Ticket:
        category, _, questions = _pick(self.rng, [(t, t[1]) for t in GAP_TOPICS])
        made = self.ticket(created, self.rng.choice(questions), category, TicketStatus.OPEN)
        reason = "no_match" if self.rng.random() < 0.8 else "none_fit"
        self.escalate(made, created + timedelta(minutes=self.rng.uniform(2, 4)), reason)
        return made

    def security_ticket(self, created: datetime) -> _Ticket:
        kind, subject = self.rng.choice(SECURITY_SUBJECTS)
        made = self.ticket(created, subject, "security", TicketStatus.OPEN)
        made.event("security", created, "bot", incident=kind)
        self.escalate(made, created, f"security:{kind}", priority=Priority.URGENT)
        return made

    def escalate(self, made: _Ticket, at: datetime, reason: str, priority: str | None = None) -> None:
        t = made.ticket
        if at > self.now:
            return
        rng = self.rng
        priority = priority or _pick(
            rng, [(Priority.NORMAL, 0.72), (Priority.HIGH, 0.22), (Priority.LOW, 0.06)]
        )
        t.status, t.escalated, t.escalated_at, t.priority = TicketStatus.OPEN, True, at, priority
        t.context = {"reason": reason}
        made.event("escalated", at, "bot", reason=reason, priority=priority)
        calendar = self.policy.calendar
        target = self.policy.first_response_target(priority)
        specialist, name = rng.choice(SPECIALISTS)
        claim_at = calendar.add_business_minutes(at, _business_delay(rng, target * 0.3))
        if claim_at > self.now:
            return
        t.status, t.owner, t.owner_name = TicketStatus.CLAIMED, specialist, name
        made.event("claimed", claim_at, specialist)
        reply_at = claim_at + timedelta(minutes=rng.uniform(1, 15))
        if reply_at > self.now:
            return
        t.status, t.first_response_at = TicketStatus.WAITING_USER, reply_at
        made.event("relayed", reply_at, specialist, direction="to_user")
        user_at = reply_at + timedelta(minutes=rng.uniform(3, 90))
        if rng.random() < 0.06:  # the user never answers: reminded, then closed
            close_at = calendar.add_working_days(reply_at, 7)
            if close_at <= self.now:
                t.status, t.closed_at, t.resolution = TicketStatus.CLOSED, close_at, "auto-closed: no reply"
                t.context = {**t.context, "auto_closed": True}
                made.event("auto_closed", close_at, "bot")
            return
        if rng.random() < 0.03 and user_at <= self.now:
            t.status, t.closed_at, t.resolution = TicketStatus.CLOSED, user_at, "cancelled by requester"
            made.event("cancelled", user_at, self.requester_key(made))
            return
        if user_at > self.now:
            return
        t.status = TicketStatus.CLAIMED
        made.event("relayed", user_at, self.requester_key(made), direction="to_desk")
        resolve_at = calendar.add_business_minutes(
            user_at, _business_delay(rng, self.policy.resolution_target(priority) * 0.25)
        )
        if resolve_at > self.now:
            return
        self.resolve(made, resolve_at, specialist)
        if rng.random() < 0.06:
            reopen_at = resolve_at + timedelta(hours=rng.uniform(2, 60))
            if reopen_at > self.now:
                return
            t.status, t.resolved_at, t.rating = TicketStatus.CLAIMED, None, None
            made.events = [e for e in made.events if e.kind != "csat"]
            made.event("reopened", reopen_at, self.requester_key(made))
            again = calendar.add_business_minutes(reopen_at, _business_delay(rng, 120))
            if again <= self.now:
                self.resolve(made, again, specialist)

    def resolve(self, made: _Ticket, at: datetime, specialist: str) -> None:
        t = made.ticket
        t.status, t.resolved_at, t.updated_at = TicketStatus.RESOLVED, at, at
        t.resolution = self.rng.choice(RESOLUTIONS)
        made.event("resolved", at, specialist, summary=t.resolution)
        if self.rng.random() < 0.65:
            rated_at = at + timedelta(minutes=self.rng.uniform(2, 240))
            if rated_at <= self.now:
                score = self.rng.choices([5, 4, 3, 2, 1], weights=[48, 32, 12, 5, 3])[0]
                t.rating = score
                made.event("csat", rated_at, self.requester_key(made), score=score)

    def mark_breaches(self, made: _Ticket) -> None:
        t = made.ticket
        if not t.escalated or t.escalated_at is None:
            return
        first_due = self.policy.first_response_due(t.priority, t.escalated_at)
        if (t.first_response_at or self.now) > first_due and min(
            self.now, t.closed_at or self.now
        ) > first_due:
            t.sla_breached = True

    # ------------------------------------------------------------------------------- volume
    def moments(self, start: datetime) -> list[datetime]:
        tz = self.policy.calendar.tz
        moments: list[datetime] = []
        day = start.astimezone(tz).date()
        while True:
            working = self.policy.calendar.is_working_day(day)
            count = self.rng.randint(9, 18) if working else self.rng.randint(0, 2)
            for _ in range(count):
                if working:
                    minute = int(min(max(self.rng.gauss(12.3 * 60, 150), 7 * 60), 18 * 60))
                else:
                    minute = self.rng.randint(8 * 60, 21 * 60)
                moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
                if start <= moment <= self.now:
                    moments.append(moment.astimezone(self.now.tzinfo))
            if datetime.combine(day, time(0), tzinfo=tz) > self.now:
                break
            day += timedelta(days=1)
        return sorted(moments)


def fill_demo_data(
    uow_factory: UnitOfWorkFactory,
    now: datetime,
    policy: SlaPolicy,
    *,
    weeks: int = 4,
    seed: int = 7,
    lang: str = "id",
) -> int:
    """Write and commit demo tickets for the ``weeks`` before ``now``; returns how many.

    One FAQ entry gets a new version half-way (so recaps show answers by version).
    """
    with uow_factory() as uow:
        entries = uow.faq.all()
        generator = _Generator(entries, policy, now, seed, lang)
        start = now - timedelta(weeks=weeks)
        if entries:
            top = max(generator.entries, key=lambda e: generator.weights[generator.entries.index(e)])
            improved = dataclasses.replace(top, tags=(*top.tags, "reviewed"))
            stored = uow.faq.put(improved, author="demo", note="clearer steps")
            generator.improved[top.id] = (stored.version, start + (now - start) / 2)
            uow.commit()
    moments = generator.moments(start)
    for first in range(0, len(moments), _BATCH):
        with uow_factory() as uow:
            for moment in moments[first : first + _BATCH]:
                roll = generator.rng.random()
                if roll < 0.035:
                    made = generator.security_ticket(moment)
                elif roll < 0.27:
                    made = generator.gap_ticket(moment)
                else:
                    made = generator.faq_ticket(moment)
                generator.mark_breaches(made)
                ticket = uow.tickets.add(made.ticket)
                assert ticket.id is not None
                for event in made.events:
                    event.ticket_id = ticket.id
                    uow.tickets.add_event(event)
            uow.commit()
    return len(moments)
