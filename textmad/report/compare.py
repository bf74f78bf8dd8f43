"""`textmad compare RUN_OR_CORPUS ...`: runs, corpora and languages side by side.

Only figures that mean the same thing across tokenizers, corpus sizes and scripts are compared:
bits per character and per word (not per token, and not per byte: a Bengali letter is three UTF-8
bytes), each run's change relative to its own generation 0, diversity and tail-band coverage on
equal-size samples, and formality divided by the same run's generation 0 (each language's own
baseline and measure, since formality scores are not on one scale across languages; a corpus is its
own baseline). A prepared corpus directory (manifest.json and train/heldout/fresh.jsonl) is scored
with the model-free metrics.

Several seeds of one recipe (run directories whose recipes differ only in the seed, e.g.
``runs/NAME/seed-*``) are one row per arm: ``mean ± half-width (n)``, a Student-t 95% interval over
seeds (`textmad.stats`). Arms of one seed share generation 0, so arms are compared by paired
differences within each seed; a difference whose paired interval includes zero is reported as not
distinguishable from seed-to-seed noise, never as a finding.
"""
from __future__ import annotations

from pathlib import Path

import sys

from textmad import rundir, stats
from textmad.errors import UserError
from textmad.evaluate.registry import METRICS
from textmad.report.detection import detection_lines, detection_rows, detection_table
from textmad.report.rundir import Run, gen_name, is_number, is_run_dir, open_runs
from textmad.report.tables import render


# The columns, each a registered metric that means the same across tokenizers, sizes and scripts:
# bits per character and per word, diversity and tail coverage on equal-size samples.
COMPARED = METRICS.shown("compared")
# Shown also as the relative change from the run's own generation 0 (value / gen 0 - 1), the fair
# view when runs differ in language or model.
CHANGED = METRICS.shown("changed")
# Arms compared by paired differences within a seed (against the first arm), on these metrics.
PAIRED = METRICS.shown("paired")


def change_name(metric: str) -> str:
    return f"{metric}_change"
# Each language's formality measure, first available first; shown divided by its own generation 0.
FORMALITY = METRICS.shown("formality")


def formality_ratio(values: dict, baseline: dict) -> tuple[str, float | None]:
    """(measure, value ÷ baseline) for the first formality measure with a non-zero baseline."""
    for m in FORMALITY:
        if is_number(values.get(m)) and is_number(baseline.get(m)) and baseline[m]:
            return m, values[m] / baseline[m]
    return None, None


def run_rows(run: Run) -> list[dict]:
    """gen-000 and the last finished generation of each arm, as {source, language, arm, generation, values}."""
    first_arm = run.arms[0] if run.arms else ""
    picks = [(rundir.GEN0, first_arm, 0)] + [(arm, arm, run.generations(arm)[-1]) for arm in run.arms
                                             if len(run.generations(arm)) > 1]
    baseline = {m: run.value(first_arm, 0, m) for m in (*FORMALITY, *CHANGED)}
    rows = []
    for label, arm, k in picks:
        values = {m: run.value(arm, k, m) for m in (*COMPARED, *FORMALITY)}
        for m in CHANGED:
            ok = is_number(values.get(m)) and is_number(baseline.get(m)) and baseline[m]
            values[change_name(m)] = values[m] / baseline[m] - 1 if ok else None
        rows.append({"source": run.label, "language": run.language, "arm": label, "generation": gen_name(k),
                     "values": values, "formality": formality_ratio(values, baseline)})
    return rows


def corpus_rows(path: Path, sample_words: dict[str, int] | None = None) -> list[dict]:
    """Model-free metrics of a prepared corpus's train split, by `score_corpus` as `textmad eval CORPUS`: the
    held-out split is the real baseline; no tail band coverage (the split would be its own reference)."""
    from textmad.corpus.prepare import load_prepared
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


