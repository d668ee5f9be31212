"""The Textual application: the wizard (its steps in order: ui/wizard.py) and the history mode.

Screens are thin views over the ``Backend`` (services.workflow underneath): they render the unit's state the
workflow owns and observe its changes; every service call runs in a worker, and a worker's failure is told here.
The app is the screens' host (``Host`` in ui/screens/base.py): it opens the step after the one done, and runs what
lives as long as the session: the token watch (a removed token brings the procedure back to the first step, its
PIN dialog offered again once it is back), and after login the history follow and the re-send of a dossier left
pending. Bindings come from the action table (ui/actions.py): their ids can be remapped from ``[ui.keymap]``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from rich.cells import cell_len
from rich.markup import escape
from textual import events, work
from textual.app import App, SystemCommand
from textual.command import CommandPalette
from textual.dom import DOMNode
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from tui_ibhxh.core.i18n import fmt_datetime, t
from tui_ibhxh.core.models import TokenInfo, TxStatus
from tui_ibhxh.core.state import Aspect, Change, UnitState
from tui_ibhxh.services.errors import error_text
from tui_ibhxh.services.workflow import Resent
from tui_ibhxh.ui import wizard
from tui_ibhxh.ui.actions import ACTIONS, key_display, key_params, localized, quiet
from tui_ibhxh.ui.backend import Backend
from tui_ibhxh.ui.palette import AppCommands
from tui_ibhxh.ui.screens.base import Answers, BaseScreen, told

if TYPE_CHECKING:  # the dialogs (help, pending dossier) are imported when opened (startup time: bench/startup.py)
    from tui_ibhxh.ui.screens.pending import PendingAction

log = logging.getLogger(__name__)


def stylesheets() -> list[str | PurePath]:
    """The app's stylesheet (ui/app.tcss, inside the package), then ``.textual.css`` of the directory the app
    starts in when there is one: the user's overrides, read last."""
    sheets: list[str | PurePath] = [Path(__file__).resolve().parent / "app.tcss"]  # a file, as the catalogues
    override = Path.cwd() / ".textual.css"
    return [*sheets, override] if override.is_file() else sheets


