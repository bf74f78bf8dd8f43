"""A run directory as the views see it: a ``Run`` reads it through ``textmad.rundir`` and writes nothing."""
from __future__ import annotations

import shlex
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from textmad import rundir
from textmad.errors import UserError
from textmad.recipe import Recipe, arm_name, load_recipe
# is_number is imported by the views from here
from textmad.rundir import (GEN0, GEN_DIR, finished_generations, gen_dir, gen_name, is_done,  # noqa: F401
                            is_number, is_run_dir, metric_columns)


@dataclass
class Run:
    path: Path
    label: str = ""  # how the run is named beside other runs in a report or a comparison
    recipe: Recipe = field(init=False)  # the stored recipe.yaml, loaded and validated

    def __post_init__(self):
        self.path = Path(self.path)
        if not is_run_dir(self.path):
            raise UserError(f"{self.path}: not a run directory (expected {rundir.RECIPE} and {GEN0}/ "
                            f"written by `textmad run`)")
        self.recipe = load_recipe(self.path / rundir.RECIPE)
        self.label = self.label or self.path.name

    @cached_property
    def environment(self) -> dict:
        return rundir.read_run_json(self.path, rundir.ENVIRONMENT)

    @cached_property
    def corpus(self) -> dict:
        return rundir.read_run_json(self.path, rundir.CORPUS)

    @property
    def language(self) -> str:
        return self.corpus.get("language") or self.recipe.corpus.language or "und"

    @property
    def corpus_name(self) -> str:
        return self.corpus.get("corpus") or self.recipe.corpus.name or "?"

    @property
    def command(self) -> str:
        """The command that made the run, as typed (environment.json keeps sys.argv)."""
        return shell_command(self.environment.get("command") or ["?"])

    @cached_property
    def arms(self) -> list[str]:
        """Arm folders in recipe order, then any other arm folder found on disk."""
        declared = [arm_name(arm) for arm in self.recipe.loop.arms]
        on_disk = sorted(p.name for p in self.path.iterdir()
                         if p.is_dir() and not GEN_DIR.fullmatch(p.name) and any(is_done(g) for g in p.glob(f"{rundir.GEN_PREFIX}*")))
        return [a for a in declared if a in on_disk] + [a for a in on_disk if a not in declared]

    def gen_dir(self, arm: str | None, k: int) -> Path:
        return gen_dir(self.path, arm, k)

    def generations(self, arm: str | None) -> list[int]:
        """Finished generations of ``arm`` (0 first; the shared gen-000 counts for every arm)."""
        return finished_generations(self.path, arm)

    def check_arm(self, arm: str | None) -> str | None:
        if arm is None or arm in self.arms:
            return arm
        modes = [a for a in self.arms if a.split("-")[0] == arm]
        if len(modes) == 1:
            return modes[0]
        raise UserError(f"{self.path}: no arm {arm!r}; this run has: {', '.join(self.arms) or 'none finished'}")

    def _gen_file(self, arm: str | None, k: int, name: str) -> Path:
        d = self.gen_dir(arm, k)
        if not is_done(d):
            done = ", ".join(gen_name(g) for g in self.generations(arm)) or "none"
            raise UserError(f"{d}: generation {k} of arm {arm or '(shared)'} is not finished (no DONE); "
                            f"finished: {done}")
        return d / name

    def samples(self, arm: str | None, k: int) -> list[dict]:
        return rundir.read_gen_jsonl(self._gen_file(arm, k, rundir.SAMPLES))

    def train_mix(self, arm: str | None, k: int) -> list[dict]:
        return rundir.read_gen_jsonl(self._gen_file(arm, k, rundir.TRAIN_MIX))

    def train_log(self, arm: str | None, k: int) -> list[dict]:
        path = self._gen_file(arm, k, rundir.TRAIN_LOG)
        return rundir.read_gen_jsonl(path) if path.is_file() else []

    @cached_property
    def table(self) -> list[dict]:
        """The run table: one row per arm and generation, generation 0 repeated for each arm."""
        return rundir.read_table(self.path)

    def metric_names(self) -> list[str]:
        return metric_columns(self.table)

    def series(self, metric: str) -> dict[str, list[tuple[int, float]]]:
        """arm -> [(generation, value)] for the numeric values of ``metric``."""
        out: dict[str, list[tuple[int, float]]] = {}
        for row in self.table:
            value = row.get(metric)
            if is_number(value):
                out.setdefault(str(row.get("arm", "")), []).append((row["generation"], float(value)))
        return {arm: sorted(points) for arm, points in out.items()}

    def value(self, arm: str, k: int, metric: str) -> float | None:
        for row in self.table:
            if str(row.get("arm", "")) == arm and row["generation"] == k and is_number(row.get(metric)):
                return float(row[metric])
        return None


def shell_command(argv: list[str] | str) -> str:
    """``argv`` as one shell line, `textmad ...` for both the console script and `python -m textmad`."""
    if isinstance(argv, str):
        return argv
    if argv and (Path(argv[0]).name == "textmad" or Path(argv[0]).parts[-2:] == ("textmad", "__main__.py")):
        argv = ["textmad", *argv[1:]]
    return shlex.join(argv)


def family(metric: str) -> str:
    from textmad.evaluate import METRICS

    return METRICS[metric].family if metric in METRICS else "training"


def open_runs(paths: list[str]) -> list[Run]:
    """Runs labelled by folder name, or by parent/name where two runs share a name or the name is
    only a seed's folder (seed-0 of `run --seeds` says nothing of its recipe)."""
    runs = [Run(Path(p)) for p in paths]
    names = [r.path.name for r in runs]
    for r in runs:
        if names.count(r.path.name) > 1 or r.path.name.startswith(rundir.SEED_PREFIX):
            r.label = f"{r.path.parent.name}/{r.path.name}"
    return runs
