"""Which signal warns first (issue 23): the time-to-detection table of `textmad compare` and
`textmad report`, on hand-made run directories whose answer is known."""
from textmad.cli import main
from textmad.io import write_json, write_jsonl, write_text
from textmad.recipe import dump_yaml, load_recipe
from textmad.report.compare import seed_groups
from textmad.report.detection import detection_lines, detection_rows, first_warnings
from textmad.report.rundir import open_runs

# per seed, generations 0-3 of replace: heldout_ece moves from generation 1 (+0.02, small spread),
# heldout_bpc only from generation 3 (+0.1), distinct_1 is noise around its start
ECE = {0: (0.05, 0.07, 0.08, 0.09), 1: (0.06, 0.081, 0.092, 0.10), 2: (0.055, 0.074, 0.086, 0.094)}
BPC = {0: (2.0, 2.01, 1.99, 2.1), 1: (2.1, 2.09, 2.11, 2.21), 2: (1.9, 1.9, 1.92, 1.99)}
DISTINCT = {0: (0.5, 0.51, 0.49, 0.5), 1: (0.6, 0.59, 0.62, 0.58), 2: (0.55, 0.55, 0.54, 0.57)}


def fake_seed(tmp_path, seed: int):
    recipe = load_recipe("recipes/tiny.yaml", [f"output_dir={tmp_path}", "name=warn", f"seed={seed}",
                                               "loop.generations=3", "loop.arms=[{mode: replace}]"])
    run_dir = tmp_path / "warn" / f"seed-{seed}"
    write_text(run_dir / "recipe.yaml", dump_yaml(recipe))
    write_json(run_dir / "corpus.json", {"corpus": "lee-en", "language": "en", "config": {}})
    write_text(run_dir / "gen-000" / "DONE", "")
    rows = []
    for k in range(4):
        if k:
            write_text(run_dir / "replace" / f"gen-{k:03d}" / "DONE", "")
        rows.append({"arm": "replace", "mode": "replace", "generation": k, "heldout_ece": ECE[seed][k],
                     "heldout_bpc": BPC[seed][k], "distinct_1": DISTINCT[seed][k]})
    write_jsonl(run_dir / "metrics.jsonl", rows)
    return run_dir


def test_the_calibration_error_warns_first_and_the_table_says_when(tmp_path, capsys):
    paths = [fake_seed(tmp_path, s) for s in (0, 1, 2)]
    [group] = seed_groups(open_runs([str(p) for p in paths]))
    rows = {r["metric"]: r for r in detection_rows(group)}
    assert set(rows) == {"heldout_ece", "heldout_bpc", "distinct_1"}  # the signals the runs recorded
    assert rows["heldout_ece"]["generation"] == 1
    assert rows["heldout_bpc"]["generation"] == 3
    assert rows["distinct_1"]["generation"] is None and rows["distinct_1"]["last"] == 3
    assert [r["metric"] for r in first_warnings(list(rows.values()))["replace"]] == ["heldout_ece"]
    assert rows["heldout_ece"]["reading"] == "worse" and rows["heldout_bpc"]["reading"] == "worse"
    assert main(["compare", *map(str, paths), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "Which signal warns first" in out
    assert "replace: first warning at generation 1: heldout_ece" in out
    assert "| replace | distinct\\_1 | not by 3 |" in out


def test_an_improvement_is_reported_apart_from_the_warnings(tmp_path):
    """Held-out bits per character falling (fresh real data helping) is detected, but reads "better" and is
    no warning: the first warning is the calibration error, at generation 1; the improvement is said apart."""
    global BPC
    saved = BPC
    BPC = {s: tuple(2 * v[0] - x for x in v) for s, v in saved.items()}  # the same changes, downwards
    try:
        paths = [fake_seed(tmp_path, s) for s in (0, 1, 2)]
    finally:
        BPC = saved
    [group] = seed_groups(open_runs([str(p) for p in paths]))
    rows = detection_rows(group)
    bpc = next(r for r in rows if r["metric"] == "heldout_bpc")
    assert bpc["generation"] == 3 and bpc["reading"] == "better"
    assert [r["metric"] for r in first_warnings(rows)["replace"]] == ["heldout_ece"]
    assert [r["metric"] for r in first_warnings(rows, improvements=True)["replace"]] == ["heldout_bpc"]
    [line] = detection_lines(rows)
    assert line.startswith("replace: first warning at generation 1: heldout_ece")
    assert "; first improvement at generation 3: heldout_bpc -0.1" in line


def test_a_metric_named_for_the_table_must_be_registered():
    import pytest

    from textmad.errors import UserError

    with pytest.raises(UserError, match="'heldout_ecee' not registered metric"):
        detection_rows([], ["heldout_ece", "heldout_ecee"])
