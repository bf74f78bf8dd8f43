"""`textmad run` end to end on recipes/tiny.yaml: run directory, provenance, resume after kill -9,
NaN handling, recipe-change refusal, --new-name, and a 2-process `accelerate launch` run."""
from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, TINY, location_overrides, run_textmad, subprocess_env
from textmad.io import read_json, read_jsonl

ARMS = {"replace": "replace", "fresh-50": "fresh"}
GENERATIONS = 2
GEN_FILES = {"train_mix.jsonl", "samples.jsonl", "train_log.jsonl", "metrics.json", "DONE"}
# figures that measure time, not results
TIMING_KEYS = ("seconds", "tokens_per_second")


def gen_dirs(run: Path) -> list[Path]:
    return [run / "gen-000"] + [run / arm / f"gen-{k:03d}" for k in range(1, GENERATIONS + 1) for arm in ARMS]


def files_of(run: Path) -> set[str]:
    return {p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file()}


def without_timings(obj):
    if isinstance(obj, dict):
        return {k: without_timings(v) for k, v in obj.items()
                if k != "timings" and not k.startswith(TIMING_KEYS)}
    if isinstance(obj, list):
        return [without_timings(v) for v in obj]
    return obj


@pytest.mark.slow
def test_run_directory_is_complete(tiny_run):
    recipe = yaml.safe_load((tiny_run / "recipe.yaml").read_text(encoding="utf-8"))
    assert recipe["name"] == "tiny" and recipe["loop"]["generations"] == GENERATIONS
    env = read_json(tiny_run / "environment.json")
    assert {"packages", "git", "seeds", "device", "num_processes", "command"} <= set(env)
    assert env["num_processes"] == 1 and env["packages"]["torch"]
    manifest = read_json(tiny_run / "corpus.json")
    assert manifest
    for folder in gen_dirs(tiny_run):
        assert GEN_FILES <= {p.name for p in folder.iterdir()}, folder
        model = {p.name for p in (folder / "model").iterdir()}
        assert "model.safetensors" in model and "tokenizer.json" in model, folder
        metrics = read_json(folder / "metrics.json")
        assert metrics["metrics"]["heldout_ppl"] > 1 and metrics["metrics"]["heldout_bpb"] > 0
        assert metrics["metrics"]["gen0_ppl"] > 1
        samples = read_jsonl(folder / "samples.jsonl")
        assert len(samples) == 24 and len({s["id"] for s in samples}) == 24
        assert {s["model_sha256"] for s in samples} == {metrics["model_sha256"]}
        assert len(read_jsonl(folder / "train_log.jsonl")) == metrics["train"]["steps"]

    rows = read_jsonl(tiny_run / "metrics.jsonl")
    assert [(r["arm"], r["generation"]) for r in rows] == [
        (arm, k) for arm in ARMS for k in range(GENERATIONS + 1)]
    with open(tiny_run / "metrics.csv", encoding="utf-8", newline="") as f:
        table = list(csv.DictReader(f))
    assert [(r["arm"], int(r["generation"])) for r in table] == [(r["arm"], r["generation"]) for r in rows]
    assert rows[0]["heldout_ppl"] == rows[GENERATIONS + 1]["heldout_ppl"]  # generation 0 repeated per arm


