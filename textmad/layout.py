"""Names inside a run directory, in one place: the loop writes them, eval and the views read them."""
from __future__ import annotations

from pathlib import Path

GEN0 = "gen-000"  # generation 0, shared by every arm


def gen_name(k: int) -> str:
    return f"gen-{k:03d}"


def gen_dir(run_dir: Path, arm: str | None, k: int) -> Path:
    """RUN/gen-000 for generation 0, RUN/<arm>/gen-00k for generation k >= 1 of an arm."""
    return run_dir / GEN0 if k == 0 else run_dir / (arm or "") / gen_name(k)
