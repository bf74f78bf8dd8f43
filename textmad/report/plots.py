"""PNG plots of runs with matplotlib's Agg backend (no display needed).

Plots carry only Latin-script labels (metric, arm and run names, language codes): matplotlib does
not shape complex scripts, so Bengali conjuncts would be drawn wrongly even with a Bengali font.
Generated text goes into the HTML and Markdown tables instead, where the browser shapes it.
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from textmad.io import atomic_path  # noqa: E402
from textmad.report.rundir import Run, gen_name, is_number  # noqa: E402

DPI = 80
LINESTYLES = ["-", "--", ":", "-."]
COLORS = plt.get_cmap("tab10").colors


def direction(metric: str) -> str:
    """↑ or ↓ for the better direction of a registered metric, "" where neither is better."""
    from textmad.evaluate import METRICS

    if metric not in METRICS or METRICS[metric].higher_is_better is None:
        return "↓" if metric in ("train_loss", "val_loss") else ""
    return "↑" if METRICS[metric].higher_is_better else "↓"


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


def series_label(run: Run, arm: str, several: bool) -> str:
    return f"{run.label} [{run.language}] {arm}" if several else arm


def arm_colors(runs: list[Run]) -> dict[str, tuple]:
    arms = list(dict.fromkeys(a for run in runs for a in run.arms))
    return {a: COLORS[i % len(COLORS)] for i, a in enumerate(arms)}


def family_plot(runs: list[Run], metrics: list[str], title: str, path: Path, columns: int = 3) -> list[str]:
    """One panel per metric against generation, one line per arm (line style per run when there are
    several), one legend; returns the metrics drawn (those with a number somewhere)."""
    drawn = [m for m in metrics if any(run.series(m) for run in runs)]
    if not drawn:
        return []
    colors = arm_colors(runs)
    rows = -(-len(drawn) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(3.1 * columns, 2.2 * rows + 0.5), squeeze=False)
    handles = {}
    for ax, metric in zip(axes.flat, drawn):
        for i, run in enumerate(runs):
            for arm, points in run.series(metric).items():
                if arm not in colors:
                    continue
                xs, ys = zip(*points)
                label = series_label(run, arm, len(runs) > 1)
                handles[label], = ax.plot(xs, ys, LINESTYLES[i % len(LINESTYLES)], marker="o", markersize=3,
                                          color=colors[arm], label=label)
        ax.set_title(f"{metric} {direction(metric)}", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(drawn):]:
        ax.set_visible(False)
    fig.suptitle(f"{title} against generation", fontsize=10)
    fig.legend(handles.values(), handles.keys(), loc="lower center", ncol=min(len(handles), 4), fontsize=8,
               bbox_to_anchor=(0.5, 0), frameon=False)
    fig.tight_layout(rect=(0, 0.1 if rows == 1 else 0.05, 1, 1))
    _save(fig, path)
    return drawn


def bands_plot(run: Run, metrics: list[str], path: Path) -> Path | None:
    """Grouped bars, one group per metric (tail bands): gen-000 beside each arm's last generation."""
    bars = [("gen-000", None, 0, "0.6")] + [
        (f"{arm} {gen_name(run.generations(arm)[-1])}", arm, run.generations(arm)[-1], color)
        for arm, color in arm_colors([run]).items() if len(run.generations(arm)) > 1]
    first_arm = run.arms[0] if run.arms else ""
    values = [[run.value(arm or first_arm, k, m) for m in metrics] for _, arm, k, _ in bars]
    if not any(is_number(v) for row in values for v in row):
        return None
    fig, ax = plt.subplots(figsize=(6, 3.2))
    width = 0.8 / len(bars)
    for i, ((label, _, _, color), row) in enumerate(zip(bars, values)):
        xs = [j + (i - (len(bars) - 1) / 2) * width for j in range(len(metrics))]
        ax.bar(xs, [v if v is not None else 0 for v in row], width, label=label, color=color)
    ax.set_xticks(range(len(metrics)), metrics, fontsize=8)
    ax.set_title(f"{run.label}: tail bands, first and last generation")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def loss_plot(run: Run, path: Path) -> Path | None:
    """Training loss per logging step, one panel per arm, one line per generation (dark to light)."""
    panels = [(arm, run.generations(arm)) for arm in run.arms] or [("gen-000", [0])]
    fig, axes = plt.subplots(1, len(panels), figsize=(min(4 * len(panels), 12), 3.0), squeeze=False, sharey=True)
    cmap = plt.get_cmap("viridis")
    drawn = False
    for ax, (arm, gens) in zip(axes[0], panels):
        for k in gens:
            log = [r for r in run.train_log(arm, k) if is_number(r.get("step"))]
            color = cmap(k / max(gens[-1], 1) * 0.9)
            for key, style in (("loss", "-"), ("val_loss", "--")):
                points = [(r["step"], r[key]) for r in log if is_number(r.get(key))]
                if points:
                    xs, ys = zip(*points)
                    ax.plot(xs, ys, style, color=color, linewidth=1.2,
                            label=f"{gen_name(k)}{' val' if key == 'val_loss' else ''}")
                    drawn = True
        ax.set_title(arm, fontsize=9)
        ax.set_xlabel("step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    if not drawn:
        plt.close(fig)
        return None
    axes[0][0].set_ylabel("loss")
    fig.suptitle(f"{run.label}: training loss", fontsize=10)
    return _save(fig, path)
