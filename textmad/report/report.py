"""`textmad report RUN [RUN ...]`: report.html (self-contained), report.md and PNG plots.

The report is built once as a list of blocks (headings, paragraphs, tables, images, preformatted
text) and rendered twice: to Markdown that links the PNGs beside it, and to one HTML file with the
PNGs inlined as base64 data URIs and inline CSS, so it opens offline and can be mailed as one file.
It reads only the run directories and records the command that made it.
"""
from __future__ import annotations

import base64
import html
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from textmad.errors import UserError
from textmad.io import write_text
from textmad.report import plots
from textmad.report.compare import comparison_table
from textmad.report.inspect import mix_summary, same_prompt
from textmad.report.rundir import Run, family, gen_name, is_number, open_runs, shell_command
from textmad.report.text import cut_words, visible


@dataclass
class Block:
    kind: str                 # h1 h2 h3 p table img pre details
    text: str = ""            # heading/paragraph text, image alt, pre text, details summary
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    path: Path | None = None  # img
    lang: str = ""            # the language of a table's text cells (for the browser's shaping and fonts)
    children: list["Block"] = field(default_factory=list)


# The figures that show collapse (CONTEXT.md), one panel each in one PNG per family; every other
# metric is in the run table below them (all ~60 as plots would be several MB per report).
PLOTTED = ("heldout_ppl", "heldout_bpb", "gen0_ppl", "tail_coverage", "tail_drop_vs_gen0", "unseen_mass",
           "distinct_2", "self_bleu", "repeated_4gram_share", "compression_ratio", "formality_f",
           "formality_lexical", "sadhu_share", "honorific_share", "val_loss")


def fmt(value) -> str:
    if not is_number(value):
        return "—"
    return f"{value:,.4g}" if abs(value) < 1e5 else f"{value:,.0f}"


def metric_help(metric: str) -> list[str]:
    """[name, better direction, description] for the metric tables under the plots."""
    from textmad.evaluate import METRICS

    if metric in METRICS:
        m = METRICS[metric]
        better = {True: "higher", False: "lower", None: "neither"}[m.higher_is_better]
        return [metric, better, m.description]
    return [metric, "lower", "training loss per token (nats), from the run table"]


BANDS = ("head_coverage", "torso_coverage", "tail_coverage")  # the tail family's rank bands, frequent to rare


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
                row.append("—")
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


