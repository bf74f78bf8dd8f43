"""A report states only what its own figures show: the tail-coverage sentence is computed from the run
tables (with a 95% interval over seeds where there are several), never a constant."""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from textmad.report.report import tail_findings, write_report
from textmad.report.rundir import Run


@dataclass
class FakeRun:
    """What tail_findings reads of a run: its label, folder, arms, generations and table values."""
    label: str
    values: dict  # (arm, k, metric) -> value
    path: Path = field(default=Path("runs/demo/seed-0"))

    @property
    def arms(self):
        return sorted({arm for arm, _, _ in self.values})

    def generations(self, arm):
        return sorted({0} | {k for a, k, _ in self.values if a == arm})

    def value(self, arm, k, metric):
        return self.values.get((arm, k, metric))


def seed_run(seed: int, tail: float, rest: float) -> FakeRun:
    return FakeRun(f"seed-{seed}", {("replace", 3, "tail_drop_vs_gen0"): tail, ("replace", 3, "rest_drop_vs_gen0"): rest},
                   Path(f"runs/demo/seed-{seed}"))


def test_one_run_states_its_own_figures_and_that_it_is_one_seed():
    (line,) = tail_findings([[seed_run(0, 0.28, 0.10)]])
    assert line.startswith("seed-0, replace at gen-003: tail coverage -28.0% from gen-000, the rest of the "
                           "vocabulary -10.0%; the tail fell faster, by 18.0 points in this one run")
    assert "one seed: no interval" in line
    (line,) = tail_findings([[seed_run(0, 0.05, 0.12)]])
    assert "the tail fell slower, by 7.0 points" in line


def test_seeds_give_an_interval_and_a_verdict():
    clear = [seed_run(s, t, r) for s, (t, r) in enumerate([(0.30, 0.10), (0.32, 0.11), (0.29, 0.10)])]
    (line,) = tail_findings([clear])
    assert line.startswith("demo (3 seeds), replace at gen-003:")
    assert "the tail fell faster by 20.0 ± " in line and "95% interval over 3 seeds" in line
    assert "a difference (the 95% interval excludes 0)" in line
    noisy = [seed_run(s, t, r) for s, (t, r) in enumerate([(0.30, 0.10), (0.10, 0.25), (0.20, 0.18)])]
    (line,) = tail_findings([noisy])
    assert "not distinguishable from seed noise" in line


def test_vocabulary_shift_is_stated_beside_the_pool_based_drop():
    """Fresh data: the pool-based drop also counts the pool's rare words giving way to the fresh slices';
    the sentence gives the drop ranked on the trained text and the difference. Replace: they agree, no sentence."""
    def run(seed, tail, mix):
        values = {("fresh-50", 3, "tail_drop_vs_gen0"): tail, ("fresh-50", 3, "rest_drop_vs_gen0"): 0.1,
                  ("fresh-50", 3, "mix_tail_drop_vs_gen0"): mix}
        return FakeRun(f"seed-{seed}", values, Path(f"runs/demo/seed-{seed}"))

    (line,) = tail_findings([[run(0, 0.35, 0.05)]])
    assert line.endswith("tail coverage against held-out real text changed -5.0% from gen-000; the pool-based drop "
                         "differs from it by 30.0 points: that part is the pool's rare words giving way to the fresh "
                         "text's, not collapse.")
    (line,) = tail_findings([[run(s, t, m) for s, (t, m) in enumerate([(0.35, 0.05), (0.34, 0.03), (0.36, 0.04)])]])
    assert "differs from it by 31.0 ± " in line and "95% interval over 3 seeds" in line
    (line,) = tail_findings([[run(0, 0.35, 0.35)]])
    assert "mix_tail_drop_vs_gen0" not in line


def test_no_tail_figures_no_sentence():
    assert tail_findings([[FakeRun("r", {("replace", 2, "heldout_bpc"): 3.0})]]) == []


@pytest.mark.slow
def test_the_tiny_report_says_what_its_table_says(tiny_run, tmp_path):
    run = Run(tiny_run)
    rows = list(csv.DictReader(open(tiny_run / "metrics.csv", encoding="utf-8")))
    lines = tail_findings([[run]])
    assert len(lines) == len(run.arms)
    for arm, line in zip(run.arms, lines):
        last = max(run.generations(arm))
        row = next(r for r in rows if r["arm"] == arm and int(r["generation"]) == last)
        assert f"tail coverage {-100 * float(row['tail_drop_vs_gen0']):+.1f}%" in line
    paths, _ = write_report([run], tmp_path / "report", "textmad report RUN", interactive_figures=False)
    text = paths["md"].read_text(encoding="utf-8")
    assert "the tail goes first" not in text and lines[0] in text
    pngs = sorted((tmp_path / "report" / "plots").glob("*.png"))
    widths = {png.name: int.from_bytes(png.read_bytes()[16:20], "big") for png in pngs}  # the PNG header's width
    assert any(name.startswith("lost-") for name in widths) and min(widths.values()) >= 1000, widths
