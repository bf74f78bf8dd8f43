"""Cost per generation of the semantic family (semantic_distance, vendi_score, mauve) at the SmolLM2 recipe's sizes.

    python benchmarks/bench_semantic.py [--docs 60] [--repeats 3]

Input: wiki-en prepared as recipes/smollm2-cpu.yaml prepares it (pieces of at most 600 characters), ``--docs``
pieces as the "generated" sample and another ``--docs`` as the held-out real sample (the recipe has 60
samples per generation and 60 held-out pieces, so evaluate.semantic.sample_docs = 256 takes all 60).
Prints the medians of: loading all-MiniLM-L6-v2 (once per process), encoding the real sample (once per run:
memoised), and the per-generation cost as the loop pays it (encode the generated sample, the two diversity
figures of both samples, MAUVE), beside the per-generation evaluation time of the committed SmolLM2 runs
(reports/smollm2-cpu/metrics-seed-*.csv, seconds_evaluate) and the 20% budget the issue sets.
"""
from __future__ import annotations

import argparse
import csv
import statistics
import time
from pathlib import Path

import torch

from textmad.corpus import prepare
from textmad.evaluate import semantic as sm
from textmad.recipe import CorpusConfig

from bench_metrics import median_time as timed  # one timing helper for the benchmarks (same folder)

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    corpus = prepare(CorpusConfig(name="wiki-en", max_chars=600, max_docs=400, heldout_share=0.15, fresh_share=0.6))
    docs = [d["text"] for split in ("train", "fresh", "heldout") for d in corpus.split(split)]
    gen, real = docs[:args.docs], docs[args.docs:2 * args.docs]
    print(f"threads {torch.get_num_threads()}; {len(gen)} generated and {len(real)} real documents of "
          f"{sum(map(len, gen)) / len(gen):.0f} characters on average")
    start = time.perf_counter()
    encoder = sm.minilm()
    print(f"load all-MiniLM-L6-v2 from the wheel (once per process): {time.perf_counter() - start:.2f} s")
    t_real, real_emb = timed(lambda: encoder.encode(real), args.repeats)
    print(f"encode the real sample (once per run): {t_real:.2f} s")

    def generation():
        emb = encoder.encode(gen)
        return (sm.mean_cosine_distance(emb), sm.vendi_score(emb), sm.mean_cosine_distance(real_emb),
                sm.vendi_score(real_emb), sm.mauve_score(emb, real_emb))

    t_gen, values = timed(generation, args.repeats)
    t_mauve, _ = timed(lambda: sm.mauve_score(real_emb, real_emb[::-1]), args.repeats)
    print(f"per generation (encode generated + diversity + MAUVE): {t_gen:.2f} s (MAUVE alone {t_mauve:.2f} s); "
          f"values {', '.join(f'{v:.4g}' for v in values)}")
    evals = [float(r["seconds_evaluate"]) for f in sorted((ROOT / "reports" / "smollm2-cpu").glob("metrics-seed-*.csv"))
             for r in csv.DictReader(open(f, encoding="utf-8")) if r.get("seconds_evaluate")]
    if evals:
        low, med = min(evals), statistics.median(evals)
        print(f"committed SmolLM2 runs: evaluation per generation median {med:.1f} s, min {low:.1f} s; "
              f"semantic per generation = {100 * t_gen / med:.1f}% of the median, {100 * t_gen / low:.1f}% of the "
              f"min (budget 20%); first generation adds the load and the real sample: "
              f"{100 * (t_gen + t_real) / low:.1f}% of the min without the load")


if __name__ == "__main__":
    main()
