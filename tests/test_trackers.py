"""Experiment trackers through Accelerate (recipe key log_with): TensorBoard, offline, read back."""
from __future__ import annotations

import pytest

from conftest import TINY, location_overrides, run_textmad


@pytest.mark.slow
def test_tensorboard_logs_training_loss_and_metrics_per_arm(tmp_path):
    pytest.importorskip("tensorboard")
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from textmad.io import read_jsonl

    status, out, err = run_textmad("run", str(TINY), *location_overrides(tmp_path), "loop.generations=1",
                                   "log_with=[tensorboard]", "name=tracked")
    assert status == 0, err
    run = tmp_path / "runs" / "tracked"
    events = run / "trackers" / "tracked"  # RUN/trackers/<run name>; the recipe is its hparams sub-run
    assert list(events.glob("events.out.tfevents.*"))
    scalars = EventAccumulator(str(events)).Reload().Tags()["scalars"]
    table = read_jsonl(run / "metrics.jsonl")
    arms = {row["arm"] for row in table}
    assert arms == {"replace", "fresh-50"}
    acc = EventAccumulator(str(events)).Reload()
    for arm in arms:
        # one series per arm: generation 0 (shared) at step 0, then the arm's generation 1
        series = acc.Scalars(f"heldout_bpc/{arm}")
        expected = {row["generation"]: row["heldout_bpc"] for row in table if row["arm"] == arm}
        assert {e.step: e.value for e in series} == pytest.approx(expected, rel=1e-6)
        assert f"train_loss/{arm}/gen-001" in scalars
    losses = [e.value for e in acc.Scalars("train_loss/gen-000")]
    logged = [row["loss"] for row in read_jsonl(run / "gen-000" / "train_log.jsonl")]
    assert losses == pytest.approx(logged, rel=1e-6)
    # a log file gets one plain line per generation with the run's progress, and no bar
    assert "[3/3 generations" in out and "\r" not in out + err
    # trackers only watch a run: adding or removing them does not block a resume
    status, out, err = run_textmad("run", str(TINY), *location_overrides(tmp_path), "loop.generations=1",
                                   "name=tracked")
    assert status == 0, err


def test_unknown_tracker_is_refused(tmp_path):
    status, out, err = run_textmad("validate", str(TINY), "log_with=[tensorbord]")
    assert status == 2 and "log_with" in err and "tensorboard" in err
