"""Vocabulary tail coverage: do the rare words of the real text survive in generated text?

A reference vocabulary (generation 0's real training pool, or wordfreq's list for the language)
is ranked by frequency (ties broken by the word, so the ranking is deterministic). Ranks
1..head_ranks are the head, head_ranks+1..torso_ranks the torso, the rest the tail; "rest" is
head and torso together. For a sample of generated text of a fixed number of word tokens:

- ``<band>_coverage``: share of the band's reference types that occur in the sample;
- ``tail_token_share``: share of the sample's tokens that are tail words (tokens outside the
  reference vocabulary belong to no band);
- ``unseen_mass``: Good-Turing estimate of the probability of an unseen word, N1 / N
  (types seen once / tokens; Good 1953);
- ``zipf_exponent``: s in f(r) ~ r^-s, by least squares of log frequency on log rank over
  ranks 1..R, R = min(torso_ranks, number of types seen at least twice), so the hapax plateau
  does not flatten the fit; needs R >= 10.

Coverage grows with sample size, so it is only compared at equal sizes (``score.score_texts``
also reports it for a real sample of the same size).
"""
from __future__ import annotations

from collections import Counter
from typing import Iterable, Mapping, Sequence

import numpy as np

MIN_ZIPF_POINTS = 10


def rank_vocabulary(tokens: Iterable[str]) -> list[str]:
    """Types of ``tokens`` from most to least frequent (ties: alphabetical)."""
    counts = Counter(tokens)
    return sorted(counts, key=lambda w: (-counts[w], w))


def ranked_from_frequencies(freqs) -> list[str]:
    """A ranked word list from a word -> frequency mapping, (word, frequency) pairs or ranked words."""
    if isinstance(freqs, Mapping):
        return sorted(freqs, key=lambda w: (-freqs[w], w))
    items = list(freqs)
    if items and isinstance(items[0], (tuple, list)):
        return [w for w, _ in sorted(items, key=lambda p: (-p[1], p[0]))]
    return [str(w) for w in items]


def bands(ranked: Sequence[str], head_ranks: int, torso_ranks: int) -> dict[str, set[str]]:
    return {"head": set(ranked[:head_ranks]),
            "torso": set(ranked[head_ranks:torso_ranks]),
            "tail": set(ranked[torso_ranks:])}


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
