"""Prometheus metrics of one helpdesk process, or of all workers of ``helpdesk run --workers N``.

With several workers the supervisor sets ``PROMETHEUS_MULTIPROC_DIR`` before they start: every
worker writes its counters and histograms there and any worker's ``/metrics`` reports the sum
(the client library's multiprocess mode). The outbox figures are read from the database at each
scrape, so they are the same whichever worker answers.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.core.ports import UnitOfWorkFactory

LATENCY_BUCKETS = (
    0.001,
    0.002,
    0.003,
    0.004,
    0.005,
    0.0075,
    0.01,
    0.015,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
)

EVENTS = Counter("helpdesk_events", "Platform events handled", ["platform", "kind"])
TURN_SECONDS = Histogram(
    "helpdesk_turn_seconds",
    "Time to handle one event, from arrival to its replies queued",
    ["platform"],
    buckets=LATENCY_BUCKETS,
)
MATCHER_SECONDS = Histogram(
    "helpdesk_matcher_seconds", "Time to match one question against the FAQ", buckets=LATENCY_BUCKETS
)


def observe_turn(platform: str, kind: str, seconds: float) -> None:
    """Count one handled event and its latency."""
    EVENTS.labels(platform, kind).inc()
    TURN_SECONDS.labels(platform).observe(seconds)


def observe_match(seconds: float) -> None:
    """Record one FAQ match's latency."""
    MATCHER_SECONDS.observe(seconds)


class OutboxCollector(Collector):
    """``helpdesk_outbox_pending`` and ``helpdesk_outbox_failed``, counted in the database."""

    def __init__(self, uow_factory: UnitOfWorkFactory):
        self.uow_factory = uow_factory

    def collect(self) -> Iterator[Metric]:
        with self.uow_factory() as uow:
            counts = uow.outbox.status_counts()
        for status in ("pending", "failed"):
            gauge = GaugeMetricFamily(
                f"helpdesk_outbox_{status}", f"Outbox messages {status}, by platform", labels=["platform"]
            )
            for platform, n in sorted(counts.get(status, {}).items()):
                gauge.add_metric([platform], n)
            yield gauge


class MetricsPage:
    """Renders ``/metrics`` for this process (or every worker, in multiprocess mode)."""

    def __init__(self, uow_factory: UnitOfWorkFactory):
        self.registry = CollectorRegistry()
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            multiprocess.MultiProcessCollector(self.registry)  # type: ignore[no-untyped-call]
        else:
            for metric in (EVENTS, TURN_SECONDS, MATCHER_SECONDS):
                self.registry.register(metric)
        self.registry.register(OutboxCollector(uow_factory))

    def render(self) -> tuple[bytes, str]:
        """The page body and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST
