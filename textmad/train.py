"""Training: a plain Accelerate loop that runs unchanged on a CPU and under `accelerate launch`.

Packing: each document becomes ``[bos] tokens [eos]`` (bos only when the tokenizer has one distinct
from eos), the documents are concatenated in order and cut into ``seq_len`` blocks; a block may
span a document boundary (attention crosses it, as in GPT-style packing), and the last partial
block is padded with labels masked. Blocks are shuffled each epoch by a generator seeded with
``seed``, so the same seed and data give identical weights on a CPU.
"""
from __future__ import annotations

import itertools
import math
import random
import time

import torch

from textmad.errors import UserError


class NonFiniteLoss(UserError):
    """The training loss became NaN or infinite; the message names the step."""


IGNORE = -100  # label value that cross-entropy skips (transformers' convention)


def document_ids(tokenizer, texts: list[str]) -> list[list[int]]:
    """Token ids of each text as one training document: ``[bos] tokens [eos]``."""
    bos = tokenizer.bos_token_id
    head = [bos] if bos is not None and bos != tokenizer.eos_token_id else []
    encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"] if texts else []
    return [head + ids + [tokenizer.eos_token_id] for ids in encoded]


def pack(docs: list[list[int]], seq_len: int, pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Concatenate documents and cut into ``seq_len`` blocks: (input_ids, labels) of shape [N, seq_len]."""
    stream = list(itertools.chain.from_iterable(docs))
    if not stream:
        return torch.empty(0, seq_len, dtype=torch.long), torch.empty(0, seq_len, dtype=torch.long)
    n = math.ceil(len(stream) / seq_len)
    ids = torch.full((n * seq_len,), pad_id, dtype=torch.long)
    ids[: len(stream)] = torch.tensor(stream, dtype=torch.long)
    labels = ids.clone()
    labels[len(stream):] = IGNORE
    return ids.view(n, seq_len), labels.view(n, seq_len)


def split_validation(n_docs: int, share: float, seed: int) -> tuple[list[int], list[int]]:
    """Indices (train, validation): ``round(share * n)`` documents drawn by ``seed``, at least one
    when ``share > 0`` and there are two or more documents."""
    n_val = round(share * n_docs)
    if share > 0 and n_docs >= 2:
        n_val = min(max(n_val, 1), n_docs - 1)
    val = set(random.Random(seed).sample(range(n_docs), n_val)) if n_val else set()
    return [i for i in range(n_docs) if i not in val], sorted(val)


def _optimizer(model, cfg):
    """AdamW with weight decay on matrices only (norm gains and biases are not decayed)."""
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise UserError("the model has no trainable parameters")
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.learning_rate)


@torch.no_grad()
def validation_loss(model, loader, accelerator) -> float | None:
    """Token-weighted mean cross-entropy over ``loader``, gathered across processes."""
    model.eval()
    sums = []
    for ids, labels in loader:
        logits = model(input_ids=ids, use_cache=False).logits.float()
        target = labels[:, 1:]
        nll = torch.nn.functional.cross_entropy(
            logits[:, :-1].reshape(-1, logits.size(-1)), target.reshape(-1),
            ignore_index=IGNORE, reduction="none").view(target.shape).sum(1)
        count = (target != IGNORE).sum(1).to(nll.dtype)
        sums.append(accelerator.gather_for_metrics(torch.stack([nll, count], 1)))
    model.train()
    if not sums:
        return None
    total = torch.cat(sums).sum(0)
    return float(total[0] / total[1]) if total[1] > 0 else None


def per_process_batch(batch_size: int, num_processes: int) -> int:
    """``train.batch_size`` is the global batch (all processes together); each process takes an equal share."""
    if batch_size % num_processes:
        raise UserError(f"train.batch_size = {batch_size} is the global batch, split evenly across the "
                        f"{num_processes} processes of this launch; use a multiple of {num_processes}")
    return batch_size // num_processes


def _blocks(tokenizer, texts: list[str], cfg, seed: int, desc: str):
    """(train blocks, validation blocks, train documents, validation documents): the documents split by
    ``seed`` and packed into ``cfg.seq_len`` blocks, as TensorDatasets of (input_ids, labels)."""
    docs = document_ids(tokenizer, texts)
    train_idx, val_idx = split_validation(len(docs), cfg.val_share, seed)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    train_set = torch.utils.data.TensorDataset(*pack([docs[i] for i in train_idx], cfg.seq_len, pad_id))
    if len(train_set) == 0:
        raise UserError(f"{desc or 'training'}: no training text (got {len(texts)} documents)")
    val_set = torch.utils.data.TensorDataset(*pack([docs[i] for i in val_idx], cfg.seq_len, pad_id))
    return train_set, val_set, len(train_idx), len(val_idx)


def _scheduler(optimizer, cfg, total: int, num_processes: int):
    from transformers import get_scheduler

    # Accelerate's scheduler wrapper advances once per process for each optimizer step.
    return get_scheduler({"constant": "constant_with_warmup"}.get(cfg.schedule, cfg.schedule), optimizer,
                         num_warmup_steps=round(cfg.warmup_ratio * total) * num_processes,
                         num_training_steps=total * num_processes)


def _non_finite(loss: float, step: int, total: int, epoch: int, cfg, desc: str) -> NonFiniteLoss:
    if cfg.max_grad_norm > 0:
        advice = (f"lower train.learning_rate (now {cfg.learning_rate:g}); gradients are already clipped "
                  f"(train.max_grad_norm = {cfg.max_grad_norm:g})")
    else:
        advice = (f"lower train.learning_rate (now {cfg.learning_rate:g}) or clip gradients: train.max_grad_norm "
                  f"is 0 (off), try 1.0")
    return NonFiniteLoss(f"{desc + ': ' if desc else ''}the training loss is {loss} at step {step} of {total} "
                         f"(epoch {epoch}); {advice}")


def _epochs(loader):
    """(epoch, batch) over as many epochs as the caller takes."""
    for epoch in itertools.count():
        for batch in loader:
            yield epoch, batch


def train(model, tokenizer, texts: list[str], cfg, accelerator, seed: int, epochs: float,
          desc: str = "", log_path=None) -> dict:
    """Train ``model`` in place on ``texts`` with ``cfg`` (a TrainConfig) and return its figures.

    ``cfg.val_share`` of the documents (drawn by ``seed``) are held out for ``val_loss``. One step
    is one optimizer update of ``cfg.grad_accum`` batches of ``cfg.batch_size`` blocks, the global
    batch, which the processes share equally: the steps, the learning-rate schedule and the blocks
    of each step are those of one process (the last step of an epoch may repeat a few blocks so
    that every process gets an equal share). ``epochs`` may be fractional and ``cfg.max_steps``
    caps the steps. Returns: train_loss (mean over the last epoch's steps, or over all steps when
    there are fewer), val_loss (token-weighted, None without validation documents), tokens (label
    tokens trained on, all processes), steps, seconds, tokens_per_second, loss_curve (one entry per
    step: step, epoch, loss, lr). The main process also writes the curve to ``log_path`` as JSONL.
    Raises NonFiniteLoss on a NaN or infinite loss, naming the step.
    """
    from textmad import progress
    from transformers import set_seed

    from textmad.io import write_jsonl

    set_seed(seed)
    train_set, val_set, n_train, n_val = _blocks(tokenizer, texts, cfg, seed, desc)
    batch = per_process_batch(cfg.batch_size, accelerator.num_processes)
    loader = torch.utils.data.DataLoader(train_set, batch_size=batch, shuffle=True,
                                         generator=torch.Generator().manual_seed(seed))
    val_loader = torch.utils.data.DataLoader(val_set, batch_size=batch)
    optimizer = _optimizer(model, cfg)
    accelerator.gradient_accumulation_steps = cfg.grad_accum
    steps_per_epoch = math.ceil(math.ceil(len(train_set) / cfg.batch_size) / cfg.grad_accum)
    total = max(1, math.ceil(epochs * steps_per_epoch))
    if cfg.max_steps:
        total = min(total, cfg.max_steps)
    scheduler = _scheduler(optimizer, cfg, total, accelerator.num_processes)
    model, optimizer, loader, val_loader, scheduler = accelerator.prepare(
        model, optimizer, loader, val_loader, scheduler)

    bar = progress.bar(total, desc or "train", "step", accelerator.is_local_main_process)
    curve, window, step, tokens, start = [], [], 0, 0, time.perf_counter()
    model.train()
    for epoch, (ids, labels) in _epochs(loader):
        with accelerator.accumulate(model):
            loss = model(input_ids=ids, labels=labels, use_cache=False).loss
            seen = accelerator.reduce(loss.detach(), "mean")
            if not torch.isfinite(seen):
                bar.close()
                raise _non_finite(float(seen), step + 1, total, epoch + 1, cfg, desc)
            accelerator.backward(loss)
            if accelerator.sync_gradients and cfg.max_grad_norm > 0:
                accelerator.clip_grad_norm_(model.parameters(), cfg.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        tokens += int((labels[:, 1:] != IGNORE).sum())
        window.append(float(seen))
        if not accelerator.sync_gradients:
            continue
        step += 1
        curve.append({"step": step, "epoch": round(step / steps_per_epoch, 4),
                      "loss": sum(window) / len(window), "lr": scheduler.get_last_lr()[0]})
        window = []
        bar.update(1)
        bar.set_postfix(loss=f"{curve[-1]['loss']:.3f}")
        if step == total:
            break
    bar.close()
    seconds = time.perf_counter() - start
    tokens = int(accelerator.reduce(torch.tensor(tokens, device=accelerator.device), "sum"))
    val_loss = validation_loss(model, val_loader, accelerator)
    model.eval()
    last = curve[-min(len(curve), steps_per_epoch):]
    result = {"train_loss": sum(r["loss"] for r in last) / len(last), "val_loss": val_loss, "tokens": tokens,
              "steps": step, "seconds": seconds, "tokens_per_second": tokens / seconds if seconds > 0 else 0.0,
              "train_docs": n_train, "val_docs": n_val, "loss_curve": curve}
    if log_path is not None and accelerator.is_main_process:
        write_jsonl(log_path, curve)
    # Drop Accelerate's references to this run's model and optimizer so generations do not pile up.
    accelerator.free_memory()
    return result
