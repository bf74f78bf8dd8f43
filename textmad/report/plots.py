"""PNG plots of runs with matplotlib's Agg backend (no display needed), for report.md and the README.

Plots carry only Latin-script labels (metric, arm and run names, language codes): matplotlib does
not shape complex scripts, so Bengali conjuncts would be drawn wrongly even with a Bengali font.
Generated text (and the lost words) goes into the HTML tables and interactive figures instead,
where the browser shapes it.
"""
from __future__ import annotations

import math
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from textmad import rundir  # noqa: E402
from textmad.io import atomic_path  # noqa: E402
from textmad.report.rundir import Run, gen_name, is_number  # noqa: E402

DPI = 150
MIN_WIDTH = 7.5  # inches: every figure at least 1125 px wide, so the report's figures share one scale
LINESTYLES = ["-", "--", ":", "-."]
COLORS = plt.get_cmap("tab10").colors
REAL_COLOR = "0.35"
LOG_SPAN = 50  # a panel whose positive values span more than this factor gets a log axis
PAD = 0.08  # of a panel's value span, kept free above and below its lines
TRAINING_HELP = {"train_loss": "training loss per token on the mix (nats), mean over the last epoch's steps",
                 "val_loss": "validation loss per token on the held-out share of the mix (nats)"}
plt.rcParams.update({"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "xtick.labelsize": 9,
                     "ytick.labelsize": 9, "legend.fontsize": 9, "figure.titlesize": 12})


ARROWS = {"higher": "↑", "lower": "↓", "closer_to_real": "→ real", "none": ""}


def direction(metric: str) -> str:
    """The better direction of a registered metric as a mark: ↑, ↓, "→ real" (best where real text is)."""
    from textmad.evaluate import METRICS

    if metric not in METRICS:
        return "↓" if metric in TRAINING_HELP else ""
    return ARROWS[METRICS[metric].direction]


def unit(metric: str) -> str:
    """The y-axis unit, read off the metric's name (the registry describes metrics but names no unit)."""
    rules = (("_dist_to_real", "|x - real| / real"), ("_vs_real", "÷ real text"), ("_drift", "difference from real"),
             ("_ppl", "perplexity"), ("_bpb", "bits per byte"), ("_bpc", "bits per character"),
             ("_bpw", "bits per word"), ("_nll", "nats per token"), ("loss", "nats per token"),
             ("coverage", "share of band types"), ("_share", "share"), ("_drop", "relative drop"),
             ("distinct_", "share"), ("entropy_", "bits"), ("unseen_mass", "probability"),
             ("self_bleu", "BLEU (0-1)"), ("compression_ratio", "ratio"), ("formality_f", "F-score (0-100)"),
             ("doc_len", "words"), ("_rate", "per word"), ("mean_word_length", "characters"),
             ("ngram_diversity", "sum of shares"))
    return next((u for key, u in rules if key in metric), "value")


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI)
    plt.close(fig)
    return path


def series_label(run: Run, arm: str, several: bool) -> str:
    return f"{run.label} [{run.language}] {arm}" if several else arm


def arm_colors(runs: list[Run]) -> dict[str, tuple]:
    arms = list(dict.fromkeys(a for run in runs for a in run.arms))
    return {a: COLORS[i % len(COLORS)] for i, a in enumerate(arms)}


def real_values(run: Run) -> dict:
    """The real text's own values (a real held-out sample of the same size, scored like the generated
    text), from generation 0's metrics.json; {} where the run recorded none. A gen0_* metric's real value
    is the generation-0 model's on held-out real text: generation 0's heldout_* (as the registry says)."""
    path = run.gen_dir(None, 0) / rundir.METRICS
    real = (rundir.read_gen_json(path).get("evaluation") or {}).get("real") if path.is_file() else None
    out = {k: v for k, v in (real or {}).items() if is_number(v)}
    for metric in run.metric_names():
        if heldout := heldout_twin(metric):
            value = next((points[0][1] for points in run.series(heldout).values() if points[0][0] == 0), None)
            if value is not None:
                out[metric] = value
    return out


def heldout_twin(metric: str) -> str:
    """For a metric of the generated text under the generation-0 model (family gen0_perplexity), the same
    measure of held-out real text (gen0_ppl: heldout_ppl), whose generation-0 value is real text's; else ""."""
    from textmad.evaluate import METRICS

    if metric not in METRICS or METRICS[metric].family != "gen0_perplexity":
        return ""
    return "heldout_" + metric.split("_", 1)[1]


def no_real_line(metric: str) -> str:
    """Why a gen0_* panel has no real-text line ("" for other metrics, whose real value is simply unrecorded)."""
    if not heldout_twin(metric):
        return ""
    return (f"no real-text line: the run has no generation-0 {heldout_twin(metric)} "
            f"(the perplexity family was off or failed)")


