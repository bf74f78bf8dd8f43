"""Training: a plain Accelerate loop that runs unchanged on a CPU and under `accelerate launch`."""
from __future__ import annotations

from textmad.errors import UserError


class NonFiniteLoss(UserError):
    """The training loss became NaN or infinite; the message names the step."""


def train(model, tokenizer, texts: list[str], cfg, accelerator, seed: int, epochs: float,
          desc: str = "", log_path=None) -> dict:
    """Train ``model`` in place on ``texts`` with ``cfg`` (a TrainConfig) and return figures.

    Documents are tokenized as ``[bos] text [eos]`` (bos only when the tokenizer has one distinct
    from eos), concatenated and cut into ``cfg.seq_len`` blocks. ``cfg.val_share`` of the documents
    (chosen by ``seed``) are held out for the validation loss. Returns train_loss, val_loss,
    tokens, steps, seconds, tokens_per_second, loss_curve; the curve is also written to
    ``log_path`` (JSONL) by the main process.
    """
    raise NotImplementedError
