"""Step 5 / its own mode: Lịch sử giao dịch, kept current by the workflow (event stream, polling fallback); the
signed dossier that never reached the I-VAN as a row of its own with its two actions (re-send, discard); detail
with timeline, rejection reason and BHXH's confirmation with its signature status; filter by status; export CSV.

Everything shown comes from the unit's state; the screen keeps only what it has drawn (to update one row)."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Header, Static
from textual.widgets.data_table import RowKey

from tui_ibhxh.core.i18n import fmt_datetime, t
from tui_ibhxh.core.models import Transaction, TxStatus
from tui_ibhxh.core.state import Aspect, Change, Feed, PendingDossier
from tui_ibhxh.services.errors import error_text, said
from tui_ibhxh.services.report import VerdictWords, receipt_check_text, status_text
from tui_ibhxh.ui.actions import APP_ACTIONS
from tui_ibhxh.ui.screens.base import BaseScreen
from tui_ibhxh.ui.screens.pending import pending_table
from tui_ibhxh.ui.widgets.stepper import Stepper

FILTERS: tuple[TxStatus | None, ...] = (None, TxStatus.SENT, TxStatus.RECEIVED, TxStatus.ACCEPTED, TxStatus.REJECTED)
MARKS = {TxStatus.SENT: "→", TxStatus.RECEIVED: "…", TxStatus.ACCEPTED: "✓", TxStatus.REJECTED: "✗"}
PENDING_ROW = "pending"

Row = Transaction | PendingDossier


class HistoryScreen(BaseScreen):
    HELP_KEY = "ui.help.history"
    STEP = "history"  # the stepper's last step; its own mode, reachable from anywhere
    OBSERVES = frozenset({Aspect.TRANSACTIONS, Aspect.PENDING, Aspect.FEED, Aspect.LOGIN})
    ACTIONS = (
        "history.filter",
        "history.export",
        "history.refresh",
        "history.receipt",
        "history.resend",
        "history.discard",
        "history.back",
        *APP_ACTIONS,
    )

    def __init__(self) -> None:
        super().__init__()
        self.filter_index = 0
        self.receipts: dict[str, str] = {}
        self.feed_shown = Feed.IDLE  # the feed mode last announced
        self.rows: list[Row] = []  # what the table shows, in its order (after the filter)
        self.row_keys: list[RowKey] = []
        self.row_of: dict[str, int] = {}  # ma_gdich -> row

    @property
    def items(self) -> dict[str, Transaction]:
        """The unit's transactions at the I-VAN it is connected to, by code (read from the state)."""
        return {tx.ma_gdich: tx for tx in self.state.current_transactions()}

    def compose(self) -> ComposeResult:
        yield Header()
        yield self.stepper(done=self.host.steps_done)
        unit = self.backend.unit
        yield Static(self.tr("ui.history.heading", ten_dvi=unit.ten_dvi, ma_dvi=unit.ma_dvi), classes="heading")
        with Horizontal(id="history-body"):
            table: DataTable[str | Text] = DataTable(id="history", cursor_type="row", zebra_stripes=True)
            yield table
            with VerticalScroll(id="history-detail"):
                yield Static("", id="detail")
        yield Static(self.tr("ui.loading"), id="history-state", classes="state")
        yield self.footer()

    def on_screen_resume(self) -> None:
        self.query_one(Stepper).show_done(self.host.steps_done)  # how far the procedure got meanwhile

    def on_mount(self) -> None:
        table = self.query_one("#history", DataTable)
        for key in ("ma_gdich", "date", "status", "error"):
            table.add_column(self.tr(f"ui.history.col.{key}"), key=key)
        self.feed_shown = self.state.feed.mode
        self.render_table()

    def unit_state_changed(self, change: Change) -> None:
        if Aspect.FEED in change:
            self.announce_feed()
        one = change.aspects == {Aspect.TRANSACTIONS} and len(change.transactions) == 1
        if one and self.update_row(change.transactions[0]):
            self.render_state()
            return
        if change.aspects & {Aspect.TRANSACTIONS, Aspect.PENDING}:
            self.render_table()
        else:
            self.render_state()

    def announce_feed(self) -> None:
        """Say when the event stream is lost (polling) and when it is back."""
        mode = self.state.feed.mode
        if mode is self.feed_shown:
            return
        if mode is Feed.POLLING and self.feed_shown is not Feed.UNREACHABLE:
            seconds = int(self.backend.poll_interval)
            self.notify(self.tr("ui.history.polling", seconds=seconds), severity="warning", markup=False)
        elif mode is Feed.LIVE and self.feed_shown in (Feed.POLLING, Feed.UNREACHABLE):
            self.notify(self.tr("ui.history.live_again"), markup=False)
        self.feed_shown = mode

    # -- rendering --------------------------------------------------------------------------------------
    def visible_rows(self) -> list[Row]:
        wanted = FILTERS[self.filter_index]
        rows: list[Row] = []
        pending = self.state.pending
        if pending is not None and wanted is None:
            rows.append(pending)
        rows.extend(tx for tx in self.state.current_transactions() if wanted is None or tx.status == wanted)
        return rows

    def row_cells(self, row: Row) -> tuple[Text, ...]:
        if isinstance(row, PendingDossier):
            status = self.tr("ui.pending.sending") if row.sending else self.tr("ui.pending.status")
            texts = (
                "—",
                fmt_datetime(row.signed_at)[:16],
                f"{status} ({row.attempts})",
                said(row.last_error, self.tr) or "",
            )
            return tuple(Text(c, style="bold") for c in texts)
        status = f"{MARKS[row.status]} {status_text(row, self.lang)}"
        cells = (row.ma_gdich, fmt_datetime(row.submitted_at)[:16], status, row.ma_loi or "")
        return tuple(Text(cell) for cell in cells)  # data, not markup

    def render_table(self) -> None:
        table = self.query_one("#history", DataTable)
        keep = table.cursor_row
        table.clear()
        self.rows = self.visible_rows()
        self.row_keys = table.add_rows(self.row_cells(row) for row in self.rows)
        self.row_of = {row.ma_gdich: i for i, row in enumerate(self.rows) if isinstance(row, Transaction)}
        if self.rows:
            table.move_cursor(row=max(0, min(keep, len(self.rows) - 1)))
        self.render_state()
        self.show_detail()

    def update_row(self, tx: Transaction) -> bool:
        """A status change of a transaction already shown that keeps its place: only its cells change (a full
        redraw of a long history takes about a second; see bench/tui.py). The column widens when needed."""
        i = self.row_of.get(tx.ma_gdich)
        wanted = FILTERS[self.filter_index]
        if i is None:
            return False
        old = self.rows[i]
        if not isinstance(old, Transaction) or old.submitted_at != tx.submitted_at or wanted not in (None, tx.status):
            return False
        self.rows[i] = tx
        table = self.query_one("#history", DataTable)
        _, _, status, error = self.row_cells(tx)
        table.update_cell(self.row_keys[i], "status", status, update_width=True)
        table.update_cell(self.row_keys[i], "error", error, update_width=True)
        if table.cursor_row == i:
            self.show_detail()
        return True

    def render_state(self) -> None:
        """Below the table: how it is kept up to date (or why it is not), the filter, and what is missing."""
        state = self.state
        feed = state.feed
        parts: list[str] = []
        if state.token is None and not state.history_loaded:
            parts.append(self.hint("ui.history.not_connected"))
        elif feed.mode is Feed.LIVE:
            parts.append(self.tr("ui.history.mode_live"))
        elif feed.mode is Feed.POLLING:
            parts.append(self.tr("ui.history.mode_poll", seconds=int(self.backend.poll_interval)))
        elif feed.mode is Feed.UNREACHABLE:
            since = fmt_datetime(feed.since) if feed.since else "?"
            reason = error_text(feed.error, self.lang) if feed.error else ""
            seconds = int(self.backend.poll_interval)
            parts.append(self.tr("ui.history.unreachable", since=since, seconds=seconds, reason=reason))
        elif feed.mode is Feed.LOADING and not state.history_loaded:
            parts.append(self.tr("ui.loading"))
        if state.history_error is not None and not state.history_loaded and feed.mode is not Feed.UNREACHABLE:
            parts.append("✗ " + error_text(state.history_error, self.lang))
        if self.filter_index:
            parts.append(self.tr("ui.history.filter", name=status_text_for(FILTERS[self.filter_index], self.lang)))
        if state.pending is not None:
            parts.append(self.hint("ui.pending.hint_short"))
        if not self.rows and state.history_loaded:
            if self.filter_index and state.current_transactions():
                name = status_text_for(FILTERS[self.filter_index], self.lang)
                parts.append(self.hint("ui.history.none_with_status", name=name))
            else:
                parts.append(self.tr("ui.history.empty"))
        self.query_one("#history-state", Static).update(Text(" — ".join(parts)))

    # -- detail ---------------------------------------------------------------------------------------
    def selected(self) -> Row | None:
        table = self.query_one("#history", DataTable)
        if not self.rows:
            return None
        return self.rows[max(0, min(table.cursor_row, len(self.rows) - 1))]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        row = self.selected()
        detail = self.query_one("#detail", Static)
        if row is None:
            detail.update("")
            return
        if isinstance(row, PendingDossier):
            grid = pending_table(row, self.tr)
            grid.add_row("", "")
            grid.add_row("", self.hint("ui.pending.hint"))
            detail.update(grid)
            return
        tx = row
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(self.tr("ui.history.col.ma_gdich"), tx.ma_gdich)
        grid.add_row(self.tr("ui.history.col.so_hso"), tx.so_hso)
        grid.add_row(self.tr("ui.history.col.status"), f"{MARKS[tx.status]} {status_text(tx, self.lang)}")
        grid.add_row(
            self.tr("ui.history.timeline"),
            "\n".join(f"{fmt_datetime(e.at)}  {t(f'status.{e.status}', self.lang)}" for e in tx.timeline),
        )
        if tx.ma_loi:
            grid.add_row(self.tr("ui.history.reason"), f"{tx.ma_loi}: {tx.mota_loi or ''}")
        receipt = self.receipts.get(tx.ma_gdich)
        if tx.status.final and receipt is None:
            self.receipts[tx.ma_gdich] = self.tr("ui.loading")
            self.fetch_receipt(tx.ma_gdich)
            receipt = self.receipts[tx.ma_gdich]
        grid.add_row(self.tr("ui.history.receipt"), receipt or self.tr("ui.history.receipt_wait"))
        detail.update(grid)

    @work(exit_on_error=False, group="history-receipt")
    async def fetch_receipt(self, ma_gdich: str) -> None:
        try:
            _xml, check = await self.backend.receipt(ma_gdich)
        except Exception as exc:  # shown in the detail, where the confirmation would be
            self.receipts[ma_gdich] = "✗ " + self.told(exc)
        else:
            self.receipts[ma_gdich] = receipt_check_text(check, self.lang, RECEIPT_CELL)
        self.show_detail()

    # -- actions --------------------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.render_table()

    def action_refresh(self) -> None:
        if self.state.token is None:
            self.notify(self.hint("ui.history.not_connected"), severity="warning", markup=False)
            return
        self.refresh_history()

    @work(exclusive=True, exit_on_error=False, group="history-load")
    async def refresh_history(self) -> None:
        """A failure is told by the host; the state line shows it until a later load succeeds."""
        await self.backend.refresh_history()

    def action_resend(self) -> None:
        pending = self.state.pending
        if pending is None:
            self.notify(self.tr("ui.pending.none"), markup=False)
            return
        self.host.resend_pending(pending.key)

    def action_discard(self) -> None:
        self.host.confirm_discard()

    def action_export(self) -> None:
        self.export(Path.cwd() / f"lich-su-giao-dich-{self.backend.unit.ma_dvi}.csv")

    def action_save_receipt(self) -> None:
        row = self.selected()
        if not isinstance(row, Transaction):
            return
        if not row.status.final:
            self.notify(self.tr("ui.history.receipt_not_yet", ma_gdich=row.ma_gdich), severity="warning", markup=False)
            return
        self.save_receipt(row.ma_gdich, Path.cwd())

    @work(exit_on_error=False, group="history-receipt-save")
    async def save_receipt(self, ma_gdich: str, directory: Path) -> None:
        paths = await self.backend.save_receipt(ma_gdich, directory)
        self.notify(self.tr("ui.history.receipt_saved", paths=", ".join(str(p) for p in paths)), markup=False)

    @work(exit_on_error=False, group="history-export")
    async def export(self, path: Path) -> None:
        await self.backend.export_csv(path, [row for row in self.rows if isinstance(row, Transaction)])
        self.notify(escape(self.tr("ui.history.exported", path=path)))


#: the receipt verdict in the detail pane, in short words
RECEIPT_CELL = VerdictWords("ui.history.receipt_unchecked", "ui.history.receipt_valid", "ui.history.receipt_invalid")


def status_text_for(status: TxStatus | None, lang: str) -> str:
    if status is None:
        return t("ui.history.all", "en" if lang == "en" else "vi")
    return t(f"status.{status}", "en" if lang == "en" else "vi")
