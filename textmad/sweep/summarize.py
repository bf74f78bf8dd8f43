"""Summarise a sweep from the run directories on disk: summary.csv (means and Student-t 95% intervals
over seeds, paired differences, the threshold metric's worsening), summary.README.md and
threshold.json (the real-share threshold per grid point and mode, with its interval and a sentence).
Works while runs are still going: an arm a seed has not finished is marked (running, unfinished, not
started) and never averaged in. Every file is written atomically inside the sweep directory.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from textmad import rundir, stats
from textmad.errors import UserError
from textmad.evaluate.registry import METRICS
from textmad.io import write_json, write_text
from textmad.recipe import SWEEP_KEYS, Recipe, arm_name, dump_yaml, recipe_differences, sweep_arm, threshold_metric, to_dict
from textmad.rundir import inside, is_number, metric_columns
from textmad.sweep.plan import Job, Sweep, refine_job

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


def check_same_recipe(expected: Recipe, stored_path: Path) -> None:
    """Refuse a run made from another recipe than the sweep's, naming the keys that differ."""
    try:
        stored = yaml.safe_load(stored_path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        raise UserError(f"{stored_path}: the stored recipe cannot be read ({e.__class__.__name__}); restore it, "
                        f"or delete that run directory to redo it") from None
    diff = recipe_differences(stored, to_dict(expected), ignore=SWEEP_KEYS)
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


def collect(sweep: Sweep, jobs: list[Job]) -> list[ArmSeries]:
    """Every (point, arm, seed) of the jobs with its table rows; incomplete or non-finite ones carry why."""
    metric = threshold_metric(sweep.recipe)
    last = sweep.generations
    out = []
    for job in jobs:
        run_dir = job.run_dir
        exists = (run_dir / rundir.RECIPE).is_file()
        if exists:
            check_same_recipe(job.recipe, run_dir / rundir.RECIPE)
        table = rundir.read_table(run_dir) if exists and ((run_dir / rundir.TABLE_JSONL).is_file() or
                                                          (run_dir / rundir.TABLE_CSV).is_file()) else []
        busy = rundir.is_locked(run_dir)
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


def baseline(sweep: Sweep, arms: list[str]) -> str:
    """The arm the paired differences are taken against: sweep.baseline, else the first arm."""
    return sweep.recipe.sweep.baseline or arms[0]


def summarize(sweep: Sweep, series: list[ArmSeries]) -> list[dict]:
    """The rows of summary.csv (see the module's summary.README.md text)."""
    metric = threshold_metric(sweep.recipe)
    better = METRICS[metric].higher_is_better
    metrics = metric_columns([row for s in series for row in s.rows.values()])
    rows = []
    points = list(dict.fromkeys(s.point for s in series))
    for point in points:
        here = [s for s in series if s.point == point]
        arms = list(dict.fromkeys(s.arm for s in here))
        base = baseline(sweep, arms)
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
                        "non_monotone": [{"from": a, "to": b, "beyond_seed_spread": sep} for a, b, sep in found.rises()],
                        "failed": failed,
                        "sentence": " ".join(filter(None, (sentence(found, mode, metric, tol, last),
                                                           stats.non_monotone_note(found, tol)))),
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


def refinement_jobs(sweep: Sweep, jobs: list[Job]) -> list[Job]:
    """The next round's refinement runs (none when refinement is off or the intervals are narrow)."""
    if not sweep.recipe.sweep.refine_width:
        return []
    wanted = next_shares(sweep, find_thresholds(sweep, collect(sweep, jobs)))
    more = []
    for (point, mode), shares in wanted.items():
        for base in sweep.jobs:
            if base.point == point:
                rounds = [j.round for j in jobs + more if j.point == base.point and j.seed == base.seed]
                more.append(refine_job(sweep, base, [mode], shares, max(rounds) + 1))
    return more


def write_summary(sweep: Sweep, jobs: list[Job]) -> list[dict]:
    """summary.csv (+ its README), threshold.json and sweep.yaml from the runs on disk; prints each threshold's sentence
    and the arms left out. Returns the thresholds."""
    series = collect(sweep, jobs)
    rows = summarize(sweep, series)
    write_text(inside(sweep.dir, sweep.dir / rundir.SWEEP_RECIPE), dump_yaml(sweep.recipe))  # what it summarises
    write_csv(inside(sweep.dir, sweep.dir / rundir.SWEEP_SUMMARY), rows, SUMMARY_COLUMNS)
    write_text(inside(sweep.dir, sweep.dir / rundir.SWEEP_SUMMARY_README), SUMMARY_README)
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
    write_json(inside(sweep.dir, sweep.dir / rundir.THRESHOLD), result)
    failed = sorted({f"{s.point + '/' if s.point else ''}{rundir.seed_name(s.seed)}/{s.arm}: {s.failed}" for s in series if s.failed})
    for t in thresholds:
        print(t["sentence"])
    if failed:
        print(f"left out as failed ({len(failed)}): " + "; ".join(failed[:10]) + (" ..." if len(failed) > 10 else ""))
    return thresholds
