"""Recap figures ("laporan rekapitulasi"): what the helpdesk saw and did over a period.

Every figure is about the **tickets opened in the period** (a cohort), with their outcome as of the
moment the report is made (``now``). :func:`collect` reads the tickets and their histories through
a unit of work; :func:`compute` is a pure function of those records, so tests feed it known tickets.

Outcomes are counted honestly and separately; each ticket has exactly one:

- ``self_service``: the FAQ answer solved it and the user said so ("solved" pressed);
- ``silent``: the bot answered and the user gave no feedback within the feedback window;
- ``pending_feedback``: the bot answered and the feedback window is still running;
- ``abandoned``: the user said "not solved" / asked for a person but left before a ticket opened;
- ``resolved``: escalated and resolved by a specialist;
- ``open``: escalated and still open;
- ``closed``: escalated and closed without resolution (withdrawn, auto-closed after no reply).

Times (first response, resolution) are business minutes on the desk's calendar
(:mod:`bot.sla.policy`). The first response is the first specialist reply relayed to the user, or the
resolution when that came first.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from difflib import SequenceMatcher

from bot.core.ports import UnitOfWork
from bot.core.records import OPEN_STATUSES, Ticket, TicketEvent, TicketStatus
from bot.sla.policy import SlaPolicy

OUTCOMES: tuple[str, ...] = (
    "self_service",
    "silent",
    "pending_feedback",
    "abandoned",
    "resolved",
    "open",
    "closed",
)
PERIOD_KINDS: tuple[str, ...] = ("day", "week", "month")
GAP_REASONS = frozenset({"no_match", "none_fit"})

Similarity = Callable[[str, str], float]


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


# ------------------------------------------------------------------------------- similarity
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_STOPWORDS_TEXT = """
    a an the is are was were be been am i my me we our you your it its this that these those to of in on at
    for with and or but not no do does did can could cannot can't cant will would should please pls help hi
    hello from by as so just still when what why how who which there here have has had get got any some
    saya aku sy gue gw kami kita anda kamu dia ini itu yang dan atau tapi tidak tdk gak ga nggak enggak bisa
    bs dapat mau ingin tolong mohon bantu bantuan di ke dari untuk utk pada dengan dgn ada sudah sdh udah
    belum blm lagi juga masih apa kenapa mengapa bagaimana gimana gmn cara kok ya yg nya dong sih deh kah
    pak bu mas mbak min halo hai selamat pagi siang sore malam terima kasih makasih
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def tokens(text: str) -> list[str]:
    """Lower-case content words of ``text`` (stop words and one-letter words dropped)."""
    return [w for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in STOPWORDS]


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and (long_.startswith(short) or long_.endswith(short)):  # printernya, berkedip
        return True
    return min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= 0.84  # typos


def token_similarity(a: str, b: str) -> float:
    """A soft Jaccard similarity of two questions' content words (0 to 1).

    Words count as the same when equal, when one extends the other (``printer``/``printernya``) or
    when they differ by a typo; pure Python, so it may live in the core.
    """
    ta, tb = list(dict.fromkeys(tokens(a))), list(dict.fromkeys(tokens(b)))
    if not ta or not tb:
        return 1.0 if a.strip().lower() == b.strip().lower() else 0.0
    unmatched = list(tb)
    matched = 0
    for word in ta:
        for i, other in enumerate(unmatched):
            if _same_word(word, other):
                matched += 1
                del unmatched[i]
                break
    return matched / (len(ta) + len(tb) - matched)


@dataclass(frozen=True)
class GapGroup:
    """Similar questions the bot could not answer: one FAQ gap, with how often it was asked."""

    example: str
    count: int
    questions: tuple[str, ...]
    tickets: tuple[int, ...]


