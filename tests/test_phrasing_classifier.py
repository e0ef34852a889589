"""The phrasing classifier: fitted on the phrasing vectors, it tells apart what the centroids blur."""

from __future__ import annotations

import numpy as np

from knowledge_base.phrasing_classifier import fit_classifier


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_the_classifier_learns_the_direction_that_separates_two_entries() -> None:
    """Two entries share a strong common direction and differ along a weak one; a question that
    leans the weak way belongs to that entry, and a refit keeps what it learned."""
    rng = np.random.default_rng(3)
    dim = 16
    common = np.zeros(dim)
    common[0] = 1.0
    a, b = np.zeros(dim), np.zeros(dim)
    a[1], b[1] = 0.15, -0.15
    noise = lambda n: rng.normal(0, 0.05, (n, dim))  # noqa: E731
    matrix = _unit(np.vstack([common + a + noise(6), common + b + noise(6)])).astype(np.float32)
    rows = np.array([0] * 6 + [1] * 6)
    centroids = _unit(np.vstack([matrix[:6].mean(0), matrix[6:].mean(0)])).astype(np.float32)
    fitted = fit_classifier(["a", "b"], matrix, rows, centroids)
    assert fitted is not None and fitted.ids == ("a", "b")
    query = _unit(common + 0.6 * a).astype(np.float32)
    logp = fitted.log_proba(query)
    assert np.isclose(np.exp(logp).sum(), 1.0)
    assert logp[0] > np.log(0.9)
    # the centroids alone are far less sure
    z = 10.0 * centroids @ query
    assert np.exp(z[0]) / np.exp(z).sum() < np.exp(logp[0])
    again = fit_classifier(["b", "a"], matrix[::-1], 1 - rows[::-1], centroids[::-1], previous=fitted)
    assert again is not None and again.ids == ("b", "a")
    assert int(np.argmax(again.log_proba(query))) == 1


def test_nothing_to_tell_apart_fits_nothing() -> None:
    matrix = np.ones((3, 4), dtype=np.float32) / 2
    assert fit_classifier(["a"], matrix, np.zeros(3, dtype=np.int64), matrix[:1]) is None
    assert fit_classifier(["a", "b"], matrix, np.zeros(3, dtype=np.int64), matrix[:2]) is None
