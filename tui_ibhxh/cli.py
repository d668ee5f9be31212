"""``ibhxh`` on click: the headless commands, their help and usage errors (``ibhxh`` alone opens the app from
tui_ibhxh/entry.py, which comes here for any other command line).

The global options (``--lang``, ``--home``, ``--config``, ``--verbose``) are accepted before or after a command's
name: every command carries a copy, and the last one given wins. Their values reach the commands as an explicit
``AppPaths`` in the ``CliContext``; nothing is passed through the environment."""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from gettext import gettext
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import click

from tui_ibhxh import __version__
from tui_ibhxh.core.i18n import Lang, load_catalogues, t
from tui_ibhxh.entry import EXIT_ERROR as EXIT_ERROR
from tui_ibhxh.entry import EXIT_INTERRUPTED as EXIT_INTERRUPTED
from tui_ibhxh.entry import EXIT_USAGE as EXIT_USAGE
from tui_ibhxh.entry import (
    LANGS,
    context,
    failed,
    given_options,
    has_terminal,
    no_terminal,
    safe_language,
    valued_option,
)
from tui_ibhxh.entry import CliContext as CliContext
from tui_ibhxh.entry import Options as Options
from tui_ibhxh.entry import run_app as _run_tui
from tui_ibhxh.services.config import load_config_quietly
from tui_ibhxh.services.logs import log_file
from tui_ibhxh.services.paths import app_paths

#: a command's own options, by name (``args.json``, ``args.pin_stdin``…)
Args = SimpleNamespace

# Exit codes (each command's --help lists its own; README "Commands"). 2 means "rejected by BHXH" (submit), so a
# usage error is never 2 (click's default) but EX_USAGE of sysexits.h.
EXIT_OK = 0
EXIT_REJECTED = 2
EXIT_UNKNOWN = 3
EXIT_BUSY = 4


def _remember(name: str) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
        if value is not None and value is not False:
            options = ctx.ensure_object(Options)
            setattr(options, name, value.resolve() if isinstance(value, Path) else value)
            options._paths = None

    return store


def _global_options(*, root: bool) -> list[click.Parameter]:
    """The global options; the group's read IBHXH_HOME and IBHXH_CONFIG (shown in ``--help``), the commands'
    copies only what is typed after the command's name."""

    def option(decls: list[str], name: str, envvar: str | None = None, **kwargs: Any) -> click.Option:
        env = envvar if root else None
        return click.Option(
            decls, expose_value=False, callback=_remember(name), envvar=env, show_envvar=env is not None, **kwargs
        )

    path = click.Path(path_type=Path)
    return [
        option(
            ["--lang"],
            "lang",
            type=click.Choice(LANGS),
            help="ngôn ngữ / language (default: [ui] language of the config, else vi)",
        ),
        # eager: read before --help, which says where the log is
        option(
            ["--home"],
            "home",
            "IBHXH_HOME",
            type=path,
            metavar="DIR",
            is_eager=True,
            help="config, data, log: all here",
        ),
        option(
            ["--config"], "config", "IBHXH_CONFIG", type=path, metavar="FILE", is_eager=True, help="the config file"
        ),
        option(
            ["-v", "--verbose"],
            "verbose",
            is_flag=True,
            default=None,
            help="say on standard error what is being done (the log file keeps the warnings and errors)",
        ),
    ]


def _translated(option: click.Option | None, ctx: click.Context) -> click.Option | None:
    """``--help`` itself, said in the language of the help."""
    if option is not None:
        option.help = _help_text("help.opt.help", ctx.ensure_object(Options).help_lang) or option.help
    return option


