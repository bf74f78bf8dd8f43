"""N-gram diversity of a set of documents, at a fixed sample size.

Every function takes documents as lists of tokens (``words.tokens``: Unicode words, casefolded),
so the figures mean the same in every script. Sample-size-dependent figures (distinct-n,
entropy, compression, self-BLEU) are only comparable at equal sample sizes: ``sample_documents``
draws that sample.

Definitions
- distinct-n: unique n-grams / all n-grams over the sample's token stream (documents
  concatenated in sampled order), n = 1..4 (Li et al. 2016). ``ngram_diversity`` is their sum,
  the value of the ``diversity`` package's ``ngram_diversity_score`` on the same tokens.
- entropy-n: Shannon entropy in bits of the n-gram frequency distribution of that stream.
- compression ratio: UTF-8 size of the documents' tokens (tokens joined by one space, documents
  joined by one space) divided by the size of its gzip file, exactly as ``diversity`` 0.2.2's
  ``compression_ratio`` (including its quirk: the text is gzip-compressed at level 9 and that
  stream is written again through a level-9 ``GzipFile`` named ``compressed.gz``; the figure is
  therefore slightly below a single-gzip ratio). Higher means more repetitive text.
- self-BLEU (Zhu et al. 2018, Texygen): for each of ``k`` documents drawn with the seed, BLEU-4
  of the document against the other ``k - 1`` as references, averaged. BLEU-4 is NLTK's
  ``sentence_bleu`` with uniform weights and ``SmoothingFunction().method1`` (epsilon 0.1 for
  zero matches): clipped n-gram precision, closest reference length (shorter on ties), brevity
  penalty exp(1 - r/c). Higher means documents resemble each other.
- repeated 4-gram share: share of sampled documents in which some 4-gram occurs twice.
- document length: mean and population standard deviation of words per document (all documents).

Hand-written rather than calling ``diversity``/NLTK: those build Python tuples per n-gram and
write temporary files; this uses integer codes in numpy and is over 10x faster at the same values
(benchmarks/bench_metrics.py).
"""
from __future__ import annotations

import gzip
import math
import random
from collections import Counter

import numpy as np

MAX_N = 4


def sample_indices(docs: list[list[str]], n_words: int, seed: int) -> list[int] | None:
    """Indices of non-empty documents in an order shuffled with ``seed``, until ``n_words`` tokens.

    None when all documents together have fewer than ``n_words`` tokens.
    """
    if sum(len(d) for d in docs) < n_words:
        return None
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    chosen, total = [], 0
    for i in order:
        if docs[i]:
            chosen.append(i)
            total += len(docs[i])
            if total >= n_words:
                break
    return chosen


def sample_documents(docs: list[list[str]], n_words: int, seed: int) -> list[list[str]] | None:
    """The documents of ``sample_indices``, the last one cut so that exactly ``n_words`` tokens remain."""
    chosen = sample_indices(docs, n_words, seed)
    if chosen is None:
        return None
    sample = [docs[i] for i in chosen]
    sample[-1] = sample[-1][: n_words - sum(len(d) for d in sample[:-1])]
    return sample


def _stream(docs: list[list[str]]) -> tuple[np.ndarray, np.ndarray, int]:
    """Token ids of the concatenated documents, the document index of each token, the vocabulary size."""
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(w, len(vocab)) for d in docs for w in d]
    doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), [len(d) for d in docs])
    return np.asarray(ids, dtype=np.int64), doc_of, len(vocab)


def _entropy_bits(counts: np.ndarray) -> float:
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def ngram_stats(docs: list[list[str]], max_n: int = MAX_N) -> dict:
    """distinct_n and entropy_n for n = 1..max_n, their sum ngram_diversity, repeated_4gram_share."""
    ids, doc_of, vocab_size = _stream(docs)
    out: dict = {"ngram_diversity": 0.0, "repeated_4gram_share": None}
    codes = ids
    for n in range(1, max_n + 1):
        count = len(ids) - n + 1
        if count <= 0:
            out.update({f"distinct_{n}": None, f"entropy_{n}": None, "ngram_diversity": None})
            continue
        if n > 1:
            # An n-gram is an (n-1)-gram code and the next token: one integer, renumbered densely.
            _, codes = np.unique(codes[:count] * vocab_size + ids[n - 1:], return_inverse=True)
            codes = codes.ravel().astype(np.int64)
        counts = np.bincount(codes)
        counts = counts[counts > 0]
        out[f"distinct_{n}"] = len(counts) / count
        out[f"entropy_{n}"] = _entropy_bits(counts)
        if out["ngram_diversity"] is not None:
            out["ngram_diversity"] += out[f"distinct_{n}"]
        if n == 4:
            out["repeated_4gram_share"] = _repeated_share(codes, doc_of, len(docs))
    return out


