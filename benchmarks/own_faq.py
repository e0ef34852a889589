"""A customer's own FAQ, imported without labelled questions: how the default settings do.

The set (``benchmarks/helpdesk45``): 45 entries with 4 clean English and 4 clean Indonesian
phrasings each, and messy chat questions (typos, slang, mixed languages, long stories; about a third
not covered by the FAQ) in ``dev.yaml`` (used while developing) and ``test.yaml`` (held out: the
figures reported). Thresholds come from self-calibration on the FAQ alone, as after
``helpdesk kb import FILE --replace``; the queries are never used to fit anything.

Figures per matcher kind:

- covered answered right: covered questions answered at once with the right entry;
- right or offered: ... or offered as one of the "did you mean" choices;
- confident wrong: wrong answers (a wrong entry, or any answer to an uncovered question) as a share
  of all messages;
- uncovered escalated: uncovered questions neither answered nor offered choices;
- en / id first: covered questions whose best candidate is right, by language (mixed ones apart).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.core.types import Decision
from knowledge_base.embeddings import EmbeddingCache
from knowledge_base.encoders import make_encoder
from knowledge_base.faq_file import load_bundled_out_of_scope, load_faq_path
from knowledge_base.semantic import SemanticMatcher

HERE = Path(__file__).resolve().parent
SET_DIR = HERE / "helpdesk45"
CACHE_FILE = HERE / ".cache" / "embeddings.sqlite"


@dataclass(frozen=True)
class Query:
    """One chat question of the set."""

    text: str
    expect: str | None
    lang: str
    style: str


@dataclass
class OwnFaqRow:
    """Figures of one matcher kind on one split."""

    kind: str
    split: str
    queries: int
    covered: int
    answered_right: float
    right_or_offered: float
    confident_wrong: float
    uncovered_escalated: float
    first_en: float
    first_id: float
    first_mix: float
    top3: float
    clarify: float
    model_share: float
    model_ms: float
    p50_ms: float
    p95_ms: float
    calibration_s: float
    thresholds: str


def load_queries(path: Path) -> list[Query]:
    """The questions of ``path`` (a YAML list of ``{text, expect, lang, style}``)."""
    items = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return [
        Query(str(i["text"]), i.get("expect") or None, str(i.get("lang", "")), str(i.get("style", "")))
        for i in items
    ]


def embedding_cache(kind: str) -> EmbeddingCache | None:
    """The encoder cache for ``kind``, with vectors kept in a local SQLite file between runs."""
    encoder = make_encoder(kind)
    if encoder is None:
        return None
    from storage.database import make_engine, upgrade
    from storage.embeddings import SqlEmbeddingStore

    CACHE_FILE.parent.mkdir(exist_ok=True)
    url = f"sqlite:///{CACHE_FILE}"
    upgrade(url)
    return EmbeddingCache(encoder, SqlEmbeddingStore(make_engine(url)))


def run_own_faq(kind: str, split: str = "test", set_dir: Path = SET_DIR, bundled: bool = True) -> OwnFaqRow:
    """Import the FAQ, self-calibrate, and answer the ``split`` questions (``bundled``: with the
    generic out-of-scope questions shipped with the helpdesk, as by default)."""
    entries = load_faq_path(set_dir / "faq.yaml")
    queries = load_queries(set_dir / f"{split}.yaml")
    generic = load_bundled_out_of_scope() if bundled else ()
    matcher = SemanticMatcher(embedding_cache(kind), entries, default_lang="id", generic_out_of_scope=generic)
    start = time.perf_counter()
    matcher.set_thresholds(matcher.calibrate_self().thresholds)
    calibration_s = time.perf_counter() - start
    usage_before = (0, 0, 0.0)
    if matcher.cache is not None:
        u = matcher.cache.usage
        usage_before = (u.queries, u.queries_encoded, u.query_seconds)
    right = offered = wrong = escalated_out = clarify = top3 = 0
    first: dict[str, list[int]] = {"en": [], "id": [], "mix": []}
    times = []
    for q in queries:
        t0 = time.perf_counter()
        result = matcher.match(q.text)
        times.append((time.perf_counter() - t0) * 1000)
        ids = [c.entry_id for c in result.candidates]
        clarify += result.decision is Decision.CLARIFY
        if q.expect is None:
            wrong += result.decision is Decision.ANSWER
            escalated_out += result.decision is Decision.ESCALATE
            continue
        ranked = [c.entry_id for c in matcher.rank(q.text, k=3)]
        top3 += q.expect in ranked
        first.setdefault(q.lang, []).append(int(bool(ranked) and ranked[0] == q.expect))
        if result.decision is Decision.ANSWER:
            ok = bool(ids) and ids[0] == q.expect
            right += ok
            offered += ok
            wrong += not ok
        elif result.decision is Decision.CLARIFY:
            offered += q.expect in ids
    covered = sum(q.expect is not None for q in queries)
    uncovered = len(queries) - covered
    share = model_ms = 0.0
    if matcher.cache is not None:
        u = matcher.cache.usage
        n = u.queries - usage_before[0]
        share = (u.queries_encoded - usage_before[1]) / n if n else 0.0
        model_ms = 1000 * (u.query_seconds - usage_before[2]) / n if n else 0.0
    t = matcher.thresholds
    times.sort()
    label = matcher.kind.split("@")[0]
    if matcher.generic_out_of_scope and matcher.semantic:
        label += f" + {len(matcher.generic_out_of_scope) - len(matcher.set_aside)} bundled out-of-scope"
    return OwnFaqRow(
        kind=label,
        split=split,
        queries=len(queries),
        covered=covered,
        answered_right=right / covered,
        right_or_offered=offered / covered,
        confident_wrong=wrong / len(queries),
        uncovered_escalated=escalated_out / uncovered if uncovered else 0.0,
        first_en=statistics.mean(first["en"]) if first["en"] else 0.0,
        first_id=statistics.mean(first["id"]) if first["id"] else 0.0,
        first_mix=statistics.mean(first["mix"]) if first["mix"] else 0.0,
        top3=top3 / covered,
        clarify=clarify / len(queries),
        model_share=share,
        model_ms=model_ms,
        p50_ms=statistics.median(times),
        p95_ms=times[min(len(times) - 1, int(0.95 * len(times)))],
        calibration_s=calibration_s,
        thresholds=f"{t.answer:.0f}{'*' if t.weights else ''}/{t.margin:.0f}/{t.clarify:.0f}"
        + ("" if t.floor is None else f" floor {t.floor:.0f}"),
    )


def format_own_rows(rows: Sequence[OwnFaqRow]) -> str:
    """The Markdown table of :func:`run_own_faq` rows."""
    head = (
        "| matcher | split | queries (covered) | answered right % | right or offered % | confident wrong % "
        "| uncovered escalated % | first en / id / mixed % | top-3 % | clarify % | model needed % "
        "| model ms/msg | p50 / p95 ms | self-calibration s | thresholds |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
    )

    def p(x: float) -> str:
        return f"{100 * x:.1f}"

    lines = [head]
    for r in rows:
        lines.append(
            f"| {r.kind} | {r.split} | {r.queries} ({r.covered}) | {p(r.answered_right)} "
            f"| {p(r.right_or_offered)} "
            f"| {p(r.confident_wrong)} | {p(r.uncovered_escalated)} | {p(r.first_en)} / {p(r.first_id)} / "
            f"{p(r.first_mix)} | {p(r.top3)} | {p(r.clarify)} | {p(r.model_share)} | {r.model_ms:.1f} "
            f"| {r.p50_ms:.1f} / {r.p95_ms:.1f} | {r.calibration_s:.1f} | {r.thresholds} |"
        )
    return "\n".join(lines)


def own_faq_rows(split: str, kinds: Sequence[str]) -> list[OwnFaqRow]:
    """One row per matcher kind; the semantic one also without the bundled out-of-scope
    questions, so their share of the figures shows."""
    rows = []
    for kind in kinds:
        if kind != "lexical":
            rows.append(run_own_faq(kind, split, bundled=False))
        rows.append(run_own_faq(kind, split))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.own_faq``: print the table for both matcher kinds."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.own_faq", description=__doc__)
    parser.add_argument("--split", default="test", choices=("dev", "test"))
    parser.add_argument("--matcher", action="append", choices=("semantic", "lexical"))
    args = parser.parse_args(argv)
    print(format_own_rows(own_faq_rows(args.split, args.matcher or ("lexical", "semantic"))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
