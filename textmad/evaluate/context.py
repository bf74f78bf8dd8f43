"""One run's scoring context, shared by the loop and `textmad eval RUN`.

Everything the generations of a run are scored against: the recipe, the language, generation 0's
training pool (the tail reference), the held-out real documents, generation 0's model and its metrics.
The loop builds it from the corpus it has just prepared (``RunContext(...)``), `textmad eval` from the
run directory (``RunContext.from_run_dir``). Both score a generation with ``score`` (every metric the
recipe asks for, then the watermark family: detection, radioactivity, the filter's figures) and
rewrite the run table with ``rebuild_table``, so ``textmad eval RUN --replace`` writes back what the
loop wrote.
"""
from __future__ import annotations

from pathlib import Path

from textmad import rundir
from textmad import watermark as wm
from textmad.evaluate.score import Scores, score_generation
from textmad.mix import derive_seed
from textmad.recipe import Recipe, arm_name, load_recipe


class RunContext:
    def __init__(self, run_dir: Path, recipe: Recipe, accelerator, *, language: str, pool: list[str],
                 heldout: list[dict] | None, missing: dict | None = None, strict: bool = True):
        """``heldout``: the held-out split's documents, or None with the reason in ``missing["heldout"]``;
        ``strict``: a model that cannot be loaded is an error (the loop) rather than its metrics unavailable
        with the reason (`textmad eval`)."""
        self.run_dir = Path(run_dir)
        self.recipe = recipe
        self.accelerator = accelerator
        self.language = language
        self.pool = pool
        self.heldout = heldout
        self.missing = dict(missing or {})
        self.strict = strict
        self.gen0: tuple | None = None  # ((model, tokenizer) or None, the reason it is missing)
        self.gen0_values: dict | None = None
        self.gen0_samples: list[str] | None = None  # generation 0's generated texts (mix_tail_drop_vs_gen0)

    @classmethod
    def from_run_dir(cls, run_dir: Path, accelerator, language: str | None = None) -> "RunContext":
        """The context of a run from its files: the stored recipe, the prepared corpus's language,
        gen-000's training mix as the pool, the held-out split prepared again from the recipe's corpus."""
        from textmad.corpus import prepare

        run_dir = Path(run_dir)
        recipe = load_recipe(run_dir / rundir.RECIPE)
        language = language or rundir.read_run_json(run_dir, rundir.CORPUS).get("language") or recipe.corpus.language
        pool = [r["text"] for r in rundir.read_gen_jsonl(run_dir / rundir.GEN0 / rundir.TRAIN_MIX)]
        heldout, missing = None, {}
        try:
            heldout = prepare(recipe.corpus).split("heldout")
        except Exception as e:  # the held-out split is rebuilt from the source; report, don't fail
            missing["heldout"] = f"held-out split unavailable: {e}"
        return cls(run_dir, recipe, accelerator, language=language, pool=pool, heldout=heldout, missing=missing,
                   strict=False)

    # -------------------------------------------------------- models

    def load(self, folder: Path) -> tuple[tuple | None, str]:
        """((model, tokenizer), "") saved in a generation folder; (None, reason) when it cannot be loaded
        and the context is not strict."""
        from textmad.model import load_model

        path = Path(folder) / rundir.MODEL
        if self.strict:
            return load_model(path, self.recipe, self.accelerator), ""
        if not path.is_dir():
            return None, f"{path}: no saved model"
        try:
            return load_model(path, self.recipe, self.accelerator), ""
        except Exception as e:  # a model that cannot load leaves its metrics unavailable, not the run failed
            return None, f"{path}: cannot load: {e}"

    def gen0_model(self) -> tuple[tuple | None, str]:
        """Generation 0's saved (model, tokenizer) and the reason it is missing; loaded once."""
        if self.gen0 is None:
            self.gen0 = self.load(self.run_dir / rundir.GEN0)
        return self.gen0

    # -------------------------------------------------------- scoring

    def score(self, arm: str, k: int, samples: list[dict], model=None, reason: str = "",
              radioactive: list[dict] | None = None, filtered: dict | None = None,
              trained: list[str] | None = None) -> Scores:
        """Every metric of generation ``k`` of ``arm`` (gen-000 for generation 0): the recipe's families, then
        the watermark family. ``model``: the generation's (model, tokenizer), or None with the reason; for
        generation 0 the model in memory (the loop) or else the saved one. Later generations compare with
        generation 0's saved model (loaded once), its metrics and its samples: from memory once generation 0
        is scored here, else from RUN/gen-000/metrics.json and samples.jsonl (values that went through JSON
        are the same floats).
        ``radioactive``: the generation's radioactivity sample; ``filtered``: its filter's figures; ``trained``:
        the real and fresh texts of its training mix (``rundir.trained_real``), the mix_tail metrics' reference."""
        if k == 0 and model is not None:  # used for this call only: later generations load it from disk
            gen0, gen0_reason = model, ""
        else:
            gen0, gen0_reason = self.gen0_model()
        if k == 0:
            model, reason = gen0, gen0_reason
        elif self.gen0_values is None and rundir.is_done(self.run_dir / rundir.GEN0):
            self.gen0_values = rundir.read_gen_json(self.run_dir / rundir.GEN0 / rundir.METRICS)["metrics"]
            self.gen0_samples = [s["text"] for s in rundir.read_gen_jsonl(self.run_dir / rundir.GEN0 / rundir.SAMPLES)]
        heldout = None if self.heldout is None else [d["text"] for d in self.heldout]
        missing = {**self.missing, "model": reason, "gen0": gen0_reason}
        scores = score_generation(self.recipe, [s["text"] for s in samples], generation=k, model=model, gen0=gen0,
                                  heldout=heldout, pool=self.pool, language=self.language,
                                  gen0_values=self.gen0_values, accelerator=self.accelerator, missing=missing,
                                  trained=trained, gen0_samples=self.gen0_samples)
        if k == 0:
            self.gen0_values = dict(scores.values)
            self.gen0_samples = [s["text"] for s in samples]
        model, tokenizer = model if model is not None else (None, None)
        seed = derive_seed(derive_seed(self.recipe.seed, arm, k), "watermark-real")
        return scores.update(wm.generation_scores(self.recipe, samples, radioactive, self.heldout or [], tokenizer,
                                                  model, seed, filtered, no_model=reason))  # issue 24

    def score_folder(self, arm: str, k: int, folder: Path) -> Scores:
        """Score a finished generation folder from its files: its samples, its saved model, its radioactivity
        sample and what its filter kept (train_mix.jsonl) and dropped."""
        folder = Path(folder)
        samples = rundir.read_gen_jsonl(folder / rundir.SAMPLES)
        model, reason = self.load(folder) if k > 0 else (None, "")
        radioactive = (rundir.read_gen_jsonl(folder / rundir.RADIOACTIVITY)
                       if (folder / rundir.RADIOACTIVITY).is_file() else None)
        mix = rundir.read_gen_jsonl(folder / rundir.TRAIN_MIX) if (folder / rundir.TRAIN_MIX).is_file() else None
        filtered = None
        if k > 0 and wm.arm_filter(self.recipe, wm.arm_config(self.recipe, arm)).kind != "none":
            dropped = (rundir.read_gen_jsonl(folder / rundir.FILTERED_OUT)
                       if (folder / rundir.FILTERED_OUT).is_file() else [])
            filtered = wm.filter_figures(mix or [], dropped)
        return self.score(arm, k, samples, model, reason, radioactive, filtered,
                          None if mix is None else rundir.trained_real(mix))

    # -------------------------------------------------------- the run table

    def rebuild_table(self) -> int:
        """Rewrite RUN/metrics.jsonl and metrics.csv from every finished generation; the number of rows."""
        return rebuild_table(self.run_dir, self.recipe)


