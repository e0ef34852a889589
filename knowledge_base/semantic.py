"""The default matcher: the lexical score and a sentence-embedding similarity, blended.

For a question, the lexical matcher (:class:`~knowledge_base.matcher.FaqMatcher`) scores its best
few entries; the embedding of the normalised question is compared with every phrasing's embedding
(one matrix product) and the semantically best few entries are added to those candidates. Each
candidate then gets::

    score = (1 - semantic_weight) * lexical + semantic_weight * semantic

where ``semantic`` rescales to 0-100, between ``cosine_low`` and ``cosine_high`` (e5's cosines
between unrelated questions sit around 0.7), the mean of two cosines: to the entry's closest
phrasing, and to the entry's centroid (the mean of its phrasings' vectors). The closest phrasing
alone lets one loosely worded phrasing win for a question about something else; the centroid is
what the phrasings agree on. On the public sets' validation questions the mean puts the right entry first for
2-5 points more questions than the closest phrasing alone, and separates out-of-scope questions
better (see ``benchmarks/RESULTS.md``).
The thresholds and the answer confidence then work exactly as for the lexical matcher (the
confidence may also weigh the ``semantic`` component).

An optional **phrasing classifier** (:mod:`knowledge_base.phrasing_classifier`, off by default:
``BlendWeights.classifier``), fitted on the FAQ's own phrasing vectors, gives each candidate a
``vote`` (its log probability). The vote orders the
candidates (``classifier_order`` points per unit) and may join the answer confidence; the scores
the thresholds compare stay the blend above, so the choices offered and the escalation line do not
move with it. On the public sets' validation questions it puts the right entry first for 1.5-3
points more questions (CLINC150 with 10 phrasings per intent: 83.4 -> 86.1 %); it stays off until
it no longer raises confident wrong answers on a self-calibrated FAQ (``benchmarks/RESULTS.md``).

The model is asked only for texts it has not seen: phrasing vectors come from the
:class:`~knowledge_base.embeddings.EmbeddingCache` (memory, then the database), and a question
whose normalised text equals a phrasing or a recent question reuses that vector.

Known **out-of-scope questions** (``out_of_scope``: questions people asked that the FAQ does not
answer, e.g. a dataset's out-of-scope training questions or what specialists handled) are indexed
as one more, hidden entry. It is never a candidate; its score is attached to the best candidate as
the ``out_of_scope`` component, and a question closer to it than to any entry is escalated (see
:func:`knowledge_base.confidence.ruled_out`). Its semantic side is the cosine to the closest
example only: the examples are about anything, so their centroid is no topic. Questions about
neighbouring topics the FAQ leaves out, which score like covered ones, are what these examples
catch (BANKING77-OOS: out-of-scope F1 0.78 -> 0.90 with its out-of-scope training questions).
**Generic out-of-scope questions** (``generic_out_of_scope``: the helpdesk's bundled list) join
them, except those as close to one of the FAQ's phrasings as a paraphrase (they are questions this
FAQ answers: :attr:`SemanticMatcher.set_aside`); self-calibration fits the thresholds without them.

When the model cannot be loaded, the matcher says so once in the log and keeps working on the
lexical score alone (:attr:`SemanticMatcher.kind` is then ``lexical``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.language import detect_language
from bot.core.pleasantries import topic_of
from bot.core.types import Candidate, Decision, FaqEntry, MatchResult, MatchThresholds
from knowledge_base.calibration import Calibration
from knowledge_base.confidence import OUT_OF_SCOPE
from knowledge_base.embeddings import EmbeddingCache, Progress
from knowledge_base.encoders.port import EncoderUnavailable
from knowledge_base.matcher import MAX_CANDIDATES, MAX_QUERY_CHARS, FaqMatcher, ScoreWeights, result_for
from knowledge_base.normalize import normalize
from knowledge_base.phrasing_classifier import PhrasingClassifier, fit_classifier
from knowledge_base.self_calibration import SelfCalibrationPlan, self_calibrate

log = logging.getLogger(__name__)

OUT_OF_SCOPE_ID = "\x00out-of-scope"
"""Id of the hidden entry that holds the known out-of-scope questions (no FAQ id can look like it)."""


@dataclass(frozen=True, slots=True)
class BlendWeights:
    """How the semantic similarity joins the lexical score."""

    semantic_weight: float = 0.6
    cosine_low: float = 0.80
    """A cosine at or below this counts as 0 ..."""
    cosine_high: float = 0.96
    """... and at or above this as 100."""
    semantic_top: int = 8
    """The semantically best entries added to the lexical candidates."""
    centroid_weight: float = 0.5
    """The share of the cosine to the entry's centroid (the rest: to its closest phrasing)."""
    classifier: bool = False
    """Fit the phrasing classifier (its log probability becomes each candidate's ``vote``)."""
    classifier_oos: bool = False
    """Give the out-of-scope examples a class of their own (off: self-calibration fits without
    them, so a class of theirs would move the vote between calibration and use)."""
    classifier_weight: float = 0.0
    """Points of semantic score per unit of the phrasing classifier's log probability."""
    classifier_order: float = 10.0
    """Points of blended score per unit of log probability, for ordering the candidates only."""
    classifier_floor: float = -6.0
    """Log probabilities below this count as this."""
    answered_example_cosine: float = 0.90
    """A generic out-of-scope example this close (cosine) to one of the FAQ's phrasings is one
    the FAQ answers: it is set aside."""


