"""N-gram diversity of a set of documents, at a fixed sample size.

Documents are their tokens (``words.tokens``: Unicode words, casefolded), so the figures mean
the same in every script: lists of tokens, or for ``ngram_stats`` and ``compression_ratio`` the
tokens joined by single spaces. Sample-size-dependent figures (distinct-n,
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
  of the document against the other ``k - 1`` as references, averaged. Documents are cut to their
  first ``doc_words`` words first (``evaluate.diversity.doc_words``): on the same text cut to 20
  and to 200 words, uncut self-BLEU went 0.036 -> 0.062, so generated and real documents of
  different lengths must be compared at one length. BLEU-4 is NLTK's
  ``sentence_bleu`` with uniform weights and ``SmoothingFunction().method1`` (epsilon 0.1 for
  zero matches): clipped n-gram precision, closest reference length (shorter on ties), brevity
  penalty exp(1 - r/c). Higher means documents resemble each other.
- repeated 4-gram share: share of sampled documents in whose first ``doc_words`` words some
  4-gram occurs twice (uncut, the same text cut to 20 and to 200 words gave 0.009 and 0.333).
- document length: mean and population standard deviation of words per document (all documents).

Hand-written rather than calling ``diversity``/NLTK, which build a Python tuple per n-gram: at
the same values, n-gram statistics run over 10x faster than ``diversity`` and self-BLEU over 60x
faster than NLTK (benchmarks/bench_metrics.py). The compression ratio runs at the same speed as
``diversity``'s: its value is defined by a level-9 gzip pass, which is nearly all of the time.
"""
from __future__ import annotations

import gzip
import math
import random
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

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


_U64 = np.uint64
KEY_BITS = 64  # the width of the integers that n-grams are packed into (tests lower it to take the fallbacks)


def _bits(values_below: int) -> int:
    """Bits needed to write every integer in range(values_below)."""
    return max(1, (int(values_below) - 1).bit_length())


def _encode(texts) -> tuple[np.ndarray, np.ndarray, object]:
    """Words per text, word ids (indices into the returned dictionary), the dictionary (pyarrow)."""
    import pyarrow.compute as pc

    lists = pc.split_pattern(texts, " ")
    lengths = np.diff(lists.offsets.to_numpy()).astype(np.int64)
    values = lists.flatten()
    empty = pc.equal(values, "")
    if pc.any(empty).as_py():  # an empty text, or a stray space: "" is not a word
        owner = np.repeat(np.arange(len(lengths)), lengths)
        lengths = lengths - np.bincount(owner[empty.to_numpy(zero_copy_only=False)], minlength=len(lengths))
        values = values.filter(pc.invert(empty))
    encoded = values.dictionary_encode()
    return lengths, encoded.indices.to_numpy(zero_copy_only=False).astype(_U64), encoded.dictionary


