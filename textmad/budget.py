"""Before a run: the time and memory a recipe needs on this machine, from the model's size and the
token counts, so a recipe far beyond its budget is flagged before hours are spent on it.

Compute: model FLOPs per token (2 x parameters for a forward pass, 6 x for full fine-tuning, 4 x for
LoRA, which computes no gradients of the frozen matrices) over the float32 matmul rate times the
share of it each stage reaches (``UTILISATION``, measured on a 2-core CPU). Memory: the process's
resident memory before the loop starts (libraries, corpus, tokenizer), float32 weights of the model
being trained plus generation 0's (kept for gen0_perplexity), the optimizer state of full
fine-tuning, and the largest of the training activations and logits, the generation KV cache, and
the evaluation logits, plus the allocator's share (``ALLOCATOR``). Training activations are counted
tensor by tensor (``ACTIVATIONS``); on recipes/smollm2-cpu.yaml (LoRA, batch 4 x 256) the estimate
is 6.3 GB against measured peaks of 6.14 GB (a training step alone) and 6.26-6.62 GB (whole runs).
"""
from __future__ import annotations

import dataclasses
import os
import time

from textmad.modes import ACCUMULATE, REPLACE

# Share of the matmul rate each stage reaches on SmolLM2-135M, float32, 2 quiet CPU cores, fitted to the
# rates benchmarks/bench_loop.py measured (issue 14; the figures: README, "Benchmarks", and reports/benchmarks/);
# for other machines a first-order guess.
UTILISATION = {"train_full": 0.6, "train_lora": 0.5, "generate": 0.35, "evaluate": 0.4}
FLOPS_PER_TOKEN = {"train_full": 6, "train_lora": 4, "generate": 2, "evaluate": 2}


# Tensors kept for the backward pass, per token and layer, in units of each width (a decoder block
# with a gated MLP): residuals, norms, queries, attention output and its projection; keys and values;
# the MLP's gate, up, activation, product and down input; the attention scores, probabilities and
# dropout mask (per head, one per key position); one dropout copy of each LoRA target's input. Per
# token: the logits, their float copy, log-softmax, its gradient and the loss's copy.
ACTIVATIONS = {"hidden": 12, "kv_dim": 2, "intermediate": 5, "attention_map": 3, "lora_input": 1, "vocab": 5}
# Peak resident memory over the tensors' sum: freed blocks the allocator keeps (fitted to the measured peak
# of SmolLM2 LoRA training against the tensors above and the weights: README, "Recipes", "Before it starts").
ALLOCATOR = 1.1
# A load factor below this is left alone: the load average also counts the run's own start (corpus, tokenizer).
BUSY = 1.2


@dataclasses.dataclass
class Shape:
    """What the estimate needs to know about a model."""
    params: int
    layers: int
    hidden: int
    kv_dim: int          # key (= value) width per layer: kv heads x head size
    vocab: int
    intermediate: int = 0  # the MLP's width; 0: 4 x hidden
    heads: int = 1
    bytes_per_param: int = 4


def shape_of(model) -> Shape:
    c = model.config.get_text_config()
    heads = c.num_attention_heads
    kv_heads = getattr(c, "num_key_value_heads", None) or heads
    head_dim = getattr(c, "head_dim", None) or c.hidden_size // heads
    dtype = next(model.parameters()).dtype
    intermediate = getattr(c, "intermediate_size", None) or getattr(c, "n_inner", None) or 0  # 0: 4 x hidden
    return Shape(params=model.num_parameters(), layers=c.num_hidden_layers, hidden=c.hidden_size,
                 kv_dim=kv_heads * head_dim, vocab=c.vocab_size, intermediate=intermediate, heads=heads,
                 bytes_per_param=dtype.itemsize)


