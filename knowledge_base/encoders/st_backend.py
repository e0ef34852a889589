"""An encoder for a model the user keeps on disk, through sentence-transformers (an optional extra:
``pip install 'helpdesk[sentence-transformers]'``). The only module that imports it."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from knowledge_base.encoders.port import EncoderUnavailable


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from ``path`` (never downloaded), on the CPU."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        """``st:<folder name>:<digest of the folder's config>`` (another model, other vectors)."""
        folder = Path(self._path)
        digest = hashlib.sha256()
        for name in ("config.json", "modules.json", "config_sentence_transformers.json"):
            config = folder / name
            if config.is_file():
                digest.update(config.read_bytes())
        return f"st:{folder.name}:{digest.hexdigest()[:12]}"

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    if not Path(self._path).is_dir():
                        raise EncoderUnavailable(f"no model folder at {self._path}")
                    try:
                        from sentence_transformers import SentenceTransformer

                        self._model = SentenceTransformer(self._path, device="cpu", local_files_only=True)
                    except Exception as exc:
                        message = f"sentence-transformers could not load {self._path}: {exc}"
                        raise EncoderUnavailable(message) from exc
        return self._model

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors for ``texts``."""
        model = self._load()
        try:
            out = model.encode(list(texts), normalize_embeddings=True, convert_to_numpy=True)
        except Exception as exc:
            raise EncoderUnavailable(f"sentence-transformers failed: {exc}") from exc
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)
