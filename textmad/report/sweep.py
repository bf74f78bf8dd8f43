"""The report of a sweep (``SWEEP/report/``): mean curves over seeds with shaded 95% bands, the
dose-response figure (worsening at the last generation against the real share, one curve per mode,
the tolerance and the threshold marked) and a ``mean ± half-width (n)`` table; report.md and a
self-contained report.html, rendered by textmad.report.report from the same blocks.

Bands are the Student-t 95% intervals over seeds of ``textmad.stats``; an arm a seed did not finish
is listed as failed and left out of the means (the summary says why).
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from textmad import stats
from textmad.io import write_text
from textmad.recipe import threshold_metric
from textmad.report import plots
from textmad.report.plots import MaxNLocator, plt
from textmad.report.report import Block, to_html, to_markdown
from textmad.report.rundir import is_number, shell_command

CURVES = ("heldout_bpc", "heldout_bpb", "heldout_ppl", "tail_coverage", "distinct_2", "repeated_4gram_share")
MODE_MAPS = {"fresh": "Blues", "augment": "Oranges", "replace": "Reds", "accumulate": "Greens",
             "accumulate-subsample": "Purples"}


def _colors(arms: list[tuple[str, str, float | None]]) -> dict[str, tuple]:
    """A colour per arm: one colour map per mode, darker for a larger real share."""
    out = {}
    for mode in dict.fromkeys(m for _, m, _ in arms):
        mine = [(a, s) for a, m, s in arms if m == mode]
        cmap = plt.get_cmap(MODE_MAPS.get(mode, "Greys"))
        for i, (arm, _) in enumerate(sorted(mine, key=lambda x: (x[1] is None, x[1] or 0))):
            out[arm] = cmap(0.35 + 0.6 * i / max(len(mine) - 1, 1))
    return out


def _curves(series, metric: str) -> dict[str, tuple[list[int], list[stats.Interval]]]:
    """arm -> (generations, interval over seeds) for the arms' finished, complete seeds."""
    out = {}
    for arm in dict.fromkeys(s.arm for s in series):
        ok = [s for s in series if s.arm == arm and not s.failed]
        gens = sorted({k for s in ok for k in s.rows})
        cells = [stats.t_interval([s.rows[k][metric] for s in ok if is_number(s.rows.get(k, {}).get(metric))])
                 for k in gens]
        if any(c.n for c in cells):
            out[arm] = (gens, cells)
    return out


def curves_plot(series, metrics: list[str], title: str, path: Path) -> Path | None:
    """One panel per metric: each arm's mean over seeds against generation, its 95% band shaded."""
    drawn = [(m, _curves(series, m)) for m in metrics]
    drawn = [(m, c) for m, c in drawn if c]
    if not drawn:
        return None
    colors = _colors([(s.arm, s.mode, s.share) for s in series])
    columns = min(3, len(drawn))
    rows = -(-len(drawn) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(max(4.2 * columns, 7.5), 3.0 * rows + 0.9), squeeze=False)
    handles = {}
    for ax, (metric, curves) in zip(axes.flat, drawn):
        for arm, (gens, cells) in curves.items():
            means = [c.mean for c in cells]
            handles[arm], = ax.plot(gens, means, marker="o", markersize=3, color=colors[arm], label=arm)
            if all(c.n >= 2 for c in cells):
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
    """Worsening at the last generation against real share, one curve per mode with its 95% band;
    the tolerance as a horizontal line, each mode's threshold estimate and interval as a vertical
    line and a shaded span."""
    found = [t for t in thresholds if t.get("_threshold")]
    if not found:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for t in found:
        th: stats.Threshold = t["_threshold"]
        color = plt.get_cmap(MODE_MAPS.get(t["mode"], "Greys"))(0.75)
        xs = list(th.shares)
        ax.plot(xs, [100 * c.mean for c in th.curve], marker="o", color=color, label=t["mode"])
        if all(c.n >= 2 for c in th.curve):
            ax.fill_between(xs, [100 * c.low for c in th.curve], [100 * c.high for c in th.curve], color=color,
                            alpha=0.2, linewidth=0)
        if math.isfinite(th.estimate):
            ax.axvline(th.estimate, color=color, linestyle="--", linewidth=1)
            lo = th.low if math.isfinite(th.low) else xs[0]
            hi = th.high if math.isfinite(th.high) else xs[-1]
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


