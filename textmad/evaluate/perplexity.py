"""Perplexity and bits per byte, character and word of a causal language model on documents.

Each document is scored on its own, the way the model was trained: its token ids follow the
document-start context of training (``textmad.generate.start_ids``: BOS, or EOS for a tokenizer
without a distinct BOS, as ``textmad.train.document_ids`` packs documents), so every token of the
text is a target, the first one included. No EOS is scored: the figures are about the text.

Strided sliding window (transformers guide "Perplexity of fixed-length models"): windows of at
most ``window`` tokens start every ``stride`` tokens; in each window only the tokens not scored
by the previous window are targets, the rest is context (labels -100). A target needs one token
of context inside its window, so when ``stride == window`` each later window starts one token
early: every target is scored exactly once, for every window and stride (the guide's loop loses
each later window's first token in that case). With the start token, scored tokens = text tokens.

Figures are token-weighted over all documents (not a mean of per-document figures):
nll = total NLL (nats) / scored tokens; ppl = exp(nll); bpb, bpc, bpw = total NLL / ln 2 divided
by the UTF-8 bytes, Unicode code points (after NFC) and words (``textmad.text``) of the
scored text. Only bpc and bpw compare scripts: a Bengali letter takes three UTF-8 bytes. A finite
but huge nll gives ``ppl = inf`` (never an OverflowError); ``score`` reports a non-finite figure as
null with the reason "not finite" in ``evaluation.unavailable``.

Batches: the windows of all documents, longest first, right-padded with an attention mask, at
most ``batch_size`` per forward pass. Under several processes the documents are split with
``accelerator.split_between_processes`` and the sums added across processes, so every process
returns the same figures.

Calibration, in the same forward pass: at every scored token, the next-token distribution's entropy
(nats), its top-1 probability (the model's confidence) and whether the top-1 token is the real one.
``entropy`` and ``top1`` are their token-weighted means (probability mass concentrating on few tokens
shows as falling entropy and rising top-1 probability); ``ece`` is the expected calibration error of
the top-1 prediction with ``ECE_BINS`` equal-mass bins (Nixon et al. 2019, "adaptive ECE": tokens sorted
by confidence and cut into bins of equal count, so no bin is empty and the many confident tokens do
not share one bin): sum over bins of (bin tokens / all tokens) x |accuracy - mean confidence|.

API: ``perplexity(model, tokenizer, texts, window, stride, batch_size=8, accelerator=None, calibration=True)`` ->
``{"nll", "ppl", "bpb", "bpc", "bpw", "ece", "entropy", "top1", "tokens", "bytes", "chars", "words"}``
(figures None when no token was scored).
"""
from __future__ import annotations

import math
import unicodedata

import torch
import torch.nn.functional as F

from textmad.text import words as text_words

ECE_BINS = 15  # equal-mass bins of the calibration error (the usual 15 of Guo et al. 2017, by count)
_CALIBRATION_ROWS = 2048  # scored positions per softmax chunk: bounds memory at a 49k-token vocabulary


def expected_calibration_error(confidence, correct, bins: int = ECE_BINS) -> float | None:
    """Equal-mass ECE of top-1 predictions: ``confidence`` (top-1 probabilities) and ``correct``
    (1 where the top-1 token was the real one), any sequences of equal length. None when empty."""
    conf = torch.as_tensor(confidence, dtype=torch.float64).flatten()
    hit = torch.as_tensor(correct, dtype=torch.float64).flatten()
    n = conf.numel()
    if n == 0:
        return None
    order = torch.argsort(conf, stable=True)
    conf, hit = conf[order], hit[order]
    total = 0.0
    for chunk_conf, chunk_hit in zip(torch.tensor_split(conf, min(bins, n)), torch.tensor_split(hit, min(bins, n))):
        total += chunk_conf.numel() / n * abs(float(chunk_hit.mean()) - float(chunk_conf.mean()))
    return total


def _calibration(logits: torch.Tensor, targets: torch.Tensor):
    """(entropy sum, top-1 probabilities, top-1 hits) over the scored positions (targets != -100)."""
    keep = targets != -100
    rows, gold = logits[keep], targets[keep]
    entropy = torch.zeros((), dtype=torch.float64, device=logits.device)
    top1, hits = [], []
    for first in range(0, rows.size(0), _CALIBRATION_ROWS):
        logp = torch.log_softmax(rows[first:first + _CALIBRATION_ROWS], dim=-1)
        entropy += -(logp.exp() * logp).sum(-1).double().sum()
        best, arg = logp.max(-1)
        top1.append(best.exp().cpu())
        hits.append((arg == gold[first:first + _CALIBRATION_ROWS]).cpu())
    empty = torch.zeros(0)
    return float(entropy), torch.cat(top1) if top1 else empty, torch.cat(hits) if hits else empty.bool()


def _windows(n_tokens: int, window: int, stride: int) -> list[tuple[int, int, int]]:
    """(begin, end, targets) per window over a document of ``n_tokens`` (its start token first);
    targets = how many trailing tokens of the window are scored."""
    out, begin, prev_end = [], 0, 0
    while True:
        end = min(begin + window, n_tokens)
        out.append((begin, end, end - prev_end))
        if end == n_tokens:
            return out
        prev_end = end
        # the first target (position prev_end) needs a token of context inside the window
        begin = min(begin + stride, prev_end - 1)


def _start(tokenizer) -> list[int]:
    from textmad.generate import start_ids

    return [i for i in start_ids(tokenizer) if i is not None]