def group_questions(
    items: Sequence[tuple[int, str]], similarity: Similarity = token_similarity, threshold: float = 0.34
) -> list[GapGroup]:
    """Group ``(ticket_id, question)`` pairs by similarity (average linkage, greedy, in order).

    Each group's example is the question most like the others; groups come largest first.
    """
    groups: list[list[tuple[int, str]]] = []
    for ticket_id, question in items:
        best, best_score = -1, 0.0
        for index, members in enumerate(groups):
            score = sum(similarity(question, q) for _, q in members) / len(members)
            if score > best_score:
                best, best_score = index, score
        if best >= 0 and best_score >= threshold:
            groups[best].append((ticket_id, question))
        else:
            groups.append([(ticket_id, question)])
    result = []
    for members in groups:
        questions = [q for _, q in members]
        if len(members) > 2:
            centre = max(
                range(len(members)), key=lambda i: (sum(similarity(questions[i], q) for q in questions), -i)
            )
        else:
            centre = 0
        result.append(
            GapGroup(questions[centre], len(members), tuple(questions), tuple(t for t, _ in members))
        )
    result.sort(key=lambda g: (-g.count, min(g.tickets)))
    return result


# ------------------------------------------------------------------------------- statistics
def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q`` quantile (0-1) with linear interpolation between closest ranks; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass(frozen=True)
class TimingStats:
    """Count, median and 90th percentile of a duration, in business minutes."""

    count: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values: Sequence[float]) -> TimingStats:
        """The statistics of ``values``."""
        return cls(len(values), percentile(values, 0.5), percentile(values, 0.9))


# ----------------------------------------------------------------------------------- results
@dataclass(frozen=True)
class TicketFacts:
    """One ticket as the report sees it (also one row of the CSV export)."""

    ticket: Ticket
    outcome: str
    reason: str | None
    reopened: bool
    first_response_at: datetime | None
    first_responder: str | None
    first_response_minutes: float | None
    resolution_minutes: float | None
    first_response_breached: bool
    resolution_breached: bool

    @property
    def sla_breached(self) -> bool:
        """Breached either target, or marked breached by the SLA job."""
        return self.first_response_breached or self.resolution_breached or self.ticket.sla_breached


@dataclass(frozen=True)
class FaqUsage:
    """How one FAQ entry (or one version of it) did: served, helpful, not helpful, silent."""

    entry_id: str
    version: int | None
    served: int = 0
    helpful: int = 0
    not_helpful: int = 0
    asked_human: int = 0
    silent: int = 0

    @property
    def helpful_ratio(self) -> float | None:
        """Helpful ("solved") among helpful and not helpful ("not solved"); None when neither was said."""
        said = self.helpful + self.not_helpful
        return self.helpful / said if said else None


@dataclass(frozen=True)
class SpecialistLoad:
    """One specialist's share: tickets claimed and resolved, and their median first response."""

    key: str
    name: str
    claimed: int
    resolved: int
    first_responses: int
    median_first_response: float | None


@dataclass(frozen=True)
class Satisfaction:
    """Ratings given (1-5)."""

    count: int = 0
    average: float | None = None
    distribution: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)


@dataclass(frozen=True)
class Report:
    """Every figure of one recap."""

    period: Period
    generated_at: datetime
    tickets: tuple[TicketFacts, ...]
    total: int
    by_channel: dict[str, int]
    by_category: dict[str, int]
    by_priority: dict[str, int]
    outcomes: dict[str, int]
    escalated: int
    reopened: int
    escalation_rate: float | None
    self_service_rate: float | None
    first_response: TimingStats
    resolution: TimingStats
    first_response_breaches: int
    resolution_breaches: int
    sla_breaches: int
    satisfaction: Satisfaction
    faq_entries: tuple[FaqUsage, ...]
    faq_versions: tuple[FaqUsage, ...]
    gaps: tuple[GapGroup, ...]
    workload: tuple[SpecialistLoad, ...]
    daily: tuple[tuple[date, dict[str, int]], ...]
    category_outcomes: dict[str, dict[str, int]] = field(default_factory=dict)
    open_now: int = 0
    reopen_days: int = 7


