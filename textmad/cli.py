"""`textmad VERB ...`: one CLI, a verb per job. Runs unchanged under `accelerate launch -m textmad`.

Each verb lives in the module that does the job; that module provides ``configure_VERB(parser)``
to declare its arguments and ``main_VERB(args) -> int`` to run. This file only routes.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from textmad.errors import UserError

# verb -> (module, one-line help); the layout follows the data flow.
VERBS = {
    "validate": ("textmad.commands", "load and check recipes, print the resolved config"),
    "ls": ("textmad.commands", "list shipped recipes and corpora"),
    "corpus": ("textmad.corpus.cli", "prepare a corpus into train/heldout/fresh splits, or print its stats"),
    "run": ("textmad.loop", "run the self-consuming loop of a recipe"),
    "sweep": ("textmad.sweep.cli", "run a recipe's real-share grid x seeds; summary with 95% intervals and the threshold"),
    "eval": ("textmad.evaluate.cli", "score a run, a generation, a prepared corpus or a text/JSONL file"),
    "inspect": ("textmad.report.inspect", "read what each generation wrote"),
    "report": ("textmad.report.report", "write report.html, report.md and plots for runs"),
    "compare": ("textmad.report.compare", "put runs, corpora and languages side by side"),
    "watermark": ("textmad.watermark.cli", "detect the generation watermark in a run, a generation or a file"),
    "export": ("textmad.export", "write a run's generations as a Hugging Face dataset folder (and push it)"),
}


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """Declare every verb; only ``verb``'s module is imported (the others may pull in torch)."""
    parser = argparse.ArgumentParser(prog="textmad", description="Study model collapse in text.")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name, (module_name, help_text) in VERBS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if verb is None or name == verb:
            module = importlib.import_module(module_name)
            getattr(module, f"configure_{name}")(p)
        p.set_defaults(_module=module_name, _verb=name)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    verb = next((a for a in argv if not a.startswith("-")), None)
    parser = build_parser(verb if verb in VERBS else None)
    args, extra = parser.parse_known_args(argv)
    # KEY=VALUE overrides after an option (`run RECIPE --seeds 0,1 train.epochs=2`) join the overrides,
    # in command-line order: argparse ends a nargs="*" positional at the first option
    if extra and isinstance(getattr(args, "overrides", None), list) \
            and all("=" in a and not a.startswith("-") for a in extra):
        args.overrides += extra
    elif extra:
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    handler = getattr(importlib.import_module(args._module), f"main_{args._verb}")
    try:
        status = int(handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit where it cannot be caught
        return status
    except UserError as e:
        print(f"textmad {args._verb}: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (`textmad ls | head`) is gone: stop quietly, as the Python docs recommend for SIGPIPE
        _silence_stdout()
        return 1
    except OSError as e:
        if e.filename is None:  # not about a path the user gave: a bug, keep its traceback
            raise
        target = f"{e.filename} -> {e.filename2}" if e.filename2 else e.filename
        print(f"textmad {args._verb}: error: {target}: {e.strerror or e}", file=sys.stderr)
        return 2


def _silence_stdout() -> None:
    """Point stdout at /dev/null so that Python's final flush does not fail on the closed pipe again."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # redirected to an in-memory stream
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


if __name__ == "__main__":
    raise SystemExit(main())
