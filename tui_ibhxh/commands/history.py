"""``ibhxh history [--watch] [--json] [--status S]``: Lịch sử giao dịch; ``--watch`` follows the events."""

from __future__ import annotations

import json

import click

from tui_ibhxh.cli import Args, CliContext, command, root
from tui_ibhxh.commands import _common, _text
from tui_ibhxh.commands._session import signed_in
from tui_ibhxh.core.i18n import fmt_datetime, t
from tui_ibhxh.core.models import Transaction, TxStatus
from tui_ibhxh.core.state import Aspect, Change, Feed, UnitState
from tui_ibhxh.services.errors import error_text
from tui_ibhxh.services.workflow import UpdateWorkflow


def line(tx: Transaction, ctx: CliContext) -> str:
    text = f"{tx.ma_gdich}  {fmt_datetime(tx.submitted_at)}  {_text.status_text(tx, ctx.lang)}"
    if tx.ma_loi:
        text += f" — {tx.ma_loi}: {tx.mota_loi or ''}"
    return text


@command(root, "history", "lịch sử giao dịch / transaction history")
@click.option("--watch", is_flag=True, help="keep following status changes (ctrl+c to stop)")
@click.option("--json", is_flag=True, help="JSON output (one object per line with --watch)")
@click.option("--status", type=click.Choice([s.value for s in TxStatus]), help="only this status")
@click.option("--limit", type=int, default=50, show_default=True, help="how many (newest first)")
@click.option(
    "--poll-interval",
    type=float,
    metavar="SECONDS",
    help="with --watch: how often to check while the event stream is down (default: [ivan] poll_interval, 10)",
)
@signed_in
async def run(wf: UpdateWorkflow, args: Args, ctx: CliContext) -> int:
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
    poll_interval = args.poll_interval or wf.cfg.ivan.poll_interval
    stop = wf.observe(FeedReporter(ctx, poll_interval))
    try:
        async for tx in wf.watch_history(page.items, since=page.last_event_id, poll_interval=poll_interval):
            if args.status is not None and tx.status != args.status:
                continue
            ctx.out(json.dumps(_text.tx_json(tx), ensure_ascii=False) if args.json else line(tx, ctx))
    finally:
        stop()
    return 0


class FeedReporter:
    """Says on stderr when the event stream is lost (polling), when the I-VAN cannot be reached at all, and when
    the stream is back; not at the start."""

    def __init__(self, ctx: CliContext, poll_interval: float) -> None:
        self.ctx = ctx
        self.seconds = f"{poll_interval:g}"
        self.last = Feed.IDLE
        self.lost = False

    def __call__(self, state: UnitState, change: Change) -> None:
        if Aspect.FEED not in change or state.feed.mode is self.last:
            return
        mode, self.last = state.feed.mode, state.feed.mode
        lang = self.ctx.lang
        if mode is Feed.POLLING and not self.lost:
            self.ctx.err(t("cli.watch_polling", lang, seconds=self.seconds))
        elif mode is Feed.UNREACHABLE:
            since = fmt_datetime(state.feed.since) if state.feed.since else "?"
            reason = error_text(state.feed.error, lang) if state.feed.error else ""
            self.ctx.err(t("cli.watch_unreachable", lang, since=since, reason=reason, seconds=self.seconds))
        elif mode is Feed.LIVE and self.lost:
            self.ctx.err(t("cli.watch_live_again", lang))
        self.lost = mode is not Feed.LIVE
