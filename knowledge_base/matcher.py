"""The FAQ matcher: finds the entry a chat question is about, and says how sure it is.

How a question is scored (every step is cheap and explainable):

1. ``normalize`` the text (case, accents, punctuation, stretched letters, chat slang).
2. Turn it into two TF-IDF vectors (sublinear term frequency, L2-normalised): word uni- and
   bigrams over lightly stemmed words, and character 3-5-grams inside word boundaries (typo and
   morphology tolerant). The blocks are joined with fixed weights, so the whole vector has length 1.
3. Cosine similarity to every stored phrasing (a sparse matrix product over posting lists) and
   to each entry's centroid (the normalised mean of its phrasings).
4. Per entry: ``max`` (cosine to its best single phrasing) and ``centroid``.
5. The few best entries are re-checked with rapidfuzz (``fuzzy``: token-set ratio against their
   phrasings), which forgives typos the n-grams miss.
6. ``bayes``: a multinomial naive Bayes posterior over entries, computed on the same TF-IDF
   weights (the discriminative signal; ``lift`` is its log-likelihood ratio against the whole KB,
   shown for explanation only).
7. ``score`` (0-100) is a fixed weighted sum of ``max``, ``centroid``, ``bayes`` and ``fuzzy``
   (:class:`ScoreWeights`); ``decide`` applies the explicit :class:`~bot.types.MatchThresholds`
   (answer / margin / clarify).

Every candidate carries its components so ``--explain`` can show why it ranked where it did.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process

from bot.language import detect_language
from bot.types import Candidate, Decision, FaqEntry, MatchResult, MatchThresholds
from knowledge_base.normalize import normalize, stem

MAX_QUERY_CHARS = 2000
"""Longer questions are cut here before matching (keeps very long pastes fast)."""

MAX_CANDIDATES = 5
CLARIFY_CHOICES = 3


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """How the per-entry components are blended into the 0-100 score (weights sum to 1)."""

    max: float = 0.12
    centroid: float = 0.44
    fuzzy: float = 0.22
    bayes: float = 0.22
    word_block: float = 0.5
    """Share of the word block in the TF-IDF vector (the rest is character n-grams)."""
    bayes_alpha: float = 0.03
    """Additive smoothing of the naive Bayes feature masses."""
    bayes_temperature: float = 1.0
    """Softmax temperature that turns naive Bayes log-likelihoods into the ``bayes`` share."""
    fuzzy_top: int = 8


@dataclass(frozen=True, slots=True)
class _Features:
    """Feature ids and counts of one text, per block (word, char)."""

    word_ids: np.ndarray
    word_counts: np.ndarray
    char_ids: np.ndarray
    char_counts: np.ndarray


def _word_terms(norm: str, lang: str) -> list[str]:
    stems = [stem(t, lang) for t in norm.split()]
    terms = ["w " + s for s in stems]
    terms.extend(f"b {a} {b}" for a, b in zip(stems, stems[1:], strict=False))
    return terms


def _char_terms(norm: str) -> list[str]:
    terms: list[str] = []
    for tok in norm.split():
        padded = f" {tok} "
        n_chars = len(padded)
        for n in (3, 4, 5):
            if n_chars < n:
                break
            terms.extend(padded[i : i + n] for i in range(n_chars - n + 1))
    return terms


class _Vocabulary:
    """Feature string -> column id. Grows only while building, so ids (and caches) stay valid."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def encode(self, terms: list[str], grow: bool) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(terms)
        ids: list[int] = []
        vals: list[int] = []
        table = self.ids
        for term, c in counts.items():
            idx = table.get(term)
            if idx is None:
                if not grow:
                    continue
                idx = len(table)
                table[term] = idx
            ids.append(idx)
            vals.append(c)
        return np.asarray(ids, dtype=np.int64), np.asarray(vals, dtype=np.float64)


