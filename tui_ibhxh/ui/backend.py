"""What the screens need from the services, as one interface.

``WorkflowBackend`` is the real one (services.workflow over the token, the journal and the I-VAN client);
snapshot tests use a fake with fixed data and a fixed clock. The unit's state lives in the workflow: screens
read ``backend.state`` and observe its changes, and never keep their own copy. Screens call the coroutines from
Textual workers only: nothing here may be awaited on the event loop's critical path without a worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tui_ibhxh.core.i18n import Lang
from tui_ibhxh.core.models import CertInfo, Contact, Problem, Registration, TokenCert, TokenInfo, Transaction, Unit
from tui_ibhxh.core.state import Draft, Observer, UnitState
from tui_ibhxh.core.validation import PinRule
from tui_ibhxh.services.config import remember_module
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.modules import suggest_modules
from tui_ibhxh.services.workflow import CertChoice, Preview, Resent, Step, UpdateWorkflow

ProgressFn = Callable[[Step], None]

if TYPE_CHECKING:  # the receipt code (lxml, XSLT) is imported when a receipt is saved, not at start
    from tui_ibhxh.core.receipt import ReceiptCheck

# The certificate checks and the report's words (history, receipts) are imported where they are used, after
# login: not needed to show the token list (startup time: bench/startup.py).


class Backend(Protocol):
    """Everything the TUI does, as coroutines (call them from workers), and the unit's state to render."""

    lang: Lang
    poll_interval: float  # History, while the event stream is down
    token_poll_interval: float  # the token list

    @property
    def state(self) -> UnitState: ...
    def observe(self, observer: Observer) -> Callable[[], None]: ...
    @property
    def unit(self) -> Unit: ...

    def now(self) -> datetime: ...
    def module_suggestions(self) -> list[Path]: ...
    async def add_module(self, path: Path) -> list[TokenInfo]: ...
    def watch_tokens(self, interval: float) -> AsyncIterator[list[TokenInfo]]: ...
    async def pin_rule(self, token: TokenInfo) -> PinRule: ...
    async def change_pin(self, token: TokenInfo, old: str, new: str, again: str) -> TokenInfo: ...
    async def login(self, token: TokenInfo, pin: str) -> Registration: ...
    async def resume(self, on_resent: Callable[[Resent], None]) -> None: ...
    async def follow_history(self) -> None: ...
    async def refresh_history(self) -> None: ...
    async def load_more_history(self) -> bool: ...  # the next older page; False when all are loaded
    async def load_all_history(self) -> None: ...
    async def choices(self) -> list[CertChoice]: ...
    async def check_revocation(self, certs: list[TokenCert]) -> None: ...
    def recheck(self, choice: CertChoice) -> CertChoice: ...
    def problem_text(self, problem: Problem, info: CertInfo) -> str: ...
    def default_contact(self) -> Contact: ...
    def update_draft(
        self,
        *,
        cert_serial: str | None = None,
        contact: Contact | None = None,
        older_acknowledged: bool | None = None,
    ) -> Draft: ...
    def preview(self, choice: CertChoice, contact: Contact) -> Preview: ...
    def default_file(self) -> Path: ...
    def default_dir(self) -> Path: ...  # where files the user takes away are offered to go (README)
    async def hand_over(self, choice: CertChoice, contact: Contact, target: Path, progress: ProgressFn) -> Path: ...
    async def submit(self, choice: CertChoice, contact: Contact, progress: ProgressFn) -> Transaction: ...
    async def resend(self, key: str) -> Transaction: ...
    async def discard(self, key: str) -> None: ...
    async def receipt(self, ma_gdich: str) -> tuple[bytes, ReceiptCheck | None]: ...
    async def export_csv(self, path: Path, items: list[Transaction]) -> None: ...
    async def receipt_files(self, ma_gdich: str) -> list[tuple[str, bytes]]: ...
    async def save_receipt(self, ma_gdich: str, path: Path) -> list[Path]: ...
    async def close(self) -> None: ...


