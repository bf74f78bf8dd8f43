"""`textmad inspect RUN`: read what each generation wrote, in the terminal.

Two views:

* one generation's samples (``--gen K``, default the last finished one; ``--arm ARM`` or every
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

import shutil
import sys
from dataclasses import dataclass

from textmad.errors import UserError
from textmad.text import words
from textmad.report.rundir import Run, gen_name
from textmad.rundir import ORIGIN_KINDS, parse_origin
from textmad.report.tables import UNAVAILABLE
from textmad.report.text import pad, repeated_ngram_spans, visible, wrap_lines

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
        kind, k = parse_origin(origin)
        return (ORIGIN_KINDS.index(kind) if kind in ORIGIN_KINDS else 3, -1 if k is None else k, origin)

    return [groups[o] for o in sorted(groups, key=order)]


def origin_label(origin: str) -> str:
    kind, k = parse_origin(origin)
    if kind == "synthetic" and k is not None:
        return f"synthetic from {gen_name(k)}"
    if kind == "fresh" and k is not None:
        return f"fresh real (drawn at gen {k})"
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


def decoding_label(decoding) -> str:
    """The sampling settings in a few words (samples.jsonl records the whole decoding config)."""
    if not isinstance(decoding, dict):
        return str(decoding or "")
    if decoding.get("num_beams", 1) > 1:
        return f"beam search ({decoding['num_beams']} beams)"
    if not decoding.get("do_sample", True):
        return "greedy"
    keys = ("temperature", "top_p", "top_k", "repetition_penalty")
    return "sampling " + " ".join(f"{k}={decoding[k]}" for k in keys if k in decoding)


def print_text(text: str, style: Style, indent: str = "    ") -> None:
    text = visible(text)
    lines = highlight_lines(text, repeated_ngram_spans(text, style.ngram), style.width - len(indent), style.mark())
    for line in lines or [""]:
        print(indent + line)


def watermark_label(sample: dict) -> str:
    """' · watermark z 8.2, p 1e-13 (30 pairs)' when the run scored its samples (issue 24), else ''."""
    if "watermark_scored" not in sample:
        return ""
    if sample.get("watermark_z") is None:
        return f" · watermark: too short ({sample['watermark_scored']} pairs)"
    return f" · watermark z {sample['watermark_z']:.2f}, p {sample['watermark_p']:.2g} ({sample['watermark_scored']} pairs)"


def show_generation(run: Run, arm: str | None, k: int, n: int, style: Style) -> None:
    where = f"{run.label}/{gen_name(k)}" if k == 0 else f"{run.label}/{arm}/{gen_name(k)}"
    print_mix(mix_summary(run.train_mix(arm, k)), style, where)
    samples = run.samples(arm, k)
    print(style.bold(f"\n{len(samples):,} samples; the first {min(n, len(samples))}:"))
    for s in samples[:n]:
        print(style.dim(f"\n  [{s.get('id')}] prompt {s.get('prompt_id')} · {s.get('new_tokens', UNAVAILABLE)} new tokens"
                        f" · {decoding_label(s.get('decoding'))}{watermark_label(s)}"))
        if s.get("prompt"):
            print_text("» " + s["prompt"], style)
        print_text(s.get("text", ""), style)
    print()


def same_prompt(anchor: dict, samples: list[dict]) -> dict | None:
    """The sample of ``samples`` continuing ``anchor``'s prompt: the same prompt text, or (when this
    generation drew other prompts, or prompts are empty) the same prompt id."""
    if anchor.get("prompt"):
        match = next((s for s in samples if s.get("prompt") == anchor["prompt"]), None)
        if match is not None:
            return match
    return next((s for s in samples if str(s.get("prompt_id")) == str(anchor.get("prompt_id"))), None)


def show_prompt(run: Run, arm: str, anchor: dict, style: Style) -> None:
    """The continuation of ``anchor``'s prompt (a gen-000 sample) at each generation of ``arm``."""
    print(style.bold(f"prompt {anchor.get('prompt_id')} in {run.label}, arm {arm}:"))
    print_text("» " + anchor.get("prompt", ""), style, indent="  ")
    for k in run.generations(arm):
        sample = anchor if k == 0 else same_prompt(anchor, run.samples(arm, k))
        where = gen_name(k) if k == 0 else f"{arm}/{gen_name(k)}"
        mix = mix_one_line(mix_summary(run.train_mix(arm, k)))
        print(style.bold(f"\n  {where}") + style.dim(f"  (trained on {mix})"))
        if sample is None:
            print("    (no sample of this prompt in this generation)")
            continue
        if sample.get("prompt") != anchor.get("prompt"):
            print_text(f"(this generation was given other prompts; the same position, {sample.get('prompt_id')}, "
                       f"had » {sample.get('prompt', '')})", style)
        print_text(sample.get("text", ""), style)
    print()


def inspect_run(args) -> int:
    if args.n < 0 or args.ngram < 1 or (args.gen is not None and args.gen < 0):
        raise UserError(f"-n = {args.n}, --ngram = {args.ngram}, --gen = {args.gen}: accepted -n >= 0, "
                        f"--ngram >= 1 and --gen >= 0")
    run = Run(args.run)
    arm = run.check_arm(args.arm)
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    style = Style(color, args.width or shutil.get_terminal_size((100, 24)).columns, args.ngram)
    arms = [arm] if arm else run.arms
    if args.prompt is not None:
        if not arms:
            raise UserError(f"{run.path}: only gen-000 is finished; --prompt follows a prompt across the "
                            f"generations of an arm")
        # looked up before anything is printed, so that a wrong id gives the error alone
        anchors = run.samples(None, 0)
        anchor = next((a for a in anchors if str(a.get("prompt_id")) == args.prompt), None)
        if anchor is None:
            ids = [str(a.get("prompt_id")) for a in anchors]
            raise UserError(f"{run.path}: gen-000 has no sample with prompt_id {args.prompt!r}; its prompt ids "
                            f"are {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}")
        for a in arms:
            show_prompt(run, a, anchor, style)
        return 0
    k = args.gen
    if k == 0 or (k is None and not arms):
        show_generation(run, None, 0, args.n, style)
        return 0
    for a in arms:
        gens = run.generations(a)
        show_generation(run, a, gens[-1] if k is None else k, args.n, style)
    return 0
