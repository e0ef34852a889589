"""The benchmark's quick path runs on a tiny subset (skipped without the public datasets)."""

from __future__ import annotations

import pytest

from benchmarks.datasets import benchdata_dir
from benchmarks.runner import format_rows, run_dataset

pytestmark = pytest.mark.skipif(not benchdata_dir().is_dir(), reason="benchmark data not available")


@pytest.mark.parametrize("name", ["clinc150", "xsid-id"])
def test_quick_benchmark(name: str) -> None:
    row = run_dataset(name, benchdata_dir(), quick=True)
    assert row.queries > 0
    assert 0.5 <= row.top1 <= row.top3 <= 1.0
    assert row.median_ms > 0
    table = format_rows([row])
    assert name in table and "top-1" in table
