"""Generation: batched sampling or beam search through ``model.generate``, prompts cut from real
documents, a token budget, optional watermarking, and one row per sample."""
from __future__ import annotations


def make_prompts(docs: list[dict], tokenizer, cfg, seed: int, n: int) -> list[dict]:
    """``n`` prompts {"id", "prompt", "source_id"}: the first ``cfg.prompt_tokens`` tokens of
    documents drawn by ``seed`` (each document once before any repeats), or "" when
    ``cfg.prompt_tokens == 0``."""
    raise NotImplementedError


def prompts_needed(cfg) -> int:
    """How many prompts ``generate`` can consume: num_samples, or enough to spend the token budget."""
    raise NotImplementedError


def generate(model, tokenizer, prompts: list[dict], cfg, accelerator, seed: int, generation: int,
             arm: str, model_hash: str, desc: str = "") -> list[dict]:
    """Continue every prompt (until ``cfg.token_budget`` new tokens when set) and return one row per
    sample, in prompt order, identical on every process: id, generation, arm, prompt_id, prompt,
    text (the continuation only), decoding, seed, model_sha256, text_sha256, new_tokens."""
    raise NotImplementedError


def detect_watermark(texts: list[str], tokenizer, cfg, model_config, z_threshold: float = 3.0) -> list[dict]:
    """z-score and verdict per text from transformers' WatermarkDetector with ``cfg.watermark``."""
    raise NotImplementedError
