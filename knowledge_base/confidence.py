"""How sure the matcher is: the named decision features of a ranking and the fitted logistic confidence
over them (see :mod:`knowledge_base.calibration`)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from bot.core.types import Candidate

DECISION_FEATURES: tuple[str, ...] = (
    "score",
    "margin",
    "odds",
    "fuzzy",
    "cover",
    "semantic",
    "oos_lead",
    "vote",
)
"""Named features of a ranking that a fitted confidence may weigh (see :func:`decision_features`)."""

OUT_OF_SCOPE = "out_of_scope"
"""The component of a best candidate that holds the score of the closest known out-of-scope
question (when the matcher has such examples, see :class:`knowledge_base.semantic.SemanticMatcher`)."""

ODDS_LIMIT = 30.0
"""``odds`` (log10) is clipped to +-this."""


def decision_features(candidates: Sequence[Candidate]) -> dict[str, float]:
    """The decision features of a ranking (best first), all on the scale ``--explain`` shows.

    ``score``: the best score; ``margin``: its lead over the runner-up; ``odds``, ``fuzzy``,
    ``cover`` and ``semantic``: those components of the best candidate (0 when a ranking lacks them);
    ``oos_lead``: the best score's lead over the closest known out-of-scope question (0 without
    such examples).
    """
    if not candidates:
        return dict.fromkeys(DECISION_FEATURES, 0.0)
    best = candidates[0]
    parts = dict(best.components)
    runner = candidates[1].score if len(candidates) > 1 else 0.0
    return {
        "score": best.score,
        "margin": best.score - runner,
        "odds": float(parts.get("odds", 0.0)),
        "fuzzy": float(parts.get("fuzzy", 0.0)),
        "cover": float(parts.get("cover", 0.0)),
        "semantic": float(parts.get("semantic", 0.0)),
        "oos_lead": best.score - float(parts[OUT_OF_SCOPE]) if OUT_OF_SCOPE in parts else 0.0,
        "vote": float(parts.get("vote", 0.0)),
    }


def ruled_out(candidates: Sequence[Candidate]) -> bool:
    """Whether a known out-of-scope question scores at least as high as the best candidate (the
    question is then escalated, whatever the thresholds)."""
    if not candidates:
        return False
    parts = dict(candidates[0].components)
    return OUT_OF_SCOPE in parts and float(parts[OUT_OF_SCOPE]) >= candidates[0].score


def confidence(features: Mapping[str, float], weights: Mapping[str, float]) -> float:
    """``100 * sigmoid(bias + sum(weight * feature))`` over the named ``weights`` (0-100)."""
    z = float(weights.get("bias", 0.0))
    for name, w in weights.items():
        if name != "bias":
            z += float(w) * float(features.get(name, 0.0))
    z = max(-60.0, min(60.0, z))
    return 100.0 / (1.0 + math.exp(-z))