class SemanticMatcher:
    """Lexical and semantic matching blended (implements :class:`bot.core.ports.AnswerFinder`).

    ``cache`` holds the encoder and its caches; ``None`` (or a model that fails to load) leaves
    only the lexical score. ``out_of_scope``: known questions the FAQ does not answer (see the
    module doc). The interface is :class:`~knowledge_base.matcher.FaqMatcher`'s.
    """

    def __init__(
        self,
        cache: EmbeddingCache | None,
        entries: Sequence[FaqEntry] = (),
        thresholds: MatchThresholds | None = None,
        default_lang: str = "id",
        weights: ScoreWeights | None = None,
        blend: BlendWeights | None = None,
        progress: Progress | None = None,
        out_of_scope: Sequence[str] = (),
        generic_out_of_scope: Sequence[str] = (),
    ) -> None:
        self.lexical = FaqMatcher(default_lang=default_lang, weights=weights)
        self.out_of_scope = tuple(t for t in out_of_scope if t.strip())
        self.generic_out_of_scope = tuple(t for t in generic_out_of_scope if t.strip())
        self.set_aside: tuple[str, ...] = ()
        """The generic examples the FAQ in use answers (not used)."""
        self._norms: dict[str, str] = {}
        self._entries: tuple[FaqEntry, ...] = ()
        self.cache = cache
        self.blend = blend or BlendWeights()
        self.unavailable: str | None = None if cache is not None else "HELPDESK_MATCHER=lexical"
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._centroids = np.zeros((0, 0), dtype=np.float32)
        self._classifier: PhrasingClassifier | None = None
        self._classifier_before: PhrasingClassifier | None = None
        self.rebuild(entries, thresholds, progress=progress)

    # --- the FaqMatcher interface --------------------------------------------------------------

    @property
    def default_lang(self) -> str:
        """The language assumed when detection cannot tell."""
        return self.lexical.default_lang

    @property
    def thresholds(self) -> MatchThresholds:
        """The decision thresholds in use."""
        return self.lexical.thresholds

    def set_thresholds(self, thresholds: MatchThresholds) -> None:
        """Use new decision thresholds."""
        self.lexical.set_thresholds(thresholds)

    @property
    def entries(self) -> tuple[FaqEntry, ...]:
        """The entries the matcher was built from."""
        return self._entries

    @property
    def size(self) -> int:
        """Number of indexed phrasings."""
        return self.lexical.size

    @property
    def semantic(self) -> bool:
        """Whether the embedding model is in use."""
        return self.unavailable is None

    @property
    def kind(self) -> str:
        """What decides: ``semantic:<model id>`` or ``lexical`` (thresholds are fitted per kind)."""
        if self.cache is not None and self.unavailable is None:
            return f"semantic:{self.cache.model_id}"
        return "lexical"

    def rebuild(
        self,
        entries: Sequence[FaqEntry],
        thresholds: MatchThresholds | None = None,
        progress: Progress | None = None,
    ) -> None:
        """Index ``entries``; only phrasings never encoded before go to the model."""
        self._entries = tuple(entries)
        indexed = list(entries)
        examples = self.out_of_scope + self._generic_examples_kept(entries, progress)
        if examples and entries:
            lang = self.default_lang
            indexed.append(
                FaqEntry(id=OUT_OF_SCOPE_ID, category="other", questions={lang: examples}, answer={})
            )
        self.lexical.rebuild(indexed, thresholds)
        texts = self.lexical.phrasing_texts()
        if self.cache is None or self.unavailable is not None:
            return
        try:
            matrix = self.cache.vectors(texts, progress=progress) if texts else np.zeros((0, 0), np.float32)
        except EncoderUnavailable as exc:
            self._fail(exc)
            return
        self._matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self._centroids = _centroids(self._matrix, self.lexical.entry_index(), len(indexed))
        self._classifier = None
        if self.blend.classifier:
            # the FAQ's entries only: the out-of-scope examples stay a guard, not a class
            rows = self.lexical.entry_index()
            n = len(entries) if not self.blend.classifier_oos else len(indexed)
            own = rows < n
            self._classifier = fit_classifier(
                [e.id for e in indexed[:n]],
                self._matrix[own],
                rows[own],
                self._centroids[:n],
                previous=self._classifier_before,
            )
            self._classifier_before = self._classifier
        self.cache.forget_unused(texts)

    def _generic_examples_kept(
        self, entries: Sequence[FaqEntry], progress: Progress | None
    ) -> tuple[str, ...]:
        """The generic out-of-scope examples no phrasing of ``entries`` is close to (the others go
        to :attr:`set_aside`). Without the model there are none: words alone cannot tell an example
        the FAQ answers from one it does not."""
        self.set_aside = ()
        if not self.generic_out_of_scope or not entries or self.cache is None or self.unavailable is not None:
            return ()
        norms = self._norms
        if len(norms) > 4 * max(self.size, 1000):
            norms.clear()
        for q in (q for e in entries for qs in e.questions.values() for q in qs):
            if q not in norms:
                norms[q] = normalize(q)
        phrasings = sorted({norms[q] for e in entries for qs in e.questions.values() for q in qs} - {""})
        texts = [t for t in self.generic_out_of_scope if normalize(t)]
        try:
            answered = self.cache.vectors(phrasings, progress=progress)
            generic = self.cache.vectors([normalize(t) for t in texts])
        except EncoderUnavailable as exc:
            self._fail(exc)
            return ()
        closest = (generic @ answered.T).max(axis=1) if phrasings and texts else np.zeros(len(texts))
        near = closest >= self.blend.answered_example_cosine
        self.set_aside = tuple(t for t, n in zip(texts, near, strict=True) if n)
        return tuple(t for t, n in zip(texts, near, strict=True) if not n)

    def _fail(self, exc: Exception) -> None:
        self.unavailable = str(exc)
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._centroids = np.zeros((0, 0), dtype=np.float32)
        log.warning("the semantic matcher is off, matching on words only: %s", exc)

    def rank(self, text: str, lang: str | None = None, k: int = MAX_CANDIDATES) -> list[Candidate]:
        """The ``k`` best candidates for ``text``, best first."""
        norm = normalize((text or "")[:MAX_QUERY_CHARS])
        if not norm or not self.entries:
            return []
        language = lang or detect_language(text[:MAX_QUERY_CHARS], self.default_lang)
        return self.rank_normalized(norm, language)[:k]

    def rank_normalized(self, norm: str, lang: str) -> list[Candidate]:
        """Every scored candidate for the normalised text ``norm``, best first."""
        return _set_aside_out_of_scope(self._ranked(norm, lang))

    def _ranked(self, norm: str, lang: str) -> list[Candidate]:
        found = self._semantic_scores(norm)
        if found is None:
            return self.lexical.score_entries(norm, lang)
        sem, vote = found
        top = min(self.blend.semantic_top, sem.size)
        best_sem = np.argpartition(-sem, top - 1)[:top] if top < sem.size else np.arange(sem.size)
        indexed = self.lexical.entries
        if self._hides_out_of_scope():  # always scored
            best_sem = np.union1d(best_sem, [len(indexed) - 1])
        lexical = self.lexical.score_entries(norm, lang, include=best_sem)
        index = {entry.id: i for i, entry in enumerate(indexed)}
        seen = {c.entry_id for c in lexical}
        for e in best_sem:  # entries the lexical side cannot score at all (no shared feature)
            entry_id = indexed[int(e)].id
            if entry_id not in seen:
                lexical.append(Candidate(entry_id, 0.0, ()))
        w = self.blend.semantic_weight
        out = []
        for cand in lexical:
            s = float(sem[index[cand.entry_id]])
            score = round((1.0 - w) * cand.score + w * s, 2)
            parts = (*cand.components, ("lexical", cand.score), ("semantic", round(s, 1)))
            if vote is not None:
                parts = (*parts, ("vote", round(float(vote[index[cand.entry_id]]), 3)))
            out.append(Candidate(cand.entry_id, score, parts))
        if vote is not None and self.blend.classifier_order > 0:
            lift = self.blend.classifier_order
            out.sort(key=lambda c: -(c.score + lift * dict(c.components)["vote"]))
        else:
            out.sort(key=lambda c: -c.score)
        return out

    def _hides_out_of_scope(self) -> bool:
        """Whether the last indexed entry is the hidden one of the out-of-scope examples."""
        indexed = self.lexical.entries
        return bool(indexed) and indexed[-1].id == OUT_OF_SCOPE_ID

    def _semantic_scores(self, norm: str) -> tuple[np.ndarray, np.ndarray | None] | None:
        """0-100 per entry: the rescaled mean of the cosines to the entry's closest phrasing and
        to its centroid (``None``: off), for the topic of ``norm`` (greetings and thanks left out)."""
        if self.cache is None or self.unavailable is not None or self._matrix.size == 0:
            return None
        norm = topic_of(norm)
        query = self.cache.known(norm)
        if query is None:
            try:
                query = self.cache.query(norm)
            except EncoderUnavailable as exc:
                self._fail(exc)
                return None
        sims = self._matrix @ query
        rows = self.lexical.entry_index()
        n_entries = len(self.lexical.entries)
        best = np.full(n_entries, -1.0, dtype=np.float64)
        np.maximum.at(best, rows, sims.astype(np.float64))
        b = self.blend
        if b.centroid_weight > 0 and self._centroids.shape[0] == n_entries:
            central = (self._centroids @ query).astype(np.float64)
            blended = (1.0 - b.centroid_weight) * best + b.centroid_weight * central
            if self._hides_out_of_scope():  # the examples are about anything: their centroid is no topic
                blended[-1] = best[-1]
            best = blended
        scores = np.clip((best - b.cosine_low) / (b.cosine_high - b.cosine_low), 0.0, 1.0) * 100.0
        vote = None
        if self._classifier is not None:
            vote = np.zeros(n_entries, dtype=np.float64)
            found = np.maximum(self._classifier.log_proba(query), b.classifier_floor)
            vote[: found.size] = found
            scores = np.clip(scores + b.classifier_weight * vote, 0.0, 100.0)
        return scores, vote

    def prepare(self, text: str) -> None:
        """Encode ``text`` ahead of :meth:`match` (called off the event loop and outside any
        transaction, so the match inside the unit of work finds the vector cached)."""
        if self.cache is None or self.unavailable is not None or self._matrix.size == 0:
            return
        norm = topic_of(normalize((text or "")[:MAX_QUERY_CHARS]))
        if not norm:
            return
        try:
            self.cache.query(norm)
        except EncoderUnavailable as exc:
            self._fail(exc)

    def is_prepared(self, text: str) -> bool:
        """Whether :meth:`prepare` has nothing to do for ``text``: no model in use, or its vector
        is cached (a phrasing, or a question seen recently)."""
        if self.cache is None or self.unavailable is not None or self._matrix.size == 0:
            return True
        norm = topic_of(normalize((text or "")[:MAX_QUERY_CHARS]))
        return not norm or self.cache.known(norm) is not None

    def like(self, entries: Sequence[FaqEntry], generic: bool = True) -> SemanticMatcher:
        """A matcher of the same kind (same encoder and caches, same thresholds) on ``entries``
        (``generic=False``: without the generic out-of-scope examples)."""
        cache = self.cache if self.unavailable is None else None
        other = SemanticMatcher(
            cache,
            entries,
            self.thresholds,
            self.default_lang,
            self.lexical.weights,
            self.blend,
            out_of_scope=self.out_of_scope,
            generic_out_of_scope=self.generic_out_of_scope if generic else (),
        )
        if cache is None:
            other.unavailable = self.unavailable
        return other

    def calibrate_self(
        self,
        labelled: Sequence[tuple[str, str]] = (),
        plan: SelfCalibrationPlan | None = None,
        progress: Progress | None = None,
    ) -> Calibration:
        """Thresholds fitted to this FAQ (see :mod:`knowledge_base.self_calibration`), with figures;
        the thresholds in use are not changed.

        The fit runs without the generic out-of-scope examples: the simulated out-of-scope
        questions include generic off-topic messages of the same kind, which the examples would
        rule out wholesale, so the thresholds would follow how two generic lists overlap instead
        of the FAQ. The examples then only add their guard (a question closer to one of them than
        to any entry is escalated)."""
        base = self.like(self.entries, generic=False) if self.generic_out_of_scope else self

        def warm(texts: Sequence[str]) -> None:
            base.warm_up(texts, progress)

        def like(entries: Sequence[FaqEntry]) -> SemanticMatcher:
            return base.like(entries)

        return self_calibrate(base, base.entries, like, labelled, plan, progress, warm)

    def warm_up(self, texts: Sequence[str], progress: Progress | None = None) -> None:
        """Encode ``texts`` in batches ahead of ranking them one by one."""
        if self.cache is None or self.unavailable is not None:
            return
        norms = sorted({n for n in (normalize(t[:MAX_QUERY_CHARS]) for t in texts) if n})
        try:
            self.cache.vectors(norms, progress=progress)
        except EncoderUnavailable as exc:
            self._fail(exc)

    def fit_thresholds(
        self, labelled: Sequence[tuple[str, str]] = (), progress: Progress | None = None
    ) -> MatchThresholds:
        """Thresholds fitted to this FAQ (the :class:`~bot.core.ports.CalibratingFinder` port)."""
        return self.calibrate_self(labelled, progress=progress).thresholds

    def decide(self, candidates: Sequence[Candidate], thresholds: MatchThresholds | None = None) -> Decision:
        """Apply the thresholds to ranked candidates (the lexical matcher's rule)."""
        return self.lexical.decide(candidates, thresholds or self.thresholds)

    def match(self, text: str, lang: str | None = None) -> MatchResult:
        """Decision and up to five candidates (always listed, whatever the decision)."""
        raw = text or ""
        clipped = raw[:MAX_QUERY_CHARS]
        norm = normalize(clipped)
        language = lang or detect_language(clipped, self.default_lang)
        if not norm or not self.entries:
            return MatchResult(raw, norm, language, Decision.ESCALATE, ())
        cands = self.rank_normalized(norm, language)[:MAX_CANDIDATES]
        return result_for(self, raw, norm, language, cands)


