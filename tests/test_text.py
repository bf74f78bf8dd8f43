"""textmad.text: the one word and grapheme definition, checked by hand and against UAX #29 on real text."""
from __future__ import annotations

import regex

from textmad.text import grapheme_floor, graphemes, tokens, words
from fixtures import lee_text, quran_bn_text


def test_joiners_are_never_words_and_never_split_types():
    assert words("a \u200c b") == ["a", "b"]
    assert words("a \u200d\u200c b") == ["a", "b"]
    assert tokens("\u200dকি কি কি\u200c") == ["কি", "কি", "কি"]


def test_joiners_inside_bengali_words_stay():
    # ZWNJ after the virama selects the visible-virama shape of আল্লাহ্; ZWJ in স্ক্র‍িপ্ট a half form.
    assert words("আল্লাহ্\u200cর কথা") == ["আল্লাহ্\u200cর", "কথা"]
    assert words("র\u200d্যাব স্ক্র\u200dিপ্ট") == ["র\u200d্যাব", "স্ক্র\u200dিপ্ট"]


def test_numbers_keep_their_decimal_and_thousands_separators():
    assert words("২.৫ 2.5 1,000 ১,০০০") == ["২.৫", "2.5", "1,000", "১,০০০"]
    assert words("end. 2. Then 3,") == ["end", "2", "Then", "3"]


def test_combining_marks_stay_in_their_word():
    assert words("করিয়াছিলেন।") == ["করিয়াছিলেন"]
    assert words("don't o’clock naïve") == ["don't", "o’clock", "naïve"]
    assert words("a \u09bf b") == ["a", "b"]  # a vowel sign after a space belongs to no word


def test_graphemes():
    assert graphemes("ক্ষি") == ["ক্ষি"]
    text = "ab ক্ষি"
    assert grapheme_floor(text, 4) == 3  # inside the conjunct: back to its start
    assert grapheme_floor(text, 7) == 7
    assert grapheme_floor(text, 5, start=3) == 5  # no boundary inside the window: cut at the limit


def uax29_words(text: str) -> list[str]:
    """UAX #29 word segments (the regex module's WORD mode) that hold a letter or digit.

    regex breaks after an apostrophe that follows a vowel sign (তা’|তে), although WB4 makes the sign
    transparent to WB6/WB7 (তা’তে is one word); such pieces are joined back.
    """
    segments = []
    for s in regex.split(r"(?V1w)\b", text):
        if segments and regex.search(r"\p{M}['’]$", segments[-1]) and regex.match(r"\p{L}", s):
            segments[-1] += s
        else:
            segments.append(s)
    return [s for s in segments if regex.search(r"[\p{L}\p{N}]", s)]


def departs(segment: str) -> bool:
    """A UAX #29 word that text.py splits or trims, for a reason its docstring gives."""
    return words(segment) != [segment] and bool(regex.search(r"[._:\u200c\u200d]|\p{N}['’]|^\p{M}", segment))


def test_agrees_with_uax29_on_real_english_and_bengali_except_documented_departures():
    for text in (lee_text(), quran_bn_text()):
        segments = uax29_words(text)
        departures = [s for s in segments if departs(s)]
        # Where text.py departs, it splits the UAX #29 word further; everywhere else the words are UAX #29's.
        assert words(text) == [w for s in segments for w in (words(s) if departs(s) else [s])]
        assert len(segments) > 10_000 and len(departures) < 0.01 * len(segments), departures[:20]
