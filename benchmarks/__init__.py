"""Accuracy, out-of-scope and speed benchmarks of the FAQ matcher on public intent datasets.

Run ``python -m benchmarks`` (``--quick`` for a smoke test, ``--dataset NAME`` for one dataset).
"""
