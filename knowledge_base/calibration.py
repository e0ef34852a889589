"""Choose decision thresholds from labelled questions, and report how the matcher does on them.

Each labelled item is ``(text, expect)`` where ``expect`` is the id of the entry that should answer
it, or ``"escalate"`` when no entry should (out of scope).

Outcomes, per item, under a set of thresholds:

- **wrong answer**: the decision is ``answer`` and the entry is not the expected one, or the item
  is out of scope and was answered at all;
- **correct answer**: ``answer`` with the expected entry;
- **needless hold-up**: an in-scope item whose expected entry was ranked first, but the decision
  was ``clarify`` (costs 0.5: the user needs one more tap) or ``escalate`` (costs 1: a person has
  to handle a question the bot had right);
- **missed clarification**: an in-scope item escalated although its entry was among the three
  best candidates (costs 0.5: a choice list would probably have solved it);
- **leaked out-of-scope**: an out-of-scope item that was offered choices instead of escalated
  (costs 1).

Objective: among thresholds whose wrong-answer rate (wrong answers / all answers) is at most
``max_wrong_rate``, minimise the summed cost above; ties go to fewer wrong answers, then to more
correct answers. When no thresholds meet the constraint, the ones with the lowest wrong-answer
rate win. The search is a grid over the observed values (answer, clarify) and a fixed list of
margins, evaluated with the same rule as :meth:`FaqMatcher.decide`.

Two forms of the answer rule are searched and the better one (by the objective) is kept:

1. *score*: answer when the best score reaches ``answer`` (the original rule);
2. *confidence*: answer when a confidence reaches ``answer``. The confidence is a logistic
   regression, fitted on the labelled items, of "the best candidate is the right answer" on a few
   named features of the ranking (:data:`CONFIDENCE_FEATURES`: best score, lead over the
   runner-up, naive Bayes log10 odds, fuzzy ratio). Features whose fitted weight comes out negative
   are dropped and the rest refitted, so every weight reads "more of this, more confident". The
   weights are stored in :attr:`MatchThresholds.weights` and printed by :meth:`Calibration.format_table`.

In both forms ``margin`` and ``clarify`` compare the scores, and whether to escalate rests on the
score alone. The confidence form also searches an answer floor (:attr:`MatchThresholds.floor`)
apart from ``clarify``: without it, answering confident low-scored questions meant lowering the
clarify threshold, and out-of-scope questions near it were then offered choices instead of being
escalated. Each wrong answer also costs :data:`WRONG_ANSWER_COST` in the objective. The naive Bayes
odds keep their resolution where the blended score saturates, which is what lets a knowledge base
with many near-duplicate "related but not covered" questions (BANKING77-OOS) answer its clear
cases instead of offering choices for almost everything.

A matcher given known out-of-scope questions (:class:`knowledge_base.semantic.SemanticMatcher`'s
``out_of_scope``) marks a ranking whose closest out-of-scope question scores at least as high as
its best entry: such a question is escalated under any thresholds, and the confidence may weigh
the best entry's lead over that question (``oos_lead``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from bot.core.types import Candidate, MatchThresholds
from knowledge_base.confidence import decision_features, ruled_out

ESCALATE = "escalate"

MARGINS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 40.0)

CONFIDENCE_FEATURES: tuple[str, ...] = ("score", "margin", "odds", "fuzzy", "semantic", "oos_lead", "vote")
"""Decision features a fitted confidence may weigh (see :func:`knowledge_base.matcher.decision_features`)."""

MIN_CLASS_ITEMS = 8
"""A confidence is fitted only with at least this many right and this many not-right items."""

GRID_SIZE = 60

WRONG_ANSWER_COST = 1.0
"""What each wrong answer adds to the objective, beyond being capped by ``max_wrong_rate``. At 0,
the cap is a budget the search spends in full: with a confident ranking it answers every
out-of-scope question the cap allows (CLINC150 validation: out-of-scope recall 0.31). At 1, a
wrong answer weighs as much as a needless escalation (recall 0.76 with 92 % answered)."""


def format_confidence(weights: Mapping[str, float]) -> str:
    """The confidence formula as text, e.g. ``100*sigmoid(-2.1 + 0.08*margin + 0.59*odds)``."""
    terms = [f"{float(weights.get('bias', 0.0)):.3g}"]
    terms.extend(f"{float(w):.3g}*{name}" for name, w in weights.items() if name != "bias")
    return "100*sigmoid(" + " + ".join(terms).replace("+ -", "- ") + ")"


@dataclass(frozen=True, slots=True)
class Calibration:
    """Chosen thresholds and how the matcher does with them on the labelled set.

    Rates are fractions (0-1). ``answered_correct_rate``: in-scope items answered with the right
    entry / in-scope items. ``wrong_answer_rate``: wrong answers / answers. ``clarify_rate`` and
    ``escalation_rate``: over all items. OOS figures treat ``escalate`` as the out-of-scope
    prediction. ``top1`` / ``top3``: in-scope items whose entry is ranked first / in the top three.
    ``answer_rate``: answers / all items.
    """

    thresholds: MatchThresholds
    n: int
    n_in_scope: int
    n_out_of_scope: int
    answered_correct_rate: float
    wrong_answer_rate: float
    clarify_rate: float
    escalation_rate: float
    oos_recall: float
    oos_precision: float
    oos_f1: float
    top1: float
    top3: float
    max_wrong_rate: float = 0.05
    answer_rate: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (thresholds nested), e.g. for JSON output."""
        return {
            "thresholds": {
                "answer": self.thresholds.answer,
                "margin": self.thresholds.margin,
                "clarify": self.thresholds.clarify,
                "weights": dict(self.thresholds.weights),
                "floor": self.thresholds.floor,
            },
            "n": self.n,
            "n_in_scope": self.n_in_scope,
            "n_out_of_scope": self.n_out_of_scope,
            "answered_correct_rate": self.answered_correct_rate,
            "wrong_answer_rate": self.wrong_answer_rate,
            "answer_rate": self.answer_rate,
            "clarify_rate": self.clarify_rate,
            "escalation_rate": self.escalation_rate,
            "oos_recall": self.oos_recall,
            "oos_precision": self.oos_precision,
            "oos_f1": self.oos_f1,
            "top1": self.top1,
            "top3": self.top3,
            "max_wrong_rate": self.max_wrong_rate,
        }

    def format_table(self) -> str:
        """A two-column plain-text table of the thresholds and figures."""
        t = self.thresholds
        if t.weights:
            rule = [
                (
                    "thresholds (confidence / margin / clarify)",
                    f"{t.answer:.1f} / {t.margin:.1f} / {t.clarify:.1f}",
                ),
                ("answer confidence", format_confidence(t.weights)),
                ("answer floor (best score)", f"{t.answer_floor:.1f}"),
            ]
        else:
            rule = [
                (
                    "thresholds (answer / margin / clarify)",
                    f"{t.answer:.1f} / {t.margin:.1f} / {t.clarify:.1f}",
                )
            ]
        rows = [
            *rule,
            ("questions (in scope / out of scope)", f"{self.n} ({self.n_in_scope} / {self.n_out_of_scope})"),
            ("top-1 / top-3 (in scope)", f"{self.top1:.1%} / {self.top3:.1%}"),
            ("answered correctly (in scope)", f"{self.answered_correct_rate:.1%}"),
            (
                "wrong answers (of answers)",
                f"{self.wrong_answer_rate:.1%} (target <= {self.max_wrong_rate:.0%})",
            ),
            (
                "answer / clarify / escalate (of all)",
                f"{self.answer_rate:.1%} / {self.clarify_rate:.1%} / {self.escalation_rate:.1%}",
            ),
            (
                "out-of-scope recall / precision / F1",
                f"{self.oos_recall:.1%} / {self.oos_precision:.1%} / {self.oos_f1:.3f}",
            ),
        ]
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


