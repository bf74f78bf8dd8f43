"""The five mixing modes: which documents each generation of an arm trains on, with provenance.

Pure functions over document ids; the loop turns ids into texts. Generation 0 always trains on the
whole real train pool and is shared by every arm. For an arm and a generation k >= 1, with T the
arm's training-set size (``arm.train_size``, else ``loop.train_size``, else the size of the real
train pool) and s_k its real share at generation k:

  replace               every sample of generation k-1 (``generate.num_samples`` documents, fewer
                        when ``generate.token_budget`` stops generation early)
  augment               the first round(T_k*s_k) documents of one fixed, seeded order of the real
                        pool (the same documents every generation) + T_k - that many samples of k-1
  accumulate            the whole real pool + every sample of generations 0..k-1 (grows each time)
  accumulate-subsample  the accumulate set, subsampled (seeded) to T documents
  fresh                 fresh slice k: the next round(T_k*s_k) documents of a seeded order of the
                        fresh pool, never used by an earlier generation of the arm, + T_k - that
                        many samples of k-1

T_k is T under ``loop.size_policy: fixed`` and k*T under ``growing`` (augment and fresh add T
documents each generation). Samples are drawn from generation k-1 by a seeded subset, so every
fixed-size mode except replace needs ``generate.num_samples >= T_k * (1 - s_k)``; the check runs
before any training, naming the numbers.

A synthetic document is a sample's ``text``: the continuation only, without its prompt, so no real
text enters a mix through the prompts. Every document of a mix carries ``origin`` ("real", "fresh:<k>" or "synthetic:<j>") and
``source_id`` (the train/fresh pool document id, or the sample id of generation j).
"""
from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from typing import Mapping, Sequence

from textmad.errors import UserError
from textmad.modes import ACCUMULATE, ACCUMULATE_SUBSAMPLE, AUGMENT, FRESH, REPLACE, SHARED_MODES
from textmad.recipe import Recipe, arm_name, arm_shares
from textmad.rundir import origin


def derive_seed(seed: int, *parts) -> int:
    """A 31-bit seed for one purpose (arm, generation, step), independent of anything run before."""
    text = "/".join([str(seed), *(str(p) for p in parts)])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:4], "big") & 0x7FFFFFFF


def _round(x: float) -> int:
    # round half up: Python's round() sends 0.5 to the even neighbour, which surprises in a size table
    return math.floor(x + 0.5)


def _shuffled(ids: Sequence[str], seed: int) -> list[str]:
    order = list(ids)
    random.Random(seed).shuffle(order)
    return order


@dataclass(frozen=True)
class ArmPlan:
    """Everything the mix of one arm depends on, resolved from the recipe and the pool sizes."""
    name: str
    mode: str
    shares: tuple[float, ...]   # real share at generations 1..G (0 where the mode fixes it)
    train_size: int             # T
    size_policy: str
    seed: int                   # the recipe seed

    @property
    def generations(self) -> int:
        return len(self.shares)

    def target_size(self, k: int) -> int:
        """T_k: documents in the mix of a fixed-size mode at generation k."""
        if self.size_policy == "growing" and self.mode in SHARED_MODES:
            return k * self.train_size
        return self.train_size

    def real_count(self, k: int) -> int:
        """Real (augment) or fresh (fresh) documents in the mix at generation k."""
        return _round(self.target_size(k) * self.shares[k - 1]) if self.mode in SHARED_MODES else 0

    def synthetic_needed(self, k: int) -> int:
        """Samples of generation k-1 a fixed-size mode draws; 0 for modes that take them all."""
        return self.target_size(k) - self.real_count(k) if self.mode in SHARED_MODES else 0

    def fresh_slice(self, k: int) -> range:
        """Positions of fresh slice k in the seeded fresh order: disjoint from slices 1..k-1."""
        if self.mode != FRESH:
            return range(0)
        start = sum(self.real_count(j) for j in range(1, k))
        return range(start, start + self.real_count(k))


def plan_arms(recipe: Recipe, num_real: int, num_fresh: int, source: str = "recipe") -> list[ArmPlan]:
    """Resolve every arm of ``recipe`` and check, before any training, that the pools are big enough."""
    loop = recipe.loop
    if num_real < 1:
        raise UserError(f"{source}: the real train pool of corpus {recipe.corpus.name!r} is empty")
    plans = []
    for i, arm in enumerate(loop.arms):
        where = f"loop.arms[{i}]"
        name = arm_name(arm)
        shares = arm_shares(arm, loop, where, source)
        train_size = arm.train_size or loop.train_size or num_real
        plan = ArmPlan(name, arm.mode, tuple(shares), train_size, loop.size_policy, recipe.seed)
        _check_plan(plan, recipe, num_real, num_fresh, where, source)
        plans.append(plan)
    return plans