class WorkflowBackend:
    """The real backend: a thin adapter over :class:`UpdateWorkflow`."""

    def __init__(
        self,
        workflow: UpdateWorkflow,
        lang: Lang,
        *,
        poll_interval: float = 10.0,
        token_poll_interval: float = 1.0,
    ) -> None:
        self.wf = workflow
        self.lang: Lang = lang
        self.poll_interval = poll_interval
        self.token_poll_interval = token_poll_interval

    @property
    def state(self) -> UnitState:
        return self.wf.state

    def observe(self, observer: Observer) -> Callable[[], None]:
        return self.wf.observe(observer)

    @property
    def unit(self) -> Unit:
        return self.wf.profile.unit

    def now(self) -> datetime:
        return self.wf.clock()

    def watch_tokens(self, interval: float) -> AsyncIterator[list[TokenInfo]]:
        return self.wf.watch_tokens(interval)

    def module_suggestions(self) -> list[Path]:
        return suggest_modules([Path(m) for m in self.wf.tokens.modules])

    async def pin_rule(self, token: TokenInfo) -> PinRule:
        return await self.wf.tokens.pin_rule(token.serial)

    async def change_pin(self, token: TokenInfo, old: str, new: str, again: str) -> TokenInfo:
        return await self.wf.tokens.change_pin(token.serial, old, new, again)

    async def add_module(self, path: Path) -> list[TokenInfo]:
        seen = await self.wf.tokens.add_module(path)  # it must load before it is remembered
        await asyncio.to_thread(remember_module, self.wf.cfg, path)
        return seen

    async def login(self, token: TokenInfo, pin: str) -> Registration:
        await self.wf.login(token, pin)
        return await self.wf.connect()

    async def resume(self, on_resent: Callable[[Resent], None]) -> None:
        await self.wf.resume(on_resent)

    async def follow_history(self) -> None:
        await self.wf.follow_history(poll_interval=self.poll_interval)

    async def refresh_history(self) -> None:
        await self.wf.load_history()

    async def load_more_history(self) -> bool:
        return await self.wf.load_more_history()

    async def load_all_history(self) -> None:
        await self.wf.load_all_history()

    async def choices(self) -> list[CertChoice]:
        return await self.wf.choices()

    async def check_revocation(self, certs: list[TokenCert]) -> None:
        """The CAs' verdicts into the state (observers see each as it comes); bounded in time."""
        await self.wf.check_revocation(certs)

    def recheck(self, choice: CertChoice) -> CertChoice:
        return self.wf.choice_for(choice.cert)

    def problem_text(self, problem: Problem, info: CertInfo) -> str:
        from tui_ibhxh.core.certs import problem_message

        return problem_message(problem, info, self.lang, unit_mst=self.unit.mst)

    def default_contact(self) -> Contact:
        return self.wf.default_contact()

    def update_draft(
        self,
        *,
        cert_serial: str | None = None,
        contact: Contact | None = None,
        older_acknowledged: bool | None = None,
    ) -> Draft:
        return self.wf.update_draft(cert_serial=cert_serial, contact=contact, older_acknowledged=older_acknowledged)

    def preview(self, choice: CertChoice, contact: Contact) -> Preview:
        return self.wf.preview(choice.cert, contact)

    def default_file(self) -> Path:
        return self.default_dir() / self.wf.file_name()

    def default_dir(self) -> Path:
        return self.wf.cfg.paths.exports_dir

    async def hand_over(self, choice: CertChoice, contact: Contact, target: Path, progress: ProgressFn) -> Path:
        return await self.wf.hand_over(choice, contact, target, lang=self.lang, progress=progress)

    async def submit(self, choice: CertChoice, contact: Contact, progress: ProgressFn) -> Transaction:
        return await self.wf.submit(choice, contact, lang=self.lang, progress=progress)

    async def resend(self, key: str) -> Transaction:
        return await self.wf.resend(key)

    async def discard(self, key: str) -> None:
        await self.wf.discard(key)

    async def receipt(self, ma_gdich: str) -> tuple[bytes, ReceiptCheck | None]:
        return await self.wf.receipt(ma_gdich)

    async def export_csv(self, path: Path, items: list[Transaction]) -> None:
        from tui_ibhxh.services.report import history_csv

        await asyncio.to_thread(write_atomic, path, history_csv(items, self.lang))

    async def receipt_files(self, ma_gdich: str) -> list[tuple[str, bytes]]:
        """BHXH's confirmation as received (signed XML) and as form 01/TB-GD (HTML with the signature status),
        with their file names."""
        from tui_ibhxh.core.receipt import render_html
        from tui_ibhxh.services.report import receipt_check_text

        xml, check = await self.wf.receipt(ma_gdich)
        html = render_html(xml, signature_status=receipt_check_text(check, self.lang)).encode("utf-8")
        return [(f"xac-nhan-{ma_gdich}.xml", xml), (f"xac-nhan-{ma_gdich}.html", html)]

    async def save_receipt(self, ma_gdich: str, path: Path) -> list[Path]:
        """The XML at ``path``, the HTML beside it (same name, .html)."""
        (_, xml), (_, html) = await self.receipt_files(ma_gdich)
        paths = [path, path.with_suffix(".html")]
        for target, data in zip(paths, (xml, html), strict=True):
            await asyncio.to_thread(write_atomic, target, data)
        return paths

    async def close(self) -> None:
        await self.wf.close()
