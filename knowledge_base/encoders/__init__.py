"""Sentence encoders for the semantic signal of the matcher, behind one port (:class:`TextEncoder`).

The model libraries are imported only by their backend module, and only when a model is first used,
so ``helpdesk --help`` and the lexical matcher never pay for them.
"""

from knowledge_base.encoders.factory import LEXICAL, SEMANTIC, make_encoder
from knowledge_base.encoders.port import EncoderUnavailable, TextEncoder

__all__ = ["LEXICAL", "SEMANTIC", "EncoderUnavailable", "TextEncoder", "make_encoder"]
