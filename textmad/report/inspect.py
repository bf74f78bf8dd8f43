"""`textmad inspect RUN`: read what each generation wrote, in the terminal.

Two views:

* one generation's samples (``--gen K``, default the last finished one; ``--mode ARM`` or every
  arm), headed by a summary of its training mix: documents and words that were real, fresh or
  synthetic, and from which generation the synthetic text came;
* ``--prompt ID``: the continuation of one prompt at every generation, gen-000 first and then
  each generation of the arm one under another, so the drift reads top to bottom.

Word n-grams that occur more than once in a sample (``--ngram N``, default 4: the unit of the
repeated-4-gram collapse figure) are highlighted: in bold yellow when stdout is a terminal (or with
``--color always``), otherwise between the plain markers ⟦ and ⟧ so that they survive a pipe or
a file. Text is wrapped at whitespace only, so Bengali (or any) graphemes are never split.
"""
from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass

from textmad.errors import UserError
from textmad.evaluate.words import words
from textmad.report.rundir import Run, gen_name
from textmad.report.text import pad, repeated_ngram_spans, wrap_lines

PLAIN_MARKS = ("⟦", "⟧")
ANSI_MARKS = ("\x1b[1;33m", "\x1b[0m")
ANSI_BOLD, ANSI_DIM, ANSI_RESET = "\x1b[1m", "\x1b[2m", "\x1b[0m"


@dataclass
class Style:
    color: bool
    width: int
    ngram: int

    def mark(self) -> tuple[str, str]:
        return ANSI_MARKS if self.color else PLAIN_MARKS

    def bold(self, text: str) -> str:
        return f"{ANSI_BOLD}{text}{ANSI_RESET}" if self.color else text

    def dim(self, text: str) -> str:
        return f"{ANSI_DIM}{text}{ANSI_RESET}" if self.color else text


def highlight_lines(text: str, spans: list[tuple[int, int]], width: int, marks: tuple[str, str]) -> list[str]:
    """``text`` wrapped at whitespace into lines of about ``width`` columns, with ``spans`` enclosed
    in ``marks`` (closed at each line end and reopened on the next, so every line stands alone)."""
    opening, closing = marks
    # plain markers take columns of their own; leave room for a pair per line
    lines = wrap_lines(text, max(10, width - (2 if opening == PLAIN_MARKS[0] else 0)))
    out = []
    for start, end in lines:
        pieces, pos = [], start
        for s, e in spans:
            s, e = max(s, start), min(e, end)
            if s >= e:
                continue
            pieces += [text[pos:s], opening, text[s:e], closing]
            pos = e
        pieces.append(text[pos:end])
        out.append("".join(pieces))
    return out


def mix_summary(rows: list[dict]) -> list[dict]:
    """Documents and words of a training mix per origin: real, fresh:<k>, synthetic:<j> (by j)."""
    groups: dict[str, dict] = {}
    for row in rows:
        g = groups.setdefault(row["origin"], {"origin": row["origin"], "docs": 0, "words": 0})
        g["docs"] += 1
        g["words"] += len(words(row.get("text", "")))

    def order(origin: str):
        kind, _, k = origin.partition(":")
        return ({"real": 0, "fresh": 1, "synthetic": 2}.get(kind, 3), int(k) if k.isdigit() else -1, origin)

    return [groups[o] for o in sorted(groups, key=order)]


def origin_label(origin: str) -> str:
    kind, _, k = origin.partition(":")
    if kind == "synthetic" and k.isdigit():
        return f"synthetic from {gen_name(int(k))}"
    if kind == "fresh" and k.isdigit():
        return f"fresh real (drawn at gen {int(k)})"
    return origin


def mix_one_line(summary: list[dict]) -> str:
    total = sum(g["words"] for g in summary) or 1
    return ", ".join(f"{origin_label(g['origin'])} {100 * g['words'] / total:.0f}%" for g in summary)


def print_mix(summary: list[dict], style: Style, where: str) -> None:
    docs = sum(g["docs"] for g in summary)
    total = sum(g["words"] for g in summary)
    print(style.bold(f"training mix of {where}: {docs:,} documents, {total:,} words"))
    print(f"  {'origin':<34}{'docs':>8}{'share':>8}{'words':>11}{'share':>8}")
    for g in summary:
        print(f"  {pad(origin_label(g['origin']), 34)}{g['docs']:>8,}{100 * g['docs'] / max(docs, 1):>7.1f}%"
              f"{g['words']:>11,}{100 * g['words'] / max(total, 1):>7.1f}%")


