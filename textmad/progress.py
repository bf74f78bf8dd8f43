"""Progress for a person at a terminal, plain lines for a log file.

One bar per stage (training steps, generated samples) when standard error is a terminal; none when
it is redirected, where the loop's one line per generation (with the run's progress and ETA) is the
record. Hugging Face's own bars ("Loading weights", "Writing model shards", dataset maps) are
silenced: they repeat every generation and fill a redirected log with carriage returns.
"""
from __future__ import annotations

import sys
import time


def interactive() -> bool:
    return sys.stderr.isatty()


def bar(total: int, desc: str, unit: str, main: bool = True):
    """A tqdm bar on the main process at a terminal; a disabled one otherwise (same calls either way)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit=unit, disable=not (main and interactive()), leave=False)


def quiet_libraries() -> None:
    """Silence the progress bars of transformers, datasets and huggingface_hub."""
    import datasets
    import huggingface_hub.utils
    import transformers

    transformers.utils.logging.disable_progress_bar()
    datasets.disable_progress_bars()
    huggingface_hub.utils.disable_progress_bars()


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class RunProgress:
    """Generations done out of the run's total, and an ETA from the generations done in this session
    (a resumed generation costs nothing and is left out of the rate)."""

    def __init__(self, total: int):
        self.total, self.done, self.timed, self.start = total, 0, 0, time.perf_counter()

    def step(self, ran: bool) -> str:
        self.done += 1
        self.timed += ran
        elapsed = time.perf_counter() - self.start
        left = self.total - self.done
        eta = f", ETA {duration(elapsed / self.timed * left)}" if self.timed and left else ""
        return f"[{self.done}/{self.total} generations, {duration(elapsed)}{eta}]"
