"""Perplexity and bits per byte of a causal language model on a list of documents.

Each document is scored on its own (no context from other documents), with the strided sliding
window of the transformers guide "Perplexity of fixed-length models": windows of at most
``window`` tokens start every ``stride`` tokens; in each window only the tokens not scored by the
previous window are targets, the rest is context (labels -100). Every target token is scored
once, conditioned on up to ``window - 1`` earlier tokens of its document.

BOS: a document is encoded with the tokenizer's special tokens (``tokenizer(text)``, exactly as
the guide does). A tokenizer that adds BOS therefore has every text token scored; one that adds
none leaves the document's first token unscored (it has no context). No EOS is scored. Applied to
the guide's joined text as a single document, this reproduces the guide's number exactly
(tests/test_perplexity.py).

Figures are token-weighted over the whole split: nll = total NLL (nats) / scored tokens,
ppl = exp(nll), bpb = total NLL / ln 2 / total UTF-8 bytes of the documents. Bits per byte does
not depend on the tokenizer, so it compares models and languages.

Under several processes the documents are split with ``accelerator.split_between_processes`` and
the sums are added across processes, so every process returns the same figures.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def _windows(n_tokens: int, window: int, stride: int) -> list[tuple[int, int, int]]:
    """(begin, end, targets) per window; targets = how many trailing tokens are scored."""
    out, prev_end = [], 0
    for begin in range(0, n_tokens, stride):
        end = min(begin + window, n_tokens)
        out.append((begin, end, end - prev_end))
        prev_end = end
        if end == n_tokens:
            break
    return out


def _device(model, accelerator):
    if accelerator is not None:
        return accelerator.device
    return next(model.parameters()).device


@torch.no_grad()
def _sum_nll(model, tokenizer, texts, window, stride, batch_size, device) -> tuple[float, int, int]:
    pieces = []  # (input ids, labels) per window
    n_bytes = 0
    for text in texts:
        n_bytes += len(text.encode("utf-8"))
        ids = tokenizer(text)["input_ids"]
        for begin, end, targets in _windows(len(ids), window, stride):
            chunk = ids[begin:end]
            labels = [-100] * (len(chunk) - targets) + chunk[len(chunk) - targets:]
            pieces.append((chunk, labels))
    # Similar lengths together: less padding per batch.
    pieces.sort(key=lambda p: len(p[0]), reverse=True)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    total_nll = torch.zeros((), dtype=torch.float64, device=device)
    total_tokens = 0
    was_training = model.training
    model.eval()
    for start in range(0, len(pieces), batch_size):
        batch = pieces[start:start + batch_size]
        width = len(batch[0][0])
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (chunk, lab) in enumerate(batch):
            input_ids[row, :len(chunk)] = torch.tensor(chunk)
            labels[row, :len(lab)] = torch.tensor(lab)
            mask[row, :len(chunk)] = 1
        input_ids, labels, mask = input_ids.to(device), labels.to(device), mask.to(device)
        logits = model(input_ids=input_ids, attention_mask=mask).logits[:, :-1].float()
        targets = labels[:, 1:]
        nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                              ignore_index=-100, reduction="sum")
        total_nll += nll.double()
        total_tokens += int((targets != -100).sum())
    model.train(was_training)
    return float(total_nll), total_tokens, n_bytes


def perplexity(model, tokenizer, texts: list[str], window: int, stride: int, batch_size: int = 8,
               accelerator=None) -> dict:
    """{nll, ppl, bpb, tokens, bytes} of ``model`` on ``texts`` (see the module docstring)."""
    if window < 2:
        raise ValueError(f"perplexity window = {window}; it needs at least 2 tokens")
    if not 1 <= stride <= window:
        raise ValueError(f"perplexity stride = {stride}; accepted: 1 <= stride <= window ({window})")
    device = _device(model, accelerator)
    if accelerator is not None and accelerator.num_processes > 1:
        with accelerator.split_between_processes(list(texts)) as shard:
            nll, n_tokens, n_bytes = _sum_nll(model, tokenizer, shard, window, stride, batch_size, device)
        sums = torch.tensor([nll, n_tokens, n_bytes], dtype=torch.float64, device=device)
        nll, n_tokens, n_bytes = accelerator.reduce(sums, reduction="sum").tolist()
        n_tokens, n_bytes = int(round(n_tokens)), int(round(n_bytes))
    else:
        nll, n_tokens, n_bytes = _sum_nll(model, tokenizer, texts, window, stride, batch_size, device)
    if n_tokens == 0:
        return {"nll": None, "ppl": None, "bpb": None, "tokens": 0, "bytes": n_bytes}
    mean = nll / n_tokens
    return {"nll": mean, "ppl": math.exp(mean), "bpb": nll / math.log(2) / n_bytes if n_bytes else None,
            "tokens": n_tokens, "bytes": n_bytes}
