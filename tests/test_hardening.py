"""Issue 22, "hardening, second pass": each case that crashed, lost a file or wrote through a link,
now a clear error (exit 2, the file or key named, nothing written) or an exact recovery."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_textmad
from textmad.recipe import load_recipe

MINIMAL = "name: victim\nloop:\n  arms:\n    - mode: replace\n"


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


# ---------------------------------------------------------------- recipes (items 9-13, 17)

RECIPE_CASES = [
    # 9: a repeated key is refused, naming the key and both lines
    ("duplicate-key", "seed: 0\nseed: 7\n" + MINIMAL, [], ["the key 'seed' is given twice (lines 1 and 2)"]),
    ("duplicate-nested-key", "loop:\n  generations: 3\n  generations: 2\n  arms: [{mode: replace}]\n", [],
     ["the key 'loop.generations' is given twice (lines 2 and 3)"]),
    # 10: one arm rule for validate and run
    ("real-share-on-replace", MINIMAL, ["loop.arms=[{mode: replace, real_share: 0.5}]"],
     ["loop.arms[0].real_share = 0.5 has no meaning for mode 'replace'"]),
    ("real-share-on-accumulate", MINIMAL, ["loop.arms=[{mode: accumulate, real_share: [0.1, 0.2]}]",
                                           "loop.generations=2"], ["loop.arms[0].real_share"]),
    # 11: a 5000-digit integer reaches its key's bounds
    ("5000-digit-seed", MINIMAL + "seed: " + "7" * 5000 + "\n", [],
     ["seed = <an integer of 5000 digits> is out of range; accepted: [0, 4294967295]"]),
    ("5000-digit-override", MINIMAL, ["loop.generations=" + "7" * 5000],
     ["loop.generations = <an integer of 5000 digits> is out of range; accepted: [1, 1000]"]),
    # 12: the override is blamed, not the recipe file
    ("override-empty-key", MINIMAL, ["=x"], ["override '=x': the key before '=' is empty"]),
    ("override-unknown-key", MINIMAL, ["trian.epochs=2"], ["override 'trian.epochs=2': the recipe has no key "
                                                           "'trian'; did you mean 'train'?"]),
    # 13: a long list written out names its key, and says nothing of aliases
    ("list-written-out", "loop:\n  generations: 1\n  arms:\n    - mode: augment\n      real_share: ["
     + ", ".join(["0.5"] * 200_000) + "]\n", [], ["loop.arms[0].real_share holds more than 100000 values"]),
]


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("text,overrides,expected", [c[1:] for c in RECIPE_CASES], ids=[c[0] for c in RECIPE_CASES])
def test_bad_recipe_is_refused_by_validate_and_run_alike(tmp_path, command, text, overrides, expected):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(text, encoding="utf-8")
    locations = [f"output_dir={tmp_path / 'runs'}", f"corpus.prepared_dir={tmp_path / 'prepared'}",
                 f"model.cache_dir={tmp_path / 'cache'}"]
    before = _tree(tmp_path)
    status, out, err = run_textmad(command, str(recipe), *locations, *overrides)
    assert status == 2 and "Traceback" not in err, err
    for part in expected:
        assert part in err, err
    assert "through aliases" not in err
    if overrides and "override" in expected[0]:
        assert f"{recipe}:" not in err, "an override's mistake is not the recipe file's"
    assert _tree(tmp_path) == before, "nothing written"


def test_every_path_key_expands_the_home_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    recipe = tmp_path / "r.yaml"
    recipe.write_text(MINIMAL + "output_dir: ~/runs\n", encoding="utf-8")
    r = load_recipe(recipe, ["corpus.prepared_dir=~/prepared", "model.cache_dir=~/cache",
                             "corpus.source={kind: local, path: ~/text.txt}"])
    assert r.output_dir == str(tmp_path / "runs") and r.run_dir == tmp_path / "runs" / "victim"
    assert r.corpus.prepared_dir == str(tmp_path / "prepared") and r.model.cache_dir == str(tmp_path / "cache")
    assert r.corpus.source.path == str(tmp_path / "text.txt")


# ---------------------------------------------------------------- prepared corpora (items 1, 7, 15)

def _text_file(tmp_path: Path) -> Path:
    words = "river stone light morning harbour garden window letter winter summer".split()
    docs = [" ".join(words[(i + j) % len(words)] for j in range(60)) + f" number {i}." for i in range(40)]
    path = tmp_path / "good.txt"
    path.write_text("\n\n".join(docs), encoding="utf-8")
    return path


def _prepare(tmp_path: Path, out: Path) -> tuple[int, str, str]:
    return run_textmad("corpus", "prepare", str(_text_file(tmp_path)), "--language", "en", "--out", str(out))


def test_prepare_never_replaces_a_folder_with_foreign_files(tmp_path):
    out = tmp_path / "d"
    out.mkdir()
    (out / "manifest.json").write_text("{}", encoding="utf-8")
    (out / "notes.txt").write_text("x", encoding="utf-8")
    status, _, err = _prepare(tmp_path, out)
    assert status == 2 and str(out / "manifest.json") in err and "Traceback" not in err, err
    assert (out / "notes.txt").read_text(encoding="utf-8") == "x" and sorted(p.name for p in out.iterdir()) == [
        "manifest.json", "notes.txt"]
    # a real preparation with a foreign file added: kept too, and the folder named
    good = tmp_path / "good"
    assert _prepare(tmp_path, good)[0] == 0
    (good / "notes.txt").write_text("mine", encoding="utf-8")
    status, _, err = run_textmad("corpus", "prepare", str(tmp_path / "good.txt"), "--language", "en", "--out",
                                 str(good), "--force")
    assert status == 2 and "notes.txt" in err and (good / "notes.txt").read_text(encoding="utf-8") == "mine"
    # its own files only: --force replaces them
    (good / "notes.txt").unlink()
    assert run_textmad("corpus", "prepare", str(tmp_path / "good.txt"), "--language", "en", "--out", str(good),
                       "--force")[0] == 0


@pytest.mark.parametrize("damage", ["manifest", "train"])
def test_corpus_stats_checks_what_the_loop_checks(tmp_path, damage):
    out = tmp_path / "c"
    status, printed, _ = _prepare(tmp_path, out)
    assert status == 0
    target = out / ("manifest.json" if damage == "manifest" else "train.jsonl")
    data = target.read_bytes()
    target.write_bytes(data[:len(data) // 2])
    status, printed, err = run_textmad("corpus", "stats", str(out))
    assert status == 2 and str(target) in err and "Traceback" not in err and printed == "", err
    assert target.read_bytes() == data[:len(data) // 2], "nothing rewritten"


# ---------------------------------------------------------------- resuming a damaged run (items 4, 5, 6, 14)

def _truncate_mid_line(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:data.rindex(b"\n", 0, len(data) - 1) + 20])


def _drop_last_line(path: Path) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:-1]))


DAMAGES = {
    "metrics-list": ("replace/gen-001/metrics.json", lambda p: p.write_text("[]", encoding="utf-8")),
    "metrics-empty": ("replace/gen-002/metrics.json", lambda p: p.write_text("{}", encoding="utf-8")),
    "recipe-unreadable": ("recipe.yaml", lambda p: p.write_text("name: [tiny\nseed: 0\n", encoding="utf-8")),
    "weights-truncated": ("gen-000/model/model.safetensors", lambda p: p.write_bytes(p.read_bytes()[:-1000])),
    "samples-mid-line": ("fresh-50/gen-002/samples.jsonl", _truncate_mid_line),
    "samples-line-lost": ("fresh-50/gen-001/samples.jsonl", _drop_last_line),
    "intact": ("", None),
}


def _contents(run: Path) -> dict:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.rglob("*"))
            if p.is_file() and not p.name.startswith(".lock")}


@pytest.mark.slow
@pytest.mark.parametrize("damage", list(DAMAGES))
def test_resume_refuses_a_damaged_finished_generation(tiny_run, tmp_path, damage):
    import shutil

    run = tmp_path / "runs" / "tiny"
    shutil.copytree(tiny_run, run)
    recipe = shutil.copy(run / "recipe.yaml", tmp_path / "tiny.yaml")  # the command's recipe, intact
    file, spoil = DAMAGES[damage]
    if spoil:
        spoil(run / file)
    before = _contents(run)
    status, out, err = run_textmad("run", str(recipe), f"output_dir={tmp_path / 'runs'}",
                                   f"corpus.prepared_dir={tiny_run.parents[2] / 'prepared'}",
                                   f"model.cache_dir={tiny_run.parents[2] / 'cache'}")
    if not spoil:
        assert status == 0, err
        return
    assert status == 2 and "Traceback" not in err, err
    assert str(run / file) in err or str((run / file).parent) in err, err
    if damage != "recipe-unreadable":
        assert "Delete" in err and "DONE" in err, "says how to redo the generation"
    assert _contents(run) == before, "nothing written"


# ---------------------------------------------------------------- the report's folder (item 3)

@pytest.mark.slow
def test_report_does_not_write_through_a_symlink(tiny_run, tmp_path):
    import shutil

    run = tmp_path / "tiny"
    shutil.copytree(tiny_run, run, ignore=shutil.ignore_patterns("report"))
    target = tmp_path / "elsewhere"
    target.mkdir()
    (run / "report").symlink_to(target)
    status, out, err = run_textmad("report", str(run), "--static")
    assert status == 2 and str(run / "report") in err and "outside" in err and "Traceback" not in err, err
    assert list(target.iterdir()) == []


# ---------------------------------------------------------------- the lock's holder (item 16)

def test_a_refused_start_names_the_holder_even_before_it_wrote_its_record(tmp_path):
    import fcntl
    import json
    import os
    import threading

    from textmad.rundir import LOCK, LOCK_INFO, RunLocked, hold_lock

    run = tmp_path / "run"
    run.mkdir()
    fd = os.open(run / LOCK, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a holder that has the lock and has not yet written its record
    writer = threading.Timer(0.3, lambda: (run / LOCK_INFO).write_text(json.dumps(
        {"pid": os.getpid(), "host": os.uname().nodename, "started": "now", "command": ["textmad", "run"]})))
    writer.start()
    try:
        with pytest.raises(RunLocked, match=f"pid {os.getpid()} on"):
            with hold_lock(run):
                pass
    finally:
        writer.join()
        os.close(fd)


def test_a_key_added_after_a_run_at_its_default_is_no_difference():
    """Resume and the sweep summary compare stored recipes with today's: a key textmad gained since,
    at its default, changes nothing the run did; set to anything else, it is a difference."""
    from textmad.recipe import recipe_differences

    stored = {"seed": 0, "loop": {"generations": 2}}
    assert recipe_differences(stored, {"seed": 0, "loop": {"generations": 2, "filter": {"kind": "none"}}}) == []
    assert recipe_differences(stored, {"seed": 0, "loop": {"generations": 2, "filter": {"kind": "ration"}}}) \
        == ["loop.filter.kind: (absent) -> 'ration'"]
    assert recipe_differences(stored, {"seed": 0, "loop": {"generations": 3}}) == ["loop.generations: 2 -> 3"]