@dataclass(frozen=True)
class ReportOptions:
    """What the figures depend on besides the records."""

    policy: SlaPolicy = field(default_factory=SlaPolicy)
    feedback_window: timedelta = timedelta(minutes=60)
    reopen_days: int = 7
    similarity: Similarity = token_similarity
    gap_threshold: float = 0.34


@dataclass(frozen=True)
class ReportInput:
    """The records a report is computed from."""

    tickets: tuple[Ticket, ...]
    events: Mapping[int, Sequence[TicketEvent]]
    open_now: int = 0


# ----------------------------------------------------------------------------------- reading
def collect(uow: UnitOfWork, period: Period) -> ReportInput:
    """The tickets opened in ``period`` with their histories (two queries) and today's backlog."""
    tickets = tuple(uow.tickets.list_created_between(period.start, period.end))
    events = uow.tickets.events_for(t.id for t in tickets if t.id is not None)
    return ReportInput(tickets, events, len(uow.tickets.list_open()))


def build_report(uow: UnitOfWork, period: Period, now: datetime, options: ReportOptions) -> Report:
    """Read and compute the recap of ``period`` as of ``now``."""
    return compute(collect(uow, period), period, now, options)


# --------------------------------------------------------------------------------- computing
def _first(events: Iterable[TicketEvent], *kinds: str) -> TicketEvent | None:
    return next((e for e in events if e.kind in kinds), None)


def _has(events: Iterable[TicketEvent], kind: str) -> bool:
    return any(e.kind == kind for e in events)


def _escalation_reason(ticket: Ticket, events: Sequence[TicketEvent]) -> str | None:
    escalated = _first(events, "escalated")
    if escalated is not None and escalated.detail.get("reason"):
        return str(escalated.detail["reason"])
    reason = ticket.context.get("reason")
    return str(reason) if reason else None


def _outcome(ticket: Ticket, events: Sequence[TicketEvent], now: datetime, window: timedelta) -> str:
    status = str(ticket.status)
    if status == TicketStatus.SELF_SERVICE:
        return "self_service"
    if ticket.escalated:
        if status == TicketStatus.RESOLVED:
            return "resolved"
        if status in OPEN_STATUSES:
            return "open"
        return "closed"
    if _has(events, "not_solved") or _has(events, "asked_human"):
        return "abandoned"
    answered = _first(events, "answered")
    started = (answered.at if answered and answered.at else None) or ticket.created_at or now
    return "pending_feedback" if status == TicketStatus.ANSWERED and now - started < window else "silent"


def _reopened_within(events: Sequence[TicketEvent], days: int) -> bool:
    last_resolved: datetime | None = None
    for event in events:
        if event.kind == "resolved":
            last_resolved = event.at
        elif (
            event.kind == "reopened"
            and last_resolved is not None
            and event.at is not None
            and event.at - last_resolved <= timedelta(days=days)
        ):
            return True
    return False


def ticket_facts(
    ticket: Ticket, events: Sequence[TicketEvent], now: datetime, options: ReportOptions
) -> TicketFacts:
    """What the report needs to know about one ticket."""
    policy = options.policy
    calendar = policy.calendar
    outcome = _outcome(ticket, events, now, options.feedback_window)
    first_at: datetime | None = None
    responder: str | None = None
    for event in events:
        is_reply = event.kind == "relayed" and event.detail.get("direction") == "to_user"
        if (is_reply or event.kind == "resolved") and event.at is not None:
            first_at, responder = event.at, event.actor or None
            break
    if first_at is None and ticket.first_response_at is not None:
        first_at, responder = ticket.first_response_at, ticket.owner
    start = ticket.escalated_at if ticket.escalated else None
    fr_minutes = res_minutes = None
    fr_breached = res_breached = False
    if start is not None:
        if first_at is not None:
            fr_minutes = calendar.business_minutes_between(start, first_at)
        closed_at = ticket.closed_at if str(ticket.status) == TicketStatus.CLOSED else None
        fr_end = first_at or closed_at or now
        fr_breached = fr_end > policy.first_response_due(ticket.priority, start)
        if str(ticket.status) == TicketStatus.RESOLVED and ticket.resolved_at is not None:
            res_minutes = calendar.business_minutes_between(start, ticket.resolved_at)
            res_breached = ticket.resolved_at > policy.resolution_due(ticket.priority, start)
        elif ticket.is_open:
            res_breached = now > policy.resolution_due(ticket.priority, start)
    return TicketFacts(
        ticket=ticket,
        outcome=outcome,
        reason=_escalation_reason(ticket, events) if ticket.escalated else None,
        reopened=_reopened_within(events, options.reopen_days),
        first_response_at=first_at,
        first_responder=responder,
        first_response_minutes=fr_minutes,
        resolution_minutes=res_minutes,
        first_response_breached=fr_breached,
        resolution_breached=res_breached,
    )


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _counts(values: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))


