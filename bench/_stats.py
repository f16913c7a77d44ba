"""Shared arithmetic for the benchmarks."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

_N = TypeVar("_N", int, float)


def nearest_rank(ordered: Sequence[_N], q: float) -> _N:
    """The nearest-rank percentile ``q`` (0-1) of an already sorted, non-empty sequence."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]
