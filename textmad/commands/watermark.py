"""`textmad watermark detect|cost|summary`: the generation watermark in runs and files (textmad.watermark)."""
from __future__ import annotations

from textmad.evaluate.registry import METRICS
from textmad.report.tables import add_format_arguments

COST_METRICS = METRICS.shown("watermark_cost")
SUMMARY_METRICS = METRICS.shown("watermark_summary")


def configure_watermark(p):
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    d = sub.add_parser("detect", help="score a run, a generation or a .txt/.jsonl file for the watermark")
    d.add_argument("target", help="a run directory, a generation folder, or a .txt/.jsonl file")
    d.add_argument("--recipe", metavar="R", help="take the key from this recipe's generate.watermark")
    d.add_argument("--key", type=int, metavar="K", help="the hashing key (instead of a recipe)")
    d.add_argument("--ratio", type=float, metavar="G", help="with --key: green-list ratio (default 0.25)")
    d.add_argument("--scheme", choices=("lefthash", "selfhash"), help="with --key: seeding scheme (default lefthash)")
    d.add_argument("--width", type=int, metavar="N", help="with --key: context width (default 1)")
    d.add_argument("--min-tokens", type=int, metavar="N", help="fewer distinct scored pairs: too short")
    d.add_argument("--p-threshold", type=float, metavar="P", help="flagged below this p-value (default 1e-3)")
    d.add_argument("--tokenizer", metavar="DIR", help="file: the tokenizer folder (e.g. RUN/gen-000/model)")
    d.add_argument("--arm", metavar="ARM", help="run: only this arm")
    d.add_argument("--gen", type=int, metavar="K", help="run: only generation K")
    add_format_arguments(d)
    c = sub.add_parser("cost", help="the mark's own cost: a watermarked arm against the same arm unwatermarked, "
                                    "paired within seeds, at generation 1 and the last generation")
    c.add_argument("runs", nargs="+", help="run directories (one per seed) or a folder of seed-S run directories")
    c.add_argument("--marked", required=True, metavar="ARM", help="the watermarked arm")
    c.add_argument("--plain", required=True, metavar="ARM", help="the same arm without the watermark")
    c.add_argument("--metrics", default=",".join(COST_METRICS), metavar="M,M",
                   help=f"registered metrics to compare (default {','.join(COST_METRICS)})")
    add_format_arguments(c)
    s = sub.add_parser("summary", help="per arm and generation, mean and 95%% interval over seeds of the "
                                       "detection, radioactivity and filter figures")
    s.add_argument("runs", nargs="+", help="run directories (one per seed) or a folder of seed-S run directories")
    s.add_argument("--metrics", default=",".join(SUMMARY_METRICS), metavar="M,M", help="registered metrics to show")
    add_format_arguments(s)


def main_watermark(args) -> int:
    from textmad.watermark.cli import main_watermark as run

    return run(args)
