"""`textmad sweep RECIPE`: a grid over the real share (and other recipe keys) x seeds, its summary
with 95% intervals, and the real-share threshold.

Layout: the sweep directory is ``output_dir/name``. Each grid point of the other swept keys is a
folder named from its values (``generate.temperature-0.7``; none when only the real share is swept),
and each seed a complete, ordinary run directory in it (``seed-0/``) whose arms are the real-share
grid: ``MODE-PERCENT`` for every mode and share, plus the recipe's own ``loop.arms``; they share that
seed's generation 0. Adaptive refinement adds shares in ``refine-R/seed-S/`` run directories that
start from a copy of the seed's generation 0. Only the recipe seed changes between seeds:
``corpus.seed`` (the train/heldout/fresh split) and ``evaluate.seed`` stay as the recipe sets them,
so every seed is scored on the same held-out text.

Every run is an ordinary ``textmad run RECIPE [overrides] --seeds S`` command (textmad.seeds). The
steps, one module each:

- ``plan``: load the sweep recipe and resolve every run into a `Job` before anything runs;
- ``execute``: which runs are done or held, the command and log of each, the sequential path
  (one after another in the foreground) and ``--status``;
- ``launch``: the same jobs through submitit, as local processes or one Slurm job array;
- ``sbatch``: a plain job-array script (``--print-commands sbatch``) and the ``--slurm-*`` options;
- ``summarize``: summary.csv, summary.README.md and threshold.json from the runs on disk;
- ``cli``: the verb (the report, textmad.report.sweep, reads the summary files and is written last).

A run that another process holds (the run-directory lock) is skipped, a finished one is not started
again, and a half-finished one resumes. Files written in the sweep directory, each atomically and
only inside it: ``sweep.yaml`` (the resolved sweep recipe), ``summary.csv`` and ``summary.README.md``,
``threshold.json``, ``logs/`` (one log per run started in the background), ``submitit/`` (submitit's
job files) and ``report/``.
"""
from textmad.sweep.execute import execute, run_state, status
from textmad.sweep.plan import Job, Sweep, grid_points, plan, refine_job, refine_jobs_on_disk
from textmad.sweep.summarize import collect, find_thresholds, summarize, write_summary

__all__ = ["Job", "Sweep", "collect", "execute", "find_thresholds", "grid_points", "plan", "refine_job",
           "refine_jobs_on_disk", "run_state", "status", "summarize", "write_summary"]