def _check_plan(plan: ArmPlan, recipe: Recipe, num_real: int, num_fresh: int, where: str, source: str):
    g = plan.generations
    if plan.mode == AUGMENT:
        need = max(plan.real_count(k) for k in range(1, g + 1))
        if need > num_real:
            raise UserError(f"{source}: {where} ({plan.name}) needs {need} real documents in one generation "
                            f"but the real train pool has {num_real}; lower loop.train_size or the real share")
    if plan.mode == FRESH:
        need = plan.fresh_slice(g).stop
        if need > num_fresh:
            per = ", ".join(str(plan.real_count(k)) for k in range(1, g + 1))
            raise UserError(f"{source}: {where} ({plan.name}) needs {need} fresh documents over {g} generations "
                            f"(slices of {per}) but the fresh pool has {num_fresh}; raise corpus.fresh_share or "
                            f"lower loop.train_size, the real share or loop.generations")
    samples = recipe.generate.num_samples
    need = max(plan.synthetic_needed(k) for k in range(1, g + 1))
    if need > samples:
        raise UserError(f"{source}: {where} ({plan.name}) draws up to {need} samples of the previous generation "
                        f"but generate.num_samples is {samples}; raise generate.num_samples to at least {need} "
                        f"or lower loop.train_size")


def build_mix(plan: ArmPlan, k: int, real_ids: Sequence[str], fresh_ids: Sequence[str],
              synthetic: Mapping[int, Sequence[str]]) -> list[dict]:
    """The training documents of ``plan`` at generation ``k`` >= 1 as {origin, source_id} rows.

    ``synthetic[j]`` lists the sample ids of generation j (generation 0 and this arm's 1..k-1), in file
    order; ``real_ids`` and ``fresh_ids`` list the pools in split order.
    """
    if not 1 <= k <= plan.generations:
        raise ValueError(f"generation {k} is outside 1..{plan.generations}")
    previous = list(synthetic[k - 1])

    def syn(j, ids):
        return [{"origin": origin("synthetic", j), "source_id": i} for i in ids]

    def real(ids):
        return [{"origin": origin("real"), "source_id": i} for i in ids]

    def draw(ids: list[str], n: int, purpose: str) -> list[str]:
        if n > len(ids):
            raise UserError(f"arm {plan.name}, generation {k}: the mix needs {n} documents from {purpose} but "
                            f"only {len(ids)} exist; raise generate.num_samples or lower loop.train_size")
        if n == len(ids):
            return list(ids)
        keep = set(random.Random(derive_seed(plan.seed, plan.name, k, purpose)).sample(range(len(ids)), n))
        return [d for i, d in enumerate(ids) if i in keep]  # keep file order: the mix reads like its sources

    if plan.mode == REPLACE:
        return syn(k - 1, previous)
    if plan.mode in (ACCUMULATE, ACCUMULATE_SUBSAMPLE):
        rows = real(real_ids)
        for j in range(k):
            rows += syn(j, synthetic[j])
        if plan.mode == ACCUMULATE or len(rows) <= plan.train_size:
            return rows
        keep = set(random.Random(derive_seed(plan.seed, plan.name, k, "subsample"))
                   .sample(range(len(rows)), plan.train_size))
        return [r for i, r in enumerate(rows) if i in keep]
    synthetic_part = syn(k - 1, draw(previous, plan.synthetic_needed(k), f"the samples of generation {k - 1}"))
    if plan.mode == AUGMENT:
        # one order for the whole run, so every arm and generation takes a prefix of the same real set
        order = _shuffled(real_ids, derive_seed(plan.seed, "real-order"))
        return real(order[:plan.real_count(k)]) + synthetic_part
    if plan.mode == FRESH:
        order = _shuffled(fresh_ids, derive_seed(plan.seed, "fresh-order"))
        positions = plan.fresh_slice(k)
        if positions.stop > len(order):
            raise UserError(f"arm {plan.name}, generation {k}: fresh slice {k} needs documents "
                            f"{positions.start}..{positions.stop - 1} but the fresh pool has {len(order)}")
        return [{"origin": origin("fresh", k), "source_id": i} for i in order[positions.start:positions.stop]] \
            + synthetic_part
    raise ValueError(f"unknown mode {plan.mode!r}")
