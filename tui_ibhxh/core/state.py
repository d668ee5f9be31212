"""The unit's state: one value owned by the workflow, observed by the screens and the commands.

DESIGN.md, "One source of truth for the unit's state": every change (a result on the event stream, a poll, a
submit, a re-send, a token event) goes through the workflow, which updates this state and tells its observers
what changed. Views render it and never keep a copy, so after "Chấp nhận" every screen shows the new
registration at once, and a pending dossier is visible wherever the unit is shown.

Only the workflow writes these fields; everyone else reads them inside an observer or on demand.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from tui_ibhxh.core.models import Contact, Registration, TokenInfo, Transaction, TxRef, Unit

if TYPE_CHECKING:  # the revocation code is imported when a CA is asked, not at start (startup: bench/startup.py)
    from tui_ibhxh.core.revocation import Revocation

log = logging.getLogger(__name__)


class Aspect(StrEnum):
    """What part of the state a change touched (observers skip what they do not show)."""

    TOKENS = "tokens"  # the tokens present
    LOGIN = "login"  # the logged-in token, or its loss
    REGISTRATION = "registration"  # what BHXH has on record
    PENDING = "pending"  # the signed dossier not yet acknowledged by the I-VAN
    TRANSACTIONS = "transactions"  # the unit's transactions
    FEED = "feed"  # how the transactions are kept up to date
    DRAFT = "draft"  # what the user is preparing (certificate, contact, request key)
    REVOCATION = "revocation"  # what the CAs say about the token's certificates (checking, good, revoked, unknown)


class Feed(StrEnum):
    """How the history is kept up to date."""

    IDLE = "idle"  # not connected to the I-VAN yet
    LOADING = "loading"
    LIVE = "live"  # the I-VAN's event stream is open
    POLLING = "polling"  # the stream is down; the newest page is polled
    UNREACHABLE = "unreachable"  # the stream is down and the polls fail too


@dataclass(frozen=True)
class FeedState:
    mode: Feed = Feed.IDLE
    since: datetime | None = None  # UNREACHABLE: since when
    error: Exception | None = None  # the last failure (a translatable UserError when known)


@dataclass(frozen=True)
class PendingDossier:
    """A signed dossier the I-VAN has never acknowledged: it can be re-sent (same bytes, same key) or discarded."""

    key: str
    cert_serial: str
    signed_at: datetime
    attempts: int
    last_error: str | None
    sending: bool = False  # a send of it is under way in this process


@dataclass(frozen=True)
class Draft:
    """The change the user is preparing; ``key`` is the request key (MA_YEUCAU) the signed dossier will carry, so
    the preview shows exactly what "Nộp" signs."""

    key: str
    cert_serial: str | None = None
    contact: Contact | None = None
    older_acknowledged: bool = False  # the user accepted a certificate that expires before the registered one

    def updated(
        self,
        *,
        cert_serial: str | None = None,
        contact: Contact | None = None,
        older_acknowledged: bool | None = None,
    ) -> Draft:
        """With what the user chose or typed; a different certificate needs its downgrade accepted anew."""
        new = self
        if cert_serial is not None and cert_serial != self.cert_serial:
            new = replace(new, cert_serial=cert_serial, older_acknowledged=False)
        if contact is not None:
            new = replace(new, contact=contact)
        if older_acknowledged is not None:
            new = replace(new, older_acknowledged=older_acknowledged)
        return new


@dataclass
class UnitState:
    """Everything a view shows about the unit. Written by the workflow only."""

    unit: Unit
    tokens: tuple[TokenInfo, ...] = ()
    tokens_known: bool = False  # the tokens were listed at least once (before: still looking)
    token_notices: tuple[Exception, ...] = ()  # why a module shows no token (pcscd not running, nothing forwarded)
    token: TokenInfo | None = None  # the logged-in token
    token_lost: TokenInfo | None = None  # the logged-in token was removed: offer its PIN again when it is back
    registration: Registration | None = None
    ivan_id: str = ""  # the I-VAN instance the registration came from
    pending: PendingDossier | None = None
    transactions: dict[TxRef, Transaction] = field(default_factory=dict)
    history_loaded: bool = False
    history_error: Exception | None = None  # the last load of the history failed (cleared by a success)
    history_next: str | None = None  # the I-VAN's cursor to the older transactions not loaded yet (None: all are)
    feed: FeedState = field(default_factory=FeedState)
    replaced: dict[str, str] = field(default_factory=dict)  # certificate serial → the serial it replaced
    draft: Draft | None = None
    revocation: dict[str, Revocation] = field(default_factory=dict)  # certificate SHA-256 → the CA's verdict

    @property
    def connected(self) -> bool:
        return self.registration is not None and self.token is not None

    def current_transactions(self) -> list[Transaction]:
        """The transactions of the I-VAN the unit is connected to, newest first."""
        items = [tx for ref, tx in self.transactions.items() if ref.ivan_id == self.ivan_id or not self.ivan_id]
        return sorted(items, key=lambda tx: (tx.submitted_at, tx.ma_gdich), reverse=True)


@dataclass(frozen=True)
class Change:
    """One notification: the aspects touched and, for transactions, which ones (a view can update just those
    rows)."""

    aspects: frozenset[Aspect]
    transactions: tuple[Transaction, ...] = ()

    def __contains__(self, aspect: object) -> bool:
        return aspect in self.aspects


Observer = Callable[[UnitState, Change], None]


class StateHub:
    """Holds the state and its observers; the workflow calls :meth:`changed` after each update."""

    def __init__(self, state: UnitState) -> None:
        self.state = state
        self._observers: list[Observer] = []

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` after every change; returns the function that stops it."""
        self._observers.append(observer)

        def stop() -> None:
            if observer in self._observers:
                self._observers.remove(observer)

        return stop

    def changed(self, *aspects: Aspect, transactions: Iterable[Transaction] = ()) -> None:
        change = Change(frozenset(aspects), tuple(transactions))
        for observer in list(self._observers):
            try:
                observer(self.state, change)
            except Exception:  # a broken view must not break the procedure; loud in the log
                log.exception("state observer %r failed", observer)