@dataclass
class HelpExtra:
    """What ``--help`` says after the options, in the help's language: an example and the exit codes."""

    example: str = ""
    exit_codes: str = ""

    def format(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Each as a titled section, its lines as written (an example cut at a hyphen could not be pasted)."""
        lang = ctx.ensure_object(Options).help_lang
        for title, text in (("help.section.example", self.example), ("help.section.exit_codes", self.exit_codes)):
            if text:
                formatter.write_paragraph()
                formatter.write(f"{'':>{formatter.current_indent}}{t(title, lang)}\n")
                for line in text.splitlines():
                    formatter.write(f"{'':>{formatter.current_indent + 2}}{line}\n")


class Command(click.Command):
    """A command that also takes the global options after its name, its help option and epilog (example, exit
    codes) in the help's language. Groups share it (``Group``)."""

    def __init__(self, *args: Any, root: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(_global_options(root=root))
        self.help_extra = HelpExtra()

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        return _translated(super().get_help_option(ctx), ctx)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_epilog(ctx, formatter)
        self.help_extra.format(ctx, formatter)


class Group(Command, click.Group):
    """A group whose commands and subgroups take the global options after their names too."""

    command_class = Command


def translate_help(command: click.Command, lang: Lang, path: tuple[str, ...] = ()) -> None:
    """Give ``command``, its options and its subcommands their help texts in ``lang``: ``help.ibhxh`` for the
    program, ``help.cmd.<command>``, and ``help.opt.<command>.<option>`` else the option's shared
    ``help.opt.<option>``; a text the catalogues lack stays as written. After the options: the example
    ``help.example.<command>`` and the exit codes ``help.exit.<command>``, else ``help.exit.default``."""
    text = _help_text(f"help.cmd.{_key_path(*path)}" if path else "help.ibhxh", lang)
    if text is not None:
        command.help = command.short_help = text
    extra = getattr(command, "help_extra", None)
    if isinstance(extra, HelpExtra):
        name = _key_path(*path) if path else "ibhxh"
        extra.example = _help_text(f"help.example.{name}", lang) or ""
        extra.exit_codes = _help_text(f"help.exit.{name}", lang) or _help_text("help.exit.default", lang) or ""
    for param in command.params:
        if isinstance(param, click.Option) and param.name:
            specific = _help_text(f"help.opt.{_key_path(*path, param.name)}", lang) if path else None
            param.help = specific or _help_text(f"help.opt.{_key_path(param.name)}", lang) or param.help
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            translate_help(sub, lang, (*path, name))


def _key_path(*names: str) -> str:
    return ".".join(name.replace("-", "_") for name in names)


def _help_text(key: str, lang: Lang) -> str | None:
    try:
        return t(key, lang)
    except KeyError:
        return None


def command_tree(lang: Lang = "vi") -> click.Group:
    """Every command of ``ibhxh``, its help in ``lang``."""
    load_catalogues()
    _load_commands(lang)
    translate_help(root, lang)
    return root


def _early_lang(argv: Sequence[str]) -> Lang:
    """The language of ``--help``, known before the command line is parsed: the last ``--lang``, else the
    language of the config that ``--home``/``--config`` (or the environment) name, else Vietnamese."""
    given: dict[str, str] = {}
    for i in range(len(argv)):
        found = valued_option(argv, i)
        if found is not None:
            given[found[0]] = found[1]
    if given.get("--lang") in LANGS:
        return cast(Lang, given["--lang"])
    home, config = given.get("--home"), given.get("--config")
    paths = app_paths(home=Path(home) if home else None, config=Path(config) if config else None)
    cfg = load_config_quietly(paths=paths)
    return cast(Lang, cfg.ui.language) if cfg is not None and cfg.ui.language in LANGS else "vi"


CommandFunc = Callable[[Args, CliContext], int]


def cli_context() -> CliContext:
    """The context of the command being run, from the global options click has read."""
    return context(click.get_current_context().ensure_object(Options))


def command(group: click.Group, name: str, help: str) -> Callable[[CommandFunc], click.Command]:
    """Declare ``func(args, ctx) -> exit code`` as the command ``name`` of ``group``; its ``@click.option``s
    (applied below this decorator) become ``args``."""

    def declare(func: CommandFunc) -> click.Command:
        @functools.wraps(func)  # keeps the options declared on func (click's __click_params__)
        def callback(**kwargs: Any) -> int:
            return func(Args(**kwargs), cli_context())

        return group.command(name, help=help, cls=Command)(callback)

    return declare


#: every command of ``ibhxh`` (a group or a command), each declared by the module of the same name in
#: ``tui_ibhxh.commands``; imported only when it runs or its own help is asked for
COMMANDS = (
    "certs",
    "check",
    "completion",
    "demo",
    "export",
    "history",
    "receipt",
    "registration",
    "sign",
    "sim",
    "submit",
    "token",
    "tokens",
    "verify",
)


class Root(Group):
    """The program: its commands' modules are imported only when one is run (``ibhxh`` alone, the TUI, imports
    none of them, nor aiohttp or cryptography through them); ``--help`` lists them all from the catalogues."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in COMMANDS and cmd_name not in self.commands:
            _load_command(cmd_name, ctx.ensure_object(Options).help_lang)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The list of commands with their one-line help, without importing them: the same catalogue text
        (``help.cmd.<name>``) that ``translate_help`` gives a loaded command."""
        lang = ctx.ensure_object(Options).help_lang
        rows = []
        for name in self.list_commands(ctx):
            loaded = self.commands.get(name)
            if loaded is not None and loaded.hidden:
                continue
            text = loaded.get_short_help_str(formatter.width) if loaded is not None else None
            rows.append((name, text or _help_text(f"help.cmd.{_key_path(name)}", lang) or ""))
        if rows:
            with formatter.section(gettext("Commands")):  # as click says it
                formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """Where the log is, for the ``--home`` given before ``--help`` (else IBHXH_HOME, else the platform's)."""
        super().format_epilog(ctx, formatter)
        formatter.write_paragraph()  # not wrapped: a path cut at a hyphen could not be copied
        options = ctx.ensure_object(Options)
        said = t("cli.log_file", options.help_lang, path=log_file(options.paths))
        formatter.write(f"{'':>{formatter.current_indent}}{said}\n")


@click.group(
    "ibhxh",
    cls=Root,
    root=True,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    help="Cập nhật chứng thư số đăng ký BHXH qua I-VAN (update the BHXH-registered certificate). "
    "Không có lệnh: mở ứng dụng / without a command: the terminal app.",
)
@click.version_option(__version__, "--version", prog_name="tui-ibhxh", message="%(prog)s %(version)s")
@click.pass_context
def root(ctx: click.Context) -> int:
    if ctx.invoked_subcommand is not None:
        return 0
    if not has_terminal():  # cron, a pipe, ssh without -t: say what to use instead, never wait on no one
        return no_terminal(safe_language(ctx.ensure_object(Options)))
    return _run_tui(cli_context())


def _opens_the_app(argv: Sequence[str]) -> bool:
    """Whether ``argv`` holds only global options (``ibhxh`` alone opens the app), so that without a terminal the
    answer comes before every command module is imported."""
    return given_options(argv) is not None


def _load_command(name: str, lang: Lang) -> None:
    """Import the module of the command ``name`` (it adds the command to ``root``), its help in ``lang``."""
    importlib.import_module(f"tui_ibhxh.commands.{name}")
    translate_help(root.commands[name], lang, (name,))


def _load_commands(lang: Lang = "vi") -> None:
    """Every command (the whole tree: tests walk it)."""
    for name in COMMANDS:
        if name not in root.commands:
            _load_command(name, lang)


def main(argv: Sequence[str] | None = None, *, group: click.Group | None = None, prog: str = "ibhxh") -> int:
    """Run ``group`` (default: every command) on ``argv``; the exit code. A failure is one sentence on stderr in
    the user's language, never a traceback: an unexpected one is written to the log file, which the sentence
    names."""
    args = list(sys.argv[1:] if argv is None else argv)
    options = Options(help_lang=_early_lang(args))
    load_catalogues()
    if group is None and _opens_the_app(args) and not has_terminal():
        return no_terminal(options.help_lang)
    if group is None:  # the commands themselves are loaded by ``Root.get_command``, the one run only
        group = root
        translate_help(group, options.help_lang)
    else:  # a group alone (the simulator's entry point): its help under its own name
        translate_help(group, options.help_lang, (group.name or "",))
    try:
        result = group.main(args, prog, standalone_mode=False, obj=options)
        return int(result or 0)
    except click.UsageError as exc:  # the one place: click would exit 2, which here means "rejected by BHXH"
        exc.show()
        return EXIT_USAGE
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort as exc:  # ctrl+c (or the end of standard input at a question)
        return EXIT_INTERRUPTED if isinstance(exc.__context__, KeyboardInterrupt) else EXIT_ERROR
    except (KeyboardInterrupt, Exception) as exc:  # never a traceback on the terminal
        return failed(exc, options)