def _faq_usage(
    facts: Sequence[TicketFacts], events: Mapping[int, Sequence[TicketEvent]]
) -> tuple[list[FaqUsage], list[FaqUsage]]:
    per_entry: dict[str, Counter[str]] = {}
    per_version: dict[tuple[str, int | None], Counter[str]] = {}
    for fact in facts:
        history = events.get(fact.ticket.id or 0, ())
        answered = _first(history, "answered")
        if answered is None:
            continue
        entry_id = str(answered.detail.get("entry") or fact.ticket.faq_entry_id or "?")
        raw_version = answered.detail.get("version", fact.ticket.faq_version)
        version = int(raw_version) if raw_version is not None else None
        if _has(history, "self_solved"):
            verdict = "helpful"
        elif _has(history, "not_solved"):
            verdict = "not_helpful"
        elif _has(history, "asked_human"):
            verdict = "asked_human"
        elif fact.outcome == "pending_feedback":
            verdict = "pending"
        else:
            verdict = "silent"
        for counter in (
            per_entry.setdefault(entry_id, Counter()),
            per_version.setdefault((entry_id, version), Counter()),
        ):
            counter["served"] += 1
            counter[verdict] += 1

    def usage(entry_id: str, version: int | None, c: Counter[str]) -> FaqUsage:
        return FaqUsage(
            entry_id, version, c["served"], c["helpful"], c["not_helpful"], c["asked_human"], c["silent"]
        )

    entries = [usage(e, None, c) for e, c in per_entry.items()]
    entries.sort(key=lambda u: (-u.served, u.entry_id))
    versions = [usage(e, v, c) for (e, v), c in per_version.items()]
    versions.sort(key=lambda u: (u.entry_id, u.version or 0))
    return entries, versions


def _workload(
    facts: Sequence[TicketFacts], events: Mapping[int, Sequence[TicketEvent]]
) -> list[SpecialistLoad]:
    names: dict[str, str] = {}
    claimed: dict[str, set[int]] = {}
    resolved: dict[str, set[int]] = {}
    responses: dict[str, list[float]] = {}
    for fact in facts:
        ticket = fact.ticket
        if ticket.owner and ticket.owner_name:
            names[ticket.owner] = ticket.owner_name
        for event in events.get(ticket.id or 0, ()):
            if event.kind == "claimed" and event.actor:
                claimed.setdefault(event.actor, set()).add(ticket.id or 0)
            elif event.kind == "resolved" and event.actor:
                resolved.setdefault(event.actor, set()).add(ticket.id or 0)
        if fact.first_responder and fact.first_response_minutes is not None:
            responses.setdefault(fact.first_responder, []).append(fact.first_response_minutes)
    keys = set(claimed) | set(resolved) | set(responses)
    loads = [
        SpecialistLoad(
            key=key,
            name=names.get(key) or key.split(":")[-1],
            claimed=len(claimed.get(key, ())),
            resolved=len(resolved.get(key, ())),
            first_responses=len(responses.get(key, ())),
            median_first_response=percentile(responses.get(key, []), 0.5),
        )
        for key in keys
    ]
    loads.sort(key=lambda s: (-s.resolved, -s.claimed, s.name))
    return loads


