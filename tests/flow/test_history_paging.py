"""The workflow reads the I-VAN's history a page at a time (issue #15): the newest page when History follows,
older pages on demand, all of them for an export; an event newer than a page is never moved back by it."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import cast

from tests.ui.fake_backend import transaction
from tui_ibhxh.core.models import Transaction, TxStatus
from tui_ibhxh.services.config import parse_config
from tui_ibhxh.services.journal import Journal
from tui_ibhxh.services.provider import IvanProvider, Page
from tui_ibhxh.services.token import TokenService
from tui_ibhxh.services.workflow import HISTORY_PAGE, UpdateWorkflow

CONFIG = '[ivan]\nurl = "http://127.0.0.1:9"\n[units.a]\nma_dvi = "TA1234A"\nmst = "0101234565"\nten_dvi = "ABC"\n'


class PagedIvan:
    """The transactions endpoint (protocol §6) over a list, newest first; the cursor is the next index."""

    def __init__(self, items: list[Transaction]) -> None:
        self.items = items
        self.reads: list[tuple[int, int]] = []  # (start, limit) of every page read

    async def transactions(self, ma_dvi: str, *, limit: int = 50, before: str | None = None) -> Page:
        start = int(before or 0)
        self.reads.append((start, limit))
        end = start + limit
        return Page(self.items[start:end], str(end) if end < len(self.items) else None, "41")


def workflow(ivan: PagedIvan, tmp_path: Path) -> tuple[UpdateWorkflow, Journal]:
    cfg = parse_config(CONFIG, tmp_path / "config.toml")
    journal = Journal(tmp_path / "journal.sqlite3")
    tokens = cast(TokenService, object())  # never asked: no token is involved in reading the history
    return UpdateWorkflow(cfg, tokens=tokens, journal=journal, client=cast(IvanProvider, ivan)), journal


def test_history_is_read_a_page_at_a_time(tmp_path: Path) -> None:
    items = [transaction(i, TxStatus.ACCEPTED, minutes_ago=i) for i in range(1, 2 * HISTORY_PAGE + 31)]
    ivan = PagedIvan(items)
    wf, journal = workflow(ivan, tmp_path)

    async def scenario() -> None:
        assert await wf.load_history() == "41"
        assert ivan.reads == [(0, HISTORY_PAGE)] and len(wf.state.transactions) == HISTORY_PAGE
        assert wf.state.history_loaded and wf.state.history_next == str(HISTORY_PAGE)
        newer = items[HISTORY_PAGE]  # an event about an unread one came first: accepted; its page says received
        ivan.items[HISTORY_PAGE] = replace(newer, status=TxStatus.RECEIVED)
        wf.state.transactions[newer.ref] = newer
        older_first = replace(items[0], status=TxStatus.SENT)
        ivan.items[0] = older_first  # a page older than the state's knowledge: never moves a status back
        assert await wf.load_more_history()
        assert ivan.reads[-1] == (HISTORY_PAGE, HISTORY_PAGE) and len(wf.state.transactions) == 2 * HISTORY_PAGE
        assert wf.state.transactions[newer.ref].status is TxStatus.ACCEPTED
        await wf.load_history()  # r: the newest page again; the older pages read stay, and the cursor past them
        assert wf.state.transactions[items[0].ref].status is TxStatus.ACCEPTED
        assert wf.state.history_next == str(2 * HISTORY_PAGE)
        await asyncio.gather(wf.load_all_history(), wf.load_all_history())  # one page at a time, each read once
        assert [start for start, _ in ivan.reads].count(2 * HISTORY_PAGE) == 1
        assert len(wf.state.transactions) == len(items) and wf.state.history_next is None
        assert not await wf.load_more_history()
        assert wf.state.current_transactions()[-1].ma_gdich == items[-1].ma_gdich

    try:
        asyncio.run(scenario())
    finally:
        journal.close()
