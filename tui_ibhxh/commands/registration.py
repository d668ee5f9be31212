"""``ibhxh registration [--json]``: what BHXH currently has on record for the unit (from the I-VAN)."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from tui_ibhxh.commands import _common, _session, _text

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("registration", help="thông tin đang đăng ký với I-VAN / the current registration")
    p.add_argument("--json", action="store_true", help="JSON output")
    _session.add_session_args(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    return asyncio.run(_run(args, ctx))


async def _run(args: argparse.Namespace, ctx: CliContext) -> int:
    async with _session.open_workflow(ctx, args) as wf:
        await _session.login_and_connect(wf, args, ctx)
        reg = wf.registration
        assert reg is not None
    if args.json:
        ctx.out(_common.dump_json(_text.registration_json(reg)))
    else:
        for line in _text.registration_lines(reg, ctx.lang):
            ctx.out(line)
    return 0
