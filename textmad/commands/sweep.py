"""`textmad sweep RECIPE`: a real-share grid x seeds, its summary and threshold (textmad.sweep)."""
from __future__ import annotations

import time

from textmad.errors import UserError


def configure_sweep(p):
    p.add_argument("recipe", metavar="RECIPE", help="YAML recipe with a sweep section (recipes/sweep.yaml)")
    p.add_argument("overrides", nargs="*", metavar="KEY.SUB=VALUE", help="overrides passed on to every run")
    p.add_argument("--seeds", metavar="S,S,...", help="seeds (default: the recipe's seeds, else its seed)")
    p.add_argument("--jobs", type=int, default=1, metavar="N", help="runs at once, as separate processes (default 1)")
    p.add_argument("--print-commands", nargs="?", const="textmad", choices=("textmad", "accelerate"),
                   metavar="textmad|accelerate",
                   help="print one `textmad run` (or `accelerate launch -m textmad run`) command per run, for a "
                        "scheduler, and run nothing")
    p.add_argument("--summarize", action="store_true",
                   help="only write summary.csv, threshold.json and the report from the runs on disk")


def main_sweep(args) -> int:
    if args.jobs < 1:
        raise UserError(f"--jobs {args.jobs}: give at least 1")
    from textmad.io import write_text
    from textmad.recipe import dump_yaml
    from textmad.sweep import _check_pools, _refinement, execute, plan, refine_jobs_on_disk, write_outputs

    sweep = plan(args.recipe, args.overrides, args.seeds)
    if args.print_commands:
        jobs = sweep.jobs + refine_jobs_on_disk(sweep)
        for job in jobs + _refinement(sweep, jobs):
            print(job.command(args.print_commands))
        return 0
    started = time.perf_counter()
    jobs = list(sweep.jobs) + refine_jobs_on_disk(sweep)
    if args.summarize and not any((job.run_dir / "recipe.yaml").is_file() for job in jobs):
        raise UserError(f"{sweep.dir}: no run of this sweep has started yet, so there is nothing to summarise; "
                        f"run `textmad sweep {args.recipe}` (or the commands of --print-commands) first")
    if not args.summarize:
        _check_pools(sweep)
    write_text(sweep.dir / "sweep.yaml", dump_yaml(sweep.recipe))
    if not args.summarize:
        failed = execute(jobs, args.jobs, sweep.dir / "logs")["failed"]
        for _ in range(sweep.recipe.sweep.refine_rounds):
            more = _refinement(sweep, jobs)
            if not more:
                break
            print(f"refinement: {len(more)} run(s) with shares "
                  f"{sorted({s for j in more for s in j.recipe.sweep.real_share})}", flush=True)
            jobs += more
            failed += execute(more, args.jobs, sweep.dir / "logs")["failed"]
        print(f"sweep: {len(jobs)} run(s) in {sweep.dir}; {time.perf_counter() - started:.0f} s", flush=True)
        for job in failed:
            print(f"failed: {job.command()} (its summary rows say why)", flush=True)
    write_outputs(sweep, jobs)
    return 0