def rebuild_table(run_dir: Path, recipe: Recipe) -> int:
    """Rewrite a run's table from its finished generations, with the recipe's names and arms."""
    columns = rundir.run_columns(run_dir, recipe.name, recipe.corpus.name, recipe.corpus.language)
    return rundir.rebuild_table(run_dir, columns, [(arm_name(a), a.mode) for a in recipe.loop.arms])


def merge_record(stored: dict, scores: Scores) -> dict:
    """A generation's stored metrics.json with the re-scored metrics written over it in place: every key
    keeps its position, and a metric not re-scored (``--metrics`` narrowed the families) keeps its value,
    its reason when unavailable and its description."""
    new = scores.record()
    values = {**stored.get("metrics", {}), **new["metrics"]}
    before = stored.get("evaluation", {})
    reasons = {**before.get("unavailable", {}), **new["evaluation"]["unavailable"]}
    evaluation = {**{k: v for k, v in before.items() if k != "unavailable"},
                  **{k: v for k, v in new["evaluation"].items() if k != "unavailable"},
                  "unavailable": {k: reasons.get(k, "not computed") for k, v in values.items() if v is None}}
    about = {**stored.get("about", {}), **new["about"]}
    return {**stored, "metrics": values, "evaluation": evaluation,
            "about": {k: about[k] for k in values if k in about}}
