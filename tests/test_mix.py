"""The five mixing modes: sizes, ratios, provenance, fresh slices, schedules, seeds (pure and fast)."""
from collections import Counter

import pytest

from textmad.errors import UserError
from textmad.mix import build_mix, derive_seed, plan_arms
from textmad.recipe import load_recipe

REAL = [f"r{i}" for i in range(100)]
FRESH = [f"f{i}" for i in range(300)]
SAMPLES = 80


def recipe(arms, generations=4, train_size=60, num_samples=SAMPLES, size_policy="fixed", real_share=0.5, seed=7):
    return load_recipe(data={
        "seed": seed,
        "generate": {"num_samples": num_samples},
        "loop": {"generations": generations, "arms": arms, "train_size": train_size,
                 "size_policy": size_policy, "real_share": real_share},
    })


def synthetic(generations, n=SAMPLES):
    return {j: [f"s{j}-{i}" for i in range(n)] for j in range(generations)}


def run_arm(plan, n=SAMPLES):
    syn = synthetic(plan.generations, n)
    return {k: build_mix(plan, k, REAL, FRESH, syn) for k in range(1, plan.generations + 1)}


def origins(rows):
    return Counter(r["origin"] for r in rows)


def test_replace_trains_on_every_sample_of_the_previous_generation():
    (plan,) = plan_arms(recipe([{"mode": "replace"}]), len(REAL), len(FRESH))
    for k, rows in run_arm(plan).items():
        assert origins(rows) == {f"synthetic:{k - 1}": SAMPLES}
        assert [r["source_id"] for r in rows] == synthetic(k)[k - 1]


def test_accumulate_keeps_all_real_and_all_earlier_synthetic():
    (plan,) = plan_arms(recipe([{"mode": "accumulate"}]), len(REAL), len(FRESH))
    for k, rows in run_arm(plan).items():
        assert len(rows) == len(REAL) + k * SAMPLES
        assert origins(rows) == {"real": len(REAL), **{f"synthetic:{j}": SAMPLES for j in range(k)}}
        assert len({(r["origin"], r["source_id"]) for r in rows}) == len(rows)


def test_accumulate_subsample_is_a_seeded_fixed_size_subset_of_accumulate():
    (plan,) = plan_arms(recipe([{"mode": "accumulate-subsample"}]), len(REAL), len(FRESH))
    (full,) = plan_arms(recipe([{"mode": "accumulate"}]), len(REAL), len(FRESH))
    mixes, full_mixes = run_arm(plan), run_arm(full)
    for k in range(1, 5):
        rows = mixes[k]
        assert len(rows) == 60
        keys = [(r["origin"], r["source_id"]) for r in rows]
        assert set(keys) <= {(r["origin"], r["source_id"]) for r in full_mixes[k]}
        assert len(set(keys)) == 60
    assert mixes[1] != mixes[2]
    assert run_arm(plan) == mixes  # deterministic


def test_augment_uses_the_same_real_documents_every_generation():
    (plan,) = plan_arms(recipe([{"mode": "augment", "real_share": 0.25}]), len(REAL), len(FRESH))
    mixes = run_arm(plan)
    real_sets = [{r["source_id"] for r in rows if r["origin"] == "real"} for rows in mixes.values()]
    assert all(s == real_sets[0] for s in real_sets) and len(real_sets[0]) == 15
    for k, rows in mixes.items():
        assert origins(rows) == {"real": 15, f"synthetic:{k - 1}": 45}
        syn_ids = [r["source_id"] for r in rows if r["origin"] != "real"]
        assert len(set(syn_ids)) == 45 and set(syn_ids) <= set(synthetic(k)[k - 1])


def test_fresh_slices_are_disjoint_never_reused_and_from_the_fresh_pool():
    (plan,) = plan_arms(recipe([{"mode": "fresh", "real_share": 0.5}]), len(REAL), len(FRESH))
    seen = set()
    for k, rows in run_arm(plan).items():
        assert origins(rows) == {f"fresh:{k}": 30, f"synthetic:{k - 1}": 30}
        ids = {r["source_id"] for r in rows if r["origin"].startswith("fresh")}
        assert len(ids) == 30 and ids <= set(FRESH) and not ids & seen
        seen |= ids
        assert plan.fresh_slice(k) == range(30 * (k - 1), 30 * k)