@pytest.mark.slow
def test_every_training_document_has_its_provenance(tiny_run):
    from textmad.corpus import prepare
    from textmad.recipe import load_recipe

    recipe = load_recipe(tiny_run / "recipe.yaml")
    corpus = prepare(recipe.corpus)
    train = {d["id"]: d["text"] for d in corpus.split("train")}
    fresh = {d["id"]: d["text"] for d in corpus.split("fresh")}
    gen0 = read_jsonl(tiny_run / "gen-000" / "train_mix.jsonl")
    assert {(r["origin"], r["source_id"]) for r in gen0} == {("real", i) for i in train}
    assert all(r["text"] == train[r["source_id"]] for r in gen0)
    fresh_used = set()
    for arm, mode in ARMS.items():
        for k in range(1, GENERATIONS + 1):
            folder = tiny_run / arm / f"gen-{k:03d}"
            previous = tiny_run / "gen-000" if k == 1 else tiny_run / arm / f"gen-{k - 1:03d}"
            samples = {s["id"]: s["text"] for s in read_jsonl(previous / "samples.jsonl")}
            mix = read_jsonl(folder / "train_mix.jsonl")
            assert len({r["id"] for r in mix}) == len(mix)
            for r in mix:
                if r["origin"] == f"synthetic:{k - 1}":
                    assert r["text"] == samples[r["source_id"]]
                else:
                    assert mode == "fresh" and r["origin"] == f"fresh:{k}"
                    assert r["text"] == fresh[r["source_id"]] and r["source_id"] not in fresh_used
                    fresh_used.add(r["source_id"])
            expected = {"replace": {f"synthetic:{k - 1}": 24}, "fresh": {f"synthetic:{k - 1}": 12, f"fresh:{k}": 12}}
            assert {o: sum(r["origin"] == o for r in mix) for o in {r["origin"] for r in mix}} == expected[mode]


@pytest.mark.slow
def test_fresh_generations_get_the_shift_free_tail_measure(tiny_run):
    """mix_tail_* rank the tail on the real text each generation trained on: the fresh slice under fresh, generation
    0's pool under replace (no real text) and at generation 0, where it equals the pool-based tail_coverage."""
    for folder in gen_dirs(tiny_run):
        record = read_json(folder / "metrics.json")
        m, trained = record["metrics"], record["evaluation"]["tail_reference"]["trained"]
        for name in ("mix_tail_coverage", "mix_tail_coverage_vs_real", "mix_tail_drop_vs_gen0"):
            assert isinstance(m[name], float), (folder, name)
            assert record["about"][name]["reference"].startswith("train_mix_real: ")
        assert record["about"]["tail_coverage"]["reference"].startswith("gen0_pool: ")
        if folder.parent.name == "fresh-50":
            assert trained["documents"] == 12 and trained["reference"].startswith("the generation's training mix")
        else:
            assert m["mix_tail_coverage"] == m["tail_coverage"], folder
    assert read_json(tiny_run / "gen-000" / "metrics.json")["metrics"]["mix_tail_drop_vs_gen0"] == 0.0


@pytest.mark.slow
def test_every_generation_continues_the_same_prompts(tiny_run):
    """Prompts are fixed per run, so one prompt's continuations across generations show the drift."""
    def prompts(folder):
        return [(s["prompt_id"], s["prompt"]) for s in read_jsonl(folder / "samples.jsonl")]

    expected = prompts(tiny_run / "gen-000")
    assert len(set(expected)) > 1
    folders = [f for f in gen_dirs(tiny_run) if f.name != "gen-000"]
    assert folders
    for folder in folders:
        assert prompts(folder) == expected, folder


@pytest.mark.slow
def test_resume_after_kill_matches_an_uninterrupted_run(tiny_run, session_dir):
    base = session_dir / "killed"
    run = base / "runs" / "tiny"
    command = [sys.executable, "-m", "textmad", "run", str(TINY), *location_overrides(base)]
    base.mkdir(parents=True)
    log = base / "killed.log"
    with open(log, "wb") as stderr:
        proc = subprocess.Popen(command, cwd=ROOT, env=subprocess_env(), stdout=subprocess.DEVNULL,
                                stderr=stderr, start_new_session=True)
    target = run / "replace" / "gen-002"
    deadline = time.monotonic() + 300
    while not target.exists():
        assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
        assert time.monotonic() < deadline, "the run never reached generation 2"
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (target / "DONE").exists(), "killed too late: generation 2 had already finished"
    assert (run / "replace" / "gen-001" / "DONE").exists()
    (run / ".metrics.jsonl.killed.tmp").write_text('{"half": ', encoding="utf-8")  # a kill inside write_table

    status, out, err = run_textmad("run", str(TINY), *location_overrides(base))
    assert status == 0, err
    assert "resuming" in out and "(done earlier)" in out
    assert files_of(run) == files_of(tiny_run)
    for folder in gen_dirs(tiny_run):
        resumed = run / folder.relative_to(tiny_run)
        for name in ("samples.jsonl", "train_mix.jsonl", "train_log.jsonl"):
            assert read_jsonl(resumed / name) == read_jsonl(folder / name), resumed / name
        assert without_timings(read_json(resumed / "metrics.json")) == without_timings(read_json(folder / "metrics.json"))
    assert without_timings(read_jsonl(run / "metrics.jsonl")) == without_timings(read_jsonl(tiny_run / "metrics.jsonl"))
    assert not [p for p in run.rglob("*") if ".tmp" in p.name], "temporary files left behind"


