"""`textmad compare RUN_OR_CORPUS ...`: runs, corpora and languages side by side.

Only figures that mean the same thing across tokenizers, corpus sizes and languages are compared:
bits per byte (not perplexity per token), diversity measured on equal-size samples, tail-band
coverage, and formality divided by the same run's generation 0 (each language's own baseline,
since formality scores are not on one scale across languages). A prepared corpus directory
(manifest.json and train/heldout/fresh.jsonl) is scored with the model-free metrics.
"""
from __future__ import annotations

from pathlib import Path

from textmad.errors import UserError
from textmad.io import read_json, read_jsonl
from textmad.report.rundir import Run, gen_name, is_number, is_run_dir, open_runs
from textmad.report.text import pad


def comparable_metrics(names: list[str]) -> list[str]:
    """The metrics among ``names`` that compare across tokenizers, sizes and languages."""
    from textmad.evaluate import METRICS

    def wanted(m: str) -> bool:
        if m not in METRICS:
            return False
        family = METRICS[m].family
        return ("bpb" in m if family in ("perplexity", "gen0_perplexity") else family in ("tail", "diversity",
                                                                                          "formality"))
    return [m for m in names if wanted(m)]


def is_relative(metric: str) -> bool:
    """Shown divided by the run's generation 0 (formality has no cross-language scale)."""
    from textmad.evaluate import METRICS

    return metric in METRICS and METRICS[metric].family == "formality"


def run_rows(run: Run) -> list[dict]:
    """gen-000 and the last finished generation of each arm, as {source, language, arm, generation, metrics}."""
    first_arm = run.arms[0] if run.arms else ""
    picks = [("gen-000", first_arm, 0)] + [(arm, arm, run.generations(arm)[-1]) for arm in run.arms
                                             if len(run.generations(arm)) > 1]
    rows = []
    for label, arm, k in picks:
        values = {m: run.value(arm, k, m) for m in run.metric_names()}
        for m in values:
            if is_relative(m) and values[m] is not None:
                base = run.value(first_arm, 0, m)
                values[m] = values[m] / base if base else None
        rows.append({"source": run.label, "language": run.language, "arm": label, "generation": gen_name(k),
                     "values": values})
    return rows


def corpus_rows(path: Path) -> list[dict]:
    """Model-free metrics of a prepared corpus's train split (formality relative to itself is 1)."""
    from textmad.evaluate.score import score_texts

    manifest = read_json(path / "manifest.json")
    language = manifest.get("language", "und")
    texts = [row["text"] for row in read_jsonl(path / "train.jsonl")]
    values = score_texts(texts, language=language)
    for m in values:
        if is_relative(m) and is_number(values[m]):
            values[m] = 1.0
    return [{"source": manifest.get("name", path.name), "language": language, "arm": "corpus (train)",
             "generation": "—", "values": values}]


def collect(paths: list[str]) -> list[dict]:
    runs, rows = [], []
    for p in paths:
        path = Path(p)
        if is_run_dir(path):
            runs.append(p)
        elif (path / "manifest.json").is_file() and (path / "train.jsonl").is_file():
            rows += corpus_rows(path)
        else:
            raise UserError(f"{path}: neither a run directory (recipe.yaml, gen-000/) nor a prepared corpus "
                            f"(manifest.json, train.jsonl); see `textmad run` and `textmad corpus`")
    return [row for run in open_runs(runs) for row in run_rows(run)] + rows


def comparison_table(sources: list) -> tuple[list[str], list[list[str]]]:
    """Header and string rows over ``sources`` (Run objects or paths), comparable metrics as columns."""
    rows = [row for s in sources for row in (run_rows(s) if isinstance(s, Run) else collect([s]))]
    names = list(dict.fromkeys(m for row in rows for m, v in row["values"].items() if is_number(v)))
    metrics = comparable_metrics(names)
    header = ["source", "lang", "arm", "generation"] + [f"{m} ÷ gen-000" if is_relative(m) else m for m in metrics]
    body = [[row["source"], row["language"], row["arm"], row["generation"]]
            + [f"{row['values'][m]:.4g}" if is_number(row["values"].get(m)) else "—" for m in metrics]
            for row in rows]
    return header, body


def format_table(header: list[str], rows: list[list[str]]) -> str:
    """A plain-text table; columns are padded by display width so Bengali names line up."""
    from textmad.report.text import display_width

    widths = [max(display_width(c) for c in col) for col in zip(header, *rows)]
    lines = ["  ".join(pad(c, w, right=i >= 4) for i, (c, w) in enumerate(zip(r, widths))).rstrip()
             for r in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines)


def configure_compare(p):
    p.add_argument("sources", nargs="+", metavar="RUN_OR_CORPUS",
                   help="run directories (runs/<name>) and prepared corpus directories (prepared/<name>)")


def main_compare(args) -> int:
    header, rows = comparison_table(args.sources)
    if not rows:
        raise UserError("nothing to compare: no finished generation in the given runs")
    print(format_table(header, rows))
    return 0
