"""Statistics over seeds: mean, standard deviation, Student-t 95% intervals, paired differences, and
the real-share threshold of a sweep. Pure functions: numbers in, numbers out.

Intervals are Student-t intervals over seeds (``scipy.stats.t``): with the 3-5 seeds a sweep can
afford, a normal interval would be too narrow, and the t quantile is taken from scipy, never from a
hand-made table. A paired difference is the t interval of the per-seed differences between two arms
of the same seed: arms of one seed share generation 0, the corpus splits and the held-out text, so
most of the seed-to-seed spread cancels and the interval is far tighter than an unpaired one.
Groups that share nothing (two languages) are compared by Welch's unpaired t interval.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    n: int
    mean: float
    sd: float      # sample standard deviation (ddof=1); NaN for n < 2
    low: float     # the confidence interval; NaN for n < 2 (one seed is an anecdote, not an interval)
    high: float

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def within(self, bounds: tuple[float, float] | None) -> "Interval":
        """The interval cut to ``bounds`` (the values the metric can take), the mean unchanged: a t interval
        over a few seeds of a share near 1 reaches past 1."""
        if bounds is None or not (math.isfinite(self.low) and math.isfinite(self.high)):
            return self
        return Interval(self.n, self.mean, self.sd, max(self.low, bounds[0]), min(self.high, bounds[1]))

    def excludes_zero(self) -> bool:
        return self.n >= 2 and (self.low > 0 or self.high < 0)

    def text(self, spec: str = ".4g") -> str:
        """``mean ± half-width (n)``, or ``mean (n=1)`` where there is no interval."""
        if self.n == 0:
            return "—"
        if not math.isfinite(self.half_width):
            return f"{self.mean:{spec}} (n={self.n})"
        return f"{self.mean:{spec}} ± {self.half_width:{spec}} ({self.n})"


def t_interval(values: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """Mean, sd and the Student-t interval of ``values`` (one value per seed)."""
    x = np.asarray(values, dtype=float)
    n = len(x)
    if n == 0:
        return Interval(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean())
    if n < 2:
        return Interval(1, mean, math.nan, math.nan, math.nan)
    sd = float(x.std(ddof=1))
    if sd == 0:
        return Interval(n, mean, 0.0, mean, mean)
    low, high = stats.t.interval(confidence, n - 1, loc=mean, scale=sd / math.sqrt(n))
    return Interval(n, mean, sd, float(low), float(high))


def paired_difference(a: Mapping[object, float], b: Mapping[object, float],
                      confidence: float = CONFIDENCE) -> Interval:
    """The t interval of a[s] - b[s] over the seeds s present in both (pairs within a seed)."""
    common = [s for s in a if s in b]
    return t_interval([a[s] - b[s] for s in common], confidence)


def difference(a: Sequence[float], b: Sequence[float], confidence: float = CONFIDENCE) -> Interval:
    """mean(a) - mean(b) for two independent groups of seeds (e.g. two languages), with Welch's
    t interval (``scipy.stats.ttest_ind(equal_var=False)``): unpaired, because runs of different
    recipes share no generation 0, and unequal variances, because one language may be noisier.
    ``n`` is the smaller group's size; ``sd`` is the standard error of the difference."""
    x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(x) == 0 or len(y) == 0:
        return Interval(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(x.mean() - y.mean())
    n = min(len(x), len(y))
    if n < 2:
        return Interval(n, mean, math.nan, math.nan, math.nan)
    se = math.sqrt(x.var(ddof=1) / len(x) + y.var(ddof=1) / len(y))
    if se == 0:
        return Interval(n, mean, 0.0, mean, mean)
    ci = stats.ttest_ind(x, y, equal_var=False).confidence_interval(confidence)
    return Interval(n, mean, se, float(ci.low), float(ci.high))


def worsening(value: float, gen0: float, higher_is_better: bool) -> float:
    """Relative change from generation 0 in the metric's bad direction: +0.02 is 2% worse.

    For a lower-is-better metric (bits per byte) it is value/gen0 - 1; for a higher-is-better one
    (coverage) 1 - value/gen0, so a positive number always means worse than generation 0. A metric
    that is 0 at generation 0 (a drop measured against it) has no relative change: its absolute one.
    """
    change = value / gen0 - 1 if gen0 else value - gen0
    return -change if higher_is_better else change


def _first_crossing(xs: Sequence[float], ys: Sequence[float], level: float) -> float:
    """The smallest x from which the piecewise-linear curve through (xs, ys) stays at or below
    ``level`` up to the last grid point; -inf if it is there at the first point, +inf if never."""
    if not ys or ys[-1] > level:
        return math.inf
    i = len(ys) - 1
    while i > 0 and ys[i - 1] <= level:
        i -= 1
    if i == 0:
        return -math.inf
    x0, x1, y0, y1 = xs[i - 1], xs[i], ys[i - 1], ys[i]
    return x0 + (x1 - x0) * (y0 - level) / (y0 - y1)


@dataclass(frozen=True)
class Threshold:
    estimate: float   # where the mean curve enters the tolerance for good
    low: float        # where the lower ends of the t intervals do (the optimistic end)
    high: float       # where the upper ends do: a share this large is within tolerance at 95% per share
    shares: tuple[float, ...]
    curve: tuple[Interval, ...]  # the worsening at each share, over seeds

    @property
    def width(self) -> float:
        return self.high - self.low

    def rises(self) -> list[tuple[float, float, bool]]:
        """Where the dose-response is not monotone: (share, next share, separated) for each pair of
        neighbouring grid shares whose mean worsening *rises* with more real data; ``separated`` when
        the two t intervals do not overlap (the rise is beyond the seeds' spread)."""
        out = []
        for (a, ca), (b, cb) in zip(zip(self.shares, self.curve), zip(self.shares[1:], self.curve[1:])):
            if cb.mean > ca.mean:
                out.append((a, b, bool(cb.low > ca.high)))
        return out

    def within_before(self, tolerance: float) -> list[float]:
        """Grid shares below the estimate whose mean worsening is already within ``tolerance``: the curve
        entered the tolerance there and left it again, so the threshold is not one crossing."""
        return [s for s, c in zip(self.shares, self.curve) if s < self.estimate and c.mean <= tolerance]


def threshold(per_seed: Mapping[float, Sequence[float]], tolerance: float,
              confidence: float = CONFIDENCE) -> Threshold:
    """The smallest real share whose worsening stays within ``tolerance``, with an interval.

    ``per_seed`` maps each grid share to the worsening of every seed that finished it. The curve of
    mean worsening against share is interpolated linearly between grid points; the estimate is the
    smallest share from which it stays within the tolerance up to the largest share tried. The
    interval inverts the pointwise t intervals the same way: the upper end is where the intervals'
    upper ends enter the tolerance (from there on each share is within it at 95%), the lower end is
    where their lower ends do. We use this rather than a bootstrap over seeds because with 3-5 seeds a
    bootstrap has only 10-126 distinct resamples and its percentile interval is known to be too
    narrow, while the t interval is exact for normal per-seed noise at any n; and rather than the
    bare grid point whose upper bound is under the tolerance because interpolation uses the
    neighbouring points instead of rounding up to the next share. Linear interpolation assumes the
    worsening changes smoothly between grid points; adaptive refinement (``refine_shares``) checks it
    where it matters. Infinite ends mean "below the smallest share tried" (-inf) or "above the
    largest" (+inf). Shares with fewer than 2 seeds give NaN ends.

    A dose-response need not be monotone (a little synthetic data can help, or hurt more than a lot).
    The estimate never interpolates across a rise: it is the last entry into the tolerance, between the
    two grid shares that straddle it; ``Threshold.rises`` and ``Threshold.within_before`` say where the
    curve went the other way, and ``non_monotone_note`` puts it in words.
    """
    shares = tuple(sorted(per_seed))
    curve = tuple(t_interval(per_seed[s], confidence) for s in shares)
    return Threshold(
        estimate=_first_crossing(shares, [c.mean for c in curve], tolerance),
        low=_first_crossing(shares, [c.low for c in curve], tolerance) if all(c.n >= 2 for c in curve) else math.nan,
        high=_first_crossing(shares, [c.high for c in curve], tolerance) if all(c.n >= 2 for c in curve) else math.nan,
        shares=shares, curve=curve)


def non_monotone_note(found: Threshold, tolerance: float) -> str:
    """A sentence on where the dose-response rises with more real data ("" when it never does)."""
    rises = found.rises()
    if not rises:
        return ""
    parts = [f"{a:g} to {b:g} ({'beyond' if sep else 'within'} the seeds' spread)" for a, b, sep in rises]
    note = "Not monotone: the worsening rises with more real data from " + ", from ".join(parts) + "."
    before = found.within_before(tolerance)
    if before:
        note += (" Shares " + ", ".join(f"{s:g}" for s in before) + " were already within the tolerance below "
                 "the estimate: the threshold is the last entry into it, not a single crossing.")
    return note


def refine_shares(found: Threshold, width: float, grid_step: float = 0.01) -> list[float]:
    """Shares to add so the next threshold interval can be narrower than ``width``: the midpoints of
    the grid intervals that overlap [low, high] and are wider than ``width``, rounded to ``grid_step``
    (a share finer than 1% of the documents would not change a mix of a few hundred). Empty when the
    interval is already narrow enough, undefined (NaN) or outside the grid."""
    lo, hi = found.low, found.high
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo <= width:
        return []
    out = []
    for a, b in zip(found.shares, found.shares[1:]):
        if b - a > width and b > lo and a < hi:
            mid = round(round((a + b) / 2 / grid_step) * grid_step, 6)
            if a < mid < b:
                out.append(mid)
    return out


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, monotone), NaN kept as NaN. Hand-written in a few
    lines because scipy offers only the false-discovery-rate adjustments (false_discovery_control)."""
    order = sorted((p, i) for i, p in enumerate(pvalues) if not math.isnan(p))
    m, out, running = len(order), [math.nan] * len(pvalues), 0.0
    for rank, (p, i) in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out


def paired_p(differences: Sequence[float]) -> float:
    """Two-sided p-value of the one-sample t test that the mean per-seed difference is 0 (NaN for n < 2;
    0 or 1 when every seed gives the same difference: no spread, so any non-zero shift is certain)."""
    x = np.asarray(differences, dtype=float)
    if len(x) < 2:
        return math.nan
    if float(x.std(ddof=1)) == 0:
        return 0.0 if float(x.mean()) != 0 else 1.0
    return float(stats.ttest_1samp(x, 0.0).pvalue)


@dataclass(frozen=True)
class Detection:
    metric: str
    generation: int | None   # the first generation whose change from generation 0 is significant; None: never
    change: Interval          # paired change from generation 0 at that generation (at the last one if never)
    relative: float           # change.mean / mean generation-0 value (NaN where that is 0)
    p_adjusted: float         # Holm-adjusted p-value at that generation (at the last one if never)


def time_to_detection(per_seed: Mapping[str, Mapping[int, Mapping[object, float]]],
                      confidence: float = CONFIDENCE) -> list[Detection]:
    """For each metric, the first generation at which its paired change from generation 0 is a finding.

    ``per_seed[metric][generation][seed]`` holds one arm's values (generation 0 included). At each
    generation k >= 1 every metric's per-seed changes x_k - x_0 get a one-sample t test; the p-values
    are Holm-adjusted across the metrics given (they are read together, so the chance that some
    metric "warns" by luck is held at 1 - confidence). A metric is detected at the first k whose
    adjusted p-value is below 1 - confidence. Detections come back in the order of ``per_seed``.
    """
    alpha = 1 - confidence
    metrics = list(per_seed)
    generations = sorted({k for m in metrics for k in per_seed[m] if k > 0})
    changes: dict[str, dict[int, list[float]]] = {m: {} for m in metrics}
    adjusted: dict[str, dict[int, float]] = {m: {} for m in metrics}
    for k in generations:
        for m in metrics:
            base, now = per_seed[m].get(0, {}), per_seed[m].get(k, {})
            changes[m][k] = [now[s] - base[s] for s in now if s in base]
        ps = holm([paired_p(changes[m][k]) for m in metrics])
        for m, p in zip(metrics, ps):
            adjusted[m][k] = p
    out = []
    for m in metrics:
        hit = next((k for k in generations if adjusted[m][k] < alpha), None)
        at = hit if hit is not None else (generations[-1] if generations else None)
        diffs = changes[m].get(at, []) if at is not None else []
        base = [v for s, v in per_seed[m].get(0, {}).items()]
        base_mean = float(np.mean(base)) if base else math.nan
        interval = t_interval(diffs, confidence)
        out.append(Detection(m, hit, interval, interval.mean / base_mean if base_mean else math.nan,
                             adjusted[m].get(at, math.nan) if at is not None else math.nan))
    return out