def diverge(monkeypatch):
    """Every training loss reads as non-finite (the recipe bounds keep a real divergence out of reach)."""
    import torch

    monkeypatch.setattr(torch, "isfinite", lambda t: torch.zeros_like(t, dtype=torch.bool))


@pytest.mark.slow
@pytest.mark.parametrize("clip, advice", [
    ("0", "train.max_grad_norm is 0 (off), try 1.0"),
    ("1.0", "gradients are already clipped (train.max_grad_norm = 1)")])
def test_a_non_finite_loss_stops_the_run_naming_generation_step_and_clipping(session_dir, monkeypatch, clip, advice):
    base = session_dir / f"nan-{clip}"
    diverge(monkeypatch)
    status, _, err = run_textmad("run", str(TINY), *location_overrides(base), f"train.max_grad_norm={clip}")
    assert status == 2 and "Traceback" not in err
    assert "generation 0" in err and "at step 1 of" in err and advice in err and "lower train.learning_rate" in err, err
    assert not (base / "runs" / "tiny" / "gen-000" / "DONE").exists()


@pytest.mark.slow
def test_a_changed_recipe_is_refused_unless_given_a_new_name(tiny_run, session_dir):
    base = tiny_run.parents[1]
    before = (tiny_run / "metrics.jsonl").read_bytes()
    status, _, err = run_textmad("run", str(TINY), *location_overrides(base), "train.epochs=2",
                                 "generate.temperature=0.8")
    assert status == 2
    assert "train.epochs: 1.0 -> 2.0" in err and "generate.temperature: 1.0 -> 0.8" in err and "--new-name" in err
    assert (tiny_run / "metrics.jsonl").read_bytes() == before

    status, out, err = run_textmad("run", str(TINY), *location_overrides(base), "loop.generations=1",
                                   "--new-name", "tiny-short")
    assert status == 0, err
    new = base / "runs" / "tiny-short"
    stored = yaml.safe_load((new / "recipe.yaml").read_text(encoding="utf-8"))
    assert stored["name"] == "tiny-short" and stored["loop"]["generations"] == 1
    assert all((new / arm / "gen-001" / "DONE").exists() for arm in ARMS)
    assert (tiny_run / "metrics.jsonl").read_bytes() == before


# Installed through PYTHONPATH as sitecustomize, so the command stays exactly `accelerate launch -m textmad`:
# logs every file opened for writing or renamed into place under ROOT, with the writing process's rank.
WRITE_LOGGER = '''
import builtins, io, json, os
_root, _log = os.environ["TEXTMAD_WRITE_ROOT"], os.environ["TEXTMAD_WRITE_LOG"]
_open, _replace, _rename = io.open, os.replace, os.rename

def _record(kind, path):
    path = os.path.abspath(os.fsdecode(os.fspath(path)))
    if path.startswith(_root):
        with _open(f"{_log}.{os.getpid()}", "a", encoding="utf-8") as f:
            f.write(json.dumps({"rank": os.environ.get("RANK", "0"), "kind": kind, "path": path}) + "\\n")

def _open_logged(file, mode="r", *args, **kwargs):
    if isinstance(file, (str, bytes, os.PathLike)) and any(c in mode for c in "wax+"):
        _record("open", file)
    return _open(file, mode, *args, **kwargs)

def _replace_logged(src, dst, *args, **kwargs):
    _record("rename", dst)
    return _replace(src, dst, *args, **kwargs)

def _rename_logged(src, dst, *args, **kwargs):
    _record("rename", dst)
    return _rename(src, dst, *args, **kwargs)

builtins.open = io.open = _open_logged
os.replace, os.rename = _replace_logged, _rename_logged
'''


