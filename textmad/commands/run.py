"""`textmad run RECIPE [KEY=VALUE ...] [--new-name NAME] [--seeds S,S,...]`: run the loop (textmad.loop)."""
from __future__ import annotations

import os
import sys

from textmad.errors import UserError


def configure_run(p):
    p.add_argument("recipe", metavar="RECIPE", help="YAML recipe file")
    p.add_argument("overrides", nargs="*", metavar="KEY.SUB=VALUE",
                   help="dotted overrides applied before validation, e.g. loop.generations=3")
    p.add_argument("--new-name", metavar="NAME", default="",
                   help="run under a new name (a new run directory), e.g. after changing the recipe; "
                        "give it after the overrides")
    p.add_argument("--seeds", metavar="S,S,...",
                   help="several seeds, one complete run directory each: output_dir/name/seed-S (textmad.seeds)")


def main_run(args) -> int:
    from textmad import rundir
    from textmad.loop import Loop, Stopped, stop_on_signals, stop_with_launcher
    from textmad.recipe import check_folder_name, load_recipe
    from textmad.rundir import TRACKERS
    from textmad.seeds import run_recipes, seed_overrides

    recipe = load_recipe(args.recipe, args.overrides + seed_overrides(args.seeds))
    if args.new_name:
        check_folder_name(args.new_name, "--new-name")
        recipe.name = args.new_name
    rundir.check_writable(recipe.run_dir)
    stop_with_launcher()
    from accelerate import Accelerator

    from textmad.train import per_process_batch

    from textmad.progress import quiet_libraries

    quiet_libraries()
    trackers = {}
    if recipe.log_with:
        from accelerate.utils import ProjectConfiguration

        # each run (seed) points logging_dir at its own RUN/trackers before init_trackers (Loop.start_trackers)
        trackers = {"log_with": recipe.log_with, "project_config": ProjectConfiguration(
            project_dir=str(recipe.run_dir), logging_dir=str(recipe.run_dir / TRACKERS))}
    accelerator = Accelerator(**trackers)
    launched = int(os.environ.get("WORLD_SIZE", "1"))
    if launched != accelerator.num_processes:
        # each process would believe it is the only one and write every file itself
        raise UserError(f"launched as {launched} processes but Accelerate set up {accelerator.num_processes} "
                        f"({accelerator.distributed_type}); on a machine without GPUs run "
                        f"`ACCELERATE_USE_CPU=1 accelerate launch --multi_gpu --num_processes {launched} "
                        f"-m textmad run ...` (accelerate's --cpu launcher starts a single process without mpirun)")
    per_process_batch(recipe.train.batch_size, accelerator.num_processes)
    try:
        with stop_on_signals():
            for run in run_recipes(recipe, args.recipe):  # one per seed, one after another
                Loop(run, accelerator, source=args.recipe, new_name=bool(args.new_name)).run()
    except Stopped as e:
        if accelerator.is_main_process:
            print(f"textmad run: stopped by {e.signal.name}; the finished generations in {recipe.run_dir} are "
                  f"kept and the unfinished one is redone on resume: run the same command again", file=sys.stderr)
        return 128 + e.signal
    return 0
