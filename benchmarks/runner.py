"""Build each dataset's knowledge base, calibrate, and report accuracy, escalation and speed.

Protocol per dataset (see each dataset folder's README): the knowledge base is the training
split (one entry per intent); thresholds are calibrated on the validation queries (BANKING77 and
xSID have none, so part of the training data is held out; see ``benchmarks.datasets``) and the
figures are reported on those same validation queries. A split-half check (calibrate on one half
of the queries, report on the other) shows how much of that carries over to unseen questions.
Speed is measured on one core with ``time.perf_counter``.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import os
import platform
import random
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks.datasets import LOADERS, Dataset, benchdata_dir, entries_from_pairs
from bot.core.types import FaqEntry
from knowledge_base.calibration import RankedItems, calibrate, evaluate, format_confidence, rank_labelled
from knowledge_base.faq_file import load_bundled_out_of_scope
from knowledge_base.matcher import FaqMatcher
from knowledge_base.semantic import SemanticMatcher

RESULTS_FILE = Path(__file__).resolve().parent / "RESULTS.md"
ORDER = ("clinc150", "clinc150-10", "banking77", "banking77-oos", "xsid-id", "askubuntu-webapps")


@dataclass
class Row:
    """One line of the results table."""

    name: str
    entries: int
    phrasings: int
    queries: int
    oos: int
    top1: float
    top3: float
    answered: float
    wrong: float
    clarify: float
    oos_recall: float | None
    oos_precision: float | None
    oos_f1: float | None
    thresholds: str
    build_s: float
    rebuild_s: float
    median_ms: float
    p95_ms: float
    weights: str = ""
    split: tuple[float, float, float | None] | None = None
    """Split-half check: held-out answered ok, wrong and OOS F1 (see :func:`split_half`)."""


def _latencies(matcher: FaqMatcher | SemanticMatcher, texts: Sequence[str]) -> tuple[float, float]:
    times = []
    for text in texts:
        start = time.perf_counter()
        matcher.match(text)
        times.append((time.perf_counter() - start) * 1000.0)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(0.95 * len(times)))]


def _edited(entries: list[FaqEntry]) -> list[FaqEntry]:
    """The same knowledge base with one phrasing added to the first entry (an admin's edit)."""
    first = entries[0]
    lang = next(iter(first.questions))
    questions = dict(first.questions)
    questions[lang] = (*questions[lang], "a freshly added phrasing for this entry")
    return [dataclasses.replace(first, questions=questions, version=first.version + 1), *entries[1:]]


def _subset(ds: Dataset, quick: bool) -> Dataset:
    if not quick:
        return ds
    keep_ids = {e.id for e in ds.entries[:12]}
    entries = [
        dataclasses.replace(e, questions={k: v[:20] for k, v in e.questions.items()})
        for e in ds.entries
        if e.id in keep_ids
    ]
    queries = [q for q in ds.queries if q[1] in keep_ids][:80] + [
        q for q in ds.queries if q[1] == "escalate"
    ][:20]
    return dataclasses.replace(ds, entries=entries, queries=queries)


def make_matcher(
    kind: str,
    entries: Sequence[FaqEntry],
    lang: str,
    out_of_scope: Sequence[str] = (),
    generic_out_of_scope: Sequence[str] = (),
) -> FaqMatcher | SemanticMatcher:
    """The matcher of ``kind`` (``lexical`` or ``semantic``; embeddings cached between runs); the
    semantic one is given the ``out_of_scope`` examples and the ``generic_out_of_scope`` ones
    (the lexical one has no use for them)."""
    if kind == "lexical":
        return FaqMatcher(entries, default_lang=lang)
    from benchmarks.own_faq import embedding_cache

    return SemanticMatcher(
        embedding_cache(kind),
        entries,
        default_lang=lang,
        out_of_scope=out_of_scope,
        generic_out_of_scope=generic_out_of_scope,
    )


def run_dataset(
    name: str, root: Path, quick: bool = False, kind: str = "lexical", generic: Sequence[str] = ()
) -> Row:
    """Benchmark one dataset (all its folds) with the ``kind`` matcher and return its table row."""
    folds = [_subset(ds, quick) for ds in LOADERS[name](root)]
    if quick:
        folds = folds[:1]
    tot = {
        k: 0.0
        for k in (
            "n",
            "in",
            "oos",
            "top1",
            "top3",
            "answered",
            "wrong_n",
            "ans_n",
            "clarify",
            "tp",
            "fp",
            "fn",
        )
    }
    build_s = rebuild_s = 0.0
    lat: list[tuple[float, float]] = []
    thresholds: list[str] = []
    weights: list[str] = []
    for ds in folds:
        start = time.perf_counter()
        matcher = make_matcher(kind, ds.entries, ds.lang, ds.out_of_scope, generic)
        build_s = max(build_s, time.perf_counter() - start)
        start = time.perf_counter()
        matcher.rebuild(_edited(ds.entries))
        rebuild_s = max(rebuild_s, time.perf_counter() - start)
        matcher.rebuild(ds.entries)
        if isinstance(matcher, SemanticMatcher):
            matcher.warm_up([q for q, _ in ds.queries])  # one batched pass through the model
        ranked = rank_labelled(matcher, ds.queries)
        cal = calibrate(matcher, ds.queries, apply=True, _ranked=ranked)
        for key, value in split_half(matcher, ds.queries, ranked).items():
            tot[key] = tot.get(key, 0.0) + value
        n_in, n_out = cal.n_in_scope, cal.n_out_of_scope
        answered_n = cal.answer_rate * cal.n
        tot["n"] += cal.n
        tot["in"] += n_in
        tot["oos"] += n_out
        tot["top1"] += cal.top1 * n_in
        tot["top3"] += cal.top3 * n_in
        tot["answered"] += cal.answered_correct_rate * n_in
        tot["ans_n"] += answered_n
        tot["wrong_n"] += answered_n * cal.wrong_answer_rate
        tot["clarify"] += cal.clarify_rate * cal.n
        tot["tp"] += cal.oos_recall * n_out
        tot["fn"] += (1 - cal.oos_recall) * n_out
        tot["fp"] += cal.escalation_rate * cal.n - cal.oos_recall * n_out
        t = cal.thresholds
        star = "*" if t.weights else ""
        thresholds.append(f"{t.answer:.0f}{star}/{t.margin:.0f}/{t.clarify:.0f}")
        weights.append(format_confidence(t.weights) if t.weights else "")
        sample = [q for q, _ in ds.queries]
        random.Random(1).shuffle(sample)
        lat.append(_latencies(matcher, sample[: 100 if quick else 500]))
    oos = tot["oos"] > 0
    rec = tot["tp"] / tot["oos"] if oos else None
    prec = tot["tp"] / (tot["tp"] + tot["fp"]) if oos and tot["tp"] + tot["fp"] else (0.0 if oos else None)
    f1 = (
        (2 * prec * rec / (prec + rec) if prec and rec else 0.0)
        if oos and rec is not None and prec is not None
        else None
    )
    ref = folds[0]
    return Row(
        name=name if kind == "lexical" else f"{name} ({kind})",
        entries=len(ref.entries),
        phrasings=ref.phrasings,
        queries=int(tot["n"]),
        oos=int(tot["oos"]),
        top1=tot["top1"] / tot["in"],
        top3=tot["top3"] / tot["in"],
        answered=tot["answered"] / tot["in"],
        wrong=tot["wrong_n"] / tot["ans_n"] if tot["ans_n"] else 0.0,
        clarify=tot["clarify"] / tot["n"],
        oos_recall=rec,
        oos_precision=prec,
        oos_f1=f1,
        thresholds=thresholds[0] if len(set(thresholds)) == 1 else f"{thresholds[0]} (fold 1)",
        build_s=build_s,
        rebuild_s=rebuild_s,
        median_ms=statistics.median(m for m, _ in lat),
        p95_ms=max(p for _, p in lat),
        weights=weights[0],
        split=(
            tot["h_correct"] / tot["h_in"] if tot["h_in"] else 0.0,
            tot["h_wrong"] / tot["h_ans"] if tot["h_ans"] else 0.0,
            (2 * tot["h_tp"] / (2 * tot["h_tp"] + tot["h_fp"] + tot["h_fn"]) if tot["h_tp"] else 0.0)
            if oos
            else None,
        ),
    )


def split_half(
    matcher: FaqMatcher | SemanticMatcher, queries: Sequence[tuple[str, str]], ranked: RankedItems
) -> dict[str, float]:
    """Calibrate on one random half of the queries and count the outcomes on the other half, both
    ways round (a check that the calibrated thresholds and confidence weights carry over to
    questions they were not chosen on). Returns summed counts (``h_*``)."""
    order = list(range(len(queries)))
    random.Random(5).shuffle(order)
    halves = [order[: len(order) // 2], order[len(order) // 2 :]]
    out = dict.fromkeys(("h_in", "h_correct", "h_ans", "h_wrong", "h_tp", "h_fp", "h_fn"), 0.0)
    for fit, test in (halves, halves[::-1]):
        fit_items = [queries[i] for i in fit]
        test_items = [queries[i] for i in test]
        cal = calibrate(matcher, fit_items, _ranked=ranked.subset(np.asarray(fit, dtype=np.int64)))
        res = evaluate(
            matcher, test_items, cal.thresholds, _ranked=ranked.subset(np.asarray(test, dtype=np.int64))
        )
        n_in, n_out = res.n_in_scope, res.n_out_of_scope
        answers = res.answer_rate * res.n
        out["h_in"] += n_in
        out["h_correct"] += res.answered_correct_rate * n_in
        out["h_ans"] += answers
        out["h_wrong"] += res.wrong_answer_rate * answers
        tp = res.oos_recall * n_out
        out["h_tp"] += tp
        out["h_fn"] += n_out - tp
        out["h_fp"] += res.escalation_rate * res.n - tp
    return out


def _perturb(text: str, rng: random.Random) -> str:
    """A chat-like variant: one dropped, doubled or swapped letter, sometimes a dropped word."""
    words = text.split()
    if len(words) > 3 and rng.random() < 0.3:
        del words[rng.randrange(len(words))]
    out = " ".join(words)
    if len(out) > 4:
        i = rng.randrange(1, len(out) - 2)
        op = rng.randrange(3)
        if op == 0:
            out = out[:i] + out[i + 1 :]
        elif op == 1:
            out = out[:i] + out[i] + out[i:]
        else:
            out = out[:i] + out[i + 1] + out[i] + out[i + 2 :]
    return out


def synthetic_kb(root: Path, target: int) -> tuple[list[FaqEntry], list[str]]:
    """About ``target`` phrasings: every training phrasing of CLINC150 and BANKING77 (one entry per
    dataset and intent), topped up with perturbed copies (typos, dropped words) of them."""
    pairs: list[tuple[str, str]] = []
    queries: list[str] = []
    for name in ("clinc150", "banking77"):
        ds = LOADERS[name](root)[0]
        for e in ds.entries:
            pairs.extend((q, f"{name}:{e.id}") for q in e.questions["en"])
        queries.extend(q for q, _ in ds.queries)
    rng = random.Random(7)
    base = list(pairs)
    while len(pairs) < target:
        text, intent = base[rng.randrange(len(base))]
        pairs.append((_perturb(text, rng), intent))
    rng.shuffle(queries)
    return entries_from_pairs(pairs[:target], "en"), queries[:500]


def speed_at_scale(root: Path, target: int) -> Row:
    """Latency and rebuild time with about ``target`` phrasings (see :func:`synthetic_kb`)."""
    entries, queries = synthetic_kb(root, target)
    start = time.perf_counter()
    matcher = FaqMatcher(entries, default_lang="en")
    build_s = time.perf_counter() - start
    start = time.perf_counter()
    matcher.rebuild(_edited(entries))
    rebuild_s = time.perf_counter() - start
    med, p95 = _latencies(matcher, queries)
    nan = float("nan")
    return Row(
        f"synthetic-{target // 1000}k",
        len(entries),
        matcher.size,
        len(queries),
        0,
        nan,
        nan,
        nan,
        nan,
        nan,
        None,
        None,
        None,
        "-",
        build_s,
        rebuild_s,
        med,
        p95,
    )


def pct(x: float | None) -> str:
    if x is None or x != x:
        return "-"
    return f"{100 * x:.1f}"


def format_rows(rows: Sequence[Row]) -> str:
    """The results as a Markdown table."""
    head = (
        "| dataset | entries | phrasings | queries (oos) | top-1 % | top-3 % | answered ok % | wrong % "
        "| clarify % | OOS rec % | OOS prec % | OOS F1 | thresholds a/m/c | build s | rebuild s "
        "| median ms | p95 ms |"
    )
    sep = "|" + "---|" * 17
    lines = [head, sep]
    for r in rows:
        f1 = "-" if r.oos_f1 is None else f"{r.oos_f1:.3f}"
        lines.append(
            f"| {r.name} | {r.entries} | {r.phrasings} | {r.queries} ({r.oos}) "
            f"| {pct(r.top1)} | {pct(r.top3)} "
            f"| {pct(r.answered)} | {pct(r.wrong)} | {pct(r.clarify)} | {pct(r.oos_recall)} "
            f"| {pct(r.oos_precision)} | {f1} | {r.thresholds} | {r.build_s:.2f} | {r.rebuild_s:.3f} "
            f"| {r.median_ms:.2f} | {r.p95_ms:.2f} |"
        )
    return "\n".join(lines)


def format_details(rows: Sequence[Row]) -> str:
    """The split-half check and the fitted answer confidences, as Markdown."""
    lines = [
        "| dataset | answered ok % (all / held-out) | wrong % (all / held-out) | OOS F1 (all / held-out) |",
        "|---|---|---|---|",
    ]
    for r in rows:
        if r.split is None:
            continue
        ok, wrong, f1 = r.split
        f1_all = "-" if r.oos_f1 is None else f"{r.oos_f1:.3f}"
        f1_held = "-" if f1 is None else f"{f1:.3f}"
        lines.append(
            f"| {r.name} | {pct(r.answered)} / {pct(ok)} | {pct(r.wrong)} / {pct(wrong)} "
            f"| {f1_all} / {f1_held} |"
        )
    conf = [f"- {r.name}: confidence = {r.weights}" for r in rows if r.weights]
    if conf:
        lines += [
            "",
            "Answer confidences chosen by calibration (thresholds marked * compare them):",
            "",
            *conf,
        ]
    return "\n".join(lines)


def machine_line() -> str:
    """CPU model, cores, Python version and date (no paths)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {dt.date.today().isoformat()}"


NOTES = """\
- top-1 / top-3: in-scope queries, always answering. answered ok: in-scope queries answered with the
  right entry under the calibrated thresholds; wrong: wrong answers / all answers (an answered
  out-of-scope query is wrong); clarify: share of all queries offered a choice list. OOS: an
  out-of-scope query counts as caught only when escalated.
- Thresholds (answer / margin / clarify) are calibrated on the same queries with a 5 % cap on wrong
  answers (`knowledge_base.calibration`). An answer threshold marked * compares the answer
  confidence that calibration fitted (a logistic combination of the best score, its lead, the naive
  Bayes odds and the fuzzy ratio; weights listed below the split-half table) instead of the score;
  margin and clarify always compare scores. Out-of-scope detection (escalate vs. not) therefore
  rests on the score and the clarify threshold.
- clinc150: KB = train (100 phrasings per intent), queries = val + oos_val. clinc150-10: the first 10
  training phrasings per intent. banking77: KB = 90 % of train.csv per intent, queries = the other 10 %
  (stratified, seed 13). banking77-oos: KB = train, queries = valid + id-oos/valid + ood-oos/valid.
  Known out-of-scope questions (semantic rows only, never queries): clinc150 and clinc150-10 get
  oos_train (100), banking77-oos gets id-oos/train (2,062: the 27 intents left out of its KB). A
  query closer to one of them than to any entry is escalated; the lexical rows do not use them.
  xsid-id: 5-fold cross-validation over id.valid.conll (figures pooled; build/latency of the worst fold).
  askubuntu-webapps: the two corpora as separate KBs (first one's size shown), intent None left out.
- build: first build; rebuild: after adding one phrasing to one entry. Latency: `match()` per query on
  one core, 500 shuffled validation queries.
- synthetic-100k: all CLINC150 and BANKING77 training phrasings (227 entries) topped up to 100,000
  phrasings with perturbed copies (a dropped/doubled/swapped letter, sometimes a dropped word);
  queries are CLINC150 and BANKING77 validation questions.
- Data: CLINC150 (CC BY 3.0, Larson et al. 2019), BANKING77 (CC BY 4.0, Casanueva et al. 2020),
  BANKING77-OOS (Zhang et al. 2022), xSID 0.7 (CC BY-SA 4.0, van der Goot et al. 2021), AskUbuntu /
  WebApplications (CC BY-SA 3.0, Braun et al. 2017).
"""


COST_NOTE = """\
CLINC150's 15,000 training phrasings; 500 validation questions, each encoded afresh (embedding
included in the latency); one model thread; an edit adds one phrasing to one entry. Reproduce:
`python -m benchmarks.semantic_cost`.
"""


OWN_NOTE = """\
`benchmarks/helpdesk45`: 45 bilingual entries (4 English + 4 Indonesian clean phrasings each), imported
as a customer would, thresholds self-calibrated from the FAQ alone (no labelled questions). The chat
questions (typos, slang, mixed languages, long stories; a third not covered) were written for this
project: `dev.yaml` was used while choosing the settings, `test.yaml` (reported here) never was.
The semantic matcher runs without and with (the default) the bundled out-of-scope questions, those
the FAQ answers set aside (the row says how many are kept). Reproduce:
`python -m benchmarks.own_faq --split test`.
"""


SPLIT_NOTE = """\
The validation queries are split at random into two halves; thresholds (and the confidence, if one
wins) are calibrated on one half and applied to the other, both ways round, and the held-out
outcomes pooled. "all" repeats the main table (calibrated and reported on the same queries).
"""


OWN_SECTIONS = (
    "## Split-half check",
    "## A customer's own FAQ",
    "## Cost of the semantic matcher",
)


def other_sections(text: str) -> str:
    """The ``## `` sections of a results file that other benchmarks wrote (delivery, load), kept
    as they are when this one rewrites its own."""
    kept: list[str] = []
    keep = False
    for line in text.splitlines(keepends=True):
        if line.startswith("## "):
            keep = not line.startswith(OWN_SECTIONS)
        if keep:
            kept.append(line)
    return "".join(kept).strip() + "\n" if kept else ""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks, print the table and (unless ``--quick``) write ``RESULTS.md``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small subsets, a smoke test (not written)")
    parser.add_argument("--dataset", choices=sorted(LOADERS), action="append", help="only this dataset")
    parser.add_argument("--no-scale", action="store_true", help="skip the 100k-phrasing speed test")
    parser.add_argument("--output", type=Path, default=None, help="where to write the Markdown results")
    parser.add_argument(
        "--bundled-out-of-scope",
        action="store_true",
        help="also give the semantic matcher the helpdesk's generic out-of-scope questions (not written)",
    )
    parser.add_argument(
        "--matcher",
        choices=("lexical", "semantic"),
        action="append",
        help="matcher kind(s) to run (default: both, lexical first so the gain is visible)",
    )
    args = parser.parse_args(argv)
    root = benchdata_dir()
    if not root.is_dir():
        print("benchmark data not found: set HELPDESK_BENCHDATA or place it at ../shared/benchdata")
        return 2
    names = args.dataset or list(ORDER)
    generic = load_bundled_out_of_scope() if args.bundled_out_of_scope else ()
    rows = []
    kinds = args.matcher or ["lexical", "semantic"]
    for name in names:
        for kind in kinds:
            start = time.perf_counter()
            rows.append(run_dataset(name, root, quick=args.quick, kind=kind, generic=generic))
            print(f"{name} ({kind}): done in {time.perf_counter() - start:.1f}s", flush=True)
    if not args.quick and not args.no_scale and not args.dataset:
        rows.append(speed_at_scale(root, 100_000))
    table = format_rows(rows)
    details = format_details(rows)
    print(table)
    print()
    print(details)
    own = ""
    if not args.quick and not args.dataset:
        from benchmarks.own_faq import format_own_rows, own_faq_rows

        own = format_own_rows(own_faq_rows("test", kinds))
        print()
        print(own)
        if "semantic" in kinds:
            import subprocess
            import sys

            # in a fresh process, so that its peak memory is the matcher's, not this run's
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.semantic_cost"], capture_output=True, text=True, check=True
            )
            cost = done.stdout.strip()
            own += f"\n\n## Cost of the semantic matcher with 15,000 phrasings\n\n{COST_NOTE}\n{cost}"
            print()
            print(cost)
    if args.output is not None or (not args.quick and not args.dataset and not args.bundled_out_of_scope):
        out = args.output or RESULTS_FILE
        kept = other_sections(out.read_text(encoding="utf-8")) if out.exists() else ""
        out.write_text(
            f"# Matcher benchmark results\n\nMachine: {machine_line()}\n\n{table}\n\n{NOTES}\n"
            f"## Split-half check and answer confidences\n\n{SPLIT_NOTE}\n{details}\n"
            + (
                f"\n## A customer's own FAQ, no labelled questions (held-out split)\n\n{OWN_NOTE}\n{own}\n"
                if own
                else ""
            )
            + (f"\n{kept}" if kept else ""),
            encoding="utf-8",
        )
        print(f"written: {out.name}")
    return 0
