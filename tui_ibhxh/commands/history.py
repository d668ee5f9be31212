"""``ibhxh history [--watch] [--json] [--status S]``: Lịch sử giao dịch; ``--watch`` follows the events."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import TYPE_CHECKING

from tui_ibhxh.commands import _common, _session, _text
from tui_ibhxh.core.i18n import fmt_datetime, t
from tui_ibhxh.core.models import Transaction, TxStatus

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


POLL_INTERVAL = 10.0  # seconds between polls while the event stream is down


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("history", help="lịch sử giao dịch / transaction history")
    p.add_argument("--watch", action="store_true", help="keep following status changes (ctrl+c to stop)")
    p.add_argument("--json", action="store_true", help="JSON output (one object per line with --watch)")
    p.add_argument("--status", choices=[s.value for s in TxStatus], help="only this status")
    p.add_argument("--limit", type=int, default=50, help="how many (newest first)")
    p.add_argument(
        "--poll-interval",
        type=float,
        default=POLL_INTERVAL,
        metavar="SECONDS",
        help="with --watch: how often to check while the event stream is down (default 10)",
    )
    _session.add_session_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    return asyncio.run(_run(args, ctx))


def line(tx: Transaction, ctx: CliContext) -> str:
    text = f"{tx.ma_gdich}  {fmt_datetime(tx.submitted_at)}  {_text.status_text(tx, ctx.lang)}"
    if tx.ma_loi:
        text += f" — {tx.ma_loi}: {tx.mota_loi or ''}"
    return text


async def _run(args: argparse.Namespace, ctx: CliContext) -> int:
    async with _session.open_workflow(ctx, args) as wf:
        await _session.login_and_connect(wf, args, ctx)
        page = await wf.client.transactions(wf.ma_dvi, limit=args.limit)
        items = [tx for tx in page.items if args.status is None or tx.status == args.status]
        if args.json and not args.watch:
            ctx.out(_common.dump_json([_text.tx_json(tx) for tx in items]))
        elif args.json:
            for tx in items:
                ctx.out(json.dumps(_text.tx_json(tx), ensure_ascii=False))
        elif not items and not args.watch:
            ctx.out(t("cli.history_empty", ctx.lang))
        else:
            for tx in items:
                ctx.out(line(tx, ctx))
        if not args.watch:
            return 0
        lost = False

        def on_live(up: bool) -> None:
            nonlocal lost
            if not up or lost:  # say so when the stream is lost, and when it is back; not at the start
                key = "cli.watch_live_again" if up else "cli.watch_polling"
                ctx.err(t(key, ctx.lang, seconds=f"{args.poll_interval:g}"))
            lost = not up

        async for tx in wf.watch_history(page.items, poll_interval=args.poll_interval, on_live=on_live):
            if args.status is not None and tx.status != args.status:
                continue
            ctx.out(json.dumps(_text.tx_json(tx), ensure_ascii=False) if args.json else line(tx, ctx))
    return 0