class FaqMatcher:
    """Matches questions to FAQ entries (implements :class:`bot.ports.AnswerFinder`).

    ``entries`` is the knowledge base, ``thresholds`` the decision thresholds (defaults from
    :class:`MatchThresholds`) and ``default_lang`` the language assumed when detection cannot tell.
    ``rebuild`` is incremental: the features of unchanged phrasings are reused.
    """

    def __init__(
        self,
        entries: Sequence[FaqEntry] = (),
        thresholds: MatchThresholds | None = None,
        default_lang: str = "id",
        weights: ScoreWeights | None = None,
    ) -> None:
        self._thresholds = thresholds or MatchThresholds()
        self.default_lang = default_lang
        self.weights = weights or ScoreWeights()
        self._word_vocab = _Vocabulary()
        self._char_vocab = _Vocabulary()
        self._cache: dict[tuple[str, str], _Features] = {}
        self._norm_cache: dict[str, str] = {}
        self._entries: list[FaqEntry] = []
        self.rebuild(entries, thresholds)

    # --- configuration -------------------------------------------------------------------------

    @property
    def thresholds(self) -> MatchThresholds:
        """The decision thresholds in use."""
        return self._thresholds

    def set_thresholds(self, thresholds: MatchThresholds) -> None:
        """Use new decision thresholds (scores are unaffected)."""
        self._thresholds = thresholds

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        """The entries the matcher was built from."""
        return tuple(self._entries)

    @property
    def size(self) -> int:
        """Number of indexed phrasings."""
        return len(self._row_entry)

    # --- building ------------------------------------------------------------------------------

    def _features(self, norm: str, lang: str, grow: bool) -> _Features:
        key = (norm, lang)
        if grow:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        w_ids, w_counts = self._word_vocab.encode(_word_terms(norm, lang), grow)
        c_ids, c_counts = self._char_vocab.encode(_char_terms(norm), grow)
        feats = _Features(w_ids, w_counts, c_ids, c_counts)
        if grow:
            self._cache[key] = feats
        return feats

    def rebuild(self, entries: Sequence[FaqEntry], thresholds: MatchThresholds | None = None) -> None:
        """Index ``entries`` (replacing the previous ones); optionally set new thresholds."""
        if thresholds is not None:
            self._thresholds = thresholds
        self._entries = list(entries)
        rows: list[_Features] = []
        row_entry: list[int] = []
        row_text: list[str] = []
        for e_idx, entry in enumerate(self._entries):
            for lang, phrasings in entry.questions.items():
                for phrasing in phrasings:
                    norm = self._norm_cache.get(phrasing)
                    if norm is None:
                        norm = self._norm_cache[phrasing] = normalize(phrasing)
                    if not norm:
                        continue
                    rows.append(self._features(norm, lang, grow=True))
                    row_entry.append(e_idx)
                    row_text.append(norm)
        if len(self._cache) > 4 * max(len(rows), 1000):
            self._cache.clear()
            self._norm_cache.clear()
        self._row_entry = np.asarray(row_entry, dtype=np.int64)
        self._row_text = row_text
        n_rows = len(rows)
        n_entries = len(self._entries)
        w = self.weights
        if n_rows == 0:
            self._x = sp.csr_matrix((0, 1))
            self._xt = sp.csr_matrix((1, 0))
            self._ct = sp.csr_matrix((1, 0))
            self._word_idf = np.zeros(0)
            self._char_idf = np.zeros(0)
            self._entry_start = np.zeros(n_entries, dtype=np.int64)
            self._entry_count = np.zeros(n_entries, dtype=np.int64)
            self._entry_has_rows = np.zeros(n_entries, dtype=bool)
            return
        n_word = len(self._word_vocab.ids)
        n_char = len(self._char_vocab.ids)
        self._word_idf = self._idf([r.word_ids for r in rows], n_word, n_rows)
        self._char_idf = self._idf([r.char_ids for r in rows], n_char, n_rows)
        self._n_word = n_word
        x = self._assemble(rows, n_word, n_char, w.word_block)
        self._x = x
        self._xt = x.T.tocsr()
        # entry centroids
        members = sp.csr_matrix(
            (np.ones(n_rows), (self._row_entry, np.arange(n_rows))), shape=(n_entries, n_rows)
        )
        cent = (members @ x).tocsr()
        norms = np.sqrt(np.asarray(cent.multiply(cent).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        cent = sp.diags(1.0 / norms) @ cent
        self._ct = sp.csr_matrix(cent.T)
        # naive Bayes feature masses per entry (multinomial over the TF-IDF weights)
        mass = (members @ x).tocsc()
        self._nb_mass = mass
        alpha = w.bayes_alpha
        n_features = x.shape[1]
        totals = np.asarray(mass.sum(axis=1)).ravel()
        self._nb_lognorm = np.log(totals + alpha * n_features)
        feature_mass = np.asarray(mass.sum(axis=0)).ravel()
        self._nb_background = np.log(feature_mass + alpha) - math.log(
            float(totals.sum()) + alpha * n_features
        )
        self._entry_start = np.searchsorted(self._row_entry, np.arange(n_entries))
        self._entry_count = np.bincount(self._row_entry, minlength=n_entries)
        self._entry_has_rows = self._entry_count > 0

    @staticmethod
    def _idf(id_lists: list[np.ndarray], n_features: int, n_rows: int) -> np.ndarray:
        all_ids = np.concatenate(id_lists) if id_lists else np.zeros(0, dtype=np.int64)
        df = np.bincount(all_ids, minlength=n_features).astype(np.float64)
        return np.log((n_rows + 1.0) / (df + 1.0)) + 1.0

    def _block(self, ids: np.ndarray, counts: np.ndarray, idf: np.ndarray) -> np.ndarray:
        vals = (1.0 + np.log(counts)) * idf[ids]
        norm = math.sqrt(float(vals @ vals)) if vals.size else 0.0
        return vals / norm if norm > 0 else vals

    def _vector(self, feats: _Features, word_block: float) -> tuple[np.ndarray, np.ndarray]:
        ww, wc = math.sqrt(word_block), math.sqrt(1.0 - word_block)
        wv = self._block(feats.word_ids, feats.word_counts, self._word_idf) * ww
        cv = self._block(feats.char_ids, feats.char_counts, self._char_idf) * wc
        ids = np.concatenate([feats.word_ids, feats.char_ids + self._n_word])
        vals = np.concatenate([wv, cv])
        norm = math.sqrt(float(vals @ vals)) if vals.size else 0.0
        return ids, (vals / norm if norm > 0 else vals)

    def _assemble(self, rows: list[_Features], n_word: int, n_char: int, word_block: float) -> sp.csr_matrix:
        ww, wc = math.sqrt(word_block), math.sqrt(1.0 - word_block)
        lens_w = np.fromiter((r.word_ids.size for r in rows), dtype=np.int64, count=len(rows))
        lens_c = np.fromiter((r.char_ids.size for r in rows), dtype=np.int64, count=len(rows))
        w_ids = np.concatenate([r.word_ids for r in rows])
        c_ids = np.concatenate([r.char_ids for r in rows])
        w_vals = (1.0 + np.log(np.concatenate([r.word_counts for r in rows]))) * self._word_idf[w_ids]
        c_vals = (1.0 + np.log(np.concatenate([r.char_counts for r in rows]))) * self._char_idf[c_ids]
        row_w = np.repeat(np.arange(len(rows)), lens_w)
        row_c = np.repeat(np.arange(len(rows)), lens_c)
        nw = np.sqrt(np.bincount(row_w, weights=w_vals * w_vals, minlength=len(rows)))
        nc = np.sqrt(np.bincount(row_c, weights=c_vals * c_vals, minlength=len(rows)))
        nw[nw == 0] = 1.0
        nc[nc == 0] = 1.0
        w_vals = w_vals / nw[row_w] * ww
        c_vals = c_vals / nc[row_c] * wc
        rows_all = np.concatenate([row_w, row_c])
        cols = np.concatenate([w_ids, c_ids + n_word])
        vals = np.concatenate([w_vals, c_vals])
        tot = np.sqrt(np.bincount(rows_all, weights=vals * vals, minlength=len(rows)))
        tot[tot == 0] = 1.0
        vals = vals / tot[rows_all]
        return sp.csr_matrix((vals, (rows_all, cols)), shape=(len(rows), n_word + n_char))

    # --- matching ------------------------------------------------------------------------------

    def _components(self, norm: str, lang: str) -> dict[str, np.ndarray]:
        """Per-entry component arrays (each of length ``len(entries)``), before fuzzy re-checking."""
        feats = self._features(norm, lang, grow=False)
        ids, vals = self._vector(feats, self.weights.word_block)
        if ids.size == 0 or self._x.shape[0] == 0:
            return {}
        w = self.weights
        sims = np.asarray(self._xt[ids].T @ vals).ravel()
        cent = np.asarray(self._ct[ids].T @ vals).ravel()
        best = np.zeros(len(self._entries))
        has = self._entry_has_rows
        best[has] = np.maximum.reduceat(sims, self._entry_start[has])
        gathered = self._nb_mass[:, ids].toarray()
        loglik = np.log(gathered + w.bayes_alpha) @ vals - self._nb_lognorm * float(vals.sum())
        loglik[~has] = -np.inf
        z = (loglik - loglik.max()) / w.bayes_temperature
        post = np.exp(z)
        post /= post.sum()
        lift = loglik - float(self._nb_background[ids] @ vals)
        return {"max": best, "centroid": cent, "bayes": post, "lift": lift, "_sims": sims}

    def _score_entries(self, norm: str, lang: str) -> list[Candidate]:
        comps = self._components(norm, lang)
        if not comps:
            return []
        w = self.weights
        base = w.max * comps["max"] + w.centroid * comps["centroid"] + w.bayes * comps["bayes"]
        n_entries = base.size
        top = min(n_entries, max(w.fuzzy_top, MAX_CANDIDATES))
        order = np.argpartition(-base, top - 1)[:top] if top < n_entries else np.arange(n_entries)
        sims = comps["_sims"]
        cands: list[Candidate] = []
        query = norm[:300]
        for e in order:
            if not self._entry_has_rows[e]:
                continue
            start = self._entry_start[e]
            rows = np.arange(start, start + self._entry_count[e])
            # fuzzy check against the entry's closest phrasings (bounded work per entry)
            closest = rows[np.argsort(-sims[rows])[:10]]
            choices = [self._row_text[r] for r in closest]
            hit = process.extractOne(query, choices, scorer=fuzz.token_set_ratio)
            fz = (hit[1] / 100.0) if hit else 0.0
            total = float(base[e] + w.fuzzy * fz)
            parts = (
                ("max", round(100 * float(comps["max"][e]), 1)),
                ("centroid", round(100 * float(comps["centroid"][e]), 1)),
                ("bayes", round(100 * float(comps["bayes"][e]), 1)),
                ("fuzzy", round(100 * fz, 1)),
                ("lift", round(float(comps["lift"][e]), 2)),
            )
            cands.append(Candidate(self._entries[e].id, round(min(100.0, max(0.0, 100 * total)), 2), parts))
        cands.sort(key=lambda c: -c.score)
        return cands

    def rank(self, text: str, lang: str | None = None, k: int = MAX_CANDIDATES) -> list[Candidate]:
        """The ``k`` best candidates for ``text``, best first (empty when nothing is comparable)."""
        norm = normalize((text or "")[:MAX_QUERY_CHARS])
        if not norm or not self._entries:
            return []
        language = lang or detect_language(text[:MAX_QUERY_CHARS], self.default_lang)
        return self._score_entries(norm, language)[:k]

    def decide(self, candidates: Sequence[Candidate], thresholds: MatchThresholds | None = None) -> Decision:
        """Apply the thresholds to ranked candidates."""
        t = thresholds or self._thresholds
        if not candidates:
            return Decision.ESCALATE
        best = candidates[0].score
        runner = candidates[1].score if len(candidates) > 1 else 0.0
        if best >= t.answer and best - runner >= t.margin:
            return Decision.ANSWER
        if best >= t.clarify:
            return Decision.CLARIFY
        return Decision.ESCALATE

    def match(self, text: str, lang: str | None = None) -> MatchResult:
        """Match ``text``: normalised form, language, decision and up to five candidates."""
        raw = text or ""
        clipped = raw[:MAX_QUERY_CHARS]
        norm = normalize(clipped)
        language = lang or detect_language(clipped, self.default_lang)
        if not norm or not self._entries:
            return MatchResult(raw, norm, language, Decision.ESCALATE, ())
        cands = self._score_entries(norm, language)[:MAX_CANDIDATES]
        decision = self.decide(cands)
        if decision is Decision.ESCALATE:
            return MatchResult(raw, norm, language, decision, ())
        if decision is Decision.CLARIFY:
            floor = self._thresholds.clarify
            close = tuple(c for c in cands[:CLARIFY_CHOICES] if c.score >= floor) or cands[:1]
            return MatchResult(raw, norm, language, decision, tuple(close))
        return MatchResult(raw, norm, language, decision, tuple(cands))
