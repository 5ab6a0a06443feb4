"""What every benchmark section shares: timing, percentiles, and one way to report a figure."""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank: a real observed value, never interpolated down."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def timed(func: Callable[[], object], runs: int, *, warmup: int = 1) -> list[float]:
    """Seconds per call over `runs` calls after `warmup` untimed ones (garbage collection left on)."""
    for _ in range(warmup):
        func()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    gc.collect()
    return times


@dataclass(frozen=True)
class Figure:
    """One measured figure, its baseline from the same run, and the target it is held to (if any)."""

    name: str
    value: float
    unit: str  # "ms", "/s", "KB"
    baseline: float | None = None
    baseline_name: str = ""
    target: float | None = None
    higher_is_better: bool = False
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value >= self.target if self.higher_is_better else self.value < self.target

    def line(self) -> str:
        value = f"{self.value:,.2f} {self.unit}" if self.value < 100 else f"{self.value:,.0f} {self.unit}"
        parts = [f"{self.name:<58} {value:>14}"]
        if self.ratio is not None and self.baseline is not None:
            base = f"{self.baseline:,.3g} {self.unit}"
            parts.append(f"  {self.ratio:>7.2f}x baseline ({self.baseline_name}: {base})")
        if self.target is not None:
            sign = "≥" if self.higher_is_better else "<"
            parts.append(f"  target {sign} {self.target:g} {self.unit}: {'met' if self.met else 'NOT MET'}")
        if self.note:
            parts.append(f"  [{self.note}]")
        return "".join(parts)


def ms(seconds: float) -> float:
    return seconds * 1000.0


def median_ms(times: list[float]) -> float:
    return ms(statistics.median(times))


def p_ms(times: list[float], q: float) -> float:
    return ms(percentile(times, q))
