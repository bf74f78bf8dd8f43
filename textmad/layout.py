"""Names inside a run directory, in one place: the loop writes them, eval and the views read them."""
from __future__ import annotations

import re
from pathlib import Path

GEN0 = "gen-000"  # generation 0, shared by every arm
DONE = "DONE"  # written last into a generation folder: the generation is complete
GEN_DIR = re.compile(r"gen-(\d{3,})")


def gen_name(k: int) -> str:
    return f"gen-{k:03d}"


def gen_dir(run_dir: Path, arm: str | None, k: int) -> Path:
    """RUN/gen-000 for generation 0, RUN/<arm>/gen-00k for generation k >= 1 of an arm."""
    return run_dir / GEN0 if k == 0 else run_dir / (arm or "") / gen_name(k)


def is_done(folder: Path) -> bool:
    return (folder / DONE).is_file()


def finished_generations(run_dir: Path, arm: str | None) -> list[int]:
    """Finished generations of ``arm``, in order (0 first: the shared gen-000 counts for every arm)."""
    found = [0] if is_done(run_dir / GEN0) else []
    if arm:
        found += sorted(int(m.group(1)) for p in (run_dir / arm).glob("gen-*")
                        if (m := GEN_DIR.fullmatch(p.name)) and int(m.group(1)) > 0 and is_done(p))
    return found
