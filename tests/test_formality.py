"""Formality and register: hand-computed cases, real-text ordering, and "not available" elsewhere."""
import bz2

import pytest
from fixtures import gensim_file

from textmad.evaluate import formality as fm
from textmad.text import tokens


def wiki_text(n_articles=30):
    from gensim.corpora.wikicorpus import extract_pages, filter_wiki
    path = gensim_file("enwiki-latest-pages-articles1.xml-p000000010p000030302-shortened.bz2")
    texts = []
    with bz2.open(path, "rb") as f:
        for title, markup, _ in extract_pages(f):
            prose = filter_wiki(markup)
            if len(prose) > 2000 and not markup.lstrip().lower().startswith("#redirect"):
                texts.append(prose[:3000])
            if len(texts) == n_articles:
                break
    return texts


def reviews_text():
    # movie reviews: opinionated, first/second person, contractions
    lines = gensim_file("pang_lee_polarity.cor").read_text(encoding="cp1252").splitlines()
    return [line.split(" ", 1)[1] for line in lines if line.startswith("__label__")]


def test_english_lexical_hand_computed():
    t = tokens("I don't know what you're saying, it's absolutely incomprehensible. John's dog.")
    m = fm.english_lexical(t)
    assert len(t) == 11
    assert m["contraction_rate"] == pytest.approx(3 / 11)          # don't you're it's (not John's)
    assert m["personal_pronoun_rate"] == pytest.approx(2 / 11)     # I, you're
    assert m["mean_word_length"] == pytest.approx(44 / 7)          # alphabetic words only
    assert m["long_word_rate"] == pytest.approx(2 / 7)             # absolutely, incomprehensible
    assert m["formality_lexical"] == pytest.approx(2 / 7 - 2 / 11 - 3 / 11)


def test_f_score_hand_computed_from_tags():
    # the cat sat on the mat . : DET(art) NOUN VERB ADP DET(art) NOUN PUNCT -> 6 words
    tags = [("DET", True), ("NOUN", False), ("VERB", False), ("ADP", False), ("DET", True), ("NOUN", False),
            ("PUNCT", False)]
    plus, minus = 2 + 1 + 2, 1     # nouns, preposition, articles; verb
    assert fm.f_score_from_tags(tags) == pytest.approx((100 * (plus - minus) / 6 + 100) / 2)


def test_english_encyclopedia_is_more_formal_than_reviews():
    wiki, reviews = wiki_text(), reviews_text()
    lex_wiki = fm.english_lexical([w for t in wiki for w in tokens(t)][:20000])
    lex_rev = fm.english_lexical([w for t in reviews for w in tokens(t)][:20000])
    assert lex_wiki["formality_lexical"] > lex_rev["formality_lexical"]
    assert lex_wiki["personal_pronoun_rate"] < lex_rev["personal_pronoun_rate"]
    assert lex_wiki["contraction_rate"] < lex_rev["contraction_rate"]


@pytest.mark.slow  # loads spaCy's English tagger
def test_english_f_score_orders_real_text():
    pytest.importorskip("spacy")
    if fm._spacy_tagger()[0] is None:
        pytest.skip(fm._spacy_tagger()[1])
    f_wiki, _ = fm.heylighen_dewaele(wiki_text(8))
    f_rev, _ = fm.heylighen_dewaele(reviews_text()[:100])
    f_chat, _ = fm.heylighen_dewaele(["Oh wow, I really love it! You should go there too, honestly. "
                                      "We always go and we just sit and talk."])
    assert f_wiki > f_rev > f_chat


# Sadhu bhasha in the style of 19th-century prose (Bankim/Vidyasagar), and the same content in cholito.
SADHU = ("তিনি প্রাতঃকালে উঠিয়া নদীর তীরে গমন করিলেন। সেখানে তাহার বন্ধুগণ বসিয়া ছিলেন। তাহারা তাঁহাকে দেখিয়া "
         "আনন্দিত হইলেন এবং বলিলেন, আপনি কোথায় যাইতেছেন? তিনি কহিলেন, আমি গ্রামে যাইব।")
CHOLITO = ("উনি সকালে উঠে নদীর ধারে গেলেন। সেখানে তার বন্ধুরা বসে ছিল। তারা ওঁকে দেখে খুশি হল আর বলল, "
           "তুমি কোথায় যাচ্ছ? উনি বললেন, আমি গ্রামে যাব।")


def test_bengali_register_hand_computed():
    m = fm.bengali_register([SADHU])
    # sadhu markers: উঠিয়া তাহার বসিয়া তাহারা দেখিয়া বলিলেন যাইতেছেন? (যাইতেছেন not listed) -> counted below
    sadhu, cholito = fm.bengali_markers()
    found_s = [t for t in tokens(SADHU) if t in sadhu]
    assert found_s == ["উঠিয়া", "করিলেন", "তাহার", "বসিয়া", "তাহারা", "দেখিয়া", "হইলেন",
                       "বলিলেন", "যাইব"]
    assert not [t for t in tokens(SADHU) if t in cholito]
    assert m["sadhu_share"] == 1.0 and m["honorific_share"] == 1.0
    c = fm.bengali_register([CHOLITO])
    assert [t for t in tokens(CHOLITO) if t in cholito] == ["তার", "তারা", "হল", "বলল", "বললেন", "যাব"]
    assert c["sadhu_share"] == 0.0 and c["honorific_share"] == 0.0
    mixed = fm.bengali_register([SADHU, CHOLITO])
    assert mixed["sadhu_share"] == pytest.approx(9 / 15) and mixed["honorific_share"] == pytest.approx(1 / 2)


