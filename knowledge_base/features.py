"""Text to matcher features: stemmed word uni- and bigrams and character n-grams, and the growing
vocabulary that numbers them."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from knowledge_base.normalize import stem


@dataclass(frozen=True, slots=True)
class TermFeatures:
    """Feature ids and counts of one text, per block (word, char); ``*_unknown``: the summed
    squared sublinear counts of the text's words / character n-grams the vocabulary lacks."""

    word_ids: np.ndarray
    word_counts: np.ndarray
    char_ids: np.ndarray
    char_counts: np.ndarray
    word_unknown: float = 0.0
    char_unknown: float = 0.0


def word_terms(norm: str, lang: str) -> list[str]:
    stems = [stem(t, lang) for t in norm.split()]
    terms = ["w " + s for s in stems]
    terms.extend(f"b {a} {b}" for a, b in zip(stems, stems[1:], strict=False))
    return terms


def char_terms(norm: str) -> list[str]:
    terms: list[str] = []
    for tok in norm.split():
        padded = f" {tok} "
        n_chars = len(padded)
        for n in (3, 4, 5):
            if n_chars < n:
                break
            terms.extend(padded[i : i + n] for i in range(n_chars - n + 1))
    return terms


class Vocabulary:
    """Feature string -> column id. Grows only while building, so ids (and caches) stay valid."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def encode(self, terms: list[str], grow: bool) -> tuple[np.ndarray, np.ndarray, float]:
        """Ids and counts of the known ``terms`` (all of them when ``grow``), and the unknown
        ones' summed squared sublinear counts (word bigrams, prefixed ``"b "``, not counted)."""
        counts = Counter(terms)
        ids: list[int] = []
        vals: list[int] = []
        unknown = 0.0
        table = self.ids
        for term, c in counts.items():
            idx = table.get(term)
            if idx is None:
                if not grow:
                    if not term.startswith("b "):
                        unknown += (1.0 + math.log(c)) ** 2
                    continue
                idx = len(table)
                table[term] = idx
            ids.append(idx)
            vals.append(c)
        return np.asarray(ids, dtype=np.int64), np.asarray(vals, dtype=np.float64), unknown


def index_ranges(starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(s, s + n)`` for every pair (vectorised)."""
    total = int(lens.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lens)
    return np.repeat(starts - ends + lens, lens) + np.arange(total)
