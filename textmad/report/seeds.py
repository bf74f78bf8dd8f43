"""Several seeds in a report: each recipe's seeds drawn as mean curves with shaded 95% bands.

Runs are grouped into seeds of one recipe by `textmad.report.compare.seed_groups`. One group (the
seeds of one recipe): one panel per metric, one curve per arm. Several groups (e.g. one recipe per
language): one row of panels per metric, one panel per arm, one curve per group, so languages are
read side by side on the same arm; groups of different languages or models are drawn divided by
their own generation 0, seed by seed, before the mean is taken. Bands are Student-t 95% intervals
over seeds (`textmad.stats.t_interval`); a generation not every seed finished is left out.
"""
from __future__ import annotations

from pathlib import Path

from textmad import stats
from textmad.report import plots
from textmad.report.plots import COLORS, LINESTYLES, MaxNLocator, plt
from textmad.report.rundir import Run, is_number


def curve(group: list[Run], arm: str, metric: str, relative: bool) -> tuple[list[int], list[stats.Interval]]:
    """(generations, interval over the group's seeds) of ``metric`` on ``arm``, each seed divided by its
    own generation-0 value where ``relative`` (and the metric is on its run's own scale)."""
    per_seed = []
    divided = relative and plots.own_scale(metric)
    for run in group:
        points = dict(run.series(metric).get(arm, []))
        scale = points.get(0) if divided else 1.0
        per_seed.append({k: v / scale for k, v in points.items()} if scale else {})
    gens = sorted(set.intersection(*(set(p) for p in per_seed))) if per_seed else []
    cut = None if divided else plots.bounds(metric)  # a share's band ends at 0 and 1
    return gens, [stats.t_interval([p[k] for p in per_seed]).within(cut) for k in gens]


def real_levels(group: list[Run], metrics: list[str], relative: bool) -> dict[str, float]:
    """The real text's own value of each of ``metrics`` (`plots.real_values`: a held-out real sample scored like
    the generated text), averaged over the group's seeds, each divided by its own generation-0 value where the
    curves are; a metric some seed recorded no value for is left out. Each run's values are read once."""
    reals = [plots.real_values(run) for run in group]
    out = {}
    for metric in metrics:
        values = []
        for run, real in zip(group, reals):
            scale = plots.gen0_divisor(run.series(metric), metric, relative)
            if not is_number(real.get(metric)) or not scale:
                break
            values.append(real[metric] / scale)
        else:
            if values:
                out[metric] = sum(values) / len(values)
    return out


def group_name(group: list[Run]) -> str:
    parents = {r.path.parent.name for r in group}
    name = parents.pop() if len(parents) == 1 and len(group) > 1 else group[0].label
    return f"{name} [{group[0].language}]"


def bands_figure(groups: list[list[Run]], metrics: list[str], path: Path) -> list[str]:
    """Mean curves with 95% bands over seeds (see the module docstring); returns the metrics drawn."""
    relative = plots.relative_to_gen0([g[0] for g in groups])
    arms = list(dict.fromkeys(a for g in groups for run in g for a in run.arms))
    drawn = [m for m in metrics if any(curve(g, a, m, relative)[0] for g in groups for a in arms)]
    if not drawn:
        return []
    if len(groups) == 1:
        panels = [(m, None) for m in drawn]  # one panel per metric, curves = arms
        columns = min(3, len(drawn))
        shape = (-(-len(panels) // columns), columns)
    else:
        panels = [(m, a) for m in drawn for a in arms]  # a row per metric, a panel per arm, curves = groups
        shape = (len(drawn), len(arms))
    fig, axes = plt.subplots(*shape, figsize=(max(4.0 * shape[1], 7.5), 2.9 * shape[0] + 0.9), squeeze=False,
                             layout="constrained")
    handles = {}
    levels = [real_levels(group, drawn, relative) for group in groups]
    for ax, (metric, only_arm) in zip(axes.flat, panels):
        lines = [(g, a) for g in groups for a in ([only_arm] if only_arm else arms)]
        for i, (group, arm) in enumerate(lines):
            gens, cells = curve(group, arm, metric, relative)
            if not gens:
                continue
            label = arm if len(groups) == 1 else group_name(group)
            color = COLORS[(arms.index(arm) if len(groups) == 1 else groups.index(group)) % len(COLORS)]
            handles[label], = ax.plot(gens, [c.mean for c in cells], marker="o", markersize=3, color=color,
                                      linestyle=LINESTYLES[0], label=label)
            if all(c.n >= 2 and is_number(c.low) for c in cells):
                ax.fill_between(gens, [c.low for c in cells], [c.high for c in cells], color=color, alpha=0.18,
                                linewidth=0)
        for i, group in enumerate(groups):  # real text's own level, where the run recorded it
            level = levels[i].get(metric)
            if level is not None:
                label = "real text (held-out), mean over seeds" + (f", {group_name(group)}" if len(groups) > 1 else "")
                handles[label] = ax.axhline(level, color=plots.REAL_COLOR, linewidth=1.2, label=label,
                                            linestyle=LINESTYLES[i % len(LINESTYLES)])
        ax.set_title(f"{metric} {plots.direction(metric)}" + (f" · {only_arm}" if only_arm else ""))
        ax.set_xlabel("generation")
        ax.set_ylabel("÷ own gen-000" if relative and plots.own_scale(metric) else plots.unit(metric))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    seeds = sorted({len(g) for g in groups})
    fig.suptitle(f"mean over seeds ({'/'.join(map(str, seeds))} per recipe), shaded: 95% interval"
                 + ("; each seed divided by its own generation 0" if relative else ""))
    fig.legend(handles.values(), handles.keys(), loc="outside lower center", ncol=min(len(handles), 4),
               frameon=False)
    plots._save(fig, path)
    return drawn