class IbhxhApp(App[int]):
    CSS_PATH = stylesheets()
    DEFAULT_MODE = "wizard"
    # the app's keys are bound on every full screen (in its language, see ui/actions.py); ctrl+q also here, so
    # that it quits over a dialog too
    BINDINGS = [quiet("app.quit")]
    ENABLE_COMMAND_PALETTE = True
    COMMANDS = {AppCommands}  # the app's own commands only, matched without diacritics (ui/palette.py)
    HEADER_CHROME = 20  # the header's cells around its title (icon, clock space, padding)

    def __init__(
        self,
        backend: Backend,
        *,
        keymap: dict[str, str] | None = None,
        animations: bool = True,
        theme: str | None = None,
    ) -> None:
        super().__init__()
        self.backend = backend
        self.theme_config = theme
        self.steps_done = 0  # wizard steps behind the user, shown by the History stepper
        self.keymap_config = dict(keymap or {})
        self.animations = animations
        if not animations:
            self.animation_level = "none"
        self.fit_title(self.size.width)
        self.wizard_reset_due = False  # the token was removed while History was shown: reset on return
        self._unobserve = backend.observe(self._state_changed)
        lang = backend.lang
        self.add_mode("wizard", lambda: wizard.first(lang))
        self.add_mode("history", lambda: wizard.history(lang))

    def on_resize(self, event: events.Resize) -> None:
        self.fit_title(event.size.width)

    def fit_title(self, width: int) -> None:
        """The header: the app's purpose, then the unit's name and its mã đơn vị. When it does not fit, the purpose
        goes first, then the name is shortened; the code is never cut."""
        lang = self.backend.lang
        unit = self.backend.unit
        room = width - self.HEADER_CHROME
        code = f" ({unit.ma_dvi})"
        title = t("ui.title", lang)
        if cell_len(f"{title} — {unit.ten_dvi}{code}") > room:
            title = t("ui.title_short", lang)
        name_room = room - cell_len(f"{title} — {code}")
        name = unit.ten_dvi
        if cell_len(name) > name_room:
            name = name[: max(0, name_room - 1)].rstrip() + "…" if name_room > 1 else ""
        self.title = title
        self.sub_title = f"{name}{code}".strip()

    def key(self, binding_id: str) -> str:
        """The key in force for ``binding_id`` (``[ui.keymap]`` applied), as the footer writes it: for the
        sentences that name a key."""
        return key_display(self, binding_id, self.keymap_config)

    def hint(self, message: str, /, **params: object) -> str:
        """The sentence ``message`` with the keys in force of every action (``{app_history}``...: ``key_params``)."""
        return t(message, self.backend.lang, **{**key_params(self, self.keymap_config), **params})

    def action_command_palette(self) -> None:
        """The palette, asking in the app's language (its commands: ``get_system_commands``)."""
        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            placeholder = t("ui.palette.placeholder", self.backend.lang)
            self.push_screen(CommandPalette(placeholder=placeholder, id="--command-palette"))

    def on_mount(self) -> None:
        self.fit_title(self.size.width)
        self.watch_tokens()
        if self.theme_config:
            if self.theme_config in self.available_themes:
                self.theme = self.theme_config
            else:
                known = ", ".join(sorted(self.available_themes))
                message = t("ui.theme_unknown", self.backend.lang, theme=self.theme_config, known=known)
                self.notify(message, severity="warning", timeout=15, markup=False)
        if self.keymap_config:
            self.set_keymap(self.keymap_config)

    async def on_unmount(self) -> None:
        self._unobserve()
        await self.backend.close()

    # -- what lives as long as the session ------------------------------------------------------------
    @work(exclusive=True, exit_on_error=False, group="tokens")
    async def watch_tokens(self) -> None:
        """The token list, kept current in the unit's state (the Token screen renders it)."""
        async for _tokens in self.backend.watch_tokens(self.backend.token_poll_interval):
            pass

    def connected(self) -> None:
        """Logged in and connected to the I-VAN: follow the history and finish a dossier left pending."""
        self.follow_history()
        self.resume_pending()

    @work(exclusive=True, exit_on_error=False, group="history-follow")
    async def follow_history(self) -> None:
        await self.backend.follow_history()

    @work(exclusive=True, exit_on_error=False, group="resume")
    async def resume_pending(self) -> None:
        """A dossier signed earlier and never acknowledged is re-sent now, in the open: which one, and the outcome.
        A failure is told and leaves it pending (History can re-send or discard it); it never blocks the login."""
        lang = self.backend.lang

        def said(done: Resent) -> None:
            if done.transaction is not None:
                tx = done.transaction
                self.notify(self.hint("ui.resend.done", key=done.entry.key, ma_gdich=tx.ma_gdich), markup=False)
            elif done.error is not None:
                reason = error_text(done.error, lang)
                self.notify(
                    self.hint("ui.resend.failed", key=done.entry.key, reason=reason),
                    severity="warning",
                    timeout=15,
                    markup=False,
                )

        try:
            await self.backend.resume(said)
        except Exception as exc:  # said above when it was the re-send; the rest is logged, never blocking
            told(exc, lang, "resume after login")

    # -- the dossier that never reached the I-VAN (History and F5 on Xác nhận offer the same) -----------
    def offer_pending(self) -> None:
        """Re-send or discard the pending dossier, or go back."""
        pending = self.backend.state.pending
        lang = self.backend.lang
        if pending is None:
            self.notify(t("ui.pending.none", lang), markup=False)
            return

        from tui_ibhxh.ui.screens.pending import PendingAction, PendingDialog

        def chosen(action: PendingAction | None) -> None:
            if action is PendingAction.RESEND:
                self.resend_pending(pending.key)
            elif action is PendingAction.DISCARD:
                self.confirm_discard()

        self.push_screen(localized(PendingDialog, lang)(pending), chosen)

    def confirm_discard(self) -> None:
        """Discarding needs a yes: the dossier will never be sent."""
        pending = self.backend.state.pending
        if pending is None:
            self.notify(t("ui.pending.none", self.backend.lang), markup=False)
            return
        from tui_ibhxh.ui.screens.pending import ConfirmDialog

        lang = self.backend.lang
        title = t("ui.discard.title", lang, key=pending.key)
        text = t("ui.discard.text", lang, signed_at=fmt_datetime(pending.signed_at))

        def answered(yes: bool | None) -> None:
            if yes:
                self.discard_pending(pending.key)

        self.push_screen(localized(ConfirmDialog, lang)(title, text), answered)

    @work(exclusive=True, exit_on_error=False, group="pending")
    async def resend_pending(self, key: str) -> None:
        lang = self.backend.lang
        try:
            tx = await self.backend.resend(key)
        except Exception as exc:  # in its own words: which dossier, and that it stays pending
            reason = told(exc, lang, "re-send")
            self.notify(
                self.hint("ui.resend.failed", key=key, reason=reason), severity="error", timeout=15, markup=False
            )
            return
        self.notify(self.hint("ui.resend.done", key=key, ma_gdich=tx.ma_gdich), markup=False)

    @work(exclusive=True, exit_on_error=False, group="pending")
    async def discard_pending(self, key: str) -> None:
        await self.backend.discard(key)
        self.notify(t("ui.discard.done", self.backend.lang, key=key), markup=False)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_state_changed(event)

    def worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place a worker's failure is told (screens forward theirs; a screen catches only what it shows
        in its own way): a sentence, and the details in the log; never a traceback on the screen. Once: the
        event's state, not the worker's (which is already the last by the time earlier events are handled)."""
        worker = event.worker
        if event.state is not WorkerState.ERROR or worker.error is None:
            return
        exc = worker.error
        log.error("worker %s failed", worker.name, exc_info=exc)
        self.notify(escape(error_text(exc, self.backend.lang)), severity="error", timeout=10)

    def _state_changed(self, state: UnitState, change: Change) -> None:
        if Aspect.LOGIN in change and state.token is None and state.token_lost is not None:
            self.call_later(self.token_removed, state.token_lost)
        for tx in change.transactions:  # a result, wherever the user is
            if tx.status.final:
                from tui_ibhxh.services.report import status_text  # after login only (startup: bench/startup.py)

                lang = self.backend.lang
                self.notify(
                    t("ui.history.became", lang, ma_gdich=tx.ma_gdich, status=status_text(tx, lang)),
                    severity="information" if tx.status is TxStatus.ACCEPTED else "warning",
                    markup=False,
                )

    def token_removed(self, token: TokenInfo) -> None:
        """The logged-in token was pulled out: say so, and bring the procedure back to the Token step (what was
        typed in the contact form is kept in the draft)."""
        self.notify(
            t("ui.token.removed_banner", self.backend.lang, label=token.label),
            severity="error",
            timeout=15,
            markup=False,
        )
        if self.current_mode == "wizard":
            self.back_to_first_step()
        else:
            self.wizard_reset_due = True

    async def action_switch_mode(self, mode: str) -> None:
        await self.switch_mode(mode)
        if mode == "wizard" and self.wizard_reset_due:
            self.back_to_first_step()

    def back_to_first_step(self) -> None:
        self.wizard_reset_due = False
        while len(self.screen_stack) > 1 and not wizard.is_first(self.screen):
            self.pop_screen()

    # -- the wizard's order (ui/wizard.py) ----------------------------------------------------------------
    @property
    def steps(self) -> tuple[str, ...]:
        return wizard.NAMES

    def step_reached(self, step: str) -> None:
        self.steps_done = wizard.NAMES.index(step)

    def step_done(self, step: str, answers: Answers) -> None:
        """Open the step after ``step``; after the last, every step of the procedure is behind the user."""
        following = wizard.after(step, answers, self.backend.lang)
        if following is None:
            self.steps_done = len(wizard.STEPS)
        else:
            self.push_screen(following)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """The palette's commands: the app's actions the current screen binds (the action table's ids; never a
        widget's own, such as the table's cursor keys), in the app's language, each with its key in force."""
        seen: set[str] = set()
        for active in screen.active_bindings.values():
            binding = active.binding
            if binding.id not in ACTIONS or not binding.description or binding.id in seen or not active.enabled:
                continue
            seen.add(binding.id)
            node = active.node

            def run(action: str = binding.action, target: DOMNode = node) -> None:
                self.call_later(self.run_action, action, target)

            yield SystemCommand(f"{binding.description} ({self.key(binding.id)})", "", run)

    def action_help(self) -> None:
        from tui_ibhxh.ui.screens.help import HelpScreen

        screen = self.screen
        if isinstance(screen, HelpScreen):
            return
        key = screen.HELP_KEY if isinstance(screen, BaseScreen) else "ui.help.token"
        keys = [
            (self.get_key_display(b.binding), b.binding.description)
            for b in self.active_bindings.values()
            if b.binding.show and b.binding.description
        ]
        title = screen.query_one(".heading").render() if screen.query(".heading") else ""
        self.push_screen(localized(HelpScreen, self.backend.lang)(str(title), key, keys))
