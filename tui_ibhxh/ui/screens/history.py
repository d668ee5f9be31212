"""Step 5 / its own mode: Lịch sử giao dịch, live from the I-VAN's event stream; detail with timeline,
rejection reason and BHXH's confirmation with its signature status; filter by status; export CSV."""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Static
from textual.widgets.data_table import RowKey

from tui_ibhxh.core.i18n import fmt_datetime, t
from tui_ibhxh.core.models import Transaction, TxStatus
from tui_ibhxh.services.report import status_text
from tui_ibhxh.ui.screens.base import BaseScreen, error_text
from tui_ibhxh.ui.widgets.stepper import Stepper

FILTERS: tuple[TxStatus | None, ...] = (None, TxStatus.SENT, TxStatus.RECEIVED, TxStatus.ACCEPTED, TxStatus.REJECTED)
MARKS = {TxStatus.SENT: "→", TxStatus.RECEIVED: "…", TxStatus.ACCEPTED: "✓", TxStatus.REJECTED: "✗"}


class HistoryScreen(BaseScreen):
    HELP_KEY = "ui.help.history"
    BINDINGS = [
        Binding("f", "filter", "Lọc", id="history.filter"),
        Binding("e", "export", "Kết xuất CSV", id="history.export"),
        Binding("r", "refresh", "Làm mới", id="history.refresh"),
        Binding("x", "save_receipt", "Lưu xác nhận", id="history.receipt"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, Transaction] = {}
        self.filter_index = 0
        self.receipts: dict[str, str] = {}
        self.following = False
        self.live: bool | None = None  # None until the first word from the event stream
        self.rows: list[Transaction] = []  # what the table shows, in its order (after the filter)
        self.row_keys: list[RowKey] = []
        self.row_of: dict[str, int] = {}  # ma_gdich -> row

    def compose(self) -> ComposeResult:
        yield Header()
        yield Stepper("history", self.lang, done=self.ibhxh.wizard_done)
        unit = self.backend.unit
        yield Static(self.tr("ui.history.heading", ten_dvi=unit.ten_dvi, ma_dvi=unit.ma_dvi), classes="heading")
        with Horizontal(id="history-body"):
            table: DataTable[str | Text] = DataTable(id="history", cursor_type="row", zebra_stripes=True)
            yield table
            with VerticalScroll(id="history-detail"):
                yield Static("", id="detail")
        yield Static(self.tr("ui.loading"), id="history-state", classes="state")
        yield Footer()

    def on_screen_resume(self) -> None:
        super().on_screen_resume()
        self.query_one(Stepper).show_done(self.ibhxh.wizard_done)  # how far the procedure got meanwhile

    def on_mount(self) -> None:
        table = self.query_one("#history", DataTable)
        for key in ("ma_gdich", "date", "status", "error"):
            table.add_column(self.tr(f"ui.history.col.{key}"), key=key)
        self.load()

    # -- data -----------------------------------------------------------------------------------------
    @work(exclusive=True, exit_on_error=False, group="history-load")
    async def load(self) -> None:
        state = self.query_one("#history-state", Static)
        state.update(self.tr("ui.loading"))
        try:
            items = await self.backend.transactions()
        except Exception as exc:
            state.update(Text("✗ " + error_text(exc, self.lang), style="bold"))
            return
        self.items = {tx.ma_gdich: tx for tx in items}
        self.render_table()
        if not self.following:  # live updates start from what is shown (after a failed load: on refresh)
            self.following = True
            self.follow()

    @work(exclusive=True, exit_on_error=False, group="history-events")
    async def follow(self) -> None:
        try:
            async for tx in self.backend.watch(list(self.items.values()), self.on_live):
                old = self.items.get(tx.ma_gdich)
                self.items[tx.ma_gdich] = tx
                if not self.update_row(old, tx):
                    self.render_table()
                if tx.status.final and (old is None or old.status != tx.status):
                    self.notify(
                        self.tr("ui.history.became", ma_gdich=tx.ma_gdich, status=status_text(tx, self.lang)),
                        severity="information" if tx.status is TxStatus.ACCEPTED else "warning",
                    )
        except Exception as exc:
            self.following = False
            self.show_error(exc)

    def on_live(self, up: bool) -> None:
        """The event stream is feeding the table (True) or it is down and the list is polled (False)."""
        if up is self.live:
            return
        if not up:
            seconds = int(self.backend.poll_interval)
            self.notify(self.tr("ui.history.polling", seconds=seconds), severity="warning", markup=False)
        elif self.live is False:
            self.notify(self.tr("ui.history.live_again"), markup=False)
        self.live = up
        self.render_state()

    def visible_items(self) -> list[Transaction]:
        wanted = FILTERS[self.filter_index]
        items = sorted(self.items.values(), key=lambda tx: tx.submitted_at, reverse=True)
        return [tx for tx in items if wanted is None or tx.status == wanted]

    def row_cells(self, tx: Transaction) -> tuple[Text, ...]:
        cells = (tx.ma_gdich, fmt_datetime(tx.submitted_at)[:16], f"{MARKS[tx.status]} {status_text(tx, self.lang)}")
        return tuple(Text(cell) for cell in (*cells, tx.ma_loi or ""))  # data, not markup

    def render_table(self) -> None:
        table = self.query_one("#history", DataTable)
        keep = table.cursor_row
        table.clear()
        self.rows = self.visible_items()
        self.row_keys = table.add_rows(self.row_cells(tx) for tx in self.rows)
        self.row_of = {tx.ma_gdich: i for i, tx in enumerate(self.rows)}
        if self.rows:
            table.move_cursor(row=max(0, min(keep, len(self.rows) - 1)))
        self.render_state()
        self.show_detail()

    def update_row(self, old: Transaction | None, tx: Transaction) -> bool:
        """A status change of a transaction already shown that keeps its place: only its cells change (a full
        redraw of a long history takes about a second; see bench/tui.py)."""
        i = self.row_of.get(tx.ma_gdich)
        wanted = FILTERS[self.filter_index]
        if i is None or old is None or old.submitted_at != tx.submitted_at or wanted not in (None, tx.status):
            return False
        self.rows[i] = tx
        table = self.query_one("#history", DataTable)
        _, _, status, error = self.row_cells(tx)
        table.update_cell(self.row_keys[i], "status", status)
        table.update_cell(self.row_keys[i], "error", error)
        if table.cursor_row == i:
            self.show_detail()
        return True

    def render_state(self) -> None:
        """Below the table: how it is kept up to date, the filter, and "no transaction" when empty."""
        parts = []
        if self.live is not None:
            seconds = int(self.backend.poll_interval)
            parts.append(
                self.tr("ui.history.mode_live") if self.live else self.tr("ui.history.mode_poll", seconds=seconds)
            )
        if self.filter_index:
            parts.append(self.tr("ui.history.filter", name=status_text_for(FILTERS[self.filter_index], self.lang)))
        if not self.rows:
            parts.append(self.tr("ui.history.empty"))
        self.query_one("#history-state", Static).update(Text(" — ".join(parts)))

    # -- detail ---------------------------------------------------------------------------------------
    def selected(self) -> Transaction | None:
        table = self.query_one("#history", DataTable)
        if not self.rows:
            return None
        return self.rows[max(0, min(table.cursor_row, len(self.rows) - 1))]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.show_detail()

    def show_detail(self) -> None:
        tx = self.selected()
        detail = self.query_one("#detail", Static)
        if tx is None:
            detail.update("")
            return
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
        except Exception as exc:
            self.receipts[ma_gdich] = "✗ " + error_text(exc, self.lang)
        else:
            if check is None:
                self.receipts[ma_gdich] = self.tr("ui.history.receipt_unchecked")
            elif check.valid:
                self.receipts[ma_gdich] = self.tr("ui.history.receipt_valid")
            else:
                reason = t(check.reason_key, self.lang, **dict(check.reason_params)) if check.reason_key else ""
                self.receipts[ma_gdich] = self.tr("ui.history.receipt_invalid", reason=reason or check.reason_code)
        self.show_detail()

    # -- actions --------------------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.filter_index = (self.filter_index + 1) % len(FILTERS)
        self.render_table()

    def action_refresh(self) -> None:
        self.load()

    def action_export(self) -> None:
        self.export(Path.cwd() / f"lich-su-giao-dich-{self.backend.unit.ma_dvi}.csv")

    def action_save_receipt(self) -> None:
        tx = self.selected()
        if tx is None:
            return
        if not tx.status.final:
            self.notify(self.tr("ui.history.receipt_not_yet", ma_gdich=tx.ma_gdich), severity="warning", markup=False)
            return
        self.save_receipt(tx.ma_gdich, Path.cwd())

    @work(exit_on_error=False, group="history-receipt-save")
    async def save_receipt(self, ma_gdich: str, directory: Path) -> None:
        try:
            paths = await self.backend.save_receipt(ma_gdich, directory)
        except Exception as exc:
            self.show_error(exc)
            return
        self.notify(self.tr("ui.history.receipt_saved", paths=", ".join(str(p) for p in paths)), markup=False)

    @work(exit_on_error=False, group="history-export")
    async def export(self, path: Path) -> None:
        try:
            await self.backend.export_csv(path, list(self.rows))
        except Exception as exc:
            self.show_error(exc)
            return
        self.notify(escape(self.tr("ui.history.exported", path=path)))


def status_text_for(status: TxStatus | None, lang: str) -> str:
    if status is None:
        return t("ui.history.all", "en" if lang == "en" else "vi")
    return t(f"status.{status}", "en" if lang == "en" else "vi")
