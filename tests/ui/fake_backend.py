"""A backend with fixed data and a fixed clock for snapshot tests (the Pilot end-to-end tests use the real
one against the simulator and the SoftHSM demo token). Behaviour is steered by plain attributes. It counts the
calls that wait by design (a hang, an event nobody sends yet): tests wait until every unfinished worker is one of
those (tests/ui/until.py ``settled``) instead of sleeping. mypy checks it against the ``Backend`` protocol."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from tui_ibhxh.core.certs import problem_message, revocation_problem
from tui_ibhxh.core.dossier import CertSummary, ChangeDossier, build_dossier
from tui_ibhxh.core.envelope import Envelope, build_envelope
from tui_ibhxh.core.i18n import VN_TZ, Lang, fmt_date
from tui_ibhxh.core.models import (
    CertInfo,
    Contact,
    PinFlags,
    Problem,
    ProblemCode,
    RegisteredCert,
    Registration,
    SubjectId,
    TimelineEntry,
    TokenCert,
    TokenInfo,
    Transaction,
    TxStatus,
    Unit,
)
from tui_ibhxh.core.receipt import ReceiptCheck
from tui_ibhxh.core.revocation import PENDING as REVOCATION_PENDING
from tui_ibhxh.core.revocation import Revocation, RevocationState
from tui_ibhxh.core.state import Aspect, Draft, Feed, FeedState, Observer, PendingDossier, StateHub, UnitState
from tui_ibhxh.core.validation import PinRule, new_pin_problem
from tui_ibhxh.services.errors import UserError, kept
from tui_ibhxh.services.ivan_client import IvanError
from tui_ibhxh.services.report import history_csv
from tui_ibhxh.services.workflow import CertChoice, Preview, Resent, Step, in_order
from tui_ibhxh.ui.backend import Backend, ProgressFn

T = TypeVar("T")
NOW = datetime(2026, 11, 24, 2, 30, tzinfo=UTC)  # 09:30 in Hà Nội
UNIT = Unit(
    "TA1234A",
    "0101234565",
    "Công ty TNHH ABC",
    "Hà Nội",
    "BHXH cơ sở Cầu Giấy",
    ma_co_quan_bhxh="903",
    nguoi_ky="Trần Văn Bình",
)
CONTACT = Contact("Số 1 Trần Duy Hưng, phường Cầu Giấy, Hà Nội", "0912345678", "ketoan@abc.vn", "Nguyễn Văn A")
CA_FIELDS = (("C", "VN"), ("O", "Demo tui-ibhxh"), ("CN", "DEMO CA tui-ibhxh (KHÔNG DÙNG THẬT)"))
ORG_FIELDS = (
    ("C", "VN"),
    ("ST", "Hà Nội"),
    ("L", "Phường Cầu Giấy"),
    ("O", "Công ty TNHH ABC"),
    ("CN", "CONG TY TNHH ABC"),
    ("UID", "MST:0101234565"),
)
XYZ_FIELDS = (
    ("C", "VN"),
    ("ST", "TP. Hồ Chí Minh"),
    ("L", "Phường Sài Gòn"),
    ("O", "Công ty Cổ phần XYZ"),
    ("CN", "CONG TY CO PHAN XYZ"),
    ("UID", "MST:0309876547"),
)


DIRECTOR_FIELDS = (
    ("C", "VN"),
    ("ST", "Hà Nội"),
    ("O", "Công ty TNHH ABC"),
    ("T", "Giám đốc"),
    ("telephoneNumber", "0912345678"),
    ("CN", "NGUYỄN VĂN AN"),
    ("UID", "MST:0101234565"),
    ("UID", "CCCD:001080012345"),
)
PKI = "http://127.0.0.1:24680/api/v1/pki"


def _name(fields: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{k}={v}" for k, v in reversed(fields))


def cert(
    serial: str, fields: tuple[tuple[str, str], ...], start: int, end: int, *, ca: bool = False, bits: int = 2048
) -> CertInfo:
    return CertInfo(
        der=b"",
        serial=serial,
        subject=_name(fields),
        issuer=_name(CA_FIELDS),
        subject_fields=fields,
        issuer_fields=CA_FIELDS,
        common_name=dict(fields)["CN"],
        ids=tuple(SubjectId(*v.split(":", 1)) for k, v in fields if k == "UID"),
        not_before=NOW + timedelta(days=start),
        not_after=NOW + timedelta(days=end),
        key_usage=frozenset({"key_cert_sign", "crl_sign"} if ca else {"digital_signature", "non_repudiation"}),
        is_ca=ca,
        sha256=(serial * 4)[:64],
        key_algorithm="rsa",
        key_bits=bits,
        signature_algorithm="sha256_rsa",
    )


OLD = cert("5F1A2B3C4D5E6F708192A3B4C5D6E7F8091A2B3C", ORG_FIELDS, -358, 7)
NEW = cert("6A7B8C9D0E1F20314253647586970A1B2C3D4E5F", ORG_FIELDS, -1, 730)
CA = cert("0A84879EE39D817C07F25E0570FEE79C61ED06FE", CA_FIELDS, -365, 3650, ca=True)
OTHER = cert("2AE0D95BF490677C6B1305887F269E02EE4DED6C", XYZ_FIELDS, -30, 335)
REVOKED = cert("3C51E0A2B7D94F6811C0DE5A17C0DE2026112401", ORG_FIELDS, -60, 670)
DIRECTOR = cert("4D62F1B3C8EA5079A2D1EF6B28D1EF3137223512", DIRECTOR_FIELDS, -20, 710)
WEAK = cert("1B40DF91A6C83E5700BFCD4906BFCD1A15001290", ORG_FIELDS, -10, 355, bits=1024)
TOKEN = TokenInfo(
    "/usr/lib/softhsm/libsofthsm2.so", 0, "DEMO TOKEN", "SoftHSM project", "SoftHSM v2", "1cb6cd3bfafc11bb", PinFlags()
)


def unreachable_error() -> IvanError:
    """The I-VAN refused the connection (as the client says it: the cause in words)."""
    return IvanError("ivan.unreachable", url="https://ivan.example.vn", reason=UserError("error.cause.refused"))


def token_cert(info: CertInfo, label: str, key: bool) -> TokenCert:
    return TokenCert(info, label, "02" if key else "", key, TOKEN.serial, TOKEN.label)


CHOICES = [
    CertChoice(
        token_cert(OLD, "Chứng thư số Công ty TNHH ABC (đang đăng ký)", True),
        (Problem(ProblemCode.EXPIRES_SOON, days=7), Problem(ProblemCode.SAME_AS_REGISTERED)),
    ),
    CertChoice(token_cert(NEW, "Chứng thư số Công ty TNHH ABC (mới)", True), ()),
    CertChoice(
        token_cert(CA, "DEMO CA tui-ibhxh", False),
        (Problem(ProblemCode.NO_PRIVATE_KEY), Problem(ProblemCode.IS_CA), Problem(ProblemCode.MST_MISMATCH)),
    ),
    CertChoice(
        token_cert(OTHER, "Chứng thư số Công ty Cổ phần XYZ", True),
        (Problem(ProblemCode.MST_MISMATCH, detail="0309876547"),),
    ),
    CertChoice(token_cert(REVOKED, "Chứng thư số Công ty TNHH ABC (đã bị thu hồi)", True), ()),
    CertChoice(
        token_cert(DIRECTOR, "Chứng thư cá nhân Giám đốc Nguyễn Văn An", True),
        (Problem(ProblemCode.PERSONAL_CERTIFICATE, detail="CCCD:001080012345"),),
    ),
]
WEAK_CHOICE = CertChoice(
    token_cert(WEAK, "Chứng thư số Công ty TNHH ABC (khóa 1024 bit)", True),
    (Problem(ProblemCode.KEY_TOO_WEAK, detail="RSA 1024 bit"),),
)
#: what the demo CA says: the revoked certificate is revoked (OCSP), every other one good
VERDICTS = {
    REVOKED.sha256: Revocation(
        RevocationState.REVOKED, source=f"{PKI}/ocsp", revoked_at=NOW - timedelta(days=3), next_update=NOW
    )
}
REGISTRATION = Registration(
    UNIT,
    CONTACT,
    RegisteredCert(OLD.serial, OLD.subject, OLD.issuer, OLD.not_before, OLD.not_after, OLD.sha256),
    NOW - timedelta(days=358),
    7,
)


def transaction(
    n: int, status: TxStatus, *, minutes_ago: int = 0, ma_loi: str | None = None, mota_loi: str | None = None
) -> Transaction:
    at = NOW - timedelta(minutes=minutes_ago)
    steps = {
        TxStatus.SENT: [TxStatus.SENT],
        TxStatus.RECEIVED: [TxStatus.SENT, TxStatus.RECEIVED],
        TxStatus.ACCEPTED: [TxStatus.SENT, TxStatus.RECEIVED, TxStatus.ACCEPTED],
        TxStatus.REJECTED: [TxStatus.SENT, TxStatus.RECEIVED, TxStatus.REJECTED],
    }[status]
    return Transaction(
        ma_gdich=f"GD20261124{n:07d}",
        so_hso=f"TA1234A/2026/{n:06d}",
        ma_dvi="TA1234A",
        loai="Thay đổi thông tin đăng ký sử dụng dịch vụ I-VAN",
        idempotency_key=f"00000000-0000-4000-8000-{n:012d}",
        submitted_at=at,
        status=status,
        status_at=at + timedelta(seconds=3 * (len(steps) - 1)),
        ma_loi=ma_loi,
        mota_loi=mota_loi,
        timeline=tuple(TimelineEntry(s, at + timedelta(seconds=3 * i)) for i, s in enumerate(steps)),
    )


HISTORY = [
    transaction(3, TxStatus.RECEIVED, minutes_ago=5),
    transaction(
        2,
        TxStatus.REJECTED,
        minutes_ago=60 * 24 * 30,
        ma_loi="CERT_EXPIRED",
        mota_loi="Chứng thư số đã hết hạn tại thời điểm nộp hồ sơ.",
    ),
    transaction(1, TxStatus.ACCEPTED, minutes_ago=60 * 24 * 358),
]


class FakeBackend:
    """Fixed data; ``tokens``, ``login_error``, ``submit_error``, ``history``, ``events_script``, ``live``,
    ``pending``, ``history_error`` steer it. Its state moves as the workflow's does (login → registration; the
    history follow → transactions, live/polling), so the screens render it the same way."""

    def __init__(self, lang: Lang = "vi") -> None:
        self.lang: Lang = lang
        self.tokens: list[TokenInfo] = [TOKEN]
        self.login_error: Exception | None = None
        self.choices_error: Exception | None = None  # the certificates cannot be read
        self.export_error: Exception | None = None  # the CSV cannot be written
        self.submit_error: Exception | None = None
        self.history: list[Transaction] = list(HISTORY)
        self.history_error: UserError | None = None  # every load of the history fails with it
        self.page_size: int | None = None  # the I-VAN's history read a page of this many at a time (None: whole)
        self.pages_read: list[int] = []  # where each older page started
        self.more_gate: asyncio.Event | None = None  # older pages wait for it
        self.events_script: list[Transaction] = []
        self.live = True  # False: the event stream is down, History polls
        self.unreachable_since: datetime | None = None  # the stream is down and polls fail too
        self.pending: PendingDossier | None = None  # a signed dossier that never reached the I-VAN
        self.poll_interval = 10.0
        self.token_poll_interval = 1.0
        self.pushed: asyncio.Queue[Transaction] = asyncio.Queue()  # what the I-VAN sends once History follows
        self.token_events: asyncio.Queue[list[TokenInfo]] = asyncio.Queue()  # plug/unplug
        self.hang: bool = False  # every call waits forever: the "loading" states
        self.hub = StateHub(UnitState(unit=UNIT))
        self.submitted: list[tuple[CertChoice, Contact]] = []
        self.resent: list[str] = []
        self.discarded: list[str] = []
        self.handed_over: list[Path] = []
        self.exported: list[Path] = []
        self.exports_dir = Path("/home/ketoan/Documents/tui-ibhxh")  # tests that write set a temporary one
        self.saved: list[str] = []
        self.suggested_modules = [Path("/usr/lib/fptca_v4.so"), Path("/usr/lib/x86_64-linux-gnu/libshuttle_p11v220.so")]
        self.module_error: UserError | None = None
        self.modules_added: list[Path] = []
        self.registration_now: Registration = REGISTRATION  # what login finds on record
        self.choices_list: list[CertChoice] = list(CHOICES)
        self.notices: list[UserError] = []
        self.pin_error: UserError | None = None
        self.pin_changes: list[TokenInfo] = []
        self.verdicts: dict[str, Revocation] = dict(VERDICTS)  # the CAs' answers (absent: good)
        self.revocation_hang = False  # the CAs never answer: rows stay "checking"
        self.revocation_gate: asyncio.Event | None = None  # the CAs answer once it is set
        self.revocation_checks = 0
        self._waits: list[Callable[[], bool]] = []  # calls waiting by design: is each still blocked?

    @property
    def state(self) -> UnitState:
        return self.hub.state

    def observe(self, observer: Observer) -> Callable[[], None]:
        return self.hub.observe(observer)

    @property
    def unit(self) -> Unit:
        return UNIT

    def now(self) -> datetime:
        return NOW

    @property
    def waiting(self) -> int:
        """How many calls wait for what only the test (or nothing) will provide, each holding one worker."""
        return sum(still() for still in self._waits)

    async def _blocked(self, awaitable: Awaitable[T], still: Callable[[], bool] = lambda: True) -> T:
        """Wait on ``awaitable``; ``still()`` says whether it is still blocked (a queue that got an item, a gate
        that was opened: its worker is busy again although the await has not returned yet)."""
        self._waits.append(still)
        try:
            return await awaitable
        finally:
            self._waits.remove(still)

    async def _maybe_hang(self) -> None:
        if self.hang:
            await self._blocked(asyncio.Event().wait())

    def set_tokens(self, tokens: list[TokenInfo]) -> None:
        """As the workflow does on a token event: a removed logged-in token logs out."""
        state = self.state
        state.tokens, state.tokens_known, state.token_notices = tuple(tokens), True, tuple(self.notices)
        aspects = [Aspect.TOKENS]
        if state.token is not None and state.token not in tokens:
            state.token_lost, state.token = state.token, None
            aspects.append(Aspect.LOGIN)
        self.hub.changed(*aspects)

    async def watch_tokens(self, interval: float) -> AsyncIterator[list[TokenInfo]]:
        await self._maybe_hang()
        self.set_tokens(list(self.tokens))
        yield list(self.tokens)
        while True:
            tokens = await self._blocked(self.token_events.get(), self.token_events.empty)
            self.set_tokens(tokens)
            yield tokens

    def module_suggestions(self) -> list[Path]:
        return list(self.suggested_modules)

    async def pin_rule(self, token: TokenInfo) -> PinRule:
        await self._maybe_hang()
        return PinRule()

    async def change_pin(self, token: TokenInfo, old: str, new: str, again: str) -> TokenInfo:
        await self._maybe_hang()
        if self.pin_error is not None:
            raise self.pin_error
        problem = new_pin_problem(old, new, again, PinRule())
        if problem is not None:
            raise UserError(problem[0], **problem[1])
        self.pin_changes.append(token)
        return replace(token, pin=PinFlags())

    async def add_module(self, path: Path) -> list[TokenInfo]:
        await self._maybe_hang()
        if self.module_error is not None:
            raise self.module_error
        self.modules_added.append(path)
        return [TOKEN]

    async def login(self, token: TokenInfo, pin: str) -> Registration:
        await self._maybe_hang()
        if self.login_error is not None:
            raise self.login_error
        state = self.state
        state.token, state.token_lost = token, None
        state.registration = self.registration_now
        state.pending = self.pending
        self.hub.changed(Aspect.LOGIN, Aspect.REGISTRATION, Aspect.PENDING)
        return self.registration_now

    async def resume(self, on_resent: Callable[[Resent], None]) -> None:
        """The fake never re-sends at login (tests use ``resend``)."""

    def load(self) -> None:
        state = self.state
        if self.history_error is not None:
            state.history_error = self.history_error
            self.hub.changed(Aspect.TRANSACTIONS)
            raise self.history_error
        first = self.history if self.page_size is None else self.history[: self.page_size]
        state.transactions = {tx.ref: tx for tx in first}
        state.history_next = None if len(first) == len(self.history) else str(len(first))
        state.history_loaded, state.history_error = True, None
        self.hub.changed(Aspect.TRANSACTIONS)

    async def load_more_history(self) -> bool:
        state = self.state
        if state.history_next is None:
            return False
        await self._maybe_hang()
        gate = self.more_gate
        if gate is not None:
            await self._blocked(gate.wait(), lambda: not gate.is_set())
        start = int(state.history_next)
        page = self.history[start : start + (self.page_size or len(self.history))]
        self.pages_read.append(start)
        for tx in page:
            state.transactions.setdefault(tx.ref, tx)
        state.history_next = str(start + len(page)) if start + len(page) < len(self.history) else None
        self.hub.changed(Aspect.TRANSACTIONS)
        return True

    async def load_all_history(self) -> None:
        while await self.load_more_history():
            pass

    async def follow_history(self) -> None:
        await self._maybe_hang()
        state = self.state
        state.feed = FeedState(Feed.LOADING)
        self.hub.changed(Aspect.FEED)
        try:
            self.load()
        except UserError as exc:
            state.feed = FeedState(Feed.UNREACHABLE, since=NOW - timedelta(minutes=12), error=exc)
            self.hub.changed(Aspect.FEED)
            await self._blocked(asyncio.Event().wait())
        if self.unreachable_since is not None:
            error = IvanError(
                "ivan.unreachable", url="https://ivan.example.vn", reason=UserError("error.cause.refused")
            )
            state.feed = FeedState(Feed.UNREACHABLE, since=self.unreachable_since, error=error)
        else:
            state.feed = FeedState(Feed.LIVE if self.live else Feed.POLLING)
        self.hub.changed(Aspect.FEED)
        for tx in self.events_script:
            await asyncio.sleep(0)
            self.record(tx)
        while True:  # then whatever a test pushes, as the I-VAN would
            self.record(await self._blocked(self.pushed.get(), self.pushed.empty))

    def record(self, tx: Transaction) -> None:
        self.state.transactions[tx.ref] = tx
        self.hub.changed(Aspect.TRANSACTIONS, transactions=(tx,))
        if tx.status is TxStatus.ACCEPTED and self.state.registration is not None:
            new = next(c.cert.info for c in self.choices_list if c.cert.info.serial == NEW.serial)
            reg = self.state.registration
            self.state.registration = replace(
                reg,
                certificate=RegisteredCert(
                    new.serial, new.subject, new.issuer, new.not_before, new.not_after, new.sha256
                ),
                version=reg.version + 1,
            )
            self.state.replaced = {new.serial: OLD.serial}
            self.hub.changed(Aspect.REGISTRATION)

    def set_feed(self, feed: FeedState) -> None:
        self.state.feed = feed
        self.hub.changed(Aspect.FEED)

    async def refresh_history(self) -> None:
        await self._maybe_hang()
        self.load()

    async def choices(self) -> list[CertChoice]:
        await self._maybe_hang()
        if self.choices_error is not None:
            raise self.choices_error
        return in_order(self.recheck(c) for c in self.choices_list)

    async def check_revocation(self, certs: list[TokenCert]) -> None:
        """As the workflow does: each verdict into the state as it comes (never, with ``revocation_hang``)."""
        self.revocation_checks += 1
        if self.revocation_hang:
            await self._blocked(asyncio.Event().wait())
        if self.revocation_gate is not None:
            gate = self.revocation_gate
            await self._blocked(gate.wait(), lambda: not gate.is_set())
        for c in certs:
            if not c.info.is_ca:
                await asyncio.sleep(0)
                self.state.revocation[c.info.sha256] = self.verdicts.get(
                    c.info.sha256, Revocation(RevocationState.GOOD, source=f"{PKI}/ocsp")
                )
                self.hub.changed(Aspect.REVOCATION)

    def recheck(self, choice: CertChoice) -> CertChoice:
        """As the workflow does: the registered certificate is the one on record now; an older one is flagged; what
        the CAs said (checking until they answer) for the certificates that are not a CA's."""
        reg = self.state.registration
        info = choice.cert.info
        problems = [
            p
            for p in choice.problems
            if p.code
            not in (
                ProblemCode.SAME_AS_REGISTERED,
                ProblemCode.OLDER_THAN_REGISTERED,
                ProblemCode.REVOKED,
                ProblemCode.REVOCATION_UNKNOWN,
            )
        ]
        revocation = revocation_problem(
            self.state.revocation.get(info.sha256, None if info.is_ca else REVOCATION_PENDING)
        )
        if revocation is not None:
            problems.append(revocation)
        if reg is not None and info.serial == reg.certificate.serial:
            problems.append(Problem(ProblemCode.SAME_AS_REGISTERED))
        elif reg is not None and choice.cert.has_private_key and info.not_after < reg.certificate.not_after:
            problems.append(Problem(ProblemCode.OLDER_THAN_REGISTERED, detail=fmt_date(reg.certificate.not_after)))
        replaced = info.serial in self.state.replaced.values()
        return CertChoice(choice.cert, tuple(problems), replaced=replaced)

    def problem_text(self, problem: Problem, info: CertInfo) -> str:
        return problem_message(problem, info, self.lang, unit_mst=UNIT.mst)

    def default_contact(self) -> Contact:
        draft = self.state.draft
        if draft is not None and draft.contact is not None:
            return draft.contact
        return self.state.registration.contact if self.state.registration else CONTACT

    def update_draft(
        self,
        *,
        cert_serial: str | None = None,
        contact: Contact | None = None,
        older_acknowledged: bool | None = None,
    ) -> Draft:
        draft = (self.state.draft or Draft(key="00000000-0000-4000-8000-000000000004")).updated(
            cert_serial=cert_serial, contact=contact, older_acknowledged=older_acknowledged
        )
        if draft != self.state.draft:
            self.state.draft = draft
            self.hub.changed(Aspect.DRAFT)
        return draft

    def preview(self, choice: CertChoice, contact: Contact) -> Preview:
        """The real builders on the fake's data: the form with the draft's key, and the envelope around it."""
        reg = self.state.registration or REGISTRATION
        d = ChangeDossier(
            unit=UNIT,
            contact=contact,
            ngay_lap=NOW.astimezone(VN_TZ).date(),
            ten_ivan="Công ty I-VAN ABC",
            new_cert=CertSummary.from_cert(choice.cert.info),
            old_cert=CertSummary.from_registered(reg.certificate),
            ma_yeucau=self.update_draft().key,
        )
        form = build_dossier(d)
        return Preview(form=form, envelope=build_envelope(Envelope.for_form(d, form, ma_ivan="00040")))

    def default_file(self) -> Path:
        return self.default_dir() / "05_SD-IVAN_TA1234A_20261124-093000.xml"

    def default_dir(self) -> Path:
        return self.exports_dir

    async def hand_over(self, choice: CertChoice, contact: Contact, target: Path, progress: ProgressFn) -> Path:
        for step in (Step.BUILD, Step.SIGN, Step.VERIFY, Step.JOURNAL):
            progress(step)
            await self._maybe_hang()
        self.handed_over.append(target)
        self.state.draft = None
        progress(Step.DONE)
        return target

    async def submit(self, choice: CertChoice, contact: Contact, progress: ProgressFn) -> Transaction:
        for step in (Step.BUILD, Step.SIGN, Step.VERIFY, Step.JOURNAL, Step.SEND):
            progress(step)
            await self._maybe_hang()
            if self.submit_error is not None and step is Step.SEND:
                raise self.submit_error
        self.submitted.append((choice, contact))
        tx = replace(transaction(4, TxStatus.SENT), submitted_at=NOW, status_at=NOW)
        self.history.insert(0, tx)
        self.state.draft = None
        self.record(tx)
        progress(Step.DONE)
        return tx

    async def resend(self, key: str) -> Transaction:
        await self._maybe_hang()
        self.resent.append(key)
        self.state.pending = None
        self.hub.changed(Aspect.PENDING)
        tx = replace(transaction(5, TxStatus.SENT), submitted_at=NOW, status_at=NOW, idempotency_key=key)
        self.record(tx)
        return tx

    async def discard(self, key: str) -> None:
        await self._maybe_hang()
        self.discarded.append(key)
        self.state.pending = None
        self.hub.changed(Aspect.PENDING)

    async def receipt(self, ma_gdich: str) -> tuple[bytes, ReceiptCheck | None]:
        await self._maybe_hang()
        return b"<BHXH/>", ReceiptCheck(receipt=None, valid=True)

    async def export_csv(self, path: Path, items: list[Transaction]) -> None:
        if self.export_error is not None:
            raise self.export_error
        path.parent.mkdir(parents=True, exist_ok=True)  # as write_atomic does
        path.write_bytes(history_csv(items, self.lang))
        self.exported.append(path)

    async def receipt_files(self, ma_gdich: str) -> list[tuple[str, bytes]]:
        xml, _check = await self.receipt(ma_gdich)
        return [(f"xac-nhan-{ma_gdich}.xml", xml), (f"xac-nhan-{ma_gdich}.html", b"<html></html>")]

    async def save_receipt(self, ma_gdich: str, path: Path) -> list[Path]:
        await self._maybe_hang()
        self.saved.append(ma_gdich)
        return [path, path.with_suffix(".html")]

    async def close(self) -> None:
        pass


PENDING = PendingDossier(
    key="00000000-0000-4000-8000-000000000004",
    cert_serial=NEW.serial,
    signed_at=NOW - timedelta(minutes=20),
    attempts=3,
    last_error=kept(unreachable_error()),  # as the workflow keeps it: said in the screen's language
)


def as_backend(fake: FakeBackend) -> Backend:
    """Where mypy checks that the fake has the real backend's interface (the protocol of ui/backend.py)."""
    return fake