def _bucket_days(period: Period) -> list[date]:
    """Day buckets, or Monday-started week buckets for ranges longer than about two months."""
    days = period.days()
    if len(days) <= 62:
        return days
    first = days[0] - timedelta(days=days[0].weekday())
    return [first + timedelta(days=7 * i) for i in range((days[-1] - first).days // 7 + 1)]


def compute(data: ReportInput, period: Period, now: datetime, options: ReportOptions) -> Report:
    """Every figure of the recap of ``period`` from ``data``, as of ``now`` (pure)."""
    tz = period.start.tzinfo
    facts = [ticket_facts(t, data.events.get(t.id or 0, ()), now, options) for t in data.tickets]
    total = len(facts)
    outcomes = {name: 0 for name in OUTCOMES}
    for fact in facts:
        outcomes[fact.outcome] += 1
    escalated = sum(1 for f in facts if f.ticket.escalated)
    ratings = [f.ticket.rating for f in facts if f.ticket.rating is not None and 1 <= f.ticket.rating <= 5]
    distribution = tuple(ratings.count(score) for score in range(1, 6))
    satisfaction = Satisfaction(
        len(ratings),
        sum(ratings) / len(ratings) if ratings else None,
        (distribution[0], distribution[1], distribution[2], distribution[3], distribution[4]),
    )
    gap_items = [
        (f.ticket.id or 0, f.ticket.subject)
        for f in facts
        if f.ticket.escalated
        and not (f.reason or "").startswith("security")
        and (f.reason in GAP_REASONS or not f.ticket.faq_entry_id)
    ]
    entries, versions = _faq_usage(facts, data.events)
    buckets = _bucket_days(period)
    weekly = len(buckets) != len(period.days())
    daily: dict[date, dict[str, int]] = {day: {name: 0 for name in OUTCOMES} for day in buckets}
    for fact in facts:
        created = fact.ticket.created_at or now
        day = created.astimezone(tz).date()
        if weekly:
            day -= timedelta(days=day.weekday())
        if day in daily:
            daily[day][fact.outcome] += 1
    category_outcomes: dict[str, dict[str, int]] = {}
    for fact in facts:
        row = category_outcomes.setdefault(fact.ticket.category, {name: 0 for name in OUTCOMES})
        row[fact.outcome] += 1
    return Report(
        period=period,
        generated_at=now,
        tickets=tuple(facts),
        total=total,
        by_channel=_counts(f.ticket.requester_platform for f in facts),
        by_category=_counts(f.ticket.category for f in facts),
        by_priority=_counts(str(f.ticket.priority) for f in facts if f.ticket.escalated),
        outcomes=outcomes,
        escalated=escalated,
        reopened=sum(1 for f in facts if f.reopened),
        escalation_rate=_rate(escalated, total),
        self_service_rate=_rate(outcomes["self_service"], total),
        first_response=TimingStats.of(
            [f.first_response_minutes for f in facts if f.first_response_minutes is not None]
        ),
        resolution=TimingStats.of([f.resolution_minutes for f in facts if f.resolution_minutes is not None]),
        first_response_breaches=sum(1 for f in facts if f.first_response_breached),
        resolution_breaches=sum(1 for f in facts if f.resolution_breached),
        sla_breaches=sum(1 for f in facts if f.sla_breached),
        satisfaction=satisfaction,
        faq_entries=tuple(entries),
        faq_versions=tuple(versions),
        gaps=tuple(group_questions(gap_items, options.similarity, options.gap_threshold)),
        workload=tuple(_workload(facts, data.events)),
        daily=tuple(sorted(daily.items())),
        category_outcomes=dict(sorted(category_outcomes.items(), key=lambda kv: -sum(kv[1].values()))),
        open_now=data.open_now,
        reopen_days=options.reopen_days,
    )