def training_activations(shape: Shape, train) -> float:
    """Bytes kept for the backward pass of one batch of ``train`` (a TrainConfig): ``ACTIVATIONS``."""
    a = ACTIVATIONS
    lora_inputs = len(train.lora.target_modules) if train.method == "lora" else 0
    per_layer = (a["hidden"] * shape.hidden + a["kv_dim"] * shape.kv_dim
                 + a["intermediate"] * (shape.intermediate or 4 * shape.hidden)
                 + a["attention_map"] * shape.heads * train.seq_len + a["lora_input"] * lora_inputs * shape.hidden)
    return train.batch_size * train.seq_len * (shape.layers * per_layer + a["vocab"] * shape.vocab) * shape.bytes_per_param


def mix_tokens(recipe, pool_tokens: float, doc_tokens: float, sample_tokens: float) -> float:
    """Training tokens of every generation after 0, all arms, one epoch each."""
    n = recipe.generate.num_samples
    total = 0.0
    for arm in recipe.loop.arms:
        size = arm.train_size or recipe.loop.train_size
        for k in range(1, recipe.loop.generations + 1):
            if arm.mode == REPLACE:
                total += n * sample_tokens
            elif arm.mode == ACCUMULATE:
                total += pool_tokens + k * n * sample_tokens
            else:
                total += (size * doc_tokens if size else pool_tokens)
    return total


def estimate(recipe, shape: Shape, pool_tokens: float, doc_tokens: float, heldout_tokens: float,
             matmul_flops: float, resident_bytes: float = 0) -> dict:
    """{"seconds", "memory_bytes", "parts": {stage: seconds}} of ``recipe`` on a machine whose
    float32 matmul rate is ``matmul_flops`` (FLOP/s). ``pool_tokens``: the real train pool's tokens;
    ``doc_tokens``: tokens of an average training document; ``heldout_tokens``: of the held-out
    documents scored each generation; ``resident_bytes``: what the process holds before the loop.
    Samples are counted at max_new_tokens."""
    t, g = recipe.train, recipe.generate
    method = "train_lora" if t.method == "lora" else "train_full"
    cells = len(recipe.loop.arms) * recipe.loop.generations + 1
    sample_tokens = g.max_new_tokens
    train_tokens = (pool_tokens * (t.gen0_epochs or t.epochs)
                    + mix_tokens(recipe, pool_tokens, doc_tokens, sample_tokens) * t.epochs)
    if t.max_steps:
        train_tokens = min(train_tokens, cells * t.max_steps * t.batch_size * t.seq_len)
    generated = cells * g.num_samples * (g.prompt_tokens + g.max_new_tokens) * g.num_beams
    evaluated = cells * heldout_tokens + (cells - 1) * g.num_samples * sample_tokens
    parts = {}
    for stage, tokens in ((method, train_tokens), ("generate", generated), ("evaluate", evaluated)):
        rate = matmul_flops * UTILISATION[stage] / (FLOPS_PER_TOKEN[stage] * shape.params)
        parts[stage.split("_")[0]] = tokens / rate
    b = shape.bytes_per_param
    weights = 2 * shape.params * b
    optimizer = 3 * shape.params * b if t.method == "full" else 0
    training = training_activations(shape, t)
    kv_cache = g.batch_size * g.num_beams * (g.prompt_tokens + g.max_new_tokens) * shape.layers * 2 * shape.kv_dim * b
    ppl = recipe.evaluate.perplexity
    evaluation = ppl.batch_size * (ppl.window or t.seq_len) * shape.vocab * 3 * b
    return {"seconds": sum(parts.values()), "parts": parts,
            "memory_bytes": resident_bytes + ALLOCATOR * (weights + optimizer
                                                          + max(training, kv_cache + g.batch_size * shape.vocab * b, evaluation))}


