"""TUI timings as ratios against a bare Textual app measured in the same run:

- time to first frame of our app (token screen mounted and painted) vs a "hello" App;
- History with 10,000 transactions: time to populate the table, to scroll to the end, and for one live status
  change (an event from the I-VAN) to show in its row.

    python -m bench.tui [-n 5]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.widgets import Static

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.ui.fake_backend import FakeBackend, transaction
from tui_ibhxh.core.models import TxStatus
from tui_ibhxh.ui.app import IbhxhApp
from tui_ibhxh.ui.screens.history import HistoryScreen
from tui_ibhxh.ui.screens.pin import PinScreen
from tui_ibhxh.ui.screens.token import TokenScreen


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


def logging_in(app: IbhxhApp) -> bool:
    return isinstance(app.screen, TokenScreen | PinScreen)


async def history_times(n: int) -> tuple[float, float, float]:
    backend = ManyBackend(n)
    app = IbhxhApp(backend, animations=False)
    async with app.run_test(size=(120, 40)) as pilot:
        # History is followed once logged in (App.connected): the token list, the PIN, then F3
        while not (isinstance(app.screen, TokenScreen) and app.screen.tokens):
            await pilot.pause(0.005)
        await pilot.press("enter", *"123456", "enter")
        while logging_in(app):
            await pilot.pause(0.005)
        t0 = time.perf_counter()
        await pilot.press("f3")
        while not (isinstance(app.screen, HistoryScreen) and app.screen.query_one("#history").row_count == n):
            await pilot.pause(0.005)
        populated = time.perf_counter() - t0
        table = app.screen.query_one("#history")
        table.focus()
        t1 = time.perf_counter()
        await pilot.press("ctrl+end")
        while table.cursor_row != n - 1:
            await pilot.pause(0.005)
        await pilot.pause(0)
        scrolled = time.perf_counter() - t1
        target = backend.history[n // 2]
        rejected = replace(target, status=TxStatus.REJECTED, ma_loi="CERT_REVOKED", mota_loi="Chứng thư bị thu hồi")
        t2 = time.perf_counter()
        backend.pushed.put_nowait(rejected)
        while "CERT_REVOKED" not in str(table.get_cell_at(Coordinate(n // 2, 3))):
            await pilot.pause(0.001)
        return populated, scrolled, time.perf_counter() - t2


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=5, help="runs per measurement (median)")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args(argv)
    hello = statistics.median(asyncio.run(first_frame(None)) for _ in range(args.n))
    ours = statistics.median(asyncio.run(first_frame(IbhxhApp)) for _ in range(args.n))  # type: ignore[arg-type]
    runs = [asyncio.run(history_times(args.rows)) for _ in range(max(1, args.n // 2))]
    populate = statistics.median(r[0] for r in runs)
    scroll = statistics.median(r[1] for r in runs)
    live = statistics.median(r[2] for r in runs)
    print(f"{'measure':<44} {'ms':>9} {'× hello':>9}")
    print(f"{'first frame: bare Textual hello app':<44} {hello * 1e3:>9.1f} {1:>9.2f}")
    print(f"{'first frame: tui-ibhxh (token list shown)':<44} {ours * 1e3:>9.1f} {ours / hello:>9.2f}")
    print(f"{f'History: populate {args.rows:,} transactions':<44} {populate * 1e3:>9.1f} {populate / hello:>9.2f}")
    print(f"{f'History: scroll to the end of {args.rows:,}':<44} {scroll * 1e3:>9.1f} {scroll / hello:>9.2f}")
    print(f"{f'History: one live change among {args.rows:,}':<44} {live * 1e3:>9.1f} {live / hello:>9.2f}")


if __name__ == "__main__":
    main()
