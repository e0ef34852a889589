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
rate win. The search is a grid over the observed best scores (answer, clarify) and a fixed list
of margins, evaluated with the same rule as :meth:`FaqMatcher.decide`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from bot.types import Candidate, MatchThresholds
from knowledge_base.matcher import FaqMatcher

ESCALATE = "escalate"
MARGINS: tuple[float, ...] = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 25.0, 30.0, 40.0)


class LabelledFileError(ValueError):
    """A labelled-questions file that cannot be read; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Calibration:
    """Chosen thresholds and how the matcher does with them on the labelled set.

    Rates are fractions (0-1). ``answered_correct_rate``: in-scope items answered with the right
    entry / in-scope items. ``wrong_answer_rate``: wrong answers / answers. ``clarify_rate`` and
    ``escalation_rate``: over all items. OOS figures treat ``escalate`` as the out-of-scope
    prediction. ``top1`` / ``top3``: in-scope items whose entry is ranked first / in the top three.
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

    def as_dict(self) -> dict[str, Any]:
        """Plain dictionary (thresholds nested), e.g. for JSON output."""
        return {
            "thresholds": {
                "answer": self.thresholds.answer,
                "margin": self.thresholds.margin,
                "clarify": self.thresholds.clarify,
            },
            "n": self.n,
            "n_in_scope": self.n_in_scope,
            "n_out_of_scope": self.n_out_of_scope,
            "answered_correct_rate": self.answered_correct_rate,
            "wrong_answer_rate": self.wrong_answer_rate,
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
        rows = [
            ("thresholds (answer / margin / clarify)", f"{t.answer:.1f} / {t.margin:.1f} / {t.clarify:.1f}"),
            ("questions (in scope / out of scope)", f"{self.n} ({self.n_in_scope} / {self.n_out_of_scope})"),
            ("top-1 / top-3 (in scope)", f"{self.top1:.1%} / {self.top3:.1%}"),
            ("answered correctly (in scope)", f"{self.answered_correct_rate:.1%}"),
            (
                "wrong answers (of answers)",
                f"{self.wrong_answer_rate:.1%} (target <= {self.max_wrong_rate:.0%})",
            ),
            ("clarify / escalate (of all)", f"{self.clarify_rate:.1%} / {self.escalation_rate:.1%}"),
            (
                "out-of-scope recall / precision / F1",
                f"{self.oos_recall:.1%} / {self.oos_precision:.1%} / {self.oos_f1:.3f}",
            ),
        ]
        width = max(len(r[0]) for r in rows)
        return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)


@dataclass(frozen=True, slots=True)
class _Ranked:
    """Precomputed ranking of every labelled item (scores, whether the expected entry placed)."""

    s1: np.ndarray
    s2: np.ndarray
    s3: np.ndarray
    in_scope: np.ndarray
    top1: np.ndarray
    top3: np.ndarray


def _rank_all(
    matcher: FaqMatcher, labelled: Sequence[tuple[str, str]]
) -> tuple[_Ranked, list[list[Candidate]]]:
    ranked = [matcher.rank(text, k=5) for text, _ in labelled]

    def score(cands: list[Candidate], i: int) -> float:
        return cands[i].score if len(cands) > i else 0.0

    s1 = np.array([score(c, 0) for c in ranked])
    s2 = np.array([score(c, 1) for c in ranked])
    s3 = np.array([score(c, 2) for c in ranked])
    in_scope = np.array([expect != ESCALATE for _, expect in labelled], dtype=bool)
    top1 = np.array([bool(c) and c[0].entry_id == e for c, (_, e) in zip(ranked, labelled, strict=True)])
    top3 = np.array([any(x.entry_id == e for x in c[:3]) for c, (_, e) in zip(ranked, labelled, strict=True)])
    return _Ranked(s1, s2, s3, in_scope, top1, top3), ranked


def _outcomes(r: _Ranked, answer: float, margin: float, clarify: float) -> dict[str, np.ndarray]:
    """Decisions for every item, with the same rule as ``FaqMatcher.decide``."""
    has = r.s1 > 0
    ans = has & (r.s1 >= answer) & (r.s1 - r.s2 >= margin)
    cla = has & ~ans & (r.s1 >= clarify)
    esc = ~ans & ~cla
    return {"answer": ans, "clarify": cla, "escalate": esc}


