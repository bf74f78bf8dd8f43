"""`textmad report RUN [RUN ...]`: report.html (self-contained), report.md and PNG plots.

The report is built once as a list of blocks (headings, paragraphs, tables, images, preformatted
text, interactive figures) and rendered twice: to Markdown that links the PNGs beside it, and to one
HTML file with the PNGs inlined as base64 data URIs, inline CSS, a subset of a Bengali font where the
page has Bengali text, and plotly.js for the interactive figures, so it opens offline and can be
mailed as one file. Generated text is escaped in both. It reads only the run directories and records
the command that made it.
"""
from __future__ import annotations

import base64
import html
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from textmad import rundir, stats
from textmad.evaluate.registry import METRICS, REFERENCES
from textmad.io import write_text
from textmad.report import fonts, interactive, plots, seeds
from textmad.report import detection
from textmad.report.compare import alignment_warning, comparison_table, group_label, seed_groups, verdict
from textmad.report.inspect import mix_summary, same_prompt
from textmad.report.lost import lost_words
from textmad.report.rundir import Run, family, gen_name
from textmad.report.tables import UNAVAILABLE, format_rows, markdown_cell, markdown_table
from textmad.report.text import cut_words, visible


@dataclass
class Block:
    kind: str                 # h1 h2 h3 p table img pre details figure (interactive, HTML only)
    text: str = ""            # heading/paragraph text, image alt, pre text, details summary, figure HTML
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    path: Path | None = None  # img
    lang: str = ""            # the language of a table's text cells (for the browser's shaping and fonts)
    children: list["Block"] = field(default_factory=list)


# The figures that show collapse (CONTEXT.md), one panel each in one PNG per family; every other
# metric is in the interactive figure and the run table below them.
PLOTTED = (*METRICS.shown("plotted"), "val_loss")
LOST_SHOWN = 30  # lost words listed per arm in the tables (the interactive figure shows more)


def metric_help(metric: str) -> list[str]:
    """[name, better direction, description] for the metric tables under the plots."""
    if metric in METRICS:
        m = METRICS[metric]
        better = {"closer_to_real": "closer to real text", "none": "neither"}.get(m.direction, m.direction)
        ranked = f" Tail ranked on {REFERENCES[m.reference]}." if m.reference else ""
        return [metric, better, m.description + ranked]
    return [metric, "lower", plots.TRAINING_HELP.get(metric, "from the run table")]


BANDS = METRICS.shown("bands")  # the tail family's rank bands, frequent to rare


