"""textmad's model-free metric families as Hugging Face ``evaluate`` modules, shipped as package data.

``evaluate.load(textmad.evaluate_module("diversity"))`` loads the folder ``textmad_diversity/`` here (likewise
``tail`` and ``formality``); its ``compute`` calls ``textmad.evaluate.score.score_texts``, the function the
loop scores every generation with, on that family alone, so the values equal a run's metrics.json for the same
text and settings. Its description is the registry's entry of each metric. Metrics that need a baseline (a real
sample, generation 0) are left out: a module scores one list of texts.
"""
from __future__ import annotations

from pathlib import Path

from textmad.errors import UserError
from textmad.evaluate.registry import METRICS

FAMILIES = ("diversity", "tail", "formality")
EXTRA = {"tail": ", reference_texts=pool", "formality": ", language='en'"}  # what the family's compute needs
HERE = Path(__file__).resolve().parent


def module_path(name: str) -> str:
    """The folder of the module for family ``name``, to pass to ``evaluate.load``."""
    if name not in FAMILIES:
        raise UserError(f"no evaluate module {name!r}; accepted: {', '.join(FAMILIES)}")
    return str(HERE / f"textmad_{name}")


def own_metrics(family: str) -> list[str]:
    """The family's metrics that one list of texts determines (no real or generation-0 baseline)."""
    return [m.name for m in METRICS if m.family == family and not m.relation and not {"real", "gen0", "train_mix"} & set(m.needs)
            and m.name != "tail_excess_drop"]


def description(family: str) -> str:
    """The module's card text: the registry's entry for each of its metrics."""
    return (f"textmad's {family} metrics (model-free; computed by textmad.evaluate.score.score_texts). "
            f"Each metric, its direction and description, from textmad's metric registry:\n" +
            "\n".join(f"- {n} ({METRICS[n].direction}): {METRICS[n].description}" for n in own_metrics(family)))


def compute(family: str, predictions: list[str], *, language: str = "en", reference_texts=None, seed: int = 0,
            sample_words: int = 20000, doc_words: int = 50, self_bleu_docs: int = 100, head_ranks: int = 100,
            torso_ranks: int = 1000) -> dict:
    """The family's own metrics of ``predictions`` (settings named as in a recipe's ``evaluate`` section:
    ``sample_words`` is evaluate.tail.sample_words or evaluate.diversity.sample_words)."""
    from textmad.evaluate import formality as fm
    from textmad.evaluate.score import Reference, score_texts
    from textmad.recipe import DiversityConfig, EvaluateConfig, TailConfig

    if family == "formality" and language.lower().split("-")[0].split("_")[0] not in fm.LANGUAGES:
        raise ValueError(f"textmad_formality: language {language!r} is not supported; accepted: "
                         f"{', '.join(fm.LANGUAGES)}")
    if family == "tail" and not reference_texts:
        raise ValueError("textmad_tail needs reference_texts=[...]: the texts whose word frequencies define the "
                         "head, torso and tail bands (in a run: generation 0's training pool)")
    cfg = EvaluateConfig(metrics=[family], seed=seed,
                         tail=TailConfig(head_ranks=head_ranks, torso_ranks=torso_ranks, sample_words=sample_words),
                         diversity=DiversityConfig(sample_words=sample_words, self_bleu_docs=self_bleu_docs,
                                                   doc_words=doc_words))
    reference = Reference.build(list(reference_texts or []), "reference_texts", language, cfg)
    scores = score_texts(list(predictions), language=language, cfg=cfg, reference=reference, real=None)
    return {name: scores.values.get(name) for name in own_metrics(family)}


def card(family: str) -> str:
    """The README.md shipped in the module's folder (a test checks it equals this; ``python -m
    textmad.evaluate.modules`` rewrites them after a registry change)."""
    return (f"---\ntitle: textmad_{family}\ntags:\n- evaluate\n- metric\n- textmad\n---\n\n# textmad_{family}\n\n"
            f"{description(family)}\n\n## Usage\n\n```python\nimport evaluate, textmad\n"
            f"metric = evaluate.load(textmad.evaluate_module({family!r}))\n"
            f"metric.compute(predictions=texts{EXTRA.get(family, '')}, sample_words=20000)\n```\n\n"
            f"Settings: seed, sample_words, doc_words, self_bleu_docs, head_ranks, torso_ranks, named as in a "
            f"recipe's `evaluate` section (`sample_words`: evaluate.tail.sample_words or "
            f"evaluate.diversity.sample_words).\n")

