"""Start the TUI on a configuration: token service, journal, I-VAN client, workflow, backend, app."""

from __future__ import annotations

from tui_ibhxh.core.i18n import Lang
from tui_ibhxh.services.config import Config
from tui_ibhxh.services.ivan_client import IvanClient
from tui_ibhxh.services.journal import Journal
from tui_ibhxh.services.paths import app_paths
from tui_ibhxh.services.token import service_from_config
from tui_ibhxh.services.workflow import UpdateWorkflow
from tui_ibhxh.ui.backend import WorkflowBackend


def build_backend(cfg: Config, lang: Lang, *, unit: str | None = None) -> WorkflowBackend:
    paths = app_paths()
    paths.ensure()
    workflow = UpdateWorkflow(
        cfg,
        tokens=service_from_config(cfg),
        journal=Journal(paths.journal),
        client=IvanClient(
            cfg.ivan.url,
            ca_bundle=cfg.ivan.ca_bundle,
            connect_timeout=cfg.ivan.connect_timeout,
            read_timeout=cfg.ivan.read_timeout,
        ),
        unit=unit,
    )
    return WorkflowBackend(workflow, lang, token_poll_interval=cfg.token.poll_interval)


def run_tui(cfg: Config, lang: Lang, *, unit: str | None = None) -> int:
    """Run the app until the user quits; returns the exit code."""
    from tui_ibhxh.ui.app import IbhxhApp

    backend = build_backend(cfg, lang, unit=unit)
    app = IbhxhApp(backend, keymap=cfg.ui.keymap, theme=cfg.ui.theme)
    result = app.run(mouse=cfg.ui.mouse)
    return int(result or 0)
