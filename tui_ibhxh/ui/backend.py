"""What the screens need from the services, as one interface.

``WorkflowBackend`` is the real one (services.workflow over the token, the journal and the I-VAN client);
snapshot tests use a fake with fixed data and a fixed clock. Screens call these coroutines from Textual
workers only: nothing here may be awaited on the event loop's critical path without a worker.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from tui_ibhxh.core.certs import problem_message
from tui_ibhxh.core.i18n import Lang
from tui_ibhxh.core.models import CertInfo, Contact, Problem, Registration, TokenInfo, Transaction, Unit
from tui_ibhxh.core.receipt import ReceiptCheck, render_html
from tui_ibhxh.core.validation import PinRule
from tui_ibhxh.services.config import remember_module
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.modules import suggest_modules
from tui_ibhxh.services.report import history_csv, receipt_check_text
from tui_ibhxh.services.workflow import CertChoice, Step, UpdateWorkflow

ProgressFn = Callable[[Step], None]


class Backend(Protocol):
    """Everything the TUI does, as coroutines (call them from workers)."""

    lang: Lang

    @property
    def unit(self) -> Unit: ...
    @property
    def registration(self) -> Registration | None: ...
    @property
    def logged_in(self) -> TokenInfo | None: ...

    def now(self) -> datetime: ...
    async def list_tokens(self) -> list[TokenInfo]: ...
    def module_suggestions(self) -> list[Path]: ...
    async def add_module(self, path: Path) -> list[TokenInfo]: ...
    def watch_tokens(self, interval: float) -> AsyncIterator[list[TokenInfo]]: ...
    def token_notices(self) -> list[str]: ...
    async def pin_rule(self, token: TokenInfo) -> PinRule: ...
    async def change_pin(self, token: TokenInfo, old: str, new: str, again: str) -> TokenInfo: ...
    async def login(self, token: TokenInfo, pin: str) -> Registration: ...
    async def choices(self) -> list[CertChoice]: ...
    def problem_text(self, problem: Problem, info: CertInfo) -> str: ...
    def default_contact(self) -> Contact: ...
    def preview(self, choice: CertChoice, contact: Contact) -> bytes: ...
    async def submit(self, choice: CertChoice, contact: Contact, progress: ProgressFn) -> Transaction: ...
    async def transactions(self) -> list[Transaction]: ...

    poll_interval: float

    def watch(self, known: list[Transaction], on_live: Callable[[bool], None]) -> AsyncIterator[Transaction]: ...
    async def receipt(self, ma_gdich: str) -> tuple[bytes, ReceiptCheck | None]: ...
    async def export_csv(self, path: Path, items: list[Transaction]) -> None: ...
    async def save_receipt(self, ma_gdich: str, directory: Path) -> list[Path]: ...
    async def close(self) -> None: ...


class WorkflowBackend:
    """The real backend: a thin adapter over :class:`UpdateWorkflow`."""

    def __init__(self, workflow: UpdateWorkflow, lang: Lang, *, poll_interval: float = 10.0) -> None:
        self.wf = workflow
        self.lang: Lang = lang
        self.poll_interval = poll_interval  # History, while the event stream is down
        self._logged_in: TokenInfo | None = None

    @property
    def unit(self) -> Unit:
        return self.wf.profile.unit

    @property
    def registration(self) -> Registration | None:
        return self.wf.registration

    @property
    def logged_in(self) -> TokenInfo | None:
        return self._logged_in

    def now(self) -> datetime:
        return self.wf.clock()

    async def list_tokens(self) -> list[TokenInfo]:
        return await self.wf.list_tokens()

    def watch_tokens(self, interval: float) -> AsyncIterator[list[TokenInfo]]:
        return self.wf.tokens.watch(interval)

    def module_suggestions(self) -> list[Path]:
        return suggest_modules([Path(m) for m in self.wf.tokens.modules])

    def token_notices(self) -> list[str]:
        """Why a module shows no token, from the last listing (pcscd not running, nothing forwarded over SSH)."""
        return [notice.message(self.lang) for notice in self.wf.tokens.notices]

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
        self._logged_in = token
        registration = await self.wf.connect()
        await self.wf.resume()  # a dossier signed earlier is re-sent now, never signed again
        return registration

    async def choices(self) -> list[CertChoice]:
        return await self.wf.choices()

    def problem_text(self, problem: Problem, info: CertInfo) -> str:
        return problem_message(problem, info, self.lang, unit_mst=self.unit.mst)

    def default_contact(self) -> Contact:
        return self.wf.default_contact()

    def preview(self, choice: CertChoice, contact: Contact) -> bytes:
        return self.wf.build(choice.cert, contact, "00000000-0000-0000-0000-000000000000")

    async def submit(self, choice: CertChoice, contact: Contact, progress: ProgressFn) -> Transaction:
        return await self.wf.submit(choice, contact, lang=self.lang, progress=progress)

    async def transactions(self) -> list[Transaction]:
        return await self.wf.client.all_transactions(self.wf.ma_dvi)

    def watch(self, known: list[Transaction], on_live: Callable[[bool], None]) -> AsyncIterator[Transaction]:
        return self.wf.watch_history(known, poll_interval=self.poll_interval, on_live=on_live)

    async def receipt(self, ma_gdich: str) -> tuple[bytes, ReceiptCheck | None]:
        return await self.wf.receipt(ma_gdich)

    async def export_csv(self, path: Path, items: list[Transaction]) -> None:
        await asyncio.to_thread(write_atomic, path, history_csv(items, self.lang))

    async def save_receipt(self, ma_gdich: str, directory: Path) -> list[Path]:
        """BHXH's confirmation as received (signed XML) and as form 01/TB-GD (HTML with the signature status)."""
        xml, check = await self.wf.receipt(ma_gdich)
        html = render_html(xml, signature_status=receipt_check_text(check, self.lang)).encode("utf-8")
        paths = [directory / f"xac-nhan-{ma_gdich}.xml", directory / f"xac-nhan-{ma_gdich}.html"]
        for path, data in zip(paths, (xml, html), strict=True):
            await asyncio.to_thread(write_atomic, path, data)
        return paths

    async def close(self) -> None:
        await self.wf.client.close()
        await asyncio.to_thread(self.wf.journal.close)
        await asyncio.to_thread(self.wf.tokens.close)
