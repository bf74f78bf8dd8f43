"""Launch a sweep's jobs through submitit (`pip install 'textmad[cluster]'`): the same call starts them
as local processes (``--launcher local``, ``--jobs N`` at once) or submits one Slurm job array
(``--launcher slurm``). Each job is one `textmad run` of one grid point and seed, started by `RunJob`
with its output in ``SWEEP/logs/``; submitit keeps its own files (the pickled job, its stdout and
stderr, the result) in ``SWEEP/submitit/``. A preempted or timed-out Slurm job is requeued through
submitit's checkpointing hook with the same arguments, and the requeued `textmad run` resumes its
run directory as any second start does. Plain sbatch scripts (no Python-side submission) are
written by textmad.sweep.sbatch, which needs no submitit.
"""
from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import submitit

from textmad import rundir
from textmad.errors import UserError
from textmad.rundir import inside
from textmad.sweep.execute import check_logs, log_tail, open_log, prepare, run_command, sort_out, threads_each
from textmad.sweep.plan import Job, Sweep
from textmad.sweep.sbatch import SlurmOptions

LOCAL_TIMEOUT_MIN = 7 * 24 * 60  # a local job is never cut short by submitit (its default is 5 minutes)


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
