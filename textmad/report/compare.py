"""`textmad compare RUN_OR_CORPUS ...`: runs, corpora and languages side by side.

Only figures that mean the same thing across tokenizers, corpus sizes and languages are compared:
bits per byte (not perplexity per token), diversity measured on equal-size samples, tail-band
coverage, and formality divided by the same run's generation 0 (each language's own baseline and
measure, since formality scores are not on one scale across languages; a corpus is its own baseline). A prepared corpus directory
(manifest.json and train/heldout/fresh.jsonl) is scored with the model-free metrics.
"""
from __future__ import annotations

from pathlib import Path

from textmad.errors import UserError
from textmad.report.rundir import Run, gen_name, is_number, is_run_dir, open_runs
from textmad.report.tables import add_format_arguments, emit, render


# The columns, each a registered metric that means the same across tokenizers, sizes and languages:
# bits per byte, diversity and tail coverage on equal-size samples.
COMPARED = ("heldout_bpb", "distinct_1", "distinct_2", "repeated_4gram_share", "head_coverage", "torso_coverage",
            "tail_coverage", "tail_coverage_vs_real")
# Each language's formality measure, first available first; shown divided by its own generation 0.
FORMALITY = ("formality_f", "formality_lexical", "sadhu_share", "honorific_share")


def formality_ratio(values: dict, baseline: dict) -> tuple[str, float | None]:
    """(measure, value ÷ baseline) for the first formality measure with a non-zero baseline."""
    for m in FORMALITY:
        if is_number(values.get(m)) and is_number(baseline.get(m)) and baseline[m]:
            return m, values[m] / baseline[m]
    return None, None


def run_rows(run: Run) -> list[dict]:
    """gen-000 and the last finished generation of each arm, as {source, language, arm, generation, values}."""
    first_arm = run.arms[0] if run.arms else ""
    picks = [("gen-000", first_arm, 0)] + [(arm, arm, run.generations(arm)[-1]) for arm in run.arms
                                             if len(run.generations(arm)) > 1]
    baseline = {m: run.value(first_arm, 0, m) for m in FORMALITY}
    rows = []
    for label, arm, k in picks:
        values = {m: run.value(arm, k, m) for m in (*COMPARED, *FORMALITY)}
        rows.append({"source": run.label, "language": run.language, "arm": label, "generation": gen_name(k),
                     "values": values, "formality": formality_ratio(values, baseline)})
    return rows


def corpus_rows(path: Path, sample_words: dict[str, int] | None = None) -> list[dict]:
    """Model-free metrics of a prepared corpus's train split, by `score_corpus` as `textmad eval CORPUS`: the
    held-out split is the real baseline; no tail band coverage (the split would be its own reference)."""
    from textmad.corpus.prepare import load_prepared
    from textmad.evaluate import METRICS
    from textmad.evaluate.score import score_corpus
    from textmad.recipe import EvaluateConfig

    corpus = load_prepared(path)
    cfg = EvaluateConfig()
    cfg.metrics = [m for m in cfg.metrics if m in METRICS.model_free_families()]
    for family, n in (sample_words or {}).items():
        getattr(cfg, family).sample_words = n
    values = score_corpus(corpus, cfg).values
    return [{"source": corpus.name, "language": corpus.language, "arm": "corpus (train)",
             "generation": None, "values": values, "formality": formality_ratio(values, values)}]


def run_sample_words(runs: list[Run], family: str) -> int | None:
    """The smallest equal-size sample (words) of ``family`` ("tail" or "diversity") among the runs' recipes."""
    sizes = [getattr(r.recipe.evaluate, family).sample_words for r in runs]
    return min((n for n in sizes if isinstance(n, int)), default=None)


def collect(paths: list[str], sample_words: int | None = None) -> list[dict]:
    """Rows of runs, then of prepared corpora; corpora are sampled at ``sample_words`` words, else at the
    runs' sample sizes (so that their figures come from samples of the same size), else the default."""
    runs, corpora = [], []
    for p in paths:
        path = Path(p)
        if is_run_dir(path):
            runs.append(p)
        elif (path / "manifest.json").is_file() and (path / "train.jsonl").is_file():
            corpora.append(path)
        else:
            raise UserError(f"{path}: neither a run directory (recipe.yaml, gen-000/) nor a prepared corpus "
                            f"(manifest.json, train.jsonl); see `textmad run` and `textmad corpus`")
    runs = open_runs(runs)
    sizes = {f: n for f in ("tail", "diversity") if (n := sample_words or run_sample_words(runs, f))}
    return [row for run in runs for row in run_rows(run)] + [row for c in corpora for row in corpus_rows(c, sizes)]


def comparison_table(sources: list, sample_words: int | None = None) -> tuple[list[str], list[list]]:
    """Header and raw rows (numbers, None where unavailable) over ``sources`` (Run objects or paths),
    comparable metrics as columns; format them with `textmad.report.tables`."""
    # paths are collected together so that open_runs can tell apart two runs of the same name
    paths = [str(s) for s in sources if not isinstance(s, Run)]
    rows = ([row for s in sources if isinstance(s, Run) for row in run_rows(s)]
            + (collect(paths, sample_words) if paths else []))
    metrics = [m for m in COMPARED if any(is_number(row["values"].get(m)) for row in rows)]
    header = ["source", "lang", "arm", "generation"] + metrics + ["formality ÷ gen-000", "(measure)"]
    body = [[row["source"], row["language"], row["arm"], row["generation"]]
            + [row["values"][m] if is_number(row["values"].get(m)) else None for m in metrics]
            + [row["formality"][1], row["formality"][0]]
            for row in rows]
    return header, body


def configure_compare(p):
    p.add_argument("sources", nargs="+", metavar="RUN_OR_CORPUS",
                   help="run directories (runs/<name>) and prepared corpus directories (prepared/<name>)")
    p.add_argument("--sample-words", type=int, metavar="N",
                   help="corpora: word tokens per equal-size sample (default: the runs' size, else 20000)")
    add_format_arguments(p)
    p.add_argument("--width", type=int, default=0, metavar="COLS",
                   help="--format table: fit this width (default: the terminal's)")


def main_compare(args) -> int:
    if args.sample_words is not None and args.sample_words < 100:
        raise UserError(f"--sample-words = {args.sample_words}; accepted: 100 or more")
    header, rows = comparison_table(args.sources, args.sample_words)
    if not rows:
        raise UserError("nothing to compare: no finished generation in the given runs")
    emit(render(header, rows, args.format, width=args.width or None, keys=4), args.out)
    return 0
