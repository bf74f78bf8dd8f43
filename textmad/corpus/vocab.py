"""Reference vocabularies from wordfreq, refusing the languages it would silently answer in English."""
from __future__ import annotations

from textmad.errors import UserError


def reference_frequencies(language: str, n_words: int) -> dict[str, float]:
    """The ``n_words`` most frequent words of ``language`` with their frequencies (share of all tokens)."""
    try:
        import wordfreq
    except ImportError:
        raise UserError("reference vocabularies need wordfreq: pip install 'wordfreq>=3.1'") from None
    if n_words < 1:
        raise UserError(f"n_words = {n_words}: ask for at least one reference word")
    available = sorted(wordfreq.available_languages())
    if language not in available:
        raise UserError(f"wordfreq has no word list for language {language!r} (it would silently use English); "
                        f"languages it has: {', '.join(available)}. Use the train split as the reference "
                        f"(evaluate.tail.reference: train)")
    top = wordfreq.top_n_list(language, n_words)
    # wordfreq answers with a near match when a list is missing; a list identical to English is that fallback.
    if language != "en" and top[:50] == wordfreq.top_n_list("en", min(n_words, 50)):
        raise UserError(f"wordfreq returned the English list for language {language!r}; refusing it")
    return {word: wordfreq.word_frequency(word, language) for word in top}