@dataclass(frozen=True, slots=True)
class RankedItems:
    """Precomputed ranking of every labelled item: decision features, and where the expected entry
    placed. ``features`` has one column per :data:`CONFIDENCE_FEATURES` name; ``ruled_out``: a
    known out-of-scope question scored at least as high as the best candidate (always escalated)."""

    s1: np.ndarray
    s2: np.ndarray
    features: np.ndarray
    in_scope: np.ndarray
    top1: np.ndarray
    top3: np.ndarray
    ruled_out: np.ndarray

    def subset(self, index: np.ndarray) -> RankedItems:
        """The same for the items at ``index``."""
        return RankedItems(
            self.s1[index],
            self.s2[index],
            self.features[index],
            self.in_scope[index],
            self.top1[index],
            self.top3[index],
            self.ruled_out[index],
        )


_Ranked = RankedItems
"""Former private name, kept for callers of ``calibrate``/``evaluate``'s ``_ranked``."""


class Ranker(Protocol):
    """What calibration needs of a matcher (the lexical and the semantic one both fit)."""

    @property
    def thresholds(self) -> MatchThresholds: ...

    def set_thresholds(self, thresholds: MatchThresholds) -> None: ...

    def rank(self, text: str, lang: str | None = None, k: int = 5) -> list[Candidate]: ...


