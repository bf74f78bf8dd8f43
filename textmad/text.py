"""Text primitives for every stage: the one definition of a word and of a grapheme in textmad.

Corpus preparation, mixing, metrics and reports all segment text here, so a word counted in a
corpus manifest is the word a metric counts.

Words follow Unicode's default word boundaries (UAX #29, which the ``regex`` module implements)
where they matter for counting words in any script:

- A word is a run of letters, combining marks and digits of any script (``\\p{L}``, ``\\p{M}``,
  ``\\p{N}``). Python's ``\\w`` misses combining marks, so ``re.findall(r"\\w+", "করিয়া")`` would
  cut a Bengali word at each vowel sign and at the virama; ``\\p{M}`` keeps it whole.
- ZERO WIDTH NON-JOINER and JOINER (U+200C, U+200D) select conjunct shapes inside a Bengali word
  and stay inside it (UAX #29 WB4). A joiner with no word character on one side is not part of a
  word: a lone joiner is no word, and ``\\u200dকি`` and ``কি`` are one type.
- A decimal or thousands separator between digits keeps a number whole (WB11/WB12): ``২.৫``,
  ``2.5`` and ``1,000`` are one word each.
- An apostrophe (U+0027, U+2019) between letters keeps ``don't`` and ``o'clock`` whole (WB6/WB7);
  ``1990's`` is two words, as in UAX #29.

Departures from UAX #29, each because textmad counts vocabulary in prose:

- A word begins with a letter or digit, never with a combining mark: a mark left after a space
  by broken text is not a word (UAX #29 attaches it to the space, which is not a word either).
- A joiner at the end of a word is dropped (UAX #29 keeps it, WB4): it changes no letter, and
  keeping it would split one word into two types.
- ``.`` and ``:`` between letters end a word (UAX #29 joins ``U.S.A`` and ``e.g``): web text glues
  sentences as ``end.The``, which would become a new type.
- The underscore separates words (UAX #29 joins ``foo_bar``): it is markup in prose, not a letter.
- A run of ideographs is one word (UAX #29 makes each ideograph a word); textmad has no corpus in
  a script written without spaces.

``words`` keeps the text's case; metrics casefold before counting (``tokens``).
"""
from __future__ import annotations

import unicodedata

import regex

__all__ = ["graphemes", "grapheme_floor", "nfc", "tokens", "words"]

JOINERS = "\u200c\u200d"
_BODY = r"[\p{L}\p{M}\p{N}]+"
_WORD = regex.compile(
    rf"[\p{{L}}\p{{N}}][\p{{L}}\p{{M}}\p{{N}}]*"
    rf"(?:(?:[{JOINERS}]+|(?<=[\p{{L}}\p{{M}}])['\u2019](?=\p{{L}})|(?<=\p{{Nd}})[.,\u066c](?=\p{{Nd}})){_BODY})*")
_GRAPHEME = regex.compile(r"\X")


def words(text: str) -> list[str]:
    """The words of ``text`` in order (case kept), for any script."""
    return _WORD.findall(text)


def nfc(text: str) -> str:
    """``text`` in Unicode Normalization Form C: one spelling per character sequence."""
    if unicodedata.is_normalized("NFC", text):  # the check is much cheaper than normalising
        return text
    return unicodedata.normalize("NFC", text)


def tokens(text: str) -> list[str]:
    """Words normalised for counting: NFC, then casefolded."""
    return words(nfc(text).casefold())


def graphemes(text: str) -> list[str]:
    """The user-perceived characters (extended grapheme clusters, UAX #29) of ``text``."""
    return _GRAPHEME.findall(text)


def grapheme_floor(text: str, limit: int, start: int = 0) -> int:
    """The last grapheme boundary of ``text`` after ``start`` and at most ``limit`` (``limit`` if none).

    Only ``text[start:limit + 1]`` is scanned: a boundary depends on the characters before it and
    the one after it, so the cost is the window's, not the text's.
    """
    end = start
    for m in _GRAPHEME.finditer(text, start, limit + 1):
        if m.end() > limit:
            break
        end = m.end()
    return end if end > start else limit
