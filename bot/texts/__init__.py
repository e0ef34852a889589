"""Every user-facing text, one module per language (``en``, ``id``).

A text is a ``str.format`` template or a function of the same fields (for plural-aware wording).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bot.texts import en
from bot.texts import id as indonesian

Template = str | Callable[..., str]

CATALOGUES: Mapping[str, Mapping[str, Template]] = {"en": en.TEXTS, "id": indonesian.TEXTS}


def text(lang: str, key: str, **fields: Any) -> str:
    """The text ``key`` in ``lang`` (falling back to English, then to the key itself)."""
    catalogue = CATALOGUES.get(lang, en.TEXTS)
    template = catalogue.get(key, en.TEXTS.get(key))
    if template is None:
        return key
    if callable(template):
        return template(**fields)
    return template.format(**fields) if fields else template
