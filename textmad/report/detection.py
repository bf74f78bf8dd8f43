"""Which signal warns first: the time-to-detection table of a group of seeds (a view: reads runs only).

For each arm and each candidate signal of the registry (``METRICS.signals()``), the first generation
at which the per-seed change from generation 0 is a finding at 95%, Holm-adjusted across the signals
shown (``textmad.stats.time_to_detection``), with the change and its Student-t interval there.
Arms of one seed share generation 0, so the change is paired within each seed.
"""
from __future__ import annotations

import math

from textmad import stats
from textmad.errors import UserError
from textmad.evaluate.registry import METRICS
from textmad.report.rundir import Run, is_number


def per_seed_table(group: list[Run], arm: str, metrics: list[str]) -> dict:
    """metric -> generation -> seed -> value, over the generations every seed of the group finished."""
    common = set.intersection(*(set(run.generations(arm)) for run in group)) if group else set()
    table = {}
    for m in metrics:
        table[m] = {k: {run.recipe.seed: v for run in group if is_number(v := run.value(arm, k, m))}
                    for k in sorted(common)}
    return table


def detection_rows(group: list[Run], metrics: list[str] | None = None) -> list[dict]:
    """One row per arm and signal: {arm, metric, generation (None = not detected), last, change, relative, p}."""
    unknown = [m for m in metrics or () if m not in METRICS]
    if unknown:  # a misspelt name would silently drop out of the table and the Holm adjustment
        raise UserError(f"time-to-detection table: {', '.join(map(repr, unknown))} not registered metric(s); "
                        f"the registry's signals: {', '.join(METRICS.signals())}")
    if len(group) < 2:
        return []
    metrics = metrics or METRICS.signals()
    rows = []
    for arm in group[0].arms:
        table = per_seed_table(group, arm, metrics)
        shown = [m for m in metrics if any(len(v) >= 2 for k, v in table[m].items() if k > 0)]
        if not shown:
            continue
        last = max(k for m in shown for k in table[m])
        for d in stats.time_to_detection({m: table[m] for m in shown}):
            rows.append({"arm": arm, "metric": d.metric, "generation": d.generation, "last": last,
                         "change": d.change, "relative": d.relative, "p": d.p_adjusted})
    return rows


def first_warnings(rows: list[dict]) -> dict[str, list[dict]]:
    """arm -> the rows detected earliest (several when they tie); empty list when nothing is detected."""
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["arm"], [])
    for arm in out:
        hits = [r for r in rows if r["arm"] == arm and r["generation"] is not None]
        first = min((r["generation"] for r in hits), default=None)
        out[arm] = [r for r in hits if r["generation"] == first]
    return out


def detection_lines(rows: list[dict]) -> list[str]:
    """One sentence per arm saying which signal warns first, and when, with its change and interval;
    then each signal's row."""
    lines = []
    for arm, first in first_warnings(rows).items():
        if not first:
            last = max(r["last"] for r in rows if r["arm"] == arm)
            lines.append(f"{arm}: no signal's change from gen-000 is a finding by generation {last} "
                         f"(Holm-adjusted across {sum(r['arm'] == arm for r in rows)} signals)")
            continue
        what = "; ".join(f"{r['metric']} {_change(r)}" for r in first)
        lines.append(f"{arm}: first warning at generation {first[0]['generation']}: {what}")
    return lines


def _change(row: dict) -> str:
    rel = f", {row['relative']:+.1%} of gen-000" if math.isfinite(row["relative"]) else ""
    return f"{row['change'].text('.4g')}{rel} (Holm p = {row['p']:.2g})"


def detection_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    """Header and body for ``textmad.report.tables.render``."""
    header = ["arm", "signal", "first generation", "change from gen-000 (95% CI, n)", "relative", "Holm p"]
    body = []
    for r in rows:
        when = r["generation"] if r["generation"] is not None else f"not by {r['last']}"
        body.append([r["arm"], r["metric"], when, r["change"].text(".4g"),
                     f"{r['relative']:+.1%}" if math.isfinite(r["relative"]) else None,
                     f"{r['p']:.2g}" if math.isfinite(r["p"]) else None])
    return header, body
