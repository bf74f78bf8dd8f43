"""textmad.stats against scipy and hand-computed values: t intervals, paired differences, the threshold."""
import math

import numpy as np
import pytest
from scipy import stats as sps

from textmad import stats


def test_t_interval_matches_scipy_and_the_t_table():
    x = [2.61, 2.70, 2.58, 2.66]
    got = stats.t_interval(x)
    mean, sd = np.mean(x), np.std(x, ddof=1)
    low, high = sps.t.interval(0.95, len(x) - 1, loc=mean, scale=sps.sem(x))
    assert (got.n, got.mean, got.sd) == (4, pytest.approx(mean), pytest.approx(sd))
    assert (got.low, got.high) == (pytest.approx(low), pytest.approx(high))
    # printed t table: t(0.975, 3 df) = 3.182
    assert got.half_width == pytest.approx(3.182 * sd / 2, rel=1e-3)


def test_three_seeds_hand_computed():
    got = stats.t_interval([1.0, 2.0, 3.0])  # mean 2, sd 1, t(0.975, 2) = 4.303
    assert got.mean == 2 and got.sd == pytest.approx(1.0)
    assert got.half_width == pytest.approx(4.303 / math.sqrt(3), rel=1e-3)
    assert got.text(".3g") == "2 ± 2.48 (3)"


def test_one_seed_has_no_interval_and_no_seed_no_mean():
    one = stats.t_interval([5.0])
    assert one.n == 1 and one.mean == 5 and math.isnan(one.low) and one.text() == "5 (n=1)"
    assert not one.excludes_zero()
    assert stats.t_interval([]).n == 0 and stats.t_interval([]).text() == "—"


def test_paired_difference_is_tighter_than_unpaired():
    # every seed moves both arms together: the seed effect cancels in the pairs
    seed_effect = {0: 0.0, 1: 0.3, 2: -0.2, 3: 0.1}
    a = {s: 10 + e + d for (s, e), d in zip(seed_effect.items(), (0.50, 0.52, 0.49, 0.51))}
    b = {s: 10 + e for s, e in seed_effect.items()}
    paired = stats.paired_difference(a, b)
    diffs = [a[s] - b[s] for s in a]
    ref = sps.ttest_rel(list(a.values()), list(b.values()))
    assert paired.mean == pytest.approx(np.mean(diffs))
    assert (paired.low, paired.high) == pytest.approx(tuple(ref.confidence_interval(0.95)))
    unpaired_half = stats.t_interval(list(a.values())).half_width
    assert paired.half_width < unpaired_half / 10 and paired.excludes_zero()


def test_paired_difference_uses_only_common_seeds():
    got = stats.paired_difference({0: 3.0, 1: 5.0, 2: 9.0}, {0: 1.0, 1: 2.0})
    assert got.n == 2 and got.mean == pytest.approx(2.5)


def test_worsening_follows_the_metric_direction():
    assert stats.worsening(2.04, 2.0, higher_is_better=False) == pytest.approx(0.02)
    assert stats.worsening(0.9, 1.0, higher_is_better=True) == pytest.approx(0.1)
    assert stats.worsening(0.05, 0.0, higher_is_better=False) == pytest.approx(0.05)  # no relative change of 0


def dose_response(shares, offsets):
    """Worsening 0.10 - 0.2 * share for every seed, shifted by a per-seed offset (mean 0)."""
    return {s: [0.10 - 0.2 * s + o for o in offsets] for s in shares}


def test_threshold_on_a_known_dose_response():
    d = 0.01
    found = stats.threshold(dose_response([0, 0.25, 0.5, 0.75, 1.0], [-d, 0.0, d]), tolerance=0.02)
    # mean curve 0.10 - 0.2 x crosses 0.02 at x = 0.4; the t interval's ends are +-h with
    # h = t(0.975, 2) * d / sqrt(3), so they cross at (0.08 -+ h) / 0.2
    h = sps.t.ppf(0.975, 2) * d / math.sqrt(3)
    assert found.estimate == pytest.approx(0.4)
    assert found.high == pytest.approx((0.08 + h) / 0.2)
    assert found.low == pytest.approx((0.08 - h) / 0.2)
    assert found.curve[1].n == 3


def test_threshold_outside_the_grid_and_with_a_bump():
    assert stats.threshold(dose_response([0.5, 0.75], [-0.001, 0.001]), 0.5).estimate == -math.inf
    assert stats.threshold(dose_response([0, 0.1], [-0.001, 0.001]), 0.01).estimate == math.inf
    # within tolerance at 0.25 but not at 0.5: the threshold is where it stays within, after 0.5
    bumpy = {0: [0.1, 0.1], 0.25: [0.0, 0.0], 0.5: [0.06, 0.06], 0.75: [0.0, 0.0]}
    assert stats.threshold(bumpy, 0.02).estimate == pytest.approx(0.5 + 0.25 * 0.04 / 0.06)


def test_refine_shares_between_the_bracketing_points():
    found = stats.threshold(dose_response([0, 0.25, 0.5, 0.75, 1.0], [-0.01, 0.0, 0.01]), 0.02)
    # interval about 0.28..0.52 overlaps the grid intervals 0.25-0.5 and 0.5-0.75
    assert stats.refine_shares(found, width=0.1) == [0.38, 0.62]
    assert stats.refine_shares(found, width=0.5) == []  # narrow enough already


