"""Generation: batched sampling or beam search through ``model.generate``, prompts cut from real
documents, a token budget, optional watermarking, and one row per sample.

Every model input starts with the document-start token that training put before each document
(bos, or eos for tokenizers without a distinct bos), then the prompt's tokens; so an empty
prompt asks for a whole document. Prompts are cut into fixed batches in prompt order and each
batch is sampled under its own seed (derived from ``seed`` and the batch index), so the rows do
not depend on how many processes share the work (up to the GPU's own nondeterminism).

Sampling (``do_sample`` with one beam) draws each token by inverse CDF from one uniform number per
sequence (``InverseCDFSampler``), after transformers' own processors, warpers and watermark, in
transformers' order; beam search and greedy decoding are transformers' own.
"""
from __future__ import annotations

import dataclasses
import math
import random

import torch

from textmad.io import sha256_text

# GenerateConfig fields that decide what text comes out (recorded in every row).
DECODING_KEYS = ("prompt_tokens", "do_sample", "temperature", "top_p", "top_k", "num_beams",
                 "repetition_penalty", "min_new_tokens", "max_new_tokens")


def start_ids(tokenizer) -> list[int]:
    """The document-start context of training (see textmad.train.document_ids)."""
    bos = tokenizer.bos_token_id
    return [bos] if bos is not None and bos != tokenizer.eos_token_id else [tokenizer.eos_token_id]


def _prefix(tokenizer, text: str, ids: list[int]) -> str:
    """The longest decoded token prefix that is literally the start of ``text`` (a cut inside a
    character's bytes, or a tokenizer's own normalisation, would make the prompt text differ)."""
    for k in range(len(ids), 0, -1):
        piece = tokenizer.decode(ids[:k])
        if text.startswith(piece):
            return piece
    return tokenizer.decode(ids).replace("\ufffd", "")


def make_prompts(docs: list[dict], tokenizer, cfg, seed: int, n: int) -> list[dict]:
    """``n`` prompts {"id", "prompt", "source_id"}: the first ``cfg.prompt_tokens`` tokens of
    documents drawn by ``seed`` (every document once, in a seeded order, before any repeats), or ""
    with source_id None when ``cfg.prompt_tokens == 0`` (unconditional)."""
    if cfg.prompt_tokens == 0 or not docs:
        return [{"id": f"p{i:06d}", "prompt": "", "source_id": None} for i in range(n)]
    rng = random.Random(seed)
    order: list[int] = []
    while len(order) < n:
        perm = list(range(len(docs)))
        rng.shuffle(perm)
        order.extend(perm)
    order = order[:n]
    k = cfg.prompt_tokens
    # Pieces are at most a few dozen characters, so the head of a document holds k tokens.
    heads = {i: docs[i]["text"][: 32 * k + 64] for i in set(order)}
    keys = sorted(heads)
    encoded = tokenizer([heads[i] for i in keys], add_special_tokens=False)["input_ids"]
    prefix = {i: _prefix(tokenizer, heads[i], ids[:k]) for i, ids in zip(keys, encoded)}
    return [{"id": f"p{j:06d}", "prompt": prefix[i], "source_id": docs[i]["id"]} for j, i in enumerate(order)]


def prompts_needed(cfg) -> int:
    """How many prompts ``generate`` may consume: num_samples, or, with a token budget, enough to
    spend it even if every sample stops at min_new_tokens."""
    if cfg.token_budget == 0:
        return cfg.num_samples
    return math.ceil(cfg.token_budget / max(1, cfg.min_new_tokens))


def watermarking_config(cfg):
    from transformers import WatermarkingConfig

    w = cfg.watermark
    return WatermarkingConfig(greenlist_ratio=w.greenlist_ratio, bias=w.bias, hashing_key=w.hashing_key,
                              seeding_scheme=w.seeding_scheme, context_width=w.context_width)


