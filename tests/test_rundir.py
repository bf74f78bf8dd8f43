"""The run directory as a boundary and a record: confinement, damaged files, launch settings, the
restart rule, the run table's naming columns and ``textmad.load_runs``."""
from __future__ import annotations

import json
import math
import shutil

import pytest
import yaml

from conftest import TINY, location_overrides, run_textmad
from textmad import rundir
from textmad.errors import UserError
from textmad.evaluate.context import rebuild_table
from textmad.io import read_json, read_jsonl, write_json
from textmad.recipe import load_recipe


def copy_run(tiny_run, base):
    """A copy of the session's tiny run at base/runs/tiny, resumable with location_overrides(base)."""
    run = base / "runs" / "tiny"
    shutil.copytree(tiny_run, run)
    return run


def snapshot(folder):
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_inside_refuses_paths_that_leave_the_run(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "link").symlink_to(tmp_path)
    assert rundir.inside(run, run / "replace" / "gen-001") == run / "replace" / "gen-001"
    for escaping in (run / ".." / "x", run / "/etc" / "gen-001", run / "link" / "gen-001", run):
        with pytest.raises(UserError, match="outside"):
            rundir.inside(run, escaping)


@pytest.mark.slow
def test_an_escaping_arm_never_touches_a_folder_outside_the_run(session_dir, tmp_path):
    """Recipe validation refuses such names; this builds the Recipe directly to prove the loop's own check."""
    from accelerate import Accelerator

    from textmad.loop import Loop
    from textmad.recipe import load_recipe

    outside = tmp_path / "outside"
    (outside / "gen-001").mkdir(parents=True)
    (outside / "gen-001" / "keep.txt").write_text("precious", encoding="utf-8")
    before = snapshot(outside)
    base = session_dir / "escape"
    recipe = load_recipe(TINY, [*location_overrides(base), "loop.generations=1"])
    recipe.loop.arms[0].name = str(outside)  # an absolute arm name: RUN / "/abs" is "/abs"
    with pytest.raises(UserError, match="outside"):
        Loop(recipe, Accelerator()).run()
    assert snapshot(outside) == before
    assert (base / "runs" / "tiny" / "gen-000" / "DONE").exists()  # generation 0 lies inside and finished

    recipe.name = "../escaped"
    with pytest.raises(UserError, match="outside"):
        Loop(recipe, Accelerator())
    assert not (base / "escaped").exists()


def test_output_dir_that_is_a_file_is_refused_before_anything_is_written(tmp_path):
    blocker = tmp_path / "runs"
    blocker.write_text("not a folder", encoding="utf-8")
    status, _, err = run_textmad("run", str(TINY), f"output_dir={blocker}", f"corpus.prepared_dir={tmp_path / 'p'}",
                                 f"model.cache_dir={tmp_path / 'c'}")
    assert status == 2 and "Traceback" not in err
    assert f"{blocker}: exists and is not a folder" in err and "output_dir" in err, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


@pytest.mark.skipif(not hasattr(__import__("os"), "geteuid") or __import__("os").geteuid() == 0,
                    reason="root writes anywhere, so a read-only folder cannot be shown")
