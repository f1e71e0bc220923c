"""Split long replies for platforms with a message size limit, on the most natural boundary.

Paragraphs first, then lines, sentences, words, and only as a last resort a hard cut, so that a
4,096-character Telegram limit never cuts a sentence when a paragraph break is available.
"""

from __future__ import annotations

import re
from typing import Callable, List, Sequence, Tuple

Length = Callable[[str], int]

# (how to cut, what to put back between the pieces of one chunk)
_LEVELS: Sequence[Tuple[re.Pattern[str], str]] = (
    (re.compile(r"\n[ \t]*\n+"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[.!?…;:])\s+"), " "),
    (re.compile(r"\s+"), " "),
)


def utf16_length(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units: an emoji outside the BMP counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, length: Length = len) -> List[str]:
    """``text`` in chunks of at most ``limit`` (as measured by ``length``), none of them empty."""
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if not text:
        return []
    return [chunk for chunk in (c.strip() for c in _split(text, limit, length, 0)) if chunk]


def _split(text: str, limit: int, length: Length, level: int) -> List[str]:
    if length(text) <= limit:
        return [text]
    if level == len(_LEVELS):
        return _hard_cut(text, limit, length)
    pattern, joiner = _LEVELS[level]
    parts = [part for part in pattern.split(text) if part.strip()]
    if len(parts) <= 1:
        return _split(text, limit, length, level + 1)
    chunks: List[str] = []
    current = ""
    for part in parts:
        pieces = [part] if length(part) <= limit else _split(part, limit, length, level + 1)
        for piece in pieces:
            candidate = f"{current}{joiner}{piece}" if current else piece
            if length(candidate) <= limit:
                current = candidate
            else:
                if current:
                    chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def _hard_cut(text: str, limit: int, length: Length) -> List[str]:
    chunks: List[str] = []
    current: List[str] = []
    size = 0
    for char in text:
        width = length(char)
        if current and size + width > limit:
            chunks.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        chunks.append("".join(current))
    return chunks