def collect(paths: list[str], sample_words: int | None = None) -> tuple[list[Run], list[dict]]:
    """The runs, and the rows of the prepared corpora; corpora are sampled at ``sample_words`` words, else
    at the runs' sample sizes (so that their figures come from samples of the same size), else the default."""
    runs, corpora = [], []
    for p in paths:
        path = Path(p)
        if is_run_dir(path):
            runs.append(p)
        elif (path / rundir.MANIFEST).is_file() and (path / rundir.split_file("train")).is_file():
            corpora.append(path)
        else:
            raise UserError(f"{path}: neither a run directory ({rundir.RECIPE}, {rundir.GEN0}/) nor a prepared "
                            f"corpus ({rundir.MANIFEST}, {rundir.split_file('train')}) nor a built-in corpus name "
                            f"(`textmad ls`); see `textmad run` and `textmad corpus`")
    runs = open_runs(runs)
    sizes = {f: n for f in ("tail", "diversity") if (n := sample_words or run_sample_words(runs, f))}
    return runs, [row for c in corpora for row in corpus_rows(c, sizes)]


def seed_groups(runs: list[Run]) -> list[list[Run]]:
    """Runs grouped by recipe: two runs are seeds of one recipe when their recipes differ only in the
    seed (and name and location) and their seeds differ; each group keeps the order of the command line."""
    from textmad.recipe import SEED_KEYS, recipe_differences, to_dict

    groups: list[list[Run]] = []
    for run in runs:
        for group in groups:
            # the same recipe under the same seed twice (two names, two machines) is a repeat, not a new seed
            if run.recipe.seed not in {r.recipe.seed for r in group} \
                    and not recipe_differences(to_dict(group[0].recipe), to_dict(run.recipe), ignore=SEED_KEYS):
                group.append(run)
                break
        else:
            groups.append([run])
    return groups


def group_label(group: list[Run]) -> str:
    parents = {r.path.parent.name for r in group}
    name = parents.pop() if len(parents) == 1 and all(r.path.name.startswith(rundir.SEED_PREFIX) for r in group) \
        else group[0].recipe.name
    return f"{name} (seeds {' '.join(str(r.recipe.seed) for r in group)})"


def seed_rows(group: list[Run]) -> list[dict]:
    """One row per arm (and gen-000) of a group of seeds, at the last generation every seed finished:
    each value a t interval over seeds."""
    per_run = [run_rows(run) for run in group]
    rows = []
    for i, row in enumerate(per_run[0]):
        same = [rs[i] for rs in per_run if i < len(rs) and rs[i]["arm"] == row["arm"]]
        if len(same) < len(group) or len({r["generation"] for r in same}) > 1:
            continue  # the arm has not reached the same generation in every seed
        values = {m: stats.t_interval([r["values"][m] for r in same if is_number(r["values"].get(m))])
                  for m in row["values"]}
        rows.append({**row, "source": group_label(group), "values": values, "formality": (None, None),
                     "seeds": {run.recipe.seed: r["values"] for run, r in zip(group, same)}})
    return rows


def per_seed(row: dict, metric: str) -> dict:
    """seed -> value of ``metric`` in a `seed_rows` row, for the seeds that have a number."""
    return {s: v[metric] for s, v in row["seeds"].items() if is_number(v.get(metric))}


def verdict(diff: stats.Interval) -> str:
    """What a difference's 95% interval says: a finding only where it excludes 0."""
    return ("a difference (the 95% interval excludes 0)" if diff.excludes_zero()
            else "not distinguishable from seed noise (the 95% interval includes 0)")


def paired_lines(group: list[Run]) -> list[str]:
    """Each arm minus the first arm, per seed, at their last common generation: mean ± CI, and whether
    the interval excludes zero (a difference) or not (not distinguishable from seed noise)."""
    rows = [r for r in seed_rows(group) if r["arm"] != rundir.GEN0]
    if len(group) < 2 or len(rows) < 2:
        return []
    first, lines = rows[0], []
    for row in rows[1:]:
        for m in PAIRED:
            diff = stats.paired_difference(per_seed(row, m), per_seed(first, m))
            if diff.n >= 2:
                lines.append(f"{group_label(group)}: {row['arm']} − {first['arm']}, {m} at {row['generation']}: "
                             f"{diff.text()} — {verdict(diff)}")
    return lines


