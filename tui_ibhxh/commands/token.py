"""``ibhxh token change-pin``: change the token's user PIN, as every vendor tool offers (old PIN, new PIN twice)."""

from __future__ import annotations

import click

from tui_ibhxh.cli import Args, CliContext, Group, command, root
from tui_ibhxh.commands import _common
from tui_ibhxh.core.i18n import pin_state, pin_warnings, t
from tui_ibhxh.services.errors import UserError


@root.group("token", cls=Group, help="thao tác trên token / token operations")
def token() -> None:
    """``ibhxh token ACTION``."""


@command(token, "change-pin", "đổi mã PIN của token / change the token's PIN (old PIN, then the new one twice)")
@click.option("--token", metavar="SERIAL", help="token serial (default: the only token plugged in)")
@click.option(
    "--pin-stdin",
    is_flag=True,
    help="read three lines from standard input: the current PIN, the new PIN, the new PIN again",
)
def run_change_pin(args: Args, ctx: CliContext) -> int:
    cfg = ctx.config()
    with _common.token_service(cfg) as service:
        tokens = service.list_tokens_sync()
        _common.print_warnings(service, ctx)
        token = _common.chosen_token(tokens, args.token)
        if token is None:  # several: a question, not a guess
            raise UserError("cli.token_choose", count=len(tokens), serials=", ".join(tok.serial for tok in tokens))
        for warning in pin_warnings(token.pin, ctx.lang):
            ctx.err(f"! {warning}")
        if token.pin.locked:
            raise UserError("token.pin_locked")
        rule = service.pin_rule_sync(token.serial)
        prompts = [
            t("cli.pin_old_prompt", ctx.lang, label=token.label),
            t("cli.pin_new_prompt", ctx.lang, min=rule.min_len, max=rule.max_len),
            t("cli.pin_again_prompt", ctx.lang),
        ]
        pins = _common.read_pins(args.pin_stdin, prompts)
        try:
            after = service.change_pin_sync(token.serial, *pins)
        finally:
            pins.clear()
    state = pin_state(after.pin, ctx.lang)
    ctx.out(t("cli.pin_changed", ctx.lang, label=after.label, serial=after.serial, state=state))
    return 0