def pad_axis(ax, values: list[float], log: bool) -> None:
    """Y limits that keep every value, the real-text lines included, visibly inside the frame (``PAD`` of the
    span on each side, in log space on a log axis): a line on the frame reads as a border."""
    ys = [math.log10(v) for v in values] if log else list(values)
    lo, hi = min(ys), max(ys)
    pad = PAD * ((hi - lo) or abs(hi) or 1.0)
    lo, hi = lo - pad, hi + pad
    ax.set_ylim(*((10 ** lo, 10 ** hi) if log else (lo, hi)))


def zero_note(ax, metric: str, generations: list[int], real: bool) -> None:
    """In place of lines on the frame: a panel whose values are all 0 says so, and what the metric counts."""
    from textmad.evaluate import METRICS

    what = METRICS[metric].description if metric in METRICS else metric
    ax.text(0.5, 0.5, "0 at every generation in every arm" + (", and in real text" if real else "") + ":\n"
            + textwrap.fill(what, 44), transform=ax.transAxes, ha="center", va="center", fontsize=8.5, color="0.25")
    lo, hi = min(generations), max(generations)
    margin = 0.05 * ((hi - lo) or 1)
    ax.set_xlim(lo - margin, hi + margin)
    ax.set_yticks([])


def model_of(run: Run) -> str:
    return run.recipe.model.path or run.recipe.model.kind


def relative_to_gen0(runs: list[Run]) -> bool:
    """Runs on different languages or models have no common scale: plot each against its own generation 0."""
    return len({(run.language, model_of(run)) for run in runs}) > 1


def own_scale(metric: str) -> bool:
    """Whether ``metric`` is on its run's own scale; a metric derived against real text or generation 0
    (a ratio, drop or drift), or on an absolute scale (a rate, a z-score), is already comparable across
    runs and is never divided again."""
    from textmad.evaluate import METRICS

    if metric not in METRICS:
        return True
    m = METRICS[metric]
    return not (m.relation or m.baseline == "gen0" or m.absolute)


def bounds(metric: str) -> tuple[float, float] | None:
    """The values ``metric`` can take (the registry's bounds), which its drawn intervals are cut to."""
    from textmad.evaluate import METRICS

    return METRICS[metric].bounds if metric in METRICS else None


def gen0_divisor(series: dict, metric: str, relative: bool) -> float | None:
    """What a run's values of ``metric`` are divided by: its generation-0 value where runs are drawn
    relative to their own generation 0, else 1; None where that value is missing or zero."""
    if not (relative and own_scale(metric)):
        return 1.0
    return next((points[0][1] for points in series.values() if points and points[0][0] == 0), None) or None


def log_scale(values: list[float]) -> bool:
    positive = [v for v in values if v > 0]
    return len(positive) == len(values) > 1 and max(positive) / min(positive) > LOG_SPAN


def family_plot(runs: list[Run], metrics: list[str], title: str, path: Path, columns: int = 3) -> list[str]:
    """One panel per metric against generation, one line per arm (line style per run when there are
    several), the real text's own value as a grey line, one legend below; returns the metrics drawn.
    Runs on different languages or models are drawn divided by their own generation 0."""
    drawn = [m for m in metrics if any(run.series(m) for run in runs)]
    if not drawn:
        return []
    relative = relative_to_gen0(runs)
    colors = arm_colors(runs)
    reals = [real_values(run) for run in runs]
    columns = min(columns, len(drawn))
    rows = -(-len(drawn) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(max(4.2 * columns, MIN_WIDTH), 3.0 * rows + 0.8), squeeze=False,
                             layout="constrained")
    handles = {}
    for ax, metric in zip(axes.flat, drawn):
        lines, reals_drawn, missing = [], [], []
        for i, (run, real) in enumerate(zip(runs, reals)):
            style = LINESTYLES[i % len(LINESTYLES)]
            series = run.series(metric)
            scale = gen0_divisor(series, metric, relative)
            if scale is None:
                continue  # no generation-0 value to divide by
            for arm, points in series.items():
                if arm in colors:
                    xs, ys = zip(*points)
                    label = series_label(run, arm, len(runs) > 1)
                    lines.append((xs, [y / scale for y in ys], style, colors[arm], label))
            if is_number(real.get(metric)):
                label = "real text (held-out)" + (f", {run.label}" if len(runs) > 1 else "")
                reals_drawn.append((real[metric] / scale, style, label))
            elif no_real_line(metric):
                missing.append(no_real_line(metric) + (f" ({run.label})" if len(runs) > 1 else ""))
        values = [y for line in lines for y in line[1]] + [value for value, *_ in reals_drawn]
        if lines and not any(values):  # every line, real text's included, would lie on the frame's edge
            zero_note(ax, metric, [x for line in lines for x in line[0]], real=bool(reals_drawn))
        else:
            for xs, ys, style, color, label in lines:
                handles[label], = ax.plot(xs, ys, style, marker="o", markersize=4, color=color, label=label)
            for value, style, label in reals_drawn:
                handles[label] = ax.axhline(value, color=REAL_COLOR, linestyle=style, linewidth=1.2, label=label)
        ax.set_title(f"{metric} {direction(metric)}")
        ax.set_xlabel("generation")
        if missing:  # under the axis label, where it hides no point
            ax.annotate("\n".join(textwrap.fill(m, 60) for m in missing), (0.5, 0), xycoords=ax.xaxis.label,
                        xytext=(0, -4), textcoords="offset points", ha="center", va="top", fontsize=7.5, color="0.35")
        ax.set_ylabel("÷ own gen-000" if relative and own_scale(metric) else unit(metric))
        log = log_scale(values)
        if log:
            ax.set_yscale("log")
        if any(values):
            pad_axis(ax, values, log)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(drawn):]:
        ax.set_visible(False)
    fig.suptitle(f"{title} against generation" + (" (each run divided by its own generation 0)" if relative else ""))
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=min(len(handles), 3), frameon=False)
    _save(fig, path)
    return drawn


