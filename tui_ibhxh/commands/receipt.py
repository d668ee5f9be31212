"""``ibhxh receipt MA_GDICH [--out FILE] [--html]``: BHXH's confirmation, its signature verified."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from tui_ibhxh.commands import _session
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.receipt import render_html
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.report import receipt_check_text

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("receipt", help="xác nhận giao dịch của BHXH / BHXH's confirmation")
    p.add_argument("ma_gdich", metavar="MA_GDICH")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the confirmation (XML, or HTML with --html)")
    p.add_argument("--html", action="store_true", help="render as HTML (form 01/TB-GD layout)")
    _session.add_session_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    return asyncio.run(_run(args, ctx))


async def _run(args: argparse.Namespace, ctx: CliContext) -> int:
    async with _session.open_workflow(ctx, args) as wf:
        await _session.login_and_connect(wf, args, ctx)
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
