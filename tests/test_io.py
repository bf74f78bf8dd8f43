"""io.atomic_dir: a folder is replaced whole or not at all; a killed writer's temporary folder is
removed by the next call, a live writer's is left alone."""
from __future__ import annotations

import subprocess
import sys
import time

import pytest

from textmad.io import atomic_dir, clean_stale

from conftest import subprocess_env

# Writes one file into atomic_dir(argv[1]), says so, then waits to be killed inside the block.
WRITER = """
import sys, time
from textmad.io import atomic_dir
with atomic_dir(sys.argv[1]) as tmp:
    (tmp / "weights").write_text("new")
    print(tmp, flush=True)
    time.sleep(600)
"""


def _writer(target):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True,
                            env=subprocess_env())
    tmp = proc.stdout.readline().strip()
    assert tmp, "the writer did not start"
    return proc, tmp


def _leftovers(parent):
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_replaces_whole_folder(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "old-only").write_text("old")
    with atomic_dir(target) as tmp:
        assert tmp.parent == tmp_path and tmp.name.startswith(".model.tmp-")
        (tmp / "weights").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["weights"]
    assert _leftovers(tmp_path) == []


def test_exception_keeps_old_folder(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "weights").write_text("old")
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "weights").write_text("half")
        raise RuntimeError("disk full")
    assert (target / "weights").read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_killed_writer_leaves_only_tmp_which_next_call_cleans(tmp_path):
    target = tmp_path / "model"
    target.mkdir()
    (target / "weights").write_text("old")
    proc, tmp = _writer(target)
    proc.kill()
    proc.wait()
    assert (target / "weights").read_text() == "old"  # untouched by the killed writer
    assert _leftovers(tmp_path) == [f".model.tmp-{tmp.rsplit('.model.tmp-', 1)[1]}"]
    with atomic_dir(target) as new:
        (new / "weights").write_text("redone")
    assert (target / "weights").read_text() == "redone"
    assert _leftovers(tmp_path) == []


def test_live_writer_folder_is_left_alone(tmp_path):
    target = tmp_path / "model"
    proc, tmp = _writer(target)
    try:
        clean_stale(target)
        time.sleep(0.1)
        assert (tmp_path / tmp.rsplit("/", 1)[1] / "weights").read_text() == "new"
    finally:
        proc.kill()
        proc.wait()
    clean_stale(target)
    assert _leftovers(tmp_path) == []
