"""Test data, located once through the corpus sources (so tests read the pinned files the corpora read)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pytest

from textmad.corpus import get_card, sources
from textmad.errors import UserError


def gensim_file(name: str) -> Path:
    """A gensim test-data file, at the gensim version the built-in corpora's cards pin (corpora/lee-en.yaml)."""
    return sources.pip_files(get_card("lee-en").needs["pip"], [f"test/test_data/{name}"])[0][0]


def lee_path() -> Path:
    """The Lee corpus's file, where its card (corpora/lee-en.yaml) says: gensim's pinned test data."""
    return sources.card_files(get_card("lee-en"))[0][0]


@lru_cache(maxsize=1)
def lee_lines() -> tuple[str, ...]:
    """The Lee corpus's 300 English news stories, one per line."""
    return tuple(line for line in lee_path().read_text(encoding="utf-8").splitlines() if line.strip())


def lee_text() -> str:
    return "\n".join(lee_lines())


@lru_cache(maxsize=1)
def quran_bn_verses() -> tuple[str, ...]:
    """The verses of the first Bengali Quran translation; skips the test when the Debian package is absent."""
    try:
        source = sources.card_source(get_card("quran-bn"))
    except UserError as e:
        pytest.skip(f"quran-bn is not installed (scripts/install-debian-corpora.sh installs it): {e}")
    return tuple(text for _, _, text in sources.quran_verses(source.files[0]))


def quran_bn_text(n_verses: int = 1000) -> str:
    return "\n".join(quran_bn_verses()[:n_verses])


def tiny_llama(texts: list[str], vocab_size: int = 500, hidden_size: int = 32, intermediate_size: int = 0,
               layers: int = 2, heads: int = 4, max_positions: int = 64, seed: int = 0, eos_token: str | None = None):
    """A seeded random tiny Llama and a word-level tokenizer built offline from ``texts``: (model, tokenizer).

    The tokenizer has <unk> 0, <s> 1 (put before every text, as textmad's own tokenizers do) and <pad> 2.
    Tests and benchmarks build their small models here, so they share one recipe.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    tok = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(texts, trainers.WordLevelTrainer(vocab_size=vocab_size,
                                                             special_tokens=["<unk>", "<s>", "<pad>"]))
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    extra = {"eos_token": eos_token} if eos_token else {}
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", unk_token="<unk>", pad_token="<pad>",
                                        **extra)
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=vocab_size, hidden_size=hidden_size,
                         intermediate_size=intermediate_size or 2 * hidden_size, num_hidden_layers=layers,
                         num_attention_heads=heads, num_key_value_heads=heads, max_position_embeddings=max_positions)
    return LlamaForCausalLM(config).eval(), tokenizer