def decoding_settings(cfg) -> dict:
    """The settings recorded in every row: decoding knobs plus the watermark (None when off)."""
    settings = {key: getattr(cfg, key) for key in DECODING_KEYS}
    # the keys that change the text (detection's min_tokens, p_threshold... do not)
    sampling = ("enabled", "greenlist_ratio", "bias", "hashing_key", "seeding_scheme", "context_width")
    settings["watermark"] = ({k: v for k, v in dataclasses.asdict(cfg.watermark).items() if k in sampling}
                             if cfg.watermark.enabled else None)
    return settings


def generation_config(cfg, tokenizer):
    """A GenerationConfig with every knob set from the recipe, so nothing comes from the model's defaults."""
    from transformers import GenerationConfig

    return GenerationConfig(
        do_sample=cfg.do_sample, temperature=cfg.temperature, top_p=cfg.top_p, top_k=cfg.top_k,
        num_beams=cfg.num_beams, repetition_penalty=cfg.repetition_penalty,
        min_new_tokens=cfg.min_new_tokens, max_new_tokens=cfg.max_new_tokens,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id, use_cache=True,
        watermarking_config=watermarking_config(cfg) if cfg.watermark.enabled else None)


def _inverse_cdf_sampler():
    from transformers import LogitsProcessor

    class InverseCDFSampler(LogitsProcessor):
        """Draw the next token of each row from softmax(scores) by inverse CDF (one uniform number
        per row, from torch's global generator) and return scores that keep only that token, so
        greedy search emits it. Tokens of probability 0 (cut by top-k/top-p) are never drawn."""

        def __call__(self, input_ids, scores):
            # torch.multinomial, transformers' sampler, draws an exponential per vocabulary entry:
            # about 4x this cost on a CPU (45 vs 10 ms a step at batch 32 and SmolLM2's 49k tokens).
            cdf = torch.softmax(scores, dim=-1).cumsum_(dim=-1)
            u = torch.rand(scores.shape[0], 1, device=scores.device) * cdf[:, -1:]
            drawn = torch.searchsorted(cdf, u, right=True).clamp_(max=scores.shape[-1] - 1)
            return torch.full_like(scores, -math.inf).scatter_(1, drawn, 0.0)

    return InverseCDFSampler()


def decoding_plan(cfg, tokenizer, model):
    """(GenerationConfig, logits processors) for ``model.generate``. Sampling with one beam runs as
    greedy search over processors that end in ``InverseCDFSampler``: temperature, top-k, top-p and
    the watermark come after transformers' default processors (repetition penalty,
    min_new_tokens), the order transformers applies them when it samples itself."""
    from transformers import (LogitsProcessorList, TemperatureLogitsWarper, TopKLogitsWarper,
                              TopPLogitsWarper)

    config = generation_config(cfg, tokenizer)
    if not cfg.do_sample or cfg.num_beams > 1:
        return config, None
    processors = []
    if cfg.temperature != 1.0:
        processors.append(TemperatureLogitsWarper(cfg.temperature))
    if cfg.top_k:
        processors.append(TopKLogitsWarper(cfg.top_k))
    if cfg.top_p < 1.0:
        processors.append(TopPLogitsWarper(cfg.top_p))
    if config.watermarking_config is not None:
        processors.append(config.watermarking_config.construct_processor(
            model.config.get_text_config().vocab_size, model.device))
    processors.append(_inverse_cdf_sampler())
    config.update(do_sample=False, temperature=None, top_p=None, top_k=None, watermarking_config=None)
    return config, LogitsProcessorList(processors)


def batch_seed(seed: int, index: int) -> int:
    return random.Random(f"{seed}:{index}").getrandbits(63)


def _continue_batch(model, tokenizer, prompts: list[dict], plan, seed: int, device) -> list[tuple[str, int]]:
    """(continuation text, new tokens) for each prompt of one left-padded batch."""
    head = start_ids(tokenizer)
    ids = [head + tokenizer(p["prompt"], add_special_tokens=False)["input_ids"] for p in prompts]
    batch = tokenizer.pad({"input_ids": ids}, padding=True, padding_side="left", return_tensors="pt").to(device)
    torch.manual_seed(seed)
    gen_config, processors = plan
    out = model.generate(**batch, generation_config=gen_config, logits_processor=processors)
    new = out[:, batch["input_ids"].shape[1]:].tolist()
    results = []
    for row in new:
        end = row.index(tokenizer.eos_token_id) if tokenizer.eos_token_id in row else len(row)
        results.append((tokenizer.decode(row[:end], skip_special_tokens=True), end))
    return results


