"""Speed of the loop's CPU path on the quickstart model (a script, not a test).

    python benchmarks/bench_loop.py [--repeats 3] [--prompts 64]

Prints training and generation tokens/s, the machine's float32 matmul GFLOP/s measured in the
same run, model-FLOP utilisation (training 6*params*tokens/s, generation 2*params*tokens/s, over
the matmul peak), and textmad's generation beside plain `model.generate` (one prompt at a time,
library defaults apart from the same sampling and length) on the first of the same prompts. Medians of repeats.
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import torch
from accelerate import Accelerator

from textmad import generate as G
from textmad import model as M
from textmad.recipe import load_recipe
from textmad.train import train

LEE = Path(__import__("gensim").__file__).parent / "test" / "test_data" / "lee_background.cor"
QUICKSTART = {"vocab_size": 2000, "hidden_size": 128, "num_layers": 2, "num_heads": 4, "intermediate_size": 384,
              "max_position_embeddings": 256}


def matmul_gflops(n: int = 1024, repeats: int = 5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(10):
            a @ b
        times.append((time.perf_counter() - start) / 10)
    return 2 * n ** 3 / statistics.median(times) / 1e9


def plain_generate(model, tokenizer, prompts, cfg) -> float:
    """Tokens/s of `model.generate` called per prompt with the same sampling and length."""
    tokens, start = 0, time.perf_counter()
    for p in prompts:
        ids = torch.tensor([G.start_ids(tokenizer) + tokenizer(p["prompt"], add_special_tokens=False)["input_ids"]])
        out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True,
                             max_new_tokens=cfg.max_new_tokens, min_new_tokens=cfg.min_new_tokens,
                             pad_token_id=tokenizer.pad_token_id)
        row = out[0, ids.shape[1]:].tolist()
        tokens += row.index(tokenizer.eos_token_id) if tokenizer.eos_token_id in row else len(row)
    return tokens / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=64)
    parser.add_argument("--plain-prompts", type=int, default=16, help="plain generate is slow: fewer prompts")
    parser.add_argument("--train-steps", type=int, default=30)
    args = parser.parse_args()

    texts = [line for line in LEE.read_text(encoding="utf-8").splitlines() if line.strip()]
    accelerator = Accelerator(cpu=True)
    with tempfile.TemporaryDirectory() as cache:
        r = load_recipe(data={"loop": {"arms": [{"mode": "replace"}]},
                              "model": {"cache_dir": cache, "scratch": QUICKSTART},
                              "train": {"max_steps": args.train_steps}})
        model, tok = M.load_base(r, texts, accelerator)
    params = model.num_parameters()
    print(f"quickstart model: {params:,} parameters, vocab {len(tok)}, torch threads {torch.get_num_threads()}")
    peak = matmul_gflops()
    print(f"float32 matmul (1024^3): {peak:.1f} GFLOP/s")

    train_tps = []
    for i in range(args.repeats + 1):  # the first run warms up allocator and kernels
        out = train(model, tok, texts, r.train, accelerator, seed=i, epochs=1.0, desc=f"bench train {i}")
        if i:
            train_tps.append(out["tokens_per_second"])
    tps = statistics.median(train_tps)
    print(f"training: {tps:,.0f} tokens/s (batch {r.train.batch_size} x seq {r.train.seq_len}), "
          f"MFU {6 * params * tps / (peak * 1e9):.1%}")

    cfg = r.generate
    docs = [{"id": str(i), "text": t} for i, t in enumerate(texts)]
    prompts = G.make_prompts(docs, tok, cfg, seed=0, n=args.prompts)
    ours, plain = [], []
    for i in range(args.repeats):
        start = time.perf_counter()
        rows = G.generate(model, tok, prompts, cfg, accelerator, seed=i, generation=0, arm="bench",
                          model_hash="", desc="bench generate")
        ours.append(sum(row["new_tokens"] for row in rows) / (time.perf_counter() - start))
        torch.manual_seed(i)
        plain.append(plain_generate(model, tok, prompts[: args.plain_prompts], cfg))
    g, p = statistics.median(ours), statistics.median(plain)
    print(f"generation: {g:,.0f} tokens/s (batch {cfg.batch_size}, max_new_tokens {cfg.max_new_tokens}), "
          f"MFU {2 * params * g / (peak * 1e9):.2%}")
    print(f"plain model.generate per prompt: {p:,.0f} tokens/s; textmad/plain = {g / p:.1f}x")


if __name__ == "__main__":
    main()
