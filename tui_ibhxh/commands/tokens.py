"""``ibhxh tokens [--json]``: the tokens plugged in (no PIN needed)."""

from __future__ import annotations

from pathlib import Path

import click

from tui_ibhxh.cli import Args, CliContext, command, root
from tui_ibhxh.commands import _common
from tui_ibhxh.core.i18n import pin_warnings, t
from tui_ibhxh.services.config import remember_module
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.modules import suggest_modules


@command(root, "tokens", "liệt kê token đang cắm / list the tokens plugged in")
@click.option("--json", is_flag=True, help="JSON output")
@click.option(
    "--add-module",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="load a token vendor's PKCS#11 module (.so) and remember it in the config ([token] modules)",
)
def run(args: Args, ctx: CliContext) -> int:
    cfg = ctx.config()
    with _common.token_service(cfg) as service:
        if args.add_module is not None:
            seen = service.add_module_sync(args.add_module)  # refused (missing, not PKCS#11) before it is saved
            key = "cli.module_added" if remember_module(cfg, args.add_module) else "cli.module_known"
            ctx.err(t(key, ctx.lang, path=args.add_module, count=len(seen)))
        try:
            tokens = service.list_tokens_sync()
        except UserError as exc:
            if exc.key != "token.no_module":
                raise
            tokens = []  # nothing configured nor installed: said below, with how to add the vendor's module
        _common.print_warnings(service, ctx)
    if args.json:
        ctx.out(_common.dump_json([_common.token_json(tok) for tok in tokens]))
        return 0
    if not tokens:
        ctx.out(t("cli.no_tokens", ctx.lang))
        ctx.out(t("cli.module_hint", ctx.lang))
        suggestions = suggest_modules(cfg.module_paths())
        if suggestions:
            ctx.out(t("cli.module_found", ctx.lang))
            ctx.out("\n".join(f"  {path}" for path in suggestions))
        return 0
    for tok in tokens:
        line = t(
            "cli.token_line",
            ctx.lang,
            label=tok.label,
            manufacturer=tok.manufacturer,
            model=tok.model,
            serial=tok.serial,
            slot=tok.slot_id,
        )
        ctx.out(f"{line} — ⇄ {t('cli.token_forwarded', ctx.lang)}" if tok.forwarded else line)
        for flag_text in pin_warnings(tok.pin, ctx.lang):
            ctx.out(f"  ! {flag_text}")
    return 0
