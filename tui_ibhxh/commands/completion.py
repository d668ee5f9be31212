"""``ibhxh completion bash|zsh``: the shell's completion script for ``ibhxh`` (click's own shell completion, driven
by ``_IBHXH_COMPLETE``), to ``source`` from the shell's start-up file."""

from __future__ import annotations

import click

from tui_ibhxh.cli import Args, CliContext, command, root

#: the variable click's completion scripts set when they ask ``ibhxh`` for completions (``_{PROG}_COMPLETE``)
COMPLETE_VAR = "_IBHXH_COMPLETE"
SHELLS = ("bash", "zsh")


def completion_script(shell: str, prog: str = "ibhxh") -> str:
    """The completion script of ``shell`` for the whole command tree."""
    from click.shell_completion import get_completion_class

    cls = get_completion_class(shell)
    if cls is None:  # the Choice below lets only known shells through
        raise click.BadParameter(shell)
    return cls(root, {}, prog, COMPLETE_VAR).source()


@command(root, "completion", "tự hoàn thành lệnh cho shell / shell completion script")
@click.argument("shell", type=click.Choice(SHELLS))
def run(args: Args, ctx: CliContext) -> int:
    ctx.out(completion_script(args.shell).rstrip("\n"))
    return 0