def build(runs: list[Run], out: Path, command: str, prompts: int, max_words: int) -> list[Block]:
    several = len(runs) > 1
    blocks = [Block("h1", "textmad report: " + ", ".join(r.label for r in runs)),
              Block("p", f"Made by `{command}` from the run directories alone."),
              Block("table", header=["run", "corpus", "language", "model", "arms", "generations", "seed"],
                    rows=[[r.label, r.corpus_name, r.language, (r.recipe.get("model") or {}).get("kind", "?"),
                           ", ".join(r.arms) or "(gen-000 only)",
                           str(max([k for a in r.arms for k in r.generations(a)] or [0])),
                           str(r.recipe.get("seed", "?"))] for r in runs])]
    if several:
        header, rows = comparison_table(runs)
        blocks += [Block("h2", "Comparison"),
                   Block("p", "Tokenizer-free figures side by side: gen-000 and each arm's last generation."),
                   Block("table", header=header, rows=rows)]

    blocks += [Block("h2", "Metrics against generation"),
               Block("p", "↑: higher is better, ↓: lower is better; unmarked metrics describe without judging. "
                          "gen-000 is shared by every arm. Every other metric is in the run table below.")]
    metrics = [m for m in dict.fromkeys(m for r in runs for m in r.metric_names()) if m in PLOTTED]
    for fam in dict.fromkeys(map(family, metrics)):
        names = [m for m in metrics if family(m) == fam]
        drawn = plots.family_plot(runs, names, fam, out / "plots" / f"metrics-{fam}.png")
        if drawn:
            blocks += [Block("h3", fam), Block("img", f"{fam} metrics against generation",
                                               path=out / "plots" / f"metrics-{fam}.png"),
                       Block("details", f"what the {fam} metrics measure",
                             children=[Block("table", header=["metric", "better", "description"],
                                             rows=[metric_help(m) for m in drawn])])]
    for run in runs:
        columns = list(dict.fromkeys(k for row in run.table for k in row))
        table = Block("table", header=columns,
                      rows=[[fmt(row.get(c)) if is_number(row.get(c)) else str(row.get(c, "—")) for c in columns]
                            for row in run.table])
        blocks.append(Block("details", f"the run table of {run.label} (metrics.jsonl)", children=[table]))

    blocks.append(Block("h2", "Tail-band coverage"))
    blocks.append(Block("p", "Share of the reference vocabulary's head, torso and tail words that appear in an "
                             "equal-size sample of generated text: the tail goes first."))
    for run in runs:
        png = plots.bands_plot(run, list(BANDS), out / "plots" / f"bands-{run.label.replace('/', '_')}.png")
        blocks.append(Block("img", f"tail bands of {run.label}", path=png) if png
                      else Block("p", f"{run.label}: no tail-band coverage in the run table."))

    blocks.append(Block("h2", "Training loss"))
    for run in runs:
        png = plots.loss_plot(run, out / "plots" / f"loss-{run.label.replace('/', '_')}.png")
        blocks.append(Block("img", f"training loss of {run.label}", path=png) if png
                      else Block("p", f"{run.label}: no train_log.jsonl with a loss."))

    blocks.append(Block("h2", "Training mix provenance"))
    for run in runs:
        for arm in run.arms:
            blocks += [Block("h3", f"{run.label}, arm {arm}" if several else f"arm {arm}"),
                       Block("table", header=["generation", "documents", "words", "words by origin"],
                             rows=mix_rows(run, arm))]

    blocks += [Block("h2", "Samples: the same prompts at generation 0, middle and last"),
               Block("p", f"Continuations cut after {max_words} words (at whitespace).")]
    for run in runs:
        for arm in run.arms:
            blocks += [Block("h3", f"{run.label}, arm {arm}" if several else f"arm {arm}")]
            blocks += sample_blocks(run, arm, prompts, max_words)

    blocks.append(Block("h2", "How these runs were made"))
    for run in runs:
        env = run.environment
        versions = ", ".join(f"{k} {v}" for k, v in [("python", env.get("python")),
                                                     *(env.get("packages") or {}).items()] if v)
        git = env.get("git") or {}
        blocks += [Block("h3", run.label),
                   Block("p", f"Run directory `{run.path}`, made by `{run.command}` on {env.get('device', '?')} "
                              f"({env.get('num_processes', '?')} process(es)), git commit "
                              f"{git.get('commit') or 'unknown'}{' (dirty)' if git.get('dirty') else ''}."),
                   Block("p", "Versions: " + (versions or "not recorded")),
                   Block("p", "Seeds: " + (", ".join(f"{k} {v}" for k, v in (env.get("seeds") or {}).items())
                                           or "not recorded")),
                   Block("details", "resolved recipe (recipe.yaml)",
                         children=[Block("pre", (run.path / "recipe.yaml").read_text(encoding="utf-8"))]),
                   Block("details", "environment (environment.json: versions, seeds, device)",
                         children=[Block("pre", json.dumps(env, ensure_ascii=False, indent=2))])]
    return blocks


# ---------------------------------------------------------------- Markdown