def value_table(series, metric: str, baseline: str, generations: int) -> tuple[list[str], list[list[str]]]:
    """Per arm: the metric at generation 0 and the last, its worsening and the paired difference
    against the baseline arm, each ``mean ± half-width (n)``, and the seeds left out."""
    from textmad.evaluate import METRICS

    better = METRICS[metric].higher_is_better
    header = ["arm", f"{metric} gen 0", f"{metric} gen {generations}", "worse than gen 0",
              f"minus {baseline} (paired)", "left out"]
    good = {(s.arm, s.seed): s for s in series if not s.failed}
    rows = []
    for arm in dict.fromkeys(s.arm for s in series):
        ok = [s for s in series if s.arm == arm and not s.failed]
        last = {s.seed: s.rows[generations][metric] for s in ok}
        worse = [stats.worsening(s.rows[generations][metric], s.rows[0][metric], better) for s in ok]
        base = {seed: good[(baseline, seed)].rows[generations][metric] for seed in last if (baseline, seed) in good}
        paired = stats.paired_difference(last, base) if arm != baseline else None
        w = stats.t_interval(worse)
        rows.append([arm, stats.t_interval([s.rows[0][metric] for s in ok]).text(),
                     stats.t_interval(list(last.values())).text(),
                     "—" if not w.n else (f"{100 * w.mean:+.1f}% ± {100 * w.half_width:.1f}% ({w.n})"
                                         if math.isfinite(w.half_width) else f"{100 * w.mean:+.1f}% (n=1)"),
                     "—" if paired is None else paired.text() + ("" if paired.excludes_zero() or paired.n < 2
                                                                 else " (interval includes 0)"),
                     "; ".join(f"seed {s.seed}: {s.failed}" for s in series if s.arm == arm and s.failed)])
    return header, rows


def write_sweep_report(sweep, series, thresholds: list[dict]) -> dict[str, Path]:
    """SWEEP/report/report.md, report.html and plots/*.png."""
    from textmad.sweep import _baseline

    out = sweep.dir / "report"
    recipe = sweep.recipe
    metric = threshold_metric(recipe)
    tol, last = recipe.sweep.tolerance, sweep.generations
    blocks = [Block("h1", f"textmad sweep: {recipe.name}"),
              Block("p", f"`{shell_command(sys.argv)}` · {len(recipe.seeds)} seeds ({', '.join(map(str, recipe.seeds))}) · "
                         f"corpus {recipe.corpus.name} · {last} generation{'s' if last != 1 else ''} · real shares "
                         f"{', '.join(f'{s:g}' for s in recipe.sweep.real_share)} for {', '.join(recipe.sweep.modes)}. "
                         f"Means over seeds with Student-t 95% intervals; arms of one seed share generation 0, so "
                         f"differences between arms are paired within a seed. Every number is in summary.csv; "
                         f"the threshold in threshold.json.")]
    blocks.append(Block("h2", "How much synthetic data is too much?"))
    for t in thresholds:
        blocks.append(Block("p", (f"**{t['point']}** " if t["point"] else "") + t["sentence"]))
    for point in dict.fromkeys(s.point for s in series):
        here = [s for s in series if s.point == point]
        label = point or recipe.name
        slug = point.replace("/", "_") or "sweep"
        if point:
            blocks.append(Block("h2", point))
        dose = dose_plot([t for t in thresholds if t["point"] == point], metric, tol, last, label,
                         out / "plots" / f"dose-response-{slug}.png")
        if dose:
            blocks.append(Block("img", f"{label}: dose-response", path=dose))
        arms = list(dict.fromkeys(s.arm for s in here))
        header, rows = value_table(here, metric, _baseline(sweep, arms), last)
        blocks.append(Block("table", header=header, rows=rows))
        shown = [metric] + [m for m in CURVES if m != metric]
        curves = curves_plot(here, shown, label, out / "plots" / f"curves-{slug}.png")
        if curves:
            blocks.append(Block("img", f"{label}: mean curves with 95% bands", path=curves))
    paths = {"html": out / "report.html", "md": out / "report.md"}
    page, _ = to_html(blocks)
    write_text(paths["md"], to_markdown(blocks, out))
    write_text(paths["html"], page)
    return paths


def is_sweep_dir(path: Path) -> bool:
    """A folder `textmad sweep` wrote: it holds the resolved sweep recipe, sweep.yaml."""
    return (Path(path) / "sweep.yaml").is_file()


def report_sweep_dir(path: Path) -> dict[str, Path]:
    """Summary, threshold and report of the sweep directory ``path`` from its sweep.yaml, wherever the
    sweep was started from (its output_dir and name are taken from ``path``)."""
    from textmad.sweep import plan, refine_jobs_on_disk, write_outputs

    path = Path(path)
    sweep = plan(str(path / "sweep.yaml"), [f"output_dir={path.parent}", f"name={path.name}"])
    return write_outputs(sweep, sweep.jobs + refine_jobs_on_disk(sweep))