def rank_labelled(matcher: Ranker, labelled: Sequence[tuple[str, str]]) -> RankedItems:
    """Rank every labelled item once (reuse the result with ``calibrate``/``evaluate``'s ``_ranked``)."""
    return ranked_from([matcher.rank(text, k=5) for text, _ in labelled], [e for _, e in labelled])


def ranked_from(ranked: Sequence[Sequence[Candidate]], expected: Sequence[str]) -> RankedItems:
    def score(cands: Sequence[Candidate], i: int) -> float:
        return cands[i].score if len(cands) > i else 0.0

    feats = [decision_features(c) for c in ranked]
    return RankedItems(
        s1=np.array([score(c, 0) for c in ranked], dtype=np.float64),
        s2=np.array([score(c, 1) for c in ranked], dtype=np.float64),
        features=np.array(
            [[f[name] for name in CONFIDENCE_FEATURES] for f in feats], dtype=np.float64
        ).reshape(len(ranked), len(CONFIDENCE_FEATURES)),
        in_scope=np.array([e != ESCALATE for e in expected], dtype=bool),
        top1=np.array([bool(c) and c[0].entry_id == e for c, e in zip(ranked, expected, strict=True)]),
        top3=np.array([any(x.entry_id == e for x in c[:3]) for c, e in zip(ranked, expected, strict=True)]),
        ruled_out=np.array([ruled_out(c) for c in ranked], dtype=bool),
    )


def _confidence(r: RankedItems, weights: Mapping[str, float]) -> np.ndarray:
    """The confidence of every item under ``weights`` (same formula as the matcher's)."""
    z = np.full(r.s1.shape, float(weights.get("bias", 0.0)))
    for j, name in enumerate(CONFIDENCE_FEATURES):
        if name in weights:
            z += float(weights[name]) * r.features[:, j]
    return 100.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


def _answer_values(r: RankedItems, t: MatchThresholds) -> np.ndarray:
    return _confidence(r, t.weights) if t.weights else r.s1


def _outcomes(r: RankedItems, t: MatchThresholds) -> dict[str, np.ndarray]:
    """Decisions for every item, with the same rule as ``FaqMatcher.decide``."""
    has = (r.s1 > 0) & ~r.ruled_out
    ans = has & (_answer_values(r, t) >= t.answer) & (r.s1 - r.s2 >= t.margin)
    if t.weights:
        ans &= r.s1 >= t.answer_floor
    cla = has & ~ans & (r.s1 >= t.clarify)
    esc = ~ans & ~cla
    return {"answer": ans, "clarify": cla, "escalate": esc}


def _figures(r: RankedItems, d: dict[str, np.ndarray]) -> dict[str, float]:
    ans, esc = d["answer"], d["escalate"]
    ins, oos = r.in_scope, ~r.in_scope
    correct = int((ans & ins & r.top1).sum())
    wrong = int((ans & ~(ins & r.top1)).sum())
    answered = int(ans.sum())
    return {
        "correct": correct,
        "wrong": wrong,
        "wrong_rate": wrong / answered if answered else 0.0,
        "tp": float((esc & oos).sum()),
        "fp": float((esc & ins).sum()),
        "fn": float((~esc & oos).sum()),
    }


