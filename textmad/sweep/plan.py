"""Plan a sweep: load the sweep recipe and resolve every run (grid point x seed, plus refinement rounds)
into a `Job`, an ordinary `textmad run` command and its run directory, before anything runs."""
from __future__ import annotations

import itertools
import os
import shlex
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from textmad import rundir
from textmad.errors import UserError
from textmad.recipe import Recipe, load_recipe
from textmad.seeds import point_name, run_recipes, seed_overrides


def grid_points(recipe: Recipe) -> list[dict]:
    """Every combination of the swept keys' values, as {key: value} (one empty point without keys)."""
    keys = [s.key for s in recipe.sweep.keys]
    return [dict(zip(keys, combo)) for combo in itertools.product(*(s.values for s in recipe.sweep.keys))]


def override(key: str, value) -> str:
    return f"{key}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}"


@dataclass
class Job:
    """One run directory of the sweep and the ordinary `textmad run` arguments that make it."""
    point: str              # the grid point's folder name ('' when only the real share is swept)
    seed: int
    round: int              # 0: the grid; R > 0: refinement round R
    args: list[str]         # after `textmad run`
    recipe: Recipe          # the resolved per-seed recipe

    @property
    def run_dir(self) -> Path:
        return self.recipe.run_dir

    @property
    def point_dir(self) -> Path:
        where = Path(self.recipe.output_dir)
        return where.parent if self.round else where

    def command(self, launcher: str = "textmad") -> str:
        head = ["textmad", "run"] if launcher == "textmad" else ["accelerate", "launch", "-m", "textmad", "run"]
        return shlex.join(head + self.args)


@dataclass
class Sweep:
    recipe: Recipe            # the sweep recipe with its overrides, seeds resolved
    path: str                 # the recipe file, as given
    jobs: list[Job] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return Path(self.recipe.output_dir) / self.recipe.name

    @property
    def generations(self) -> int:
        return self.recipe.loop.generations

    def log(self, job: Job) -> Path:
        """SWEEP/logs/<the run directory below SWEEP, folders joined by '_'>.log"""
        return self.dir / rundir.SWEEP_LOGS / (str(job.run_dir.relative_to(self.dir)).replace(os.sep, "_") + ".log")


def plan(path: str, overrides: list[str], seeds: str | None = None) -> Sweep:
    """Load and check the sweep recipe and resolve every run before anything runs."""
    recipe = load_recipe(path, list(overrides) + seed_overrides(seeds))
    if not recipe.seeds:
        recipe.seeds = [recipe.seed]
    if not recipe.sweep.real_share and not recipe.sweep.keys:
        raise UserError(f"{path}: nothing to sweep; add a sweep section, for example "
                        f"sweep: {{real_share: [0, 0.25, 0.5], modes: [fresh]}} (see recipes/sweep.yaml)")
    sweep = Sweep(recipe, path)
    for point in grid_points(recipe):
        point_args = [override(k, v) for k, v in point.items()]
        for seed in recipe.seeds:
            args = [path, *overrides, *point_args, "--seeds", str(seed)]
            run = load_recipe(path, list(overrides) + point_args + [f"seeds=[{seed}]"])
            (resolved,) = run_recipes(run, path)
            sweep.jobs.append(Job(point_name(run, path), seed, 0, args, resolved))
    return sweep


def refine_job(sweep: Sweep, base: Job, modes: list[str], shares: list[float], round_: int) -> Job:
    """A refinement run: only the new shares' arms, in refine-ROUND/seed-S beside the seed's run."""
    extra = ["loop.arms=[]", override("sweep.real_share", shares), override("sweep.modes", modes),
             f"sweep.round={round_}"]
    args = [*base.args[:-2], *extra, *base.args[-2:]]
    run = load_recipe(sweep.path, args[1:-2] + [f"seeds=[{base.seed}]"])
    (resolved,) = run_recipes(run, sweep.path)
    return Job(base.point, base.seed, round_, args, resolved)


def refine_jobs_on_disk(sweep: Sweep) -> list[Job]:
    """Refinement runs found in the sweep directory, resolved from their stored recipes."""
    found = []
    for base in sweep.jobs:
        for folder in sorted(base.point_dir.glob(f"{rundir.REFINE_PREFIX}*/{rundir.SEED_PREFIX}{base.seed}")):
            stored = load_recipe(folder / rundir.RECIPE)
            found.append(refine_job(sweep, base, stored.sweep.modes, stored.sweep.real_share, stored.sweep.round))
    return found
