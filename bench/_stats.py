"""Timing helpers shared by the benchmarks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Timing:
    name: str
    samples: list[float]  # seconds per operation

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p99(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]

    @property
    def per_second(self) -> float:
        return len(self.samples) / sum(self.samples)


def measure(name: str, fn: Callable[[], object], *, n: int, warmup: int = 3) -> Timing:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return Timing(name, samples)


def table(rows: list[tuple[Timing, Timing]]) -> str:
    """One line per (ours, baseline) pair: ops/s, p50, p99 and ratios (ours / baseline time)."""
    head = f"{'operation':<34} {'ops/s':>9} {'p50 ms':>8} {'p99 ms':>8}   {'base ops/s':>10} {'p50 ratio':>9}"
    lines = [head, "-" * len(head)]
    for ours, base in rows:
        lines.append(
            f"{ours.name:<34} {ours.per_second:>9.1f} {ours.p50 * 1e3:>8.2f} {ours.p99 * 1e3:>8.2f}   "
            f"{base.per_second:>10.1f} {ours.p50 / base.p50:>8.2f}x"
        )
    return "\n".join(lines)
