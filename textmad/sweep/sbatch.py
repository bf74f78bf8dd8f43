"""The plain sbatch script of a sweep (``textmad sweep RECIPE --print-commands sbatch``), for clusters where
jobs are submitted only with `sbatch`, and the ``--slurm-*`` options both it and the submitit launcher
use. Needs no submitit: the script runs `textmad run` itself.
"""
from __future__ import annotations

import os
import shlex
from dataclasses import dataclass, field

from textmad import rundir
from textmad.sweep.execute import MULTI_GPU_CONFIG
from textmad.sweep.plan import Job, Sweep


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
