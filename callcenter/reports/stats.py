"""Percentiles as the monthly report defines them (issue 14 §1)."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def percentile(values: Sequence[float], q: int) -> float | None:
    """The ``q``-th percentile (1..99) by linear interpolation between closest ranks — the
    "inclusive" method of :func:`statistics.quantiles`; None for no values."""
    if not values:
        return None
    if len(values) == 1:
        return float(values[0])
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[q - 1]