def _md_cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def to_markdown(blocks: list[Block], out: Path) -> str:
    lines: list[str] = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            lines += ["#" * int(b.kind[1]) + " " + b.text, ""]
        elif b.kind == "p":
            lines += [b.text, ""]
        elif b.kind == "img":
            lines += [f"![{b.text}]({b.path.relative_to(out).as_posix()})", ""]
        elif b.kind == "pre":
            lines += ["```", b.text.rstrip("\n"), "```", ""]
        elif b.kind == "table":
            lines += ["| " + " | ".join(map(_md_cell, b.header)) + " |", "|" + "---|" * len(b.header)]
            lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in b.rows] + [""]
        elif b.kind == "details":
            lines += [f"<details><summary>{html.escape(b.text)}</summary>", "",
                      to_markdown(b.children, out), "</details>", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- HTML

CSS = """
body { font-family: system-ui, sans-serif; max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; font-size: 0.9rem; display: block; overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.3rem 0.5rem; vertical-align: top; text-align: left; }
th { background: #f3f3f3; }
td.text { max-width: 28rem; }
img { display: block; margin: 0.5rem 0 1.5rem; max-width: 100%; }
pre { background: #f7f7f7; padding: 0.75rem; overflow-x: auto; font-size: 0.8rem; }
code { background: #f3f3f3; padding: 0 0.2rem; }
summary { cursor: pointer; margin: 0.5rem 0; }
"""


def _inline(text: str) -> str:
    """Escape, then render `code` spans (the only inline markup paragraphs use)."""
    parts = html.escape(text).split("`")
    return "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))


def _html_blocks(blocks: list[Block]) -> list[str]:
    out = []
    for b in blocks:
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{html.escape(b.text)}</{b.kind}>")
        elif b.kind == "p":
            out.append(f"<p>{_inline(b.text)}</p>")
        elif b.kind == "img":
            data = base64.b64encode(b.path.read_bytes()).decode("ascii")
            out.append(f'<img alt="{html.escape(b.text)}" src="data:image/png;base64,{data}">')
        elif b.kind == "pre":
            out.append(f"<pre>{html.escape(b.text)}</pre>")
        elif b.kind == "table":
            lang = f' lang="{html.escape(b.lang)}" class="text"' if b.lang else ""
            head = "".join(f"<th>{html.escape(h)}</th>" for h in b.header)
            body = "".join("<tr>" + "".join(f"<td{lang}>{html.escape(c)}</td>" for c in row) + "</tr>"
                           for row in b.rows)
            out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        elif b.kind == "details":
            out.append(f"<details><summary>{html.escape(b.text)}</summary>"
                       + "\n".join(_html_blocks(b.children)) + "</details>")
    return out


def to_html(blocks: list[Block]) -> str:
    title = html.escape(blocks[0].text if blocks else "textmad report")
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(_html_blocks(blocks)) + "\n</body>\n</html>\n")


# ---------------------------------------------------------------- CLI

def write_report(runs: list[Run], out: Path, command: str, prompts: int = 5, max_words: int = 60) -> dict[str, Path]:
    blocks = build(runs, out, command, prompts, max_words)
    paths = {"html": out / "report.html", "md": out / "report.md"}
    write_text(paths["md"], to_markdown(blocks, out))
    write_text(paths["html"], to_html(blocks))
    return paths


def configure_report(p):
    p.add_argument("runs", nargs="+", metavar="RUN", help="run directories (runs/<name>)")
    p.add_argument("--out", metavar="DIR",
                   help="where to write (default: RUN/report for one run, REPORTS-<names> beside the first run otherwise)")
    p.add_argument("--prompts", type=int, default=5, metavar="N", help="prompts in the samples table (default 5)")
    p.add_argument("--words", type=int, default=60, metavar="N",
                   help="cut sample continuations after N words (default 60)")


def main_report(args) -> int:
    if args.prompts < 1 or args.words < 1:
        raise UserError(f"--prompts = {args.prompts}, --words = {args.words}: both must be at least 1")
    runs = open_runs(args.runs)
    if args.out:
        out = Path(args.out)
    elif len(runs) == 1:
        out = runs[0].path / "report"
    else:
        out = runs[0].path.parent / ("report-" + "+".join(r.path.name for r in runs))
    paths = write_report(runs, out, shell_command(sys.argv), args.prompts, args.words)
    pngs = sorted((out / "plots").glob("*.png"))
    size = sum(p.stat().st_size for p in pngs) + paths["html"].stat().st_size
    print(f"wrote {paths['html']} ({size / 1024:.0f} KiB with {len(pngs)} plots) and {paths['md']}")
    return 0
