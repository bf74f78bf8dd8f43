"""textmad: a workbench for studying model collapse in text.

``textmad.load_runs(paths)`` reads the run tables of run directories into one pandas DataFrame
(one row per run, arm and generation; columns run, corpus, language, arm, mode, generation, the
training figures, every metric, seconds_* timings, and path, the run directory of the row).
"""
from textmad.rundir import load_runs

__all__ = ["load_runs"]
__version__ = "0.1.0"
