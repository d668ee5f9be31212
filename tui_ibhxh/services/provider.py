"""The one boundary between the workflow and an I-VAN's API (DESIGN.md "Providers", IVAN_PROTOCOL.md §9).

The workflow speaks only :class:`IvanProvider`: authenticate, registration, submit, transactions (and the whole
history), one transaction, events, receipt. ``[ivan] provider`` picks the implementation; ``tui-ibhxh`` (the
default) is ``services.ivan_client.IvanClient``, the reference implementation of this app's protocol. A real
provider's API is one more module implementing the same methods, registered in :data:`PROVIDERS` under its
name, with its own tests; nothing above this interface changes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tui_ibhxh.core.models import Registration, Transaction
from tui_ibhxh.services.errors import UserError

if TYPE_CHECKING:
    from tui_ibhxh.services.config import IvanConfig

#: signs the raw challenge bytes (RSA PKCS#1 v1.5, SHA-256) with the key of the certificate presented
SignFn = Callable[[bytes], Awaitable[bytes]]


class IvanError(UserError):
    """A failure talking to the I-VAN; ``status``/``ma_loi`` when the I-VAN answered with an error."""

    def __init__(self, key: str, *, status: int | None = None, ma_loi: str | None = None, **params: object) -> None:
        super().__init__(key, status=status if status is not None else "", ma_loi=ma_loi or "", **params)
        self.status = status
        self.ma_loi = ma_loi


@dataclass(frozen=True)
class SubmitResult:
    transaction: Transaction
    created: bool  # a new transaction; False: the I-VAN already had this idempotency key


@dataclass(frozen=True)
class Page:
    items: list[Transaction]
    next: str | None
    last_event_id: str | None = None  # the unit's last event this page reflects (protocol §6)


@dataclass(frozen=True)
class HistorySnapshot:
    """Every transaction of a unit, and the event id to resume the stream from so nothing falls in between."""

    items: list[Transaction]
    last_event_id: str | None


@dataclass(frozen=True)
class TxEvent:
    id: str
    transaction: Transaction


class IvanProvider(Protocol):
    """What the workflow needs from an I-VAN. Every failure is an :class:`IvanError` with a translated message
    (``status`` 4xx when the I-VAN refused, so the workflow knows a dossier must not be re-sent)."""

    base_url: str

    async def authenticate(self, ma_dvi: str, certificate_der: bytes, sign: SignFn) -> None:
        """Prove possession of a certificate of the unit (later calls re-authenticate by themselves)."""
        ...

    async def registration(self, ma_dvi: str) -> Registration:
        """What BHXH has on record for the unit."""
        ...

    async def submit(self, ma_dvi: str, signed_xml: bytes, idempotency_key: str) -> SubmitResult:
        """Send the signed envelope; a repeat with the same key answers with the same transaction."""
        ...

    async def transactions(self, ma_dvi: str, *, limit: int = 50, before: str | None = None) -> Page:
        """One page of the unit's transactions, newest first."""
        ...

    async def history(self, ma_dvi: str, *, page_size: int = 100) -> HistorySnapshot:
        """Every transaction of the unit and the event id to follow changes from."""
        ...

    async def transaction(self, ma_gdich: str) -> Transaction:
        """One transaction of the unit, as it is now."""
        ...

    async def receipt(self, ma_gdich: str) -> bytes:
        """BHXH's signed confirmation of a final transaction."""
        ...

    def events(
        self,
        ma_dvi: str,
        *,
        last_event_id: str | None = None,
        reconnect_delay: float = 1.0,
        on_connection: Callable[[bool], None] | None = None,
    ) -> AsyncIterator[TxEvent]:
        """Every status change from ``last_event_id`` on, forever (reconnecting by itself)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...


def _reference(cfg: IvanConfig) -> IvanProvider:
    from tui_ibhxh.services.ivan_client import IvanClient

    return IvanClient(
        cfg.url,
        ca_bundle=cfg.ca_bundle,
        connect_timeout=cfg.connect_timeout,
        read_timeout=cfg.read_timeout,
    )


#: the implementations ``[ivan] provider`` may name
PROVIDERS: dict[str, Callable[[IvanConfig], IvanProvider]] = {"tui-ibhxh": _reference}


def make_provider(cfg: IvanConfig) -> IvanProvider:
    """The I-VAN API the config names (``[ivan] provider``)."""
    factory = PROVIDERS.get(cfg.provider)
    if factory is None:
        raise UserError("provider.unknown", name=cfg.provider, known=", ".join(sorted(PROVIDERS)))
    return factory(cfg)
