"""`textmad sweep` on a cluster (issue 25): submitit's local launcher gives the sequential path's summary,
the Slurm launcher submits one job array with the options asked for (its sbatch file checked, with fake
`srun`/`sbatch` since Slurm is not here), the plain sbatch script runs its tasks locally, `--status` sees a
running and a killed run, a requeued job calls the same resume, and bad input is refused before anything
is submitted or written. Logs are never written through a symbolic link."""
from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, subprocess_env
from textmad import rundir
from textmad.cli import main
from textmad.sweep import plan
from textmad.sweep.execute import MULTI_GPU_CONFIG, open_log, run_command
from textmad.errors import UserError

TINY = str(ROOT / "recipes" / "tiny.yaml")
# 2 grid points (temperature) x 2 seeds, one arm (fresh-50) of 1 generation each: the smallest real sweep
SMALL = ["loop.generations=1", "loop.arms=[]", "sweep.modes=[fresh]", "sweep.real_share=[0.5]",
         "sweep.metric=heldout_bpb", "evaluate.metrics=[perplexity]",
         "sweep.keys=[{key: generate.temperature, values: [0.7, 1.0]}]"]


def small(tmp_path, *extra):
    # the corpus and model caches beside the test's folder (as conftest.location_overrides), never in the cwd
    return ["sweep", TINY, f"output_dir={tmp_path}", f"corpus.prepared_dir={tmp_path.parent / 'prepared'}",
            f"model.cache_dir={tmp_path.parent / 'cache'}", *SMALL, *extra, "--seeds", "0,1"]


@pytest.fixture(autouse=True)
def in_tmp(tmp_path, monkeypatch):
    """Run every test from its own folder: a sweep planned with only output_dir prepares its corpus under
    ./prepared, which must never be the folder the suite was started from."""
    monkeypatch.chdir(tmp_path)


def cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def one_thread(monkeypatch):
    """Runs started by submitit inherit this environment: this checkout, one thread (same numbers as in-process)."""
    env = subprocess_env()
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    monkeypatch.setenv("PYTHONPATH", env["PYTHONPATH"])


# ---------------------------------------------------------------- the local launcher

@pytest.mark.slow
def test_local_launcher_gives_the_sequential_summary(tmp_path, capsys, one_thread):
    code, out, err = cli(capsys, *small(tmp_path / "seq"))
    assert code == 0, err
    code, out, err = cli(capsys, *small(tmp_path / "local"), "--launcher", "local", "--jobs", "2")
    assert code == 0, err
    assert out.count("started textmad run") == 4 and out.count("finished: ") == 4
    seq, local = tmp_path / "seq" / "tiny", tmp_path / "local" / "tiny"
    for name in ("summary.csv", "threshold.json"):
        assert (local / name).read_bytes() == (seq / name).read_bytes(), name
    # one log per run in SWEEP/logs, submitit's own files in SWEEP/submitit
    assert sorted(p.name for p in (local / "logs").iterdir()) == [
        "generate.temperature-0.7_seed-0.log", "generate.temperature-0.7_seed-1.log",
        "generate.temperature-1_seed-0.log", "generate.temperature-1_seed-1.log"]
    assert any((local / "submitit").rglob("*_result.pkl"))
    # a second start finds every run finished and starts nothing
    code, out, _ = cli(capsys, *small(tmp_path / "local"), "--launcher", "local")
    assert code == 0 and "started" not in out
    code, out, _ = cli(capsys, *small(tmp_path / "local"), "--status")
    assert out.count("finished ") == 4 and "4 run(s): 4 finished" in out


def test_a_requeued_job_resubmits_the_same_run(tmp_path):
    """submitit's checkpointing hook (preemption, timeout) resubmits the same `textmad run` call, which resumes."""
    from textmad.sweep.launch import RunJob

    job = RunJob()
    args = ([TINY, "--seeds", "0"], str(tmp_path), str(tmp_path / "logs" / "seed-0.log"), 1, {})
    again = job.checkpoint(*args)
    assert again.function is job and again.args == args


