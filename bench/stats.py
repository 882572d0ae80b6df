"""Timing helpers: percentiles of repeated calls, in milliseconds."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    p50_ms: float
    p95_ms: float
    mean_ms: float

    def __str__(self) -> str:
        return f"p50 {self.p50_ms:.3f} ms, p95 {self.p95_ms:.3f} ms, mean {self.mean_ms:.3f} ms"


def time_each(call: Callable[[T], object], inputs: Sequence[T], *, warmup: int = 50) -> Timing:
    for item in inputs[:warmup]:
        call(item)
    durations = []
    for item in inputs:
        start = time.perf_counter()
        call(item)
        durations.append((time.perf_counter() - start) * 1000)
    durations.sort()
    return Timing(
        p50_ms=durations[len(durations) // 2],
        p95_ms=durations[int(len(durations) * 0.95)],
        mean_ms=statistics.fmean(durations),
    )