def generate(model, tokenizer, prompts: list[dict], cfg, accelerator, seed: int, generation: int,
             arm: str, model_hash: str, desc: str = "") -> list[dict]:
    """Continue prompts and return one row per sample, in prompt order, identical on every process.

    Without a token budget the first ``cfg.num_samples`` prompts are used; with one
    (``cfg.token_budget > 0``) prompts are used in order until that many new tokens exist (the
    sample that crosses the budget is kept), or the prompts run out (see ``prompts_needed``).
    Rows: id, generation, arm, prompt_id, prompt, text (the continuation only), decoding, seed (of
    the sample's batch), model_sha256, text_sha256, new_tokens (tokens of ``text``; the end-of-text
    token is not counted).
    """
    from accelerate.utils import gather_object
    from textmad import progress

    model = accelerator.unwrap_model(model)
    if next(model.parameters()).device != accelerator.device:
        model.to(accelerator.device)
    model.eval()
    budget = cfg.token_budget
    if budget == 0:
        prompts = prompts[: cfg.num_samples]
    batches = [prompts[i: i + cfg.batch_size] for i in range(0, len(prompts), cfg.batch_size)]
    # With a budget, each round gives one batch to each process so all stop together; without one,
    # a single round holds every batch and results are gathered once.
    per_round = accelerator.num_processes if budget else max(len(batches), 1)
    plan = decoding_plan(cfg, tokenizer, model)
    decoding = decoding_settings(cfg)
    bar = progress.bar(budget or len(prompts), desc or "generate", "tok" if budget else "sample",
                       accelerator.is_local_main_process)
    rows, spent = [], 0
    for first in range(0, len(batches), per_round):
        indices = list(range(first, min(first + per_round, len(batches))))
        mine = []
        with accelerator.split_between_processes(indices) as assigned, torch.inference_mode(), accelerator.autocast():
            for b in assigned:
                s = batch_seed(seed, b)
                outputs = _continue_batch(model, tokenizer, batches[b], plan, s, accelerator.device)
                mine.extend((p, text, n, s) for p, (text, n) in zip(batches[b], outputs))
                if not budget:
                    bar.update(len(batches[b]) * accelerator.num_processes)
        done = False
        for p, text, n, s in gather_object(mine):
            rows.append({"id": f"{arm}-g{generation:03d}-{p['id']}", "generation": generation, "arm": arm,
                         "prompt_id": p["id"], "prompt": p["prompt"], "text": text, "decoding": decoding,
                         "seed": s, "model_sha256": model_hash, "text_sha256": sha256_text(text),
                         "new_tokens": n})
            spent += n
            if budget:
                bar.update(min(n, budget - (spent - n)))
            if budget and spent >= budget:
                done = True
                break
        if done:
            break
    bar.close()
    return rows


def detect_watermark(texts: list[str], tokenizer, cfg, model_config, z_threshold: float = 3.0) -> list[dict]:
    """Per text: z_score, green_fraction, num_tokens_scored and prediction (watermarked or not) from
    transformers' WatermarkDetector with the settings of ``cfg.watermark``; texts too short to
    score get None values."""
    from transformers import WatermarkDetector

    detector = WatermarkDetector(model_config, "cpu", watermarking_config(cfg))
    head = start_ids(tokenizer)
    results = []
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) <= cfg.watermark.context_width:
            results.append({"z_score": None, "green_fraction": None, "num_tokens_scored": 0, "prediction": None})
            continue
        out = detector(torch.tensor([head + ids]), z_threshold=z_threshold, return_dict=True)
        results.append({"z_score": float(out.z_score[0]), "green_fraction": float(out.green_fraction[0]),
                        "num_tokens_scored": int(out.num_tokens_scored[0]), "prediction": bool(out.prediction[0])})
    return results
