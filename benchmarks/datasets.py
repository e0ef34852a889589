"""Loaders for the public intent datasets used to benchmark the matcher.

Each loader returns a :class:`Dataset`: the knowledge base built from the training data (one
:class:`~bot.core.types.FaqEntry` per intent) and the labelled queries used for calibration and
reporting (``(text, expected entry id or "escalate")``). The data folder is found through the
``HELPDESK_BENCHDATA`` environment variable, or ``../shared/benchdata`` next to the repository root.
"""

from __future__ import annotations

import csv
import json
import os
import random
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.core.types import FaqEntry

ESCALATE = "escalate"


def benchdata_dir() -> Path:
    """Where the benchmark data lives (``HELPDESK_BENCHDATA`` or ``../shared/benchdata``)."""
    env = os.environ.get("HELPDESK_BENCHDATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent.parent / "shared" / "benchdata"


@dataclass
class Dataset:
    """A knowledge base plus labelled queries (``expect`` is an entry id or ``"escalate"``)."""

    name: str
    lang: str
    entries: list[FaqEntry]
    queries: list[tuple[str, str]]
    note: str = ""
    extra: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    out_of_scope: list[str] = field(default_factory=list)
    """Out-of-scope training questions (never queries), given to the semantic matcher."""

    @property
    def phrasings(self) -> int:
        """Number of phrasings in the knowledge base."""
        return sum(len(qs) for e in self.entries for qs in e.questions.values())


def entries_from_pairs(
    pairs: Iterable[tuple[str, str]], lang: str, limit: int | None = None
) -> list[FaqEntry]:
    """One entry per intent from ``(text, intent)`` pairs; ``limit`` keeps the first N phrasings."""
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in pairs:
        text = text.strip()
        if not text:
            continue
        if limit is None or len(by_intent[intent]) < limit:
            by_intent[intent].append(text)
    return [
        FaqEntry(
            id=intent,
            category="other",
            questions={lang: tuple(texts)},
            answer={lang: f"({intent})"},
        )
        for intent, texts in by_intent.items()
    ]


def _read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def _seq_pairs(folder: Path) -> list[tuple[str, str]]:
    texts = _read_lines(folder / "seq.in")
    labels = _read_lines(folder / "label")
    return [(t.strip(), lab.strip()) for t, lab in zip(texts, labels, strict=False) if t.strip()]


def load_clinc150(root: Path, per_intent: int | None = None) -> Dataset:
    """CLINC150: KB = ``train`` (optionally the first ``per_intent`` phrasings), queries = val + oos_val."""
    data = json.loads((root / "clinc150" / "data_trainval.json").read_text(encoding="utf-8"))
    entries = entries_from_pairs(((t, i) for t, i in data["train"]), "en", limit=per_intent)
    queries = [(t, i) for t, i in data["val"]] + [(t, ESCALATE) for t, _ in data["oos_val"]]
    name = "clinc150" if per_intent is None else f"clinc150-{per_intent}"
    out_of_scope = [t for t, _ in data["oos_train"]]
    return Dataset(
        name,
        "en",
        entries,
        queries,
        "KB = train; queries = val + oos_val; out-of-scope examples = oos_train",
        out_of_scope=out_of_scope,
    )


def _split_holdout(
    pairs: Sequence[tuple[str, str]], fraction: float, seed: int = 13
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Stratified split: ``fraction`` of each intent's pairs held out (fixed seed)."""
    by_intent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in pairs:
        by_intent[pair[1]].append(pair)
    rng = random.Random(seed)
    keep: list[tuple[str, str]] = []
    held: list[tuple[str, str]] = []
    for intent in sorted(by_intent):
        items = list(by_intent[intent])
        rng.shuffle(items)
        n = max(1, round(len(items) * fraction))
        held.extend(items[:n])
        keep.extend(items[n:])
    return keep, held


def load_banking77(root: Path) -> Dataset:
    """BANKING77: KB = 90 % of ``train.csv`` per intent, queries = the other 10 % (no OOS)."""
    with (root / "banking77" / "train.csv").open(encoding="utf-8", newline="") as fh:
        pairs = [(row["text"], row["category"]) for row in csv.DictReader(fh)]
    keep, held = _split_holdout(pairs, 0.1)
    return Dataset(
        "banking77",
        "en",
        entries_from_pairs(keep, "en"),
        held,
        "KB = 90 % of train.csv per intent; queries = the held-out 10 % (seed 13)",
    )


def load_banking77_oos(root: Path) -> Dataset:
    """BANKING77-OOS: KB = train (50 intents); queries = valid + id-oos/valid + ood-oos/valid;
    out-of-scope examples = id-oos/train."""
    base = root / "banking77-oos"
    entries = entries_from_pairs(_seq_pairs(base / "train"), "en")
    queries = _seq_pairs(base / "valid")
    id_oos = [(t, ESCALATE) for t, _ in _seq_pairs(base / "id-oos" / "valid")]
    ood_oos = [(t, ESCALATE) for t, _ in _seq_pairs(base / "ood-oos" / "valid")]
    return Dataset(
        "banking77-oos",
        "en",
        entries,
        queries + id_oos + ood_oos,
        "KB = train; queries = valid + id-oos/valid + ood-oos/valid; out-of-scope examples = id-oos/train",
        extra={"id-oos": id_oos, "ood-oos": ood_oos},
        out_of_scope=[t for t, _ in _seq_pairs(base / "id-oos" / "train")],
    )


def _read_conll(path: Path) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    text = intent = None
    for line in _read_lines(path):
        if line.startswith("# text = "):
            text = line[len("# text = ") :]
        elif line.startswith("# intent = "):
            intent = line[len("# intent = ") :]
        elif not line.strip():
            if text is not None and intent is not None:
                pairs.append((text, intent))
            text = intent = None
    if text is not None and intent is not None:
        pairs.append((text, intent))
    return pairs


def xsid_folds(root: Path, lang: str = "id", folds: int = 5) -> list[Dataset]:
    """xSID: ``folds``-fold cross-validation over ``{lang}.valid.conll`` (stratified, fixed seed)."""
    pairs = _read_conll(root / "xsid-indonesian" / f"{lang}.valid.conll")
    by_intent: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for pair in pairs:
        by_intent[pair[1]].append(pair)
    rng = random.Random(13)
    assignment: list[list[tuple[str, str]]] = [[] for _ in range(folds)]
    for intent in sorted(by_intent):
        items = list(by_intent[intent])
        rng.shuffle(items)
        for i, item in enumerate(items):
            assignment[i % folds].append(item)
    out = []
    for k in range(folds):
        train = [p for j in range(folds) if j != k for p in assignment[j]]
        known = {i for _, i in train}
        queries = [(t, i) for t, i in assignment[k] if i in known]
        out.append(
            Dataset(
                f"xsid-{lang}",
                lang,
                entries_from_pairs(train, lang),
                queries,
                f"{folds}-fold cross-validation over {lang}.valid.conll",
            )
        )
    return out


def load_askubuntu_webapps(root: Path) -> list[Dataset]:
    """Braun et al. corpora: KB = training sentences, queries = test sentences (intent ``None`` dropped)."""
    out = []
    for fname, name in (("AskUbuntuCorpus.json", "askubuntu"), ("WebApplicationsCorpus.json", "webapps")):
        data = json.loads((root / "askubuntu-webapps-intents" / fname).read_text(encoding="utf-8"))
        train = [
            (s["text"], s["intent"]) for s in data["sentences"] if s["training"] and s["intent"] != "None"
        ]
        test = [
            (s["text"], s["intent"]) for s in data["sentences"] if not s["training"] and s["intent"] != "None"
        ]
        out.append(
            Dataset(
                name,
                "en",
                entries_from_pairs(train, "en"),
                test,
                "KB = training sentences; queries = test sentences",
            )
        )
    return out


LOADERS: dict[str, Callable[[Path], list[Dataset]]] = {
    "clinc150": lambda root: [load_clinc150(root)],
    "clinc150-10": lambda root: [load_clinc150(root, per_intent=10)],
    "banking77": lambda root: [load_banking77(root)],
    "banking77-oos": lambda root: [load_banking77_oos(root)],
    "xsid-id": lambda root: xsid_folds(root, "id"),
    "askubuntu-webapps": load_askubuntu_webapps,
}
