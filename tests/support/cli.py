"""The one way tests run the ``ibhxh`` command in a subprocess (``python -m tui_ibhxh``)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping


def run_ibhxh(
    *args: str, env: Mapping[str, str] | None = None, input: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``ibhxh ARGS`` with ``env`` (default: this process's), text in and out captured, no stdin unless ``input``
    is given (a command that would ask for a PIN fails instead of waiting)."""
    return subprocess.run(
        [sys.executable, "-m", "tui_ibhxh", *args],
        env=env,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
