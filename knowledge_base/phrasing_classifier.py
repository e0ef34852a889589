"""A linear classifier over the phrasing embeddings: which entry a question's vector belongs to.

The nearest phrasing and the entry centroid weigh every direction of the embedding alike. Fitted on
the FAQ's own phrasings (no labelled questions needed), a multinomial logistic regression learns
which directions tell this FAQ's entries apart, e.g. "camera" against "microphone" among the many
meeting questions. Its log probability joins the semantic score (see
:class:`knowledge_base.semantic.SemanticMatcher`).

The weights start at the entry centroids (the nearest-centroid rule is a linear classifier of the
same form), so a few L-BFGS iterations suffice; a refit after an edit starts from the previous
weights of the entries that stayed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

SCALE = 10.0
"""Logits are ``SCALE * w . x + b``: the cosines of unit vectors are too close to one another for a
softmax over them to separate anything unscaled."""


@dataclass(frozen=True, slots=True)
class ClassifierPlan:
    """How the classifier is fitted."""

    l2: float = 1e-4
    """Penalty on the squared distance of the weights from the centroids they start at."""
    iterations: int = 60
    refit_iterations: int = 8
    """Iterations when most entries' weights come from the previous fit."""


@dataclass(frozen=True, slots=True)
class PhrasingClassifier:
    """Fitted weights: one row (and one bias) per entry, in the matcher's entry order."""

    ids: tuple[str, ...]
    weights: np.ndarray
    bias: np.ndarray

    def log_proba(self, query: np.ndarray) -> np.ndarray:
        """The natural log probability of each entry for a unit query vector."""
        z = SCALE * (self.weights @ query.astype(np.float32)).astype(np.float64) + self.bias
        z -= z.max()
        return z - float(np.log(np.exp(z).sum()))


def fit_classifier(
    ids: Sequence[str],
    matrix: np.ndarray,
    rows: np.ndarray,
    centroids: np.ndarray,
    previous: PhrasingClassifier | None = None,
    plan: ClassifierPlan | None = None,
) -> PhrasingClassifier | None:
    """Fit on the phrasing vectors ``matrix`` (``rows``: each one's entry index into ``ids``).

    ``None`` with fewer than two entries that have phrasings (nothing to tell apart).
    """
    plan = plan or ClassifierPlan()
    n, dim = len(ids), int(matrix.shape[1]) if matrix.ndim == 2 else 0
    if n < 2 or matrix.shape[0] == 0 or len(np.unique(rows)) < 2:
        return None
    x = np.ascontiguousarray(matrix, dtype=np.float32)
    y = np.asarray(rows, dtype=np.int64)
    start_w = np.array(centroids, dtype=np.float32, copy=True)
    start_b = np.zeros(n, dtype=np.float32)
    kept = 0
    if previous is not None:
        before = {entry_id: i for i, entry_id in enumerate(previous.ids)}
        for i, entry_id in enumerate(ids):
            j = before.get(entry_id)
            if j is not None:
                start_w[i] = previous.weights[j]
                start_b[i] = previous.bias[j]
                kept += 1
    anchor = np.array(centroids, dtype=np.float32, copy=True)
    onehot_rows = np.arange(y.size)
    m = float(y.size)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: n * dim].reshape(n, dim).astype(np.float32)
        b = theta[n * dim :].astype(np.float32)
        z = SCALE * (x @ w.T) + b
        z -= z.max(axis=1, keepdims=True)
        ez = np.exp(z)
        total = ez.sum(axis=1, keepdims=True)
        p = ez / total
        nll = float((np.log(total[:, 0]) - z[onehot_rows, y]).sum()) / m
        p[onehot_rows, y] -= 1.0
        p /= m
        diff = w - anchor
        grad_w = SCALE * (p.T @ x) + plan.l2 * diff
        grad_b = p.sum(axis=0)
        value = nll + 0.5 * plan.l2 * float((diff * diff).sum())
        return value, np.concatenate([grad_w.ravel(), grad_b]).astype(np.float64)

    iterations = plan.refit_iterations if kept >= max(1, n - max(2, n // 10)) else plan.iterations
    theta0 = np.concatenate([start_w.ravel(), start_b]).astype(np.float64)
    found = minimize(loss, theta0, jac=True, method="L-BFGS-B", options={"maxiter": iterations})
    theta = found.x
    return PhrasingClassifier(
        tuple(ids),
        np.ascontiguousarray(theta[: n * dim].reshape(n, dim), dtype=np.float32),
        theta[n * dim :].astype(np.float64),
    )
