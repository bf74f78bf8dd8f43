"""The start-of-run estimate of time and memory, and its warnings."""
from pathlib import Path

import pytest

from textmad import budget as B
from textmad.recipe import load_recipe

SMOLLM2_CPU = Path(__file__).resolve().parents[1] / "recipes" / "smollm2-cpu.yaml"
SHAPE = B.Shape(params=10**6, layers=2, hidden=64, kv_dim=64, vocab=1000)


def recipe(**loop):
    return load_recipe(data={"loop": {"generations": 1, "arms": [{"mode": "replace"}], **loop},
                             "train": {"epochs": 1, "batch_size": 4, "seq_len": 32},
                             "generate": {"num_samples": 10, "prompt_tokens": 5, "min_new_tokens": 5,
                                          "max_new_tokens": 20, "batch_size": 10}})


def test_estimate_by_hand():
    est = B.estimate(recipe(), SHAPE, pool_tokens=1000, doc_tokens=10, heldout_tokens=100, matmul_flops=1e9)
    u = B.UTILISATION
    # generation 0 trains on the pool, replace on its 10 samples of 20 tokens; two cells generate and score
    assert est["parts"]["train"] == pytest.approx((1000 + 10 * 20) * 6e6 / (1e9 * u["train_full"]))
    assert est["parts"]["generate"] == pytest.approx(2 * 10 * 25 * 2e6 / (1e9 * u["generate"]))
    assert est["parts"]["evaluate"] == pytest.approx((2 * 100 + 10 * 20) * 2e6 / (1e9 * u["evaluate"]))
    assert est["seconds"] == pytest.approx(sum(est["parts"].values()))
    # weights of two models, full fine-tuning's gradients and Adam state, then the largest of
    # training activations and logits, KV cache and logits of generation, evaluation logits
    # per token and layer: 12 hidden (64), 2 kv (64), 5 MLP (4 x 64), 3 attention maps (1 head x 32 keys)
    training = 4 * 32 * (2 * (12 * 64 + 2 * 64 + 5 * 256 + 3 * 32) + 5 * 1000) * 4
    generation = 10 * 25 * 2 * 2 * 64 * 4 + 10 * 1000 * 4
    evaluation = 8 * 32 * 1000 * 3 * 4  # perplexity batch 8, window = seq_len
    assert est["memory_bytes"] == pytest.approx(B.ALLOCATOR * (2 * 4e6 + 3 * 4e6 + max(training, generation, evaluation)))
    # what the process already holds is added
    more = B.estimate(recipe(), SHAPE, pool_tokens=1000, doc_tokens=10, heldout_tokens=100, matmul_flops=1e9,
                      resident_bytes=5e8)
    assert more["memory_bytes"] == pytest.approx(est["memory_bytes"] + 5e8)


def test_memory_matches_the_measured_peak_of_smollm2_cpu():
    """recipes/smollm2-cpu.yaml trains LoRA on SmolLM2-135M (30 layers of 576, 9 heads, 3 kv heads of
    64, MLP 1536, vocabulary 49152) at batch 4 x 256: a training step in its own process peaked at
    6.14 GB resident, after 0.49 GB before the loop, and whole runs at 6.26-6.62 GB (measured
    2026-11-29 with ru_maxrss and /usr/bin/time -v, textmad 9ccc079)."""
    smollm2 = B.Shape(params=134_515_008, layers=30, hidden=576, kv_dim=192, vocab=49152, intermediate=1536, heads=9)
    r = load_recipe(SMOLLM2_CPU)
    # each LoRA target (7: every projection) keeps a dropout copy of its input
    per_layer = 12 * 576 + 2 * 192 + 5 * 1536 + 3 * 9 * 256 + 7 * 576
    assert B.training_activations(smollm2, r.train) == 4 * 256 * (30 * per_layer + 5 * 49152) * 4
    est = B.estimate(r, smollm2, pool_tokens=12e3, doc_tokens=120, heldout_tokens=7e3, matmul_flops=2e11,
                     resident_bytes=0.49e9)
    assert 6.14e9 <= est["memory_bytes"] <= 6.37e9 * 1.05
    full = load_recipe(SMOLLM2_CPU, ["train.method=full"])
    assert B.training_activations(smollm2, full.train) == 4 * 256 * (30 * (per_layer - 7 * 576) + 5 * 49152) * 4


def test_accumulate_trains_on_everything_so_far():
    r = recipe(generations=3, arms=[{"mode": "accumulate"}])
    assert B.mix_tokens(r, pool_tokens=1000, doc_tokens=10, sample_tokens=20) == 3 * 1000 + (1 + 2 + 3) * 10 * 20


def test_far_beyond_the_budget_warns_with_figures():
    big = recipe(budget_minutes=1, generations=50, arms=[{"mode": "accumulate"}])
    est = B.estimate(big, SHAPE, pool_tokens=10**6, doc_tokens=100, heldout_tokens=10**4, matmul_flops=1e9)
    (time_warning, memory_warning) = B.warnings(est, 60 * big.loop.budget_minutes, memory_bytes=1e6)
    assert "budget loop.budget_minutes = 1" in time_warning and f"{est['seconds'] / 60:.0f} min" in time_warning
    assert "peak memory" in memory_warning
    assert B.warnings(est, 0, memory_bytes=1e12) == []  # no time budget, memory enough


