"""`textmad compare RUN_OR_CORPUS ...`: runs, corpora and languages side by side (textmad.report.compare)."""
from __future__ import annotations

from pathlib import Path

from textmad.errors import UserError
from textmad.report.tables import add_format_arguments


def configure_compare(p):
    p.add_argument("sources", nargs="+", metavar="RUN_OR_CORPUS",
                   help="run directories (runs/<name>), prepared corpus directories (prepared/<name>) and built-in "
                        "corpus names (wiki-en: prepared into the cache as `textmad corpus stats` does)")
    p.add_argument("--sample-words", type=int, metavar="N",
                   help="corpora: word tokens per equal-size sample (default: the runs' size, else 20000)")
    add_format_arguments(p)
    p.add_argument("--width", type=int, default=0, metavar="COLS",
                   help="--format table: fit this width (default: the terminal's)")


def builtin_corpus(source: str) -> str:
    """``source``, or the prepared folder of the built-in corpus it names where no such path exists."""
    from textmad.corpus.cli import builtin_names, prepare_named

    if Path(source).exists() or source not in builtin_names():
        return source  # a missing path that names no corpus: comparison_table says what it accepts
    return str(prepare_named(source).dir)


def main_compare(args) -> int:
    if args.sample_words is not None and args.sample_words < 100:
        raise UserError(f"--sample-words = {args.sample_words}; accepted: 100 or more")
    from textmad.report.compare import comparison_table, detection_text
    from textmad.report.tables import emit, render

    sources = [builtin_corpus(s) for s in args.sources]
    header, rows, paired, between = comparison_table(sources, args.sample_words, args.format)
    if not rows:
        raise UserError("nothing to compare: no finished generation in the given runs")
    text = render(header, rows, args.format, width=args.width or None, keys=4)
    if paired and args.format in ("table", "markdown"):
        text += "\n\nPaired differences between arms within each seed (Student-t 95% interval over seeds):\n" + \
            "\n".join(("- " if args.format == "markdown" else "  ") + line for line in paired)
    if between and args.format in ("table", "markdown"):
        text += "\n\nDifferences between groups of seeds, change from each run's own gen-000 (Welch t 95% " \
                "interval, unpaired):\n" + \
            "\n".join(("- " if args.format == "markdown" else "  ") + line for line in between)
    if args.format in ("table", "markdown"):
        text += detection_text(sources, args.format)
    emit(text, args.out)
    return 0