def test_holm_by_hand():
    from textmad.stats import holm
    # sorted 0.01, 0.02, 0.04 with m = 3: 0.03, max(0.03, 0.04), max(0.04, 0.04) -> 0.03, 0.04, 0.04
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    out = holm([0.5, math.nan, 0.9])
    assert out[0] == pytest.approx(1.0) and math.isnan(out[1]) and out[2] == pytest.approx(1.0)


def test_time_to_detection_on_a_hand_made_run_table():
    """Three seeds, three metrics with a known answer: 'early' moves by +1 from generation 1 on, with a
    little spread; 'late' stays put until generation 3; 'flat' is noise around 0 and never warns."""
    from textmad.stats import paired_p, time_to_detection
    table = {
        "early": {0: {0: 10.0, 1: 11.0, 2: 12.0}, 1: {0: 11.0, 1: 12.1, 2: 12.9}, 2: {0: 12.0, 1: 13.0, 2: 14.1},
                  3: {0: 13.0, 1: 14.1, 2: 14.9}},
        "late": {0: {0: 1.0, 1: 1.0, 2: 1.0}, 1: {0: 1.1, 1: 0.9, 2: 1.0}, 2: {0: 1.05, 1: 0.98, 2: 1.0},
                 3: {0: 2.0, 1: 2.1, 2: 1.9}},
        "flat": {0: {0: 5.0, 1: 5.0, 2: 5.0}, 1: {0: 5.1, 1: 4.9, 2: 5.0}, 2: {0: 4.9, 1: 5.2, 2: 4.95},
                 3: {0: 5.1, 1: 4.8, 2: 5.05}},
    }
    found = {d.metric: d for d in time_to_detection(table)}
    assert [d.metric for d in time_to_detection(table)] == ["early", "late", "flat"]
    assert found["early"].generation == 1
    assert found["early"].change.mean == pytest.approx(1.0)
    assert found["early"].relative == pytest.approx(1.0 / 11.0)
    # generation 1's p-values: early's t test on (1.0, 1.1, 0.9), Holm x3 as the smallest of three
    assert found["early"].p_adjusted == pytest.approx(min(1.0, 3 * paired_p([1.0, 1.1, 0.9])))
    assert found["late"].generation == 3
    assert found["late"].change.mean == pytest.approx(1.0)
    assert found["flat"].generation is None  # reported at the last generation, not detected
    assert found["flat"].p_adjusted > 0.05
    # unadjusted, 'early' at generation 1 has p ~ 0.013; adjusted across 3 metrics it must stay < 0.05
    assert paired_p([1.0, 1.1, 0.9]) < 0.05 / 3


def test_time_to_detection_one_seed_never_detects():
    from textmad.stats import time_to_detection
    found = time_to_detection({"m": {0: {0: 1.0}, 1: {0: 5.0}}})
    assert found[0].generation is None and math.isnan(found[0].p_adjusted)


def test_threshold_of_a_non_monotone_dose_response_says_so_and_does_not_interpolate_across_it():
    from textmad.stats import non_monotone_note, threshold
    # mean worsening at shares 0, 0.25, 0.5, 0.75, 0.9: within 0.02 at 0.25, out at 0.5, in again from 0.75
    per_seed = {0.0: [0.10, 0.11, 0.09], 0.25: [0.01, 0.012, 0.008], 0.5: [0.05, 0.052, 0.048],
                0.75: [0.01, 0.011, 0.009], 0.9: [0.0, 0.001, -0.001]}
    found = threshold(per_seed, 0.02)
    # the last entry: linear between 0.5 (0.05) and 0.75 (0.01) -> 0.5 + 0.25 * 0.03 / 0.04
    assert found.estimate == pytest.approx(0.5 + 0.25 * 0.75)
    assert found.rises() == [(0.25, 0.5, True)]
    assert found.within_before(0.02) == [0.25]
    note = non_monotone_note(found, 0.02)
    assert "Not monotone" in note and "0.25 to 0.5 (beyond the seeds' spread)" in note and "Shares 0.25" in note
    # a monotone curve gets no note
    assert non_monotone_note(threshold({0.0: [0.1, 0.12], 0.5: [0.0, 0.01]}, 0.02), 0.02) == ""


def test_an_interval_is_cut_to_the_values_a_metric_can_take():
    """A t interval over three seeds of a share near 1 reaches past 1; within() cuts it there, mean unchanged."""
    from textmad.evaluate import METRICS

    i = stats.t_interval([1.0, 0.99, 0.98])  # 0.99 ± 4.303 * 0.01 / sqrt(3) = 0.99 ± 0.0248
    assert i.high == pytest.approx(1.0148, abs=1e-4)
    cut = i.within(METRICS["watermark_tpr"].bounds)
    assert (cut.mean, cut.low, cut.high) == (pytest.approx(0.99), pytest.approx(i.low), 1.0)
    assert i.within(None) == i and stats.t_interval([0.5]).within((0, 1)).n == 1
    assert METRICS["mauve"].bounds == (0.0, 1.0) and METRICS["heldout_ppl"].bounds is None
