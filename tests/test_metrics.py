"""Words, n-gram diversity, self-BLEU and tail coverage: hand-computed cases (English and Bengali)
and agreement with the reference libraries (diversity, NLTK, sacrebleu)."""
import gzip
import math
import random
from collections import Counter

import pytest

from fixtures import lee_lines
from textmad.evaluate import METRICS
from textmad.evaluate import diversity as div
from textmad.evaluate import tail as tl
from textmad.evaluate.score import Reference, apply_gen0, score_corpus, score_texts
from textmad.text import tokens, words
from textmad.recipe import EvaluateConfig


def lee_docs():
    return list(lee_lines())


# ---------------------------------------------------------------- words

def test_words_keep_bengali_marks_virama_and_joiners():
    assert words("আমি বাংলায় গান গাই। স্বাধীনতা, শক্তি; র\u200d্যাব ক্ষমা") == [
        "আমি", "বাংলায়", "গান", "গাই", "স্বাধীনতা", "শক্তি", "র\u200d্যাব", "ক্ষমা"]
    assert words("করিয়া ৩৪৫ কর্ম") == ["করিয়া", "৩৪৫", "কর্ম"]
    assert words("e\u0301te\u0301 naïve café, don't o’clock snake_case 42") == [
        "e\u0301te\u0301", "naïve", "café", "don't", "o’clock", "snake", "case", "42"]
    assert words("हिन्दी में") == ["हिन्दी", "में"]  # Devanagari marks too
    assert tokens("The THE the") == ["the"] * 3


# ---------------------------------------------------------------- distinct-n, entropy, repeats

def test_ngram_stats_hand_computed():
    s = div.ngram_stats(["a b a b a", "c a b"])
    # stream a b a b a c a b: 8 tokens, 3 types; bigrams ab ba ab ba ac ca ab: 4 distinct of 7
    assert s["distinct_1"] == pytest.approx(3 / 8)
    assert s["distinct_2"] == pytest.approx(4 / 7)
    # trigrams aba bab aba bac aca cab: 5 distinct of 6; 4-grams abab baba abac baca acab: 5 of 5
    assert s["distinct_3"] == pytest.approx(5 / 6)
    assert s["distinct_4"] == pytest.approx(1.0)
    assert s["ngram_diversity"] == pytest.approx(3 / 8 + 4 / 7 + 5 / 6 + 1)
    p = [4 / 8, 3 / 8, 1 / 8]
    assert s["entropy_1"] == pytest.approx(-sum(x * math.log2(x) for x in p))
    # doc 1 has 4-grams abab, baba (no repeat); nothing repeats inside a document of 3 words
    assert s["repeated_4gram_share"] == 0.0
    s = div.ngram_stats(["এক দুই তিন চার এক দুই তিন চার", "এক দুই তিন চার"])
    assert s["repeated_4gram_share"] == 0.5
    assert s["distinct_1"] == pytest.approx(4 / 12)


def reference_ngram_stats(docs: list[list[str]]) -> dict:
    """The definitions written plainly: Python tuples and Counters."""
    stream = [w for d in docs for w in d]
    out = {}
    for n in range(1, 5):
        grams = Counter(tuple(stream[i:i + n]) for i in range(len(stream) - n + 1))
        total = len(stream) - n + 1
        out[f"distinct_{n}"] = len(grams) / total
        out[f"entropy_{n}"] = -math.fsum(c / total * math.log2(c / total) for c in grams.values())
    out["ngram_diversity"] = sum(out[f"distinct_{n}"] for n in range(1, 5))
    repeats = [any(c > 1 for c in Counter(tuple(d[i:i + 4]) for i in range(len(d) - 3)).values()) for d in docs]
    out["repeated_4gram_share"] = sum(repeats) / len(docs)
    return out


BENGALI = ("আমি বাংলায় গান গাই। আমি বাংলার গান গাই। আমার সোনার বাংলা, আমি তোমায় ভালোবাসি। "
           "চিরদিন তোমার আকাশ, তোমার বাতাস, আমার প্রাণে বাজায় বাঁশি। তিনি গৃহে গমন করিলেন এবং "
           "পুস্তকখানি পাঠ করিতে লাগিলেন। সে বাড়ি গেল আর বইটা পড়তে লাগল।")