def test_a_symbolic_link_at_a_log_is_never_written_through(tmp_path, capsys):
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    sweep_dir = tmp_path / "runs" / "tiny"
    (sweep_dir / "logs").mkdir(parents=True)
    link = sweep_dir / "logs" / "generate.temperature-0.7_seed-1.log"
    link.symlink_to(outside)
    code, _, err = cli(capsys, *small(tmp_path / "runs"), "--launcher", "local", "--jobs", "2")
    assert code == 2 and f"{link}: a symbolic link; refusing to write a log through it" in err
    assert outside.read_text() == "keep me\n"
    assert sorted(p.name for p in sweep_dir.iterdir()) == ["logs"]  # nothing started, nothing written
    with pytest.raises(UserError, match="outside .*; refusing to write or delete it"):
        open_log(sweep_dir, link)  # what the job itself does, should the link appear after the check
    inner = sweep_dir / "summary.csv"  # a link to a file inside the sweep: still not followed (O_NOFOLLOW)
    inner.write_text("keep me too\n")
    link.unlink()
    link.symlink_to(inner)
    with pytest.raises(UserError, match="a symbolic link; refusing to write the log through it"):
        open_log(sweep_dir, link)
    assert outside.read_text() == "keep me\n" and inner.read_text() == "keep me too\n"
    inner.unlink()
    link.unlink()
    (sweep_dir / "logs").rmdir()
    (sweep_dir / "logs").symlink_to(tmp_path)  # the whole folder pointing elsewhere
    code, _, err = cli(capsys, *small(tmp_path / "runs"), "--launcher", "local")
    assert code == 2 and "logs: a symbolic link" in err


# ---------------------------------------------------------------- Slurm, without Slurm