@pytest.mark.slow
def test_check_prints_the_estimate_for_a_real_model():
    from tests.fixtures import lee_lines, tiny_llama

    model, tok = tiny_llama(list(lee_lines()[:50]))
    lines = []
    est = B.check(recipe(budget_minutes=0.0001), model, tok, list(lee_lines()[:200]), list(lee_lines()[200:220]),
                  log=lines.append)
    assert lines[0].startswith("estimate on this machine: ") and est["seconds"] > 0
    assert any("warning: the estimated time" in text for text in lines[1:])


def test_load_factor_by_hand():
    assert B.load_factor(0.0, cores=2, threads=2) == 1.0
    assert B.load_factor(0.5, cores=4, threads=2) == 1.0  # the load fits beside the run's threads
    assert B.load_factor(3.1, cores=2, threads=2) == pytest.approx(5.1 / 2)  # 2 of 5.1 runnable threads' share
    assert B.load_factor(1.0, cores=2, threads=1) == 1.0  # one free core for one thread
    assert B.load_factor(3.0, cores=2, threads=1) == pytest.approx(2.0)  # 1 thread among 4 on 2 cores: half a core
    assert B.load_factor(2.0, cores=2, threads=4) == pytest.approx(6 / 4)  # oversubscribed even when idle
    assert B.load_factor(-1.0, cores=0, threads=1) == 1.0


def test_busy_machine_scales_the_estimate_and_says_so():
    est = {"seconds": 100.0, "parts": {"train": 60.0, "generate": 40.0}, "memory_bytes": 1e9}
    scaled, note = B.busy_scaling(est, load=3.1, cores=2, threads=2)
    assert scaled["seconds"] == pytest.approx(255.0) and scaled["parts"]["train"] == pytest.approx(153.0)
    assert scaled["memory_bytes"] == 1e9 and est["seconds"] == 100.0
    assert note == " (the machine is busy: other work worth 3.1 of 2 cores, 2 thread(s) here; estimate scaled ×2.5)"
    assert B.busy_scaling(est, load=0.3, cores=2, threads=2) == (est, "")  # ×1.15: the run's own start-up


def test_check_says_when_the_machine_is_busy(monkeypatch):
    from tests.fixtures import lee_lines, tiny_llama

    model, tok = tiny_llama(list(lee_lines()[:50]))
    for load, busy in ((0.0, False), (6.0, True)):
        monkeypatch.setattr(B, "machine_load", lambda load=load: (load, 2))
        lines = []
        B.check(recipe(), model, tok, list(lee_lines()[:200]), list(lee_lines()[200:220]), log=lines.append)
        assert ("the machine is busy: other work worth 6.0 of 2 cores" in lines[0]) == busy, lines[0]


def fake_proc(root, tasks):
    """A /proc tree: {pid: [(state, nice, policy), ...]} (one stat file per thread)."""
    for pid, threads in tasks.items():
        for i, (state, nice, policy) in enumerate(threads):
            d = root / str(pid) / "task" / str(pid * 10 + i)
            d.mkdir(parents=True)
            # pid (comm with ) and spaces) state, then fields 4-52; nice is field 19, policy field 41
            rest = ["0"] * 49
            rest[19 - 4], rest[41 - 4] = str(nice), str(policy)
            (d / "stat").write_text(f"{pid} (py thon) {state} " + " ".join(rest) + "\n")
    return root


def test_competing_load_weighs_other_runnable_threads_by_priority(tmp_path, monkeypatch):
    monkeypatch.setattr(B.os, "getpriority", lambda *a: 0)
    monkeypatch.setattr(B.os, "sched_getscheduler", lambda *a: 0)
    proc = fake_proc(tmp_path, {100: [("R", 0, 0), ("R", 0, 0), ("S", 0, 0)],   # two busy threads at nice 0
                                101: [("R", 19, 0)],                            # a nice-19 run
                                102: [("R", 0, B.SCHED_IDLE)],                  # an idle-class run
                                103: [("D", 0, 0)]})
    load = B.competing_load(str(proc), samples=1)
    assert load == pytest.approx(2 + 1 / 1.25 ** 19 + 3 / 1024)
    assert B.cfs_weight(19) == pytest.approx(14.76, abs=0.01)  # the kernel's table says 15
    # our own threads never count
    monkeypatch.setattr(B.os, "getpid", lambda: 100)
    assert B.competing_load(str(proc), samples=1) == pytest.approx(1 / 1.25 ** 19 + 3 / 1024)
    # a niced process of our own sees nice-0 work as heavier
    monkeypatch.setattr(B.os, "getpriority", lambda *a: 19)
    assert B.competing_load(str(proc), samples=1) == pytest.approx(1 + 3 / (1024 / 1.25 ** 19))
    assert B.competing_load(str(tmp_path / "nothing"), samples=1) is None
    # the workers of our own launch (our process group) are this run, not other work
    monkeypatch.setattr(B.os, "getpgrp", lambda: 0)  # fake_proc writes process group 0
    assert B.competing_load(str(proc), samples=1) == 0.0


def test_machine_load_falls_back_to_the_load_average(monkeypatch):
    monkeypatch.setattr(B, "competing_load", lambda: None)
    monkeypatch.setattr(B.os, "getloadavg", lambda: (3.5, 3.0, 2.0))
    assert B.machine_load()[0] == 3.5
