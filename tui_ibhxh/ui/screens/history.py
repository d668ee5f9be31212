"""Step 5 / its own mode: Lịch sử giao dịch, kept current by the workflow (event stream, polling fallback); the
signed dossier that never reached the I-VAN as a row of its own with its two actions (re-send, discard); detail
with timeline, rejection reason and BHXH's confirmation with its signature status; filter by status; export CSV.

Everything shown comes from the unit's state; the screen keeps only the list of rows it shows, in order (to update
one row). The table draws only the lines on screen (ui/widgets/line_table.py): 100,000 transactions cost what 40
do (bench/tui.py)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from rich.cells import cell_len
from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Header, Static

from tui_ibhxh.core.i18n import fmt_datetime, t
from tui_ibhxh.core.models import Transaction, TxStatus
from tui_ibhxh.core.state import Aspect, Change, Feed, PendingDossier
from tui_ibhxh.services.errors import error_text, said
from tui_ibhxh.services.report import VerdictWords, history_csv, receipt_check_text, status_text
from tui_ibhxh.ui.actions import APP_ACTIONS, localized
from tui_ibhxh.ui.screens.base import BaseScreen
from tui_ibhxh.ui.screens.pending import pending_table
from tui_ibhxh.ui.screens.save_path import SavePathDialog
from tui_ibhxh.ui.widgets.line_table import Column, LineRow, LineTable
from tui_ibhxh.ui.widgets.stepper import Stepper

CODE_WIDTH = len("GD202611240000004")  # GD + 15 digits (the I-VAN's codes)
DATE_WIDTH = len("24/11/2026 09:30")
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
        self.loading_more = False  # an older page of the history is being read
        self.state_line: str | None = None  # what the line under the table says (None: not drawn yet)

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
            yield LineTable(self.line_row, id="history")
            with VerticalScroll(id="history-detail"):
                yield Static("", id="detail")
        yield Static(self.tr("ui.loading"), id="history-state", classes="state")
        yield self.footer()

    def on_screen_resume(self) -> None:
        self.query_one(Stepper).show_done(self.host.steps_done)  # how far the procedure got meanwhile

    def on_mount(self) -> None:
        self.query_one("#history", LineTable).set_columns(self.columns())
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

    def columns(self) -> list[Column]:
        """Widths from the shapes of the data, never measured row by row: a code is GD + 15 digits, a date
        dd/mm/yyyy hh:mm, a status one of four words (or the pending dossier's, with up to 99 attempts); every
        status is shown whole at 80 columns. The error code takes the rest (the detail shows it whole)."""
        statuses = [self.status_cell(status) for status in TxStatus]
        statuses += [f"{self.tr(key)} (99)" for key in ("ui.pending.status", "ui.pending.sending")]
        widths = {"ma_gdich": CODE_WIDTH, "date": DATE_WIDTH, "status": max(map(cell_len, statuses)), "error": 0}
        columns = []
        for key, width in widths.items():
            label = self.tr(f"ui.history.col.{key}")
            columns.append(Column(key, label, max(width, cell_len(label)) if width else 0))
        return columns

    def status_cell(self, status: TxStatus) -> str:
        return f"{MARKS[status]} {t(f'status.{status}', self.lang)}"

    def row_cells(self, row: Row) -> LineRow:
        """One row as the table shows it: data, never markup; the pending dossier in bold."""
        if isinstance(row, PendingDossier):
            status = self.tr("ui.pending.sending") if row.sending else self.tr("ui.pending.status")
            reason = said(row.last_error, self.tr) or ""
            cells = ("—", fmt_datetime(row.signed_at)[:16], f"{status} ({row.attempts})", reason)
            return LineRow(cells, bold=True)
        return LineRow(
            (row.ma_gdich, fmt_datetime(row.submitted_at)[:16], self.status_cell(row.status), row.ma_loi or "")
        )

    def line_row(self, index: int) -> LineRow:
        """The table's callback: only the rows on screen are ever asked for."""
        return self.row_cells(self.rows[index])

    def render_table(self) -> None:
        self.rows = self.visible_rows()
        self.query_one("#history", LineTable).set_rows(len(self.rows))
        self.render_state()
        self.show_detail()
        self.want_more()

    def want_more(self) -> None:
        """Older transactions are read from the I-VAN a page at a time when the user nears the end of those
        shown (filtered: until a screenful matches or none is left), never all at once up front."""
        if self.loading_more or self.state.history_next is None:
            return
        table = self.query_one("#history", LineTable)
        if len(self.rows) - max(table.cursor_row, table.last_visible_row) <= table.page_rows:
            self.loading_more = True
            self.render_state()
            self.load_more()

    @work(exit_on_error=False, group="history-more")
    async def load_more(self) -> None:
        """The rows follow from the state's change (render_table asks again if still near the end); a failure
        is told by the host, and the next move near the end tries again."""
        try:
            await self.backend.load_more_history()
        finally:
            self.loading_more = False

    def update_row(self, tx: Transaction) -> bool:
        """A status change of a transaction already shown that keeps its place: only its line is drawn again
        (bench/tui.py measures it among 100,000)."""
        i = self.row_index(tx)
        if i is None or FILTERS[self.filter_index] not in (None, tx.status):
            return False
        self.rows[i] = tx
        table = self.query_one("#history", LineTable)
        table.refresh_row(i)
        if table.cursor_row == i:
            self.show_detail()
        return True

    def row_index(self, tx: Transaction) -> int | None:
        """Where ``tx`` is in the table, found by halving (the rows are ordered newest first, as
        ``current_transactions`` orders them): no index to rebuild for 100,000 rows."""
        key = (tx.submitted_at, tx.ma_gdich)
        rows = self.rows
        lo = 1 if rows and isinstance(rows[0], PendingDossier) else 0
        hi = len(rows)
        while lo < hi:
            mid = (lo + hi) // 2
            row = rows[mid]
            assert isinstance(row, Transaction)  # only the first row can be the pending dossier
            if (row.submitted_at, row.ma_gdich) > key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(rows) and isinstance(found := rows[lo], Transaction) and found.ref == tx.ref:
            return lo
        return None

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
        if self.loading_more:
            parts.append(self.tr("ui.history.loading_more"))
        elif state.history_next is not None and state.history_loaded:
            loaded = sum(1 for ref in state.transactions if ref.ivan_id == state.ivan_id or not state.ivan_id)
            parts.append(self.tr("ui.history.more", count=loaded))
        if not self.rows and state.history_loaded and state.history_next is None:
            if self.filter_index and state.current_transactions():
                name = status_text_for(FILTERS[self.filter_index], self.lang)
                parts.append(self.hint("ui.history.none_with_status", name=name))
            else:
                parts.append(self.tr("ui.history.empty"))
        line = " — ".join(parts)
        if line != self.state_line:  # a live change of one row must not re-lay the screen out
            self.state_line = line
            self.query_one("#history-state", Static).update(Text(line))

    # -- detail ---------------------------------------------------------------------------------------
    def selected(self) -> Row | None:
        table = self.query_one("#history", LineTable)
        if not self.rows:
            return None
        return self.rows[max(0, min(table.cursor_row, len(self.rows) - 1))]

    def on_line_table_highlighted(self, event: LineTable.Highlighted) -> None:
        self.show_detail()
        self.want_more()

    def on_line_table_scrolled(self, event: LineTable.Scrolled) -> None:
        self.want_more()

    def show_detail(self) -> None:
        row = self.selected()
        detail = self.query_one("#detail", Static)
        if row is None:
            detail.update("")
            return
        if isinstance(row, PendingDossier):
            grid = pending_table(row, self.tr)
            grid.add_row("", "")
            grid.add_row("", Text(self.hint("ui.pending.hint")))
            detail.update(grid)
            return
        tx = row
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(self.tr("ui.history.col.ma_gdich"), Text(tx.ma_gdich))  # the I-VAN's data: never markup
        grid.add_row(self.tr("ui.history.col.so_hso"), Text(tx.so_hso))
        grid.add_row(self.tr("ui.history.col.status"), f"{MARKS[tx.status]} {status_text(tx, self.lang)}")
        grid.add_row(
            self.tr("ui.history.timeline"),
            "\n".join(f"{fmt_datetime(e.at)}  {t(f'status.{e.status}', self.lang)}" for e in tx.timeline),
        )
        if tx.ma_loi:
            grid.add_row(self.tr("ui.history.reason"), Text(f"{tx.ma_loi}: {tx.mota_loi or ''}"))
        receipt = self.receipts.get(tx.ma_gdich)
        if tx.status.final and receipt is None:
            self.receipts[tx.ma_gdich] = self.tr("ui.loading")
            self.fetch_receipt(tx.ma_gdich)
            receipt = self.receipts[tx.ma_gdich]
        grid.add_row(self.tr("ui.history.receipt"), Text(receipt or self.tr("ui.history.receipt_wait")))
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
        """Every transaction the filter shows, as CSV: where, is asked (prefilled in the documented default
        folder); under ``textual serve`` the browser downloads it instead."""
        name = f"lich-su-giao-dich-{self.backend.unit.ma_dvi}.csv"
        if self.app.is_web:
            self.deliver_export(name)
            return
        self.ask_path(self.tr("ui.history.export_title"), self.backend.default_dir() / name, self.export)

    def action_save_receipt(self) -> None:
        """Xác nhận của BHXH for the selected transaction, once final: the signed XML where the user says, with
        an HTML copy beside it (or both to the browser)."""
        row = self.selected()
        if not isinstance(row, Transaction):
            return
        if not row.status.final:
            self.notify(self.tr("ui.history.receipt_not_yet", ma_gdich=row.ma_gdich), severity="warning", markup=False)
            return
        ma_gdich = row.ma_gdich
        if self.app.is_web:
            self.deliver_receipt(ma_gdich)
            return
        default = self.backend.default_dir() / f"xac-nhan-{ma_gdich}.xml"
        title = self.tr("ui.history.receipt_title", ma_gdich=ma_gdich)
        self.ask_path(title, default, lambda path: self.save_receipt(ma_gdich, path))

    def ask_path(self, title: str, default: Path, then: Callable[[Path], object]) -> None:
        def chosen(path: Path | None) -> None:
            if path is not None:
                then(path)

        self.app.push_screen(localized(SavePathDialog, self.lang)(title, default), chosen)

    async def all_matching(self) -> list[Transaction]:
        """Every transaction the filter lets through, the pages not read yet included (read now)."""
        await self.backend.load_all_history()
        return [row for row in self.visible_rows() if isinstance(row, Transaction)]

    def deliver(self, files: list[tuple[str, bytes]]) -> None:
        """Under ``textual serve``: the browser saves the files (nothing is written on the server)."""
        for name, data in files:
            self.app.deliver_binary(io.BytesIO(data), save_filename=name, mime_type=MIME_TYPES[Path(name).suffix])
            self.notify(self.tr("ui.history.delivered", name=name), markup=False)

    @work(exit_on_error=False, group="history-export")
    async def deliver_export(self, name: str) -> None:
        self.deliver([(name, history_csv(await self.all_matching(), self.lang))])

    @work(exit_on_error=False, group="history-receipt-save")
    async def deliver_receipt(self, ma_gdich: str) -> None:
        self.deliver(await self.backend.receipt_files(ma_gdich))

    @work(exit_on_error=False, group="history-receipt-save")
    async def save_receipt(self, ma_gdich: str, path: Path) -> None:
        paths = await self.backend.save_receipt(ma_gdich, path)
        self.notify(self.tr("ui.history.receipt_saved", paths=", ".join(str(p) for p in paths)), markup=False)

    @work(exit_on_error=False, group="history-export")
    async def export(self, path: Path) -> None:
        await self.backend.export_csv(path, await self.all_matching())
        self.notify(escape(self.tr("ui.history.exported", path=path)))


MIME_TYPES = {".csv": "text/csv", ".xml": "application/xml", ".html": "text/html"}

#: the receipt verdict in the detail pane, in short words
RECEIPT_CELL = VerdictWords("ui.history.receipt_unchecked", "ui.history.receipt_valid", "ui.history.receipt_invalid")


def status_text_for(status: TxStatus | None, lang: str) -> str:
    if status is None:
        return t("ui.history.all", "en" if lang == "en" else "vi")
    return t(f"status.{status}", "en" if lang == "en" else "vi")
