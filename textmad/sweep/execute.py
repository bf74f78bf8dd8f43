"""Run a sweep's jobs: which runs are done, held or pending, the `textmad run` command of each (under
`accelerate launch` for several GPUs), its log opened inside the sweep directory, and the sequential
path that runs them one after another in the foreground. The launchers (textmad.sweep.launch) start
the same commands through submitit; a job is always one ordinary `textmad run`, so the run
directory's lock, resume and skip-finished behave as for a run started by hand.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from textmad import rundir
from textmad.errors import UserError
from textmad.recipe import SHIPPED_RECIPES, Recipe, arm_name
from textmad.rundir import GEN0, gen_dir, inside, is_done
from textmad.sweep.plan import Job, Sweep

# `accelerate launch` settings for a job with several GPUs: the shipped config (data parallel, bf16)
MULTI_GPU_CONFIG = SHIPPED_RECIPES / "accelerate" / "multi-gpu.yaml"


def run_state(recipe: Recipe) -> str:
    """done (every arm's last generation finished), running (another process holds the lock),
    unfinished (started, stopped), or new."""
    run_dir = recipe.run_dir
    last = recipe.loop.generations
    if all(is_done(gen_dir(run_dir, arm_name(a), last)) for a in recipe.loop.arms):
        return "done"
    if rundir.is_locked(run_dir):
        return "running"
    return "unfinished" if (run_dir / rundir.RECIPE).exists() else "new"


def link_gen0(source_run: Path, target_run: Path) -> None:
    """Start a refinement run from its seed's generation 0 (hard links where the file system allows):
    generation 0 depends on the seed, corpus, model and training settings, never on the arms."""
    src, dst = source_run / GEN0, target_run / GEN0
    if dst.exists() or not is_done(src):
        return
    tmp = target_run / f".{GEN0}.link-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    target_run.mkdir(parents=True, exist_ok=True)

    def link(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, tmp, copy_function=link)
    os.replace(tmp, dst)


def sort_out(jobs: list[Job]) -> tuple[dict[str, list[Job]], list[Job]]:
    """(outcome with 'done earlier' and 'skipped' filled in, the jobs still to run)."""
    outcome: dict[str, list[Job]] = {"done earlier": [], "skipped": [], "finished": [], "failed": []}
    pending = []
    for job in jobs:
        state = run_state(job.recipe)
        if state == "done":
            outcome["done earlier"].append(job)
        elif state == "running":
            print(f"skipped {job.run_dir}: another process is running it", flush=True)
            outcome["skipped"].append(job)
        else:
            pending.append(job)
    return outcome, pending


def prepare(job: Job) -> None:
    """What a job needs before its `textmad run` starts: a refinement run's generation 0."""
    if job.round:
        link_gen0(job.point_dir / f"{rundir.SEED_PREFIX}{job.seed}", job.run_dir)


def run_command(args: list[str], gpus: int = 1) -> list[str]:
    """The process a job starts: `python -m textmad run ARGS`, or with several GPUs `accelerate launch`
    with one process per GPU and the shipped multi-GPU config."""
    if gpus > 1:
        return [sys.executable, "-m", "accelerate.commands.launch", "--config_file", str(MULTI_GPU_CONFIG),
                "--num_processes", str(gpus), "-m", "textmad", "run", *args]
    return [sys.executable, "-m", "textmad", "run", *args]


def open_log(sweep_dir: Path, path: Path) -> int:
    """A file descriptor appending to the log ``path``, which must resolve inside the sweep directory; a
    symbolic link there is refused, never written through (O_NOFOLLOW closes the race after the check).
    Appending keeps what a preempted attempt printed above what its requeued one prints."""
    inside(sweep_dir, path)
    inside(sweep_dir, path.parent).mkdir(parents=True, exist_ok=True)
    try:
        return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o666)
    except OSError as e:
        if path.is_symlink():
            raise UserError(f"{path}: a symbolic link; refusing to write the log through it (remove it, the "
                            f"sweep writes its logs only inside {sweep_dir})") from None
        raise UserError(f"{path}: cannot write the log: {e.strerror or e}") from None


def check_logs(sweep: Sweep, jobs: list[Job]) -> None:
    """Before anything is started: every job's log (and the logs folder) resolves inside the sweep directory
    and is no symbolic link (a clear error naming it; the job opens it with O_NOFOLLOW as well)."""
    for job in jobs:
        log = sweep.log(job)
        for path in (log.parent, log):
            if path.is_symlink():
                raise UserError(f"{path}: a symbolic link; refusing to write a log through it (the sweep writes "
                                f"only inside {sweep.dir}): remove it and run the same command again")
            inside(sweep.dir, path)


def threads_each(parallel: int) -> dict[str, str]:
    """OMP_NUM_THREADS for ``parallel`` runs side by side on this machine (no oversubscribed cores)."""
    if parallel > 1 and "OMP_NUM_THREADS" not in os.environ:
        return {"OMP_NUM_THREADS": str(max(1, (os.cpu_count() or 1) // parallel))}
    return {}


def execute(jobs: list[Job]) -> dict[str, list[Job]]:
    """The sequential path: run the jobs' `textmad run` commands one after another in the foreground (their
    output on this terminal); return them grouped by outcome: done earlier, skipped (another process holds
    them), finished, failed."""
    outcome, pending = sort_out(jobs)
    for job in pending:
        prepare(job)
        print(f"$ {job.command()}", flush=True)
        code = subprocess.run(run_command(job.args)).returncode
        outcome["finished" if code == 0 else "failed"].append(job)
        print(f"{'finished' if code == 0 else f'FAILED (exit {code})'}: {job.run_dir}", flush=True)
    return outcome


def log_tail(path: Path, lines: int = 5) -> str:
    """The last lines of a log (what a failed run printed last); '' when there is none."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 8192))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.replace("\r", "\n").splitlines()[-lines:])


def status(sweep: Sweep, jobs: list[Job]) -> list[dict]:
    """Each run of the sweep as finished, running (with the lock holder's host and pid), failed (started,
    not finished, nobody holds it; with its log's last lines) or not started. Reads only."""
    out = []
    for job in jobs:
        state = run_state(job.recipe)
        log = sweep.log(job)
        row = {"point": job.point, "seed": job.seed, "round": job.round, "run_dir": job.run_dir, "log": log,
               "state": {"done": "finished", "new": "not started", "unfinished": "failed"}.get(state, state)}
        if state == "running":
            holder = rundir.lock_holder(job.run_dir)
            row["host"], row["pid"] = holder.get("host", "?"), holder.get("pid", "?")
        elif state == "new" and log.is_file():
            row["state"] = "failed"  # it printed something and stopped before writing its recipe
        if row["state"] == "failed":
            row["tail"] = log_tail(log)
        out.append(row)
    return out
