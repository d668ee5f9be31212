"""``ibhxh export --csv FILE``: Kết xuất báo cáo — the history as CSV (Vietnamese headers, UTF-8 with BOM)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from tui_ibhxh.commands import _session
from tui_ibhxh.core.i18n import t
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.report import history_csv

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="kết xuất lịch sử giao dịch / export the history")
    p.add_argument("--csv", required=True, type=Path, metavar="FILE")
    _session.add_session_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    return asyncio.run(_run(args, ctx))


async def _run(args: argparse.Namespace, ctx: CliContext) -> int:
    async with _session.open_workflow(ctx, args) as wf:
        await _session.login_and_connect(wf, args, ctx)
        items = (await wf.client.history(wf.ma_dvi)).items
    write_atomic(args.csv, history_csv(items, ctx.lang))
    ctx.err(t("cli.written", ctx.lang, path=args.csv))
    return 0
