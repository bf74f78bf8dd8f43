"""Text for people: repeated n-gram spans, display width, wrapping and cutting on whitespace only.

Wrapping and cutting happen only at whitespace, so no grapheme (a Bengali consonant cluster with
its vowel signs, an emoji sequence) is ever split; widths count combining marks as zero columns.
"""
from __future__ import annotations

import re
import unicodedata

from textmad.text import words

WHITESPACE_RUN = re.compile(r"\S+")


def word_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each word of ``words(text)`` in ``text`` (words are verbatim substrings)."""
    spans, pos = [], 0
    for w in words(text):
        start = text.index(w, pos)
        spans.append((start, start + len(w)))
        pos = start + len(w)
    return spans


def repeated_ngram_spans(text: str, n: int) -> list[tuple[int, int]]:
    """Character spans covered by word n-grams that occur more than once in ``text``, merged."""
    spans = word_spans(text)
    tokens = [text[s:e].casefold() for s, e in spans]
    where: dict[tuple[str, ...], list[int]] = {}
    for i in range(len(tokens) - n + 1):
        where.setdefault(tuple(tokens[i:i + n]), []).append(i)
    covered = sorted((spans[i][0], spans[i + n - 1][1]) for starts in where.values() if len(starts) > 1
                     for i in starts)
    merged: list[list[int]] = []
    for start, end in covered:
        if merged and start <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def visible(text: str) -> str:
    """Control characters other than whitespace (a byte-level model emits ESC, NUL ...) as U+FFFD, so
    that generated text cannot move a terminal's cursor or recolour it, nor break an HTML page."""
    return "".join("\ufffd" if unicodedata.category(ch) == "Cc" and not ch.isspace() else ch for ch in text)


def display_width(text: str) -> int:
    """Terminal columns: combining marks and format characters take none, wide East Asian take two."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def pad(text: str, width: int, right: bool = False) -> str:
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space


def wrap_lines(text: str, width: int) -> list[tuple[int, int]]:
    """(start, end) of each line of ``text`` wrapped at ``width`` columns, breaking only at whitespace
    (a word longer than the line gets a line of its own)."""
    lines: list[tuple[int, int]] = []
    start = end = None
    used = 0
    for m in WHITESPACE_RUN.finditer(text):
        w = display_width(m.group())
        if start is not None and used + 1 + w <= width:
            end, used = m.end(), used + 1 + w
            continue
        if start is not None:
            lines.append((start, end))
        start, end, used = m.start(), m.end(), w
    if start is not None:
        lines.append((start, end))
    return lines


def cut_words(text: str, max_words: int) -> str:
    """The first ``max_words`` whitespace-separated pieces of ``text``, with an ellipsis when cut."""
    pieces = list(WHITESPACE_RUN.finditer(text))
    if len(pieces) <= max_words:
        return text.strip()
    return text[pieces[0].start():pieces[max_words - 1].end()] + " …"
