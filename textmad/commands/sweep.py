"""`textmad sweep RECIPE`: a real-share grid x seeds through a launcher, its status, summary and threshold
(textmad.sweep does the work)."""
from __future__ import annotations


def configure_sweep(p):
    p.add_argument("recipe", metavar="RECIPE", help="YAML recipe with a sweep section (recipes/sweep.yaml)")
    p.add_argument("overrides", nargs="*", metavar="KEY.SUB=VALUE", help="overrides passed on to every run")
    p.add_argument("--seeds", metavar="S,S,...", help="seeds (default: the recipe's seeds, else its seed)")
    p.add_argument("--jobs", type=int, default=1, metavar="N",
                   help="local runs at once (default 1: one after another in the foreground); more than 1 runs "
                        "them through submitit's local launcher")
    p.add_argument("--launcher", choices=("local", "slurm"),
                   help="start each run as a submitit job: local processes (--jobs at once), or one Slurm job "
                        "array (needs pip install 'textmad[cluster]')")
    p.add_argument("--print-commands", nargs="?", const="textmad",
                   choices=("textmad", "accelerate", "sbatch", "sbatch-accelerate"),
                   metavar="textmad|accelerate|sbatch|sbatch-accelerate",
                   help="print one `textmad run` (or `accelerate launch -m textmad run`) command per run, or an "
                        "sbatch job-array script that runs them, and run nothing")
    p.add_argument("--summarize", action="store_true",
                   help="only write summary.csv, threshold.json and the report from the runs on disk (also while "
                        "runs are going: unfinished ones are marked)")
    p.add_argument("--status", action="store_true",
                   help="list each run as finished, running (host, pid), failed (its log's last lines) or not started")
    slurm = p.add_argument_group("Slurm (with --launcher slurm or --print-commands sbatch)")
    slurm.add_argument("--slurm-partition", metavar="P", help="partition (or comma-separated partitions)")
    slurm.add_argument("--slurm-time", metavar="MIN", help="time limit of each run, in minutes")
    slurm.add_argument("--slurm-gpus-per-task", metavar="N",
                       help="GPUs per run; more than 1 runs it under `accelerate launch` with N processes")
    slurm.add_argument("--slurm-cpus-per-task", metavar="N", help="CPU cores per run")
    slurm.add_argument("--slurm-mem", metavar="GB", help="memory per run, in GB")
    slurm.add_argument("--slurm-array-parallelism", metavar="K", help="at most K runs of the array at once")
    slurm.add_argument("--slurm-setup", metavar="CMD", action="append", default=[],
                       help="a shell line run before each job (module load ..., source venv/bin/activate); repeatable")


def main_sweep(args) -> int:
    from textmad.sweep.cli import main_sweep as run

    return run(args)
