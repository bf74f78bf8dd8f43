"""Unicode-aware normalisation: NFC, markup stripped (markup sources only), whitespace tidied, documents cut.

Words and grapheme clusters come from :mod:`textmad.text`, the project's one definition of both:
Bengali vowel signs and virama are combining marks, which Python's ``\\w`` does not match.
Zero-width joiners (ZWJ/ZWNJ) are format characters that change how Bengali conjuncts render;
they are kept.
"""
from __future__ import annotations

import html

import regex

from textmad.text import grapheme_floor, nfc

# C0/C1 control characters other than newline and tab, the byte-order mark and the soft hyphen.
_CONTROL = regex.compile(r"[\p{Cc}\uFEFF\u00AD--[\n\t]]", flags=regex.V1)
_TAG = regex.compile(r"</?[\p{L}][^<>\n]*>")
_PARAGRAPH_BREAK = regex.compile(r"\n[^\S\n]*\n\s*")
_LAST_SPACE = regex.compile(r"\s+", flags=regex.REVERSE)
# A sentence ends at . ! ? … or the Bengali/Devanagari danda (। ॥), optionally followed by
# closing quotes or brackets; the boundary is the whitespace after it.
SENTENCE_END = ".!?…।॥"
_SENTENCE_BOUNDARY = regex.compile(r"(?<=[.!?…।॥][\p{Pe}\p{Pf}'\"]*)\s+")


def clean_text(text: str, markup: bool = False) -> str:
    """NFC, control characters dropped, whitespace tidied; with ``markup``, HTML tags and entities removed.

    Only a source that is markup (a wiki dump, HTML) sets ``markup``: in plain text ``a<b and c>d``
    and ``&amp;`` are what the author wrote. Paragraphs (separated by a blank line) are kept apart by
    exactly one blank line; inside a paragraph every run of whitespace, single newlines included,
    becomes one space.
    """
    if markup:
        text = html.unescape(_TAG.sub(" ", text))
    text = _CONTROL.sub("", nfc(text).replace("\t", " ").replace("\r\n", "\n").replace("\r", "\n"))
    return "\n\n".join(p for p in paragraphs(text))


def paragraphs(text: str) -> list[str]:
    # str.split() is regex's \s+ on text without control characters (clean_text drops them), 3x faster.
    return [p for p in (" ".join(block.split()) for block in _PARAGRAPH_BREAK.split(text)) if p]


def fold(text: str) -> str:
    """The near-duplicate key: case-folded, whitespace collapsed."""
    return " ".join(text.casefold().split())


def cut(text: str, max_chars: int) -> list[str]:
    """Cut one paragraph into pieces of at most ``max_chars`` at sentence, else word, else grapheme boundaries.

    Each cut looks only at the next ``max_chars + 1`` characters and the text is never copied but
    for the pieces, so the cost is linear in the paragraph's length.
    """
    pieces, start, n = [], 0, len(text)
    while n - start > max_chars:
        limit = start + max_chars
        # A sentence boundary in the first half would leave a stub; a word boundary cuts less badly.
        sentence = None
        for m in _SENTENCE_BOUNDARY.finditer(text, start + max_chars // 2, limit + 1):
            sentence = m.start()
        space = _LAST_SPACE.search(text, start + 1, limit + 1)
        if sentence is not None:
            pos = sentence
        elif space is not None:
            pos = space.start()
        else:
            pos = grapheme_floor(text, limit, start)
        pieces.append(text[start:pos].rstrip())
        start = pos
        while start < n and text[start].isspace():
            start += 1
    if start < n:
        pieces.append(text[start:])
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
