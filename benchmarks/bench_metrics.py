"""Speed and agreement of the model-free metrics, side by side with the reference libraries.

    python benchmarks/bench_metrics.py [--words 1000000] [--repeats 3]

Input: about 1 million word tokens of real English (the built-in corpus wiki-en) and of Bengali
(quran-bn), prepared by textmad's own corpus code exactly as a run prepares them (cached in the
default prepared folder), repeated as needed and cut into documents of about 200 words. Prints medians of repeated timings and the ratios:
- every model-free metric (score_texts: tail, diversity, formality without the spaCy tagger) at a
  sample of the full size, per language, and the two together;
- compression ratio and n-gram diversity against the ``diversity`` package on the same strings
  (and the bare level-9 gzip pass that the compression ratio is defined by);
- self-BLEU against NLTK sentence_bleu (method1) per document (NLTK on a smaller sample: it is slow);
- the spaCy F-score tagger (a model, timed apart), and perplexity throughput of a tiny Llama.
"""
from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import time
from pathlib import Path

from textmad.corpus import SPLITS, prepare
from textmad.evaluate import diversity as div
from textmad.evaluate import formality as fm
from textmad.evaluate.score import Reference, score_texts
from textmad.text import tokens
from textmad.recipe import CorpusConfig, EvaluateConfig

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fixtures import tiny_llama  # noqa: E402  (the tests' one tiny-model builder)

DOC_WORDS = 200


def corpus_text(name: str) -> str:
    """Every split of a built-in corpus as the loop prepares it (`textmad corpus prepare NAME`), joined."""
    corpus = prepare(CorpusConfig(name=name))
    return "\n".join(doc["text"] for split in SPLITS for doc in corpus.split(split))


def documents(text: str, n_words: int) -> list[str]:
    """Documents of about DOC_WORDS words (cut on whitespace), the text repeated until n_words."""
    pieces = text.split()
    docs, total = [], 0
    while total < n_words:
        for i in range(0, len(pieces), DOC_WORDS):
            docs.append(" ".join(pieces[i:i + DOC_WORDS]))
            total += len(tokens(docs[-1]))
            if total >= n_words:
                break
    return docs


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def bench_language(name, language, docs, n_words, repeats):
    cfg = EvaluateConfig()
    cfg.metrics = ["tail", "diversity", "formality"]
    cfg.tail.sample_words = cfg.diversity.sample_words = n_words
    t_all, result = median_time(lambda: score_texts(docs, language=language, cfg=cfg, real=None,
                                                    reference=Reference.build(docs, "the same text", language, cfg)
                                                    ).values, repeats)
    print(f"\n== {name}: {len(docs)} documents, {n_words} word tokens per sample")
    print(f"score_texts, every model-free metric (reference = the same text):  median {t_all:.2f} s")
    for key in ("tail_coverage", "unseen_mass", "zipf_exponent", "distinct_1", "distinct_4", "entropy_4",
                "compression_ratio", "self_bleu", "repeated_4gram_share", "formality_lexical", "sadhu_share"):
        if result.get(key) is not None:
            print(f"  {key:<22} {result[key]:.4f}")

    sample = div.sample_documents([tokens(d) for d in docs], n_words, cfg.seed)
    strings = [" ".join(d) for d in sample]
    from diversity import compression_ratio, ngram_diversity_score

    t_ours_c, ours_c = median_time(lambda: div.compression_ratio(strings), repeats)
    t_ref_c, ref_c = median_time(lambda: compression_ratio(strings, "gzip"), repeats)
    t_ours_n, ours_n = median_time(lambda: div.ngram_stats(strings)["ngram_diversity"], repeats)
    t_ref_n, ref_n = median_time(lambda: ngram_diversity_score(strings, 4), repeats)
    data = " ".join(strings).encode("utf-8")
    t_zlib, _ = median_time(lambda: gzip.compress(data, 9), repeats)
    print(f"compression_ratio   ours {round(ours_c, 3)} in {t_ours_c:.2f} s | diversity {ref_c} in {t_ref_c:.2f} s "
          f"| equal: {round(ours_c, 3) == ref_c} | speed x{t_ref_c / t_ours_c:.1f}")
    print(f"  its first level-9 gzip pass alone takes {t_zlib:.2f} s = {100 * t_zlib / t_ref_c:.0f}% of diversity's "
          f"time: any implementation giving this value needs it, so none can be 10x faster")
    print(f"ngram_diversity     ours {round(ours_n, 3)} in {t_ours_n:.2f} s (with distinct/entropy 1-4 and "
          f"repeats) | diversity {ref_n} in {t_ref_n:.2f} s | equal: {round(ours_n, 3) == ref_n} | "
          f"speed x{t_ref_n / t_ours_n:.1f}")

    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    k_nltk = 20
    small = sample[:k_nltk]
    t_nltk, ref_b = median_time(lambda: sum(
        sentence_bleu(small[:i] + small[i + 1:], h, smoothing_function=SmoothingFunction().method1)
        for i, h in enumerate(small)) / len(small), 1)
    t_small, ours_small = median_time(lambda: div.self_bleu(small, k_nltk, seed=0), repeats)
    t_ours_b, _ = median_time(lambda: div.self_bleu(sample, cfg.diversity.self_bleu_docs, cfg.seed), repeats)
    k = min(cfg.diversity.self_bleu_docs, len(sample))
    # NLTK's cost per document grows with the number of references (k - 1): scale its per-document time.
    nltk_per_doc = t_nltk / k_nltk * (k - 1) / (k_nltk - 1)
    print(f"self_bleu ({k_nltk} docs) ours {ours_small:.6f} | NLTK {ref_b:.6f} | equal to 1e-12: "
          f"{abs(ours_small - ref_b) < 1e-12} | per document: ours {1e3 * t_small / k_nltk:.2f} ms, "
          f"NLTK {1e3 * t_nltk / k_nltk:.1f} ms, x{t_nltk / t_small:.0f}")
    print(f"self_bleu ({k} docs, the documented sample) ours {t_ours_b:.3f} s = {1e3 * t_ours_b / k:.2f} ms/doc; "
          f"NLTK extrapolated {1e3 * nltk_per_doc:.0f} ms/doc, x{nltk_per_doc / (t_ours_b / k):.0f}")
    return t_all