def _set_aside_out_of_scope(ranked: list[Candidate]) -> list[Candidate]:
    """``ranked`` without the hidden out-of-scope entry, whose score (0 when it was not scored)
    the best candidate carries as its ``out_of_scope`` component."""
    hidden = next((c for c in ranked if c.entry_id == OUT_OF_SCOPE_ID), None)
    out = [c for c in ranked if c.entry_id != OUT_OF_SCOPE_ID] if hidden is not None else ranked
    if hidden is None or not out:
        return out
    best = out[0]
    return [Candidate(best.entry_id, best.score, (*best.components, (OUT_OF_SCOPE, hidden.score))), *out[1:]]


def _centroids(matrix: np.ndarray, rows: np.ndarray, n_entries: int) -> np.ndarray:
    """Per entry, the unit-length mean of its phrasings' vectors (``rows``: each phrasing's entry)."""
    if matrix.size == 0 or n_entries == 0:
        return np.zeros((0, 0), dtype=np.float32)
    order = np.argsort(rows, kind="stable")
    starts = np.searchsorted(rows[order], np.arange(n_entries))
    counts = np.bincount(rows, minlength=n_entries)
    sums = np.add.reduceat(matrix[order], np.minimum(starts, len(rows) - 1), axis=0)
    sums[counts == 0] = 0.0  # reduceat gives a row, not nothing, for an entry without phrasings
    norms = np.linalg.norm(sums, axis=1, keepdims=True)
    return np.ascontiguousarray(sums / np.where(norms > 0, norms, 1.0), dtype=np.float32)
