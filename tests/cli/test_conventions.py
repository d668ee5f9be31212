"""CLI conventions (issue #17): the app without a terminal says what to use and exits 64 at once; usage errors exit
64, never 2 (which means "rejected by BHXH"); every command's --help has a description, an example that parses
and its exit codes, in Vietnamese and in English; bash and zsh completion."""

from __future__ import annotations

import os
import pty
import re
import shlex
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path

import click
import pytest

from tests.support.cli import run_ibhxh
from tui_ibhxh import cli
from tui_ibhxh.core.i18n import Lang

BIN = Path(sys.executable).parent  # the venv's ``ibhxh`` script: what completion scripts call back


# --- no terminal ---------------------------------------------------------------------------------------------


def _one_line_hint(res: subprocess.CompletedProcess[str]) -> None:
    assert res.returncode == cli.EXIT_USAGE, res.stderr
    assert res.stdout == ""  # no escape codes, no screen drawn
    assert res.stderr.count("\n") == 1, res.stderr
    assert "no terminal" in res.stderr and "ibhxh check" in res.stderr and "Traceback" not in res.stderr


def test_the_app_without_stdin_terminal_says_so_and_exits_64() -> None:
    """``ibhxh </dev/null`` (cron): run_ibhxh gives /dev/null as stdin; a hang would hit the timeout."""
    _one_line_hint(run_ibhxh("--lang", "en", timeout=60))


