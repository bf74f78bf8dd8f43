"""`textmad VERB ...`: one CLI, a verb per job. Runs unchanged under `accelerate launch -m textmad`.

Each verb lives in the module that does the job; that module provides ``configure(parser)`` to
declare its arguments and ``main(args) -> int`` to run. This file only routes.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from textmad.errors import UserError

# verb -> (module, one-line help); the layout follows the data flow.
VERBS = {
    "validate": ("textmad.commands", "load and check recipes, print the resolved config"),
    "ls": ("textmad.commands", "list shipped recipes and corpora"),
    "corpus": ("textmad.corpus.cli", "prepare a corpus into train/heldout/fresh splits, or print its stats"),
    "run": ("textmad.loop", "run the self-consuming loop of a recipe"),
    "eval": ("textmad.evaluate.cli", "score a run, a generation, a prepared corpus or a text/JSONL file"),
    "inspect": ("textmad.report.inspect", "read what each generation wrote"),
    "report": ("textmad.report.report", "write report.html, report.md and plots for runs"),
    "compare": ("textmad.report.compare", "put runs, corpora and languages side by side"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="textmad", description="Study model collapse in text.")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb, (module_name, help_text) in VERBS.items():
        p = sub.add_parser(verb, help=help_text, description=help_text)
        module = importlib.import_module(module_name)
        getattr(module, f"configure_{verb}" if hasattr(module, f"configure_{verb}") else "configure")(p)
        p.set_defaults(_module=module_name, _verb=verb)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module = importlib.import_module(args._module)
    handler = getattr(module, f"main_{args._verb}", None) or module.main
    try:
        return int(handler(args) or 0)
    except UserError as e:
        print(f"textmad {args._verb}: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
