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


@dataclass(frozen=True)
class Row:
    """One line of ``python -m bench``: a goal of issue #15, the figure measured, the baseline measured in the same
    run, their ratio, and whether the goal is met. A goal is either on the ratio (``limit`` × the baseline) or on
    the figure itself (at most / at least ``limit`` in ``unit``)."""

    measure: str
    unit: str  # of the figure and the baseline: "ms", "MB", "/s"
    figure: float
    baseline: float
    baseline_name: str
    limit: float
    on_ratio: bool  # the goal bounds figure / baseline, else the figure
    at_least: bool = False  # the goal is a floor (throughput), else a ceiling

    @property
    def ratio(self) -> float:
        return self.figure / self.baseline if self.baseline else float("inf")

    @property
    def passed(self) -> bool:
        value = self.ratio if self.on_ratio else self.figure
        return value >= self.limit if self.at_least else value <= self.limit

    @property
    def goal(self) -> str:
        sign = "≥" if self.at_least else "≤"
        return f"{sign} {self.limit:g}×" if self.on_ratio else f"{sign} {self.limit:g} {self.unit}"


def _num(value: float, unit: str) -> str:
    if unit == "ms" and value >= 1000:
        return f"{value / 1000:.2f} s"
    return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"


def rows_table(rows: list[Row]) -> str:
    """The one table: measure, goal, figure, baseline (what it is), ratio, PASS/FAIL."""
    cells = [
        (
            r.measure,
            r.goal,
            _num(r.figure, r.unit),
            f"{_num(r.baseline, r.unit)} ({r.baseline_name})",
            f"{r.ratio:.2f}×",
        )
        for r in rows
    ]
    head = ("measure", "goal", "figure", "baseline", "ratio")
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(len(head))]

    def line(c: tuple[str, ...], verdict: str) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)) + f" | {verdict:<6} |"

    out = [line(head, "result"), "|" + "|".join("-" * (w + 2) for w in [*widths, 6]) + "|"]
    out += [line(c, "PASS" if r.passed else "FAIL") for c, r in zip(cells, rows, strict=True)]
    return "\n".join(out)