def fake_slurm(tmp_path, monkeypatch) -> Path:
    """`srun` and `sbatch` stand-ins: sbatch keeps the file it was given and answers like Slurm."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "srun").write_text("#!/bin/sh\nexit 0\n")
    (bin_dir / "sbatch").write_text(f"#!/bin/sh\ncp \"$1\" {tmp_path}/submitted.sh\necho 'Submitted batch job 4242'\n")
    for tool in ("srun", "sbatch"):
        (bin_dir / tool).chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return tmp_path / "submitted.sh"


def test_slurm_launcher_submits_one_array_with_the_options(tmp_path, capsys, monkeypatch):
    submitted = fake_slurm(tmp_path, monkeypatch)
    code, out, err = cli(capsys, *small(tmp_path / "runs"), "--launcher", "slurm", "--slurm-partition", "gpu",
                         "--slurm-time", "90", "--slurm-gpus-per-task", "2", "--slurm-cpus-per-task", "4",
                         "--slurm-mem", "16", "--slurm-array-parallelism", "3",
                         "--slurm-setup", "module load cuda")
    assert code == 0, err
    sweep_dir = tmp_path / "runs" / "tiny"
    assert "submitted 4 run(s) as Slurm job array 4242 (tasks 4242_0 to 4242_3)" in out
    assert f"4242_1: {sweep_dir / 'generate.temperature-0.7' / 'seed-1'}" in out
    assert "--status`" in out and "--summarize`" in out
    script = submitted.read_text()
    for line in ("#SBATCH --array=0-3%3", "#SBATCH --partition=gpu", "#SBATCH --time=90",
                 "#SBATCH --gpus-per-task=2", "#SBATCH --cpus-per-task=4", "#SBATCH --mem=16GB",
                 "#SBATCH --ntasks-per-node=1", "#SBATCH --job-name=textmad-tiny", "module load cuda"):
        assert line in script.splitlines(), line
    assert str(sweep_dir / "submitit") in script
    # each task's pickled call: that grid point and seed, its log, under accelerate launch with 2 processes
    calls = sorted((sweep_dir / "submitit").glob("4242_*_submitted.pkl"))
    assert len(calls) == 4
    with open(sweep_dir / "submitit" / "4242_2_submitted.pkl", "rb") as f:
        call = pickle.load(f)
    args, where, log, gpus, _ = call.args
    assert args[-3:] == ["generate.temperature=1.0", "--seeds", "0"] and gpus == 2
    assert log == str(sweep_dir / "logs" / "generate.temperature-1_seed-0.log") and where == str(sweep_dir)
    command = run_command(args, gpus)
    assert command[1:8] == ["-m", "accelerate.commands.launch", "--config_file", str(MULTI_GPU_CONFIG),
                            "--num_processes", "2", "-m"] and MULTI_GPU_CONFIG.is_file()
    assert not any(sweep_dir.glob("*/seed-*"))  # nothing ran here


def test_slurm_launcher_without_slurm_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no srun
    code, _, err = cli(capsys, *small(tmp_path / "runs"), "--launcher", "slurm")
    assert code == 2 and "srun" in err and "--print-commands sbatch" in err and "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written


# ---------------------------------------------------------------- the plain sbatch script

@pytest.mark.slow
def test_sbatch_script_runs_its_tasks_locally(tmp_path, capsys):
    code, script, err = cli(capsys, *small(tmp_path / "runs"), "--print-commands", "sbatch",
                            "--slurm-partition", "cpu", "--slurm-time", "30", "--slurm-array-parallelism", "2")
    assert code == 0, err
    lines = script.splitlines()
    assert lines[0] == "#!/bin/bash" and "#SBATCH --array=0-3%2" in lines and "#SBATCH --partition=cpu" in lines
    assert "#SBATCH --time=30" in lines and not (tmp_path / "runs").exists()  # printed, nothing written
    path = tmp_path / "sweep.sbatch"
    path.write_text(script)
    sweep = plan(TINY, [f"output_dir={tmp_path / 'runs'}", *SMALL], "0,1")
    for task in (1, 2):
        done = subprocess.run(["bash", str(path)], env=subprocess_env(SLURM_ARRAY_TASK_ID=str(task)),
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        job = sweep.jobs[task]
        assert f"--seeds {job.seed}" in done.stdout and rundir.is_done(job.run_dir / "fresh-50" / "gen-001")
        assert "finished" in sweep.log(job).read_text() or sweep.log(job).stat().st_size > 0
    # exactly jobs 1 and 2 ran: task k is job k
    ran = [j for j in sweep.jobs if (j.run_dir / "recipe.yaml").is_file()]
    assert ran == sweep.jobs[1:3]
    assert [(j.point, j.seed) for j in ran] == [("generate.temperature-0.7", 1), ("generate.temperature-1", 0)]
    bad = subprocess.run(["bash", str(path)], env=subprocess_env(SLURM_ARRAY_TASK_ID="4"), capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "SLURM_ARRAY_TASK_ID=4: out of 0-3" in bad.stderr
    unset = subprocess.run(["bash", str(path)], env={k: v for k, v in subprocess_env().items()
                                                     if k != "SLURM_ARRAY_TASK_ID"}, capture_output=True, text=True)
    assert unset.returncode != 0 and "set SLURM_ARRAY_TASK_ID" in unset.stderr
    code, accelerated, _ = cli(capsys, *small(tmp_path / "runs"), "--print-commands", "sbatch-accelerate")
    assert 'accelerate launch -m textmad run "${ARGS[@]}"' in accelerated


# ---------------------------------------------------------------- --status

@pytest.mark.slow
def test_status_sees_a_running_and_a_killed_run(tmp_path, capsys):
    sweep = plan(TINY, [f"output_dir={tmp_path}", *SMALL], "0,1")
    job = sweep.jobs[1]
    fd = open_log(sweep.dir, sweep.log(job))
    proc = subprocess.Popen(run_command(job.args), stdout=fd, stderr=subprocess.STDOUT, env=subprocess_env())
    os.close(fd)
    try:
        deadline = time.time() + 120
        while not (rundir.lock_holder(job.run_dir) and (job.run_dir / "recipe.yaml").is_file()) \
                and time.time() < deadline:
            time.sleep(0.2)
        code, out, _ = cli(capsys, *small(tmp_path), "--status")
        assert code == 0
        assert f"running      generate.temperature-0.7/seed-1 (pid {proc.pid} on " in out
        assert "not started  generate.temperature-0.7/seed-0" in out
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    code, out, _ = cli(capsys, *small(tmp_path), "--status")
    assert "failed       generate.temperature-0.7/seed-1" in out
    assert f"log: {sweep.log(job)}" in out and "4 run(s): 3 not started, 1 failed" in out
    # --summarize works with runs missing and says which
    code, out, _ = cli(capsys, *small(tmp_path), "--summarize")
    assert code == 0 and "seed-1/fresh-50: unfinished" in out and "seed-0/fresh-50: not started" in out


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, message", [
    (["--slurm-partition", "gpu"], "--slurm-partition: Slurm options need --launcher slurm"),
    (["--launcher", "local", "--slurm-time", "60"], "Slurm options need --launcher slurm (or --print-commands sbatch)"),
    (["--launcher", "slurm", "--slurm-partition", "gpu;rm -rf"], "--slurm-partition 'gpu;rm -rf': expected a partition"),
    (["--launcher", "slurm", "--slurm-time", "1:00:00"], "--slurm-time '1:00:00': expected the time limit in whole minutes"),
    (["--launcher", "slurm", "--slurm-mem", "16G"], "--slurm-mem '16G': expected memory in GB"),
    (["--launcher", "slurm", "--slurm-gpus-per-task", "0"], "expected a whole number of GPUs"),
    (["--launcher", "slurm", "--slurm-gpus-per-task", "3"], "train.batch_size = 8"),
    (["--launcher", "slurm", "--jobs", "2"], "with --launcher slurm use --slurm-array-parallelism"),
    (["--status", "--summarize"], "give one of them"),
])
def test_bad_cluster_input_is_refused_before_anything(tmp_path, capsys, args, message):
    code, out, err = cli(capsys, *small(tmp_path), *args)
    assert code == 2 and message in err and "Traceback" not in err, err
    assert list(tmp_path.iterdir()) == []


def test_unknown_launcher_and_missing_submitit(tmp_path, capsys, monkeypatch):
    with pytest.raises(SystemExit) as stop:
        main(small(tmp_path, "--launcher", "kubernetes"))
    assert stop.value.code == 2 and "invalid choice: 'kubernetes' (choose from 'local', 'slurm')" in capsys.readouterr().err
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "submitit" else real(name, *a))
    code, _, err = cli(capsys, *small(tmp_path), "--launcher", "local")
    assert code == 2 and "pip install 'textmad[cluster]'" in err
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setitem(sys.modules, "submitit", None)  # not importable: the plain sbatch script needs none
    code, script, err = cli(capsys, *small(tmp_path), "--print-commands", "sbatch")
    assert code == 0 and "#SBATCH --array=0-3" in script, err


def test_a_sweep_another_sweep_is_starting_is_refused(tmp_path, capsys):
    sweep_dir = tmp_path / "tiny"
    with rundir.hold_lock(sweep_dir):
        code, _, err = cli(capsys, *small(tmp_path), "--launcher", "local", "--jobs", "2")
    assert code == 2 and f"{sweep_dir}: another `textmad sweep` is starting this sweep's runs (pid {os.getpid()}" in err
    assert not (sweep_dir / "sweep.yaml").exists() and not any(sweep_dir.glob("*/seed-*"))


@pytest.mark.slow
def test_a_preempted_local_job_is_requeued_and_resumes_to_the_same_run(tmp_path, one_thread):
    """Preemption as Slurm does it (SIGUSR2 to the job): submitit's hook requeues the same call, the killed
    `textmad run` resumes its run directory, and the run ends as an uninterrupted one does."""
    import submitit

    from textmad.sweep.launch import RunJob

    sweep = plan(TINY, [f"output_dir={tmp_path / 'runs'}", *SMALL], "0")
    job = sweep.jobs[0]
    executor = submitit.LocalExecutor(folder=tmp_path / "submitit")
    executor.update_parameters(timeout_min=60)
    handle = executor.submit(RunJob(), job.args, str(sweep.dir), str(sweep.log(job)), 1, {})
    deadline = time.time() + 300
    while not rundir.is_done(job.run_dir / "gen-000") and time.time() < deadline:
        time.sleep(0.2)
    holder = rundir.lock_holder(job.run_dir)
    assert holder and not rundir.is_done(job.run_dir / "fresh-50" / "gen-001")
    worker = int(Path(f"/proc/{holder['pid']}/stat").read_text().rsplit(")", 1)[1].split()[1])  # its parent
    os.kill(worker, signal.SIGUSR2)
    assert handle.result() == 0
    assert "Requeued" in handle.stderr() + handle.stdout() or "requeue" in (handle.stderr() + handle.stdout()).lower()
    assert rundir.is_done(job.run_dir / "fresh-50" / "gen-001")
    log = sweep.log(job).read_text()
    # both attempts in one log: the preempted one started, the requeued one resumed from generation 0
    assert log.count(": starting;") == 1 and log.count(": resuming;") == 1 and "(done earlier)" in log
    assert log.index(": starting;") < log.index(": resuming;") and log.count("done: ") == 1
    # the same numbers as a run that was never interrupted
    assert main(["run", *job.args[:-2], f"output_dir={tmp_path / 'again'}", "--seeds", str(job.seed)]) == 0
    again = tmp_path / "again" / "tiny" / job.point / f"seed-{job.seed}"

    def table(run_dir):
        return [{k: v for k, v in row.items() if not k.startswith("seconds")} for row in rundir.read_table(run_dir)]

    assert table(job.run_dir) == table(again)
