"""Language codes, and reference vocabularies from wordfreq (refusing the languages it would answer in English)."""
from __future__ import annotations

import regex

from textmad.errors import UserError

# BCP 47's shape: a 2-3 letter language subtag, then optional script/region/variant subtags.
_TAG = regex.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")


def check_language(code: str, key: str = "corpus.language") -> str:
    """``code`` when it is a valid language tag (ISO 639 language, optional BCP 47 subtags), else a UserError.

    langcodes (installed with wordfreq) knows the registered codes; without it only the shape is checked.
    """
    try:
        import langcodes
        valid = langcodes.tag_is_valid(code)
    except ImportError:
        valid = bool(_TAG.fullmatch(code))
    if not valid:
        from textmad.evaluate.formality import LANGUAGES

        raise UserError(f"{key} = {code!r}: not a language code; give an ISO 639-1 code such as en, bn or sw, "
                        f"optionally with a region (en-GB, bn-IN). Formality metrics exist for "
                        f"{', '.join(LANGUAGES)}; reference vocabularies for {', '.join(wordfreq_languages())} "
                        f"(every other language uses the train split as its tail reference)")
    return code


def wordfreq_languages() -> list[str]:
    try:
        import wordfreq
    except ImportError:
        return ["none (wordfreq is not installed: pip install 'wordfreq>=3.1')"]
    return sorted(wordfreq.available_languages())


def reference_frequencies(language: str, n_words: int) -> dict[str, float]:
    """The ``n_words`` most frequent words of ``language`` with their frequencies (share of all tokens)."""
    try:
        import wordfreq
    except ImportError:
        raise UserError("reference vocabularies need wordfreq: pip install 'wordfreq>=3.1'") from None
    if n_words < 1:
        raise UserError(f"n_words = {n_words}: ask for at least one reference word")
    available = wordfreq_languages()
    if language not in available:
        raise UserError(f"wordfreq has no word list for language {language!r} (it would silently use English); "
                        f"languages it has: {', '.join(available)}. Use the train split as the reference "
                        f"(evaluate.tail.reference: train)")
    top = wordfreq.top_n_list(language, n_words)
    # wordfreq answers with a near match when a list is missing; a list identical to English is that fallback.
    if language != "en" and top[:50] == wordfreq.top_n_list("en", min(n_words, 50)):
        raise UserError(f"wordfreq returned the English list for language {language!r}; refusing it")
    return {word: wordfreq.word_frequency(word, language) for word in top}
