"""What a recap holds: the figures of one period (value types the renderings read), the options and
the input it is computed from."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.core.records import Ticket, TicketEvent
from bot.reports.gaps import GapGroup, Similarity, token_similarity
from bot.reports.periods import Period
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
