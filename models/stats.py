"""Small robust statistics for learning from a few weeks of one person's days."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

MAD_TO_SD = 1.4826


def robust_sd(values: Sequence[float], floor: float = 0.0) -> float:
    """Scaled median absolute deviation: one bad day does not widen it the way it would an SD."""
    if len(values) < 2:
        return floor
    arr = np.asarray(values, dtype=float)
    return max(float(np.median(np.abs(arr - np.median(arr)))) * MAD_TO_SD, floor)


def quantile(values: Sequence[float], q: float, default: float) -> float:
    if not values:
        return default
    return float(np.quantile(np.asarray(values, dtype=float), q))


def linear_quantile(values: Sequence[float], q: float) -> float:
    """`quantile` for a non-empty list without NaNs, worked out as numpy does it (its default, linear method:
    the same index, the same interpolation, so the same bits) without numpy's overhead of some 30 µs a call,
    which every home pays as each of its days ends (models.slowing)."""
    ordered = sorted(values)
    n = len(ordered)
    virtual = (n - 1) * q
    previous = math.floor(virtual)
    following = previous + 1
    if virtual >= n - 1:
        previous = following = -1
    if virtual < 0:
        previous = following = 0
    gamma = virtual - previous
    low, high = ordered[previous], ordered[following]
    step = high - low
    return high - step * (1 - gamma) if gamma >= 0.5 else low + step * gamma


def kde_quantile(values: Sequence[float], q: float, default: float, min_bandwidth: float = 5.0) -> float:
    """Quantile of a Gaussian kernel density fitted to `values`.

    With three or four weeks of mornings the empirical 99th percentile is just the latest morning seen;
    the smoothed tail says how much later than that is still plausible for this person.
    """
    if len(values) < 3:
        return default
    # Imported here: only training needs it, and it is a tenth of a gigabyte in every process that imports it.
    from sklearn.neighbors import KernelDensity

    x = np.asarray(values, dtype=float).reshape(-1, 1)
    spread = min(float(np.std(x)), robust_sd(values) or float(np.std(x)))
    bandwidth = max(1.06 * spread * len(values) ** -0.2, min_bandwidth)  # Silverman's rule
    kde = KernelDensity(bandwidth=bandwidth).fit(x)
    grid = np.linspace(float(x.min()) - 4 * bandwidth, float(x.max()) + 4 * bandwidth, 600)
    density = np.exp(kde.score_samples(grid.reshape(-1, 1)))
    cdf = np.cumsum(density)
    cdf /= cdf[-1]
    return float(np.interp(q, cdf, grid))


def mean(values: Sequence[float], default: float = 0.0) -> float:
    return float(sum(values) / len(values)) if values else default


def finite(value: float, default: float) -> float:
    return value if math.isfinite(value) else default
