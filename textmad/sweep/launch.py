"""Launch a sweep's jobs through submitit (`pip install 'textmad[cluster]'`): the same call starts them
as local processes (``--launcher local``, ``--jobs N`` at once) or submits one Slurm job array
(``--launcher slurm``). Each job is one `textmad run` of one grid point and seed, started by `RunJob`
with its output in ``SWEEP/logs/``; submitit keeps its own files (the pickled job, its stdout and
stderr, the result) in ``SWEEP/submitit/``. A preempted or timed-out Slurm job is requeued through
submitit's checkpointing hook with the same arguments, and the requeued `textmad run` resumes its
run directory as any second start does. Plain sbatch scripts (no Python-side submission) are
written by `sbatch_script`.
"""
from __future__ import annotations

import os
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import submitit

from textmad import rundir
from textmad.errors import UserError
from textmad.rundir import inside
from textmad.sweep.execute import (MULTI_GPU_CONFIG, check_logs, log_tail, open_log, prepare, run_command, sort_out,
                                   threads_each)
from textmad.sweep.plan import Job, Sweep

LOCAL_TIMEOUT_MIN = 7 * 24 * 60  # a local job is never cut short by submitit (its default is 5 minutes)


@dataclass
class SlurmOptions:
    """What ``--slurm-*`` asked for (None: Slurm's default)."""
    partition: str | None = None
    time: int | None = None                # minutes
    gpus_per_task: int | None = None
    cpus_per_task: int | None = None
    mem_gb: float | None = None
    array_parallelism: int | None = None
    setup: list[str] = field(default_factory=list)

    def submitit_parameters(self, job_name: str) -> dict:
        params = {"job_name": job_name, "ntasks_per_node": 1, "stderr_to_stdout": True}
        for key in ("partition", "time", "gpus_per_task", "cpus_per_task", "array_parallelism"):
            if getattr(self, key) is not None:
                params[key] = getattr(self, key)
        if self.mem_gb is not None:
            params["mem"] = f"{self.mem_gb:g}GB"
        if self.setup:
            params["setup"] = list(self.setup)
        return params


class RunJob(submitit.helpers.Checkpointable):
    """One submitit job: `textmad run ARGS` as a child process, its output in the run's log. Checkpointable's
    hook resubmits the same call on preemption or timeout, and `textmad run` resumes the run directory."""

    def __call__(self, args: list[str], sweep_dir: str, log: str, gpus: int = 1, env: dict | None = None) -> int:
        fd = open_log(Path(sweep_dir), Path(log))
        try:
            code = subprocess.run(run_command(args, gpus), stdout=fd, stderr=subprocess.STDOUT,
                                  env={**os.environ, **(env or {})}).returncode
        finally:
            os.close(fd)
        if code:
            raise RuntimeError(f"textmad run exited with status {code}; its log {log} ends:\n{log_tail(Path(log))}")
        return code


def submitit_folder(sweep: Sweep) -> Path:
    folder = sweep.dir / rundir.SWEEP_SUBMITIT
    inside(sweep.dir, folder)
    return folder


def _start(executor, sweep: Sweep, job: Job, gpus: int, env: dict):
    prepare(job)
    return executor.submit(RunJob(), job.args, str(sweep.dir), str(sweep.log(job)), gpus, env)


def run_local(sweep: Sweep, jobs: list[Job], parallel: int) -> dict[str, list[Job]]:
    """Run the jobs as local processes through submitit's LocalExecutor, ``parallel`` at a time (the local
    executor starts whatever it is given at once, so jobs are handed to it as places free up); wait for
    them all and return them grouped by outcome, as `execute` does."""
    outcome, pending = sort_out(jobs)
    check_logs(sweep, pending)
    executor = submitit.LocalExecutor(folder=submitit_folder(sweep))
    executor.update_parameters(timeout_min=LOCAL_TIMEOUT_MIN)
    env = threads_each(parallel)
    running: list[tuple[Job, object]] = []
    while pending or running:
        while pending and len(running) < parallel:
            job = pending.pop(0)
            running.append((job, _start(executor, sweep, job, 1, env)))
            print(f"started {job.command()}  (job {running[-1][1].job_id}, log: {sweep.log(job)})", flush=True)
        time.sleep(0.5)
        for item in [r for r in running if r[1].done()]:
            running.remove(item)
            job, handle = item
            failed = handle.exception() is not None
            outcome["failed" if failed else "finished"].append(job)
            print(f"{'FAILED' if failed else 'finished'}: {job.run_dir}" +
                  (f" (log: {sweep.log(job)})" if failed else ""), flush=True)
    return outcome


