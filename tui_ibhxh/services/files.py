"""Files the user asked for (signed dossiers, CSV exports, BHXH confirmations): written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path

from tui_ibhxh.services.errors import UserError


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and fsync, so a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise UserError("cli.write_failed", path=path, problem=exc.strerror or type(exc).__name__) from None
