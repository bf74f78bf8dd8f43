"""`textmad run --seeds S,S,...` (and a recipe's ``seeds`` list): one ordinary run directory per seed.

A recipe with seeds makes ``output_dir/name/[point/][refine-R/]seed-S``, each a complete run with
``seed = S`` and no seeds list, so the stored recipe.yaml resumes that one run. The grid point's
folder is named from the values of the recipe's swept keys (``sweep.keys``). The loop and the sweep
both expand seeds here; neither imports the other for it.
"""
from __future__ import annotations

import copy
from pathlib import Path

from textmad import rundir
from textmad.errors import UserError
from textmad.recipe import Recipe, SweepConfig, to_dict


def seed_overrides(text: str | None) -> list[str]:
    """``--seeds 0,1,2`` as the recipe override ``seeds=[0,1,2]`` (validated with the recipe)."""
    if not text:
        return []
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise UserError(f"--seeds {text!r}: expected integers separated by commas, e.g. --seeds 0,1,2") from None
    return [f"seeds=[{','.join(map(str, seeds))}]"]


def _get(recipe: Recipe, key: str):
    node = to_dict(recipe)
    for part in key.split("."):
        node = (node or {}).get(part)  # an optional mapping left out (corpus.source) has no values
    return node


def _value_text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else (f"{value:g}" if isinstance(value, float) else str(value))


def point_name(recipe: Recipe, source: str = "recipe") -> str:
    """The folder of the grid point the recipe's swept keys are at ('' when only the share is swept)."""
    parts = []
    for i, swept in enumerate(recipe.sweep.keys):
        value = _get(recipe, swept.key)
        if value not in swept.values:
            raise UserError(f"{source}: {swept.key} = {value!r} is not one of sweep.keys[{i}].values "
                            f"{swept.values}; give {swept.key}=VALUE for one of them, or run every grid point "
                            f"with `textmad sweep`")
        parts.append(f"{swept.key}-{_value_text(value)}")
    return "_".join(parts)


def run_recipes(recipe: Recipe, source: str = "recipe") -> list[Recipe]:
    """The run directories a recipe makes: itself without ``seeds``; with seeds, one ordinary recipe per
    seed at ``output_dir/name/[point/][refine-R/]seed-S`` with ``seed = S`` and no seeds list, so the
    stored recipe.yaml resumes that one run. The sweep's analysis settings (metric, tolerance, baseline,
    refinement) are left out of it: changing them re-summarises without touching a run."""
    if not recipe.seeds:
        return [recipe]
    where = Path(recipe.output_dir) / recipe.name
    if rundir.is_run_dir(where):
        raise UserError(f"{source}: {where} is the run directory of a single-seed run; runs with several seeds "
                        f"go in a folder of their own (NAME/seed-S): give --new-name NAME or set name")
    point = point_name(recipe, source)
    if point:
        where /= point
    if recipe.sweep.round:
        where /= rundir.refine_name(recipe.sweep.round)
    runs = []
    for seed in recipe.seeds:
        run = copy.deepcopy(recipe)
        run.seed, run.seeds, run.name, run.output_dir = seed, [], rundir.seed_name(seed), str(where)
        sw = recipe.sweep
        run.sweep = SweepConfig(real_share=list(sw.real_share), modes=list(sw.modes),
                                keys=copy.deepcopy(sw.keys), round=sw.round)
        runs.append(run)
    return runs
