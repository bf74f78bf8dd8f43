"""Which signal warns first: the time-to-detection table of a group of seeds (a view: reads runs only).

For each arm and each candidate signal of the registry (``METRICS.signals()``), the first generation
at which the per-seed change from generation 0 is a finding at 95%, Holm-adjusted across the signals
shown (``textmad.stats.time_to_detection``), with the change and its Student-t interval there.
Arms of one seed share generation 0, so the change is paired within each seed.

A detected change is a *warning* unless it is an improvement: a fall of a ``lower`` metric (held-out bits
per character falling under fresh real data), a rise of a ``higher`` one, or a ``closer_to_real`` metric
moving towards real text's value where the runs record that value (``*_dist_to_real``, ``*_vs_real``, and
for ``gen0_*`` generation 0's held-out figure); metrics with no better direction (``none``: entropy, top-1
probability) or no recorded real value warn on any detected change.
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
                         "change": d.change, "relative": d.relative, "p": d.p_adjusted,
                         "reading": "" if d.generation is None else reading(
                             d.metric, d.change.mean, lambda k, m=d.metric: distance_to_real(group, arm, m, k),
                             d.generation)})
    return rows


def distance_to_real(group: list[Run], arm: str, metric: str, k: int) -> float | None:
    """Mean over the seeds of how far ``metric`` is from real text's value at generation ``k``, where the runs
    record it: its ``*_dist_to_real``, |``*_vs_real`` - 1|, or for ``gen0_*`` (the generated text under the
    generation-0 model, whose real value is generation 0's held-out figure: registry) |x - heldout_*|."""
    out = []
    for run in group:
        if metric.startswith("gen0_"):
            x, real = run.value(arm, k, metric), run.value(arm, 0, "heldout_" + metric.removeprefix("gen0_"))
            d = abs(x - real) if x is not None and real is not None else None
        elif f"{metric}_dist_to_real" in METRICS:
            d = run.value(arm, k, f"{metric}_dist_to_real")
        elif f"{metric}_vs_real" in METRICS:
            ratio = run.value(arm, k, f"{metric}_vs_real")
            d = abs(ratio - 1) if ratio is not None else None
        else:
            d = None
        if d is None:
            return None
        out.append(d)
    return sum(out) / len(out) if out else None


def reading(metric: str, change: float, distance=None, k: int = 0) -> str:
    """How a detected change reads: "worse", "better" or "changed". ``higher``/``lower`` metrics by the sign
    of ``change``; ``closer_to_real`` ones by ``distance(generation)`` (``distance_to_real``) at ``k`` against
    generation 0, when known."""
    direction = METRICS[metric].direction
    if direction in ("higher", "lower") and change:
        return "better" if (change > 0) == (direction == "higher") else "worse"
    if direction == "closer_to_real" and distance is not None:
        now, then = distance(k), distance(0)
        if now is not None and then is not None and now != then:
            return "worse" if now > then else "better"
    return "changed"


def first_warnings(rows: list[dict], improvements: bool = False) -> dict[str, list[dict]]:
    """arm -> the warnings detected earliest (several when they tie; every detected change that is not an
    improvement), or with ``improvements`` the earliest detected improvements; an empty list when none."""
    out: dict[str, list[dict]] = {}
    for row in rows:
        out.setdefault(row["arm"], [])
    for arm in out:
        hits = [r for r in rows if r["arm"] == arm and r["generation"] is not None
                and (r["reading"] == "better") == improvements]
        first = min((r["generation"] for r in hits), default=None)
        out[arm] = [r for r in hits if r["generation"] == first]
    return out


def detection_lines(rows: list[dict]) -> list[str]:
    """One sentence per arm saying which signal warns first, and when, with its change and interval;
    then each signal's row."""
    lines = []
    better = first_warnings(rows, improvements=True)
    for arm, first in first_warnings(rows).items():
        if not first:
            last = max(r["last"] for r in rows if r["arm"] == arm)
            line = (f"{arm}: no warning by generation {last}: no signal's change from gen-000 is a finding in its "
                    f"bad direction (Holm-adjusted across {sum(r['arm'] == arm for r in rows)} signals)")
        else:
            what = "; ".join(f"{r['metric']} {_change(r)}" for r in first)
            line = f"{arm}: first warning at generation {first[0]['generation']}: {what}"
        if better[arm]:
            line += (f"; first improvement at generation {better[arm][0]['generation']}: "
                     + "; ".join(f"{r['metric']} {_change(r)}" for r in better[arm]))
        lines.append(line)
    return lines


def _change(row: dict) -> str:
    rel = f", {row['relative']:+.1%} of gen-000" if math.isfinite(row["relative"]) else ""
    return f"{row['change'].text('.4g')}{rel} (Holm p = {row['p']:.2g})"


def detection_table(rows: list[dict]) -> tuple[list[str], list[list]]:
    """Header and body for ``textmad.report.tables.render``."""
    header = ["arm", "signal", "first generation", "reads", "change from gen-000 (95% CI, n)", "relative", "Holm p"]
    body = []
    for r in rows:
        when = r["generation"] if r["generation"] is not None else f"not by {r['last']}"
        body.append([r["arm"], r["metric"], when, r["reading"], r["change"].text(".4g"),
                     f"{r['relative']:+.1%}" if math.isfinite(r["relative"]) else None,
                     f"{r['p']:.2g}" if math.isfinite(r["p"]) else None])
    return header, body
