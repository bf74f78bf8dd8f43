"""Which words were lost: the real pool's tail words that generation 0 still wrote and an arm's last
generation no longer writes, the concrete face of "the tail goes first".

Computed from the run directory alone, as the tail metrics define the tail: generation 0's training
mix is the real train pool, its words (counted as the metrics count them: NFC, casefolded) are ranked
by frequency and cut into bands as ``textmad.evaluate.tail.bands`` cuts them (``evaluate.tail``'s
head_ranks and torso_ranks). Unlike the tail metrics,
which compare equal-size samples, this reads every sample each generation wrote.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from textmad.evaluate.tail import bands
from textmad.text import tokens
from textmad.report.rundir import Run


@dataclass
class LostWords:
    arm: str
    last: int                       # the arm's last finished generation
    gen0_tail: int                  # tail word types generation 0 wrote
    lost: list[tuple[str, int, int]] = field(default_factory=list)  # (word, pool count, gen-0 count), most written first
    survival: list[tuple[int, int]] = field(default_factory=list)   # (generation, gen-0 tail types still written)


def band_ranks(run: Run) -> tuple[int, int]:
    """The recipe's (head_ranks, torso_ranks)."""
    tail = run.recipe.evaluate.tail
    return tail.head_ranks, tail.torso_ranks


@lru_cache(maxsize=8)
def _pool(run_path, ranks: tuple[int, int]) -> tuple[Counter, frozenset]:
    """Word counts of the real train pool (generation 0's mix) and its tail band."""
    run = Run(run_path)
    counts = Counter(w for row in run.train_mix(None, 0) if row.get("origin") == "real"
                     for w in tokens(row.get("text", "")))
    return counts, frozenset(bands(counts, *ranks)[0]["tail"])


def written(run: Run, arm: str | None, k: int) -> Counter:
    return Counter(w for s in run.samples(arm, k) for w in tokens(s.get("text", "")))


def lost_words(run: Run, arm: str) -> LostWords:
    pool, tail = _pool(run.path, band_ranks(run))
    gen0 = Counter({w: c for w, c in written(run, None, 0).items() if w in tail})
    gens = run.generations(arm)
    survival = [(0, len(gen0))]
    last = Counter()
    for k in gens[1:]:
        last = written(run, arm, k)
        survival.append((k, sum(1 for w in gen0 if w in last)))
    lost = sorted(((w, pool[w], c) for w, c in gen0.items() if w not in last), key=lambda r: (-r[2], -r[1], r[0]))
    return LostWords(arm, gens[-1], len(gen0), lost if len(gens) > 1 else [], survival)
