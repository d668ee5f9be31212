"""``ibhxh tokens [--json]``: the tokens plugged in (no PIN needed)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui_ibhxh.commands import _common
from tui_ibhxh.core.i18n import t

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("tokens", help="liệt kê token đang cắm / list the tokens plugged in")
    p.add_argument("--json", action="store_true", help="JSON output")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    cfg = _common.config(ctx.config_path)
    with _common.token_service(cfg) as service:
        tokens = service.list_tokens_sync()
        for warning in service.module_errors:
            ctx.err(t("cli.module_warning", ctx.lang, message=warning.message(ctx.lang)))
    if args.json:
        ctx.out(_common.dump_json([_common.token_json(tok) for tok in tokens]))
        return 0
    if not tokens:
        ctx.out(t("cli.no_tokens", ctx.lang))
        return 0
    for tok in tokens:
        ctx.out(
            t(
                "cli.token_line",
                ctx.lang,
                label=tok.label,
                manufacturer=tok.manufacturer,
                model=tok.model,
                serial=tok.serial,
                slot=tok.slot_id,
            )
        )
        for flag_text in _common.pin_warnings(tok.pin, ctx.lang):
            ctx.out(f"  ! {flag_text}")
    return 0
