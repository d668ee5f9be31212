"""``ibhxh registration [--json]``: what BHXH currently has on record for the unit (from the I-VAN)."""

from __future__ import annotations

import click

from tui_ibhxh.cli import Args, CliContext, command, root
from tui_ibhxh.commands import _common, _text
from tui_ibhxh.commands._session import signed_in
from tui_ibhxh.services.workflow import UpdateWorkflow


@command(root, "registration", "thông tin đang đăng ký với I-VAN / the current registration")
@click.option("--json", is_flag=True, help="JSON output")
@signed_in
async def run(wf: UpdateWorkflow, args: Args, ctx: CliContext) -> int:
    reg = wf.registration
    assert reg is not None  # connect() read it
    if args.json:
        ctx.out(_common.dump_json(_text.registration_json(reg)))
    else:
        for line in _text.registration_lines(reg, ctx.lang):
            ctx.out(line)
    return 0