def _repeated_share(codes4: np.ndarray, doc_of: np.ndarray, n_docs: int) -> float:
    """Share of documents in which a 4-gram (not crossing a document boundary) occurs twice."""
    inside = doc_of[: len(codes4)] == doc_of[3: 3 + len(codes4)]
    keys = doc_of[: len(codes4)][inside] * (int(codes4.max()) + 1) + codes4[inside]
    uniq, counts = np.unique(keys, return_counts=True)
    repeated_docs = np.unique(uniq[counts > 1] // (int(codes4.max()) + 1))
    return len(repeated_docs) / n_docs


def compression_ratio(strings: list[str]) -> float:
    """The ``diversity`` package's gzip compression ratio of ``strings`` (see the module docstring)."""
    data = " ".join(strings).encode("utf-8")
    # GzipFile("compressed.gz") stores the name "compressed" plus a NUL in its header: 11 bytes.
    compressed = len(gzip.compress(gzip.compress(data, 9), 9)) + len("compressed") + 1
    return len(data) / compressed


def _ngram_counts(doc: list[str], n: int) -> Counter:
    return Counter(tuple(doc[i:i + n]) for i in range(len(doc) - n + 1))


def self_bleu(docs: list[list[str]], n_docs: int, seed: int, epsilon: float = 0.1) -> float | None:
    """Mean BLEU-4 of each of ``n_docs`` seeded-sampled documents against the others (NLTK method1)."""
    if len(docs) < 2:
        return None
    chosen = [docs[i] for i in sorted(random.Random(seed).sample(range(len(docs)), min(n_docs, len(docs))))]
    counts = [[_ngram_counts(d, n) for d in chosen] for n in range(1, MAX_N + 1)]
    # For each n-gram: the largest count in any document, that document, and the second largest,
    # so that "largest count among the other documents" costs one lookup.
    best = []
    for per_doc in counts:
        top: dict[tuple, list] = {}
        for j, c in enumerate(per_doc):
            for g, k in c.items():
                t = top.get(g)
                if t is None:
                    top[g] = [k, j, 0]
                elif k > t[0]:
                    top[g] = [k, j, t[0]]
                elif k > t[2]:
                    t[2] = k
        best.append(top)
    lengths = [len(d) for d in chosen]
    scores = []
    for i, hyp in enumerate(chosen):
        c = len(hyp)
        others = lengths[:i] + lengths[i + 1:]
        r = min(others, key=lambda ref_len: (abs(ref_len - c), ref_len))
        logs, unigram_match = [], True
        for n in range(1, MAX_N + 1):
            match = 0
            for g, k in counts[n - 1][i].items():
                first, who, second = best[n - 1][g]
                match += min(k, second if who == i else first)
            denom = max(1, c - n + 1)
            if match == 0:
                if n == 1:
                    unigram_match = False
                    break
                logs.append(0.25 * math.log(epsilon / denom))
            else:
                logs.append(0.25 * math.log(match / denom))
        if not unigram_match or c == 0:
            scores.append(0.0)
            continue
        bp = 1.0 if c > r else math.exp(1 - r / c)
        scores.append(bp * math.exp(math.fsum(logs)))
    return sum(scores) / len(scores)


def length_stats(docs: list[list[str]]) -> dict:
    lengths = np.array([len(d) for d in docs], dtype=np.float64)
    if len(lengths) == 0:
        return {"doc_len_mean": None, "doc_len_std": None}
    return {"doc_len_mean": float(lengths.mean()), "doc_len_std": float(lengths.std())}