def test_markers_do_not_overlap_and_skip_shared_forms():
    sadhu, cholito = fm.bengali_markers()
    assert not sadhu & cholito
    for shared in ("করে", "সে", "সেই", "তিনি", "এই"):
        assert shared not in sadhu and shared not in cholito
    for participle in ("লিখিত", "মিলিত", "চলিত", "ভাবিত"):  # adjectives in modern cholito prose
        assert participle not in sadhu and participle not in cholito


# The all-cholito sentence: participial adjectives and hyphen-attached genitives, one cholito verb.
MODERN = "চলিত ভাষায় লিখিত এই পরীক্ষার ফলাফল মিলিত হয়েছে। ২০২৪-এর বইটি Python-এর উপর।"
# Tagore, "Kabuliwala" (1892, public domain), opening sentences: sadhu bhasha.
KABULIWALA = ("আমার পাঁচ বছর বয়সের ছোটো মেয়ে মিনি এক দণ্ড কথা না কহিয়া থাকিতে পারে না। পৃথিবীতে জন্মগ্রহণ করিয়া "
              "ভাষা শিক্ষা করিতে সে কেবল একটি বৎসর কাল ব্যয় করিয়াছিল, তাহার পর হইতে যতক্ষণ সে জাগিয়া থাকে এক "
              "মুহূর্ত মৌনভাবে নষ্ট করে না।")
# Everyday cholito narration.
EVERYDAY = ("আমি কাল বাজারে গিয়েছিলাম। সেখানে তার সঙ্গে দেখা হল। সে বলল যে সে এখন ঢাকায় থাকে আর একটা অফিসে "
            "কাজ করছে। আমরা অনেকক্ষণ গল্প করলাম, তারপর যে যার বাড়ি ফিরে গেলাম।")


def test_sadhu_share_is_not_fooled_by_participles_or_hyphenated_case_endings():
    assert fm.bengali_register([MODERN])["sadhu_share"] == 0.0  # হয়েছে is the one marker
    assert fm.bengali_register([KABULIWALA])["sadhu_share"] == 1.0  # থাকিতে করিয়া করিতে করিয়াছিল তাহার হইতে
    assert fm.bengali_register([EVERYDAY])["sadhu_share"] == 0.0  # তার হল বলল করছে করলাম যার
    values, _ = fm.formality_metrics([MODERN], tokens(MODERN), "bn")
    assert values["sadhu_share"] == 0.0


def test_real_quran_translations_are_cholito():
    from fixtures import quran_bn_verses
    from textmad.corpus import get_card, sources

    quran_bn_verses()  # skips without the Debian package
    for path in sources.card_files(get_card("quran-bn"))[0]:
        verses = [text for _, _, text in sources.quran_verses(path)]
        share = fm.bengali_register(verses)["sadhu_share"]
        assert share < 0.01, path.name  # both translations are in standard cholito prose


def test_other_languages_are_not_available():
    values, missing = fm.formality_metrics(["Der Hund schläft."], tokens("Der Hund schläft."), "de")
    assert all(v is None for v in values.values())
    assert all("no formality model for language 'de'" in missing[k] for k in values)
    values, missing = fm.formality_metrics([SADHU], tokens(SADHU), "bn")
    assert values["sadhu_share"] == 1.0 and values["formality_lexical"] is None
    assert "not available for Bengali" in missing["formality_lexical"]


def test_missing_tagger_is_unavailable_with_the_install_command(monkeypatch):
    """Without the formality extra, formality_f used to vanish; now metrics.json says why and how to fix it."""
    import builtins

    from textmad.evaluate.score import Reference, score_texts
    from textmad.recipe import EvaluateConfig

    real_import = builtins.__import__

    def no_spacy(name, *args, **kwargs):
        if name == "spacy" or name.startswith("spacy."):
            raise ImportError("No module named 'spacy'")
        return real_import(name, *args, **kwargs)

    fm._spacy_tagger.cache_clear()
    monkeypatch.setattr(builtins, "__import__", no_spacy)
    try:
        cfg = EvaluateConfig()
        cfg.metrics = ["formality"]
        cfg.diversity.sample_words = 2000
        texts = wiki_text(10)
        record = score_texts(texts, language="en", cfg=cfg, reference=Reference(None, "none"), real=texts).record()
    finally:
        monkeypatch.undo()
        fm._spacy_tagger.cache_clear()
    assert record["metrics"]["formality_f"] is None and record["metrics"]["formality_lexical"] is not None
    reason = record["evaluation"]["unavailable"]["formality_f"]
    assert "spaCy is not installed" in reason and fm.INSTALL_TAGGER in reason
    assert record["evaluation"]["unavailable"]["formality_f_drift"] == reason
