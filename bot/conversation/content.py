"""Whether a message says anything a specialist could act on.

"halo", "tes", "pagi pak", a single word or a keyboard mash give the matcher nothing to work with;
before opening a ticket for such a message the bot asks once for the problem in a sentence.
"""

from __future__ import annotations

import re

from bot.core.pleasantries import FILLER_WORDS

_WORD = re.compile(r"[^\W\d_]{2,}|\d+[a-z]*\d*", re.IGNORECASE)
_VOWEL = re.compile(r"[aeiouy]", re.IGNORECASE)
_CONSONANT_RUN = re.compile(r"[^aeiouy\W\d_]{5,}", re.IGNORECASE)


def content_words(normalized: str) -> list[str]:
    """The words of a normalised message that can describe a problem (fillers and mashes left out)."""
    words = []
    for word in _WORD.findall(normalized.lower()):
        if word in FILLER_WORDS:
            continue
        if word.isalpha() and len(word) >= 5 and (not _VOWEL.search(word) or _CONSONANT_RUN.search(word)):
            continue  # "sdfgh", "qwrtz": no word of either language
        words.append(word)
    return words


def lacks_content(normalized: str) -> bool:
    """True for a message too thin to act on: at most one content word."""
    return len(content_words(normalized)) <= 1
