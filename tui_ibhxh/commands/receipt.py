"""``ibhxh receipt MA_GDICH [--out FILE] [--html]``: BHXH's confirmation, its signature verified."""

from __future__ import annotations

from pathlib import Path

import click

from tui_ibhxh.cli import Args, CliContext, command, root
from tui_ibhxh.commands._session import signed_in
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.receipt import render_html
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.report import receipt_check_text
from tui_ibhxh.services.workflow import UpdateWorkflow


@command(root, "receipt", "xác nhận giao dịch của BHXH / BHXH's confirmation")
@click.argument("ma_gdich", metavar="MA_GDICH")
@click.option("--out", type=click.Path(path_type=Path), metavar="FILE", help="write it (XML, or HTML with --html)")
@click.option("--html", is_flag=True, help="render as HTML (form 01/TB-GD layout)")
@signed_in
async def run(wf: UpdateWorkflow, args: Args, ctx: CliContext) -> int:
    xml, check = await wf.receipt(args.ma_gdich)
    status = receipt_check_text(check, ctx.lang)
    ctx.err(status)
    data = render_html(xml, signature_status=status).encode("utf-8") if args.html else xml
    if args.out:
        write_atomic(args.out, data)
        ctx.err(t("cli.written", ctx.lang, path=args.out))
    else:
        ctx.out(data.decode("utf-8"))
    return 0 if check is None or check.valid else 1
