"""`textmad sweep RECIPE`: a grid over the real share (and other recipe keys) x seeds, its summary
with 95% intervals, and the real-share threshold.

Layout: the sweep directory is ``output_dir/name``. Each grid point of the other swept keys is a
folder named from its values (``generate.temperature-0.7``; none when only the real share is swept),
and each seed a complete, ordinary run directory in it (``seed-0/``) whose arms are the real-share
grid: ``MODE-PERCENT`` for every mode and share, plus the recipe's own ``loop.arms``; they share that
seed's generation 0. Adaptive refinement adds shares in ``refine-R/seed-S/`` run directories that
start from a copy of the seed's generation 0. Only the recipe seed changes between seeds:
``corpus.seed`` (the train/heldout/fresh split) and ``evaluate.seed`` stay as the recipe sets them,
so every seed is scored on the same held-out text.

Every run is an ordinary ``textmad run RECIPE [overrides] --seeds S`` command: ``--print-commands``
prints them for a cluster's scheduler; ``--jobs N`` runs N at once as separate processes. A run that
another process holds (the run-directory lock) is skipped, a finished one is not started again, and
a half-finished one resumes.

Files written in the sweep directory, each atomically: ``sweep.yaml`` (the resolved sweep recipe),
``summary.csv`` and ``summary.README.md`` (what its columns mean), ``threshold.json``, and
``report/`` (``textmad.report.sweep``).
"""
from __future__ import annotations

import copy
import csv
import io
import itertools
import math
import os
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from textmad import rundir, stats
from textmad.errors import UserError
from textmad.io import write_json, write_text
from textmad.report.rundir import is_number, metric_columns
from textmad.rundir import GEN0, gen_dir, is_done
from textmad.recipe import (SweepConfig, Recipe, arm_name, load_recipe, sweep_arm,
                            threshold_metric, to_dict)

# ---------------------------------------------------------------- seeds and grid points

def seed_overrides(text: str | None) -> list[str]:
    """``--seeds 0,1,2`` as the recipe override ``seeds=[0,1,2]`` (validated with the recipe)."""
    if not text:
        return []
    try:
        seeds = [int(part) for part in text.split(",")]
    except ValueError:
        raise UserError(f"--seeds {text!r}: expected integers separated by commas, e.g. --seeds 0,1,2") from None
    return [f"seeds=[{','.join(map(str, seeds))}]"]


def _get(recipe: Recipe, key: str):
    node = to_dict(recipe)
    for part in key.split("."):
        node = (node or {}).get(part)  # an optional mapping left out (corpus.source) has no values
    return node


def _value_text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else (f"{value:g}" if isinstance(value, float) else str(value))


def point_name(recipe: Recipe, source: str = "recipe") -> str:
    """The folder of the grid point the recipe's swept keys are at ('' when only the share is swept)."""
    parts = []
    for i, swept in enumerate(recipe.sweep.keys):
        value = _get(recipe, swept.key)
        if value not in swept.values:
            raise UserError(f"{source}: {swept.key} = {value!r} is not one of sweep.keys[{i}].values "
                            f"{swept.values}; give {swept.key}=VALUE for one of them, or run every grid point "
                            f"with `textmad sweep`")
        parts.append(f"{swept.key}-{_value_text(value)}")
    return "_".join(parts)


def run_recipes(recipe: Recipe, source: str = "recipe") -> list[Recipe]:
    """The run directories a recipe makes: itself without ``seeds``; with seeds, one ordinary recipe per
    seed at ``output_dir/name/[point/][refine-R/]seed-S`` with ``seed = S`` and no seeds list, so the
    stored recipe.yaml resumes that one run. The sweep's analysis settings (metric, tolerance, baseline,
    refinement) are left out of it: changing them re-summarises without touching a run."""
    if not recipe.seeds:
        return [recipe]
    where = Path(recipe.output_dir) / recipe.name
    if rundir.is_run_dir(where):
        raise UserError(f"{source}: {where} is the run directory of a single-seed run; runs with several seeds "
                        f"go in a folder of their own (NAME/seed-S): give --new-name NAME or set name")
    point = point_name(recipe, source)
    if point:
        where /= point
    if recipe.sweep.round:
        where /= f"refine-{recipe.sweep.round}"
    runs = []
    for seed in recipe.seeds:
        run = copy.deepcopy(recipe)
        run.seed, run.seeds, run.name, run.output_dir = seed, [], f"seed-{seed}", str(where)
        sw = recipe.sweep
        run.sweep = SweepConfig(real_share=list(sw.real_share), modes=list(sw.modes),
                                keys=copy.deepcopy(sw.keys), round=sw.round)
        runs.append(run)
    return runs