@pytest.mark.parametrize("packed", [True, False], ids=["packed-keys", "argsort-and-renumbered-4grams"])
def test_ngram_stats_equal_the_plain_definitions_on_real_text(packed, monkeypatch):
    if not packed:  # the paths taken when keys and positions no longer share 64 bits
        monkeypatch.setattr(div, "KEY_BITS", 8)
    english = [tokens(t) for t in lee_docs()[:120]]
    words_bn = tokens(BENGALI)
    rng = random.Random(0)
    # Real Bengali documents of 0 to 40 words; repeated passages so that 4-grams repeat in and across documents.
    bengali = [words_bn[i:i + rng.randrange(0, 40)] for i in (rng.randrange(len(words_bn)) for _ in range(60))]
    bengali += [words_bn[:12] * 2, words_bn[:3], [], words_bn[5:9] + words_bn[5:9]]
    for docs in (english, bengali, english[:3] + bengali[:5] + english[3:6]):
        ours = div.ngram_stats([" ".join(d) for d in docs])
        expected = reference_ngram_stats(docs)
        assert ours.keys() >= expected.keys()
        for key, value in expected.items():
            assert ours[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key


def test_ngram_stats_short_and_empty_input():
    s = div.ngram_stats(["a b", "", "a"])
    assert (s["distinct_1"], s["distinct_2"], s["distinct_3"]) == (2 / 3, 1.0, 1.0)
    assert s["distinct_4"] is None and s["ngram_diversity"] is None and s["repeated_4gram_share"] is None
    assert all(v is None for v in div.ngram_stats([]).values())
    assert all(v is None for v in div.ngram_stats(["", ""]).values())
    # 4-grams across document boundaries, or in two different documents, are not repeats inside one
    assert div.ngram_stats(["a b", "c d", "a b", "c d", "a b"])["repeated_4gram_share"] == 0.0
    assert div.ngram_stats(["x a b c d", "a b c d"])["repeated_4gram_share"] == 0.0
    assert div.ngram_stats(["x a b c d", "a b c d a b c d"])["repeated_4gram_share"] == 0.5
    # a stray space is not a word
    assert div.ngram_stats(["a  b a b", " c "]) == div.ngram_stats(["a b a b", "c"])


def test_ngram_diversity_matches_diversity_package():
    pytest.importorskip("spacy")  # the diversity package imports spaCy at import time
    from diversity import compression_ratio, ngram_diversity_score
    docs = [tokens(t) for t in lee_docs()[:40]]
    strings = [" ".join(d) for d in docs]
    assert round(div.ngram_stats(strings)["ngram_diversity"], 3) == ngram_diversity_score(strings, 4)
    assert round(div.compression_ratio(strings), 3) == compression_ratio(strings, "gzip")
    bn = [tokens("আমি বাংলায় গান গাই। আমি বাংলার গান গাই।" * k) for k in range(1, 6)]
    bn_strings = [" ".join(d) for d in bn]
    assert round(div.compression_ratio(bn_strings), 3) == compression_ratio(bn_strings, "gzip")
    assert round(div.ngram_stats(bn_strings)["ngram_diversity"], 3) == ngram_diversity_score(bn_strings, 4)


def test_compression_ratio_definition():
    data = "a b a b a b".encode()
    assert div.compression_ratio(["a b", "a b a b"]) == len(data) / (len(gzip.compress(gzip.compress(data))) + 11)


# ---------------------------------------------------------------- self-BLEU

def test_self_bleu_equals_nltk_sentence_bleu_method1():
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    rng = random.Random(1)
    vocab = ["আমি", "তুমি", "গান", "the", "cat", "sat", "on", "mat", "a"]
    docs = [[rng.choice(vocab) for _ in range(rng.randint(0, 25))] for _ in range(12)] + [["x"], []]
    chosen_idx = sorted(random.Random(7).sample(range(len(docs)), 9))
    chosen = [docs[i] for i in chosen_idx]
    expected = sum(sentence_bleu(chosen[:i] + chosen[i + 1:], h, smoothing_function=SmoothingFunction().method1)
                   for i, h in enumerate(chosen)) / len(chosen)
    assert div.self_bleu(docs, 9, seed=7) == pytest.approx(expected, abs=1e-12)
    docs = [tokens(t) for t in lee_docs()[:8]]
    expected = sum(sentence_bleu(docs[:i] + docs[i + 1:], h, smoothing_function=SmoothingFunction().method1)
                   for i, h in enumerate(docs)) / len(docs)
    assert div.self_bleu(docs, 8, seed=0) == pytest.approx(expected, abs=1e-12)
    assert div.self_bleu([["one"]], 5, seed=0) is None


def test_bleu_core_agrees_with_sacrebleu_when_all_precisions_are_positive():
    sacrebleu = pytest.importorskip("sacrebleu")
    a = "the cat sat on the mat and the dog sat on the log".split()
    b = "the cat sat on the log and the dog sat on the mat".split()
    # two documents: each one's self-BLEU is its BLEU against the other
    ours = div.self_bleu([a, b], 2, seed=0)
    s1 = sacrebleu.sentence_bleu(" ".join(a), [" ".join(b)], tokenize="none", smooth_method="none").score / 100
    s2 = sacrebleu.sentence_bleu(" ".join(b), [" ".join(a)], tokenize="none", smooth_method="none").score / 100
    assert ours == pytest.approx((s1 + s2) / 2, rel=1e-9)


# ---------------------------------------------------------------- samples and tails

def test_sample_documents_is_seeded_and_exact():
    docs = [[f"w{i}"] * (i + 1) for i in range(10)]
    a = div.sample_documents(docs, 20, seed=3)
    assert sum(len(d) for d in a) == 20 and a == div.sample_documents(docs, 20, seed=3)
    assert a != div.sample_documents(docs, 20, seed=4)
    assert div.sample_documents(docs, 56, seed=0) is None


def test_tail_metrics_hand_computed_bengali():
    bands, sizes = tl.bands(Counter("ক ক ক খ খ গ ঘ ঙ".split()), head_ranks=1, torso_ranks=2)
    assert bands == {"head": {"ক"}, "torso": {"খ"}, "tail": {"গ", "ঘ", "ঙ"}}
    m = tl.tail_metrics("ক ক গ চ চ ছ".split(), bands, torso_ranks=2)
    assert m["head_coverage"] == 1.0 and m["torso_coverage"] == 0.0
    assert m["tail_coverage"] == pytest.approx(1 / 3)   # গ of গ ঘ ঙ
    assert m["rest_coverage"] == pytest.approx(1 / 2)
    assert m["tail_token_share"] == pytest.approx(1 / 6)
    assert m["unseen_mass"] == pytest.approx(2 / 6)     # গ and ছ occur once
    assert m["zipf_exponent"] is None                   # too few repeated types to fit


def test_trained_tail_and_coverage_hand_computed_bengali():
    """mix_tail_coverage's pure parts: the tail of the text a generation trained on, and a sample's share of it."""
    trained = [tokens("আমি আমি আমি গান গান শক্তি"), tokens("বৃষ্টি ক্ষমা আমি")]
    tail, sizes = tl.trained_tail(trained, head_ranks=1, torso_ranks=2)
    assert tail == {"শক্তি", "বৃষ্টি", "ক্ষমা"}  # আমি (4) head, গান (2) torso; conjuncts kept whole
    assert sizes["tail_words"] == 3 and sizes["torso_min_frequency"] == 2
    assert tl.coverage(tokens("আমি গান শক্তি বৃষ্টি আমি গান"), tail) == pytest.approx(2 / 3)
    assert tl.coverage(tokens("আমি গান নদী শক্তি মাছ ভাত"), tail) == pytest.approx(1 / 3)
    assert tl.coverage(["x"], set()) is None


def test_mix_tail_separates_vocabulary_shift_from_collapse():
    """Hand-computed (Bengali, 6-word samples so each sample is all of its text; head 1 rank, torso 2).
    Generation 0's pool has the tail {নদী, পাখি, স্বাধীনতা}; a fresh slice brings other rare words
    {শক্তি, বৃষ্টি, ক্ষমা}; held-out text has one rare word of each. A generation that writes the fresh
    slice's rare words as well as generation 0 wrote the pool's has lost every pool-tail word (tail_drop 1)
    and nothing of its own (mix_tail_drop 0); a collapsed one loses both; under replace they agree."""
    from types import SimpleNamespace

    from textmad.evaluate.score import score_generation

    cfg = EvaluateConfig()
    cfg.metrics = ["tail"]
    cfg.tail.sample_words, cfg.tail.head_ranks, cfg.tail.torso_ranks = 6, 1, 2
    recipe = SimpleNamespace(evaluate=cfg)
    pool = ["আমি আমি আমি গান গান নদী", "পাখি স্বাধীনতা আমি"]
    fresh = ["আমি আমি আমি গান গান শক্তি", "বৃষ্টি ক্ষমা আমি"]
    heldout = ["আমি গান নদী শক্তি মাছ ভাত"]

    gen0_text = "আমি গান নদী পাখি আমি গান"

    def score(samples, k, trained, gen0=None):
        return score_generation(recipe, [samples], generation=k, model=None, gen0=None, heldout=heldout, pool=pool,
                                language="bn", gen0_values=gen0, trained=trained, gen0_samples=[gen0_text])

    gen0 = score(gen0_text, 0, pool)
    v = gen0.values
    assert v["tail_coverage"] == v["mix_tail_coverage"] == pytest.approx(2 / 3)  # the mix is the pool
    assert v["mix_tail_coverage_vs_real"] == v["tail_coverage_vs_real"] == pytest.approx(2.0)  # held-out: 1/3
    assert v["mix_tail_drop_vs_gen0"] == 0.0
    shifted = score("আমি গান শক্তি বৃষ্টি আমি গান", 1, fresh, gen0.values).values
    assert shifted["tail_coverage"] == 0.0 and shifted["tail_drop_vs_gen0"] == 1.0  # read as total tail loss
    assert shifted["mix_tail_coverage"] == pytest.approx(2 / 3)
    assert shifted["mix_tail_coverage_vs_real"] == pytest.approx(2.0)
    assert shifted["mix_tail_drop_vs_gen0"] == pytest.approx(0.0)  # no collapse
    collapsed = score("আমি আমি আমি গান গান গান", 1, fresh, gen0.values).values
    assert collapsed["mix_tail_coverage"] == 0.0 and collapsed["mix_tail_drop_vs_gen0"] == 1.0
    replaced = score("আমি গান নদী আমি গান আমি", 1, [], gen0.values)  # no real text in the mix: the pool
    assert replaced.values["mix_tail_coverage"] == replaced.values["tail_coverage"] == pytest.approx(1 / 3)
    assert replaced.values["mix_tail_drop_vs_gen0"] == replaced.values["tail_drop_vs_gen0"] == pytest.approx(0.5)
    assert replaced.info["tail_reference"]["trained"]["reference"] == "generation 0's training pool"
    record = score("আমি গান শক্তি বৃষ্টি আমি গান", 1, fresh, gen0.values).record()
    assert record["evaluation"]["tail_reference"]["trained"]["documents"] == 2
    assert record["about"]["mix_tail_drop_vs_gen0"]["reference"].startswith("train_mix_real: ")
    assert record["about"]["tail_drop_vs_gen0"]["reference"].startswith("gen0_pool: ")
    # a text or corpus has no training mix: said, never a number
    texts = score_texts(["আমি গান নদী পাখি আমি গান"], language="bn", cfg=cfg, reference=pool_reference(pool, cfg),
                        real=heldout)
    assert texts.values["mix_tail_coverage"] is None and "no training mix" in texts.unavailable["mix_tail_coverage"]
    assert "no training mix" in texts.unavailable["mix_tail_coverage_vs_real"]


def test_mix_tail_drop_ranks_generation_0_on_pool_text_as_large_as_the_slice():
    """A small text's tail is mostly hapaxes, so the coverage ratio depends on the text's size: generation 0's
    ratio is taken on a seeded part of its pool as large (in words) as the generation's real text. Hand-computed
    (head 1 rank, torso 2, 6-word samples): pool documents D1 (tail নদী পাখি) and D2 (tail মাছ ভাত); generation
    0's text covers 2/2 of D1's tail, 1/2 of D2's, 3/4 of the whole pool's; held-out text covers all of them, so
    generation 0's ratio is 1 on D1, 0.5 on D2, 0.75 on the pool. A one-document fresh slice (7 words, as large
    as D1 or D2) with its tail half covered (ratio 0.5) drops 0.5 against D1, 0 against D2, never 1/3."""
    from types import SimpleNamespace

    from textmad.evaluate.score import score_generation

    docs = [["a"] * 3, ["b"] * 4, ["c"] * 2, ["d"] * 5]
    m = tl.matched_documents(docs, 6, seed=1)
    assert sum(map(len, m)) >= 6 > sum(map(len, m[:-1])) and all(any(d is x for x in docs) for d in m)
    assert m == tl.matched_documents(docs, 6, seed=1) and tl.matched_documents(docs, 14, seed=1) == docs

    cfg = EvaluateConfig()
    cfg.metrics = ["tail"]
    cfg.tail.sample_words, cfg.tail.head_ranks, cfg.tail.torso_ranks = 6, 1, 2
    d1, d2 = "আমি আমি আমি গান গান নদী পাখি", "আমি আমি আমি গান গান মাছ ভাত"
    fresh = ["আমি আমি আমি গান গান শক্তি বৃষ্টি"]
    heldout = ["নদী মাছ ভাত পাখি শক্তি বৃষ্টি"]
    s = score_generation(SimpleNamespace(evaluate=cfg), ["আমি গান শক্তি আমি গান আমি"], generation=1, model=None,
                         gen0=None, heldout=heldout, pool=[d1, d2], language="bn", gen0_values={}, trained=fresh,
                         gen0_samples=["নদী পাখি মাছ আমি গান আমি"])
    assert s.values["mix_tail_coverage_vs_real"] == pytest.approx(0.5)
    matched = tl.matched_documents([tokens(d1), tokens(d2)], 7, cfg.seed)
    assert len(matched) == 1 and s.info["tail_reference"]["trained"]["gen0_matched_documents"] == 1
    assert s.values["mix_tail_drop_vs_gen0"] == pytest.approx(0.5 if matched[0] == tokens(d1) else 0.0)
    # without generation 0's samples the drop is unavailable, with the reason
    s = score_generation(SimpleNamespace(evaluate=cfg), ["আমি গান শক্তি আমি গান আমি"], generation=1, model=None,
                         gen0=None, heldout=heldout, pool=[d1, d2], language="bn", gen0_values={}, trained=fresh)
    assert s.values["mix_tail_drop_vs_gen0"] is None
    assert "generation-0 samples" in s.unavailable["mix_tail_drop_vs_gen0"]


def test_band_cuts_keep_each_frequency_class_whole():
    """Ties at a rank cut used to be split alphabetically; a class now goes whole to its majority side."""
    counts = Counter({"a": 9, "b": 5, "c": 5, "d": 5, "x": 1, "y": 1, "z": 1, "w": 1})
    bands, sizes = tl.bands(counts, head_ranks=2, torso_ranks=4)
    # the 5s straddle the head cut (1 above, 2 below): all three go to the torso; the torso cut falls
    # between classes (after d)
    assert bands == {"head": {"a"}, "torso": {"b", "c", "d"}, "tail": {"w", "x", "y", "z"}}
    assert sizes == {"head_words": 1, "torso_words": 3, "tail_words": 4, "head_min_frequency": 9,
                     "torso_min_frequency": 5}
    bands, _ = tl.bands(counts, head_ranks=3, torso_ranks=5)  # 2 of the 5s above the cut: all to the head
    assert bands["head"] == {"a", "b", "c", "d"} and bands["torso"] == set()
    assert bands["tail"] == {"w", "x", "y", "z"}
    # real text: the alphabetical order of the reference's hapaxes no longer decides anything
    docs = [tokens(t) for t in lee_docs()[:150]]
    real = Counter(w for d in docs for w in d)
    bands, sizes = tl.bands(real, 100, 1000)
    for cut in ("head", "torso"):
        lowest = sizes[f"{cut}_min_frequency"]
        assert all(real[w] < lowest for w in bands["tail"])
    assert {real[w] for w in bands["head"]}.isdisjoint({real[w] for w in bands["torso"]})
    assert sum(len(b) for b in bands.values()) == len(real)


def test_zipf_exponent_recovers_exact_power_law():
    counts = Counter({f"w{r}": round(10000 * r ** -1.0) for r in range(1, 200)})
    assert tl.zipf_exponent(counts, 50) == pytest.approx(1.0, abs=0.01)


# ---------------------------------------------------------------- score_texts

def small_cfg(words=2000):
    cfg = EvaluateConfig()
    cfg.metrics = ["tail", "diversity", "formality"]
    cfg.tail.sample_words = cfg.diversity.sample_words = words
    cfg.tail.head_ranks, cfg.tail.torso_ranks = 50, 300
    cfg.diversity.self_bleu_docs = 20
    return cfg


def pool_reference(texts, cfg, language="en"):
    return Reference.build(texts, "test pool", language, cfg)


def test_score_texts_format_and_honest_gaps():
    docs = lee_docs()
    cfg = small_cfg()
    r = score_texts(docs[:60], language="xx", reference=pool_reference(docs[100:], cfg), real=docs[60:100], cfg=cfg)
    names = {m.name for m in METRICS if m.family in cfg.metrics}
    assert names == set(r.values)
    record = r.record()
    meta = record["evaluation"]
    assert meta["sample"]["seed"] == 0 and meta["sample"]["tail_words"] == 2000
    assert set(meta["unavailable"]) == {n for n, v in r.values.items() if v is None}
    assert "no formality model" in meta["unavailable"]["formality_lexical"]
    assert meta["unavailable"]["tail_drop_vs_gen0"].startswith("no generation-0")
    assert 0 < r.values["tail_coverage"] < r.values["torso_coverage"] <= r.values["head_coverage"] <= 1
    assert r.values["tail_coverage_vs_real"] == pytest.approx(r.values["tail_coverage"] / meta["real"]["tail_coverage"])
    bands = meta["tail_reference"]["bands"]
    pool_types = len({w for t in docs[100:] for w in tokens(t)})
    assert bands["head_words"] + bands["torso_words"] + bands["tail_words"] == pool_types
    assert bands["head_words"] == pytest.approx(50, abs=10) and bands["torso_min_frequency"] >= 2
    # a results file describes itself: direction and baseline of every metric
    assert record["about"]["tail_coverage_vs_real"]["baseline"] == "real"
    assert record["about"]["distinct_1"]["direction"] == "closer_to_real"
    assert record["about"]["distinct_1_dist_to_real"]["direction"] == "lower"
    # too little text: None with the reason, never a number from a smaller sample
    r = score_texts(docs[:2], language="en", reference=pool_reference(docs, cfg), real=None, cfg=cfg)
    assert r.values["distinct_1"] is None and "too little text" in r.unavailable["distinct_1"]
    # generation 0 against itself: drops are 0
    base = score_texts(docs[:60], language="en", reference=pool_reference(docs[100:], cfg), real=None, cfg=cfg)
    again = apply_gen0(score_texts(docs[:60], language="en", reference=pool_reference(docs[100:], cfg), real=None,
                                   cfg=cfg), base.values)
    assert again.values["tail_drop_vs_gen0"] == 0.0 and again.values["tail_excess_drop"] == 0.0


def test_real_baseline_is_scored_once_per_process_and_identically(monkeypatch):
    """The loop scores every generation against the same held-out text and pool: the real baseline is
    computed once, and the cached scores are the ones a fresh computation gives (not shared objects)."""
    from textmad.evaluate import score as sc

    docs = lee_docs()
    cfg = small_cfg()
    cfg.metrics = ["tail", "diversity"]
    monkeypatch.setattr(sc, "_MEMO", {})
    calls = []
    real_model_free = sc._model_free
    monkeypatch.setattr(sc, "_model_free", lambda *a, **k: calls.append(bool(k.get("heldout"))) or real_model_free(*a, **k))
    ref = pool_reference(docs[100:], cfg)
    first = score_texts(docs[:60], language="en", reference=ref, real=docs[60:100], cfg=cfg)
    first.info["real"]["tail_coverage"] = -1.0  # a caller changing its copy does not change the cache
    second = score_texts(docs[:60], language="en", reference=ref, real=docs[60:100], cfg=cfg)
    assert calls == [False, True, False]  # the real baseline (heldout=True) once
    monkeypatch.setattr(sc, "_MEMO", {})
    fresh = score_texts(docs[:60], language="en", reference=ref, real=docs[60:100], cfg=cfg)
    assert second.record() == fresh.record() and second.info["real"]["tail_coverage"] > 0
    other = score_texts(docs[:60], language="en", reference=ref, real=docs[60:99], cfg=cfg)  # other text: scored
    assert calls[-2:] == [False, True] and other.info["sample"]["real_documents"] == 39


def test_heldout_split_smaller_than_the_sample_says_so():
    docs = lee_docs()
    cfg = small_cfg(3000)
    r = score_texts(docs[:80], language="en", reference=pool_reference(docs[100:], cfg), real=docs[80:85], cfg=cfg)
    held = sum(len(tokens(d)) for d in docs[80:85])
    reason = r.unavailable["tail_coverage_vs_real"]
    assert reason == f"held-out split has {held:,} words; needs 3,000 (evaluate.tail.sample_words)"
    assert r.unavailable["distinct_1_dist_to_real"].endswith("needs 3,000 (evaluate.diversity.sample_words)")
    assert r.unavailable["formality_lexical_drift"].startswith(f"held-out split has {held:,} words")


def test_real_baseline_is_heldout_text_and_the_pool_sample_is_reported_beside():
    """A sample of the training pool covers the pool's own tail better than unseen text: it is the
    regurgitation ceiling (real_train), and the baseline is held-out text (1.0 = like unseen real text)."""
    docs = lee_docs()
    cfg = small_cfg(2000)
    pool, heldout, unseen = docs[:150], docs[150:200], docs[200:]
    ref = pool_reference(pool, cfg)
    copied = score_texts(pool, language="en", reference=ref, real=heldout, cfg=cfg)
    fresh = score_texts(unseen, language="en", reference=ref, real=heldout, cfg=cfg)
    info = fresh.info
    assert info["tail_reference"]["real_baseline"] == "the held-out split"
    assert info["real_train"]["tail_coverage"] > 1.2 * info["real"]["tail_coverage"]
    assert copied.values["tail_coverage_vs_real"] > 1.2  # regurgitation shows as above 1 ...
    assert fresh.values["tail_coverage_vs_real"] == pytest.approx(1.0, abs=0.2)  # ... unseen real text near 1


def test_a_corpus_is_not_its_own_tail_reference():
    from types import SimpleNamespace

    docs = lee_docs()
    corpus = SimpleNamespace(name="lee", language="en",
                             split=lambda name: [{"text": t} for t in (docs[:200] if name == "train" else docs[200:])])
    r = score_corpus(corpus, small_cfg())
    for name in ("head_coverage", "tail_coverage", "tail_coverage_vs_real"):
        assert r.values[name] is None and "head coverage is 1.0 by construction" in r.unavailable[name]
    assert r.values["distinct_1"] is not None and r.values["distinct_1_dist_to_real"] is not None
    assert r.info["tail_reference"]["reference"] == "the train split itself"


def test_collapsed_text_scores_as_collapsed():
    docs = lee_docs()
    cfg = small_cfg()
    collapsed = [" ".join(["the government said the police said the government"] * 10)] * 40
    ref = pool_reference(docs[100:], cfg)
    real = score_texts(docs[:60], language="en", reference=ref, real=docs[60:100], cfg=cfg).values
    bad = score_texts(collapsed, language="en", reference=ref, real=docs[60:100], cfg=cfg, gen0_values=real).values
    assert bad["distinct_4"] < real["distinct_4"] and bad["self_bleu"] > real["self_bleu"]
    assert bad["repeated_4gram_share"] == 1.0 and bad["compression_ratio"] > real["compression_ratio"]
    assert bad["tail_coverage"] == 0.0 and bad["tail_drop_vs_gen0"] == 1.0
    for name in ("distinct_4", "self_bleu", "compression_ratio", "unseen_mass"):
        assert bad[f"{name}_dist_to_real"] > 3 * real[f"{name}_dist_to_real"], name


def test_random_letters_do_not_beat_real_text_on_any_registered_direction():
    """Gibberish has more unseen words, distinct n-grams and entropy than any real text, and less
    compression, self-BLEU and repetition; judged by distance to real text it is worse on every metric."""
    docs = lee_docs()
    cfg = small_cfg(2000)
    rng = random.Random(0)
    letters = [" ".join("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(1, 9)))
                        for _ in range(120)) for _ in range(40)]
    ref = pool_reference(docs[:150], cfg)
    real = score_texts(docs[150:200], language="en", reference=ref, real=docs[200:], cfg=cfg)
    gibberish = score_texts(letters, language="en", reference=ref, real=docs[200:], cfg=cfg)
    base = real.info["real"]
    checked = 0
    for m in METRICS:
        ours, theirs = gibberish.values.get(m.name), real.values.get(m.name)
        if ours is None or theirs is None or m.direction == "none":
            continue
        checked += 1
        if m.direction == "higher":
            assert ours <= theirs, m.name
        elif m.direction == "lower":
            assert ours >= theirs, m.name
        else:  # closer_to_real: the real value of a *_vs_real ratio is 1
            target = 1.0 if m.relation == "ratio" else base[m.name]
            if ours == target == 0:  # neither repeats a 4-gram in its first 50 words: a tie, not a win
                continue
            assert abs(ours - target) >= abs(theirs - target), m.name
    assert checked >= 25


# ---------------------------------------------------------------- fixed document length

def test_self_bleu_and_repeats_read_documents_at_a_fixed_length():
    """The same text cut to 20 or 200 words used to change self-BLEU 0.036 -> 0.062 and the repeated
    4-gram share 0.009 -> 0.333; at a fixed length no longer than the shortest document they are equal."""
    docs = [d for d in (tokens(t) for t in lee_docs()) if len(d) >= 200][:40]
    short, long = [d[:20] for d in docs], [d[:200] for d in docs]
    assert div.self_bleu(short, 40, 0, doc_words=20) == div.self_bleu(long, 40, 0, doc_words=20)
    joined = lambda ds: [" ".join(d) for d in ds]  # noqa: E731
    assert (div.ngram_stats(joined(short), 20)["repeated_4gram_share"]
            == div.ngram_stats(joined(long), 20)["repeated_4gram_share"])
    # uncut they differ: the confound the fixed length removes
    assert div.self_bleu(long, 40, 0) > 1.3 * div.self_bleu(short, 40, 0)
    assert div.ngram_stats(joined(long))["repeated_4gram_share"] > div.ngram_stats(joined(short))["repeated_4gram_share"]
    # through score_texts: the recipe's evaluate.diversity.doc_words
    cfg = small_cfg(3000)
    cfg.diversity.doc_words = 20
    r = score_texts(joined(long), language="en", reference=Reference(None, "none", reason="no reference"), real=None,
                    cfg=cfg)
    sample = div.sample_documents(long, 3000, cfg.seed)
    assert r.values["self_bleu"] == div.self_bleu(sample, 20, cfg.seed, doc_words=20)
    assert r.values["repeated_4gram_share"] == div.ngram_stats(joined(sample), 20)["repeated_4gram_share"]
    assert r.info["sample"]["doc_words"] == 20


def test_document_field_cut_matches_the_plain_definition():
    docs = [tokens(t) for t in lee_docs()[:60]] + [["a", "b", "c", "d"] * 8]
    for cut in (4, 7, 30):
        ours = div.ngram_stats([" ".join(d) for d in docs], cut)["repeated_4gram_share"]
        assert ours == reference_ngram_stats([d[:cut] for d in docs])["repeated_4gram_share"]


# ---------------------------------------------------------------- the registry

def test_every_metric_is_registered_once_with_a_family_direction_and_baseline():
    from textmad.evaluate.registry import BASELINES, DIRECTIONS

    names = [m.name for m in METRICS]
    assert len(names) == len(set(names))
    for m in METRICS:
        assert m.family in METRICS.families() and m.description and "\n" not in m.description
        assert m.direction in DIRECTIONS and m.baseline in BASELINES
        if m.relation:
            assert m.source in METRICS and METRICS[m.source].family == m.family
    assert METRICS.families() == ["perplexity", "gen0_perplexity", "tail", "diversity", "formality", "watermark",
                                  "semantic"]
    assert METRICS.model_free_families() == ["tail", "diversity", "formality"]
    assert {m.name for m in METRICS.derived("gen0")} == {"tail_drop_vs_gen0", "rest_drop_vs_gen0"}
    # a drop against generation 0 on another reference: computed from generation 0's samples, not its values
    assert METRICS["mix_tail_drop_vs_gen0"].baseline == "gen0" and not METRICS["mix_tail_drop_vs_gen0"].relation
    # every tail metric that ranks bands says on which vocabulary (metrics.json "about")
    from textmad.evaluate.registry import REFERENCES

    for m in METRICS:
        assert bool(m.reference) == bool({"reference", "train_mix"} & set(m.needs)), m.name
        assert not m.reference or m.reference in REFERENCES
    assert METRICS["heldout_bpc"].higher_is_better is False and METRICS["distinct_1"].higher_is_better is None
