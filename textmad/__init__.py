"""textmad: a workbench for studying model collapse in text.

``textmad.load_runs(paths)`` reads the run tables of run directories into one pandas DataFrame
(one row per run, arm and generation; columns run, corpus, language, arm, mode, generation, the
training figures, every metric, seconds_* timings, and path, the run directory of the row).

``textmad.load_samples(run)`` returns every sample a run's generations wrote as a ``datasets.Dataset``
(pandas with ``as_pandas=True``); ``textmad export`` writes them as a Hugging Face dataset folder.
``textmad.evaluate_module(name)`` is the path of a metric family's ``evaluate`` module.
"""
from textmad.rundir import load_runs

__all__ = ["load_runs", "load_samples", "evaluate_module"]


def load_samples(run_dir, as_pandas: bool = False):
    """Every sample of a run's finished generations (see ``textmad.export.load_samples``); imports datasets lazily."""
    from textmad.export import load_samples as load

    return load(run_dir, as_pandas=as_pandas)


def evaluate_module(name: str) -> str:
    """The folder of the ``evaluate`` module ``name`` shipped with textmad: ``evaluate.load(evaluate_module(name))``."""
    from textmad.evaluate.modules import module_path

    return module_path(name)
__version__ = "0.1.0"