def _figures(r: _Ranked, d: dict[str, np.ndarray]) -> dict[str, float]:
    ans, cla, esc = d["answer"], d["clarify"], d["escalate"]
    ins, oos = r.in_scope, ~r.in_scope
    correct = int((ans & ins & r.top1).sum())
    wrong = int((ans & ~(ins & r.top1)).sum())
    answered = int(ans.sum())
    needless = float((cla & ins & r.top1).sum()) * 0.5 + float((esc & ins & r.top1).sum())
    missed_clarify = float((esc & ins & ~r.top1 & r.top3).sum()) * 0.5
    leaked = float((cla & oos).sum())
    tp = float((esc & oos).sum())
    fp = float((esc & ins).sum())
    fn = float((~esc & oos).sum())
    return {
        "correct": correct,
        "wrong": wrong,
        "wrong_rate": wrong / answered if answered else 0.0,
        "cost": needless + missed_clarify + leaked,
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _grid(values: np.ndarray, size: int) -> np.ndarray:
    if values.size == 0:
        return np.array([0.0])
    qs = np.unique(np.round(np.quantile(values, np.linspace(0.0, 1.0, size)), 2))
    return np.concatenate([[0.0], qs, [100.01]])


def calibrate(
    matcher: FaqMatcher,
    labelled: Sequence[tuple[str, str]],
    max_wrong_rate: float = 0.05,
    apply: bool = False,
) -> Calibration:
    """Search thresholds for ``matcher`` on ``labelled`` items (see the module doc for the objective).

    ``max_wrong_rate`` caps wrong answers as a share of all answers. With ``apply`` the chosen
    thresholds are also set on the matcher.
    """
    if not labelled:
        raise ValueError("calibration needs at least one labelled question")
    r, _ = _rank_all(matcher, labelled)
    answers = _grid(r.s1, 60)
    clarifies = _grid(r.s1, 60)
    best_key: tuple[float, ...] | None = None
    best = matcher.thresholds
    for a in answers:
        for m in MARGINS:
            for c in clarifies:
                if c > a:
                    break
                f = _figures(r, _outcomes(r, float(a), m, float(c)))
                feasible = f["wrong_rate"] <= max_wrong_rate
                key = (
                    0.0 if feasible else 1.0,
                    0.0 if feasible else f["wrong_rate"],
                    f["cost"],
                    float(f["wrong"]),
                    -float(f["correct"]),
                )
                if best_key is None or key < best_key:
                    best_key = key
                    best = MatchThresholds(answer=float(a), margin=float(m), clarify=float(c))
    if apply:
        matcher.set_thresholds(best)
    return evaluate(matcher, labelled, best, max_wrong_rate=max_wrong_rate, _ranked=r)


def evaluate(
    matcher: FaqMatcher,
    labelled: Sequence[tuple[str, str]],
    thresholds: MatchThresholds | None = None,
    max_wrong_rate: float = 0.05,
    _ranked: _Ranked | None = None,
) -> Calibration:
    """Figures for ``matcher`` on ``labelled`` items with ``thresholds`` (default: the matcher's own)."""
    t = thresholds or matcher.thresholds
    r = _ranked if _ranked is not None else _rank_all(matcher, labelled)[0]
    d = _outcomes(r, t.answer, t.margin, t.clarify)
    f = _figures(r, d)
    n = len(labelled)
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
    )


def _check_item(item: Any, where: str) -> tuple[str, str]:
    if not isinstance(item, dict):
        raise LabelledFileError(
            f"{where}: expected a mapping with 'text' and 'expect', got {type(item).__name__}"
        )
    unknown = set(item) - {"text", "expect"}
    if unknown:
        raise LabelledFileError(f"{where}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    text, expect = item.get("text"), item.get("expect")
    if not isinstance(text, str) or not text.strip():
        raise LabelledFileError(f"{where}: 'text' must be a non-empty string")
    if not isinstance(expect, str) or not expect.strip():
        raise LabelledFileError(f"{where}: 'expect' must be an entry id or 'escalate'")
    return text, expect.strip()


def load_labelled(path: str | Path) -> list[tuple[str, str]]:
    """Read labelled questions: YAML (a list of ``{text, expect}``) or JSON lines (``.jsonl``).

    Raises :class:`LabelledFileError` naming the file and item (or line) on any problem.
    """
    p = Path(path)
    try:
        raw = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelledFileError(f"{p.name}: cannot read ({exc.strerror or exc})") from exc
    items: list[tuple[str, str]] = []
    if p.suffix.lower() in {".jsonl", ".ndjson", ".json"} and not raw.lstrip().startswith("["):
        for lineno, line in enumerate(raw.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise LabelledFileError(f"{p.name}, line {lineno}: invalid JSON ({exc.msg})") from exc
            items.append(_check_item(obj, f"{p.name}, line {lineno}"))
    else:
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise LabelledFileError(f"{p.name}: invalid YAML ({exc})") from exc
        if not isinstance(data, list):
            raise LabelledFileError(f"{p.name}: expected a list of {{text, expect}} items")
        for i, obj in enumerate(data, start=1):
            items.append(_check_item(obj, f"{p.name}, item {i}"))
    if not items:
        raise LabelledFileError(f"{p.name}: no labelled questions")
    return items