def test_the_app_with_stdout_not_a_terminal_says_so_and_exits_64() -> None:
    """stdin a terminal (a pty) but stdout a pipe (``ibhxh | less``, ``ssh host ibhxh > log``)."""
    controller, terminal = pty.openpty()
    try:
        res = subprocess.run(
            [sys.executable, "-m", "tui_ibhxh", "--lang", "en"],
            stdin=terminal,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(terminal)
        os.close(controller)
    _one_line_hint(res)


def test_the_app_is_not_started_without_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    def started(ctx: cli.CliContext) -> int:
        raise AssertionError("the TUI was started without a terminal")

    monkeypatch.setattr(cli, "_run_tui", started)
    monkeypatch.setattr(cli, "has_terminal", lambda: False)
    assert cli.main([]) == cli.EXIT_USAGE
    monkeypatch.setattr(cli, "_opens_the_app", lambda argv: False)  # through click: the group's own check
    assert cli.main(["--lang", "en"]) == cli.EXIT_USAGE


def test_without_a_terminal_the_answer_comes_before_the_commands_load(monkeypatch: pytest.MonkeyPatch) -> None:
    def loaded(lang: Lang = "vi") -> click.Group:
        raise AssertionError("every command module was imported to say there is no terminal")

    monkeypatch.setattr(cli, "command_tree", loaded)
    monkeypatch.setattr(cli, "has_terminal", lambda: False)
    for argv in ([], ["--lang", "en"], ["-v", "--home=/nowhere", "--config", "c.toml"]):
        assert cli.main(argv) == cli.EXIT_USAGE


@pytest.mark.parametrize(
    ("argv", "app"),
    [
        ([], True),
        (["--lang", "en", "-v"], True),
        (["--lang=en", "--verbose", "--home", "h"], True),
        (["--lang"], False),  # click says what is missing
        (["--help"], False),
        (["--version"], False),
        (["certs"], False),
        (["--lang", "en", "certs"], False),
        (["--bogus"], False),
    ],
)
def test_which_command_lines_open_the_app(argv: list[str], app: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("_IBHXH_COMPLETE", raising=False)
    assert cli._opens_the_app(argv) is app
    monkeypatch.setenv("_IBHXH_COMPLETE", "bash_complete")  # a completion script asking: never the app's answer
    assert cli._opens_the_app(argv) is False


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--lang", "en", "-v"],
        ["--lang=en", "--verbose", "--home", "h"],
        ["--home", "a", "--home=b", "--config", "c.toml", "--lang", "vi", "--lang", "en"],
    ],
)
@pytest.mark.parametrize("env_home", [None, "env-home"])
def test_the_app_gets_the_options_click_would_give(
    argv: list[str], env_home: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ibhxh`` alone is opened without click (tui_ibhxh/entry.py): with the options click would have set."""
    from tui_ibhxh.entry import app_options

    monkeypatch.delenv("_IBHXH_COMPLETE", raising=False)
    monkeypatch.delenv("IBHXH_CONFIG", raising=False)
    if env_home is None:
        monkeypatch.delenv("IBHXH_HOME", raising=False)
    else:
        monkeypatch.setenv("IBHXH_HOME", env_home)
    by_click = cli.Options()
    cli.root.make_context("ibhxh", list(argv), obj=by_click)
    ours = app_options(argv)
    assert ours is not None
    assert (ours.lang, ours.home, ours.config, ours.verbose) == (
        by_click.lang,
        by_click.home,
        by_click.config,
        by_click.verbose,
    )


@pytest.mark.parametrize("argv", [["--lang", "fr"], ["--home="], ["--lang"], ["--help"], ["certs"]])
def test_what_click_must_answer_is_left_to_click(argv: list[str]) -> None:
    from tui_ibhxh.entry import app_options

    assert app_options(argv) is None


# --- usage errors ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["submit", "--bogus"],  # unknown option
        ["verify"],  # missing argument
        ["check", "--days", "many"],  # bad value
        ["--lang", "fr", "certs"],  # bad choice on the group
        ["sim", "serve", "--delays", "1"],  # a value refused by the option's own check
        ["demo", "--ivan-url", "127.0.0.1:8765"],  # not an http(s) address
        ["no-such-command"],
    ],
)
def test_usage_errors_exit_64(args: list[str]) -> None:
    res = run_ibhxh(*args, "--lang", "en") if args[0] != "--lang" else run_ibhxh(*args)
    assert res.returncode == 64, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr and res.stderr.strip()


# --- --help: description, example, exit codes ---------------------------------------------------------------

SECTIONS: dict[Lang, tuple[str, str]] = {"vi": ("Ví dụ:", "Mã thoát:"), "en": ("Example:", "Exit codes:")}


def _commands(command: click.Command, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], click.Command]]:
    found = [(path, command)]
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _commands(sub, (*path, name))
    return found


def _help(path: tuple[str, ...], lang: Lang) -> str:
    """What ``ibhxh PATH --help`` prints, from the tree translated into ``lang``."""
    ctx = click.Context(cli.command_tree(lang), info_name="ibhxh", obj=cli.Options(help_lang=lang))
    command: click.Command = ctx.command
    for name in path:
        assert isinstance(command, click.Group)
        sub = command.commands[name]
        ctx = click.Context(sub, info_name=name, parent=ctx)
        command = sub
    return command.get_help(ctx)


def _section(text: str, title: str) -> list[str]:
    """The lines under ``title`` up to the next blank line."""
    lines = text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == title]
    if not starts:
        return []
    body: list[str] = []
    for line in lines[starts[0] + 1 :]:
        if not line.strip():
            break
        body.append(line.strip())
    return body


def _example_invocations(lines: list[str]) -> list[list[str]]:
    """The ``ibhxh …`` invocations written in an example (inside pipes, ``$(…)``, ``<(…)``), comments left out."""
    found = []
    for line in lines:
        code = line.split(" #", 1)[0]
        for match in re.finditer(r"(?:^|[\s(|])(ibhxh(?:\s+[^|)#;&]*)?)", code):
            found.append(shlex.split(match.group(1)))
    return found


def _parses(argv: list[str]) -> None:
    """``argv`` (without ``ibhxh``) is a valid command line: click parses it down to the last command."""
    command: click.Command = cli.root
    ctx = command.make_context("ibhxh", list(argv), obj=cli.Options())
    with warnings.catch_warnings():  # click 8.2 deprecates protected_args (9.0 keeps everything in args)
        warnings.simplefilter("ignore", DeprecationWarning)
        while isinstance(command, click.Group) and ctx.protected_args + ctx.args:
            name, sub, rest = command.resolve_command(ctx, [*ctx.protected_args, *ctx.args])
            assert sub is not None and name is not None
            command, ctx = sub, sub.make_context(name, rest, parent=ctx)


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_every_command_help_has_description_example_and_exit_codes(lang: Lang) -> None:
    example_title, exits_title = SECTIONS[lang]
    commands = _commands(cli.command_tree(lang))
    assert {p for p, _ in commands} >= {(), ("submit",), ("sim", "serve"), ("token", "change-pin"), ("completion",)}
    for path, command in commands:
        where = "ibhxh " + " ".join(path)
        assert command.help, f"{where}: no description"
        text = _help(path, lang)
        assert command.help.split()[0] in text, f"{where}: the description is not in --help"
        example = _section(text, example_title)
        assert example, f"{where}: no example"
        invocations = _example_invocations(example)
        assert invocations and all(argv[0] == "ibhxh" for argv in invocations), f"{where}: {example}"
        assert any(argv[1 : 1 + len(path)] == list(path) for argv in invocations), f"{where}: not in its example"
        for argv in invocations:
            _parses(argv[1:])
        exits = _section(text, exits_title)
        codes = [line.split()[0] for line in exits]
        assert codes[0] == "0" and "64" in codes, f"{where}: {exits}"
        if path == ("submit",):
            assert {"2", "4"} <= set(codes)
        if path == ("check",):
            assert "3" in codes


def test_help_sections_are_in_the_chosen_language() -> None:
    vi, en = _help(("submit",), "vi"), _help(("submit",), "en")
    assert "Ví dụ:" in vi and "Mã thoát:" in vi and "Example:" not in vi and "BHXH từ chối" in vi
    assert "Example:" in en and "Exit codes:" in en and "Ví dụ:" not in en and "rejected by BHXH" in en
    # the language known before parsing: --lang after the command's name
    res = run_ibhxh("sim", "serve", "--help", "--lang", "en")
    assert res.returncode == 0 and "Exit codes:" in res.stdout and "cannot listen" in res.stdout


# --- shell completion ----------------------------------------------------------------------------------------


def test_completion_scripts_for_bash_and_zsh() -> None:
    bash = run_ibhxh("completion", "bash")
    assert bash.returncode == 0, bash.stderr
    assert "_IBHXH_COMPLETE=bash_complete" in bash.stdout and "complete " in bash.stdout
    assert "-F _ibhxh_completion ibhxh" in bash.stdout
    zsh = run_ibhxh("completion", "zsh")
    assert zsh.returncode == 0, zsh.stderr
    assert zsh.stdout.startswith("#compdef ibhxh") and "_IBHXH_COMPLETE=zsh_complete" in zsh.stdout
    assert run_ibhxh("completion", "fish").returncode == 64


def _complete(shell: str, words: str, cword: int) -> str:
    env = dict(os.environ, COMP_WORDS=words, COMP_CWORD=str(cword), _IBHXH_COMPLETE=f"{shell}_complete")
    res = subprocess.run([str(BIN / "ibhxh")], env=env, capture_output=True, text=True, timeout=60, check=False)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_zsh_completion_answers_from_the_command_tree() -> None:
    out = _complete("zsh", "ibhxh sub", 1).splitlines()
    assert "submit" in out
    assert "--pin-stdin" in _complete("zsh", "ibhxh history --pin", 2).splitlines()


def test_bash_completion_sourced_completes_commands_and_options() -> None:
    bash = shutil.which("bash")
    assert bash is not None, "bash is part of every Debian system"
    script = (
        "source <(ibhxh completion bash)\n"
        "COMP_WORDS=(ibhxh sub); COMP_CWORD=1; COMPREPLY=(); _ibhxh_completion ibhxh\n"
        'echo "1:${COMPREPLY[*]}"\n'
        "COMP_WORDS=(ibhxh sim serve --se); COMP_CWORD=3; COMPREPLY=(); _ibhxh_completion ibhxh\n"
        'echo "2:${COMPREPLY[*]}"\n'
        "COMP_WORDS=(ibhxh completion ''); COMP_CWORD=2; COMPREPLY=(); _ibhxh_completion ibhxh\n"
        'echo "3:${COMPREPLY[*]}"\n'
    )
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    res = subprocess.run([bash, "-c", script], env=env, capture_output=True, text=True, timeout=120, check=False)
    assert res.returncode == 0, res.stderr
    lines = dict(line.split(":", 1) for line in res.stdout.splitlines())
    assert lines["1"].split() == ["submit"]
    assert {"--seed", "--seed-cert"} <= set(lines["2"].split())
    assert lines["3"].split() == ["bash", "zsh"]


# --- sim serve: the address on stdout; demo --ivan-url -------------------------------------------------------


def test_sim_serve_prints_the_address_it_took_on_one_line(tmp_path: Path) -> None:
    env = dict(os.environ, IBHXH_HOME=str(tmp_path / "home"), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "tui_ibhxh", "sim", "serve", "--port", "0", "--db", str(tmp_path / "sim.sqlite3")]
    with subprocess.Popen(
        cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as proc:
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()  # the first line; the simulator goes on serving
            match = re.fullmatch(r"http://127\.0\.0\.1:(\d+)\n", line)
            assert match is not None and int(match.group(1)) > 0, line
            with socket.create_connection(("127.0.0.1", int(match.group(1))), timeout=30) as conn:
                conn.sendall(b"GET /api/v1/health HTTP/1.0\r\n\r\n")
                assert conn.recv(64).split(b"\r\n")[0].endswith(b" 200 OK")
        finally:
            proc.terminate()
            proc.wait(60)
    assert proc.returncode == 0


def test_sim_serve_on_a_busy_port_exits_1_saying_so(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        env = dict(os.environ, IBHXH_HOME=str(tmp_path / "home"))
        res = run_ibhxh(
            "sim", "serve", "--port", str(port), "--db", str(tmp_path / "s.sqlite3"), "--lang", "en", env=env
        )
    assert res.returncode == cli.EXIT_ERROR, res.stderr  # not 2: that means "rejected by BHXH"
    assert res.stdout == "" and f"cannot listen on 127.0.0.1:{port}" in res.stderr


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("http://127.0.0.1:41234", "http://127.0.0.1:41234"),
        ("http://127.0.0.1:41234/", "http://127.0.0.1:41234"),
        ("http://127.0.0.1:41234/api/v1", "http://127.0.0.1:41234"),  # the address with the API's prefix
        ("https://ivan.example.vn", "https://ivan.example.vn"),
    ],
)
def test_demo_ivan_url_takes_the_address_as_printed(given: str, stored: str) -> None:
    from tui_ibhxh.commands import demo

    ctx = click.Context(cli.root, obj=cli.Options())
    assert demo._http_url(ctx, click.Option(["--ivan-url"]), given) == stored
    with pytest.raises(click.BadParameter):
        demo._http_url(ctx, click.Option(["--ivan-url"]), given.split("://", 1)[1])
