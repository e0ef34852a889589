"""FAQ gaps: the questions the bot could not answer, grouped by similarity so the recap names each gap
once."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

Similarity = Callable[[str, str], float]


_WORD = re.compile(r"[^\W_]+", re.UNICODE)

_STOPWORDS_TEXT = """
    a an the is are was were be been am i my me we our you your it its this that these those to of in on at
    for with and or but not no do does did can could cannot can't cant will would should please pls help hi
    hello from by as so just still when what why how who which there here have has had get got any some
    saya aku sy gue gw kami kita anda kamu dia ini itu yang dan atau tapi tidak tdk gak ga nggak enggak bisa
    bs dapat mau ingin tolong mohon bantu bantuan di ke dari untuk utk pada dengan dgn ada sudah sdh udah
    belum blm lagi juga masih apa kenapa mengapa bagaimana gimana gmn cara kok ya yg nya dong sih deh kah
    pak bu mas mbak min halo hai selamat pagi siang sore malam terima kasih makasih
"""

STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def tokens(text: str) -> list[str]:
    """Lower-case content words of ``text`` (stop words and one-letter words dropped)."""
    return [w for w in _WORD.findall(text.lower()) if len(w) > 1 and w not in STOPWORDS]


def _same_word(a: str, b: str) -> bool:
    if a == b:
        return True
    short, long_ = sorted((a, b), key=len)
    if len(short) >= 4 and (long_.startswith(short) or long_.endswith(short)):  # printernya, berkedip
        return True
    return min(len(a), len(b)) >= 5 and SequenceMatcher(None, a, b).ratio() >= 0.84  # typos


def token_similarity(a: str, b: str) -> float:
    """A soft Jaccard similarity of two questions' content words (0 to 1).

    Words count as the same when equal, when one extends the other (``printer``/``printernya``) or
    when they differ by a typo; pure Python, so it may live in the core.
    """
    ta, tb = list(dict.fromkeys(tokens(a))), list(dict.fromkeys(tokens(b)))
    if not ta or not tb:
        return 1.0 if a.strip().lower() == b.strip().lower() else 0.0
    unmatched = list(tb)
    matched = 0
    for word in ta:
        for i, other in enumerate(unmatched):
            if _same_word(word, other):
                matched += 1
                del unmatched[i]
                break
    return matched / (len(ta) + len(tb) - matched)


@dataclass(frozen=True)
class GapGroup:
    """Similar questions the bot could not answer: one FAQ gap, with how often it was asked."""

    example: str
    count: int
    questions: tuple[str, ...]
    tickets: tuple[int, ...]


def group_questions(
    items: Sequence[tuple[int, str]], similarity: Similarity = token_similarity, threshold: float = 0.34
) -> list[GapGroup]:
    """Group ``(ticket_id, question)`` pairs by similarity (average linkage, greedy, in order).

    Each group's example is the question most like the others; groups come largest first.
    """
    groups: list[list[tuple[int, str]]] = []
    for ticket_id, question in items:
        best, best_score = -1, 0.0
        for index, members in enumerate(groups):
            score = sum(similarity(question, q) for _, q in members) / len(members)
            if score > best_score:
                best, best_score = index, score
        if best >= 0 and best_score >= threshold:
            groups[best].append((ticket_id, question))
        else:
            groups.append([(ticket_id, question)])
    result = []
    for members in groups:
        questions = [q for _, q in members]
        if len(members) > 2:
            centre = max(
                range(len(members)), key=lambda i: (sum(similarity(questions[i], q) for q in questions), -i)
            )
        else:
            centre = 0
        result.append(
            GapGroup(questions[centre], len(members), tuple(questions), tuple(t for t, _ in members))
        )
    result.sort(key=lambda g: (-g.count, min(g.tickets)))
    return result