def _costs(r: RankedItems) -> tuple[np.ndarray, np.ndarray]:
    """Per-item cost if offered choices, and if escalated (an answer costs nothing but is capped)."""
    ins, t1, t3 = r.in_scope, r.top1, r.top3
    clarify_cost = np.where(ins & t1, 0.5, 0.0) + np.where(~ins, 1.0, 0.0)
    escalate_cost = np.where(ins & t1, 1.0, 0.0) + np.where(ins & ~t1 & t3, 0.5, 0.0)
    return clarify_cost, escalate_cost


def _grid(values: np.ndarray, size: int = GRID_SIZE) -> np.ndarray:
    if values.size == 0:
        return np.array([0.0])
    qs = np.unique(np.round(np.quantile(values, np.linspace(0.0, 1.0, size)), 2))
    return np.concatenate([[0.0], qs, [100.01]])


def _answered(
    values: np.ndarray, good: np.ndarray, answers: np.ndarray, max_wrong_rate: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """For items sorted by ``values`` (descending) and each answer threshold: how many are
    answered (``k``, the items with value >= threshold), right, wrong, the wrong rate, and whether
    that rate breaks the cap (1.0) or not (0.0)."""
    cum_good = np.concatenate([[0], np.cumsum(good)])
    k = np.searchsorted(-values, -answers, side="right")
    answered = k.astype(np.float64)
    correct = cum_good[k].astype(np.float64)
    wrong = answered - correct
    rate = np.divide(wrong, answered, out=np.zeros_like(wrong), where=answered > 0)
    return k, correct, wrong, rate, (rate > max_wrong_rate).astype(np.float64)


def _search(
    r: RankedItems, weights: dict[str, float], max_wrong_rate: float
) -> tuple[tuple[float, ...], MatchThresholds]:
    """Best thresholds for one answer rule (``weights`` empty: the score), with the objective's key.

    For each (clarify, margin) pair the items that may be answered are fixed; sorted by the value
    the answer threshold compares, every answer threshold answers a prefix of them, so all answer
    thresholds are scored at once from cumulative sums. With the score rule the answer threshold
    is never below the clarify threshold (the original search's rule).
    """
    values = _confidence(r, weights) if weights else r.s1
    has = (r.s1 > 0) & ~r.ruled_out
    lead = r.s1 - r.s2
    good = r.in_scope & r.top1
    clarify_cost, escalate_cost = _costs(r)
    answers = _grid(values)
    best_key: tuple[float, ...] | None = None
    best = MatchThresholds(weights=dict(weights))
    for c in _grid(r.s1):
        eligible = has & (r.s1 >= c)
        escalated = float(escalate_cost[~eligible].sum())
        for m in MARGINS:
            may = eligible & (lead >= m)
            fixed = escalated + float(clarify_cost[eligible & ~may].sum())
            order = np.argsort(-values[may], kind="stable")
            v = values[may][order]
            cum_cost = np.concatenate([[0.0], np.cumsum(clarify_cost[may][order])])
            k, correct, wrong, rate, infeasible = _answered(v, good[may][order], answers, max_wrong_rate)
            cost = np.round(fixed + cum_cost[-1] - cum_cost[k] + WRONG_ANSWER_COST * wrong, 6)
            # score rule: never answer below the clarify threshold (ordered last, then skipped)
            barred = (answers < c).astype(np.float64) if not weights else np.zeros_like(cost)
            i = int(np.lexsort((-correct, wrong, cost, infeasible * rate, infeasible, barred))[0])
            if barred[i]:
                continue
            key = (
                float(infeasible[i]),
                float(infeasible[i] * rate[i]),
                float(cost[i]),
                wrong[i],
                -correct[i],
            )
            if best_key is None or key < best_key:
                best_key = key
                best = MatchThresholds(
                    answer=float(answers[i]), margin=float(m), clarify=float(c), weights=dict(weights)
                )
    assert best_key is not None
    return best_key, best


def _search_with_floor(
    r: RankedItems, weights: dict[str, float], max_wrong_rate: float
) -> tuple[tuple[float, ...], MatchThresholds]:
    """Best thresholds for a confidence rule, its answer floor searched apart from ``clarify``.

    For each (floor, margin) pair the items that may be answered are fixed and, sorted by
    confidence, every answer threshold answers a prefix of them. What an unanswered item costs
    depends only on the clarify threshold (offered choices at or above it, escalated below), so
    one cumulative sum per clarify threshold scores every (clarify, answer) pair at once.
    """
    values = _confidence(r, weights)
    has = (r.s1 > 0) & ~r.ruled_out
    lead = r.s1 - r.s2
    good = r.in_scope & r.top1
    clarify_cost, escalate_cost = _costs(r)
    answers = _grid(values)
    levels = _grid(r.s1)
    offered = has[None, :] & (r.s1[None, :] >= levels[:, None])
    unanswered = np.where(offered, clarify_cost[None, :], escalate_cost[None, :])
    base = unanswered.sum(axis=1)
    best_key: tuple[float, ...] | None = None
    best = MatchThresholds(weights=dict(weights))
    for f in levels:
        for m in MARGINS:
            may = np.flatnonzero(has & (r.s1 >= f) & (lead >= m))
            order = may[np.argsort(-values[may], kind="stable")]
            v = values[order]
            zero = np.zeros((levels.size, 1))
            saved = np.concatenate([zero, np.cumsum(unanswered[:, order], axis=1)], axis=1)
            k, correct, wrong, rate, infeasible = _answered(v, good[order], answers, max_wrong_rate)
            cost = np.round(base[:, None] - saved[:, k] + WRONG_ANSWER_COST * wrong, 6)
            shape = cost.shape
            # ties: a floor at the clarify threshold (the plain rule) before one apart from it
            apart = np.broadcast_to(np.abs(levels - f)[:, None], shape)
            flat = np.lexsort(
                (
                    apart.ravel(),
                    np.broadcast_to(-correct, shape).ravel(),
                    np.broadcast_to(wrong, shape).ravel(),
                    cost.ravel(),
                    np.broadcast_to(infeasible * rate, shape).ravel(),
                    np.broadcast_to(infeasible, shape).ravel(),
                )
            )[0]
            ci, ai = np.unravel_index(flat, shape)
            key = (
                float(infeasible[ai]),
                float(infeasible[ai] * rate[ai]),
                float(cost[ci, ai]),
                float(wrong[ai]),
                -float(correct[ai]),
                float(apart[ci, ai]),
            )
            if best_key is None or key < best_key:
                best_key = key
                c = float(levels[ci])
                best = MatchThresholds(
                    answer=float(answers[ai]),
                    margin=float(m),
                    clarify=c,
                    weights=dict(weights),
                    floor=None if float(f) == c else float(f),
                )
    assert best_key is not None
    return best_key[:5], best


def fit_confidence(r: RankedItems, l2: float = 1.0) -> dict[str, float]:
    """Logistic regression of "the best candidate is the right answer" on the decision features.

    Fitted by Newton's method on standardised features with an L2 penalty ``l2`` (the intercept is
    not penalised) and returned in the features' own units: ``{"bias": b, name: weight, ...}``.
    A feature whose weight comes out negative is dropped and the rest refitted. Empty when there are
    fewer than :data:`MIN_CLASS_ITEMS` right or not-right items.
    """
    r = r.subset(np.flatnonzero(~r.ruled_out))  # escalated whatever the confidence says
    y = (r.in_scope & r.top1 & (r.s1 > 0)).astype(np.float64)
    positives = int(y.sum())
    if positives < MIN_CLASS_ITEMS or y.size - positives < MIN_CLASS_ITEMS:
        return {}
    spread = r.features.std(axis=0) if r.features.size else np.zeros(len(CONFIDENCE_FEATURES))
    names = [n for j, n in enumerate(CONFIDENCE_FEATURES) if spread[j] > 0]  # constant: no signal
    while names:
        cols = [CONFIDENCE_FEATURES.index(n) for n in names]
        x = r.features[:, cols]
        mu = x.mean(axis=0)
        sd = x.std(axis=0)
        sd[sd == 0] = 1.0
        z = np.hstack([(x - mu) / sd, np.ones((x.shape[0], 1))])
        w = np.zeros(z.shape[1])
        penalty = l2 * np.eye(w.size)
        penalty[-1, -1] = 0.0
        for _ in range(50):
            p = 1.0 / (1.0 + np.exp(-np.clip(z @ w, -30.0, 30.0)))
            grad = z.T @ (p - y) + penalty @ w
            hess = (z * (p * (1.0 - p))[:, None]).T @ z + penalty + 1e-9 * np.eye(w.size)
            step = np.linalg.solve(hess, grad)
            w -= step
            if float(np.abs(step).max()) < 1e-9:
                break
        raw = w[:-1] / sd
        if (raw < 0).any():
            names.pop(int(np.argmin(raw)))
            continue
        bias = float(w[-1] - (w[:-1] * mu / sd).sum())
        out = {"bias": round(bias, 4)}
        out.update({n: round(float(v), 4) for n, v in zip(names, raw, strict=True)})
        return out
    return {}


def calibrate(
    matcher: Ranker,
    labelled: Sequence[tuple[str, str]],
    max_wrong_rate: float = 0.05,
    apply: bool = False,
    _ranked: RankedItems | None = None,
) -> Calibration:
    """Search thresholds for ``matcher`` on ``labelled`` items (see the module doc for the objective).

    ``max_wrong_rate`` caps wrong answers as a share of all answers. With ``apply`` the chosen
    thresholds are also set on the matcher.
    """
    if not labelled:
        raise ValueError("calibration needs at least one labelled question")
    r = _ranked if _ranked is not None else rank_labelled(matcher, labelled)
    best_key, best = _search(r, {}, max_wrong_rate)
    weights = fit_confidence(r)
    if weights:
        key, found = _search_with_floor(r, weights, max_wrong_rate)
        if key < best_key:
            best_key, best = key, found
    if apply:
        matcher.set_thresholds(best)
    return evaluate(matcher, labelled, best, max_wrong_rate=max_wrong_rate, _ranked=r)


def evaluate(
    matcher: Ranker,
    labelled: Sequence[tuple[str, str]],
    thresholds: MatchThresholds | None = None,
    max_wrong_rate: float = 0.05,
    _ranked: RankedItems | None = None,
) -> Calibration:
    """Figures for ``matcher`` on ``labelled`` items with ``thresholds`` (default: the matcher's own)."""
    t = thresholds or matcher.thresholds
    r = _ranked if _ranked is not None else rank_labelled(matcher, labelled)
    d = _outcomes(r, t)
    f = _figures(r, d)
    n = int(r.s1.size)
    n_in = int(r.in_scope.sum())
    n_out = n - n_in
    answered = int(d["answer"].sum())
    tp, fp, fn = f["tp"], f["fp"], f["fn"]
    recall = tp / (tp + fn) if tp + fn else 0.0
    precision = tp / (tp + fp) if tp + fp else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Calibration(
        thresholds=t,
        n=n,
        n_in_scope=n_in,
        n_out_of_scope=n_out,
        answered_correct_rate=f["correct"] / n_in if n_in else 0.0,
        wrong_answer_rate=f["wrong"] / answered if answered else 0.0,
        clarify_rate=float(d["clarify"].mean()) if n else 0.0,
        escalation_rate=float(d["escalate"].mean()) if n else 0.0,
        oos_recall=recall,
        oos_precision=precision,
        oos_f1=f1,
        top1=float(r.top1[r.in_scope].mean()) if n_in else 0.0,
        top3=float(r.top3[r.in_scope].mean()) if n_in else 0.0,
        max_wrong_rate=max_wrong_rate,
        answer_rate=answered / n if n else 0.0,
    )
