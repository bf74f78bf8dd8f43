"""The table of reports/README.md's smollm2-semantic section: for each ROOT:ARM given, every seed's change from
its own generation 0 of lexical and semantic metrics, as the mean and Student-t 95% interval over seeds
(textmad.stats), at each generation every seed finished; bold where the interval excludes 0 (per metric and
generation, not adjusted across them: the report's time-to-detection table is the Holm-adjusted reading).

    python reports/smollm2-semantic/changes.py runs/smollm2-decoding-t10:replace runs/watermark-smollm2:control
"""
import sys
from pathlib import Path

from textmad import stats
from textmad.io import read_jsonl

METRICS = ["heldout_bpc", "distinct_1", "distinct_2", "semantic_distance", "vendi_score", "mauve"]


def table(root: Path, arm: str) -> list[str]:
    per_seed = {}
    for seed_dir in sorted(root.glob("seed-*")):
        rows = read_jsonl(seed_dir / "metrics.jsonl")
        per_seed[seed_dir.name] = {r["generation"]: r for r in rows if r["arm"] == arm or r["generation"] == 0}
    gens = sorted(set.intersection(*(set(v) for v in per_seed.values())))
    out = [f"{root.name}, arm {arm} ({', '.join(per_seed)}): change from each seed's own gen-000", "",
           "| metric | gen-000 | " + " | ".join(f"gen {k}" for k in gens[1:]) + " |",
           "|---|---|" + "---|" * (len(gens) - 1)]
    for m in METRICS:
        g0 = stats.t_interval([v[0][m] for v in per_seed.values()])
        cells = []
        for k in gens[1:]:
            i = stats.t_interval([100 * (v[k][m] / v[0][m] - 1) for v in per_seed.values()])
            bold = "**" if i.excludes_zero() else ""
            cells.append(f"{bold}{i.mean:+.1f}% ± {i.half_width:.1f}{bold}")
        out.append(f"| {m} | {g0.mean:.4g} ± {g0.half_width:.2g} | " + " | ".join(cells) + " |")
    return out + [""]


if __name__ == "__main__":
    for spec in sys.argv[1:]:
        root, arm = spec.rsplit(":", 1)
        print("\n".join(table(Path(root), arm)))
