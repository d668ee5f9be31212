"""A certificate shown as labelled rows, with the rows that differ from another certificate marked."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from tui_ibhxh.core.i18n import Lang, fmt_date, t

CHANGED = "≠"  # the one mark of "differs from what is registered" (Chứng thư and Kiểm tra và nộp)


def cert_rows(
    serial: str, subject: str, issuer: str, start: datetime, end: datetime, lang: Lang
) -> list[tuple[str, str]]:
    validity = t("ui.validity", lang, start=fmt_date(start), end=fmt_date(end))
    return [
        (t("ui.field.serial", lang), serial),
        (t("ui.field.subject", lang), subject),
        (t("ui.field.issuer", lang), issuer),
        (t("ui.field.validity", lang), validity),
    ]


class CertPanel(Static):
    DEFAULT_CSS = """
    CertPanel { border: round $primary; padding: 0 1; height: auto; }
    """

    def show(
        self,
        title: str,
        rows: list[tuple[str, str]],
        *,
        compare: list[tuple[str, str]] | None = None,
        notes: list[tuple[str, str]] | None = None,
    ) -> None:
        self.border_title = title
        table = Table.grid(padding=(0, 1))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(ratio=1)
        other = dict(compare or [])
        for label, value in rows:
            changed = compare is not None and other.get(label) != value
            # folded, not cut: a serial is read whole however narrow the panel
            value_text = Text(value, style="bold" if changed else "", overflow="fold")
            table.add_row((f"{CHANGED} " if changed else "  ") + label, value_text)
        for mark, note in notes or []:
            table.add_row(mark, Text(note))
        self.update(table)