def test_a_schedule_gives_one_share_per_generation():
    (plan,) = plan_arms(recipe([{"mode": "fresh", "real_share": "linear:0.9:0.0"}], generations=4),
                        len(REAL), len(FRESH))
    counts = [origins(rows)[f"fresh:{k}"] for k, rows in run_arm(plan).items()]
    assert counts == [54, 36, 18, 0]
    (listed,) = plan_arms(recipe([{"mode": "augment", "real_share": [1.0, 0.5, 0.2, 0.1]}], generations=4),
                          len(REAL), len(FRESH))
    mixes = run_arm(listed)
    assert [origins(rows)["real"] for rows in mixes.values()] == [60, 30, 12, 6]
    real_sets = [[r["source_id"] for r in rows if r["origin"] == "real"] for rows in mixes.values()]
    assert all(later == real_sets[0][:len(later)] for later in real_sets)  # nested prefixes of one order


def test_growing_size_adds_train_size_documents_each_generation():
    r = recipe([{"mode": "augment"}, {"mode": "fresh"}], generations=3, train_size=20,
               num_samples=SAMPLES, size_policy="growing")
    augment, fresh = plan_arms(r, len(REAL), len(FRESH))
    assert [len(rows) for rows in run_arm(augment).values()] == [20, 40, 60]
    fresh_mixes = run_arm(fresh)
    assert [len(rows) for rows in fresh_mixes.values()] == [20, 40, 60]
    assert [origins(rows)[f"fresh:{k}"] for k, rows in fresh_mixes.items()] == [10, 20, 30]


def test_train_size_zero_means_the_real_pool_size():
    (plan,) = plan_arms(recipe([{"mode": "accumulate-subsample"}], train_size=0), len(REAL), len(FRESH))
    assert plan.train_size == len(REAL)
    (own,) = plan_arms(recipe([{"mode": "augment", "train_size": 10}], train_size=0), len(REAL), len(FRESH))
    assert len(build_mix(own, 1, REAL, FRESH, synthetic(1))) == 10


def test_too_small_a_fresh_pool_is_refused_naming_the_numbers():
    r = recipe([{"mode": "fresh", "real_share": 0.5}], generations=5, train_size=80)
    with pytest.raises(UserError, match=r"needs 200 fresh documents over 5 generations.*fresh pool has 150"):
        plan_arms(r, len(REAL), 150)


def test_too_few_samples_is_refused_before_training():
    r = recipe([{"mode": "augment", "real_share": 0.1}], train_size=100, num_samples=50)
    with pytest.raises(UserError, match=r"draws up to 90 samples.*num_samples is 50"):
        plan_arms(r, len(REAL), len(FRESH))


def test_a_token_budget_that_yields_fewer_samples_is_caught_at_mix_time():
    (plan,) = plan_arms(recipe([{"mode": "fresh", "real_share": 0.5}]), len(REAL), len(FRESH))
    with pytest.raises(UserError, match=r"generation 1: the mix needs 30 documents .* only 12 exist"):
        build_mix(plan, 1, REAL, FRESH, synthetic(1, n=12))


def test_real_share_on_replace_is_refused():
    with pytest.raises(UserError, match=r"loop.arms\[0\].real_share = 0.5 has no meaning for mode 'replace'"):
        plan_arms(recipe([{"mode": "replace", "real_share": 0.5}]), len(REAL), len(FRESH))


def test_seeds_depend_on_every_part_and_nothing_else():
    assert derive_seed(0, "replace", 1) == derive_seed(0, "replace", 1)
    assert len({derive_seed(0, "replace", 1), derive_seed(1, "replace", 1), derive_seed(0, "fresh", 1),
                derive_seed(0, "replace", 2)}) == 4
    a = plan_arms(recipe([{"mode": "fresh"}], seed=1), len(REAL), len(FRESH))[0]
    b = plan_arms(recipe([{"mode": "fresh"}], seed=2), len(REAL), len(FRESH))[0]
    assert run_arm(a)[1] != run_arm(b)[1]
