"""Opening the procedure for a command: config, token service, journal, I-VAN client, workflow; login."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from tui_ibhxh.commands import _common
from tui_ibhxh.core.i18n import pin_warnings, t
from tui_ibhxh.core.models import TokenInfo
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.workflow import UpdateWorkflow

if TYPE_CHECKING:
    import argparse

    from tui_ibhxh.cli import CliContext


def add_session_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--unit", metavar="NAME", help="unit profile of the config (default: default_unit)")
    p.add_argument("--token", metavar="SERIAL", help="token serial (default: the token holding the unit's certificate)")
    p.add_argument("--pin-stdin", action="store_true", help="read the PIN from the first line of standard input")


@asynccontextmanager
async def open_workflow(ctx: CliContext, args: argparse.Namespace) -> AsyncIterator[UpdateWorkflow]:
    wf = UpdateWorkflow.from_config(_common.config(ctx.config_path), unit=getattr(args, "unit", None))
    try:
        yield wf
    finally:
        await wf.close()


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


async def login_and_connect(wf: UpdateWorkflow, args: argparse.Namespace, ctx: CliContext) -> None:
    """Choose the token, show its PIN warnings, ask the PIN, log in, authenticate to the I-VAN."""
    token = await pick_token(wf, getattr(args, "token", None))
    for warning in pin_warnings(token.pin, ctx.lang):
        ctx.err(f"! {warning}")
    if token.pin.locked:
        raise UserError("token.pin_locked")
    pin = _common.read_pin(bool(getattr(args, "pin_stdin", False)), ctx.lang)
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