@pytest.mark.slow
def test_two_processes_match_the_single_process_structure_and_write_each_file_once(tiny_run, session_dir,
                                                                                   tmp_path):
    if shutil.which("accelerate") is None:
        pytest.skip("the accelerate CLI is not on PATH")
    base = session_dir / "two"
    (tmp_path / "sitecustomize.py").write_text(WRITE_LOGGER, encoding="utf-8")
    env = subprocess_env(PYTHONPATH=str(tmp_path), TEXTMAD_WRITE_ROOT=str(base), TEXTMAD_WRITE_LOG=str(tmp_path / "writes"),
                   ACCELERATE_USE_CPU="1")
    # accelerate's --cpu launcher starts one process unless mpirun is installed; torchrun (--multi_gpu)
    # with ACCELERATE_USE_CPU gives 2 processes on gloo
    command = ["accelerate", "launch", "--multi_gpu", "--num_processes", "2", "--num_machines", "1",
               "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "textmad", "run", str(TINY),
               *location_overrides(base)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = base / "runs" / "tiny"
    assert read_json(run / "environment.json")["num_processes"] == 2
    assert files_of(run) == files_of(tiny_run)
    for folder in gen_dirs(tiny_run):  # train.batch_size is the global batch: the same steps and schedule
        one, two = (read_jsonl(d / "train_log.jsonl") for d in (folder, run / folder.relative_to(tiny_run)))
        assert [r["lr"] for r in two] == pytest.approx([r["lr"] for r in one]), folder
    one, two = (read_jsonl(d / "gen-000" / "train_log.jsonl") for d in (tiny_run, run))
    assert two[0]["loss"] == pytest.approx(one[0]["loss"], rel=1e-4)  # the same blocks in the first step
    for folder in gen_dirs(tiny_run):
        twin = run / folder.relative_to(tiny_run)
        for name in ("samples.jsonl", "train_mix.jsonl"):
            rows = read_jsonl(twin / name)
            assert len(rows) == len(read_jsonl(folder / name)) and len({r["id"] for r in rows}) == len(rows)
    summaries = [line for line in done.stdout.splitlines() if " gen " in line]
    assert len(summaries) == 1 + GENERATIONS * len(ARMS), done.stdout  # printed once, by the main process

    writes = [json.loads(line) for log in tmp_path.glob("writes.*") for line in log.read_text().splitlines()]
    assert {w["rank"] for w in writes} == {"0"}, [w for w in writes if w["rank"] != "0"][:5]
    renamed = [Path(w["path"]).relative_to(run).as_posix() for w in writes
               if w["kind"] == "rename" and Path(w["path"]).is_relative_to(run)]
    per_generation = [p for p in renamed if "/gen-" in "/" + p]
    assert {p for p in per_generation if p.rsplit("/", 1)[-1] in GEN_FILES | {"model"}} == {
        f"{d.relative_to(tiny_run).as_posix()}/{name}" for d in gen_dirs(tiny_run) for name in GEN_FILES | {"model"}}
    assert len(per_generation) == len(set(per_generation)), "a generation file was written twice"


def test_an_infeasible_recipe_is_refused_before_anything_is_written(session_dir):
    base = session_dir / "infeasible"
    status, _, err = run_textmad("run", str(TINY), *location_overrides(base), "loop.generations=50")
    assert status == 2
    assert "needs 600 fresh documents over 50 generations" in err and "fresh pool has 36" in err, err
    assert not (base / "runs").exists()
