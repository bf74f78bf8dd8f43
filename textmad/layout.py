"""Moved to textmad.rundir, the one module for the run directory; this name goes once its importers switch."""
from textmad.rundir import DONE, GEN0, GEN_DIR, finished_generations, gen_dir, gen_name, is_done  # noqa: F401
