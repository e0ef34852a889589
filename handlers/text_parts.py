"""Long texts cut into parts a platform accepts, at line breaks or spaces where possible."""

from __future__ import annotations

from collections.abc import Callable


def fitting_prefix(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` characters (the plain measure)."""
    return min(len(text), limit)


def split_text(
    text: str,
    limit: int,
    *,
    measure: Callable[[str], int] = len,
    prefix: Callable[[str, int], int] = fitting_prefix,
) -> list[str]:
    """Cut ``text`` into parts of at most ``limit`` (as ``measure`` counts; ``prefix`` says how
    many characters fit), at a line break or space in the second half of a part when there is
    one. Nothing is dropped: joined, the parts are ``text`` again."""
    parts: list[str] = []
    rest = text
    while measure(rest) > limit:
        cut = prefix(rest, limit)
        window = rest[:cut]
        for separator in ("\n", " "):
            at = window.rfind(separator)
            if at >= cut // 2:
                cut = at + 1
                break
        parts.append(rest[:cut])
        rest = rest[cut:]
    parts.append(rest)
    return parts
