"""Write an SVG of every screen/state into screenshots/, from the same states as the snapshot tests.

.venv/bin/python scripts/screenshots.py      (from the repository root)
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ui.test_snapshots import STATES, backend_for  # noqa: E402
from tui_ibhxh.ui.app import IbhxhApp  # noqa: E402

SIZE = (100, 30)


async def shoot(state_name: str, out: Path) -> None:
    state = next(s for s in STATES if s.name == state_name)
    app = IbhxhApp(backend_for(state), animations=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:  # toasts drawn, as in the snapshots
        await state.steps(pilot)
        await pilot.pause()
        app.save_screenshot(filename=out.name, path=str(out.parent))


def main() -> None:
    out_dir = ROOT / "screenshots"
    out_dir.mkdir(exist_ok=True)
    for state in STATES:
        path = out_dir / f"{state.name}.svg"
        asyncio.run(shoot(state.name, path))
        print(path.relative_to(ROOT))


if __name__ == "__main__":
    main()
