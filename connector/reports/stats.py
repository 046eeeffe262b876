"""The few statistics reports use, written out so a test can check them by hand.

- ``percentile(values, q)``: linear interpolation between the closest ranks (NumPy's default,
  Excel's ``PERCENTILE.INC``): the sorted values are points 0..n-1 and ``q`` falls at
  ``q * (n - 1)``. The median is ``percentile(values, 0.5)``; None for no values.
- ``rate(part, whole)``: ``part / whole``, None when ``whole`` is 0 (nothing to divide).
- ``wilson(successes, n)``: the Wilson score interval of a proportion at 95% (z = 1.96), the
  interval that stays inside 0..1 and behaves for small samples and rates near 0 or 1, unlike
  ``p +- z * sqrt(p(1-p)/n)``. None when ``n`` is 0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal distribution


def percentile(values: Iterable[float], q: float) -> float | None:
    """The ``q``-th quantile (0..1) of ``values`` by linear interpolation; None when empty."""
    if not 0 <= q <= 1:
        raise ValueError(f"q must be between 0 and 1, not {q}")
    ordered = sorted(values)
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 0.5)


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def wilson(successes: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval (low, high) of ``successes`` out of ``n``; None for n = 0."""
    if n <= 0:
        return None
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n ({n}), not {successes}")
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def hours(seconds: float) -> float:
    return seconds / 3600