def text_units(text: str) -> tuple[int, int, int]:
    """(UTF-8 bytes, code points after NFC, words) of ``text``: the denominators of bpb, bpc, bpw."""
    nfc = unicodedata.normalize("NFC", text)
    return len(text.encode("utf-8")), len(nfc), len(text_words(nfc))


@torch.no_grad()
def _sums(model, tokenizer, texts, window, stride, batch_size, device,
          calibration: bool = True) -> tuple[list[float], torch.Tensor, torch.Tensor]:
    """([total NLL, scored tokens, bytes, chars, words, entropy sum], top-1 probabilities, top-1 hits)
    of ``texts``."""
    start = _start(tokenizer)
    pieces = []  # (input ids, labels) per window
    units = [0, 0, 0]
    for text in texts:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        scored = text
        if not start and ids:
            # no start token at all: the first token has no context, and its text is not scored
            scored = text[len(tokenizer.decode(ids[:1])):]
        units = [a + b for a, b in zip(units, text_units(scored))]
        ids = start + ids
        if len(ids) < 2:
            continue
        for begin, end, targets in _windows(len(ids), window, stride):
            chunk = ids[begin:end]
            labels = [-100] * (len(chunk) - targets) + chunk[len(chunk) - targets:]
            pieces.append((chunk, labels))
    # Similar lengths together: less padding per batch.
    pieces.sort(key=lambda p: len(p[0]), reverse=True)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    total_nll = torch.zeros((), dtype=torch.float64, device=device)
    total_tokens = 0
    total_entropy, top1, hits = 0.0, [], []
    was_training = model.training
    model.eval()
    for first in range(0, len(pieces), batch_size):
        batch = pieces[first:first + batch_size]
        width = len(batch[0][0])
        input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, (chunk, lab) in enumerate(batch):
            input_ids[row, :len(chunk)] = torch.tensor(chunk)
            labels[row, :len(lab)] = torch.tensor(lab)
            mask[row, :len(chunk)] = 1
        input_ids, labels, mask = input_ids.to(device), labels.to(device), mask.to(device)
        logits = model(input_ids=input_ids, attention_mask=mask, use_cache=False).logits[:, :-1].float()
        targets = labels[:, 1:]
        nll = F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                              ignore_index=-100, reduction="sum")
        total_nll += nll.double()
        total_tokens += int((targets != -100).sum())
        if calibration:
            entropy, confidence, hit = _calibration(logits, targets)
            total_entropy += entropy
            top1.append(confidence)
            hits.append(hit)
    model.train(was_training)
    top1 = torch.cat(top1) if top1 else torch.zeros(0)
    hits = torch.cat(hits) if hits else torch.zeros(0, dtype=torch.bool)
    return [float(total_nll), total_tokens, *units, total_entropy], top1, hits


def _device(model, accelerator):
    if accelerator is not None:
        return accelerator.device
    return next(model.parameters()).device


def perplexity(model, tokenizer, texts: list[str], window: int, stride: int, batch_size: int = 8,
               accelerator=None, calibration: bool = True) -> dict:
    """{nll, ppl, bpb, bpc, bpw, ece, entropy, top1, tokens, bytes, chars, words} of ``model`` on ``texts``
    (module docstring); ``calibration=False`` skips ece, entropy and top1 (None), which need a softmax over
    the vocabulary at every scored token."""
    if window < 2:
        raise ValueError(f"perplexity window = {window}; it needs at least 2 tokens")
    if not 1 <= stride <= window:
        raise ValueError(f"perplexity stride = {stride}; accepted: 1 <= stride <= window ({window})")
    device = _device(model, accelerator)
    if accelerator is not None and accelerator.num_processes > 1:
        from accelerate.utils import gather_object

        with accelerator.split_between_processes(list(texts)) as shard:
            sums, top1, hits = _sums(model, tokenizer, shard, window, stride, batch_size, device, calibration)
        sums = accelerator.reduce(torch.tensor(sums, dtype=torch.float64, device=device), reduction="sum").tolist()
        # every process's per-token confidences (variable counts): the equal-mass bins need them all
        top1 = torch.cat([torch.as_tensor(t) for t in gather_object([top1.tolist()])])
        hits = torch.cat([torch.as_tensor(h) for h in gather_object([hits.tolist()])])
    else:
        sums, top1, hits = _sums(model, tokenizer, texts, window, stride, batch_size, device, calibration)
    nll, (tokens, n_bytes, chars, n_words), entropy = sums[0], (int(round(v)) for v in sums[1:5]), sums[5]
    out = {"nll": None, "ppl": None, "bpb": None, "bpc": None, "bpw": None, "ece": None, "entropy": None,
           "top1": None, "tokens": tokens, "bytes": n_bytes, "chars": chars, "words": n_words}
    if tokens == 0:
        return out
    mean = nll / tokens
    out["nll"] = mean
    if calibration:
        out["entropy"] = entropy / tokens
        out["top1"] = float(top1.double().mean())
        out["ece"] = expected_calibration_error(top1, hits)
    try:
        out["ppl"] = math.exp(mean)
    except OverflowError:  # a finite mean above ~709 nats: the perplexity is beyond float range
        out["ppl"] = math.inf
    bits = nll / math.log(2)
    for key, units in (("bpb", n_bytes), ("bpc", chars), ("bpw", n_words)):
        out[key] = bits / units if units else None
    return out