def bands_plot(run: Run, metrics: list[str], path: Path) -> Path | None:
    """One panel per tail band, each on its own scale (the tail's coverage is a hundredth of the head's):
    gen-000 beside each arm's last generation, the value on each bar, the real text's value as a line."""
    bars = [(rundir.GEN0, None, 0, "0.6")] + [
        (f"{arm}\n{gen_name(run.generations(arm)[-1])}", arm, run.generations(arm)[-1], color)
        for arm, color in arm_colors([run]).items() if len(run.generations(arm)) > 1]
    first_arm = run.arms[0] if run.arms else ""
    values = {m: [run.value(arm or first_arm, k, m) for _, arm, k, _ in bars] for m in metrics}
    metrics = [m for m in metrics if any(is_number(v) for v in values[m])]
    if not metrics:
        return None
    real = real_values(run)
    fig, axes = plt.subplots(1, len(metrics), figsize=(max(3.4 * len(metrics), MIN_WIDTH), 3.4), squeeze=False,
                             layout="constrained")
    for ax, metric in zip(axes[0], metrics):
        heights = [v if is_number(v) else 0.0 for v in values[metric]]
        drawn = ax.bar(range(len(bars)), heights, color=[b[3] for b in bars])
        ax.bar_label(drawn, labels=[_short(v) for v in values[metric]], fontsize=8, padding=2)
        if is_number(real.get(metric)):
            ax.axhline(real[metric], color=REAL_COLOR, linestyle="--", linewidth=1.2, label="real text (held-out)")
            ax.legend(loc="upper right", fontsize=8)
        top = max(heights + [real.get(metric) or 0.0])
        ax.set_ylim(0, top * 1.25 if top > 0 else 1)
        ax.set_xticks(range(len(bars)), [b[0] for b in bars], fontsize=8)
        ax.set_title(f"{metric} {direction(metric)}")
        ax.set_ylabel(unit(metric))
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"{run.label}: coverage of the reference's bands, first and last generation")
    return _save(fig, path)


def _short(value) -> str:
    if not is_number(value):
        return "n/a"
    return f"{value:.3g}" if value and abs(value) < 0.01 else f"{value:.3f}"


def loss_plot(run: Run, path: Path) -> Path | None:
    """Training loss per logging step, one panel per arm, one line per generation (dark to light)."""
    panels = [(arm, run.generations(arm)) for arm in run.arms] or [(rundir.GEN0, [0])]
    fig, axes = plt.subplots(1, len(panels), figsize=(min(max(4.5 * len(panels), MIN_WIDTH), 13), 3.6), squeeze=False,
                             sharey=True, layout="constrained")
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
                            label=f"{gen_name(k)}{' validation' if key == 'val_loss' else ''}")
                    drawn = True
        ax.set_title(f"arm {arm}")
        ax.set_xlabel("training step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    if not drawn:
        plt.close(fig)
        return None
    axes[0][0].set_ylabel("loss per token (nats)")
    fig.suptitle(f"{run.label}: training loss per step, one line per generation")
    return _save(fig, path)


def survival_plot(run: Run, survival: dict[str, list[tuple[int, int]]], path: Path) -> Path | None:
    """Per arm: how many of the tail words generation 0 wrote are still written at each generation."""
    if not any(survival.values()):
        return None
    colors = arm_colors([run])
    fig, ax = plt.subplots(figsize=(MIN_WIDTH, 3.6), layout="constrained")
    for arm, points in survival.items():
        if points:
            xs, ys = zip(*points)
            ax.plot(xs, ys, marker="o", markersize=4, color=colors.get(arm, COLORS[0]), label=arm)
    ax.set_xlabel("generation")
    ax.set_ylabel("tail words still written")
    ax.set_ylim(bottom=0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend()
    ax.set_title(f"{run.label}: generation 0's tail words, still written")
    return _save(fig, path)

