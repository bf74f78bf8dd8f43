"""The report of a sweep (``SWEEP/report/``): mean curves over seeds with shaded 95% bands, the
dose-response figure (worsening at the last generation against the real share, one curve per mode,
the tolerance and the threshold marked) and a ``mean ± half-width (n)`` table; report.md and a
self-contained report.html, rendered by textmad.report.report from the same blocks.

A view: it reads what the sweep's summarize step wrote (summary.csv, threshold.json, sweep.yaml) and
computes nothing over seeds itself. Bands are the Student-t 95% intervals of summary.csv; an arm a
seed did not finish is listed as failed and left out of the means (the summary says why). Run
``textmad sweep RECIPE --summarize`` to bring the summary up to date first.
"""
from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass
from pathlib import Path

from textmad import rundir, stats
from textmad.errors import UserError
from textmad.evaluate.registry import METRICS
from textmad.io import write_text
from textmad.modes import ACCUMULATE, ACCUMULATE_SUBSAMPLE, AUGMENT, FRESH, REPLACE
from textmad.recipe import load_recipe
from textmad.report import plots
from textmad.report.plots import MaxNLocator, plt
from textmad.report.compare import seed_groups
from textmad.report.report import Block, detection_blocks, to_html, to_markdown
from textmad.report.rundir import open_runs, shell_command
from textmad.rundir import inside

CURVES = METRICS.shown("curves")
MODE_MAPS = {FRESH: "Blues", AUGMENT: "Oranges", REPLACE: "Reds", ACCUMULATE: "Greens", ACCUMULATE_SUBSAMPLE: "Purples"}


@dataclass
class SweepSummary:
    """What `textmad sweep` wrote in a sweep directory, as read back."""
    dir: Path
    recipe: object        # sweep.yaml, the resolved sweep recipe
    rows: list[dict]      # summary.csv
    result: dict          # threshold.json

    def points(self) -> list[str]:
        return list(dict.fromkeys(r["point"] for r in self.rows))

    def here(self, point: str) -> list[dict]:
        return [r for r in self.rows if r["point"] == point]


