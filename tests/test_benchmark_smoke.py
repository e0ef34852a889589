"""The benchmark's quick path runs on a tiny subset (skipped without the public datasets), and
rewriting the results file keeps the sections other benchmarks wrote."""

from __future__ import annotations

import pytest

from benchmarks.datasets import benchdata_dir
from benchmarks.runner import format_rows, other_sections, run_dataset


@pytest.mark.skipif(not benchdata_dir().is_dir(), reason="benchmark data not available")
@pytest.mark.parametrize("name", ["clinc150", "xsid-id"])
def test_quick_benchmark(name: str) -> None:
    row = run_dataset(name, benchdata_dir(), quick=True)
    assert row.queries > 0
    assert 0.5 <= row.top1 <= row.top3 <= 1.0
    assert row.median_ms > 0
    table = format_rows([row])
    assert name in table and "top-1" in table


def test_rewriting_the_matcher_results_keeps_the_delivery_and_load_sections() -> None:
    old = (
        "# Matcher benchmark results\n\n| dataset |\n\n## Split-half check and answer confidences\n\nold\n"
        "\n## A customer's own FAQ, no labelled questions (held-out split)\n\nold own\n"
        "\n## Cost of the semantic matcher with 15,000 phrasings\n\nold cost\n"
        "\n## Delivery under outages and crashes (`make bench-delivery`)\n\n| lost |\n"
        "\n## Load: the 9:00 burst\n\n| msg/s |\n"
    )
    kept = other_sections(old)
    assert kept.startswith("## Delivery under outages")
    assert "| lost |" in kept and "## Load: the 9:00 burst" in kept and "| msg/s |" in kept
    assert "old" not in kept and "Matcher benchmark" not in kept
    assert other_sections("# Matcher benchmark results\n\n## Split-half check\n") == ""