def _word_ids(texts: list[str], pool: ThreadPoolExecutor) -> tuple[np.ndarray, int, np.ndarray]:
    """Dense word ids of the texts' words in order, the vocabulary size, the words per text.

    pyarrow splits and dictionary-encodes in C++ without the GIL, so the two halves of the texts
    are encoded on two threads; the second half's dictionary is then mapped into the first's.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    texts = pa.array(texts, type=pa.large_string())
    half = len(texts) // 2
    (len0, ids0, dict0), (len1, ids1, dict1) = pool.map(_encode, [texts.slice(0, half), texts.slice(half)])
    into0 = pc.index_in(dict1, value_set=dict0).fill_null(-1).to_numpy().astype(np.int64)
    new = into0 < 0
    into0[new] = len(dict0) + np.arange(int(new.sum()))
    ids = np.concatenate([ids0, into0.astype(_U64)[ids1]])
    return ids, len(dict0) + int(new.sum()), np.concatenate([len0, len1])


def _sorted_with_order(keys: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """``keys`` sorted (they are below 2**width) and the positions they came from.

    When the position fits in the bits the keys leave free, one plain sort of key-and-position
    replaces the argsort (3x slower in numpy).
    """
    position_bits = _bits(len(keys))
    if width + position_bits <= KEY_BITS:
        packed = np.sort((keys << _U64(position_bits)) | np.arange(len(keys), dtype=_U64))
        return packed >> _U64(position_bits), (packed & _U64((1 << position_bits) - 1)).astype(np.int64)
    order = np.argsort(keys)
    return keys[order], order


def _dense(keys: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each key's rank among the distinct keys (they are below 2**width), and each distinct key's count."""
    ordered, order = _sorted_with_order(keys, width)
    first, counts = _runs(ordered)
    rank = np.empty(len(keys), dtype=_U64)
    rank[order] = np.cumsum(first, dtype=_U64) - _U64(1)
    return rank, counts


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each distinct value of a sorted array first appears (a mask), and how many times it occurs."""
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    return first, np.diff(np.flatnonzero(np.r_[first, True]))


def _entropy_bits(counts: np.ndarray) -> float:
    """Shannon entropy in bits of the distribution with these (positive) counts.

    H = log2 T - (1/T) sum_k m_k k log2 k, where m_k values occur k times: a sum over the few
    distinct counts instead of one term per n-gram.
    """
    total = int(counts.sum())
    m = np.bincount(counts)
    k = np.flatnonzero(m)
    return float(math.log2(total) - (m[k] * k * np.log2(k)).sum() / total)


def _document_field(lengths: np.ndarray, count: int, doc_words: int | None) -> tuple[np.ndarray, int]:
    """For each of the first ``count`` positions, the document of the 4-gram starting there.

    A 4-gram that crosses a document boundary, or ends past a document's first ``doc_words``
    words, gets a number of its own (above every document's), so that it never looks repeated.
    """
    n_docs = len(lengths)
    doc_of = np.repeat(np.arange(n_docs, dtype=_U64), lengths)
    field = doc_of[:count].copy()
    outside = field != doc_of[3: 3 + count]
    if doc_words is not None:
        position = np.arange(count) - np.repeat(np.cumsum(lengths) - lengths, lengths)[:count]
        outside |= position + MAX_N > doc_words
    n_outside = int(outside.sum())
    field[outside] = n_docs + np.arange(n_outside, dtype=_U64)
    return field, _bits(n_docs + n_outside)


def _distinct_and_entropy(counts: np.ndarray, n_grams: int) -> tuple[float, float]:
    return len(counts) / n_grams, _entropy_bits(counts)


def ngram_stats(texts: list[str], doc_words: int | None = None) -> dict:
    """distinct_n and entropy_n for n = 1..4, their sum ngram_diversity, and repeated_4gram_share.

    ``texts``: the documents, each its tokens joined by single spaces (``" ".join(tokens)``, the
    input of the ``diversity`` package too). ``repeated_4gram_share`` looks at each document's
    first ``doc_words`` words (all of them when None): a longer document has more chances to
    repeat a 4-gram, so documents of different lengths are compared on equal lengths.

    Hand-written because ``diversity`` builds a Python tuple per n-gram (10x slower). Here each
    n-gram is one integer, equal exactly when the n-grams are equal: a bigram packs two word ids;
    bigrams are then numbered densely, so that a trigram packs a bigram number and a word id and a
    4-gram two bigram numbers plus its document. Sorting those integers (numpy releases the GIL:
    two threads) gives each distinct n-gram's count, and equal neighbours in the 4-gram sort are a
    4-gram repeated inside one document.
    """
    out: dict = {f"{name}_{n}": None for n in range(1, MAX_N + 1) for name in ("distinct", "entropy")}
    out.update({"ngram_diversity": None, "repeated_4gram_share": None})
    with ThreadPoolExecutor(max_workers=2) as pool:
        ids, vocab_size, lengths = _word_ids(texts, pool)
        total = len(ids)
        if total < MAX_N:
            for n in range(1, total + 1):
                counts = np.unique(np.lib.stride_tricks.sliding_window_view(ids, n), axis=0, return_counts=True)[1]
                out[f"distinct_{n}"], out[f"entropy_{n}"] = _distinct_and_entropy(counts, total - n + 1)
            return out
        unigrams = pool.submit(lambda: _distinct_and_entropy(np.bincount(ids.astype(np.int64)), total))
        field = pool.submit(_document_field, lengths, total - 3, doc_words)
        word_bits = _bits(vocab_size)
        bigram, counts2 = _dense((ids[:-1] << _U64(word_bits)) | ids[1:], 2 * word_bits)
        bigram_bits = _bits(len(counts2))
        trigrams = (bigram[:-1] << _U64(word_bits)) | ids[2:]
        pairs = (bigram[:-2] << _U64(bigram_bits)) | bigram[2:]
        field, field_bits = field.result()
        if 2 * bigram_bits + field_bits > KEY_BITS:  # over ~2**21 distinct bigrams: number the 4-grams first
            pairs = _dense(pairs, 2 * bigram_bits)[0]
        fourgrams = (pairs << _U64(field_bits)) | field

        def trigram_stats():
            return _distinct_and_entropy(_runs(np.sort(trigrams))[1], total - 2)

        def fourgram_stats():
            ordered = np.sort(fourgrams)
            twice = ordered[1:][ordered[1:] == ordered[:-1]]
            in_docs = np.unique(twice & _U64((1 << field_bits) - 1))
            return _distinct_and_entropy(_runs(ordered >> _U64(field_bits))[1], total - 3), len(in_docs)

        three, four = pool.submit(trigram_stats), pool.submit(fourgram_stats)
        out["distinct_1"], out["entropy_1"] = unigrams.result()
        out["distinct_2"], out["entropy_2"] = _distinct_and_entropy(counts2, total - 1)
        out["distinct_3"], out["entropy_3"] = three.result()
        (out["distinct_4"], out["entropy_4"]), repeated_docs = four.result()
    out["ngram_diversity"] = sum(out[f"distinct_{n}"] for n in range(1, MAX_N + 1))
    out["repeated_4gram_share"] = repeated_docs / len(lengths)
    return out


def compression_ratio(strings: list[str]) -> float:
    """The ``diversity`` package's gzip compression ratio of ``strings`` (see the module docstring)."""
    data = " ".join(strings).encode("utf-8")
    # GzipFile("compressed.gz") stores the name "compressed" plus a NUL in its header: 11 bytes.
    compressed = len(gzip.compress(gzip.compress(data, 9), 9)) + len("compressed") + 1
    return len(data) / compressed


def _ngram_counts(doc: list[str], n: int) -> Counter:
    return Counter(tuple(doc[i:i + n]) for i in range(len(doc) - n + 1))


def self_bleu(docs: list[list[str]], n_docs: int, seed: int, doc_words: int | None = None,
              epsilon: float = 0.1) -> float | None:
    """Mean BLEU-4 of each of ``n_docs`` seeded-sampled documents, cut to their first ``doc_words``
    words (whole when None), against the others (NLTK method1)."""
    if len(docs) < 2:
        return None
    chosen = [docs[i][:doc_words] for i in sorted(random.Random(seed).sample(range(len(docs)), min(n_docs, len(docs))))]
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