def read_summary(sweep_dir: Path) -> SweepSummary:
    """summary.csv, threshold.json and sweep.yaml of a sweep directory; a clear error when one is missing."""
    sweep_dir = Path(sweep_dir)
    for name in (rundir.SWEEP_RECIPE, rundir.SWEEP_SUMMARY, rundir.THRESHOLD):
        if not (sweep_dir / name).is_file():
            raise UserError(f"{sweep_dir / name}: not found; the sweep's summary is written by `textmad sweep "
                            f"RECIPE --summarize` (or at the end of `textmad sweep RECIPE`): run it first")
    with open(sweep_dir / rundir.SWEEP_SUMMARY, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    try:
        result = json.loads((sweep_dir / rundir.THRESHOLD).read_text(encoding="utf-8"))
    except ValueError as e:
        raise UserError(f"{sweep_dir / rundir.THRESHOLD}: not valid JSON ({e}); write it again with `textmad "
                        f"sweep RECIPE --summarize`") from None
    return SweepSummary(sweep_dir, load_recipe(sweep_dir / rundir.SWEEP_RECIPE), rows, result)


def _float(value) -> float:
    if value is None or value == "":
        return math.nan
    if value == "below grid":
        return -math.inf
    if value == "above grid":
        return math.inf
    return float(value)


def interval(row: dict | None) -> stats.Interval:
    """A summary.csv row (or a threshold.json share) as the interval it was written from; n = 0 when absent."""
    if not row:
        return stats.Interval(0, math.nan, math.nan, math.nan, math.nan)
    return stats.Interval(int(row.get("n") or 0), *(_float(row.get(k)) for k in ("mean", "sd", "low", "high")))


def cells(rows: list[dict], kind: str, metric: str) -> dict[str, dict[int, dict]]:
    """arm -> generation -> the summary row of that kind and metric."""
    out: dict[str, dict[int, dict]] = {}
    for r in rows:
        if r["kind"] == kind and r["metric"] == metric:
            out.setdefault(r["arm"], {})[int(r["generation"])] = r
    return out


def _arms(rows: list[dict]) -> list[tuple[str, str, float | None]]:
    """(arm, mode, real share) of every arm, in the summary's order."""
    return list(dict.fromkeys((r["arm"], r["mode"], None if r["real_share"] == "" else float(r["real_share"]))
                              for r in rows))


def _colors(arms: list[tuple[str, str, float | None]]) -> dict[str, tuple]:
    """A colour per arm: one colour map per mode, darker for a larger real share."""
    out = {}
    for mode in dict.fromkeys(m for _, m, _ in arms):
        mine = [(a, s) for a, m, s in arms if m == mode]
        cmap = plt.get_cmap(MODE_MAPS.get(mode, "Greys"))
        for i, (arm, _) in enumerate(sorted(mine, key=lambda x: (x[1] is None, x[1] or 0))):
            out[arm] = cmap(0.35 + 0.6 * i / max(len(mine) - 1, 1))
    return out


def _curves(rows: list[dict], metric: str) -> dict[str, tuple[list[int], list[stats.Interval]]]:
    """arm -> (generations, interval over seeds) for the arms some seed finished."""
    out = {}
    for arm, by_gen in cells(rows, "value", metric).items():
        gens = sorted(by_gen)
        intervals = [interval(by_gen[k]) for k in gens]
        if any(c.n for c in intervals):
            out[arm] = (gens, intervals)
    return out


def curves_plot(rows: list[dict], metrics: list[str], title: str, path: Path) -> Path | None:
    """One panel per metric: each arm's mean over seeds against generation, its 95% band shaded."""
    drawn = [(m, _curves(rows, m)) for m in metrics]
    drawn = [(m, c) for m, c in drawn if c]
    if not drawn:
        return None
    colors = _colors(_arms(rows))
    columns = min(3, len(drawn))
    rows = -(-len(drawn) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(max(4.2 * columns, 7.5), 3.0 * rows + 0.9), squeeze=False)
    handles = {}
    for ax, (metric, curves) in zip(axes.flat, drawn):
        if not any(c.mean or c.low or c.high for _, cells in curves.values() for c in cells):
            # every mean and band at 0: lines on the frame's edge read as a border, so the panel says so
            plots.zero_note(ax, metric, [k for gens, _ in curves.values() for k in gens], real=False)
            ax.set_title(f"{metric} {plots.direction(metric)}")
            continue
        for arm, (gens, cells) in curves.items():
            means = [c.mean for c in cells]
            handles[arm], = ax.plot(gens, means, marker="o", markersize=3, color=colors[arm], label=arm)
            if all(c.n >= 2 for c in cells):
                cells = [c.within(plots.bounds(metric)) for c in cells]  # a share's band ends at 0 and 1
                ax.fill_between(gens, [c.low for c in cells], [c.high for c in cells], color=colors[arm], alpha=0.18,
                                linewidth=0)
        ax.set_title(f"{metric} {plots.direction(metric)}")
        ax.set_xlabel("generation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(drawn):]:
        ax.set_visible(False)
    fig.suptitle(f"{title}: mean over seeds, shaded: 95% interval")
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=min(len(handles), 5), frameon=False)
    fig.tight_layout(rect=(0, 0.05 + 0.05 * math.ceil(len(handles) / 5) / rows, 1, 1))
    return plots._save(fig, path)


def dose_plot(thresholds: list[dict], metric: str, tolerance: float, generations: int, title: str,
              path: Path) -> Path | None:
    """Worsening at the last generation against real share, one curve per mode with its 95% band (threshold.json's
    shares); the tolerance as a horizontal line, each mode's threshold estimate and interval as a vertical
    line and a shaded span."""
    found = [t for t in thresholds if t.get("shares")]
    if not found:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for t in found:
        xs = [s["real_share"] for s in t["shares"]]
        curve = [interval(s) for s in t["shares"]]
        estimate, low, high = _float(t["estimate"]), _float(t["low"]), _float(t["high"])
        color = plt.get_cmap(MODE_MAPS.get(t["mode"], "Greys"))(0.75)
        ax.plot(xs, [100 * c.mean for c in curve], marker="o", color=color, label=t["mode"])
        if all(c.n >= 2 for c in curve):
            ax.fill_between(xs, [100 * c.low for c in curve], [100 * c.high for c in curve], color=color,
                            alpha=0.2, linewidth=0)
        if math.isfinite(estimate):
            ax.axvline(estimate, color=color, linestyle="--", linewidth=1)
            lo = low if math.isfinite(low) else xs[0]
            hi = high if math.isfinite(high) else xs[-1]
            if not (math.isnan(lo) or math.isnan(hi)):
                ax.axvspan(lo, hi, color=color, alpha=0.08)
    ax.axhline(100 * tolerance, color="0.3", linestyle=":", label=f"tolerance {100 * tolerance:+g}%")
    ax.set_xlabel("real share of each generation's training mix")
    ax.set_ylabel(f"{metric}: worse than gen 0 (%)")
    ax.set_title(f"{title}: change after {generations} generation{'s' if generations != 1 else ''} (dashed: threshold)")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    return plots._save(fig, path)


def tail_note(metric: str, modes: list[str]) -> list[str]:
    """What the tail figures rank on, and a warning where the threshold metric reads vocabulary shift as loss."""
    lines = ["Tail curves: tail_coverage ranks the rare words on generation 0's training pool; "
             "mix_tail_coverage_vs_real ranks them on the real text each generation itself trained on (its fresh "
             "slice under fresh) and divides by an equal-size held-out real sample's coverage of the same words "
             "(1 = as unseen real text). Fresh slices bring other names and topics, so the pool's rare words fade "
             "from a model that never collapsed: a falling tail_coverage beside a steady "
             "mix_tail_coverage_vs_real is vocabulary shift, not tail loss."]
    if metric in METRICS and METRICS[metric].reference == "gen0_pool" and "fresh" in modes:
        lines.append(f"Caution: the threshold metric {metric} ranks the tail on generation 0's pool, so under fresh "
                     f"data its worsening includes vocabulary shift; mix_tail_drop_vs_gen0 or "
                     f"mix_tail_coverage_vs_real (sweep.metric) do not.")
    return lines


def value_table(rows: list[dict], metric: str, generations: int) -> tuple[list[str], list[list[str]]]:
    """Per arm of one grid point: the metric at generation 0 and the last, its worsening and the paired
    difference against the baseline arm (summary.csv's `versus`), each ``mean ± half-width (n)``, and the
    seeds left out."""
    arms = [a for a, _, _ in _arms(rows)]
    baseline = next((r["versus"] for r in rows if r["kind"] == "paired"), arms[0] if arms else "")
    header = ["arm", f"{metric} gen 0", f"{metric} gen {generations}", "worse than gen 0",
              f"minus {baseline} (paired)", "left out"]
    value, worsening, paired = (cells(rows, kind, metric) for kind in ("value", "worsening", "paired"))
    out = []
    for arm in arms:
        w = interval(worsening.get(arm, {}).get(generations))
        diff = None if arm == baseline else interval(paired.get(arm, {}).get(generations))
        out.append([arm, interval(value.get(arm, {}).get(0)).text(),
                    interval(value.get(arm, {}).get(generations)).text(),
                    "—" if not w.n else (f"{100 * w.mean:+.1f}% ± {100 * w.half_width:.1f}% ({w.n})"
                                        if math.isfinite(w.half_width) else f"{100 * w.mean:+.1f}% (n=1)"),
                    "—" if diff is None else diff.text() + ("" if diff.excludes_zero() or diff.n < 2
                                                            else " (interval includes 0)"),
                    next((r["failed"] for r in rows if r["arm"] == arm), "")])
    return header, out


def write_sweep_report(sweep_dir: Path) -> dict[str, Path]:
    """SWEEP/report/report.md, report.html and plots/*.png, from summary.csv, threshold.json and sweep.yaml."""
    summary = read_summary(sweep_dir)
    sweep_dir = summary.dir
    out = inside(sweep_dir, sweep_dir / rundir.REPORT_DIR)
    recipe, result = summary.recipe, summary.result
    metric, tol, last = result["metric"], result["tolerance"], result["generation"]
    thresholds = result["thresholds"]
    blocks = [Block("h1", f"textmad sweep: {recipe.name}"),
              Block("p", f"`{shell_command(sys.argv)}` · {len(result['seeds'])} seeds ({', '.join(map(str, result['seeds']))}) · "
                         f"corpus {recipe.corpus.name} · {last} generation{'s' if last != 1 else ''} · real shares "
                         f"{', '.join(f'{s:g}' for s in recipe.sweep.real_share)} for {', '.join(recipe.sweep.modes)}. "
                         f"Means over seeds with Student-t 95% intervals; arms of one seed share generation 0, so "
                         f"differences between arms are paired within a seed. Every number is in summary.csv; "
                         f"the threshold in threshold.json.")]
    blocks.append(Block("h2", "How much synthetic data is too much?"))
    for t in thresholds:
        blocks.append(Block("p", (f"**{t['point']}** " if t["point"] else "") + t["sentence"]))
    for point in summary.points():
        here = summary.here(point)
        label = point or recipe.name
        slug = point.replace("/", "_") or "sweep"
        if point:
            blocks.append(Block("h2", point))
        dose = dose_plot([t for t in thresholds if t["point"] == point], metric, tol, last, label,
                         inside(sweep_dir, out / rundir.PLOTS_DIR / f"dose-response-{slug}.png"))
        if dose:
            blocks.append(Block("img", f"{label}: dose-response", path=dose))
        header, rows = value_table(here, metric, last)
        blocks.append(Block("table", header=header, rows=rows))
        shown = [metric] + [m for m in CURVES if m != metric]
        curves = curves_plot(here, shown, label, inside(sweep_dir, out / rundir.PLOTS_DIR / f"curves-{slug}.png"))
        if curves:
            blocks.append(Block("img", f"{label}: mean curves with 95% bands", path=curves))
            if any(r["metric"].startswith(("tail_", "mix_tail_")) for r in here):
                blocks += [Block("p", line) for line in tail_note(metric, list(recipe.sweep.modes))]
    blocks += detection_blocks(seed_groups(open_runs(seed_runs(sweep_dir))))
    paths = {"html": inside(sweep_dir, out / "report.html"), "md": inside(sweep_dir, out / "report.md")}
    page, _ = to_html(blocks)
    write_text(paths["md"], to_markdown(blocks, out))
    write_text(paths["html"], page)
    return paths


def seed_runs(sweep_dir: Path) -> list[str]:
    """The run directories of a sweep (seed-S, POINT/seed-S, refine-R/seed-S) that finished generation 0, in
    path order (a run stopped before that has nothing to compare)."""
    return sorted(str(p.parent) for p in Path(sweep_dir).glob(f"**/{rundir.SEED_PREFIX}*/{rundir.RECIPE}")
                  if rundir.is_done(p.parent / rundir.GEN0))


def is_sweep_dir(path: Path) -> bool:
    """A folder `textmad sweep` wrote: it holds the resolved sweep recipe, sweep.yaml."""
    return (Path(path) / rundir.SWEEP_RECIPE).is_file()


def report_sweep_dir(path: Path) -> dict[str, Path]:
    """The report of the sweep directory ``path`` from its summary files, wherever the sweep was started from."""
    return write_sweep_report(Path(path))