def submit_slurm(sweep: Sweep, jobs: list[Job], options: SlurmOptions) -> tuple[list, list[Job]]:
    """Submit the jobs not yet finished or held as one Slurm job array; return submitit's job handles and
    the jobs they run."""
    _, pending = sort_out(jobs)
    if not pending:
        return [], []
    check_logs(sweep, pending)
    try:
        executor = submitit.SlurmExecutor(folder=submitit_folder(sweep))
    except RuntimeError as e:  # no srun: not a Slurm machine
        raise UserError(f"--launcher slurm: {e} Submit from the cluster's login node, or write a plain script "
                        f"with --print-commands sbatch") from None
    executor.update_parameters(**options.submitit_parameters(f"textmad-{sweep.recipe.name}"))
    gpus = options.gpus_per_task or 1
    for job in pending:
        prepare(job)
    return executor.map_array(RunJob(), [j.args for j in pending], [str(sweep.dir)] * len(pending),
                              [str(sweep.log(j)) for j in pending], [gpus] * len(pending),
                              [{}] * len(pending)), pending


def sbatch_script(sweep: Sweep, jobs: list[Job], options: SlurmOptions, accelerate: bool = False) -> str:
    """A plain sbatch script for the jobs: ``#SBATCH --array=0-(N-1)``; task k decodes
    ``SLURM_ARRAY_TASK_ID`` into its grid point and seed and runs that one `textmad run` (under
    `accelerate launch` with ``accelerate`` or several GPUs), its output in SWEEP/logs/. Running it with
    ``SLURM_ARRAY_TASK_ID=k bash SCRIPT`` on any machine does exactly job k."""
    seeds = list(dict.fromkeys(j.seed for j in jobs))
    groups: dict[tuple, list[Job]] = {}
    for job in jobs:
        groups.setdefault(tuple(job.args[:-2]), []).append(job)
    if any([j.seed for j in g] != seeds for g in groups.values()):  # refinement rounds: one line per job
        groups = {tuple(j.args[:-2]) + (str(i),): [j] for i, j in enumerate(jobs)}
        seeds_per = 1
    else:
        seeds_per = len(seeds)
    n = len(jobs)
    gpus = options.gpus_per_task or 1
    lines = ["#!/bin/bash", f"# textmad sweep {shlex.join([sweep.path])}: {n} run(s), one `textmad run` per array task.",
             "# Submit: sbatch THIS_FILE; one task on this machine: SLURM_ARRAY_TASK_ID=k bash THIS_FILE",
             f"#SBATCH --job-name=textmad-{sweep.recipe.name}",
             f"#SBATCH --array=0-{n - 1}" + (f"%{options.array_parallelism}" if options.array_parallelism else ""),
             "#SBATCH --ntasks=1"]
    for flag, value in (("partition", options.partition), ("time", options.time),
                        ("gpus-per-task", options.gpus_per_task), ("cpus-per-task", options.cpus_per_task),
                        ("mem", None if options.mem_gb is None else f"{options.mem_gb:g}G")):
        if value is not None:
            lines.append(f"#SBATCH --{flag}={value}")
    lines += ["set -euo pipefail", f"cd {shlex.quote(os.getcwd())}  # where the sweep was planned: relative paths hold",
              *options.setup,
              f'task="${{SLURM_ARRAY_TASK_ID:?set SLURM_ARRAY_TASK_ID to a task number, 0 to {n - 1}}}"',
              f'if (( task < 0 || task > {n - 1} )); then echo "SLURM_ARRAY_TASK_ID=$task: out of 0-{n - 1}" >&2; exit 2; fi',
              f"SEEDS=({' '.join(map(str, seeds)) if seeds_per > 1 else ''})",
              f"point=$(( task / {seeds_per} ))",
              "case $point in"]
    for i, (key, members) in enumerate(groups.items()):
        args = list(members[0].args[:-2])
        seed = f'"${{SEEDS[$(( task % {seeds_per} ))]}}"' if seeds_per > 1 else str(members[0].seed)
        lines.append(f"  {i}) ARGS=({shlex.join(args)}); SEED={seed};"
                     f" LOG={shlex.quote(str(sweep.log(members[0]).parent / _log_stem(sweep, members[0])))}\"$SEED.log\" ;;")
    lines.append("esac")
    launch = (["accelerate", "launch"] + (["--config_file", str(MULTI_GPU_CONFIG), "--num_processes", str(gpus)]
                                          if gpus > 1 else []) + ["-m", "textmad", "run"]
              if accelerate or gpus > 1 else ["textmad", "run"])
    lines += [f"mkdir -p {shlex.quote(str(sweep.dir / rundir.SWEEP_LOGS))}",
              '# the log is written only inside the sweep directory, never through a symbolic link',
              'if [ -L "$LOG" ] || [ -L "$(dirname "$LOG")" ]; then echo "$LOG: a symbolic link; refusing to write '
              'through it" >&2; exit 2; fi',
              f'echo "task $task: {shlex.join(launch)} ${{ARGS[*]}} --seeds $SEED (log: $LOG)"',
              f'{shlex.join(launch)} "${{ARGS[@]}}" --seeds "$SEED" > "$LOG" 2>&1']
    return "\n".join(lines) + "\n"


def _log_stem(sweep: Sweep, job: Job) -> str:
    """The log's name up to the seed number (SWEEP/logs/<point>_seed-S.log)."""
    name = sweep.log(job).name
    return name[:-len(f"{job.seed}.log")]
