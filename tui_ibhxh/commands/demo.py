"""``ibhxh demo [--provision-only] [--reset]``: the embedded demo (SoftHSM token, demo CA, config)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tui_ibhxh import demo
from tui_ibhxh.core.i18n import t
from tui_ibhxh.services.paths import app_paths

if TYPE_CHECKING:
    from tui_ibhxh.cli import CliContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="chạy bản demo / run the demo (SoftHSM token + local I-VAN)")
    p.add_argument("--provision-only", action="store_true", help="only provision the demo, do not start the app")
    p.add_argument("--reset", action="store_true", help="remove the demo state first and start over")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: CliContext) -> int:
    paths = app_paths()
    home = paths.demo_dir
    if args.reset:
        demo.reset(paths)
        ctx.err(t("demo.reset", ctx.lang, home=home))
    material, created = demo.provision(paths)
    ctx.err(t("demo.provisioned" if created else "demo.already", ctx.lang, home=home, pin=material.pin))
    if args.provision_only:
        return 0
    return _launch(args, ctx)


def _launch(args: argparse.Namespace, ctx: CliContext) -> int:
    # The TUI arrives with a later issue; until then show what the demo token holds.
    from tui_ibhxh.commands import certs, tokens

    tokens.run(argparse.Namespace(json=False), ctx)
    ctx.out()
    return certs.run(argparse.Namespace(json=False, token=None, unit=None), ctx)
