"""Where the app reads and writes. Everything derives from platformdirs, or from one directory when
``--home`` (``IBHXH_HOME``) is given; the config file alone can also be chosen with ``--config``
(``IBHXH_CONFIG``). The options reach this module as arguments: the environment is read, never written."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "tui-ibhxh"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    log_dir: Path
    config_file: Path
    exports_dir: Path  # where files the user takes away go by default (signed dossiers, CSV, confirmations)

    @property
    def journal(self) -> Path:
        return self.data_dir / "journal.sqlite3"

    @property
    def demo_dir(self) -> Path:
        return self.data_dir / "demo"

    def ensure(self) -> None:
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)


def app_paths(
    env: Mapping[str, str] | None = None, *, home: Path | None = None, config: Path | None = None
) -> AppPaths:
    """The directories for ``home`` and ``config`` when given, else for IBHXH_HOME and IBHXH_CONFIG of ``env``
    (default: the process environment), else the platform's."""
    env = os.environ if env is None else env
    home_dir = home or (Path(env["IBHXH_HOME"]) if env.get("IBHXH_HOME") else None)
    if home_dir is not None:
        root = home_dir.expanduser()
        config_dir, data_dir, log_dir = root / "config", root / "data", root / "log"
        exports_dir = root / "files"
    else:
        config_dir = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
        data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        log_dir = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
        exports_dir = Path(platformdirs.user_documents_dir()) / APP_NAME
    override = config or (Path(env["IBHXH_CONFIG"]) if env.get("IBHXH_CONFIG") else None)
    config_file = override.expanduser() if override else config_dir / "config.toml"
    return AppPaths(
        config_dir=config_dir, data_dir=data_dir, log_dir=log_dir, config_file=config_file, exports_dir=exports_dir
    )