def bench_tagger(docs, n_words=20000):
    nlp, reason = fm._spacy_tagger()
    if nlp is None:
        print(f"\nspaCy F-score: not timed ({reason})")
        return
    texts, total = [], 0
    for d in docs:
        texts.append(d)
        total += len(tokens(d))
        if total >= n_words:
            break
    t, f = median_time(lambda: fm.heylighen_dewaele(texts)[0], 1)
    print(f"\nspaCy Heylighen-Dewaele F-score (a tagger model, not in the 10 s budget): {total} words in "
          f"{t:.2f} s = {total / t:,.0f} words/s; F = {f:.2f}")


def bench_perplexity(docs, repeats):
    import torch
    from textmad.evaluate.perplexity import perplexity

    model, tokenizer = tiny_llama(docs[:2000], vocab_size=2000, hidden_size=128, intermediate_size=384,
                                  max_positions=256)
    texts = docs[:200]
    t, r = median_time(lambda: perplexity(model, tokenizer, texts, window=128, stride=64, batch_size=16), repeats)
    print(f"\nperplexity, tiny Llama (2 layers x 128, vocab 2000), window 128 stride 64, {torch.get_num_threads()} "
          f"threads: {r['tokens']} tokens in {t:.2f} s = {r['tokens'] / t:,.0f} scored tokens/s "
          f"(ppl {r['ppl']:.1f}, bpb {r['bpb']:.3f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--words", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"cores available: {len(os.sched_getaffinity(0))}")
    en = documents(corpus_text("wiki-en"), args.words)
    bn = documents(corpus_text("quran-bn"), args.words)
    tagger = fm._spacy_tagger
    fm._spacy_tagger = lambda: (None, "timed apart")  # the tagger is a model: its own line below
    try:
        total = bench_language("English (gensim Wikipedia)", "en", en, args.words, args.repeats)
        total += bench_language("Bengali (Quran-bn)", "bn", bn, args.words, args.repeats)
    finally:
        fm._spacy_tagger = tagger
    print(f"\nall model-free metrics, English + Bengali, {args.words} words each: {total:.2f} s "
          f"(budget 10 s: {'met' if total <= 10 else 'NOT met'})")
    bench_tagger(en)
    bench_perplexity(en, args.repeats)


if __name__ == "__main__":
    main()
