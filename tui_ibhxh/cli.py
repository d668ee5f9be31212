"""Entry point: ``ibhxh`` (TUI by default) and the headless subcommands."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from tui_ibhxh import __version__
from tui_ibhxh.core.i18n import Lang, load_catalogues, t
from tui_ibhxh.core.xmlsafe import XmlError
from tui_ibhxh.services.errors import UserError


@dataclass
class CliContext:
    """What every command gets besides its own arguments."""

    lang: Lang
    config_path: Path | None

    def out(self, text: str = "") -> None:
        print(text, flush=True)

    def err(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)


class _Registrar(Protocol):
    def __call__(self, subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None: ...


def _command_modules() -> list[_Registrar]:
    """Every module of ``tui_ibhxh.commands`` with a ``register(subparsers)`` function, in name order."""
    import tui_ibhxh.commands as pkg

    found: list[_Registrar] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue  # shared helpers, not commands
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            found.append(cast(_Registrar, register))
    return found


def build_parser(lang: Lang = "vi") -> argparse.ArgumentParser:
    """The whole command line, its help texts in ``lang`` (``help.*`` in the catalogues)."""
    common = argparse.ArgumentParser(add_help=False)
    # SUPPRESS: a subcommand's copy of an option must not reset a value given before the subcommand
    common.add_argument(
        "--lang",
        choices=["vi", "en"],
        default=argparse.SUPPRESS,
        help="ngôn ngữ / language (default: config, else vi)",
    )
    common.add_argument("--home", type=Path, default=argparse.SUPPRESS, help="state directory (same as IBHXH_HOME)")
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="config file (same as IBHXH_CONFIG)")
    parser = argparse.ArgumentParser(
        prog="ibhxh",
        description="Cập nhật chứng thư số đăng ký BHXH qua I-VAN (update the BHXH-registered certificate).",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"tui-ibhxh {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.set_defaults(func=None, _common=common)
    for register in _command_modules():
        register(sub)
    _accept_common_options(parser, common)
    parser.description = t("help.ibhxh", lang)
    translate_help(parser, lang)
    return parser


def translate_help(parser: argparse.ArgumentParser, lang: Lang, path: tuple[str, ...] = ()) -> None:
    """Give every command and option its help text in ``lang``: ``help.cmd.<command>`` and ``help.opt.<command>.
    <option>``, else the option's shared ``help.opt.<option>``; a text the catalogues lack stays as written."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                choice.help = _help_text(f"help.cmd.{_key_path(*path, choice.dest)}", lang) or choice.help
            for name, sub in action.choices.items():
                sub.description = _help_text(f"help.cmd.{_key_path(*path, name)}", lang) or sub.description
                translate_help(sub, lang, (*path, name))
        elif action.help is not argparse.SUPPRESS:
            specific = _help_text(f"help.opt.{_key_path(*path, action.dest)}", lang) if path else None
            action.help = specific or _help_text(f"help.opt.{_key_path(action.dest)}", lang) or action.help


def _key_path(*names: str) -> str:
    return ".".join(name.replace("-", "_") for name in names)


def _help_text(key: str, lang: Lang) -> str | None:
    try:
        return t(key, lang).replace("%", "%%")  # argparse %-formats help texts
    except KeyError:
        return None


def _early_lang(argv: Sequence[str] | None) -> Lang:
    """The language of ``--help``, known before the command line is parsed: ``--lang``, else the config's."""
    early = argparse.ArgumentParser(add_help=False)
    for option in ("--lang", "--home", "--config"):
        early.add_argument(option)  # no choices: a wrong --lang is for the real parser to report
    known, _ = early.parse_known_args(argv)
    if known.lang in ("vi", "en"):
        return cast(Lang, known.lang)
    config = Path(known.config) if known.config else None
    if config is None and known.home:
        from tui_ibhxh.services.paths import app_paths

        config = app_paths({**os.environ, "IBHXH_HOME": known.home}).config_file
    return cast(Lang, _configured_lang(config))


def _accept_common_options(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Every subcommand (``ibhxh token change-pin`` too) accepts the global options after its name as well."""
    for group in parser._actions:
        if not isinstance(group, argparse._SubParsersAction):
            continue
        for choice in group.choices.values():
            for action in common._actions:
                if not any(a.dest == action.dest for a in choice._actions):
                    choice._add_action(action)
            _accept_common_options(choice, common)


CommandFunc = Callable[[argparse.Namespace, CliContext], int]


def main(argv: Sequence[str] | None = None) -> int:
    load_catalogues()
    parser = build_parser(_early_lang(argv))
    args = parser.parse_args(argv)
    for name in ("lang", "home", "config"):
        if not hasattr(args, name):
            setattr(args, name, None)
    if args.home is not None:
        os.environ["IBHXH_HOME"] = str(args.home.resolve())
    if args.config is not None:
        os.environ["IBHXH_CONFIG"] = str(args.config.resolve())
    lang = cast(Lang, args.lang or _configured_lang())
    ctx = CliContext(lang=lang, config_path=args.config)
    func = cast(CommandFunc | None, args.func)
    if func is None:
        func = _run_tui
    try:
        return func(args, ctx)
    except UserError as exc:
        ctx.err(exc.message(lang))
        return 1
    except XmlError as exc:
        ctx.err(exc.message(lang))
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback on the terminal: it goes to the log file
        ctx.err(t("cli.unexpected", lang, log=_log_crash(exc)))
        return 1


def _log_crash(exc: BaseException) -> str:
    """Write the traceback to the log directory (never the PIN: it is not in any exception we raise)."""
    import traceback
    from datetime import datetime

    from tui_ibhxh.services.paths import app_paths

    try:
        log_dir = app_paths().log_dir
        log_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = log_dir / "crash.log"
        with path.open("a", encoding="utf-8") as fh:
            fh.write(f"--- {datetime.now().isoformat()}\n")
            fh.write("".join(traceback.format_exception(exc)))
        return str(path)
    except OSError:
        return "-"


def _run_tui(args: argparse.Namespace, ctx: CliContext) -> int:
    """``ibhxh`` without a command: the TUI on the configured unit, token and I-VAN."""
    from tui_ibhxh.launch import run_tui
    from tui_ibhxh.services.config import load_config

    cfg = load_config(ctx.config_path)
    if not cfg.units:
        raise UserError("cli.no_config", path=cfg.path)
    cfg.unit()  # a clear message now if default_unit is wrong
    return run_tui(cfg, ctx.lang)


def _configured_lang(path: Path | None = None) -> str:
    from tui_ibhxh.services.config import load_config_quietly

    cfg = load_config_quietly(path)
    return cfg.ui.language if cfg is not None else "vi"
