"""`textmad eval TARGET`: score a run, a generation, a prepared corpus or a text file (textmad.evaluate.cli)."""
from __future__ import annotations

from pathlib import Path

from textmad.errors import UserError
from textmad.report.tables import add_format_arguments


def configure_eval(p):
    p.add_argument("target", help="a run directory, a generation folder, a prepared corpus, or a .txt/.jsonl file")
    p.add_argument("--arm", metavar="ARM", help="run: only this arm (folder name); generation 0 is always the baseline")
    p.add_argument("--gen", type=int, metavar="K", help="run: only generation K")
    p.add_argument("--name", metavar="NAME", help="run: write the results to RUN/eval/NAME/ (default: the UTC time)")
    p.add_argument("--replace", action="store_true",
                   help="run: rewrite the run's own metrics.json files and metrics table instead")
    p.add_argument("--reference", metavar="CORPUS_OR_FILE",
                   help="file: the tail reference, a built-in corpus name (prepared into the cache) or a prepared "
                        "corpus (train ranks the words, held-out is the real baseline), or a .txt/.jsonl file")
    p.add_argument("--language", metavar="xx", help="ISO 639-1 code; files need it for formality "
                                                    "(runs and corpora know their language)")
    p.add_argument("--sample-words", type=int, metavar="N",
                   help="corpus/file: word tokens per equal-size sample (default: the recipe default, 20000)")
    p.add_argument("--metrics", metavar="FAMILY,...",
                   help="run: only these metric families (comma-separated, e.g. semantic; default: the run's recipe's)")
    add_format_arguments(p)


def main_eval(args) -> int:
    target = Path(args.target)
    if not target.exists():
        raise UserError(f"{target}: no such file or directory")
    from textmad import rundir as rd
    from textmad.evaluate.cli import NOTE_MODEL_FREE, _emit, _file_cfg, _is_corpus, _run_or_generation, _score_file

    if _is_corpus(target):
        from textmad.corpus.prepare import load_prepared
        from textmad.evaluate.score import score_corpus

        scores = score_corpus(load_prepared(target), _file_cfg(args), args.language)
        scores.info["notes"] = [NOTE_MODEL_FREE]
        results = {str(target): scores.record()}
    elif target.is_dir() and (rd.is_run_dir(target) or (target / rd.SAMPLES).exists()):
        from textmad.progress import quiet_libraries

        quiet_libraries()  # one "Loading weights" bar per model folder otherwise, as `run` silences them
        results = _run_or_generation(target, args)
    elif target.is_dir():
        raise UserError(f"{target}: not a run directory ({rd.RECIPE} + {rd.GEN0}/), a generation folder "
                        f"({rd.SAMPLES}) or a prepared corpus (manifest.json)")
    else:
        scores = _score_file(target, args)
        scores.info["notes"] = [*scores.info.get("notes", []), NOTE_MODEL_FREE]
        results = {str(target): scores.record()}
    _emit(results, args)
    return 0
