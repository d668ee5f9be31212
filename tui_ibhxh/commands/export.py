"""``ibhxh export --csv FILE``: Kết xuất báo cáo — the history as CSV (Vietnamese headers, UTF-8 with BOM)."""

from __future__ import annotations

from pathlib import Path

import click

from tui_ibhxh.cli import Args, CliContext, command, root
from tui_ibhxh.commands._session import signed_in
from tui_ibhxh.core.i18n import t
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.report import history_csv
from tui_ibhxh.services.workflow import UpdateWorkflow


@command(root, "export", "kết xuất lịch sử giao dịch / export the history")
@click.option("--csv", required=True, type=click.Path(path_type=Path), metavar="FILE", help="the CSV file to write")
@signed_in
async def run(wf: UpdateWorkflow, args: Args, ctx: CliContext) -> int:
    items = (await wf.client.history(wf.ma_dvi)).items
    write_atomic(args.csv, history_csv(items, ctx.lang))
    ctx.err(t("cli.written", ctx.lang, path=args.csv))
    return 0
