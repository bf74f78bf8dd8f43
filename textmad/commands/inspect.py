"""`textmad inspect RUN`: read what each generation wrote (textmad.report.inspect)."""
from __future__ import annotations

import os
import sys


def configure_inspect(p):
    p.add_argument("run", metavar="RUN", help="a run directory (runs/<name>)")
    p.add_argument("--arm", metavar="ARM", help="the arm (its folder name, or its mode when unique); default: every arm")
    p.add_argument("--gen", type=int, metavar="K", help="the generation to show (default: the last finished one)")
    p.add_argument("-n", type=int, default=20, metavar="N", help="samples to show per generation (default 20)")
    p.add_argument("--prompt", metavar="ID", help="show this prompt's continuation across all generations")
    p.add_argument("--ngram", type=int, default=4, metavar="N",
                   help="highlight word N-grams repeated within a sample (default 4)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="auto: ANSI colour on a terminal, the markers ⟦ ⟧ otherwise")
    p.add_argument("--width", type=int, default=0, metavar="COLS", help="wrap width (default: the terminal's)")


def main_inspect(args) -> int:
    from textmad.report.inspect import inspect_run

    try:
        return inspect_run(args)
    except BrokenPipeError:  # `textmad inspect ... | head` closed the pipe: not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
