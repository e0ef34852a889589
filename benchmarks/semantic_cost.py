"""What the semantic matcher costs with 15,000 phrasings: per-message latency with the question's
embedding included, the time to pick up an edit, process memory, and the command line's start.

The knowledge base is CLINC150's training split (150 entries, 15,000 phrasings); phrasing vectors
come from the benchmark's embedding cache (as from the database in production), but every question
is encoded afresh, as a new question from a user would be. One model thread (the default).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.datasets import benchdata_dir, load_clinc150
from benchmarks.own_faq import embedding_cache
from knowledge_base.faq_file import load_bundled_out_of_scope
from knowledge_base.semantic import SemanticMatcher


@dataclass(frozen=True)
class Cost:
    """The figures of one run."""

    phrasings: int
    queries: int
    p50_ms: float
    p95_ms: float
    model_share: float
    model_ms: float
    edit_s: float
    rss_mb: float
    help_s: float


def peak_rss_mb() -> float:
    """This process's peak resident memory (``VmHWM``: unlike ``ru_maxrss``, not inherited from the
    process that started this one)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def help_start_seconds() -> float:
    """Wall time of ``helpdesk --help`` in a fresh interpreter (best of three)."""
    script = Path(sys.executable).with_name("helpdesk")
    command = [str(script), "--help"] if script.exists() else [sys.executable, "-m", "bot.cli.main", "--help"]
    times = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def run_cost(n_queries: int = 500) -> Cost:
    """Build, match ``n_queries`` fresh CLINC150 validation questions, edit one entry."""
    ds = load_clinc150(benchdata_dir())
    cache = embedding_cache("semantic")
    assert cache is not None
    # as the helpdesk runs by default: with the bundled out-of-scope questions
    matcher = SemanticMatcher(
        cache, ds.entries, default_lang="en", generic_out_of_scope=load_bundled_out_of_scope()
    )
    texts = [q for q, _ in ds.queries]
    random.Random(7).shuffle(texts)
    texts = texts[:n_queries]
    before = (cache.usage.queries, cache.usage.queries_encoded, cache.usage.query_seconds)
    times = []
    for text in texts:
        start = time.perf_counter()
        matcher.match(text)
        times.append(1000 * (time.perf_counter() - start))
    u = cache.usage
    n = u.queries - before[0]
    first = ds.entries[0]
    edited = replace(
        first, questions={"en": (*first.questions["en"], "a brand new way to ask this question")}
    )
    start = time.perf_counter()
    matcher.rebuild([edited, *ds.entries[1:]])
    edit_s = time.perf_counter() - start
    times.sort()
    return Cost(
        phrasings=matcher.size,
        queries=len(texts),
        p50_ms=statistics.median(times),
        p95_ms=times[int(0.95 * (len(times) - 1))],
        model_share=(u.queries_encoded - before[1]) / n if n else 0.0,
        model_ms=1000 * (u.query_seconds - before[2]) / n if n else 0.0,
        edit_s=edit_s,
        rss_mb=peak_rss_mb(),
        help_s=help_start_seconds(),
    )


def format_cost(c: Cost) -> str:
    """The figures as a Markdown table."""
    return "\n".join(
        [
            "| phrasings | questions | p50 ms | p95 ms | model needed % | model ms/msg | edit picked up s "
            "| peak RSS MB | `helpdesk --help` s |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {c.phrasings} | {c.queries} | {c.p50_ms:.1f} | {c.p95_ms:.1f} | {100 * c.model_share:.0f} "
            f"| {c.model_ms:.1f} | {c.edit_s:.2f} | {c.rss_mb:.0f} | {c.help_s:.2f} |",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.semantic_cost``: print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.semantic_cost", description=__doc__)
    parser.add_argument("--queries", type=int, default=500)
    args = parser.parse_args(argv)
    print(format_cost(run_cost(args.queries)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
