"""`textmad eval TARGET`: score a run, one generation, a prepared corpus or a text/JSONL file.

TARGET may be
- a run directory (``recipe.yaml`` + ``gen-000/``): every finished generation (those with ``DONE``)
  of every arm is scored, its ``metrics.json`` "metrics" section is rewritten for the metric
  families of the recipe, and the run table (``metrics.jsonl``/``metrics.csv``) is rebuilt;
  ``--mode ARM`` and ``--gen K`` narrow the generations;
- a generation folder (``gen-000/`` or ``<arm>/gen-00k/``): that generation only, same writes;
- a prepared corpus (``manifest.json`` + split files): the train split, with its own vocabulary as
  the tail reference and the held-out split as the real baseline;
- a ``.txt`` file (documents separated by blank lines) or a ``.jsonl`` file (a "text" field).
Model-based metrics (held-out perplexity, perplexity under generation 0) need a run's model
folders; corpora and files get the model-free families only (tail, diversity, formality).
``--out FILE`` writes every result as JSON.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from textmad.errors import UserError
from textmad.io import read_json, read_jsonl, write_json
from textmad.layout import GEN0, finished_generations, gen_dir, gen_name, is_done



def configure_eval(p):
    p.add_argument("target", help="a run directory, a generation folder, a prepared corpus, or a .txt/.jsonl file")
    p.add_argument("--mode", metavar="ARM", help="run: only this arm (folder name); generation 0 is always the baseline")
    p.add_argument("--gen", type=int, metavar="K", help="run: only generation K")
    p.add_argument("--language", metavar="xx", help="ISO 639-1 code; files need it for formality "
                                                    "(runs and corpora know their language)")
    p.add_argument("--sample-words", type=int, metavar="N",
                   help="corpus/file: word tokens per equal-size sample (default: the recipe default, 20000)")
    p.add_argument("--out", metavar="FILE", help="also write the results as JSON")


def _texts_from_file(path: Path) -> list[str]:
    if path.suffix == ".jsonl":
        rows = read_jsonl(path)
        if rows and "text" not in rows[0]:
            raise UserError(f"{path}: JSONL rows need a \"text\" field; the first row has {sorted(rows[0])}")
        return [r["text"] for r in rows if r.get("text")]
    if path.suffix == ".txt":
        text = path.read_text(encoding="utf-8")
        return [d.strip() for d in text.split("\n\n") if d.strip()]
    raise UserError(f"{path}: not a run directory, a generation folder or a prepared corpus, and not a "
                    f".txt or .jsonl file")


def _file_cfg(args):
    from textmad.recipe import EvaluateConfig

    cfg = EvaluateConfig()
    cfg.metrics = [m for m in cfg.metrics if m in ("tail", "diversity", "formality")]
    if args.sample_words:
        if args.sample_words < 100:
            raise UserError(f"--sample-words = {args.sample_words}; accepted: 100 or more")
        cfg.tail.sample_words = cfg.diversity.sample_words = args.sample_words
    return cfg


NOTE_MODEL_FREE = "model-free metrics only (tail, diversity, formality): a corpus or file has no model"


def _score_plain(texts, reference, real, language, args) -> dict:
    from textmad.evaluate.score import score_texts

    result = score_texts(texts, language=language, reference_texts=reference, real_texts=real,
                         cfg=_file_cfg(args))
    result["evaluation"]["notes"] = [NOTE_MODEL_FREE]
    return result


def _generations(run_dir: Path, recipe, only_arm: str | None, only_gen: int | None) -> list[tuple[str, int, Path]]:
    """(arm or gen-000, k, folder) of every finished generation, generation 0 first."""
    from textmad.recipe import arm_name

    arms = [arm_name(a) for a in recipe.loop.arms]
    if only_arm is not None and only_arm not in arms:
        raise UserError(f"--mode {only_arm!r}: the run {run_dir} has the arms {', '.join(arms)}")
    out = [(GEN0, 0, run_dir / GEN0)] if is_done(run_dir / GEN0) else []
    for arm in arms:
        if only_arm is None or arm == only_arm:
            out += [(arm, k, gen_dir(run_dir, arm, k)) for k in finished_generations(run_dir, arm) if k > 0]
    if only_gen is not None:
        out = [g for g in out if g[1] == only_gen or g[1] == 0]
    return out


class _RunScorer:
    """Everything shared by the generations of one run: recipe, texts, generation-0 model, baseline."""

    def __init__(self, run_dir: Path, language: str | None):
        from textmad.recipe import load_recipe

        self.run_dir = run_dir
        self.recipe = load_recipe(run_dir / "recipe.yaml")
        self.cfg = self.recipe.evaluate
        corpus_json = run_dir / "corpus.json"
        manifest = read_json(corpus_json) if corpus_json.exists() else {}
        self.language = language or manifest.get("language") or self.recipe.corpus.language
        self.reference = [r["text"] for r in read_jsonl(run_dir / GEN0 / "train_mix.jsonl")]
        self.heldout, self.heldout_reason = self._heldout()
        self._accelerator = None
        self._gen0 = None
        self.baseline = None

    def _heldout(self) -> tuple[list[str] | None, str]:
        if not any(f in self.cfg.metrics for f in ("perplexity",)):
            return None, ""
        try:
            from textmad.corpus import prepare
            return [d["text"] for d in prepare(self.recipe.corpus).split("heldout")], ""
        except Exception as e:  # the held-out split is rebuilt from the source; report, don't fail
            return None, f"held-out split unavailable: {e}"

    @property
    def accelerator(self):
        if self._accelerator is None:
            from accelerate import Accelerator
            self._accelerator = Accelerator()
        return self._accelerator

    def model(self, folder: Path):
        from textmad.model import load_model

        if not (folder / "model").is_dir():
            return None, f"{folder / 'model'}: no saved model"
        try:
            return load_model(folder / "model", self.recipe, self.accelerator), ""
        except Exception as e:  # a model that cannot load leaves its metrics unavailable, not the run failed
            return None, f"{folder / 'model'}: cannot load: {e}"

    def score(self, k: int, folder: Path) -> dict:
        from textmad.evaluate import score as sc

        samples = [r["text"] for r in read_jsonl(folder / "samples.jsonl")]
        if k > 0 and self.baseline is None:
            existing = read_json(self.run_dir / GEN0 / "metrics.json").get("metrics", {})
            self.baseline = existing if existing.get("tail_coverage") is not None else None
        if self._gen0 is None:
            self._gen0 = self.model(self.run_dir / GEN0)
        loaded, reason = self.model(folder) if k > 0 else self._gen0
        gen0, gen0_reason = self._gen0
        real = self.heldout if self.heldout else self.reference
        if loaded is not None:
            result = sc.score_models(*loaded, samples, heldout=self.heldout, gen0=gen0, recipe=self.recipe,
                                     reference=self.reference, real=real, language=self.language,
                                     accelerator=self.accelerator)
        else:
            result = sc.merge(
                sc._finish({n: None for f in ("perplexity", "gen0_perplexity") if f in self.cfg.metrics
                            for n in sc.METRICS.names(f)}, {}, {}),
                sc.score_texts(samples, language=self.language, reference_texts=self.reference, real_texts=real,
                               cfg=self.cfg))
        unavailable = result["evaluation"]["unavailable"]
        for name in ("heldout_nll", "heldout_ppl", "heldout_bpb", "gen0_nll", "gen0_ppl", "gen0_bpb"):
            if name in unavailable:
                why = reason or (gen0_reason if name.startswith("gen0") else self.heldout_reason)
                if why:
                    unavailable[name] = why
        sc.apply_baseline(result, result if k == 0 else self.baseline)
        if k == 0:
            self.baseline = {key: v for key, v in result.items() if key != "evaluation"}
        if self.heldout is None:
            result["evaluation"].setdefault("notes", []).append(
                "real baseline: generation 0's training pool (the held-out split was not available)")
        return result


def _families_names(families) -> set[str]:
    from textmad.evaluate import METRICS
    return {m.name for m in METRICS if m.family in families} | {"evaluation"}


def _write_generation(folder: Path, arm: str, k: int, result: dict, families) -> None:
    path = folder / "metrics.json"
    metrics = read_json(path) if path.exists() else {"arm": arm, "generation": k, "metrics": {}}
    owned = _families_names(families)
    kept = {key: v for key, v in metrics.get("metrics", {}).items() if key not in owned}
    metrics["metrics"] = {**kept, **result}
    write_json(path, metrics)


SUMMARY = ("heldout_ppl", "heldout_bpb", "gen0_ppl", "tail_coverage", "distinct_4", "self_bleu",
           "repeated_4gram_share", "formality_f", "formality_lexical", "sadhu_share")


def _summary(label: str, result: dict) -> str:
    parts = [f"{label:<24}"]
    for name in SUMMARY:
        value = result.get(name)
        if isinstance(value, (int, float)):
            parts.append(f"{name} {value:.4g}")
    return "  ".join(parts)


def _run_or_generation(target: Path, args) -> dict:
    if (target / "recipe.yaml").exists() and (target / GEN0).is_dir():
        run_dir, only_arm, only_gen = target, args.mode, args.gen
    else:
        run_dir = target.parent if target.name == GEN0 else target.parent.parent
        only_arm = None if target.name == GEN0 else target.parent.name
        only_gen = 0 if target.name == GEN0 else int(target.name.removeprefix("gen-"))
        if not (run_dir / "recipe.yaml").exists():
            raise UserError(f"{target}: a generation folder must sit in a run directory with recipe.yaml "
                            f"(looked in {run_dir})")
        if not is_done(target):
            raise UserError(f"{target}: this generation is unfinished (no DONE); finish the run first")
    scorer = _RunScorer(run_dir, args.language)
    gens = _generations(run_dir, scorer.recipe, only_arm, only_gen)
    if not gens:
        raise UserError(f"{run_dir}: no finished generation matches (generation folders need DONE)")
    families = scorer.cfg.metrics
    results = {}
    for arm, k, folder in gens:
        result = scorer.score(k, folder)
        if scorer.accelerator.is_main_process:
            _write_generation(folder, arm, k, result, families)
        label = GEN0 if k == 0 else f"{arm}/{gen_name(k)}"
        results[label] = result
        print(_summary(label, result), flush=True)
    if scorer.accelerator.is_main_process:
        from textmad.loop import rebuild_table

        n = rebuild_table(run_dir, scorer.recipe)
        print(f"wrote metrics.json of {len(gens)} generation(s); run table {run_dir / 'metrics.csv'}: {n} rows")
    return results


def main_eval(args) -> int:
    target = Path(args.target)
    if not target.exists():
        raise UserError(f"{target}: no such file or directory")
    if target.is_dir() and (target / "manifest.json").exists():
        from textmad.corpus.prepare import load_prepared

        corpus = load_prepared(target)
        train = [d["text"] for d in corpus.split("train")]
        heldout = [d["text"] for d in corpus.split("heldout")]
        results = {str(target): _score_plain(train, train, heldout, args.language or corpus.language, args)}
    elif target.is_dir() and ((target / "recipe.yaml").exists() or (target / "samples.jsonl").exists()):
        results = _run_or_generation(target, args)
    elif target.is_dir():
        raise UserError(f"{target}: not a run directory (recipe.yaml + gen-000/), a generation folder "
                        f"(samples.jsonl) or a prepared corpus (manifest.json)")
    else:
        texts = _texts_from_file(target)
        if not texts:
            raise UserError(f"{target}: no documents")
        results = {str(target): _score_plain(texts, texts, None, args.language or "", args)}
    if len(results) == 1 and not (target / "recipe.yaml").exists() and not (target / "samples.jsonl").exists():
        json.dump(next(iter(results.values())), sys.stdout, ensure_ascii=False, indent=1)
        print()
    if args.out:
        write_json(args.out, results)
    return 0