def grid_points(recipe: Recipe) -> list[dict]:
    """Every combination of the swept keys' values, as {key: value} (one empty point without keys)."""
    keys = [s.key for s in recipe.sweep.keys]
    return [dict(zip(keys, combo)) for combo in itertools.product(*(s.values for s in recipe.sweep.keys))]


def _override(key: str, value) -> str:
    return f"{key}={yaml.safe_dump(value, default_flow_style=True).strip().removesuffix('...').strip()}"


@dataclass
class Job:
    """One run directory of the sweep and the ordinary `textmad run` arguments that make it."""
    point: str              # the grid point's folder name ('' when only the real share is swept)
    seed: int
    round: int              # 0: the grid; R > 0: refinement round R
    args: list[str]         # after `textmad run`
    recipe: Recipe          # the resolved per-seed recipe

    @property
    def run_dir(self) -> Path:
        return self.recipe.run_dir

    @property
    def point_dir(self) -> Path:
        where = Path(self.recipe.output_dir)
        return where.parent if self.round else where

    def command(self, launcher: str = "textmad") -> str:
        head = ["textmad", "run"] if launcher == "textmad" else ["accelerate", "launch", "-m", "textmad", "run"]
        return shlex.join(head + self.args)


@dataclass
class Sweep:
    recipe: Recipe            # the sweep recipe with its overrides, seeds resolved
    path: str                 # the recipe file, as given
    jobs: list[Job] = field(default_factory=list)

    @property
    def dir(self) -> Path:
        return Path(self.recipe.output_dir) / self.recipe.name

    @property
    def generations(self) -> int:
        return self.recipe.loop.generations


def plan(path: str, overrides: list[str], seeds: str | None = None) -> Sweep:
    """Load and check the sweep recipe and resolve every run before anything runs."""
    recipe = load_recipe(path, list(overrides) + seed_overrides(seeds))
    if not recipe.seeds:
        recipe.seeds = [recipe.seed]
    if not recipe.sweep.real_share and not recipe.sweep.keys:
        raise UserError(f"{path}: nothing to sweep; add a sweep section, for example "
                        f"sweep: {{real_share: [0, 0.25, 0.5], modes: [fresh]}} (see recipes/sweep.yaml)")
    sweep = Sweep(recipe, path)
    for point in grid_points(recipe):
        point_args = [_override(k, v) for k, v in point.items()]
        for seed in recipe.seeds:
            args = [path, *overrides, *point_args, "--seeds", str(seed)]
            run = load_recipe(path, list(overrides) + point_args + [f"seeds=[{seed}]"])
            (resolved,) = run_recipes(run, path)
            sweep.jobs.append(Job(point_name(run, path), seed, 0, args, resolved))
    return sweep


def refine_job(sweep: Sweep, base: Job, modes: list[str], shares: list[float], round_: int) -> Job:
    """A refinement run: only the new shares' arms, in refine-ROUND/seed-S beside the seed's run."""
    extra = ["loop.arms=[]", _override("sweep.real_share", shares), _override("sweep.modes", modes),
             f"sweep.round={round_}"]
    args = [*base.args[:-2], *extra, *base.args[-2:]]
    run = load_recipe(sweep.path, args[1:-2] + [f"seeds=[{base.seed}]"])
    (resolved,) = run_recipes(run, sweep.path)
    return Job(base.point, base.seed, round_, args, resolved)


# ---------------------------------------------------------------- running

def run_state(recipe: Recipe) -> str:
    """done (every arm's last generation finished), running (another process holds the lock),
    unfinished (started, stopped), or new."""
    run_dir = recipe.run_dir
    last = recipe.loop.generations
    if all(is_done(gen_dir(run_dir, arm_name(a), last)) for a in recipe.loop.arms):
        return "done"
    if held_by_other(run_dir):
        return "running"
    return "unfinished" if (run_dir / "recipe.yaml").exists() else "new"


def held_by_other(run_dir: Path) -> bool:
    """Whether another live process holds the run directory's lock (`textmad run` holds it throughout)."""
    return rundir.is_locked(run_dir)


