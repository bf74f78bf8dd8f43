"""One writer per run directory, with real processes: a second `textmad run` is refused naming the
first; a killed holder's lock never blocks the resume; SIGTERM stops a run cleanly and resumably."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import ROOT, TINY, location_overrides, run_textmad, subprocess_env
from textmad import rundir

pytestmark = pytest.mark.slow  # every test here runs the loop in subprocesses (README: the fast test loop)


def start(base, *extra):
    base.mkdir(parents=True, exist_ok=True)
    log = open(base / f"textmad-{time.monotonic_ns()}.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "textmad", "run", str(TINY), *location_overrides(base), *extra],
                            cwd=ROOT, env=subprocess_env(), stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    return proc, log


def output(log) -> str:
    log.seek(0)
    return log.read()


def wait_for(path, proc, log, timeout=300):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, output(log)[-3000:]
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_second_writer_is_refused_and_a_killed_holder_does_not_block_the_resume(session_dir):
    base = session_dir / "lock"
    run = base / "runs" / "tiny"
    first, first_log = start(base)
    wait_for(run / rundir.LOCK_INFO, first, first_log)
    holder = rundir.lock_holder(run)
    assert holder["pid"] == first.pid and holder["host"] == socket.gethostname() and rundir.is_locked(run)
    # paused, the holder keeps its lock however long the second process takes to start on a busy machine
    os.killpg(first.pid, signal.SIGSTOP)

    second = subprocess.run([sys.executable, "-m", "textmad", "run", str(TINY), *location_overrides(base)],
                            cwd=ROOT, env=subprocess_env(), capture_output=True, text=True, timeout=300)
    assert first.poll() is None, "the first run ended before the second tried: the test proves nothing"
    assert second.returncode == 2 and "Traceback" not in second.stderr, second.stderr
    assert "another textmad process is writing this run" in second.stderr
    assert f"pid {first.pid} on {socket.gethostname()}, started {holder['started']}" in second.stderr

    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    assert not rundir.is_locked(run) and rundir.lock_holder(run) == {}
    assert (run / rundir.LOCK_INFO).exists()  # the killed holder's note stays; the kernel dropped its lock
    status, out, err = run_textmad("run", str(TINY), *location_overrides(base))
    assert status == 0, err
    assert all((run / arm / "gen-002" / rundir.DONE).exists() for arm in ("replace", "fresh-50"))
    assert not (run / rundir.LOCK_INFO).exists() and not rundir.is_locked(run)


def test_sigterm_stops_the_run_keeping_finished_generations(session_dir):
    base = session_dir / "sigterm"
    run = base / "runs" / "tiny"
    proc, log = start(base, "loop.generations=1")
    wait_for(run / "gen-000" / rundir.DONE, proc, log)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 128 + signal.SIGTERM
    text = output(log)
    assert "stopped by SIGTERM" in text and "run the same command again" in text and "Traceback" not in text, text
    assert (run / "gen-000" / rundir.DONE).exists() and not rundir.is_locked(run)
    assert not [p for p in run.rglob("*") if ".tmp" in p.name]

    status, out, err = run_textmad("run", str(TINY), *location_overrides(base), "loop.generations=1")
    assert status == 0, err
    assert "resuming" in out and "(done earlier)" in out
    assert all((run / arm / "gen-001" / rundir.DONE).exists() for arm in ("replace", "fresh-50"))
