"""`textmad sweep RECIPE`: the verb. Plans the grid x seeds, runs it (in the foreground one run after
another, through submitit as local jobs or a Slurm job array), prints the commands or a plain sbatch
script, reports each run's state, and summarises (summary.csv, threshold.json) before writing the
report (textmad.report.sweep, which only reads them)."""
from __future__ import annotations

import contextlib
import importlib.util
import re
import shutil
import time

from textmad import rundir
from textmad.errors import UserError
from textmad.io import write_text
from textmad.recipe import dump_yaml
from textmad.rundir import inside
from textmad.sweep.execute import check_logs, execute, status
from textmad.sweep.plan import Job, Sweep, plan, refine_jobs_on_disk
from textmad.sweep.preflight import cautions, estimate_runs
from textmad.sweep.sbatch import SlurmOptions, sbatch_script
from textmad.sweep.summarize import refinement_jobs, write_summary

SLURM_OPTIONS = ("partition", "time", "gpus_per_task", "cpus_per_task", "mem", "array_parallelism", "setup")
PARTITION = re.compile(r"[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*")


def _positive(value: str | None, flag: str, what: str, kind=int):
    if value is None:
        return None
    try:
        number = kind(value)
    except ValueError:
        number = None
    if number is None or number <= 0:
        raise UserError(f"{flag} {value!r}: expected {what}")
    return number


def slurm_options(args):
    """The --slurm-* options, checked; None when none was given. Imports submitit's side lazily."""
    given = [f"--slurm-{o.replace('_', '-')}" for o in SLURM_OPTIONS if getattr(args, f"slurm_{o}")]
    if not given:
        return None
    if args.launcher != "slurm" and args.print_commands not in ("sbatch", "sbatch-accelerate"):
        raise UserError(f"{', '.join(given)}: Slurm options need --launcher slurm (or --print-commands sbatch); "
                        f"{'--launcher ' + args.launcher if args.launcher else 'without --launcher the runs start here'}")
    if args.slurm_partition is not None and not PARTITION.fullmatch(args.slurm_partition):
        raise UserError(f"--slurm-partition {args.slurm_partition!r}: expected a partition name (letters, digits, "
                        f"'_', '.', '-'), or several separated by commas, e.g. gpu or gpu,cpu")
    return dict(
        partition=args.slurm_partition,
        time=_positive(args.slurm_time, "--slurm-time", "the time limit in whole minutes, e.g. 240 for 4 hours"),
        gpus_per_task=_positive(args.slurm_gpus_per_task, "--slurm-gpus-per-task", "a whole number of GPUs, at least 1"),
        cpus_per_task=_positive(args.slurm_cpus_per_task, "--slurm-cpus-per-task", "a whole number of cores, at least 1"),
        mem_gb=_positive(args.slurm_mem, "--slurm-mem", "memory in GB, a positive number, e.g. 16", float),
        array_parallelism=_positive(args.slurm_array_parallelism, "--slurm-array-parallelism",
                                    "a whole number of runs at once, at least 1"),
        setup=list(args.slurm_setup))


def need_submitit() -> None:
    if importlib.util.find_spec("submitit") is None:
        raise UserError("--launcher and --jobs N > 1 start runs through submitit, which is not installed: "
                        "pip install 'textmad[cluster]' (or pip install submitit)")


def check_gpus(sweep: Sweep, gpus: int | None) -> None:
    """Every run must split its global batch evenly over the GPUs' processes (as `accelerate launch` would)."""
    if not gpus or gpus == 1:
        return
    for job in sweep.jobs:
        size = job.recipe.train.batch_size
        if size % gpus:
            raise UserError(f"--slurm-gpus-per-task {gpus}: {sweep.path}: train.batch_size = {size} (run "
                            f"{job.run_dir}) is the global batch, split evenly over the {gpus} processes "
                            f"`accelerate launch` starts, one per GPU; give a multiple of {gpus} "
                            f"(train.batch_size={gpus * max(1, round(size / gpus))}) or another GPU count")


@contextlib.contextmanager
def holding(sweep: Sweep):
    """One sweep at a time writes a sweep directory: its lock, held while runs are started."""
    rundir.check_writable(sweep.dir)
    try:
        with rundir.hold_lock(sweep.dir):
            yield
    except rundir.RunLocked:
        who = rundir.lock_holder(sweep.dir)
        holder = f"pid {who.get('pid')} on {who.get('host')}, started {who.get('started')}" if who else "a process"
        raise UserError(f"{sweep.dir}: another `textmad sweep` is starting this sweep's runs ({holder}); wait for "
                        f"it to end, follow it with --status, or give this sweep another name (name=...)") from None


