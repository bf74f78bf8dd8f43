"""Unicode word segmentation that works for every script, Bengali included.

Python's ``\\w`` matches letters and digits of every script but not combining marks (categories
Mn, Mc, Me): ``re.findall(r"\\w+", "করিয়া")`` gives ``['কর', 'য']``, cutting a Bengali word at each
vowel sign and at the virama (U+09CD). A word here is therefore a run of

- letters and digits of any script (``\\w`` without the underscore),
- combining marks (every code point of category M*: vowel signs, virama, nukta, anusvara ...),
- ZERO WIDTH JOINER / NON-JOINER (U+200D, U+200C), which select conjunct shapes inside words,

optionally joined by an apostrophe (U+0027 or U+2019) between two such runs, so that English
"don't" and "o'clock" stay one word (as in Unicode's word-boundary rules, UAX #29).
Punctuation, spaces, the Bengali danda (U+0964) and symbols separate words.

``words`` keeps the text's case; metrics casefold before counting (``tokens``).
"""
from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

__all__ = ["words", "tokens"]


def _mark_ranges() -> str:
    """A character-class body covering every combining mark (Mn, Mc, Me) of this Python's Unicode."""
    parts, start, prev = [], None, None
    for cp in range(sys.maxunicode + 1):
        if unicodedata.category(chr(cp)).startswith("M"):
            if start is None:
                start = cp
            prev = cp
        elif start is not None:
            parts.append(f"\\U{start:08x}" if start == prev else f"\\U{start:08x}-\\U{prev:08x}")
            start = None
    return "".join(parts)


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern:
    part = f"[\\w{_mark_ranges()}\u200c\u200d]+"
    return re.compile(f"{part}(?:['\u2019]{part})*")


def words(text: str) -> list[str]:
    """The words of ``text`` in order (case kept), for any script."""
    # The underscore is a \w character but never part of a word in prose.
    return _pattern().findall(text.replace("_", " "))


def tokens(text: str) -> list[str]:
    """Words normalised for counting: NFC (one spelling per character sequence), then casefolded."""
    if not unicodedata.is_normalized("NFC", text):  # the check is much cheaper than normalising
        text = unicodedata.normalize("NFC", text)
    return words(text.casefold())