def between_lines(groups: list[list[Run]]) -> list[str]:
    """Each group of seeds minus the first (e.g. Bengali minus English), arm by arm at the last generation
    both finished, on each run's change from its own generation 0 (the figures comparable across
    languages and models): Welch's unpaired t interval, since the groups share no generation 0."""
    several = [g for g in groups if len(g) > 1]
    if len(several) < 2:
        return []
    first, *others = several
    base_rows = {r["arm"]: r for r in seed_rows(first)}
    lines = []
    for group in others:
        for row in seed_rows(group):
            base = base_rows.get(row["arm"])
            if row["arm"] == rundir.GEN0 or base is None or base["generation"] != row["generation"]:
                continue
            for m in map(change_name, CHANGED):
                diff = stats.difference(list(per_seed(row, m).values()), list(per_seed(base, m).values()))
                if diff.n >= 2:
                    lines.append(f"{group_label(group)} − {group_label(first)}: {row['arm']}, {m} at "
                                 f"{row['generation']}: {diff.text()} — {verdict(diff)}")
    return lines


def alignment_warning(runs: list[Run]) -> str | None:
    """A warning when some runs use aligned parallel splits and others do not, naming which; else None."""
    aligned = {r.label: bool(r.corpus.get("config", {}).get("aligned_verses")) for r in runs}
    if len(set(aligned.values())) > 1:
        return ("some runs use aligned parallel splits and others do not ("
                + ", ".join(f"{k}: {'aligned' if v else 'not aligned'}" for k, v in aligned.items())
                + "); their differences mix language with content")
    return None


def _warn_alignment(runs: list[Run]) -> None:
    warning = alignment_warning(runs)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def comparison_table(sources: list, sample_words: int | None = None,
                     fmt: str = "table") -> tuple[list[str], list[list], list[str], list[str]]:
    """Header, raw rows (numbers, None where unavailable), paired-difference lines (arms within a seed)
    and between-group lines (groups of seeds, e.g. languages, by Welch intervals) over ``sources``
    (Run objects or paths), comparable metrics as columns; format them with `textmad.report.tables`.
    Seeds of one recipe give one row per arm: ``mean ± CI (n)`` text for people ("table",
    "markdown"), the mean with ``*_low``/``*_high`` interval columns and ``n`` for programs."""
    # paths are collected together so that open_runs can tell apart two runs of the same name
    paths = [str(s) for s in sources if not isinstance(s, Run)]
    opened, corpus_part = collect(paths, sample_words) if paths else ([], [])
    runs = [s for s in sources if isinstance(s, Run)] + opened
    _warn_alignment(runs)
    groups = seed_groups(runs)
    run_part, paired = [], []
    for group in groups:
        if len(group) > 1:
            run_part += seed_rows(group)
            paired += paired_lines(group)
        else:
            run_part += run_rows(group[0])
    between = between_lines(groups)
    rows = run_part + corpus_part
    names = [*COMPARED, *(change_name(m) for m in CHANGED)]

    def number(v):
        return v.mean if isinstance(v, stats.Interval) else v

    metrics = [m for m in names if any(is_number(number(row["values"].get(m))) for row in rows)]
    several = any(isinstance(v, stats.Interval) for row in rows for v in row["values"].values())
    for_people = fmt in ("table", "markdown")
    header = ["source", "lang", "arm", "generation"]
    for m in metrics:
        header += [m] if for_people or not several else [m, f"{m}_low", f"{m}_high"]
    header += (["n"] if several and not for_people else []) + ["formality ÷ gen-000", "(measure)"]
    body = []
    for row in rows:
        cells = [row["source"], row["language"], row["arm"], row["generation"]]
        n = None
        for m in metrics:
            v = row["values"].get(m)
            if isinstance(v, stats.Interval):
                n = v.n
                cells += [v.text() if v.n else None] if for_people else [v.mean, v.low, v.high]
            else:
                cells += [v if is_number(v) else None] + ([] if for_people or not several else [None, None])
        body.append(cells + ([n] if several and not for_people else []) + [row["formality"][1], row["formality"][0]])
    return header, body, paired, between


def detection_text(sources: list[str], fmt: str) -> str:
    """The time-to-detection section for every group of several seeds among ``sources`` ("" if none)."""
    out = ""
    for group in seed_groups(open_runs([s for s in sources if is_run_dir(Path(s))])):
        rows = detection_rows(group)
        if not rows:
            continue
        bullet = "- " if fmt == "markdown" else "  "
        out += (f"\n\nWhich signal warns first, {group_label(group)}: the first generation whose paired change "
                f"from gen-000 excludes 0 at 95%, Holm-adjusted across the signals shown:\n"
                + "\n".join(bullet + line for line in detection_lines(rows)) + "\n\n"
                + render(*detection_table(rows), fmt, keys=2))
    return out