def test_output_dir_that_cannot_be_written_is_refused(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    status, _, err = run_textmad("run", str(TINY), f"output_dir={locked / 'runs'}",
                                 f"corpus.prepared_dir={tmp_path / 'p'}", f"model.cache_dir={tmp_path / 'c'}")
    assert status == 2 and f"{locked}: not writable" in err, err


def test_check_writable_names_the_blocking_folder(tmp_path, monkeypatch):
    import os

    monkeypatch.setattr(os, "access", lambda path, mode: False)  # as if the folder were read-only
    with pytest.raises(UserError, match=f"{tmp_path}: not writable"):
        rundir.check_writable(tmp_path / "runs" / "tiny")
    with pytest.raises(UserError, match="file-system root"):
        rundir.check_writable(tmp_path / ".." / ".." / ".." / ".." / ".." / ".." / ".." / "..")


@pytest.mark.slow
def test_a_damaged_finished_generation_names_file_line_and_the_way_back(tiny_run, session_dir):
    from textmad.report.rundir import Run

    base = session_dir / "damaged"
    run = copy_run(tiny_run, base)
    samples = run / "replace" / "gen-001" / "samples.jsonl"
    lines = samples.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[2] = lines[2][: len(lines[2]) // 2] + "\n"  # a torn line
    samples.write_text("".join(lines), encoding="utf-8")
    (run / "replace" / "gen-002" / "DONE").unlink()  # its mix reads the damaged samples

    status, _, err = run_textmad("run", str(TINY), *location_overrides(base))
    assert status == 2 and "Traceback" not in err
    assert f"{samples}:3" in err and f"Delete {run / 'replace' / 'gen-001' / 'DONE'}" in err, err
    with pytest.raises(UserError, match=f"{samples}:3"):
        Run(run).samples("replace", 1)

    metrics = run / "fresh-50" / "gen-001" / "metrics.json"
    metrics.write_text('{"generation": 1,\n  "mix": ', encoding="utf-8")
    with pytest.raises(UserError, match=f"{metrics}:2.*Delete {run / 'fresh-50' / 'gen-001' / 'DONE'}"):
        rebuild_table(run, load_recipe(run / rundir.RECIPE))

    table = run / "metrics.jsonl"
    rows = table.read_text(encoding="utf-8")
    table.write_text(rows[:-40] + "\n", encoding="utf-8")  # a torn last row
    with pytest.raises(UserError, match=f"{table}:{rows.count(chr(10))}: .*rewrite the run table"):
        Run(run).table


@pytest.mark.slow
def test_a_resume_under_other_launch_settings_is_refused(tiny_run, session_dir):
    base = session_dir / "relaunch"
    run = copy_run(tiny_run, base)
    env = read_json(run / "environment.json")
    assert env["launch"] == {"num_processes": 1, "device_type": "cpu", "mixed_precision": "no", "dtype": "float32"}
    env["launch"]["num_processes"] = 2
    write_json(run / "environment.json", env)
    before = snapshot(run)
    status, _, err = run_textmad("run", str(TINY), *location_overrides(base))
    assert status == 2 and "num_processes: 2 -> 1" in err and "--new-name" in err, err
    assert snapshot(run) == before


def test_recipe_differences_take_nan_as_equal():
    from textmad.recipe import recipe_differences

    nan = float("nan")
    assert recipe_differences({"generate": {"temperature": nan}}, {"generate": {"temperature": nan}}) == []
    assert recipe_differences({"generate": {"temperature": nan}}, {"generate": {"temperature": 1.0}}) == [
        "generate.temperature: nan -> 1.0"]


@pytest.mark.slow
def test_a_run_without_a_finished_generation_restarts_with_a_changed_recipe(session_dir, monkeypatch):
    import torch

    base = session_dir / "restart"
    small = [*location_overrides(base), "loop.generations=1"]
    with monkeypatch.context() as patch:  # generation 0 diverges: the run stops before any DONE
        patch.setattr(torch, "isfinite", lambda t: torch.zeros_like(t, dtype=torch.bool))
        status, _, err = run_textmad("run", str(TINY), *small, "train.learning_rate=5", "train.max_grad_norm=0")
    assert status == 2 and "at step" in err, err
    run = base / "runs" / "tiny"
    assert yaml.safe_load((run / "recipe.yaml").read_text(encoding="utf-8"))["train"]["max_grad_norm"] == 0
    assert not rundir.has_finished(run)

    status, out, err = run_textmad("run", str(TINY), *small)
    assert status == 0, err
    assert "restarting with a changed recipe, since no generation has finished" in out
    assert "train.learning_rate: 5.0 -> 0.003" in out and "train.max_grad_norm: 0.0 -> 1.0" in out, out
    stored = yaml.safe_load((run / "recipe.yaml").read_text(encoding="utf-8"))
    assert stored["train"]["learning_rate"] == 0.003 and stored["train"]["max_grad_norm"] == 1.0
    assert all((run / arm / "gen-001" / "DONE").exists() for arm in ("replace", "fresh-50"))


@pytest.mark.slow
def test_the_run_table_names_run_corpus_and_language(tiny_run, tiny_run_bn):
    for run, name, corpus, language in ((tiny_run, "tiny", "lee-en", "en"), (tiny_run_bn, "tiny-bn", "quran-bn", "bn")):
        rows = read_jsonl(run / "metrics.jsonl")
        assert {(r["run"], r["corpus"], r["language"]) for r in rows} == {(name, corpus, language)}
        assert list(rows[0])[:4] == ["run", "corpus", "language", "arm"]
        header = (run / "metrics.csv").read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("run,corpus,language,arm,mode,generation,")


@pytest.mark.slow
def test_load_runs_concatenates_run_tables(tiny_run, tiny_run_bn):
    import textmad

    frame = textmad.load_runs([tiny_run, tiny_run_bn])
    rows = read_jsonl(tiny_run / "metrics.jsonl") + read_jsonl(tiny_run_bn / "metrics.jsonl")
    assert len(frame) == len(rows) == 12
    assert list(frame["language"]) == [r["language"] for r in rows]
    assert list(frame["path"]) == [str(tiny_run)] * 6 + [str(tiny_run_bn)] * 6
    for column in ("generation", "heldout_ppl", "train_steps"):
        assert [float(v) for v in frame[column]] == pytest.approx([float(r[column]) for r in rows])
    bengali = frame[(frame.language == "bn") & (frame.arm == "replace")].sort_values("generation")
    assert list(bengali.generation) == [0, 1, 2] and all(math.isfinite(v) for v in bengali.heldout_ppl)
    with pytest.raises(UserError, match="not a run directory"):
        textmad.load_runs([tiny_run / "gen-000"])


@pytest.mark.slow
def test_environment_records_the_launch(tiny_run):
    env = json.loads((tiny_run / "environment.json").read_text(encoding="utf-8"))
    assert env["launch"]["num_processes"] == env["num_processes"] == 1
    assert not (tiny_run / rundir.LOCK_INFO).exists() and not rundir.is_locked(tiny_run)
