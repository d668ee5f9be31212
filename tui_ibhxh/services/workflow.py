"""The update procedure as one async object; the CLI and the TUI are thin views over it.

token → login → I-VAN authentication and registration → choose a certificate (problem checks) → contact →
build, sign on the token, self-verify, journal, submit → follow to a final status.

Durability: the signed dossier is committed to the journal before the POST. ``resume()`` re-sends every
unfinished entry with the same idempotency key (the I-VAN answers with the same transaction) and reconciles
the rest. A journalled dossier is never signed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from tui_ibhxh.core.certs import (
    CertificateError,
    CheckContext,
    check_certificate,
    load_certificates,
    problem_message,
)
from tui_ibhxh.core.dossier import CertSummary, ChangeDossier, build_dossier
from tui_ibhxh.core.i18n import VN_TZ, Lang, register
from tui_ibhxh.core.models import (
    CertInfo,
    Contact,
    Problem,
    RegisteredCert,
    Registration,
    TokenCert,
    TokenInfo,
    Transaction,
    TxStatus,
)
from tui_ibhxh.core.receipt import ReceiptCheck, verify_receipt
from tui_ibhxh.core.validation import check_contact, clean_contact
from tui_ibhxh.core.xmldsig import TrustStore, verify_document
from tui_ibhxh.core.xmlsafe import XmlError
from tui_ibhxh.services.config import Config, UnitProfile, save_config, set_value
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.ivan_client import IvanClient, IvanError
from tui_ibhxh.services.journal import Journal, JournalEntry
from tui_ibhxh.services.signing import sign_xml
from tui_ibhxh.services.token import TokenService

log = logging.getLogger(__name__)

TEN_IVAN = "I-VAN (tui-ibhxh)"
REFUSED_STATUSES = frozenset({400, 403, 409, 413, 422})

register(
    {
        "workflow.not_logged_in": (
            "Chưa đăng nhập token: chọn token và nhập mã PIN trước.",
            "Not logged in to a token: choose a token and enter its PIN first.",
        ),
        "workflow.no_auth_cert": (
            "Token không có chứng thư số còn hiệu lực nào mang MST {mst} của đơn vị để xác thực với I-VAN.",
            "The token holds no valid certificate with the unit's MST {mst} to authenticate to the I-VAN.",
        ),
        "workflow.cert_blocked": (
            "Không thể dùng chứng thư {serial} để đăng ký: {reasons}",
            "Certificate {serial} cannot be registered: {reasons}",
        ),
        "workflow.contact_invalid": (
            "Thông tin liên hệ chưa đúng: {reasons}",
            "Contact details are wrong: {reasons}",
        ),
        "workflow.pending": (
            "Đơn vị đang có hồ sơ {key} đã ký nhưng chưa có kết quả. Hãy theo dõi/gửi lại hồ sơ đó trước "
            "(ibhxh history, hoặc chạy lại ibhxh submit để gửi lại) thay vì ký hồ sơ mới.",
            "The unit has a signed dossier {key} without a final result. Follow or re-send it first "
            "(ibhxh history, or run ibhxh submit again to re-send) instead of signing a new one.",
        ),
        "workflow.send_failed_kept": (
            "Chưa gửi được hồ sơ: {cause} Hồ sơ đã ký được lưu trong nhật ký ({key}); "
            "lần chạy sau sẽ tự gửi lại với cùng mã yêu cầu — không cần ký lại.",
            "The dossier was not sent: {cause} The signed dossier is kept in the journal ({key}); "
            "the next run re-sends it with the same request key — no need to sign again.",
        ),
        "workflow.refused": (
            "I-VAN từ chối hồ sơ ngay khi nhận ({ma_loi}): {mota_loi}",
            "The I-VAN refused the dossier on receipt ({ma_loi}): {detail}",
        ),
        "workflow.self_verify_failed": (
            "Tự kiểm tra chữ ký trước khi gửi thất bại: {cause} Hồ sơ không được gửi.",
            "Self-verification of the signature failed: {cause} Nothing was sent.",
        ),
        "workflow.follow_timeout": (
            "Sau {seconds} giây giao dịch {ma_gdich} vẫn ở trạng thái {status}; xem tiếp bằng «ibhxh history».",
            "After {seconds} s transaction {ma_gdich} is still {status}; follow it with 'ibhxh history'.",
        ),
        "status.SENT": ("Đã gửi", "Sent"),
        "status.RECEIVED": ("Đã tiếp nhận", "Received"),
        "status.ACCEPTED": ("Chấp nhận (Thành công)", "Accepted (success)"),
        "status.REJECTED": ("Từ chối", "Rejected"),
    }
)


class Step(StrEnum):
    """Visible progress of "Nộp"."""

    BUILD = "build"
    SIGN = "sign"
    VERIFY = "verify"
    JOURNAL = "journal"
    SEND = "send"
    DONE = "done"


@dataclass(frozen=True)
class CertChoice:
    cert: TokenCert
    problems: tuple[Problem, ...]

    @property
    def usable(self) -> bool:
        return not any(p.blocking for p in self.problems)


def utc_now() -> datetime:
    return datetime.now(UTC)


class UpdateWorkflow:
    """One unit, one token session, one I-VAN client."""

    def __init__(
        self,
        cfg: Config,
        *,
        tokens: TokenService,
        journal: Journal,
        client: IvanClient,
        unit: str | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.cfg = cfg
        self.tokens = tokens
        self.journal = journal
        self.client = client
        self.profile: UnitProfile = cfg.unit(unit)
        self.clock = clock
        self.token: TokenInfo | None = None
        self.registration: Registration | None = None
        self._anchors: list[CertInfo] | None = None
        self._trust: TrustStore | None = None

    @property
    def ma_dvi(self) -> str:
        return self.profile.unit.ma_dvi

    # -- trust anchors (read once) -----------------------------------------------------------------------
    def anchors(self) -> list[CertInfo]:
        if self._anchors is None:
            anchors: list[CertInfo] = []
            for path in self.cfg.ivan.trust_anchors:
                try:
                    anchors.extend(load_certificates(path.read_bytes()))
                except OSError as exc:
                    raise UserError("config.anchor_unreadable", path=path, problem=type(exc).__name__) from None
                except CertificateError:
                    raise UserError("config.anchor_invalid", path=path) from None
            self._anchors = anchors
            self._trust = TrustStore(anchors) if anchors else None
        return self._anchors

    # -- step 1: token ----------------------------------------------------------------------------------
    async def list_tokens(self) -> list[TokenInfo]:
        return await self.tokens.list_tokens()

    async def login(self, token: TokenInfo, pin: str) -> None:
        self.token = await self.tokens.login(token.serial, pin)

    def _require_token(self) -> TokenInfo:
        if self.token is None or self.tokens.logged_in_serial != self.token.serial:
            raise UserError("workflow.not_logged_in")
        return self.token

    async def token_certificates(self) -> list[TokenCert]:
        return await self.tokens.certificates(self._require_token().serial)

    # -- step 2: I-VAN ----------------------------------------------------------------------------------
    async def connect(self) -> Registration:
        """Authenticate with a valid certificate of the unit on the token, then read the registration."""
        certs = await self.token_certificates()
        now = self.clock()
        mst = self.profile.unit.mst
        candidates = [
            c
            for c in certs
            if c.has_private_key
            and c.info.mst == mst
            and c.info.not_before <= now <= c.info.not_after
            and not c.info.is_ca
        ]
        if not candidates:
            raise UserError("workflow.no_auth_cert", mst=mst)
        # prefer the longest-lived certificate (the new one): the old may expire mid-session
        auth = max(candidates, key=lambda c: c.info.not_after)
        signer = self.tokens.signer(auth)
        await self.client.authenticate(self.ma_dvi, auth.info.der, signer.sign_async)
        return await self.refresh_registration()

    async def refresh_registration(self) -> Registration:
        self.registration = await self.client.registration(self.ma_dvi)
        self._remember_registered(self.registration.certificate)
        return self.registration

    def _remember_registered(self, cert: RegisteredCert) -> None:
        """Cache the registered certificate in the config (offline SAME_AS_REGISTERED, `ibhxh check`)."""
        p = self.profile
        values = {
            "registered_cert_sha256": cert.sha256.upper(),
            "registered_cert_serial": cert.serial,
            "registered_cert_not_after": cert.not_after.isoformat(),
        }
        current = {
            "registered_cert_sha256": p.registered_cert_sha256.upper(),
            "registered_cert_serial": p.registered_cert_serial,
            "registered_cert_not_after": p.registered_cert_not_after,
        }
        if values == current or not self.cfg.path.exists():
            return
        try:
            for name, value in values.items():
                set_value(self.cfg, f"units.{p.name}.{name}", value)
            save_config(self.cfg)
            self.profile = self.cfg.unit(self.profile.name)
        except (OSError, UserError) as exc:  # a read-only config must not break the procedure
            log.warning("could not cache the registration in the config: %s", type(exc).__name__)

    # -- step 2b: choose a certificate -----------------------------------------------------------------
    def check_context(self) -> CheckContext:
        reg = self.registration
        return CheckContext(
            now=self.clock(),
            unit_mst=self.profile.unit.mst,
            anchors=self.anchors(),
            registered_sha256=(reg.certificate.sha256 if reg else self.profile.registered_cert_sha256) or None,
            registered_serial_issuer=(reg.certificate.serial, reg.certificate.issuer) if reg else None,
        )

    async def choices(self) -> list[CertChoice]:
        ctx = self.check_context()
        return [
            CertChoice(c, tuple(check_certificate(c.info, has_private_key=c.has_private_key, ctx=ctx)))
            for c in await self.token_certificates()
        ]

    def ensure_usable(self, choice: CertChoice, lang: Lang = "vi") -> None:
        blocking = [p for p in choice.problems if p.blocking]
        if blocking:
            reasons = " ".join(
                problem_message(p, choice.cert.info, lang, unit_mst=self.profile.unit.mst) for p in blocking
            )
            raise UserError("workflow.cert_blocked", serial=choice.cert.info.serial, reasons=reasons)

    # -- step 3: contact --------------------------------------------------------------------------------
    def default_contact(self) -> Contact:
        if self.registration is not None:
            return self.registration.contact
        return Contact("", "", "", "")

    # -- step 4: build, sign, verify, journal, send ----------------------------------------------------
    def build(self, cert: TokenCert, contact: Contact, key: str) -> bytes:
        reg = self.registration
        if reg is None:
            raise UserError("workflow.not_logged_in")
        unit = self.profile.unit
        dossier = ChangeDossier(
            unit=unit,
            contact=clean_contact(contact),
            ngay_lap=self._today(),
            ten_ivan=TEN_IVAN,
            new_cert=CertSummary.from_cert(cert.info),
            old_cert=CertSummary.from_registered(reg.certificate),
            ma_yeucau=key,
        )
        return build_dossier(dossier)

    def _today(self) -> date:
        return self.clock().astimezone(VN_TZ).date()

    def pending(self) -> JournalEntry | None:
        entries = self.journal.unfinished(self.ma_dvi)
        return entries[0] if entries else None

    async def submit(
        self,
        choice: CertChoice,
        contact: Contact,
        *,
        lang: Lang = "vi",
        progress: Callable[[Step], None] | None = None,
    ) -> Transaction:
        """Sign and send the change; returns the transaction the I-VAN created (status SENT)."""

        def step(s: Step) -> None:
            if progress is not None:
                progress(s)

        self.ensure_usable(choice, lang)
        errors = check_contact(contact)
        if errors:
            reasons = " ".join(f"{e.field}: {e.message(lang)}" for e in errors)
            raise UserError("workflow.contact_invalid", reasons=reasons)
        pending = await asyncio.to_thread(self.pending)
        if pending is not None:
            raise UserError("workflow.pending", key=pending.key)
        key = str(uuid.uuid4())
        step(Step.BUILD)
        xml = self.build(choice.cert, contact, key)
        step(Step.SIGN)
        try:
            signed = await sign_xml(self.tokens, choice.cert, xml)  # finish() verifies against the cert
        except XmlError as exc:
            raise UserError("workflow.self_verify_failed", cause=exc) from None
        step(Step.VERIFY)
        self.anchors()
        if self._trust is not None:
            try:
                verify_document(signed, pinned_cert_der=choice.cert.info.der, trust=self._trust)
            except XmlError as exc:
                raise UserError("workflow.self_verify_failed", cause=exc) from None
        step(Step.JOURNAL)
        entry = await asyncio.to_thread(self.journal.record_signed, key, self.ma_dvi, choice.cert.info.serial, signed)
        step(Step.SEND)
        tx = await self.send(entry)
        step(Step.DONE)
        return tx

    async def send(self, entry: JournalEntry) -> Transaction:
        """POST a journalled dossier (first time or again, always with its own key) and record the answer."""
        try:
            result = await self.client.submit(self.ma_dvi, entry.signed_xml, entry.key)
        except IvanError as exc:
            if exc.status in REFUSED_STATUSES:
                await asyncio.to_thread(
                    self.journal.mark_refused, entry.key, exc.ma_loi or str(exc.status), exc.message("vi")
                )
                raise UserError(
                    "workflow.refused",
                    ma_loi=exc.ma_loi or str(exc.status),
                    mota_loi=exc.params.get("mota_loi", ""),
                    detail=exc.params.get("detail", ""),
                ) from None
            await asyncio.to_thread(self.journal.note_attempt, entry.key, exc.message("en"))
            raise UserError("workflow.send_failed_kept", cause=exc, key=entry.key) from None
        await asyncio.to_thread(self.journal.mark_submitted, entry.key, result.transaction)
        return result.transaction

    async def resume(self) -> list[Transaction]:
        """Re-send what was signed but not acknowledged; refresh what was sent but not final."""
        out: list[Transaction] = []
        for entry in await asyncio.to_thread(self.journal.unfinished, self.ma_dvi):
            if entry.ma_gdich is None:
                out.append(await self.send(entry))
            else:
                tx = await self.client.transaction(entry.ma_gdich)
                await self.record(tx)
                out.append(tx)
        return out

    # -- step 5: follow -------------------------------------------------------------------------------
    async def receipt(self, ma_gdich: str) -> tuple[bytes, ReceiptCheck | None]:
        """BHXH's confirmation and the check of its signature against ``[ivan] bhxh_certificate``
        (None when none is configured: the signature cannot be checked)."""
        xml = await self.client.receipt(ma_gdich)
        path = self.cfg.ivan.bhxh_certificate
        if path is None:
            return xml, None
        try:
            der = load_certificates(await asyncio.to_thread(path.read_bytes))[0].der
        except (OSError, CertificateError, IndexError):
            raise UserError("cli.not_a_certificate", path=path) from None
        return xml, verify_receipt(xml, der)

    async def record(self, tx: Transaction) -> None:
        """Journal a status seen for one of our transactions; on ACCEPTED, cache the new registration."""
        entry = await asyncio.to_thread(self.journal.by_ma_gdich, tx.ma_gdich)
        if entry is not None:
            await asyncio.to_thread(self.journal.update_status, entry.key, tx)
        if tx.status is TxStatus.ACCEPTED:
            with contextlib.suppress(UserError):
                await self.refresh_registration()

    async def follow(
        self,
        ma_gdich: str,
        *,
        on_update: Callable[[Transaction], None] | None = None,
        poll_interval: float = 5.0,
        timeout: float | None = None,
    ) -> Transaction:
        """Wait for a final status (event stream, and polling of this transaction); returns the final transaction."""
        latest = await self.client.transaction(ma_gdich)
        if on_update is not None:
            on_update(latest)
        if not latest.status.final:

            async def poll() -> list[Transaction]:
                return [await self.client.transaction(ma_gdich)]

            changes = self._changes(poll, poll_interval, known=[latest], poll_while_live=True)
            try:
                async with asyncio.timeout(timeout):
                    async for tx in changes:
                        if tx.ma_gdich != ma_gdich:
                            continue
                        latest = tx
                        if on_update is not None:
                            on_update(tx)
                        if tx.status.final:
                            break
            except TimeoutError:
                raise UserError(
                    "workflow.follow_timeout", seconds=int(timeout or 0), ma_gdich=ma_gdich, status=latest.status
                ) from None
            finally:
                await changes.aclose()
        await self.record(latest)
        return latest

    async def watch_history(
        self,
        known: Iterable[Transaction] = (),
        *,
        poll_interval: float = 10.0,
        on_live: Callable[[bool], None] | None = None,
    ) -> AsyncGenerator[Transaction, None]:
        """Every status change of the unit's transactions after ``known``, each once, recorded: pushed by the
        I-VAN's event stream; while the stream is down or refused, the newest page is polled instead.
        ``on_live(True/False)`` says which of the two is feeding the changes."""

        async def newest() -> list[Transaction]:
            return (await self.client.transactions(self.ma_dvi, limit=POLL_PAGE)).items

        changes = self._changes(newest, poll_interval, known=known, poll_while_live=False, on_live=on_live)
        try:
            async for tx in changes:
                await self.record(tx)
                yield tx
        finally:
            await changes.aclose()

    async def _changes(
        self,
        poll: Callable[[], Awaitable[list[Transaction]]],
        poll_interval: float,
        *,
        known: Iterable[Transaction],
        poll_while_live: bool,
        on_live: Callable[[bool], None] | None = None,
    ) -> AsyncGenerator[Transaction, None]:
        """Transactions that changed, from the event stream and from ``poll`` merged: a transaction is yielded
        only when it differs from what was seen, and never moves back (a late poll after a newer event)."""
        queue: asyncio.Queue[Transaction] = asyncio.Queue()
        live: bool | None = None  # unknown / stream open / stream lost

        def connection(up: bool) -> None:
            nonlocal live
            if live is not up:
                live = up
                if on_live is not None:
                    on_live(up)

        async def from_events() -> None:
            try:
                async for event in self.client.events(self.ma_dvi, on_connection=connection):
                    await queue.put(event.transaction)
            except IvanError as exc:
                log.warning("event stream refused (%s): polling every %s s instead", exc.key, poll_interval)
                connection(False)

        async def from_polling() -> None:
            while True:
                await asyncio.sleep(poll_interval)
                if live and not poll_while_live:
                    continue
                with contextlib.suppress(IvanError):
                    for tx in await poll():
                        await queue.put(tx)

        seen = {tx.ma_gdich: tx for tx in known}
        tasks = [asyncio.create_task(from_events()), asyncio.create_task(from_polling())]
        try:
            while True:
                tx = await queue.get()
                before = seen.get(tx.ma_gdich)
                if before is not None and (tx == before or _order(tx.status) < _order(before.status)):
                    continue
                seen[tx.ma_gdich] = tx
                yield tx
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task


POLL_PAGE = 50  # newest transactions polled while the event stream is down: status changes are recent ones


_ORDER = {TxStatus.SENT: 0, TxStatus.RECEIVED: 1, TxStatus.ACCEPTED: 2, TxStatus.REJECTED: 2}


def _order(status: TxStatus) -> int:
    return _ORDER[status]
