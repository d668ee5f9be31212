"""Opening the procedure for a command: config, token service, journal, I-VAN client, workflow; login."""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import Awaitable, Callable

import click

from tui_ibhxh.cli import Args, CliContext
from tui_ibhxh.commands import _common
from tui_ibhxh.core.i18n import pin_warnings, t
from tui_ibhxh.core.models import TokenInfo
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.workflow import UpdateWorkflow

SignedIn = Callable[[UpdateWorkflow, Args, CliContext], Awaitable[int]]


def signed_in(body: SignedIn) -> Callable[[Args, CliContext], int]:
    """A command that runs on the unit's procedure, logged in on the token and authenticated to the I-VAN (the
    token chosen with ``--token``, the PIN asked or read with ``--pin-stdin``, the unit chosen with ``--unit``);
    the token session, journal and I-VAN connection are closed after ``body``, whatever happens."""

    @click.option("--unit", metavar="NAME", help="unit profile of the config (default: default_unit)")
    @click.option("--token", metavar="SERIAL", help="token serial (default: the token holding the unit's certificate)")
    @click.option("--pin-stdin", is_flag=True, help="read the PIN from the first line of standard input")
    @functools.wraps(body)
    def run(args: Args, ctx: CliContext) -> int:
        async def session() -> int:
            wf = UpdateWorkflow.from_config(ctx.config(), unit=args.unit)
            try:
                await login_and_connect(wf, args, ctx)
                return await body(wf, args, ctx)
            finally:
                await wf.close()

        return asyncio.run(session())

    return run


async def pick_token(wf: UpdateWorkflow, wanted: str | None) -> TokenInfo:
    tokens = await wf.list_tokens()
    chosen = _common.chosen_token(tokens, wanted)
    if chosen is not None:
        return chosen
    mst = wf.profile.unit.mst
    for tok in tokens:
        if any(c.info.mst == mst and c.has_private_key for c in await wf.tokens.certificates(tok.serial)):
            return tok
    return tokens[0]


async def login_and_connect(wf: UpdateWorkflow, args: Args, ctx: CliContext) -> None:
    """Choose the token, show its PIN warnings, ask the PIN, log in, authenticate to the I-VAN."""
    token = await pick_token(wf, args.token)
    for warning in pin_warnings(token.pin, ctx.lang):
        ctx.err(f"! {warning}")
    if token.pin.locked:
        raise UserError("token.pin_locked")
    pin = _common.read_pin(args.pin_stdin, ctx.lang)
    try:
        await wf.login(token, pin)
    finally:
        del pin
    await wf.connect()


class Progress:
    """Waiting feedback: on a terminal one line rewritten with the elapsed time; piped, plain lines."""

    def __init__(self, ctx: CliContext) -> None:
        self.ctx = ctx
        self.tty = sys.stderr.isatty()
        self.start = time.monotonic()
        self._last = ""

    def say(self, text: str) -> None:
        if text == self._last:
            return
        self._last = text
        if self.tty:
            elapsed = int(time.monotonic() - self.start)
            sys.stderr.write(f"\r\x1b[K{text} ({t('cli.elapsed', self.ctx.lang, seconds=elapsed)})")
            sys.stderr.flush()
        else:
            self.ctx.err(text)

    def tick(self) -> None:
        if self.tty and self._last:
            elapsed = int(time.monotonic() - self.start)
            sys.stderr.write(f"\r\x1b[K{self._last} ({t('cli.elapsed', self.ctx.lang, seconds=elapsed)})")
            sys.stderr.flush()

    def end(self) -> None:
        if self.tty and self._last:
            sys.stderr.write("\n")
            sys.stderr.flush()
        self._last = ""