def print_text(text: str, style: Style, indent: str = "    ") -> None:
    lines = highlight_lines(text, repeated_ngram_spans(text, style.ngram), style.width - len(indent), style.mark())
    for line in lines or [""]:
        print(indent + line)


def show_generation(run: Run, arm: str | None, k: int, n: int, style: Style) -> None:
    where = f"{run.label}/{gen_name(k)}" if k == 0 else f"{run.label}/{arm}/{gen_name(k)}"
    print_mix(mix_summary(run.train_mix(arm, k)), style, where)
    samples = run.samples(arm, k)
    print(style.bold(f"\n{len(samples):,} samples; the first {min(n, len(samples))}:"))
    for s in samples[:n]:
        print(style.dim(f"\n  [{s.get('id')}] prompt {s.get('prompt_id')} · {s.get('new_tokens', '?')} new tokens"
                        f" · {s.get('decoding', '')}"))
        if s.get("prompt"):
            print_text("» " + s["prompt"], style)
        print_text(s.get("text", ""), style)
    print()


def show_prompt(run: Run, arm: str, prompt_id: str, style: Style) -> bool:
    """The continuation of ``prompt_id`` at each generation of ``arm``; False when it occurs nowhere."""
    found = False
    for k in run.generations(arm):
        sample = next((s for s in run.samples(arm, k) if str(s.get("prompt_id")) == prompt_id), None)
        where = gen_name(k) if k == 0 else f"{arm}/{gen_name(k)}"
        if not found and sample is not None:
            print(style.bold(f"prompt {prompt_id} in {run.label}, arm {arm}:"))
            print_text("» " + sample.get("prompt", ""), style, indent="  ")
        found = found or sample is not None
        mix = mix_one_line(mix_summary(run.train_mix(arm, k))) if k else "real"
        print(style.bold(f"\n  {where}") + style.dim(f"  (trained on {mix})"))
        if sample is None:
            print("    (no sample of this prompt in this generation)")
        else:
            print_text(sample.get("text", ""), style)
    print()
    return found


def configure_inspect(p):
    p.add_argument("run", metavar="RUN", help="a run directory (runs/<name>)")
    p.add_argument("--mode", metavar="ARM", help="the arm (its folder name, or its mode when unique); default: every arm")
    p.add_argument("--gen", type=int, metavar="K", help="the generation to show (default: the last finished one)")
    p.add_argument("-n", type=int, default=20, metavar="N", help="samples to show per generation (default 20)")
    p.add_argument("--prompt", metavar="ID", help="show this prompt's continuation across all generations")
    p.add_argument("--ngram", type=int, default=4, metavar="N",
                   help="highlight word N-grams repeated within a sample (default 4)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="auto: ANSI colour on a terminal, the markers ⟦ ⟧ otherwise")
    p.add_argument("--width", type=int, default=0, metavar="COLS", help="wrap width (default: the terminal's)")


def main_inspect(args) -> int:
    try:
        return _inspect(args)
    except BrokenPipeError:  # `textmad inspect ... | head` closed the pipe: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _inspect(args) -> int:
    if args.n < 0 or args.ngram < 1:
        raise UserError(f"-n = {args.n} and --ngram = {args.ngram}: accepted -n >= 0 and --ngram >= 1")
    run = Run(args.run)
    arm = run.check_arm(args.mode)
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    style = Style(color, args.width or shutil.get_terminal_size((100, 24)).columns, args.ngram)
    arms = [arm] if arm else run.arms
    if args.prompt is not None:
        if not arms:
            raise UserError(f"{run.path}: only gen-000 is finished; --prompt follows a prompt across the "
                            f"generations of an arm")
        shown = [show_prompt(run, a, args.prompt, style) for a in arms]  # every arm, not just up to the first hit
        if not any(shown):
            ids = sorted({str(s.get("prompt_id")) for s in run.samples(None, 0)})
            raise UserError(f"{run.path}: no sample has prompt_id {args.prompt!r}; gen-000's prompt ids include "
                            f"{', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}")
        return 0
    k = args.gen
    if k == 0 or (k is None and not arms):
        show_generation(run, None, 0, args.n, style)
        return 0
    for a in arms:
        gens = run.generations(a)
        show_generation(run, a, gens[-1] if k is None else k, args.n, style)
    return 0
