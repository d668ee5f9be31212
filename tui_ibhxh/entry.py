"""The ``ibhxh`` program. ``ibhxh`` with global options only opens the app without importing click or a command
(startup time: bench/startup.py); any other command line is the click program of cli.py (help, errors, commands).

What both need lives here, click-free: the global options (``Options``), the command's context (``CliContext``),
opening the app, and turning a failure into one sentence and an exit code."""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, cast

from tui_ibhxh.core.i18n import Lang, load_catalogues, t
from tui_ibhxh.core.xmlsafe import XmlError
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.logs import setup_logging
from tui_ibhxh.services.paths import AppPaths, app_paths

if TYPE_CHECKING:  # imported where the config is read: after main() has switched the collector off
    from tui_ibhxh.services.config import Config

log = logging.getLogger(__name__)

EXIT_ERROR = 1
EXIT_USAGE = 64  # unknown option, missing argument, bad value; also the app (``ibhxh``) without a terminal
EXIT_INTERRUPTED = 130

#: the global options that take a value (``--lang en`` or ``--lang=en``)
VALUED = ("--lang", "--home", "--config")
LANGS = ("vi", "en")


@dataclass
class Options:
    """The global options as given so far (on the group, then on the command: the later wins)."""

    lang: Lang | None = None
    home: Path | None = None
    config: Path | None = None
    verbose: bool = False
    help_lang: Lang = "vi"  # of --help, known before the command line is parsed
    _paths: AppPaths | None = field(default=None, repr=False)

    @property
    def paths(self) -> AppPaths:
        """The directories of ``--home``/``--config``, else of IBHXH_HOME/IBHXH_CONFIG, else the platform's."""
        if self._paths is None:
            self._paths = app_paths(home=self.home, config=self.config)
        return self._paths

    def language(self) -> Lang:
        """``--lang``, else ``[ui] language`` of the config, else Vietnamese."""
        if self.lang is not None:
            return self.lang
        from tui_ibhxh.services.config import load_config_quietly

        cfg = load_config_quietly(paths=self.paths)
        return cast(Lang, cfg.ui.language) if cfg is not None else "vi"


@dataclass
class CliContext:
    """What every command gets besides its own options."""

    lang: Lang
    paths: AppPaths

    def config(self) -> Config:
        from tui_ibhxh.services.config import load_config

        return load_config(paths=self.paths)

    def out(self, text: str = "") -> None:
        print(text, flush=True)

    def err(self, text: str) -> None:
        print(text, file=sys.stderr, flush=True)


def given_options(argv: Sequence[str]) -> dict[str, str] | None:
    """The global options of ``argv`` by name, the last of each (``-v`` as ``--verbose``), when it holds nothing
    else: ``ibhxh`` alone opens the app. None for anything else (a command, --help, a missing or odd value, a
    completion script asking): click's to parse."""
    if "_IBHXH_COMPLETE" in os.environ:  # a completion script asking, with no terminal of its own
        return None
    given: dict[str, str] = {}
    i = 0
    while i < len(argv):
        if argv[i] in ("-v", "--verbose"):
            given["--verbose"] = ""
            i += 1
            continue
        found = valued_option(argv, i)
        if found is None:
            return None
        name, value, taken = found
        given[name] = value
        i += taken
    return given


def valued_option(argv: Sequence[str], i: int) -> tuple[str, str, int] | None:
    """The global option with a value at ``argv[i]`` (``--lang en`` or ``--lang=en``): its name, its value and
    how many arguments it takes; None when there is none."""
    name, eq, value = argv[i].partition("=")
    if name not in VALUED:
        return None
    if eq:
        return name, value, 1
    return (name, argv[i + 1], 2) if i + 1 < len(argv) else None


def app_options(argv: Sequence[str]) -> Options | None:
    """The options of an ``argv`` that opens the app, as click would set them (paths resolved, IBHXH_HOME and
    IBHXH_CONFIG read); None when click must say something (a value it would refuse, an empty one) or parse it."""
    given = given_options(argv)
    if given is None or given.get("--lang", "vi") not in LANGS or "" in (given.get(n) for n in VALUED):
        return None
    home = given.get("--home") or os.environ.get("IBHXH_HOME")
    config = given.get("--config") or os.environ.get("IBHXH_CONFIG")
    return Options(
        lang=cast(Lang, given["--lang"]) if "--lang" in given else None,
        home=Path(home).resolve() if home else None,
        config=Path(config).resolve() if config else None,
        verbose="--verbose" in given,
    )


def has_terminal() -> bool:
    """The app needs a terminal both to read keys from and to draw on."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def no_terminal(lang: Lang) -> int:
    """One line naming the headless commands, and EX_USAGE."""
    print(t("cli.no_terminal", lang), file=sys.stderr, flush=True)
    return EXIT_USAGE


def context(options: Options) -> CliContext:
    """The context of the command being run: the language and directories of the global options; logging set up
    (once per run) on the log directory."""
    setup_logging(options.paths, verbose=options.verbose)
    return CliContext(lang=options.language(), paths=options.paths)


def run_app(ctx: CliContext) -> int:
    """``ibhxh`` without a command: the TUI on the configured unit, token and I-VAN."""
    from tui_ibhxh.launch import run_tui

    cfg = ctx.config()
    if not cfg.units:
        raise UserError("cli.no_config", path=cfg.path)
    cfg.unit()  # a clear message now if default_unit is wrong
    return run_tui(cfg, ctx.lang)


def failed(exc: KeyboardInterrupt | Exception, options: Options) -> int:
    """The exit code of a failure, said in one sentence on stderr in the user's language, never a traceback: an
    unexpected one is written to the log file, which the sentence names."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(exc, UserError | XmlError):
        log.warning("%s", exc.message("en"))
        print(exc.message(safe_language(options)), file=sys.stderr, flush=True)
        return EXIT_ERROR
    where = log_path(options)
    log.error("unexpected error", exc_info=exc)
    print(t("cli.unexpected", safe_language(options), log=where), file=sys.stderr, flush=True)
    return EXIT_ERROR


def safe_language(options: Options) -> Lang:
    try:
        return options.language()
    except Exception:  # the error being reported may be the config itself
        return "vi"


def log_path(options: Options) -> str:
    """The log file an unexpected error goes to ('-' when it cannot be written); set up here too, for an error
    raised before the command had its context."""
    path = setup_logging(options.paths, verbose=options.verbose)
    return str(path) if path is not None else "-"


def main(argv: Sequence[str] | None = None) -> int:
    """``ibhxh ARGS``: the app for global options only, else the click program; the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    options: Options | None = None
    # Starting the app makes a lot (modules, classes, the first screen) that lives as long as the app, with hardly a
    # cycle: the collector walked it over and over while it grew. It is off until the app is made (launch.run_tui
    # switches it back on), and on again here whatever happened.
    gc.disable()
    try:
        options = app_options(args)
        if options is None:
            gc.enable()
            from tui_ibhxh.cli import main as cli_main

            return cli_main(args)
        load_catalogues()
        if not has_terminal():  # cron, a pipe, ssh without -t: say what to use instead, never wait on no one
            return no_terminal(safe_language(options))
        return run_app(context(options))
    except (KeyboardInterrupt, Exception) as exc:
        return failed(exc, options or Options())
    finally:
        gc.enable()
