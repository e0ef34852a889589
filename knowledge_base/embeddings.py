"""Embeddings of normalised texts: each distinct text is encoded once per model.

Three levels: a dictionary in memory, the :class:`~bot.core.ports.EmbeddingStore` in the database
(shared by every process and kept across restarts), and the encoder itself, which only sees texts
found in neither. Texts are keyed by a hash of the normalised text, so an edited FAQ re-encodes
only the phrasings that changed.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from bot.core.ports import EmbeddingStore
from knowledge_base.encoders.port import TextEncoder

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
"""``progress(done, total)``: called while a long batch of texts is encoded."""

BATCH = 64
QUERY_CACHE = 4096
"""Distinct query texts whose vectors are kept (a burst of the same question is encoded once)."""


def text_key(text: str) -> str:
    """The key of a normalised text (stored beside the model id)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class EncoderUsage:
    """How much the model was needed: queries seen, queries encoded, and the time spent."""

    queries: int = 0
    queries_encoded: int = 0
    query_seconds: float = 0.0
    phrasings_encoded: int = 0
    phrasing_seconds: float = 0.0

    @property
    def share_encoded(self) -> float:
        """Share of queries that needed the model (the rest came from a cache)."""
        return self.queries_encoded / self.queries if self.queries else 0.0

    @property
    def mean_ms_per_query(self) -> float:
        """Mean model time per query seen (all queries, cached ones count as zero)."""
        return 1000.0 * self.query_seconds / self.queries if self.queries else 0.0


class EmbeddingCache:
    """Vectors for normalised texts through ``encoder``, cached in memory and in ``store``."""

    def __init__(self, encoder: TextEncoder, store: EmbeddingStore | None = None) -> None:
        self.encoder = encoder
        self.store = store
        self.usage = EncoderUsage()
        self._memory: dict[str, np.ndarray] = {}
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """The encoder's model id (loads the model)."""
        return self.encoder.model_id

    def vectors(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """One unit vector per text (rows in order); only texts never seen are encoded."""
        import time

        keys = [text_key(t) for t in texts]
        missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._memory}
        model_id = self.encoder.model_id
        if missing and self.store is not None:
            try:
                for key, blob in self.store.load(model_id, list(missing)).items():
                    self._memory[key] = np.frombuffer(blob, dtype=np.float32)
                    missing.pop(key, None)
            except Exception:  # the database is a cache here: never fatal
                log.warning("could not read stored embeddings; encoding instead", exc_info=True)
        if missing:
            todo = list(missing.items())
            fresh: dict[str, bytes] = {}
            start = time.perf_counter()
            for i in range(0, len(todo), BATCH):
                chunk = todo[i : i + BATCH]
                out = self.encoder.encode([t for _, t in chunk])
                for (key, _), vec in zip(chunk, out, strict=True):
                    self._memory[key] = vec
                    fresh[key] = vec.astype(np.float32).tobytes()
                if progress is not None:
                    progress(min(i + BATCH, len(todo)), len(todo))
            self.usage.phrasings_encoded += len(todo)
            self.usage.phrasing_seconds += time.perf_counter() - start
            if self.store is not None and fresh:
                try:
                    self.store.save(model_id, fresh)
                except Exception:
                    log.warning("could not store embeddings (they are kept in memory)", exc_info=True)
        if not keys:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([self._memory[k] for k in keys])

    def known(self, text: str) -> np.ndarray | None:
        """The vector of ``text`` if it is already cached (a phrasing or a recent query)."""
        key = text_key(text)
        vec = self._memory.get(key)
        return vec if vec is not None else self._queries.get(key)

    def query(self, text: str) -> np.ndarray:
        """The vector of one query text: from a cache when this text was seen, else encoded."""
        import time

        self.usage.queries += 1
        key = text_key(text)
        with self._lock:
            vec = self._memory.get(key)
            if vec is None:
                vec = self._queries.get(key)
                if vec is not None:
                    self._queries.move_to_end(key)
            if vec is not None:
                return vec
        start = time.perf_counter()
        vec = self.encoder.encode([text])[0]
        self.usage.query_seconds += time.perf_counter() - start
        self.usage.queries_encoded += 1
        with self._lock:
            self._queries[key] = vec
            if len(self._queries) > QUERY_CACHE:
                self._queries.popitem(last=False)
        return vec

    def forget_unused(self, keep: Sequence[str]) -> None:
        """Drop in-memory vectors of phrasings no longer in the FAQ (``keep``: texts still used)."""
        wanted = {text_key(t) for t in keep}
        if len(self._memory) > 2 * max(len(wanted), 1000):
            self._memory = {k: v for k, v in self._memory.items() if k in wanted}
