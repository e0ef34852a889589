"""The FAQ matcher: finds the entry a chat question is about, and says how sure it is.

How a question is scored (every step is cheap and explainable):

1. ``normalize`` the text (case, accents, punctuation, stretched letters, chat slang).
2. Turn it into two TF-IDF vectors (sublinear term frequency, L2-normalised): word uni- and
   bigrams over lightly stemmed words, and character 3-5-grams inside word boundaries (typo and
   morphology tolerant). The blocks are joined with fixed weights, so the whole vector has length 1.
   Words and n-grams of the question that the knowledge base never uses count in its length as
   very rare features, so a question mostly about something else scores lower.
3. One pass over the posting lists of the query's features gives, for every entry: ``max`` (cosine
   to its best single phrasing), ``centroid`` (cosine to the normalised mean of its phrasings) and a
   multinomial naive Bayes log-likelihood over the same TF-IDF weights. Features found in more
   than a tenth of the phrasings are left out of the phrasing cosines (they add little and would
   be most of the work).
4. ``bayes`` is the naive Bayes posterior over entries (the discriminative signal); ``odds`` is the
   same as log10 odds (``2`` means the entry is a hundred times likelier than all others together),
   which keeps its resolution where the posterior saturates near 100 %; ``lift`` is the
   log-likelihood ratio against the whole knowledge base.
5. The few best entries are re-checked with rapidfuzz (``fuzzy``: token-set ratio against their
   closest phrasings), which forgives typos the n-grams miss.
6. ``score`` (0-100) is a fixed weighted sum of ``max``, ``centroid``, ``bayes`` and ``fuzzy``
   (:class:`ScoreWeights`) and ranks the candidates.
7. ``decide`` applies the explicit :class:`~bot.core.types.MatchThresholds`. Without ``weights`` the
   thresholds compare the best score (answer / margin / clarify); with ``weights`` (fitted by
   :func:`knowledge_base.calibration.calibrate`) the score alone decides whether to escalate
   (below ``clarify``), and among the rest the answer threshold compares a *confidence*, a
   logistic combination of a few named decision features of the best candidate (see
   :func:`decision_features` and :func:`confidence`).

Every candidate carries its components (and ``cover``: the share of the question's weight on
features the entry's phrasings contain) so ``--explain`` can show why it ranked where it did.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import scipy.sparse as sp
from rapidfuzz import fuzz, process

from bot.core.language import detect_language
from bot.core.pleasantries import topic_of
from bot.core.types import Candidate, Decision, FaqEntry, MatchResult, MatchThresholds
from knowledge_base.confidence import ODDS_LIMIT, confidence, decision_features, ruled_out
from knowledge_base.features import TermFeatures, Vocabulary, char_terms, index_ranges, word_terms
from knowledge_base.normalize import normalize

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
    unknown_word: float = 1.0
    """An unknown word weighs like a feature with this multiple of the highest IDF ..."""
    unknown_char: float = 2.0
    """... and an unknown character n-gram like this multiple (typos make some: kept moderate)."""
    common_share: float = 0.1
    """Features in more than this share of the phrasings are left out of the phrasing cosines."""
    common_min: int = 50


class FaqMatcher:
    """Matches questions to FAQ entries (implements :class:`bot.core.ports.AnswerFinder`).

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
        self._word_vocab = Vocabulary()
        self._char_vocab = Vocabulary()
        self._cache: dict[tuple[str, str], TermFeatures] = {}
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

    def _features(self, norm: str, lang: str, grow: bool) -> TermFeatures:
        key = (norm, lang)
        if grow:
            cached = self._cache.get(key)
            if cached is not None:
                return cached
        w_ids, w_counts, w_unknown = self._word_vocab.encode(word_terms(norm, lang), grow)
        c_ids, c_counts, c_unknown = self._char_vocab.encode(char_terms(norm), grow)
        feats = TermFeatures(w_ids, w_counts, c_ids, c_counts, w_unknown, c_unknown)
        if grow:
            self._cache[key] = feats
        return feats

    def rebuild(self, entries: Sequence[FaqEntry], thresholds: MatchThresholds | None = None) -> None:
        """Index ``entries`` (replacing the previous ones); optionally set new thresholds."""
        if thresholds is not None:
            self._thresholds = thresholds
        self._entries = list(entries)
        rows: list[TermFeatures] = []
        row_entry: list[int] = []
        row_text: list[str] = []
        for e_idx, entry in enumerate(self._entries):
            for lang, phrasings in entry.questions.items():
                for phrasing in phrasings:
                    norm = self._norm_cache.get(phrasing)
                    if norm is None:
                        norm = self._norm_cache[phrasing] = topic_of(normalize(phrasing))
                    if not norm:
                        continue
                    rows.append(self._features(norm, lang, grow=True))
                    row_entry.append(e_idx)
                    row_text.append(norm)
        if len(self._cache) > 4 * max(len(rows), 1000):
            self._cache.clear()
            self._norm_cache.clear()
        # rows are grouped by entry (entries are walked in order)
        self._row_entry = np.asarray(row_entry, dtype=np.int64)
        self._row_text = row_text
        n_rows = len(rows)
        n_entries = len(self._entries)
        self._entry_count = np.bincount(self._row_entry, minlength=n_entries).astype(np.int64)
        self._entry_start = np.concatenate([[0], np.cumsum(self._entry_count)[:-1]]).astype(np.int64)
        self._entry_has_rows = self._entry_count > 0
        self._n_word = len(self._word_vocab.ids)
        n_features = self._n_word + len(self._char_vocab.ids)
        self._n_features = n_features
        if n_rows == 0:
            self._word_idf = np.zeros(0)
            self._char_idf = np.zeros(0)
            self._post = self._nb_post = self._postings(sp.csr_matrix((0, n_features)))
            self._nb_lognorm = np.zeros(n_entries)
            self._nb_background = np.zeros(n_features)
            return
        x = self._assemble(rows)
        # entry centroids and naive Bayes masses (multinomial over the TF-IDF weights)
        members = sp.csr_matrix(
            (np.ones(n_rows), (self._row_entry, np.arange(n_rows))), shape=(n_entries, n_rows)
        )
        mass = (members @ x).tocsr()
        mass.sum_duplicates()
        norms = np.sqrt(np.asarray(mass.multiply(mass).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        cent = sp.diags(1.0 / norms) @ mass
        alpha = self.weights.bayes_alpha
        totals = np.asarray(mass.sum(axis=1)).ravel()
        self._nb_lognorm = np.log(totals + alpha * n_features)
        feature_mass = np.asarray(mass.sum(axis=0)).ravel()
        self._nb_background = np.log(feature_mass + alpha) - math.log(
            float(totals.sum()) + alpha * n_features
        )
        nb = mass.copy()
        nb.data = np.log1p(nb.data / alpha)
        # posting lists: feature -> [phrasings | centroids], and feature -> naive Bayes log-ratios.
        # Phrasing postings of very common features (in more than ``common_share`` of the
        # phrasings, e.g. the character n-gram " th") are left out: their low IDF makes them add
        # little to any cosine, but they would be most of the work per question.
        common = self._df > max(self.weights.common_min, self.weights.common_share * n_rows)
        x_post = x @ sp.diags((~common).astype(np.float64)) if common.any() else x
        self._post = self._postings(sp.vstack([x_post, cent], format="csr"))
        self._nb_post = self._postings(nb)

    @staticmethod
    def _postings(m: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr, indices, data)`` of the transpose: for each feature, the rows that have it."""
        t = m.T.tocsr()
        return t.indptr.astype(np.int64), t.indices.astype(np.int64), t.data

    @staticmethod
    def _idf(df: np.ndarray, n_rows: int) -> np.ndarray:
        return np.log((n_rows + 1.0) / (df + 1.0)) + 1.0

    def _assemble(self, rows: list[TermFeatures]) -> sp.csr_matrix:
        """The phrasing matrix (rows x features), each row of length 1; also sets the IDF tables."""
        n_rows = len(rows)
        n_word = self._n_word
        n_char = self._n_features - n_word
        block = self.weights.word_block
        ww, wc = math.sqrt(block), math.sqrt(1.0 - block)
        lens_w = np.fromiter((r.word_ids.size for r in rows), dtype=np.int64, count=n_rows)
        lens_c = np.fromiter((r.char_ids.size for r in rows), dtype=np.int64, count=n_rows)
        w_ids = np.concatenate([r.word_ids for r in rows])
        c_ids = np.concatenate([r.char_ids for r in rows])
        df_word = np.bincount(w_ids, minlength=n_word).astype(np.float64)
        df_char = np.bincount(c_ids, minlength=n_char).astype(np.float64)
        self._df = np.concatenate([df_word, df_char])
        self._word_idf = self._idf(df_word, n_rows)
        self._char_idf = self._idf(df_char, n_rows)
        w_vals = (1.0 + np.log(np.concatenate([r.word_counts for r in rows]))) * self._word_idf[w_ids]
        c_vals = (1.0 + np.log(np.concatenate([r.char_counts for r in rows]))) * self._char_idf[c_ids]
        row_w = np.repeat(np.arange(n_rows), lens_w)
        row_c = np.repeat(np.arange(n_rows), lens_c)
        nw = np.sqrt(np.bincount(row_w, weights=w_vals * w_vals, minlength=n_rows))
        nc = np.sqrt(np.bincount(row_c, weights=c_vals * c_vals, minlength=n_rows))
        has_w = nw > 0
        has_c = nc > 0
        nw[~has_w] = 1.0
        nc[~has_c] = 1.0
        # a row with only one block gets all of its length from that block
        scale_w = np.where(has_c, ww, 1.0) / nw
        scale_c = np.where(has_w, wc, 1.0) / nc
        w_vals = w_vals * scale_w[row_w]
        c_vals = c_vals * scale_c[row_c]
        rows_all = np.concatenate([row_w, row_c])
        cols = np.concatenate([w_ids, c_ids + n_word])
        vals = np.concatenate([w_vals, c_vals])
        return sp.csr_matrix((vals, (rows_all, cols)), shape=(n_rows, n_word + n_char))

    # --- matching ------------------------------------------------------------------------------

    def _vector(self, feats: TermFeatures) -> tuple[np.ndarray, np.ndarray]:
        """The query's TF-IDF vector as feature ids and values. Words and character n-grams the
        knowledge base lacks have no column, but they count in each block's length (with the
        highest IDF times ``unknown_word`` / ``unknown_char``), so a question that is largely about
        things the knowledge base never mentions scores lower."""
        block = self.weights.word_block
        wv = (1.0 + np.log(feats.word_counts)) * self._word_idf[feats.word_ids]
        cv = (1.0 + np.log(feats.char_counts)) * self._char_idf[feats.char_ids]
        top_idf = math.log(self.size + 1.0) + 1.0
        nw = math.sqrt(float(wv @ wv) + feats.word_unknown * (self.weights.unknown_word * top_idf) ** 2)
        nc = math.sqrt(float(cv @ cv) + feats.char_unknown * (self.weights.unknown_char * top_idf) ** 2)
        if nw > 0 and nc > 0:
            wv *= math.sqrt(block) / nw
            cv *= math.sqrt(1.0 - block) / nc
        elif nw > 0:
            wv /= nw
        elif nc > 0:
            cv /= nc
        ids = np.concatenate([feats.word_ids, feats.char_ids + self._n_word])
        return ids, np.concatenate([wv, cv])

    def _components(self, norm: str, lang: str) -> dict[str, np.ndarray] | None:
        """Per-entry component arrays (each of length ``len(entries)``), before fuzzy re-checking."""
        feats = self._features(norm, lang, grow=False)
        if feats.word_ids.size + feats.char_ids.size == 0 or self.size == 0:
            return None
        ids, vals = self._vector(feats)
        n_rows = self.size
        n_entries = len(self._entries)
        indptr, indices, data = self._post
        lens = indptr[ids + 1] - indptr[ids]
        pos = index_ranges(indptr[ids], lens)
        acc = np.bincount(
            indices[pos], weights=data[pos] * np.repeat(vals, lens), minlength=n_rows + n_entries
        )
        indptr, indices, data = self._nb_post
        lens = indptr[ids + 1] - indptr[ids]
        pos = index_ranges(indptr[ids], lens)
        cols = indices[pos]
        nb = np.bincount(cols, weights=data[pos] * np.repeat(vals, lens), minlength=n_entries)
        cover = np.bincount(cols, weights=np.repeat(vals * vals, lens), minlength=n_entries)
        sims = acc[:n_rows]
        cent = acc[n_rows:]
        has = self._entry_has_rows
        best = np.zeros(n_entries)
        best[has] = np.maximum.reduceat(sims, self._entry_start[has])
        mass = float(vals.sum())
        w = self.weights
        loglik = nb + (math.log(w.bayes_alpha) - self._nb_lognorm) * mass
        loglik[~has] = -np.inf
        z = (loglik - loglik.max()) / w.bayes_temperature
        post = np.exp(z)
        post /= post.sum()
        lift = loglik - float(self._nb_background[ids] @ vals)
        return {
            "max": best,
            "centroid": cent,
            "bayes": post,
            "lift": lift,
            "cover": cover,
            "_z": z,
            "_sims": sims,
        }

    def score_entries(
        self, norm: str, lang: str, include: Sequence[int] | np.ndarray = ()
    ) -> list[Candidate]:
        """Candidates for the normalised text ``norm``, best first: the lexically best few, plus
        the entries at the indexes ``include`` (e.g. the semantically best ones), all scored.
        Opening greetings and closing thanks are left out (:func:`bot.core.pleasantries.topic_of`),
        as they are from the phrasings indexed."""
        norm = topic_of(norm)
        comps = self._components(norm, lang)
        if comps is None:
            return []
        w = self.weights
        base = w.max * comps["max"] + w.centroid * comps["centroid"] + w.bayes * comps["bayes"]
        n_entries = base.size
        top = min(n_entries, max(w.fuzzy_top, MAX_CANDIDATES))
        order = np.argpartition(-base, top - 1)[:top] if top < n_entries else np.arange(n_entries)
        if len(include):
            order = np.unique(np.concatenate([order, np.asarray(include, dtype=np.int64)]))
        sims = comps["_sims"]
        z = comps["_z"]
        exp_z = np.exp(z)
        total = float(exp_z.sum())
        cands: list[Candidate] = []
        query = norm[:300]
        ln10 = math.log(10.0)
        for e in order:
            if not self._entry_has_rows[e]:
                continue
            start = int(self._entry_start[e])
            count = int(self._entry_count[e])
            block = sims[start : start + count]
            # fuzzy check against the entry's closest phrasings (bounded work per entry)
            closest = np.argpartition(-block, 9)[:10] if count > 10 else np.arange(count)
            choices = [self._row_text[start + int(r)] for r in closest]
            hit = process.extractOne(query, choices, scorer=fuzz.token_set_ratio)
            fz = (hit[1] / 100.0) if hit else 0.0
            total_score = float(base[e] + w.fuzzy * fz)
            # log10 odds: this entry against the sum over all others
            rest = total - float(exp_z[e])
            if rest > 1e-9 * total:
                odds = (float(z[e]) - math.log(rest)) / ln10
            else:  # the entry holds nearly all the mass: sum the others directly (no cancellation)
                others = np.delete(z, e)
                odds = ODDS_LIMIT
                if others.size:
                    odds = (float(z[e]) - float(np.logaddexp.reduce(others))) / ln10
            odds = max(-ODDS_LIMIT, min(ODDS_LIMIT, odds))
            parts = (
                ("max", round(100 * float(comps["max"][e]), 1)),
                ("centroid", round(100 * float(comps["centroid"][e]), 1)),
                ("bayes", round(100 * float(comps["bayes"][e]), 1)),
                ("fuzzy", round(100 * fz, 1)),
                ("lift", round(float(comps["lift"][e]), 2)),
                ("odds", round(odds, 2)),
                ("cover", round(100 * float(comps["cover"][e]), 1)),
            )
            cands.append(
                Candidate(self._entries[e].id, round(min(100.0, max(0.0, 100 * total_score)), 2), parts)
            )
        cands.sort(key=lambda c: -c.score)
        return cands

    def entry_index(self) -> np.ndarray:
        """For every indexed phrasing (in :meth:`phrasing_texts` order), the index of its entry."""
        return self._row_entry

    def phrasing_texts(self) -> list[str]:
        """The normalised text of every indexed phrasing, grouped by entry."""
        return list(self._row_text)

    def rank(self, text: str, lang: str | None = None, k: int = MAX_CANDIDATES) -> list[Candidate]:
        """The ``k`` best candidates for ``text``, best first (empty when nothing is comparable)."""
        norm = normalize((text or "")[:MAX_QUERY_CHARS])
        if not norm or not self._entries:
            return []
        language = lang or detect_language(text[:MAX_QUERY_CHARS], self.default_lang)
        return self.score_entries(norm, language)[:k]

    def decide(self, candidates: Sequence[Candidate], thresholds: MatchThresholds | None = None) -> Decision:
        """Apply the thresholds to ranked candidates (see the module doc)."""
        t = thresholds or self._thresholds
        if not candidates:
            return Decision.ESCALATE
        best = candidates[0].score
        runner = candidates[1].score if len(candidates) > 1 else 0.0
        if ruled_out(candidates):
            return Decision.ESCALATE
        if t.weights:
            sure = confidence(decision_features(candidates), t.weights)
            if sure >= t.answer and best - runner >= t.margin and best >= t.answer_floor:
                return Decision.ANSWER
        elif best >= t.answer and best - runner >= t.margin:
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
        cands = self.score_entries(norm, language)[:MAX_CANDIDATES]
        return result_for(self, raw, norm, language, cands)


class DecidingMatcher(Protocol):
    """What :func:`result_for` needs of a matcher."""

    @property
    def thresholds(self) -> MatchThresholds: ...

    def decide(
        self, candidates: Sequence[Candidate], thresholds: MatchThresholds | None = None
    ) -> Decision: ...


CLARIFY_SPREAD = 15.0
"""A choice is offered when its score is within this of the best one (or reaches ``clarify``)."""


def result_for(
    matcher: DecidingMatcher, raw: str, norm: str, lang: str, cands: list[Candidate]
) -> MatchResult:
    """The match result for ranked candidates: the decision, the answer confidence on the best
    candidate (for ``--explain``), and the candidates, always listed whatever the decision (for
    ``clarify``, the up to three worth offering)."""
    thresholds = matcher.thresholds
    if cands and thresholds.weights:
        sure = round(confidence(decision_features(cands), thresholds.weights), 1)
        top = cands[0]
        cands = [Candidate(top.entry_id, top.score, (*top.components, ("confidence", sure))), *cands[1:]]
    decision = matcher.decide(cands)
    if decision is Decision.CLARIFY:
        floor = min(thresholds.clarify, cands[0].score - CLARIFY_SPREAD)
        close = tuple(c for c in cands[:CLARIFY_CHOICES] if c.score >= floor) or tuple(cands[:1])
        return MatchResult(raw, norm, lang, decision, close)
    return MatchResult(raw, norm, lang, decision, tuple(cands))