def middle_and_last(gens: list[int]) -> list[int]:
    return sorted({gens[0], gens[len(gens) // 2], gens[-1]})


def sample_blocks(run: Run, arm: str, prompts: int, max_words: int) -> list[Block]:
    """Generation 0's first prompts continued at generation 0, the middle generation and the last.

    A later generation's sample is the one with the same prompt text; where that generation was
    given other prompts, the sample in the same position stands in, its own prompt shown in the cell.
    """
    gens = middle_and_last(run.generations(arm))
    anchors = run.samples(arm, gens[0])[:prompts]
    later = {k: run.samples(arm, k) for k in gens[1:]}
    rows = []
    for anchor in anchors:
        row = [visible(cut_words(anchor.get(key, ""), max_words)) for key in ("prompt", "text")]
        for k in gens[1:]:
            sample = same_prompt(anchor, later[k])
            if sample is None:
                row.append(UNAVAILABLE)
                continue
            other = "" if sample.get("prompt") == anchor.get("prompt") else f"[prompt: {sample.get('prompt', '')}] "
            row.append(visible(other + cut_words(sample.get("text", ""), max_words)))
        rows.append(row)
    return [Block("table", header=["prompt"] + [gen_name(k) for k in gens], rows=rows, lang=run.language)]


def mix_rows(run: Run, arm: str) -> list[list[str]]:
    """Per generation: words and the share of words that were real, fresh and synthetic (by source generation)."""
    rows = []
    for k in run.generations(arm):
        summary = mix_summary(run.train_mix(arm, k))
        total = sum(g["words"] for g in summary) or 1
        parts = ", ".join(f"{g['origin']} {100 * g['words'] / total:.0f}%" for g in summary)
        rows.append([gen_name(k), f"{sum(g['docs'] for g in summary):,}", f"{total:,}", parts])
    return rows


def slug(run: Run, *parts: str) -> str:
    return "-".join(re.sub(r"[^A-Za-z0-9._-]+", "_", p) for p in (run.label, *parts))


def run_table_blocks(run: Run) -> list[Block]:
    """The run table cut into one table per group of columns (the run's own columns, then each metric
    family in registry order, then timings), each keyed by arm and generation, each column with one format."""
    columns = list(dict.fromkeys(k for row in run.table for k in row))
    keys = [c for c in ("arm", "generation") if c in columns]
    groups: dict[str, list[str]] = {"run": []}
    for fam in METRICS.families():
        groups[fam] = [c for c in columns if c in METRICS and METRICS[c].family == fam]
    groups["timings (seconds)"] = [c for c in columns if c.startswith("seconds_")]
    grouped = {c for cols in groups.values() for c in cols}
    groups["run"] = [c for c in columns if c not in grouped and c not in keys]
    blocks = []
    for name, cols in groups.items():
        if not cols:
            continue
        header = keys + cols
        blocks += [Block("p", f"{name}:"),
                   Block("table", header=header, rows=format_rows(header, [[row.get(c) for c in header]
                                                                          for row in run.table]))]
    return blocks


def lost_blocks(run: Run, out: Path, several: bool, figures: bool) -> list[Block]:
    """Per arm: how many of generation 0's tail words the last generation still writes, the lost ones
    with their counts (a table, and a bar chart in the HTML), and one survival figure per run."""
    blocks, survival = [], {}
    for arm in run.arms:
        lost = lost_words(run, arm)
        survival[arm] = lost.survival
        if lost.last == 0:
            continue
        where = f"{run.label}, arm {arm}" if several else f"arm {arm}"
        blocks += [Block("h3", where),
                   Block("p", f"gen-000 wrote {lost.gen0_tail:,} tail word types; gen-{lost.last:03d} no longer writes "
                              f"{len(lost.lost):,} of them" + (f" (the {LOST_SHOWN} gen-000 wrote most below)."
                                                              if len(lost.lost) > LOST_SHOWN else "."))]
        if lost.lost:
            blocks.append(Block("table", header=["lost word", "times gen-000 wrote it", "count in the real pool"],
                                rows=[[visible(w), f"{c0:,}", f"{cp:,}"] for w, cp, c0 in lost.lost[:LOST_SHOWN]],
                                lang=run.language))
            if figures:
                figure = interactive.lost_figure(lost, slug(run, arm, "lost"))
                if figure:
                    blocks.append(Block("figure", figure))
    png = plots.survival_plot(run, survival, out / rundir.PLOTS_DIR / f"lost-{slug(run)}.png") if blocks else None
    if png:
        blocks.append(Block("img", f"tail words of generation 0 still written, {run.label}", path=png))
    return blocks


SEEDED = METRICS.shown("seeded")


def seeded_blocks(groups: list[list[Run]], out: Path) -> list[Block]:
    """Every seed's curves as a mean with its 95% band, one figure per family (textmad.report.seeds)."""
    blocks = [Block("h2", "Over seeds: means with 95% intervals"),
              Block("p", "Each recipe's seeds as one curve, the mean over seeds with its Student-t 95% interval "
                         "shaded" + ("; recipes of different languages or models are drawn seed by seed divided "
                                     "by their own generation 0, and side by side per arm" if len(groups) > 1 else "")
                         + ". The per-run sections below show the first seed of each recipe; every seed's "
                           "figures are in its run directory (`textmad report RUN`).")]
    names = [m for m in dict.fromkeys(m for g in groups for r in g for m in r.metric_names()) if m in SEEDED]
    for fam in dict.fromkeys(map(family, names)):
        path = out / rundir.PLOTS_DIR / f"seeds-{fam}.png"
        if seeds.bands_figure(groups, [m for m in names if family(m) == fam], path):
            blocks.append(Block("img", f"{fam} metrics over seeds", path=path))
    return blocks


def detection_blocks(groups: list[list[Run]]) -> list[Block]:
    """Which signal warns first, for each group of several seeds (textmad.report.detection)."""
    blocks = []
    for group in groups:
        rows = detection.detection_rows(group)
        if not rows:
            continue
        header, body = detection.detection_table(rows)
        blocks += [Block("h2", f"Which signal warns first: {group_label(group)}"),
                   Block("p", "For each arm and signal, the first generation at which the per-seed change from "
                              "gen-000 excludes 0 at 95%, Holm-adjusted across the signals shown (paired within "
                              "seeds: arms of one seed share gen-000); the change there with its t interval.")]
        blocks += [Block("p", line) for line in detection.detection_lines(rows)]
        blocks.append(Block("table", header=header, rows=format_rows(header, body)))
    return blocks


def _percent_points(interval: stats.Interval) -> str:
    if not math.isfinite(interval.half_width):
        return f"{100 * interval.mean:.1f} points"
    return f"{100 * interval.mean:.1f} ± {100 * interval.half_width:.1f} points"


def tail_findings(groups: list[list[Run]]) -> list[str]:
    """What these runs' own figures say about the tail: per recipe and arm, at the last generation every
    seed finished, how much tail and rest coverage fell from generation 0, and whether the tail fell
    faster: with the Student-t 95% interval over seeds where there are several, else as one run's
    figures (an anecdote, said so). Nothing is asserted that the figures do not show. Where the arm trained
    on real text other than generation 0's pool (fresh slices), the drop ranked on that text
    (mix_tail_drop_vs_gen0) is given beside: the pool-based one also counts vocabulary shift."""
    lines = []
    for group in groups:
        name = group[0].label if len(group) == 1 else f"{group[0].path.parent.name} ({len(group)} seeds)"
        for arm in group[0].arms:
            common = set.intersection(*(set(r.generations(arm)) for r in group))
            last = max(common, default=0)
            values = [(r.value(arm, last, "tail_drop_vs_gen0"), r.value(arm, last, "rest_drop_vs_gen0"))
                      for r in group]
            values = [(t, o) for t, o in values if t is not None and o is not None]
            if last == 0 or not values:
                continue
            tail = stats.t_interval([t for t, _ in values])
            rest = stats.t_interval([o for _, o in values])
            excess = stats.t_interval([t - o for t, o in values])
            head = (f"{name}, {arm} at gen-{last:03d}: tail coverage {-100 * tail.mean:+.1f}% from gen-000, "
                    f"the rest of the vocabulary {-100 * rest.mean:+.1f}%; ")
            if excess.n >= 2:
                faster = "faster" if excess.mean > 0 else "slower"
                lines.append(head + f"the tail fell {faster} by {_percent_points(excess)} (95% interval over "
                                    f"{excess.n} seeds): " + verdict(excess) + ".")
            else:
                gap = 100 * excess.mean
                how = ("faster, by" if gap > 0 else "slower, by") if gap else "as fast as the rest"
                lines.append(head + f"the tail fell {how}{f' {abs(gap):.1f} points' if gap else ''} in this one run "
                                    f"(one seed: no interval; `textmad run RECIPE --seeds 0,1,2` gives one).")
            lines[-1] += shift_free(group, arm, last)
    return lines


def shift_free(group: list[Run], arm: str, last: int) -> str:
    """The sentence on the tail drop ranked on the text each generation trained on, where it differs from the
    pool-based one (fresh data: vocabulary shift); "" where they agree (replace) or it is absent."""
    pairs = [(r.value(arm, last, "mix_tail_drop_vs_gen0"), r.value(arm, last, "tail_drop_vs_gen0")) for r in group]
    pairs = [(m, t) for m, t in pairs if m is not None and t is not None]
    if not pairs or all(abs(m - t) < 1e-9 for m, t in pairs):
        return ""
    mix = stats.t_interval([m for m, _ in pairs])
    shift = stats.t_interval([t - m for m, t in pairs])
    gap = f"{_percent_points(shift)}, 95% interval over {shift.n} seeds" if shift.n >= 2 else \
        f"{100 * shift.mean:.1f} points"
    return (f" Ranked on the real text each generation trained on (mix_tail_drop_vs_gen0, free of vocabulary "
            f"shift), tail coverage against held-out real text changed {-100 * mix.mean:+.1f}% from gen-000; the "
            f"pool-based drop differs from it by {gap}: that part is the pool's rare words giving way to the "
            f"fresh text's, not collapse.")


def build(runs: list[Run], out: Path, command: str, prompts: int, max_words: int,
          interactive_figures: bool = True) -> list[Block]:
    several = len(runs) > 1
    groups = seed_groups(runs)
    seeded = any(len(g) > 1 for g in groups)
    # per-run sections show the first seed of each recipe when there are several; the curves show them all
    shown = [g[0] for g in groups] if seeded else runs
    blocks = [Block("h1", "textmad report: " + ", ".join(r.label for r in runs)),
              Block("p", f"Made by `{command}` from the run directories alone."),
              Block("table", header=["run", "corpus", "language", "model", "arms", "generations", "seed"],
                    rows=[[r.label, r.corpus_name, r.language, plots.model_of(r),
                           ", ".join(r.arms) or "(gen-000 only)",
                           str(max([k for a in r.arms for k in r.generations(a)] or [0])),
                           str(r.recipe.seed)] for r in runs])]
    if several:
        header, rows, paired, between = comparison_table(runs)
        warning = alignment_warning(runs)
        blocks += [Block("h2", "Comparison")] + ([Block("p", f"Warning: {warning}.")] if warning else [])
        if between:  # the answer to "does this recipe (language, model) differ from that one?" comes first
            blocks += [Block("p", "Between recipes (Welch t 95% interval over seeds, unpaired; each run's change "
                                  "from its own generation 0): " + line) for line in between]
        blocks += [Block("p", "Tokenizer-free figures side by side: gen-000 and each arm's last generation; "
                              "seeds of one recipe as mean ± 95% interval (n)."),
                   Block("table", header=header, rows=format_rows(header, rows))]
        blocks += [Block("p", "Paired difference: " + line) for line in paired]

    relative = plots.relative_to_gen0(runs)
    if seeded:
        blocks += seeded_blocks(groups, out)
        blocks += detection_blocks(groups)
    blocks += [Block("h2", "Metrics against generation" + (": first seed of each recipe" if seeded else "")),
               Block("p", "↑: higher is better, ↓: lower is better, → real: best where real text is; unmarked metrics "
                          "describe without judging. "
                          "gen-000 is shared by every arm. The grey line is the real text's own value (a held-out "
                          "real sample of the same size, scored the same way; for gen0_* metrics, the generation-0 "
                          "model's value on held-out real text). Axes are logarithmic where a panel's values span "
                          "more than a factor of 50; a panel that is 0 throughout says so instead of drawing on its "
                          "frame."
                          + (" These runs differ in language or model, so each is drawn divided by its own "
                             "generation 0." if relative else ""))]
    metrics = [m for m in dict.fromkeys(m for r in shown for m in r.metric_names()) if m in PLOTTED]
    for fam in dict.fromkeys(map(family, metrics)):
        names = [m for m in metrics if family(m) == fam]
        drawn = plots.family_plot(shown, names, fam, out / rundir.PLOTS_DIR / f"metrics-{fam}.png")
        if drawn:
            blocks += [Block("h3", fam), Block("img", f"{fam} metrics against generation",
                                               path=out / rundir.PLOTS_DIR / f"metrics-{fam}.png"),
                       Block("details", f"what the {fam} metrics measure",
                             children=[Block("table", header=["metric", "better", "description"],
                                             rows=[metric_help(m) for m in drawn])])]
    if interactive_figures:
        figure = interactive.metrics_figure(shown, list(dict.fromkeys(m for r in shown for m in r.metric_names())))
        if figure:
            blocks += [Block("h3", "explore every metric"),
                       Block("p", "Pick a metric from the menu; drag to zoom, double-click to reset, hover for "
                                  "values, switch the axis between linear and log."),
                       Block("figure", figure)]

    blocks.append(Block("h2", "Tail-band coverage"))
    blocks.append(Block("p", "Share of the reference vocabulary's head, torso and tail words that appear in an "
                             "equal-size sample of generated text, each band on its own scale."))
    blocks += [Block("p", line) for line in tail_findings(groups)]
    for run in shown:
        png = plots.bands_plot(run, list(BANDS), out / rundir.PLOTS_DIR / f"bands-{slug(run)}.png")
        blocks.append(Block("img", f"tail bands of {run.label}", path=png) if png
                      else Block("p", f"{run.label}: no tail-band coverage in the run table."))

    blocks += [Block("h2", "Which words were lost"),
               Block("p", "Tail words of the real training pool (ranked as the tail metrics rank them) that "
                          "generation 0 wrote and each arm's last generation no longer writes, with how often "
                          "generation 0 wrote them and how often the real pool has them; every sample counts.")]
    for run in shown:
        blocks += lost_blocks(run, out, several, interactive_figures) or [
            Block("p", f"{run.label}: no arm has a generation after gen-000.")]

    blocks.append(Block("h2", "Training loss"))
    blocks.append(Block("p", "Loss per token on the generation's training mix at each logging step; dashed: "
                             "validation loss on the held-out share of the mix."))
    for run in shown:
        png = plots.loss_plot(run, out / rundir.PLOTS_DIR / f"loss-{slug(run)}.png")
        blocks.append(Block("img", f"training loss of {run.label}", path=png) if png
                      else Block("p", f"{run.label}: no train_log.jsonl with a loss."))

    blocks.append(Block("h2", "Training mix provenance"))
    for run in shown:
        for arm in run.arms:
            blocks += [Block("h3", f"{run.label}, arm {arm}" if several else f"arm {arm}"),
                       Block("table", header=["generation", "documents", "words", "words by origin"],
                             rows=mix_rows(run, arm))]

    blocks += [Block("h2", "Samples: the same prompts at generation 0, middle and last"),
               Block("p", f"Continuations cut after {max_words} words (at whitespace).")]
    for run in shown:
        for arm in run.arms:
            blocks += [Block("h3", f"{run.label}, arm {arm}" if several else f"arm {arm}")]
            blocks += sample_blocks(run, arm, prompts, max_words)

    blocks.append(Block("h2", "Run tables"))
    for run in shown:
        blocks.append(Block("details", f"the run table of {run.label} (metrics.jsonl), by family",
                            children=run_table_blocks(run)))

    blocks.append(Block("h2", "How these runs were made"))
    for run in runs:
        env = run.environment
        versions = ", ".join(f"{k} {v}" for k, v in [("python", env.get("python")),
                                                     *(env.get("packages") or {}).items()] if v)
        git = env.get("git") or {}
        blocks += [Block("h3", run.label),
                   Block("p", f"Run directory `{run.path}`, made by `{run.command}` on {env.get('device', UNAVAILABLE)} "
                              f"({env.get('num_processes', UNAVAILABLE)} process(es)), git commit "
                              f"{git.get('commit') or 'unknown'}{' (dirty)' if git.get('dirty') else ''}."),
                   Block("p", "Versions: " + (versions or "not recorded")),
                   Block("p", "Seeds: " + (", ".join(f"{k} {v}" for k, v in (env.get("seeds") or {}).items())
                                           or "not recorded")),
                   Block("details", "resolved recipe (recipe.yaml)",
                         children=[Block("pre", (run.path / rundir.RECIPE).read_text(encoding="utf-8"))]),
                   Block("details", "environment (environment.json: versions, seeds, device)",
                         children=[Block("pre", json.dumps(env, ensure_ascii=False, indent=2))])]
    return blocks


# ---------------------------------------------------------------- Markdown

def _md_text(text: str) -> str:
    """Paragraph text: HTML-escaped outside `code` spans (inside them Markdown shows text verbatim)."""
    parts = str(text).split("`")
    return "".join(f"`{p}`" if i % 2 else html.escape(p, quote=False) for i, p in enumerate(parts))


def _fence(text: str) -> str:
    """A code fence longer than any backtick run in ``text``, so the text cannot close it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def to_markdown(blocks: list[Block], out: Path) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            lines += ["#" * int(b.kind[1]) + " " + markdown_cell(b.text), ""]
        elif b.kind == "p":
            lines += [_md_text(b.text), ""]
        elif b.kind == "img":
            lines += [f"![{markdown_cell(b.text)}]({b.path.relative_to(out).as_posix()})", ""]
        elif b.kind == "pre":
            fence = _fence(b.text)
            lines += [fence, b.text.rstrip("\n"), fence, ""]
        elif b.kind == "table":
            lines += markdown_table(b.header, b.rows) + [""]
        elif b.kind == "details":
            lines += [f"<details><summary>{html.escape(b.text)}</summary>", "",
                      to_markdown(b.children, out), "</details>", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML

CSS = f"""
body {{ font-family: "{fonts.FAMILY}", system-ui, sans-serif; max-width: 76rem; margin: 2rem auto; padding: 0 1rem;
        color: #222; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; display: block; overflow-x: auto;
         max-width: 100%; }}
th, td {{ border: 1px solid #ccc; padding: 0.3rem 0.5rem; vertical-align: top; text-align: left; }}
th {{ background: #f3f3f3; }}
td.text {{ max-width: 28rem; min-width: 10rem; overflow-wrap: anywhere; word-break: break-word; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
img {{ display: block; margin: 0.5rem 0 1.5rem; max-width: 100%; height: auto; }}
pre {{ background: #f7f7f7; padding: 0.75rem; overflow-x: auto; font-size: 0.8rem; white-space: pre-wrap;
       overflow-wrap: anywhere; }}
code {{ background: #f3f3f3; padding: 0 0.2rem; overflow-wrap: anywhere; }}
summary {{ cursor: pointer; margin: 0.5rem 0; }}
.figure {{ margin: 0.5rem 0 1.5rem; }}
"""
NUMBER = re.compile(r"[-+]?[\d,]*\.?\d+(?:e[-+]?\d+)?%?|n/a")


def _inline(text: str) -> str:
    """Escape, then render `code` spans (the only inline markup paragraphs use)."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _cell_class(b: Block, column: list[str]) -> str:
    if all(NUMBER.fullmatch(c) for c in column):
        return ' class="num"'
    return f' lang="{html.escape(b.lang)}" class="text"' if b.lang else ""


def _html_blocks(blocks: list[Block]) -> list[str]:
    out = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{_inline(b.text)}</p>")
        elif b.kind == "img":
            png = b.path.read_bytes()
            # shown at the size matplotlib laid it out for (inches at 96 CSS px), not at its pixel count
            width = round(int.from_bytes(png[16:20], "big") * 96 / plots.DPI)
            data = base64.b64encode(png).decode("ascii")
            out.append(f'<img alt="{html.escape(b.text)}" width="{width}" src="data:image/png;base64,{data}">')
        elif b.kind == "pre":
            out.append(f"<pre>{html.escape(b.text)}</pre>")
        elif b.kind == "table":
            classes = [_cell_class(b, list(col)) for col in zip(*b.rows)] if b.rows else []
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.header)
            body = "".join("<tr>" + "".join(f"<td{cls}>{html.escape(c)}</td>" for c, cls in zip(row, classes))
                           + "</tr>" for row in b.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif b.kind == "figure":  # plotly's own HTML: it JSON-encodes its data and escapes "</"
            out.append(f'<div class="figure">{b.text}</div>')
        elif b.kind == "details":
            out.append(f"<details><summary>{html.escape(b.text)}</summary>"
                       + "\n".join(_html_blocks(b.children)) + "</details>")
    return out


def to_html(blocks: list[Block]) -> tuple[str, str]:
    """The page, and a note for the user where its Bengali text has no font to embed."""
    title = html.escape(blocks[0].text if blocks else "textmad report")
    body = "\n".join(_html_blocks(blocks))
    script = interactive.plotly_script() if any(b.kind == "figure" for b in _walk(blocks)) else ""
    font_css, note = fonts.font_face_css(body)
    page = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<style>{font_css}{CSS}</style>\n{script}\n</head>\n<body>\n"
            + body + "\n</body>\n</html>\n")
    return page, note


def _walk(blocks: list[Block]):
    for b in blocks:
        yield b
        yield from _walk(b.children)


# ---------------------------------------------------------------- CLI

def write_report(runs: list[Run], out: Path, command: str, prompts: int = 5, max_words: int = 60,
                 interactive_figures: bool = True) -> tuple[dict[str, Path], str]:
    blocks = build(runs, out, command, prompts, max_words, interactive_figures)
    paths = {"html": out / rundir.REPORT_HTML, "md": out / rundir.REPORT_MD}
    page, note = to_html(blocks)
    write_text(paths["md"], to_markdown(blocks, out))
    write_text(paths["html"], page)
    return paths, note
