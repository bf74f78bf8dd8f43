"""Unicode-aware normalisation: NFC, markup stripped, whitespace tidied, documents cut to a length window.

Every pattern here is Unicode-aware: Bengali vowel signs and virama are combining marks (category M),
which Python's ``\\w`` does not match, so grapheme clusters use the ``regex`` module's ``\\X``
(words are segmented by :mod:`textmad.text`, the project's one segmenter).
Zero-width joiners (ZWJ/ZWNJ) are format characters that change how Bengali conjuncts render;
they are kept.
"""
from __future__ import annotations

import html
import unicodedata

import regex

# C0/C1 control characters other than newline and tab, the byte-order mark and the soft hyphen.
_CONTROL = regex.compile(r"[\p{Cc}\uFEFF\u00AD--[\n\t]]", flags=regex.V1)
_TAG = regex.compile(r"</?[\p{L}][^<>\n]*>")
_PARAGRAPH_BREAK = regex.compile(r"\n[^\S\n]*\n\s*")
_SPACES = regex.compile(r"\s+")
# A sentence ends at . ! ? … or the Bengali/Devanagari danda (। ॥), optionally followed by
# closing quotes or brackets; the boundary is the whitespace after it.
SENTENCE_END = ".!?…।॥"
_SENTENCE_BOUNDARY = regex.compile(r"(?<=[.!?…।॥][\p{Pe}\p{Pf}'\"]*)\s+")


def clean_text(text: str) -> str:
    """NFC, HTML tags and entities removed, control characters dropped, whitespace tidied.

    Paragraphs (separated by a blank line) are kept apart by exactly one blank line; inside a
    paragraph every run of whitespace, single newlines included, becomes one space.
    """
    text = unicodedata.normalize("NFC", html.unescape(_TAG.sub(" ", text)))
    text = _CONTROL.sub("", text.replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n"))
    return "\n\n".join(p for p in paragraphs(text))


def paragraphs(text: str) -> list[str]:
    return [p for p in (_SPACES.sub(" ", block).strip() for block in _PARAGRAPH_BREAK.split(text)) if p]


def fold(text: str) -> str:
    """The near-duplicate key: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def _last_grapheme_boundary(text: str, limit: int) -> int:
    end = 0
    for m in regex.finditer(r"\X", text):
        if m.end() > limit:
            break
        end = m.end()
    return end or limit


def cut(text: str, max_chars: int) -> list[str]:
    """Cut one paragraph into pieces of at most ``max_chars`` at sentence, else word, else grapheme boundaries."""
    pieces = []
    while len(text) > max_chars:
        window = text[: max_chars + 1]
        sentence = [m.start() for m in _SENTENCE_BOUNDARY.finditer(window) if 0 < m.start() <= max_chars]
        space = [m.start() for m in regex.finditer(r"\s+", window) if 0 < m.start() <= max_chars]
        # A sentence boundary in the first half would leave a stub; a word boundary cuts less badly.
        if sentence and sentence[-1] >= max_chars // 2:
            pos = sentence[-1]
        elif space:
            pos = space[-1]
        else:
            pos = _last_grapheme_boundary(window, max_chars)
        pieces.append(text[:pos].rstrip())
        text = text[pos:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def pack(text: str, max_chars: int) -> list[str]:
    """Turn a cleaned text into documents of at most ``max_chars``.

    Consecutive paragraphs are packed together while they fit; a paragraph longer than
    ``max_chars`` is cut into pieces. The caller drops documents below its minimum length.
    """
    docs, current = [], ""
    for para in paragraphs(text):
        for piece in cut(para, max_chars):
            joined = f"{current}\n\n{piece}" if current else piece
            if len(joined) <= max_chars:
                current = joined
            else:
                docs.append(current)
                current = piece
    if current:
        docs.append(current)
    return docs