def warnings(est: dict, budget_seconds: float, memory_bytes: float, factor: float = 2.0, at_once: int = 1) -> list[str]:
    """What is far beyond the budget: time over ``factor`` x ``budget_seconds`` (0: no time
    budget), memory over ``memory_bytes`` (the machine's) shared by ``at_once`` runs side by side."""
    out = []
    if budget_seconds and est["seconds"] > factor * budget_seconds:
        out.append(f"the estimated time, {est['seconds'] / 60:.0f} min, is over {factor:g}x the budget "
                   f"loop.budget_minutes = {budget_seconds / 60:g}")
    if est["memory_bytes"] * at_once > memory_bytes:
        out.append(f"the estimated peak memory, {est['memory_bytes'] / 1e9:.1f} GB"
                   + (f" x {at_once} runs at once" if at_once > 1 else "")
                   + f", is over this machine's {memory_bytes / 1e9:.1f} GB")
    return out


def load_factor(load: float, cores: int, threads: int) -> float:
    """How many times longer work on ``threads`` threads takes when other processes keep ``load`` cores
    busy on a machine of ``cores`` (first order: the scheduler shares the cores evenly among runnable
    threads, so the run gets threads x cores / (load + threads) of them instead of min(threads, cores));
    1 while load and threads fit the cores."""
    return max(1.0, (max(load, 0.0) + threads) / max(threads, cores, 1))


def busy_scaling(est: dict, load: float, cores: int, threads: int) -> tuple[dict, str]:
    """``est`` with its time scaled by ``load_factor`` where that is at least ``BUSY``, and the words saying
    so ("" where it is not: a run's own start-up shows in the load average too)."""
    factor = load_factor(load, cores, threads)
    if factor < BUSY:
        return est, ""
    scaled = {**est, "seconds": est["seconds"] * factor, "parts": {k: v * factor for k, v in est["parts"].items()}}
    return scaled, (f" (the machine is busy: other work worth {load:.1f} of {cores} cores, {threads} thread(s) here; "
                    f"estimate scaled ×{factor:.1f})")


SCHED_IDLE = 5  # Linux's scheduling policy of a task that runs only when nothing else wants the CPU


def cfs_weight(nice: int, policy: int = 0) -> float:
    """The Linux scheduler's weight of a task (kernel/sched/core.c sched_prio_to_weight): 1024 at nice 0,
    about 1.25 times less per nice level (15 at nice 19), 3 for SCHED_IDLE."""
    return 3.0 if policy == SCHED_IDLE else 1024 / 1.25 ** nice