def link_gen0(source_run: Path, target_run: Path) -> None:
    """Start a refinement run from its seed's generation 0 (hard links where the file system allows):
    generation 0 depends on the seed, corpus, model and training settings, never on the arms."""
    src, dst = source_run / GEN0, target_run / GEN0
    if dst.exists() or not is_done(src):
        return
    tmp = target_run / f".{GEN0}.link-tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    target_run.mkdir(parents=True, exist_ok=True)

    def link(a, b):
        try:
            os.link(a, b)
        except OSError:
            shutil.copy2(a, b)

    shutil.copytree(src, tmp, copy_function=link)
    os.replace(tmp, dst)


def execute(jobs: list[Job], parallel: int, log_dir: Path) -> dict[str, list[Job]]:
    """Run the jobs' `textmad run` commands, ``parallel`` at a time, as separate processes; return them
    grouped by outcome: done earlier, skipped (another process holds them), finished, failed."""
    outcome: dict[str, list[Job]] = {"done earlier": [], "skipped": [], "finished": [], "failed": []}
    pending = []
    for job in jobs:
        state = run_state(job.recipe)
        if state == "done":
            outcome["done earlier"].append(job)
        elif state == "running":
            print(f"skipped {job.run_dir}: another process is running it", flush=True)
            outcome["skipped"].append(job)
        else:
            pending.append(job)
    env = dict(os.environ)
    if parallel > 1 and "OMP_NUM_THREADS" not in env:
        env["OMP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // parallel))  # no oversubscribed cores
    running: list[tuple[Job, subprocess.Popen, object]] = []
    while pending or running:
        while pending and len(running) < parallel:
            job = pending.pop(0)
            if job.round:
                link_gen0(job.point_dir / f"seed-{job.seed}", job.run_dir)
            cmd = [sys.executable, "-m", "textmad", "run", *job.args]
            if parallel > 1:
                log_dir.mkdir(parents=True, exist_ok=True)
                log_path = log_dir / (str(job.run_dir.relative_to(log_dir.parent)).replace(os.sep, "_") + ".log")
                log = open(log_path, "w", encoding="utf-8")
                print(f"started {job.command()}  (log: {log_path})", flush=True)
                proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
            else:
                log = None
                print(f"$ {job.command()}", flush=True)
                proc = subprocess.Popen(cmd, env=env)
            running.append((job, proc, log))
        time.sleep(0.2)
        for item in list(running):
            job, proc, log = item
            if proc.poll() is None:
                continue
            running.remove(item)
            if log:
                log.close()
            outcome["finished" if proc.returncode == 0 else "failed"].append(job)
            print(f"{'finished' if proc.returncode == 0 else f'FAILED (exit {proc.returncode})'}: {job.run_dir}",
                  flush=True)
    return outcome


# ---------------------------------------------------------------- summary

@dataclass
class ArmSeries:
    """One arm of one seed: its values per generation, or why it is left out."""
    point: str
    arm: str
    mode: str
    share: float | None
    seed: int
    rows: dict[int, dict] = field(default_factory=dict)  # generation -> run-table row
    failed: str = ""                                    # '' when complete


# keys that may differ between the runs of one sweep: where they live, which seed, which arms
IGNORED_KEYS = ("name", "seed", "seeds", "loop.arms", "sweep.")


def check_same_recipe(expected: Recipe, stored_path: Path) -> None:
    """Refuse a run made from another recipe than the sweep's, naming the keys that differ."""
    from textmad.loop import recipe_differences

    stored = yaml.safe_load(stored_path.read_text(encoding="utf-8")) or {}
    diff = [d for d in recipe_differences(stored, to_dict(expected))
            if not any(d.startswith(k + ":") or (k.endswith(".") and d.startswith(k)) for k in IGNORED_KEYS)]
    if diff:
        raise UserError(f"{stored_path}: this run was made from a different recipe than the sweep's; the "
                        f"summary averages only runs that differ in the swept keys and the seed. Differing "
                        f"keys (run -> sweep): {'; '.join(diff)}. Summarise it with its own recipe, or rerun "
                        f"it under a new sweep name.")


def _arm_info(recipe: Recipe) -> dict[str, tuple[str, float | None]]:
    info = {}
    for arm in recipe.loop.arms:
        share = arm.real_share if isinstance(arm.real_share, (int, float)) else None
        info[arm_name(arm)] = (arm.mode, share)
    return info


def refine_jobs_on_disk(sweep: Sweep) -> list[Job]:
    """Refinement runs found in the sweep directory, resolved from their stored recipes."""
    found = []
    for base in sweep.jobs:
        for folder in sorted(base.point_dir.glob(f"refine-*/seed-{base.seed}")):
            stored = load_recipe(folder / "recipe.yaml")
            found.append(refine_job(sweep, base, stored.sweep.modes, stored.sweep.real_share, stored.sweep.round))
    return found


def collect(sweep: Sweep, jobs: list[Job]) -> list[ArmSeries]:
    """Every (point, arm, seed) of the jobs with its table rows; incomplete or non-finite ones carry why."""
    metric = threshold_metric(sweep.recipe)
    last = sweep.generations
    out = []
    for job in jobs:
        run_dir = job.run_dir
        exists = (run_dir / "recipe.yaml").is_file()
        if exists:
            check_same_recipe(job.recipe, run_dir / "recipe.yaml")
        table = rundir.read_table(run_dir) if exists and ((run_dir / rundir.TABLE_JSONL).is_file() or
                                                          (run_dir / rundir.TABLE_CSV).is_file()) else []
        busy = held_by_other(run_dir)
        for arm, (mode, share) in _arm_info(job.recipe).items():
            series = ArmSeries(job.point, arm, mode, share, job.seed,
                               {row["generation"]: row for row in table if str(row.get("arm")) == arm})
            done = sorted(series.rows)
            if not exists:
                series.failed = "running" if busy else "not started"
            elif last not in series.rows:
                state = "running" if busy else "unfinished"
                series.failed = f"{state}: generations {done[-1] if done else 'none'} of {last} finished" \
                    if done else f"{state}: no generation finished"
            else:
                bad = [k for k, row in sorted(series.rows.items()) if not is_number(row.get(metric))
                       or (row.get("train_loss") is not None and not is_number(row["train_loss"]))]
                if bad:
                    series.failed = f"missing or non-finite {metric} or loss at generation {bad[0]}"
            out.append(series)
    return out


def _baseline(sweep: Sweep, arms: list[str]) -> str:
    return sweep.recipe.sweep.baseline or arms[0]


def summarize(sweep: Sweep, series: list[ArmSeries]) -> list[dict]:
    """The rows of summary.csv (see the module's summary.README.md text)."""
    from textmad.evaluate import METRICS

    metric = threshold_metric(sweep.recipe)
    better = METRICS[metric].higher_is_better
    metrics = metric_columns([row for s in series for row in s.rows.values()])
    rows = []
    points = list(dict.fromkeys(s.point for s in series))
    for point in points:
        here = [s for s in series if s.point == point]
        arms = list(dict.fromkeys(s.arm for s in here))
        base = _baseline(sweep, arms)
        good = {(s.arm, s.seed): s for s in here if not s.failed}
        for arm in arms:
            mine = [s for s in here if s.arm == arm]
            mode, share = mine[0].mode, mine[0].share
            failed = "; ".join(f"seed {s.seed}: {s.failed}" for s in mine if s.failed)
            ok = [s for s in mine if not s.failed]
            if not ok:
                rows.append({**dict.fromkeys(SUMMARY_COLUMNS, ""), "point": point, "arm": arm, "mode": mode,
                             "real_share": "" if share is None else share, "metric": metric, "kind": "failed",
                             "n": 0, "failed": failed})
                continue

            def emit(k, kind, name, values: dict, versus="", interval=None):
                interval = interval or stats.t_interval(list(values.values()))
                rows.append({"point": point, "arm": arm, "mode": mode, "real_share": "" if share is None else share,
                             "generation": k, "metric": name, "kind": kind, "versus": versus, "n": interval.n,
                             **{key: _num(getattr(interval, key)) for key in ("mean", "sd", "low", "high")},
                             "seeds": " ".join(map(str, values)), "failed": failed})

            for k in sorted({k for s in ok for k in s.rows}):
                for name in metrics:
                    values = {s.seed: s.rows[k][name] for s in ok if is_number(s.rows.get(k, {}).get(name))}
                    emit(k, "value", name, values)
                    if arm != base:
                        other = {s: good[(base, s)].rows[k][name] for s in values
                                 if (base, s) in good and is_number(good[(base, s)].rows.get(k, {}).get(name))}
                        emit(k, "paired", name, {s: v for s, v in values.items() if s in other}, versus=base,
                             interval=stats.paired_difference(values, other))
                worse = {s.seed: stats.worsening(s.rows[k][metric], s.rows[0][metric], better) for s in ok
                         if 0 in s.rows and is_number(s.rows.get(k, {}).get(metric))}
                emit(k, "worsening", metric, worse)
    return rows


def _num(value):
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else value


SUMMARY_COLUMNS = ("point", "arm", "mode", "real_share", "generation", "metric", "kind", "versus", "n", "mean",
                   "sd", "low", "high", "seeds", "failed")

SUMMARY_README = """# summary.csv

One row per grid point, arm, generation, metric and kind, over seeds. Written by `textmad sweep`.

| column | meaning |
|---|---|
| point | the values of the swept keys other than the real share ('' when only the share is swept) |
| arm, mode, real_share | the arm (MODE-PERCENT for real-share grid points) |
| generation | 0 is the seed's shared generation 0 |
| metric | a registered metric or a training loss from the run table |
| kind | `value`: the metric itself; `paired`: arm minus `versus` within each seed (arms of a seed share generation 0), then over seeds; `worsening`: relative change of the threshold metric from generation 0 in its bad direction (0.02 = 2% worse; an absolute change where generation 0 is 0); `failed`: an arm no seed completed |
| n | seeds averaged |
| mean, sd | mean and sample standard deviation (ddof 1) over those seeds |
| low, high | 95% confidence interval: Student t with n-1 degrees of freedom (scipy.stats.t); empty when n < 2 |
| seeds | the seeds averaged |
| failed | seeds left out of this arm and why (unfinished, not started, running, non-finite loss or metric): a failed grid point is never averaged in |
"""


def write_csv(path: Path, rows: list[dict], columns) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text(path, buffer.getvalue())


# ---------------------------------------------------------------- threshold

def _pct(x: float) -> str:
    return f"{100 * x:+.1f}%"


def _share(x: float) -> str:
    return f"{x:.3g}"


def find_thresholds(sweep: Sweep, series: list[ArmSeries]) -> list[dict]:
    """Per grid point and mode: the threshold (stats.threshold) on the worsening at the last generation."""
    from textmad.evaluate import METRICS

    metric, tol, last = threshold_metric(sweep.recipe), sweep.recipe.sweep.tolerance, sweep.generations
    better = METRICS[metric].higher_is_better
    out = []
    for point in dict.fromkeys(s.point for s in series):
        for mode in sweep.recipe.sweep.modes:
            grid = [s for s in series if s.point == point and s.mode == mode and s.share is not None
                    and s.arm == sweep_arm(mode, s.share).name]
            per_share: dict[float, list[float]] = {}
            for s in grid:
                if not s.failed:
                    per_share.setdefault(s.share, []).append(
                        stats.worsening(s.rows[last][metric], s.rows[0][metric], better))
            failed = sorted({f"{s.arm} seed {s.seed}: {s.failed}" for s in grid if s.failed})
            if not per_share:
                out.append({"point": point, "mode": mode, "estimate": None,
                            "low": None, "high": None, "shares": [], "failed": failed,
                            "sentence": f"{mode}: no grid point finished, so no threshold yet"})
                continue
            found = stats.threshold(per_share, tol)
            out.append({"point": point, "mode": mode,
                        "estimate": _json_num(found.estimate), "low": _json_num(found.low),
                        "high": _json_num(found.high),
                        "shares": [{"real_share": s, "n": c.n, "mean": _json_num(c.mean), "low": _json_num(c.low),
                                    "high": _json_num(c.high)} for s, c in zip(found.shares, found.curve)],
                        "failed": failed, "sentence": sentence(found, mode, metric, tol, last),
                        "_threshold": found})
    return out


def _json_num(x: float):
    """JSON has no infinities: -inf/inf become the strings 'below grid'/'above grid', NaN null."""
    if x is None or math.isnan(x):
        return None
    if math.isinf(x):
        return "below grid" if x < 0 else "above grid"
    return round(x, 6)


def sentence(found: stats.Threshold, mode: str, metric: str, tol: float, last: int) -> str:
    """What was found and how sure, in plain words."""
    seeds = max(c.n for c in found.curve)
    what = f"{metric} after {last} generation{'s' if last != 1 else ''} within {_pct(tol)} of generation 0"
    top, bottom = found.curve[-1], found.curve[0]
    if math.isinf(found.estimate) and found.estimate > 0:
        return (f"{mode}: no real share tried (up to {_share(found.shares[-1])}) kept {what}: at "
                f"{_share(found.shares[-1])} the change is {_pct(top.mean)} ({seeds} seeds). The threshold is "
                f"above the grid; add larger shares.")
    if math.isinf(found.estimate):
        sure = ("and the 95% intervals agree" if math.isinf(found.high) and found.high < 0 else
                "but the 95% intervals do not rule out a larger change there")
        return (f"{mode}: every real share tried, down to {_share(found.shares[0])}, kept {what} "
                f"(at {_share(found.shares[0])}: {_pct(bottom.mean)}, {seeds} seeds), {sure}.")
    if math.isnan(found.low) or math.isnan(found.high):
        return (f"{mode}: a real share of about {_share(found.estimate)} keeps {what}, from one seed at some "
                f"shares: no interval (run more seeds).")
    lo = "below the grid" if math.isinf(found.low) else _share(found.low)
    hi = "above the grid" if math.isinf(found.high) else _share(found.high)
    return (f"{mode}: a real share of at least {_share(found.estimate)} keeps {what} (95% interval "
            f"{lo} to {hi}, {seeds} seeds; linear between grid points). A share of {hi} is within the "
            f"tolerance at 95% confidence.")


def next_shares(sweep: Sweep, thresholds: list[dict]) -> dict[tuple[str, str], list[float]]:
    """(point, mode) -> shares that refinement would add next (none where the interval is narrow)."""
    width = sweep.recipe.sweep.refine_width
    out = {}
    for t in thresholds:
        found = t.get("_threshold")
        if width and found:
            shares = [s for s in stats.refine_shares(found, width) if s not in found.shares]
            if shares:
                out[(t["point"], t["mode"])] = shares
    return out


# ---------------------------------------------------------------- the verb

def _check_pools(sweep: Sweep) -> None:
    """Check every run's arms against the corpus pools before the first one starts (plan_arms' errors)."""
    from textmad.corpus import prepare
    from textmad.mix import plan_arms

    pools = {}
    for job in sweep.jobs:
        key = repr(job.recipe.corpus)
        if key not in pools:
            corpus = prepare(job.recipe.corpus)
            pools[key] = len(corpus.split("train")), len(corpus.split("fresh"))
        plan_arms(job.recipe, *pools[key], sweep.path)


def _refinement(sweep: Sweep, jobs: list[Job]) -> list[Job]:
    """The next round's refinement runs (none when refinement is off or the intervals are narrow)."""
    if not sweep.recipe.sweep.refine_width:
        return []
    series = collect(sweep, jobs)
    wanted = next_shares(sweep, find_thresholds(sweep, series))
    more = []
    for (point, mode), shares in wanted.items():
        for base in sweep.jobs:
            if base.point == point:
                rounds = [j.round for j in jobs + more if j.point == base.point and j.seed == base.seed]
                more.append(refine_job(sweep, base, [mode], shares, max(rounds) + 1))
    return more


def write_outputs(sweep: Sweep, jobs: list[Job]) -> dict[str, Path]:
    """summary.csv (+ its README), threshold.json and the report, from the runs on disk."""
    series = collect(sweep, jobs)
    rows = summarize(sweep, series)
    write_csv(sweep.dir / "summary.csv", rows, SUMMARY_COLUMNS)
    write_text(sweep.dir / "summary.README.md", SUMMARY_README)
    thresholds = find_thresholds(sweep, series)
    metric = threshold_metric(sweep.recipe)
    result = {
        "metric": metric, "tolerance": sweep.recipe.sweep.tolerance, "generation": sweep.generations,
        "confidence": stats.CONFIDENCE, "seeds": sweep.recipe.seeds,
        "method": "worsening = relative change of the metric from generation 0 at the last generation, per seed; "
                  "Student-t 95% interval over seeds at each share; the estimate is where the mean curve (linear "
                  "between grid shares) enters the tolerance for good, the interval where the intervals' lower "
                  "and upper ends do (textmad.stats.threshold)",
        "thresholds": [{k: v for k, v in t.items() if not k.startswith("_")} for t in thresholds],
        "next_shares": {f"{p or '-'}/{m}": s for (p, m), s in next_shares(sweep, thresholds).items()},
    }
    write_json(sweep.dir / "threshold.json", result)
    failed = sorted({f"{s.point + '/' if s.point else ''}seed-{s.seed}/{s.arm}: {s.failed}" for s in series if s.failed})
    for t in thresholds:
        print(t["sentence"])
    if failed:
        print(f"left out as failed ({len(failed)}): " + "; ".join(failed[:10]) + (" ..." if len(failed) > 10 else ""))
    from textmad.report.sweep import write_sweep_report

    paths = write_sweep_report(sweep, series, thresholds)
    print(f"wrote {sweep.dir / 'summary.csv'}, {sweep.dir / 'threshold.json'} and {paths['html']}")
    return paths
