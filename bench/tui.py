"""TUI timings as ratios against a bare Textual app measured in the same run:

- time to first frame of our app (token screen mounted and painted) vs a "hello" App;
- History with 100,000 transactions (``history_bench``) against the same number of lines of plain text in a
  Static (the baseline): time to populate the table, to scroll to the end, for one live status change (an event
  from the I-VAN) to show in its row, and the process's RSS with the table full.

    python -m bench.tui [-n 5] [--rows 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ui.fake_backend import FakeBackend, transaction
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.ui.app import IbhxhApp
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.token import TokenScreen
from tui_ibhxh.ui.widgets.line_table import LineTable


class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Xin chào")


async def first_frame(make: type[App[object]] | None) -> float:
    t0 = time.perf_counter()
    app: App[object] = Hello() if make is None else IbhxhApp(FakeBackend(), animations=False)  # type: ignore[assignment]
    async with app.run_test(size=(100, 30)) as pilot:
        if make is not None:
            while not (isinstance(app.screen, TokenScreen) and app.screen.tokens):
                await pilot.pause(0.005)
        await pilot.pause(0)
        return time.perf_counter() - t0


class ManyBackend(FakeBackend):
    """``n`` accepted transactions; events are pushed by the benchmark through ``pushed``."""

    def __init__(self, n: int) -> None:
        super().__init__()
        base = transaction(1, TxStatus.ACCEPTED)
        self.history = [
            replace(base, ma_gdich=f"GD2026{i:011d}", submitted_at=base.submitted_at - timedelta(minutes=i))
            for i in range(n)
        ]


@dataclass(frozen=True)
class HistoryTimes:
    populate: float  # F3 pressed → every row in the table, first frame painted
    scroll: float  # End's action → the last row under the cursor, painted
    live: float  # an event from the I-VAN → its row painted again
    rss: int  # bytes, the whole process with the table full


def rss_bytes() -> int:
    """The resident set size now (Linux), 0 where /proc is missing."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


async def history_times(n: int) -> HistoryTimes:
    backend = ManyBackend(n)
    app = IbhxhApp(backend, animations=False)
    async with app.run_test(size=(120, 40)) as pilot:
        while not (isinstance(app.screen, TokenScreen) and app.screen.tokens):
            await pilot.pause(0.005)
        await pilot.press("enter", *"123456", "enter")  # History follows once logged in
        while not backend.state.history_loaded:
            await pilot.pause(0.005)
        t0 = time.perf_counter()
        await pilot.press("f3")
        while not (isinstance(app.screen, HistoryScreen) and len(app.screen.rows) == n):
            await pilot.pause(0.001)
        await pilot.pause(0)
        populated = time.perf_counter() - t0
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        table = screen.query_one("#history", LineTable)
        table.focus()
        await pilot.pause(0)
        t1 = time.perf_counter()
        table.action_last()  # what End / Ctrl+End run; the baseline calls scroll_end the same way (no key round trip)
        while table.cursor_row != n - 1:
            await pilot.pause(0.001)
        await pilot.pause(0)
        scrolled = time.perf_counter() - t1
        target = backend.history[n // 2]
        rejected = replace(target, status=TxStatus.REJECTED, ma_loi="CERT_REVOKED", mota_loi="Chứng thư bị thu hồi")
        t2 = time.perf_counter()
        backend.pushed.put_nowait(rejected)
        while screen.rows[n // 2] != rejected:
            await pilot.pause(0.001)
        await pilot.pause(0)
        return HistoryTimes(populated, scrolled, time.perf_counter() - t2, rss_bytes())


class PlainLines(App[None]):
    """The baseline: the same number of lines as plain text in a Static that scrolls."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static("\n".join(self.lines), markup=False)


async def plain_times(n: int) -> HistoryTimes:
    """The same three steps on plain text: show n lines, scroll to the end, change one line."""
    lines = [f"GD2026{i:011d}  24/11/2026 09:30  ✓ Chấp nhận (Thành công)" for i in range(n)]
    t0 = time.perf_counter()
    app = PlainLines(lines)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0)
        populated = time.perf_counter() - t0
        scroller = app.query_one(VerticalScroll)
        t1 = time.perf_counter()
        scroller.scroll_end(animate=False, immediate=True)
        await pilot.pause(0)
        scrolled = time.perf_counter() - t1
        lines[n // 2] = lines[n // 2].replace("✓ Chấp nhận (Thành công)", "✗ Từ chối  CERT_REVOKED")
        t2 = time.perf_counter()
        app.query_one(Static).update("\n".join(lines))
        await pilot.pause(0)
        return HistoryTimes(populated, scrolled, time.perf_counter() - t2, rss_bytes())


def history_bench(rows: int = 100_000, runs: int = 3, small: int = 1_000) -> list[tuple[str, float, float, float]]:
    """History with ``rows`` transactions against plain text of as many lines (the baseline, in the same run), and
    against History with ``small`` transactions (the cost must not grow with the rows): (measure, ours, ours with
    ``small``, baseline) in seconds, and the RSS in MB with the table full. Goals (issue #15, 100,000 rows):
    populate ≤ 0.5 s, scroll to the end ≤ 50 ms, one live change ≤ 10 ms, RSS ≤ 150 MB."""
    ours = [asyncio.run(history_times(rows)) for _ in range(runs)]
    few = [asyncio.run(history_times(small)) for _ in range(runs)]
    base = [asyncio.run(plain_times(rows)) for _ in range(runs)]

    def median(times: list[HistoryTimes], field: str) -> float:
        return float(statistics.median(getattr(t, field) for t in times))

    def measures(field: str) -> tuple[float, float, float]:
        return median(ours, field), median(few, field), median(base, field)

    def rss(times: list[HistoryTimes]) -> float:
        return max(t.rss for t in times) / 2**20

    return [
        (f"History: populate {rows:,} transactions", *measures("populate")),
        (f"History: scroll to the end of {rows:,}", *measures("scroll")),
        (f"History: one live change among {rows:,}", *measures("live")),
        (f"History: RSS with {rows:,} rows (MB)", rss(ours), rss(few), rss(base)),
    ]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    hello = statistics.median(asyncio.run(first_frame(None)) for _ in range(args.n))
    ours = statistics.median(asyncio.run(first_frame(IbhxhApp)) for _ in range(args.n))  # type: ignore[arg-type]
    print(f"{'measure':<44} {'ms':>9} {'× hello':>9}")
    print(f"{'first frame: bare Textual hello app':<44} {hello * 1e3:>9.1f} {1:>9.2f}")
    print(f"{'first frame: tui-ibhxh (token list shown)':<44} {ours * 1e3:>9.1f} {ours / hello:>9.2f}")
    print()
    small = 1_000
    print(f"{'measure':<44} {'ours':>9} {f'ours@{small:,}':>11} {'plain text':>11} {'÷ plain':>8}")
    for name, mine, few, base in history_bench(args.rows, max(1, args.n // 2), small):
        unit = 1 if "MB" in name else 1e3
        suffix = "" if "MB" in name else " ms"
        print(f"{name:<44} {mine * unit:>9.1f} {few * unit:>11.1f} {base * unit:>11.1f} {mine / base:>8.3f}{suffix}")


if __name__ == "__main__":
    main()
