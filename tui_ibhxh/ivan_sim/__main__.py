"""``python -m tui_ibhxh.ivan_sim serve ...``: the simulator alone, same options as ``ibhxh sim serve``
(does not load the other commands of the CLI)."""

from __future__ import annotations

from tui_ibhxh.cli import main as cli_main
from tui_ibhxh.commands import sim


def main(argv: list[str] | None = None) -> int:
    return cli_main(argv, group=sim.sim, prog="python -m tui_ibhxh.ivan_sim")


if __name__ == "__main__":
    raise SystemExit(main())
