"""``python -m tui_ibhxh.ivan_sim serve ...``: the simulator alone, same options as ``ibhxh sim serve``
(does not load the other commands of the CLI)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import cast

from tui_ibhxh.cli import CliContext, translate_help
from tui_ibhxh.commands import sim
from tui_ibhxh.core.i18n import load_catalogues
from tui_ibhxh.services.errors import UserError


def main(argv: list[str] | None = None) -> int:
    load_catalogues()
    parser = argparse.ArgumentParser(prog="python -m tui_ibhxh.ivan_sim")
    parser.add_argument("--lang", choices=["vi", "en"], default="vi")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sim.register(sub)
    rest = list(sys.argv[1:] if argv is None else argv)
    lang = ["--lang", rest.pop(rest.index("--lang") + 1)] if "--lang" in rest[:-1] else []
    if lang:
        rest.remove("--lang")
    translate_help(parser, "en" if lang == ["--lang", "en"] else "vi")
    args = parser.parse_args([*lang, "sim", *rest])
    func = cast(Callable[[argparse.Namespace, CliContext], int], args.func)
    ctx = CliContext(lang=args.lang, config_path=None)
    try:
        return func(args, ctx)
    except UserError as exc:
        ctx.err(exc.message(ctx.lang))
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
