"""The encoder port: texts in, unit-length vectors out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class EncoderUnavailable(RuntimeError):
    """The model could not be loaded (library missing, model file missing or broken)."""


class TextEncoder(Protocol):
    """Turns texts into L2-normalised float32 vectors (one row per text).

    ``model_id`` names the model and its version: stored embeddings are keyed by it, so a different
    model never reuses another's vectors. ``encode`` may raise :class:`EncoderUnavailable`.
    """

    @property
    def model_id(self) -> str: ...

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...