def main_sweep(args) -> int:
    if args.jobs < 1:
        raise UserError(f"--jobs {args.jobs}: give at least 1")
    if sum(map(bool, (args.status, args.summarize, args.print_commands))) > 1:
        raise UserError("--status, --summarize and --print-commands each do one thing: give one of them")
    options = slurm_options(args)
    launcher = args.launcher or ("local" if args.jobs > 1 and not (args.status or args.summarize or args.print_commands)
                                 else None)
    if args.launcher == "slurm" and args.jobs > 1:
        raise UserError("--jobs is the number of local runs at once; with --launcher slurm use "
                        "--slurm-array-parallelism K")
    if launcher and not (args.status or args.summarize or args.print_commands):
        need_submitit()
    sweep = plan(args.recipe, args.overrides, args.seeds)
    check_gpus(sweep, (options or {}).get("gpus_per_task"))
    if launcher == "slurm" and not (args.status or args.summarize or args.print_commands) \
            and shutil.which("srun") is None:
        raise UserError("--launcher slurm: Slurm's srun is not found on this machine; submit from the "
                        "cluster's login node, or write a plain job-array script with --print-commands sbatch")
    jobs = sweep.jobs + refine_jobs_on_disk(sweep)
    if args.status:
        return print_status(sweep, jobs)
    if args.print_commands:
        jobs = jobs + refinement_jobs(sweep, jobs)
        if args.print_commands.startswith("sbatch"):
            print(sbatch_script(sweep, jobs, SlurmOptions(**(options or {})), args.print_commands == "sbatch-accelerate"),
                  end="")
        else:
            for job in jobs:
                print(job.command(args.print_commands))
        return 0
    if args.summarize and not any((job.run_dir / rundir.RECIPE).is_file() for job in jobs):
        raise UserError(f"{sweep.dir}: no run of this sweep has started yet, so there is nothing to summarise; "
                        f"run `textmad sweep {args.recipe}` (or the commands of --print-commands) first")
    if args.summarize:
        return summarize_and_report(sweep, jobs)
    _check_pools(sweep)
    for text in cautions(sweep.recipe):
        print(f"caution: {text}", flush=True)
    if launcher != "slurm":  # Slurm runs elsewhere: this machine's rate says nothing of theirs
        estimate_runs(sweep, jobs, args.jobs if launcher == "local" else 1)
    if launcher:
        check_logs(sweep, jobs)
        inside(sweep.dir, sweep.dir / rundir.SWEEP_SUBMITIT)
    with holding(sweep):
        write_text(inside(sweep.dir, sweep.dir / rundir.SWEEP_RECIPE), dump_yaml(sweep.recipe))
        if launcher == "slurm":
            return submit(sweep, jobs, options or {}, args)
        started = time.perf_counter()
        failed = _run(jobs, launcher, sweep, args.jobs)
        for _ in range(sweep.recipe.sweep.refine_rounds):
            more = refinement_jobs(sweep, jobs)
            if not more:
                break
            print(f"refinement: {len(more)} run(s) with shares "
                  f"{sorted({s for j in more for s in j.recipe.sweep.real_share})}", flush=True)
            jobs += more
            failed += _run(more, launcher, sweep, args.jobs)
        print(f"sweep: {len(jobs)} run(s) in {sweep.dir}; {time.perf_counter() - started:.0f} s", flush=True)
        for job in failed:
            print(f"failed: {job.command()} (its summary rows say why; log: {sweep.log(job)})"
                  if launcher else f"failed: {job.command()} (its summary rows say why)", flush=True)
    return summarize_and_report(sweep, jobs)


def _run(jobs: list[Job], launcher: str | None, sweep: Sweep, parallel: int) -> list[Job]:
    if launcher == "local":
        from textmad.sweep.launch import run_local

        return run_local(sweep, jobs, parallel)["failed"]
    return execute(jobs)["failed"]


def submit(sweep: Sweep, jobs: list[Job], options: dict, args) -> int:
    from textmad.sweep.launch import submit_slurm

    handles, submitted = submit_slurm(sweep, jobs, SlurmOptions(**options))
    command = f"textmad sweep {args.recipe}" + "".join(f" {a}" for a in args.overrides) + \
              (f" --seeds {args.seeds}" if args.seeds else "")
    if not handles:
        print(f"nothing to submit: every run of {sweep.dir} is finished or running; summarise with "
              f"`{command} --summarize`")
        return 0
    print(f"submitted {len(handles)} run(s) as Slurm job array {handles[0].job_id.split('_')[0]} "
          f"(tasks {handles[0].job_id} to {handles[-1].job_id})")
    for handle, job in zip(handles, submitted):
        print(f"  {handle.job_id}: {job.run_dir}  (log: {sweep.log(job)})")
    print(f"submitit's files: {sweep.dir / rundir.SWEEP_SUBMITIT}\nfollow: `{command} --status`\n"
          f"summarise (also while runs are going): `{command} --summarize`")
    if sweep.recipe.sweep.refine_width:
        print("refinement rounds are submitted by the same command once these runs have finished")
    return 0


def print_status(sweep: Sweep, jobs: list[Job]) -> int:
    rows = status(sweep, jobs)
    for row in rows:
        where = row["run_dir"].relative_to(sweep.dir)
        extra = f" (pid {row['pid']} on {row['host']})" if row["state"] == "running" else ""
        print(f"{row['state']:<12} {where}{extra}")
        if row.get("tail"):
            print("\n".join(f"    | {line}" for line in row["tail"].splitlines()))
            print(f"    log: {row['log']}")
    counts = {}
    for row in rows:
        counts[row["state"]] = counts.get(row["state"], 0) + 1
    print(f"{len(rows)} run(s): " + ", ".join(f"{n} {state}" for state, n in counts.items()))
    return 0


def summarize_and_report(sweep: Sweep, jobs: list[Job]) -> int:
    """summary.csv and threshold.json (textmad.sweep.summarize), then the report that reads them."""
    from textmad.report.sweep import write_sweep_report

    write_summary(sweep, jobs)
    paths = write_sweep_report(sweep.dir)
    print(f"wrote {sweep.dir / rundir.SWEEP_SUMMARY}, {sweep.dir / rundir.THRESHOLD} and {paths['html']}")
    return 0


def _check_pools(sweep: Sweep) -> None:
    """Check every run's arms against the corpus pools before the first one starts (plan_arms' errors)."""
    from textmad.corpus import prepare
    from textmad.mix import plan_arms

    pools = {}
    for job in sweep.jobs:
        key = repr(job.recipe.corpus)
        if key not in pools:
            corpus = prepare(job.recipe.corpus)
            pools[key] = len(corpus.split("train")), len(corpus.split("fresh"))
        plan_arms(job.recipe, *pools[key], sweep.path)
