"""Vocabulary tail coverage: do the rare words of the real text survive in generated text?

A reference vocabulary (generation 0's real training pool, or wordfreq's list for the language)
is ranked by frequency. Ranks 1..head_ranks are the head, head_ranks+1..torso_ranks the torso,
the rest the tail; "rest" is head and torso together. Words of equal frequency are
interchangeable, so a frequency class is never split by a cut: a class that straddles a cut goes
whole to the side that holds most of its members (the upper band on a tie). Half or more of a
training pool's tail are hapaxes, so an alphabetical split of that class would decide band
membership by spelling. ``bands`` therefore returns sizes that can differ from the nominal
head_ranks / torso_ranks - head_ranks; the evaluation metadata reports them.

For a sample of text of a fixed number of word tokens:

- ``<band>_coverage``: share of the band's reference types that occur in the sample;
- ``tail_token_share``: share of the sample's tokens that are tail words (tokens outside the
  reference vocabulary belong to no band);
- ``unseen_mass``: Good-Turing estimate of the probability of an unseen word, N1 / N
  (types seen once / tokens; Good 1953);
- ``zipf_exponent``: s in f(r) ~ r^-s, by least squares of log frequency on log rank over
  ranks 1..R, R = min(torso_ranks, number of types seen at least twice), so the hapax plateau
  does not flatten the fit; needs R >= 10.

``mix_tail_coverage`` ranks the bands on the real text the generation itself trained on (its training
mix's real and fresh documents) instead of generation 0's pool: under fresh data the pool's rare words
(names, topics of its documents) fade from a healthy model as fresh slices bring others, and a fixed
reference reads that vocabulary shift as tail loss. ``trained_tail`` gives that tail, ``coverage`` the
share of it a sample holds; the fair baseline is again an equal-size held-out sample on the same words.
Its change from generation 0 compares that ratio with generation 0's on a part of generation 0's pool as
large as the generation's own real text (``matched_documents``): the ratio depends on the text's size.

Coverage grows with sample size, so it is only compared at equal sizes. The fair real baseline
(``score``): the reference is generation 0's training pool, and generated text is compared with an
equal-size sample of *held-out* real text, which no model trained on: ``tail_coverage_vs_real =
1`` means the text covers the pool's rare words as well as unseen real text does. A sample of the
pool itself covers its own tail better than any unseen text (by 1.25x in English and 2.35x in
Bengali on the built-in corpora), so it is reported beside (``evaluation.real_train``) as the
ceiling that regurgitation reaches, never used as the baseline.
"""
from __future__ import annotations

import bisect
import random
from collections import Counter
from typing import Iterable, Mapping, Sequence

import numpy as np

MIN_ZIPF_POINTS = 10


def bands(freqs: Mapping[str, float], head_ranks: int, torso_ranks: int) -> tuple[dict[str, set[str]], dict]:
    """({"head", "torso", "tail"} -> words, sizes) from a word -> frequency (or count) mapping.

    Cuts fall between frequency classes (module docstring); sizes records each band's size and
    the lowest frequency in the head and torso.
    """
    ranked = sorted(freqs, key=lambda w: (-freqs[w], w))
    cuts = [_class_cut(ranked, freqs, c) for c in (min(head_ranks, torso_ranks), torso_ranks)]
    out = {"head": set(ranked[:cuts[0]]), "torso": set(ranked[cuts[0]:cuts[1]]), "tail": set(ranked[cuts[1]:])}
    sizes = {f"{band}_words": len(words) for band, words in out.items()}
    sizes.update({"head_min_frequency": freqs[ranked[cuts[0] - 1]] if cuts[0] else None,
                  "torso_min_frequency": freqs[ranked[cuts[1] - 1]] if cuts[1] > cuts[0] else None})
    return out, sizes


def _class_cut(ranked: Sequence[str], freqs: Mapping[str, float], rank: int) -> int:
    """The cut nearest ``rank`` that keeps each frequency class on one side (majority side, upper on ties)."""
    if rank <= 0 or rank >= len(ranked):
        return max(0, min(rank, len(ranked)))
    f = freqs[ranked[rank - 1]]
    if freqs[ranked[rank]] != f:
        return rank
    first = bisect.bisect_left(ranked, True, hi=rank, key=lambda w: freqs[w] <= f)
    last = bisect.bisect_left(ranked, True, lo=rank, key=lambda w: freqs[w] < f)
    return last if rank - first >= last - rank else first


def trained_tail(trained: Iterable[Sequence[str]], head_ranks: int, torso_ranks: int) -> tuple[set[str], dict]:
    """(tail words, band sizes) of the word tokens of the documents a generation trained on, cut as ``bands``."""
    band_sets, sizes = bands(Counter(w for doc in trained for w in doc), head_ranks, torso_ranks)
    return band_sets["tail"], sizes


def matched_documents(docs: Sequence[Sequence[str]], n_words: int, seed: int) -> list[Sequence[str]]:
    """The shortest prefix of a seeded shuffle of ``docs`` with at least ``n_words`` word tokens (all of
    ``docs``, in their order, when they hold no more): a text the size of another, from the same source.
    ``mix_tail_drop_vs_gen0`` ranks generation 0's tail on it, so both generations' tails come from text
    of one size (a small text's tail is mostly its hapaxes, which a model that trained on it covers far
    better than unseen text: the ratio rises as the text shrinks)."""
    if sum(map(len, docs)) <= n_words:
        return list(docs)
    order = list(range(len(docs)))
    random.Random(seed).shuffle(order)
    out, total = [], 0
    for i in order:
        if total >= n_words:
            break
        out.append(docs[i])
        total += len(docs[i])
    return out


def coverage(sample: Iterable[str], words: set[str]) -> float | None:
    """Share of ``words`` that occur in ``sample`` (None for an empty set of words)."""
    return len(words & set(sample)) / len(words) if words else None


def unseen_mass(counts: Counter) -> float | None:
    n = sum(counts.values())
    return sum(1 for c in counts.values() if c == 1) / n if n else None


def zipf_exponent(counts: Counter, max_rank: int) -> float | None:
    freqs = np.array(sorted((c for c in counts.values() if c >= 2), reverse=True)[:max_rank], dtype=np.float64)
    if len(freqs) < MIN_ZIPF_POINTS:
        return None
    slope = np.polyfit(np.log(np.arange(1, len(freqs) + 1)), np.log(freqs), 1)[0]
    return float(-slope)


def tail_metrics(sample: list[str], band_sets: dict[str, set[str]], torso_ranks: int) -> dict:
    """Coverage, tail token share, unseen mass and Zipf exponent of a sample of tokens."""
    counts = Counter(sample)
    seen = counts.keys()
    out: dict = {}
    hits = {}
    for name, types in band_sets.items():
        hits[name] = len(types & seen) if len(types) < len(seen) else sum(1 for w in seen if w in types)
        out[f"{name}_coverage"] = hits[name] / len(types) if types else None
    rest = len(band_sets["head"]) + len(band_sets["torso"])
    out["rest_coverage"] = (hits["head"] + hits["torso"]) / rest if rest else None
    tail = band_sets["tail"]
    out["tail_token_share"] = sum(c for w, c in counts.items() if w in tail) / len(sample) if sample else None
    out["unseen_mass"] = unseen_mass(counts)
    out["zipf_exponent"] = zipf_exponent(counts, torso_ranks)
    return out
