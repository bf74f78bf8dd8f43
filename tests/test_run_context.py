"""The loop and `textmad eval RUN` share one run context (textmad.evaluate.context): re-scoring a run's
finished generations with `eval --replace` writes back exactly what the loop wrote, watermark family
(detection, radioactivity, the filters' figures, their descriptions in "about") included."""
from __future__ import annotations

import shutil

import pytest
import yaml

from conftest import TINY, location_overrides, run_textmad
from textmad import rundir

pytestmark = pytest.mark.slow  # runs the loop (tiny_run and a watermarked tiny run)

# a watermarked arm, both watermark-reading filters and the watermark-free one, on the tiny recipe
WATERMARK_ARMS = [{"mode": "replace", "name": "control"},
                  {"mode": "fresh", "real_share": 0.5, "watermark": True, "name": "marked"},
                  {"mode": "fresh", "real_share": 0.5, "watermark": True, "name": "rationed",
                   "filter": {"kind": "ration", "max_synthetic_share": 0.25}},
                  {"mode": "fresh", "real_share": 0.5, "name": "surprise",
                   "filter": {"kind": "perplexity", "perplexity_share": 0.25, "size": "fewer"}}]


@pytest.fixture(scope="module")
def watermark_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("context-wm")
    data = yaml.safe_load(TINY.read_text(encoding="utf-8"))
    data["name"] = "tiny-wm-context"
    data["loop"].update(generations=1, arms=WATERMARK_ARMS)
    data["generate"].update(min_new_tokens=24, watermark={"bias": 6.0, "min_tokens": 8, "radioactivity_samples": 8})
    recipe = base / "wm.yaml"
    recipe.write_text(yaml.safe_dump(data), encoding="utf-8")
    status, out, err = run_textmad("run", str(recipe), *location_overrides(base))
    assert status == 0, out + err
    return base / "runs" / "tiny-wm-context"


def written(run):
    """Every metrics.json of the run's generations and the run table."""
    return sorted(p.relative_to(run) for p in run.rglob(rundir.METRICS)) + [rundir.TABLE_JSONL, rundir.TABLE_CSV]


@pytest.mark.parametrize("which", ["tiny_run", "watermark_run"])
def test_eval_replace_reproduces_the_loops_metrics_byte_for_byte(which, request, tmp_path):
    original = request.getfixturevalue(which)
    run = tmp_path / original.name
    shutil.copytree(original, run, symlinks=True)
    names = written(run)
    arms = 2 if which == "tiny_run" else len(WATERMARK_ARMS)
    assert len(names) == 1 + arms * (2 if which == "tiny_run" else 1) + 2
    if which == "watermark_run":
        about = rundir.read_gen_json(run / "marked" / rundir.gen_name(1) / rundir.METRICS)["about"]
        assert {"watermark_tpr", "radioactivity_z", "filter_pool"} <= set(about)
    status, out, err = run_textmad("eval", str(run), "--replace")
    assert status == 0, err
    assert "--replace" in out
    for name in names:
        assert (run / name).read_bytes() == (original / name).read_bytes(), name


def test_eval_without_replace_scores_the_same_but_writes_beside_the_run(tiny_run, tmp_path):
    run = tmp_path / "tiny"
    shutil.copytree(tiny_run, run, symlinks=True)
    status, _, err = run_textmad("eval", str(run), "--name", "again")
    assert status == 0, err
    for path in sorted(run.rglob(rundir.METRICS)):
        if rundir.EVAL_DIR in path.relative_to(run).parts:
            continue
        again = run / rundir.EVAL_DIR / "again" / path.relative_to(run)
        assert rundir.read_gen_json(again)["metrics"] == rundir.read_gen_json(path)["metrics"], path
