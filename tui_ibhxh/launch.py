"""Start the TUI on a configuration: the workflow (token service, journal, I-VAN provider), backend, app."""

from __future__ import annotations

import gc

from tui_ibhxh.core.i18n import Lang, load_catalogues
from tui_ibhxh.services.config import Config
from tui_ibhxh.services.logs import setup_logging
from tui_ibhxh.services.workflow import UpdateWorkflow
from tui_ibhxh.ui.backend import WorkflowBackend


def build_backend(cfg: Config, lang: Lang, *, unit: str | None = None) -> WorkflowBackend:
    workflow = UpdateWorkflow.from_config(cfg, unit=unit)
    return WorkflowBackend(
        workflow, lang, poll_interval=cfg.ivan.poll_interval, token_poll_interval=cfg.token.poll_interval
    )


def run_tui(cfg: Config, lang: Lang, *, unit: str | None = None) -> int:
    """Run the app until the user quits; returns the exit code. Its warnings and errors go to the log file only
    (a line on the terminal would break the screen)."""
    from tui_ibhxh.ui.app import IbhxhApp

    setup_logging(cfg.paths, console=False)
    load_catalogues()
    backend = build_backend(cfg, lang, unit=unit)
    backend.wf.tokens.prefetch()  # the token list is being read while Textual starts
    app = IbhxhApp(backend, keymap=cfg.ui.keymap, theme=cfg.ui.theme)
    # what the start made stays for the app's life: left out of every collection (entry.main had them off until now)
    gc.freeze()
    gc.enable()
    try:
        result = app.run(mouse=cfg.ui.mouse)
    finally:
        gc.unfreeze()  # a caller that goes on (a test) collects as before
    return int(result or 0)
