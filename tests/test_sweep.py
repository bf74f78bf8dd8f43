"""`textmad sweep` and `textmad run --seeds`: the grid, the printed commands, the summary with its
intervals, the threshold, failed grid points, mismatched recipes, bad input, and a real tiny sweep
(2 seeds x 2 shares, 1 generation) under --jobs 2 with resume and a run held by another process."""
import csv
import json
import math

import pytest
from scipy import stats as sps

from textmad import rundir
from textmad.cli import main
from textmad.io import write_jsonl, write_text
from textmad.recipe import dump_yaml, load_recipe
from textmad.seeds import run_recipes
from textmad.sweep import execute, plan, refine_job, refine_jobs_on_disk
from textmad.sweep.cli import summarize_and_report

TINY = "recipes/tiny.yaml"


def grid(tmp_path, *extra):
    return [f"output_dir={tmp_path}", "loop.arms=[{mode: replace}]", "sweep.modes=[fresh]",
            "sweep.metric=heldout_bpb", *extra]


def sweep_cli(tmp_path, capsys, *args, extra=()):
    code = main(["sweep", TINY, *grid(tmp_path, *extra), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


# ---------------------------------------------------------------- seeds and commands

def test_seeds_make_one_ordinary_run_directory_each(tmp_path):
    recipe = load_recipe(TINY, [f"output_dir={tmp_path}", "seeds=[3,4]"])
    runs = run_recipes(recipe)
    assert [r.run_dir for r in runs] == [tmp_path / "tiny" / "seed-3", tmp_path / "tiny" / "seed-4"]
    assert [r.seed for r in runs] == [3, 4] and all(r.seeds == [] for r in runs)
    assert {r.corpus.seed for r in runs} == {recipe.corpus.seed}  # the split does not follow the run seed
    # the stored recipe resumes the same run directory, and only that one
    stored = tmp_path / "stored.yaml"
    stored.write_text(dump_yaml(runs[0]))
    assert [r.run_dir for r in run_recipes(load_recipe(stored))] == [runs[0].run_dir]


def test_print_commands_one_ordinary_run_per_seed_and_point(tmp_path, capsys):
    keys = "sweep.keys=[{key: generate.temperature, values: [0.7, 1.0]}]"
    code, out, _ = sweep_cli(tmp_path, capsys, "--seeds", "0,1", "--print-commands",
                             extra=("sweep.real_share=[0,0.5]", keys))
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == 4 and all(line.startswith(f"textmad run {TINY} output_dir=") for line in lines)
    assert lines[0].endswith("generate.temperature=0.7 --seeds 0") and lines[3].endswith(
        "generate.temperature=1.0 --seeds 1")
    assert list(tmp_path.iterdir()) == []  # printing runs and writes nothing
    # each printed command is an ordinary `textmad run` that makes the grid point's run directory
    import shlex

    argv = shlex.split(lines[1])[3:]
    (run,) = run_recipes(load_recipe(TINY, [a for a in argv if "=" in a] + ["seeds=[1]"]))
    assert run.run_dir == tmp_path / "tiny" / "generate.temperature-0.7" / "seed-1"
    assert run.generate.temperature == 0.7
    assert [a.name or a.mode for a in run.loop.arms] == ["replace", "fresh-0", "fresh-50"]
    code, out, _ = sweep_cli(tmp_path, capsys, "--seeds", "0", "--print-commands", "accelerate",
                             extra=("sweep.real_share=[0,0.5]",))
    assert out.splitlines() == [f"accelerate launch -m textmad run {TINY} " + " ".join(
        shlex.quote(a) for a in grid(tmp_path, "sweep.real_share=[0,0.5]")) + " --seeds 0"]


# ---------------------------------------------------------------- summary, threshold, failures (made-up runs)

SHARES = (0.0, 0.25, 0.5, 0.75)
OFFSETS = {0: -0.01, 1: 0.0, 2: 0.01}  # per-seed noise, mean 0


def fake_run(job, worsening, finished=True, epochs=None, tail=False):
    """A run directory as `textmad run` leaves it: recipe, DONE markers and the run table, with
    heldout_bpb = 2 * (1 + worsening(arm)) at the last generation (``tail``: and the two tail coverages)."""
    recipe = job.recipe
    if epochs:
        recipe.train.epochs = epochs
    run_dir = recipe.run_dir
    write_text(run_dir / "recipe.yaml", dump_yaml(recipe))
    write_text(run_dir / "gen-000" / "DONE", "")
    rows = []
    for arm in recipe.loop.arms:
        name = arm.name or arm.mode
        rows.append({"arm": name, "mode": arm.mode, "generation": 0, "heldout_bpb": 2.0, "train_loss": 3.0})
        if finished is True or name not in finished:
            write_text(rundir.gen_dir(run_dir, name, 1) / "DONE", "")
            rows.append({"arm": name, "mode": arm.mode, "generation": 1,
                         "heldout_bpb": 2.0 * (1 + worsening(arm)), "train_loss": 2.5})
    if tail:
        for row in rows:
            row.update(tail_coverage=0.2 - 0.1 * row["generation"], mix_tail_coverage_vs_real=1.5)
    write_jsonl(run_dir / "metrics.jsonl", rows)


def dose(seed):
    # worsening 0.10 - 0.2 * share (+ seed noise); replace: 0.2
    return lambda arm: (0.2 if arm.real_share is None else 0.10 - 0.2 * arm.real_share) + OFFSETS[seed]


def made_up_sweep(tmp_path, failed=None):
    sweep = plan(TINY, grid(tmp_path, "loop.generations=1", "sweep.real_share=[0,0.25,0.5,0.75]"), "0,1,2")
    for job in sweep.jobs:
        fake_run(job, dose(job.seed), finished=True if job.seed != 2 or not failed else failed)
    return sweep


def read_summary(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_summary_threshold_and_report_on_a_known_dose_response(tmp_path, capsys, monkeypatch):
    made_up_sweep(tmp_path)
    code, out, err = sweep_cli(tmp_path, capsys, "--seeds", "0,1,2", "--summarize",
                               extra=("loop.generations=1", "sweep.real_share=[0,0.25,0.5,0.75]"))
    assert code == 0, err
    sweep_dir = tmp_path / "tiny"
    rows = read_summary(sweep_dir / "summary.csv")
    value = next(r for r in rows if r["arm"] == "fresh-25" and r["generation"] == "1"
                 and r["metric"] == "heldout_bpb" and r["kind"] == "value")
    x = [2.0 * (1 + 0.05 + o) for o in OFFSETS.values()]
    low, high = sps.t.interval(0.95, 2, loc=sum(x) / 3, scale=sps.sem(x))
    assert (value["n"], value["seeds"]) == ("3", "0 1 2")
    assert float(value["mean"]) == pytest.approx(2.1) and float(value["low"]) == pytest.approx(low)
    assert float(value["high"]) == pytest.approx(high)
    # paired against the first arm (replace): the seed offsets cancel, so the interval is a point
    paired = next(r for r in rows if r["arm"] == "fresh-25" and r["generation"] == "1"
                  and r["metric"] == "heldout_bpb" and r["kind"] == "paired")
    assert paired["versus"] == "replace" and float(paired["mean"]) == pytest.approx(2 * (0.05 - 0.2))
    assert float(paired["low"]) == pytest.approx(float(paired["high"]))
    result = json.loads((sweep_dir / "threshold.json").read_text())
    (found,) = result["thresholds"]
    h = sps.t.ppf(0.975, 2) * 0.01 / math.sqrt(3)
    assert found["estimate"] == pytest.approx(0.4)
    assert (found["low"], found["high"]) == (pytest.approx((0.08 - h) / 0.2), pytest.approx((0.08 + h) / 0.2))
    assert "at least 0.4 keeps heldout_bpb after 1 generation within +2.0%" in found["sentence"]
    assert found["sentence"] in out
    md = (sweep_dir / "report" / "report.md").read_text()
    assert "±" in md and "dose-response" in md and (sweep_dir / "report" / "report.html").is_file()
    assert sorted(p.name for p in (sweep_dir / "report" / "plots").iterdir()) == [
        "curves-sweep.png", "dose-response-sweep.png"]
    assert "Student t" in (sweep_dir / "summary.README.md").read_text()
    # the sweep directory alone is enough to report it again, from anywhere
    from textmad.report.sweep import is_sweep_dir, report_sweep_dir

    (sweep_dir / "report" / "report.md").unlink()
    monkeypatch.chdir(tmp_path / "tiny" / "seed-0")
    assert is_sweep_dir(sweep_dir) and report_sweep_dir(sweep_dir)["md"].read_text() == md
    # and `textmad report SWEEP_DIR` makes the same report
    from textmad.cli import main

    (sweep_dir / "report" / "report.md").unlink()
    assert main(["report", str(sweep_dir)]) == 0 and (sweep_dir / "report" / "report.md").read_text() == md


def test_sweep_report_does_not_read_vocabulary_shift_as_tail_loss(tmp_path, capsys):
    """The curves show the pool-based and the trained-text tail coverage side by side, and the report says
    which is which; a threshold metric ranked on the pool is cautioned about under fresh data."""
    from textmad.report.sweep import tail_note

    sweep = plan(TINY, grid(tmp_path, "loop.generations=1", "sweep.real_share=[0,0.5]"), "0,1")
    for job in sweep.jobs:
        fake_run(job, dose(job.seed), tail=True)
    code, _, err = sweep_cli(tmp_path, capsys, "--seeds", "0,1", "--summarize",
                             extra=("loop.generations=1", "sweep.real_share=[0,0.5]"))
    assert code == 0, err
    md = (tmp_path / "tiny" / "report" / "report.md").read_text()
    assert "a falling tail_coverage beside a steady mix_tail_coverage_vs_real is vocabulary shift" in md
    assert "Caution" not in md  # the threshold metric is heldout_bpb
    (note, caution) = tail_note("tail_drop_vs_gen0", ["fresh", "augment"])
    assert caution.startswith("Caution: the threshold metric tail_drop_vs_gen0 ranks the tail on generation 0's pool")
    assert len(tail_note("tail_drop_vs_gen0", ["augment"])) == len(tail_note("mix_tail_drop_vs_gen0", ["fresh"])) == 1


def test_refinement_prints_the_shares_between_the_bracketing_points(tmp_path, capsys):
    made_up_sweep(tmp_path)
    code, out, _ = sweep_cli(tmp_path, capsys, "--seeds", "0,1,2", "--print-commands",
                             extra=("loop.generations=1", "sweep.real_share=[0,0.25,0.5,0.75]",
                                    "sweep.refine_width=0.1"))
    assert code == 0
    lines = out.splitlines()
    # the threshold interval 0.28..0.52 overlaps the grid intervals 0.25-0.5 and 0.5-0.75
    assert len(lines) == 6 and all(line.endswith(f"--seeds {s}") for line, s in zip(lines, [0, 1, 2] * 2))
    assert all("'loop.arms=[]' 'sweep.real_share=[0.38, 0.62]' 'sweep.modes=[fresh]' sweep.round=1" in line
               for line in lines[3:])


def test_a_failed_grid_point_is_reported_never_averaged(tmp_path, capsys):
    made_up_sweep(tmp_path, failed={"fresh-25"})  # seed 2 stopped before fresh-25's last generation
    code, out, _ = sweep_cli(tmp_path, capsys, "--seeds", "0,1,2", "--summarize",
                             extra=("loop.generations=1", "sweep.real_share=[0,0.25,0.5,0.75]"))
    assert code == 0
    rows = [r for r in read_summary(tmp_path / "tiny" / "summary.csv") if r["arm"] == "fresh-25"]
    assert {r["n"] for r in rows if r["metric"] == "heldout_bpb"} == {"2"}
    assert {r["failed"] for r in rows} == {"seed 2: unfinished: generations 0 of 1 finished"}
    assert "seed-2/fresh-25: unfinished" in out
    shares = json.loads((tmp_path / "tiny" / "threshold.json").read_text())["thresholds"][0]["shares"]
    assert [s["n"] for s in shares] == [3, 2, 3, 3]


def test_summary_refuses_runs_of_another_recipe(tmp_path, capsys):
    sweep = plan(TINY, grid(tmp_path, "loop.generations=1", "sweep.real_share=[0,0.5]"), "0,1")
    fake_run(sweep.jobs[0], dose(0))
    fake_run(sweep.jobs[1], dose(1), epochs=3.0)
    code, _, err = sweep_cli(tmp_path, capsys, "--seeds", "0,1", "--summarize",
                             extra=("loop.generations=1", "sweep.real_share=[0,0.5]"))
    assert code == 2
    assert "seed-1/recipe.yaml" in err and "Differing keys (run -> sweep): train.epochs: 3.0 -> 1.0." in err
    assert not (tmp_path / "tiny" / "summary.csv").exists()


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, message", [
    (["sweep.real_share=[0,1.5]"], "sweep.real_share has 1.5, out of range"),
    (["sweep.real_share=[0.5]", "--seeds", "1,1"], "seeds lists [1] more than once"),
    (["sweep.real_share=[0.5]", "sweep.keys=[{key: generate.temprature, values: [1.0]}]"],
     "no such recipe key; did you mean 'generate.temperature'"),
    (["sweep.real_share=[0.5]", "sweep.keys=[{key: generate.temperature, values: [0.7, -1]}]"],
     "sweep.keys[0].values[1] = -1 is not a valid generate.temperature"),
    (["sweep.real_share=[0.5]", "sweep.tolerance=0"], "sweep.tolerance = 0.0 is out of range"),
    (["sweep.real_share=[0.5]", "sweep.tolerance=-0.1"], "sweep.tolerance = -0.1 is out of range"),
    (["sweep.real_share=[0.5]", "sweep.metric=heldout_bbp"], "is not a registered metric; did you mean 'heldout_bp"),
    (["sweep.real_share=[0.5]", "sweep.metric=doc_len_mean"], "'doc_len_mean' has no better direction"),
    (["sweep.real_share=[0.5]", "--seeds", "0,x"], "--seeds '0,x': expected integers"),
    ([], "nothing to sweep"),
])
def test_bad_input_is_refused_before_anything_runs(tmp_path, capsys, args, message):
    code, out, err = sweep_cli(tmp_path, capsys, *args)
    assert code == 2 and message in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_summarize_before_any_run_and_seeds_inside_a_single_run_are_refused(tmp_path, capsys):
    code, _, err = sweep_cli(tmp_path, capsys, "--summarize", extra=("sweep.real_share=[0.5]",))
    assert code == 2 and "no run of this sweep has started yet" in err and list(tmp_path.iterdir()) == []
    single = load_recipe(TINY, [f"output_dir={tmp_path}"])
    write_text(single.run_dir / "recipe.yaml", dump_yaml(single))
    (single.run_dir / "gen-000").mkdir()
    assert main(["run", TINY, f"output_dir={tmp_path}", "--seeds", "0,1"]) == 2
    assert "is the run directory of a single-seed run" in capsys.readouterr().err
    assert sorted(p.name for p in single.run_dir.iterdir()) == ["gen-000", "recipe.yaml"]


def test_overrides_may_follow_the_options(tmp_path, capsys):
    """`textmad sweep RECIPE --seeds 0 KEY=VALUE` is the same command as with the override first."""
    after = main(["sweep", TINY, *grid(tmp_path), "--seeds", "0", "sweep.real_share=[0,0.5]", "--print-commands"])
    first = capsys.readouterr().out
    before = main(["sweep", TINY, *grid(tmp_path), "sweep.real_share=[0,0.5]", "--seeds", "0", "--print-commands"])
    assert after == before == 0 and first == capsys.readouterr().out
    assert "sweep.real_share=[0,0.5]" in first
    with pytest.raises(SystemExit):
        main(["sweep", TINY, "--seeds", "0", "--no-such-option"])
    assert "unrecognized arguments: --no-such-option" in capsys.readouterr().err


def test_run_refuses_duplicate_seeds(tmp_path, capsys):
    assert main(["run", TINY, f"output_dir={tmp_path}", "--seeds", "0,0"]) == 2
    assert "seeds lists [0] more than once" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_the_sweep_estimate_warns_before_anything_runs(tmp_path, monkeypatch):
    """Per run and in total, by textmad.budget's estimator (the figure `textmad run` prints at its start); a
    sweep far over its runs' budgets, or whose runs side by side need more memory than there is, is warned about."""
    from textmad import budget
    from textmad.sweep.preflight import estimate_runs

    sweep = plan(TINY, grid(tmp_path, "loop.generations=1", "sweep.real_share=[0,0.5]", "loop.budget_minutes=0.0001"),
                 "0,1")
    lines = []
    result = estimate_runs(sweep, sweep.jobs, 1, lines.append)
    assert lines[0] == "estimate on this machine, per run (what `textmad run` prints at its start), 2 run(s) to do:"
    assert lines[1].startswith("  seed-0: ") and lines[2].startswith("  seed-1: ") and "peak memory" in lines[1]
    assert lines[3].startswith("  total: ") and "with 1 run(s) at once" in lines[3]
    est = result["runs"][sweep.jobs[0].run_dir]
    assert est["seconds"] > 0 and result["seconds"] == pytest.approx(2 * est["seconds"])
    assert any(line.startswith("warning: the estimated time") and "loop.budget_minutes = 0.0001" in line
               for line in lines)
    assert any(line.startswith("warning: the sweep's estimated total") and "2 run(s) x loop.budget_minutes" in line
               for line in lines)
    assert list(tmp_path.iterdir()) == []  # nothing of the sweep written
    monkeypatch.setattr(budget, "machine_memory", lambda: 1.5 * est["memory_bytes"])
    lines = []
    estimate_runs(sweep, sweep.jobs, 2, lines.append)
    assert any("x 2 runs at once, is over this machine's" in line for line in lines)


# ---------------------------------------------------------------- a real tiny sweep

@pytest.mark.slow
def test_tiny_sweep_jobs_2_resume_and_skip_a_held_run(tmp_path, capsys):
    extra = ("loop.generations=1", "loop.arms=[]", "sweep.real_share=[0,0.5]", "evaluate.metrics=[perplexity]")
    # half-finished: seed 0 ran alone first (an ordinary `textmad run --seeds`)
    assert main(["run", TINY, *grid(tmp_path, *extra), "--seeds", "0"]) == 0
    capsys.readouterr()
    seed0 = tmp_path / "tiny" / "seed-0"
    before = (seed0 / "metrics.jsonl").read_text()
    # another process holds seed 2: the sweep leaves it alone
    with rundir.hold_lock(tmp_path / "tiny" / "seed-2"):
        code, out, err = sweep_cli(tmp_path, capsys, "--seeds", "0,1,2", "--jobs", "2", extra=extra)
    assert code == 0, err
    assert "skipped" in out and "seed-2: another process is running it" in out
    # the estimate came first, for the one run still to do (seed 0 finished, seed 2 held)
    assert out.index("estimate on this machine, per run") < out.index("seed-1: ") < out.index("total: ")
    assert "with 2 run(s) at once" in out and "  seed-0: " not in out
    assert (seed0 / "metrics.jsonl").read_text() == before  # finished earlier: not run again
    assert rundir.is_done(tmp_path / "tiny" / "seed-1" / "fresh-50" / "gen-001")
    assert (tmp_path / "tiny" / "logs" / "seed-1.log").is_file()
    rows = read_summary(tmp_path / "tiny" / "summary.csv")
    bpb = [r for r in rows if r["arm"] == "fresh-50" and r["metric"] == "heldout_bpb" and r["kind"] == "value"
           and r["generation"] == "1"]
    assert bpb[0]["n"] == "2" and bpb[0]["seeds"] == "0 1" and bpb[0]["failed"].startswith("seed 2: ")
    result = json.loads((tmp_path / "tiny" / "threshold.json").read_text())
    assert result["metric"] == "heldout_bpb" and result["seeds"] == [0, 1, 2]
    assert (tmp_path / "tiny" / "report" / "report.html").is_file()

    # a refinement round: share 0.25 in refine-1/seed-0, started from seed 0's generation 0
    sweep = plan(TINY, grid(tmp_path, *extra), "0,1")
    job = refine_job(sweep, sweep.jobs[0], ["fresh"], [0.25], 1)
    assert job.run_dir == tmp_path / "tiny" / "refine-1" / "seed-0"
    assert execute([job])["finished"] == [job]
    gen0 = "gen-000/model/model.safetensors"
    assert (job.run_dir / gen0).stat().st_ino == (seed0 / gen0).stat().st_ino  # linked, not retrained
    summarize_and_report(sweep, sweep.jobs + refine_jobs_on_disk(sweep))
    (found,) = json.loads((tmp_path / "tiny" / "threshold.json").read_text())["thresholds"]
    assert [(s["real_share"], s["n"]) for s in found["shares"]] == [(0.0, 2), (0.25, 1), (0.5, 2)]
