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

Times (first response, resolution) are business minutes on the calendar of the ticket's priority
(urgent runs round the clock by default), the clock paused while the ticket waited on the user
(:mod:`bot.sla.policy`). The first response is the first specialist reply relayed to the user, or the
resolution when that came first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from bot.core.ports import UnitOfWork
from bot.core.records import OPEN_STATUSES, Ticket, TicketEvent, TicketStatus
from bot.reports.gaps import group_questions
from bot.reports.model import (
    OUTCOMES,
    FaqUsage,
    Report,
    ReportInput,
    ReportOptions,
    Satisfaction,
    SpecialistLoad,
    TicketFacts,
    TimingStats,
    percentile,
)
from bot.reports.periods import Period
from bot.sla.policy import parse_pauses

GAP_REASONS = frozenset({"no_match", "none_fit"})


# ------------------------------------------------------------------------------- statistics
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
    pauses = parse_pauses(ticket.context.get("sla_pauses"))
    prio = ticket.priority
    fr_minutes = res_minutes = None
    fr_breached = res_breached = False
    if start is not None:
        if first_at is not None:
            fr_minutes = policy.elapsed(prio, start, first_at, pauses)
        closed_at = ticket.closed_at if str(ticket.status) == TicketStatus.CLOSED else None
        fr_end = first_at or closed_at or now
        fr_breached = fr_end > policy.first_response_due(prio, start, pauses, fr_end)
        if str(ticket.status) == TicketStatus.RESOLVED and ticket.resolved_at is not None:
            res_minutes = policy.elapsed(prio, start, ticket.resolved_at, pauses)
            res_breached = ticket.resolved_at > policy.resolution_due(prio, start, pauses, ticket.resolved_at)
        elif ticket.is_open:
            res_breached = now > policy.resolution_due(prio, start, pauses, now)
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