def competing_load(proc: str = "/proc", samples: int = 5, interval: float = 0.05) -> float | None:
    """How many cores other runnable tasks would take from this process, as the scheduler weighs them: each
    runnable thread of another process outside our process group counts its weight over ours (a nice-19 or
    idle-class task next to nothing), the median of ``samples`` snapshots (a short-lived command caught in one does not count). The load average counts every runnable task as a full
    core, which overstates a machine busy with low-priority work. None where /proc cannot be read.
    Read by hand: psutil (installed with accelerate) gives neither a thread's run state nor its scheduling policy."""
    try:
        ours = cfs_weight(os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0))
    except (AttributeError, OSError):
        return None
    me, group, totals = str(os.getpid()), str(os.getpgrp()), []
    for i in range(samples):
        total, seen = 0.0, False
        try:
            pids = [p for p in os.listdir(proc) if p.isdigit() and p != me]
        except OSError:
            return None
        for pid in pids:
            try:
                tasks = os.listdir(f"{proc}/{pid}/task")
            except OSError:
                continue  # gone, or not ours to read
            for tid in tasks:
                try:
                    with open(f"{proc}/{pid}/task/{tid}/stat", encoding="utf-8", errors="replace") as f:
                        fields = f.read().rpartition(")")[2].split()
                except OSError:
                    continue
                seen = True
                # field 3 (state), 5 (process group: the workers `accelerate launch` starts beside this one share
                # it, and are this run, not other work), 19 (nice), 41 (policy)
                if fields and fields[0] == "R" and fields[2] != group:
                    total += cfs_weight(int(fields[16]), int(fields[38]) if len(fields) > 38 else 0) / ours
        if not seen:
            return None
        totals.append(total)
        if i + 1 < samples:
            time.sleep(interval)
    return sorted(totals)[len(totals) // 2]


def machine_load() -> tuple[float, int]:
    """(the cores other work would take from this process, the machine's cores): ``competing_load`` where
    /proc can be read, else the 1-minute load average; load 0 where the system has neither."""
    load = competing_load()
    if load is None:
        try:
            load = os.getloadavg()[0]
        except (AttributeError, OSError):
            load = 0.0
    return load, os.cpu_count() or 1


def rescoring_seconds(timings: list[tuple[int, dict | None]]) -> float | None:
    """The time `textmad eval RUN` should take for the generations ``(k, timings)``, from what the run
    recorded for them (metrics.json "timings"): each generation's evaluation, plus loading its model for
    k > 0 (generation 0's "load" built the base model, not what eval does). Generations without timings
    count as the mean of the others; None where none has any."""
    known = [t.get("evaluate", 0.0) + (t.get("load", 0.0) if k else 0.0) for k, t in timings if t]
    if not known:
        return None
    return sum(known) / len(known) * len(timings)


def matmul_flops(n: int = 1024, repeats: int = 3) -> float:
    """float32 FLOP/s of an n^3 matmul on this machine (best of ``repeats``: the rate it can reach)."""
    import torch

    g = torch.Generator().manual_seed(0)  # leaves the global RNG, which seeds training, alone
    a, b = torch.randn(n, n, generator=g), torch.randn(n, n, generator=g)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best


def machine_memory() -> float:
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def resident_memory() -> float:
    """This process's resident memory now, in bytes (0 where /proc is missing: the estimate leaves it out)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


REDUCE = ("reduce the recipe's sizes (loop.generations, generate.num_samples, loop.train_size, train.epochs) "
          "or run it where it fits")


def corpus_tokens(recipe, tokenizer, train_texts: list[str], heldout_texts: list[str]) -> tuple[float, float, float]:
    """(pool, average document, held-out scored) tokens for ``estimate``, from the characters per token of the
    first 64 training documents."""
    sample = train_texts[:64]
    chars_per_token = (sum(map(len, sample)) / max(1, sum(len(ids) for ids in tokenizer(sample)["input_ids"]))
                       if sample else 4.0)
    pool = sum(map(len, train_texts)) / chars_per_token
    ppl = recipe.evaluate.perplexity
    held = heldout_texts[: ppl.max_docs] if ppl.max_docs else heldout_texts
    return pool, pool / max(1, len(train_texts)), sum(map(len, held)) / chars_per_token


def describe(est: dict) -> str:
    """'12 min (train 8, generate 2, evaluate 2), peak memory 1.2 GB'"""
    parts = ", ".join(f"{k} {v / 60:.0f}" for k, v in est["parts"].items())
    return f"{est['seconds'] / 60:.0f} min ({parts}), peak memory {est['memory_bytes'] / 1e9:.1f} GB"


def check(recipe, model, tokenizer, train_texts: list[str], heldout_texts: list[str], log=print) -> dict:
    """Print the estimate for ``recipe`` with this base model and corpus (its time scaled for the load
    other processes put on the machine, ``busy_scaling``), and a warning for anything far beyond the
    budget (``loop.budget_minutes``, the machine's memory); returns the estimate."""
    import torch

    est = estimate(recipe, shape_of(model), *corpus_tokens(recipe, tokenizer, train_texts, heldout_texts),
                   matmul_flops(), resident_memory())
    est, busy = busy_scaling(est, *machine_load(), torch.get_num_threads())
    log(f"estimate on this machine: {describe(est)}{busy}")
    for text in warnings(est, 60 * recipe.loop.budget_minutes, machine_memory()):
        log(f"warning: {text}; {REDUCE}")
    return est
