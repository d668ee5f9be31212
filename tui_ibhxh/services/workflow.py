"""The update procedure as one async object; the CLI and the TUI are thin views over it.

token → login → I-VAN authentication and registration → choose a certificate (problem checks) → contact →
build, sign on the token, self-verify, journal, submit → follow to a final status.

The workflow owns the unit's state (``core.state.UnitState``): every change — a token event, a login, a result
on the event stream or a poll, a submit, a re-send — goes through it, updates that state and notifies the
observers (the screens, the commands). Nobody else keeps a copy.

Durability: the signed dossier is committed to the journal before the POST. A dossier the I-VAN never
acknowledged stays *pending*: it is re-sent with the same idempotency key (the I-VAN answers with the same
transaction) when the user asks, or at the next start with a word about it, or it is discarded on request.
A journalled dossier is never signed again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from tui_ibhxh.core.i18n import VN_TZ, Lang, fmt_date
from tui_ibhxh.core.models import (
    CertInfo,
    Contact,
    Problem,
    ProblemCode,
    RegisteredCert,
    Registration,
    TokenCert,
    TokenInfo,
    Transaction,
    TxRef,
    TxStatus,
)
from tui_ibhxh.core.state import (
    Aspect,
    Draft,
    Feed,
    FeedState,
    Observer,
    PendingDossier,
    StateHub,
    UnitState,
)
from tui_ibhxh.core.validation import check_contact, clean_contact
from tui_ibhxh.core.xmlsafe import XmlError
from tui_ibhxh.services.config import Config, UnitProfile, save_config, set_value
from tui_ibhxh.services.errors import UserError, error_text, kept
from tui_ibhxh.services.files import write_atomic
from tui_ibhxh.services.journal import DossierPending, EntryState, Journal, JournalEntry
from tui_ibhxh.services.provider import IvanError, IvanProvider, make_provider
from tui_ibhxh.services.token import TokenService, service_from_config

if TYPE_CHECKING:
    # imported where they are used, not at start (startup time: bench/startup.py): the certificate checks, trust
    # anchors and revocation code once the token's certificates are read (after login); the XML, XMLDSig and
    # receipt code (lxml, xmlsec) where a dossier is built, signed or checked
    from tui_ibhxh.core.certs import CheckContext
    from tui_ibhxh.core.dossier import ChangeDossier
    from tui_ibhxh.core.receipt import ReceiptCheck
    from tui_ibhxh.core.revocation import Revocation
    from tui_ibhxh.core.xmldsig import TrustStore
    from tui_ibhxh.services.revocation import RevocationChecker, Subject

log = logging.getLogger(__name__)

REFUSED_STATUSES = frozenset({400, 403, 409, 413, 422})


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
    """A certificate of the token as a candidate for the change, with its problems and its role on record."""

    cert: TokenCert
    problems: tuple[Problem, ...]
    replaced: bool = False  # it was registered before, and a change of ours replaced it

    @property
    def usable(self) -> bool:
        return not any(p.blocking for p in self.problems)

    @property
    def registered(self) -> bool:
        return any(p.code is ProblemCode.SAME_AS_REGISTERED for p in self.problems)

    @property
    def checking(self) -> bool:
        """Its CA has not answered yet (revocation check under way)."""
        from tui_ibhxh.core.revocation import UnknownReason

        return any(
            p.code is ProblemCode.REVOCATION_UNKNOWN and p.detail == UnknownReason.PENDING for p in self.problems
        )

    @property
    def older(self) -> Problem | None:
        """The downgrade warning, when it expires before the registered certificate."""
        return next((p for p in self.problems if p.code is ProblemCode.OLDER_THAN_REGISTERED), None)


@dataclass(frozen=True)
class Preview:
    """What F6 shows: the form with its real request key, and the envelope that will carry it."""

    form: bytes
    envelope: bytes


@dataclass(frozen=True)
class Resent:
    """What a re-send at start did, for the words shown to the user."""

    entry: JournalEntry
    transaction: Transaction | None
    error: UserError | None


def utc_now() -> datetime:
    return datetime.now(UTC)


#: what a CA says later (revoked, not known yet): not part of a certificate's place in the list
_ANSWERED_LATER = frozenset({ProblemCode.REVOKED, ProblemCode.REVOCATION_UNKNOWN})


def in_order(choices: Iterable[CertChoice]) -> list[CertChoice]:
    """The token's certificates in the order every list shows them, the same on every run: usable first, then by
    expiry (the longest-lived first), then by serial. A CA's revocation verdict arrives later and changes a row's
    words, never its place."""

    def key(choice: CertChoice) -> tuple[bool, float, str]:
        blocked = any(p.blocking and p.code not in _ANSWERED_LATER for p in choice.problems)
        info = choice.cert.info
        return (blocked, -info.not_after.timestamp(), info.serial)

    return sorted(choices, key=key)


def preferred_choice(choices: list[CertChoice]) -> int:
    """The row to pre-select: the usable certificate that lives longest and is no downgrade; never the registered
    one (the user must pick what changes)."""
    ranked = sorted(
        (i for i, c in enumerate(choices) if not c.registered),
        key=lambda i: (choices[i].usable, choices[i].older is None, choices[i].cert.info.not_after),
        reverse=True,
    )
    return ranked[0] if ranked else 0


class UpdateWorkflow:
    """One unit, one token session, one I-VAN client; the owner of the unit's state."""

    def __init__(
        self,
        cfg: Config,
        *,
        tokens: TokenService,
        journal: Journal,
        client: IvanProvider,
        unit: str | None = None,
        clock: Callable[[], datetime] = utc_now,
        revocation: RevocationChecker | None = None,
    ) -> None:
        self.cfg = cfg
        self.tokens = tokens
        self.journal = journal
        self.client = client
        self.profile: UnitProfile = cfg.unit(unit)
        self.clock = clock
        self.hub = StateHub(UnitState(unit=self.profile.unit))
        self._anchors: list[CertInfo] | None = None
        self._trust: TrustStore | None = None
        self._revocation = revocation  # made when first asked for (below)
        self._token_cas: tuple[CertInfo, ...] = ()  # CA certificates on the token: intermediates for the paths
        self._paging = asyncio.Lock()  # one older page of the history read at a time

    @classmethod
    def from_config(cls, cfg: Config, *, unit: str | None = None) -> UpdateWorkflow:
        """The procedure on the configured token modules, the app's journal and the configured I-VAN provider
        (the one way the app and the commands build it)."""
        paths = cfg.paths
        paths.ensure()
        tokens = service_from_config(cfg)
        journal = Journal(paths.journal)
        try:
            client = make_provider(cfg.ivan)
        except BaseException:
            journal.close()
            tokens.close()
            raise
        return cls(cfg, tokens=tokens, journal=journal, client=client, unit=unit)

    async def close(self) -> None:
        """Release the I-VAN connection, the journal and the token session."""
        try:
            await self.client.close()
        finally:
            await asyncio.to_thread(self.journal.close)
            await asyncio.to_thread(self.tokens.close)

    # -- the state ----------------------------------------------------------------------------------------
    @property
    def state(self) -> UnitState:
        return self.hub.state

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Be told of every change of the unit's state; returns the function that stops it."""
        return self.hub.observe(observer)

    @property
    def registration(self) -> Registration | None:
        return self.state.registration

    @property
    def token(self) -> TokenInfo | None:
        return self.state.token

    @property
    def ma_dvi(self) -> str:
        return self.profile.unit.ma_dvi

    @property
    def revocation(self) -> RevocationChecker:
        """What asks the CAs, as ``[revocation]`` configures it: made when first used (after login), not at start."""
        if self._revocation is None:
            from tui_ibhxh.services.trust import revocation_checker

            self._revocation = revocation_checker(self.cfg)
        return self._revocation

    # -- trust anchors (read once) -----------------------------------------------------------------------
    def anchors(self) -> list[CertInfo]:
        if self._anchors is None:
            from tui_ibhxh.core.xmldsig import TrustStore
            from tui_ibhxh.services.trust import read_anchors

            self._anchors = read_anchors(self.cfg.ivan.trust_anchors)
            self._trust = TrustStore(self._anchors) if self._anchors else None
        return self._anchors

    # -- step 1: token ----------------------------------------------------------------------------------
    async def list_tokens(self) -> list[TokenInfo]:
        tokens = await self.tokens.list_tokens()
        self._tokens_seen(tokens)
        return tokens

    async def watch_tokens(self, interval: float) -> AsyncIterator[list[TokenInfo]]:
        """The token list now and at each change; the state follows (a removed logged-in token logs out)."""
        async for tokens in self.tokens.watch(interval):
            self._tokens_seen(tokens)
            yield tokens

    def _tokens_seen(self, tokens: list[TokenInfo]) -> None:
        state = self.state
        aspects: list[Aspect] = []
        notices = tuple(self.tokens.notices)
        said = [n.message("en") for n in notices] != [error_text(n, "en") for n in state.token_notices]
        if tuple(tokens) != state.tokens or not state.tokens_known or said:
            state.tokens, state.tokens_known, state.token_notices = tuple(tokens), True, notices
            aspects.append(Aspect.TOKENS)
        if state.token is not None and not any(t.key == state.token.key for t in tokens):
            log.info("the logged-in token %s was removed", state.token.serial)
            state.token_lost, state.token = state.token, None
            aspects.append(Aspect.LOGIN)
        if aspects:
            self.hub.changed(*aspects)

    async def login(self, token: TokenInfo, pin: str) -> None:
        try:
            logged = await self.tokens.login(token.serial, pin)
        finally:
            del pin
        self.state.token, self.state.token_lost = logged, None
        self.hub.changed(Aspect.LOGIN)

    def _require_token(self) -> TokenInfo:
        token = self.state.token
        if token is None or self.tokens.logged_in_serial != token.serial:
            raise UserError("workflow.not_logged_in")
        return token

    async def token_certificates(self) -> list[TokenCert]:
        certs = await self.tokens.certificates(self._require_token().serial)
        self._token_cas = tuple(c.info for c in certs if c.info.is_ca)
        return certs

    # -- step 2: I-VAN ----------------------------------------------------------------------------------
    async def connect(self) -> Registration:
        """Authenticate with a valid certificate of the unit on the token, then read the registration and what
        the journal holds for the unit at this I-VAN."""
        from tui_ibhxh.core.certs import unit_signing_certs

        certs = await self.token_certificates()
        mst = self.profile.unit.mst
        candidates = unit_signing_certs(certs, mst, self.clock())
        if not candidates:
            raise UserError("workflow.no_auth_cert", mst=mst)
        # prefer the longest-lived certificate (the new one): the old may expire mid-session
        auth = max(candidates, key=lambda c: c.info.not_after)
        signer = self.tokens.signer(auth)
        await self.client.authenticate(self.ma_dvi, auth.info.der, signer.sign_async)
        registration = await self.refresh_registration()
        await self._load_journal()
        return registration

    async def refresh_registration(self) -> Registration:
        """What BHXH has on record now: into the state (every view shows it) and the config's cache."""
        registration = await self.client.registration(self.ma_dvi)
        state = self.state
        if registration != state.registration:
            replaced = await asyncio.to_thread(self.journal.accepted_replacements, self.ma_dvi)
            # no await from here to the notification: observers never miss a registration already in place
            state.registration, state.ivan_id, state.replaced = registration, registration.ivan_id, replaced
            self.hub.changed(Aspect.REGISTRATION)
        self._remember_registered(registration.certificate)
        return registration

    def _remember_registered(self, cert: RegisteredCert) -> None:
        """Cache the registered certificate in the config (offline SAME_AS_REGISTERED, `ibhxh check`); the file is
        written only when a value changed."""
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

    async def _load_journal(self) -> None:
        """The pending dossier of the unit at this I-VAN (if any) into the state."""
        entries = await asyncio.to_thread(self.journal.unfinished, self.ma_dvi, self.state.ivan_id)
        signed = next((e for e in entries if e.state is EntryState.SIGNED), None)
        self._set_pending(signed)

    def _set_pending(self, entry: JournalEntry | None, *, sending: bool = False) -> None:
        pending = None
        if entry is not None and entry.state is EntryState.SIGNED:
            pending = PendingDossier(
                key=entry.key,
                cert_serial=entry.cert_serial,
                signed_at=entry.created_at,
                attempts=entry.attempts,
                last_error=entry.last_error,
                sending=sending,
            )
        if pending != self.state.pending:
            self.state.pending = pending
            self.hub.changed(Aspect.PENDING)

    # -- step 2b: choose a certificate -----------------------------------------------------------------
    def check_context(self) -> CheckContext:
        from tui_ibhxh.core.revocation import PENDING
        from tui_ibhxh.services.trust import check_context

        reg = self.state.registration
        return check_context(
            self.profile,
            now=self.clock(),
            anchors=self.anchors(),
            intermediates=self._token_cas,
            registered=reg.certificate if reg else None,
            revocation=self.state.revocation,
            unchecked=PENDING,
        )

    def choice_for(self, cert: TokenCert) -> CertChoice:
        """The certificate checked against the registration on record now."""
        from tui_ibhxh.core.certs import check_certificate

        problems = tuple(check_certificate(cert.info, has_private_key=cert.has_private_key, ctx=self.check_context()))
        choice = CertChoice(cert, problems)
        if not choice.registered and cert.info.serial in self.state.replaced.values():
            choice = replace(choice, replaced=True)
        return choice

    async def choices(self) -> list[CertChoice]:
        return in_order(self.choice_for(c) for c in await self.token_certificates())

    async def check_revocation(self, certs: Iterable[TokenCert] | None = None) -> None:
        """Ask the CAs (OCSP, then CRL) whether the token's certificates are revoked. The state shows each verdict
        as soon as it is known (PENDING until then) and the observers are told; every fetch is time-bounded and a
        network failure is a verdict (unknown: offline), never an exception."""
        from tui_ibhxh.core.revocation import PENDING
        from tui_ibhxh.services.revocation import subjects_for

        infos = [c.info for c in (certs if certs is not None else await self.token_certificates())]
        subjects = subjects_for(infos, self.anchors(), self._token_cas, at=self.clock())
        if not subjects:
            return
        state = self.state
        asked = [sha for sha in subjects if sha not in state.revocation]
        for sha in asked:
            state.revocation[sha] = PENDING
        self.hub.changed(Aspect.REVOCATION)
        sha_of = {s.cert_der: sha for sha, s in subjects.items()}

        def heard(subject: Subject, verdict: Revocation) -> None:
            state.revocation[sha_of[subject.cert_der]] = verdict
            self.hub.changed(Aspect.REVOCATION)

        try:
            await self.revocation.check_all(subjects.values(), now=self.clock(), on_result=heard)
        finally:  # interrupted: what was never answered goes back to "not checked"
            unanswered = [sha for sha in asked if state.revocation.get(sha) is PENDING]
            for sha in unanswered:
                del state.revocation[sha]
            if unanswered:
                self.hub.changed(Aspect.REVOCATION)

    def ensure_usable(self, choice: CertChoice, lang: Lang = "vi") -> None:
        blocking = [p for p in choice.problems if p.blocking]
        if blocking:
            from tui_ibhxh.core.certs import problem_message

            reasons = " ".join(
                problem_message(p, choice.cert.info, lang, unit_mst=self.profile.unit.mst) for p in blocking
            )
            raise UserError("workflow.cert_blocked", serial=choice.cert.info.serial, reasons=reasons)

    # -- step 3: contact --------------------------------------------------------------------------------
    def default_contact(self) -> Contact:
        """What the contact form starts with: what the user typed (kept across a token removal), else what BHXH
        has on record."""
        draft = self.state.draft
        if draft is not None and draft.contact is not None:
            return draft.contact
        if self.state.registration is not None:
            return self.state.registration.contact
        return Contact("", "", "", "")

    def draft(self) -> Draft:
        """The change being prepared (created with its request key on first use)."""
        if self.state.draft is None:
            self.state.draft = Draft(key=str(uuid.uuid4()))
        return self.state.draft

    def update_draft(
        self,
        *,
        cert_serial: str | None = None,
        contact: Contact | None = None,
        older_acknowledged: bool | None = None,
    ) -> Draft:
        """Remember what the user chose or typed (kept across a token removal)."""
        draft = self.draft()
        new = draft.updated(cert_serial=cert_serial, contact=contact, older_acknowledged=older_acknowledged)
        if new != draft:
            self.state.draft = new
            self.hub.changed(Aspect.DRAFT)
        return new

    # -- step 4: build, sign, verify, journal, send ----------------------------------------------------
    def _ivan_identity(self) -> tuple[str, str]:
        """``[ivan] name`` and ``code``: every dossier carries them (TEN_IVAN, MaIVAN)."""
        ivan = self.cfg.ivan
        if not ivan.name or not ivan.code:
            raise UserError("workflow.ivan_identity_missing", path=self.cfg.path)
        return ivan.name, ivan.code

    def dossier(self, cert: TokenCert, contact: Contact, key: str) -> ChangeDossier:
        """Form 05/SĐ-IVAN of this change: what the config and the registration on record say."""
        reg = self.state.registration
        if reg is None:
            raise UserError("workflow.not_logged_in")
        from tui_ibhxh.core.dossier import CertSummary, ChangeDossier

        name, _code = self._ivan_identity()
        return ChangeDossier(
            unit=self.profile.unit,
            contact=clean_contact(contact),
            ngay_lap=self._today(),
            ten_ivan=name,
            new_cert=CertSummary.from_cert(cert.info),
            old_cert=CertSummary.from_registered(reg.certificate),
            ma_yeucau=key,
        )

    def envelope(self, d: ChangeDossier, signed_form: bytes) -> bytes:
        """The unsigned envelope carrying ``signed_form``."""
        from tui_ibhxh.core.envelope import Envelope, build_envelope

        _name, code = self._ivan_identity()
        return build_envelope(Envelope.for_form(d, signed_form, ma_ivan=code))

    def preview(self, cert: TokenCert, contact: Contact) -> Preview:
        """Exactly what "Nộp" signs now: the form with the draft's own request key, and the envelope around it
        (carrying the form as signed at F5)."""
        from tui_ibhxh.core.dossier import build_dossier

        d = self.dossier(cert, contact, self.draft().key)
        form = build_dossier(d)
        return Preview(form=form, envelope=self.envelope(d, form))

    def _today(self) -> date:
        return self.clock().astimezone(VN_TZ).date()

    async def submit(
        self,
        choice: CertChoice,
        contact: Contact,
        *,
        lang: Lang = "vi",
        progress: Callable[[Step], None] | None = None,
        allow_older: bool = False,
    ) -> Transaction:
        """Sign and send the change; returns the transaction the I-VAN created (status SENT).

        Holds the unit's claim from the checks to the answer of the I-VAN: another process (the app or a command)
        is told at once instead of signing a second dossier. Refuses when a dossier of the unit is pending or in
        progress at this I-VAN, or when this very change was just accepted."""
        step = progress or (lambda _s: None)
        with self.journal.claim(self.ma_dvi):
            entry = await self._sign(choice, contact, lang=lang, step=step, allow_older=allow_older)
            step(Step.SEND)
            tx = await self._send(entry)
        step(Step.DONE)
        return tx

    async def hand_over(
        self,
        choice: CertChoice,
        contact: Contact,
        target: Path,
        *,
        lang: Lang = "vi",
        progress: Callable[[Step], None] | None = None,
        allow_older: bool = False,
    ) -> Path:
        """Sign the change and write the envelope to a file instead of sending it (for an I-VAN that only takes
        uploads on its web portal). ``target`` is the file when it ends in ``.xml``, else the directory to write
        the provider's file name into (made when missing). Journalled
        as handed over as a file: never re-sent automatically. Returns the file written."""
        step = progress or (lambda _s: None)
        with self.journal.claim(self.ma_dvi):
            entry = await self._sign(
                choice,
                contact,
                lang=lang,
                step=step,
                allow_older=allow_older,
                record=EntryState.HANDED_OVER,
                target=target,
            )
        step(Step.DONE)
        assert entry.file_path is not None
        return Path(entry.file_path)

    def file_name(self, at: datetime | None = None) -> str:
        """The provider convention: the form code in the name, the unit and the time after it."""
        when = (at or self.clock()).astimezone(VN_TZ)
        from tui_ibhxh.core.envelope import MA_THUTUC_05

        return f"{MA_THUTUC_05}_{self.ma_dvi}_{when:%Y%m%d-%H%M%S}.xml"

    async def _sign(
        self,
        choice: CertChoice,
        contact: Contact,
        *,
        lang: Lang,
        step: Callable[[Step], None],
        allow_older: bool,
        record: EntryState = EntryState.SIGNED,
        target: Path | None = None,
    ) -> JournalEntry:
        """Under the unit's claim: every check, then the form and the envelope signed on the token in one login,
        both verified, then journalled (and, for a hand-over, written to ``target`` first)."""
        self.ensure_usable(choice, lang)
        errors = check_contact(contact)
        if errors:
            reasons = " ".join(f"{e.field}: {e.message(lang)}" for e in errors)
            raise UserError("workflow.contact_invalid", reasons=reasons)
        self._require_token()
        await self.refresh_registration()  # another process may have changed it since the user looked
        await self.check_revocation([choice.cert])  # a revoked certificate is never signed with (bounded)
        fresh = self.choice_for(choice.cert)
        await self.precheck(fresh, lang)
        older = fresh.older
        if older is not None and not (allow_older or self.draft().older_acknowledged):
            info = fresh.cert.info
            raise UserError(
                "workflow.older_not_acknowledged",
                serial=info.serial,
                date=fmt_date(info.not_after),
                registered=older.detail,
            )
        from tui_ibhxh.core.dossier import build_dossier
        from tui_ibhxh.core.envelope import verify_envelope
        from tui_ibhxh.services.signing import sign_xml

        key = self.draft().key
        step(Step.BUILD)
        d = self.dossier(fresh.cert, contact, key)
        form = build_dossier(d)
        step(Step.SIGN)
        try:
            signed_form = await sign_xml(self.tokens, fresh.cert, form)  # finish() verifies against the cert
            signed = await sign_xml(self.tokens, fresh.cert, self.envelope(d, signed_form))
        except XmlError as exc:
            raise UserError("workflow.self_verify_failed", cause=exc) from None
        step(Step.VERIFY)
        self.anchors()
        try:
            verify_envelope(signed, pinned_cert_der=fresh.cert.info.der, trust=self._trust)
        except XmlError as exc:
            raise UserError("workflow.self_verify_failed", cause=exc) from None
        file_path = None
        if target is not None:
            path = target if target.suffix.lower() == ".xml" and not target.is_dir() else target / self.file_name()
            await asyncio.to_thread(write_atomic, path, signed)
            file_path = str(path)
        step(Step.JOURNAL)
        reg = self.state.registration
        entry = await asyncio.to_thread(
            lambda: self.journal.record_signed(
                key,
                self.ma_dvi,
                fresh.cert.info.serial,
                signed,
                ivan_id=self.state.ivan_id,
                replaces_serial=reg.certificate.serial if reg else "",
                state=record,
                file_path=file_path,
            )
        )
        self.state.draft = None  # the next change gets a new request key
        self._set_pending(entry)
        self.hub.changed(Aspect.DRAFT)
        return entry

    async def precheck(self, choice: CertChoice, lang: Lang = "vi") -> None:
        """Everything that refuses a change before anything is signed: a dossier of the unit in the way, the same
        change just accepted, a blocking problem of the certificate."""
        await self._refuse_if_pending()
        await self._refuse_if_done(choice)
        self.ensure_usable(choice, lang)

    async def _refuse_if_pending(self) -> None:
        """A dossier of the unit not yet acknowledged, or waiting for BHXH's answer, at this I-VAN: say which."""
        entries = await asyncio.to_thread(self.journal.unfinished, self.ma_dvi, self.state.ivan_id)
        if entries:
            signed = next((e for e in entries if e.state is EntryState.SIGNED), None)
            self._set_pending(signed)
            raise DossierPending(signed or entries[0])

    async def _refuse_if_done(self, choice: CertChoice) -> None:
        """The change asked for is what BHXH has now, through a dossier of ours (e.g. another process's)."""
        if not choice.registered:
            return
        for entry in await asyncio.to_thread(self.journal.entries, self.ma_dvi, 20):
            if (
                entry.cert_serial == choice.cert.info.serial
                and entry.status is TxStatus.ACCEPTED
                and entry.ivan_id in (self.state.ivan_id, "")
            ):
                raise UserError(
                    "workflow.already_registered",
                    serial=entry.cert_serial,
                    key=entry.key,
                    ma_gdich=entry.ma_gdich or "",
                )

    async def _send(self, entry: JournalEntry) -> Transaction:
        """POST a journalled dossier (first time or again, always with its own key) and record the answer."""
        self._set_pending(entry, sending=True)
        try:
            result = await self.client.submit(self.ma_dvi, entry.signed_xml, entry.key)
        except IvanError as exc:
            if exc.status in REFUSED_STATUSES:
                await asyncio.to_thread(
                    self.journal.mark_refused, entry.key, exc.ma_loi or str(exc.status), exc.message("vi")
                )
                self._set_pending(None)
                raise UserError(
                    "workflow.refused",
                    ma_loi=exc.ma_loi or str(exc.status),
                    mota_loi=exc.params.get("mota_loi", ""),
                    detail=exc.params.get("detail", ""),
                ) from None
            await asyncio.to_thread(self.journal.note_attempt, entry.key, kept(exc))
            self._set_pending(await asyncio.to_thread(self.journal.get, entry.key))
            raise UserError("workflow.send_failed_kept", cause=exc, key=entry.key) from None
        except BaseException:
            self._set_pending(entry)  # interrupted: still pending, no longer being sent
            raise
        await asyncio.to_thread(self.journal.mark_submitted, entry.key, result.transaction)
        self._set_pending(None)
        await self.record(result.transaction)
        return result.transaction

    async def resend(self, key: str) -> Transaction:
        """Send the pending dossier ``key`` again: the same signed bytes, the same request key."""
        with self.journal.claim(self.ma_dvi):
            entry = await asyncio.to_thread(self.journal.get, key)
            if entry is None or entry.state is not EntryState.SIGNED:
                await self._load_journal()  # whatever happened to it, the state shows the journal as it is
                raise UserError("workflow.no_pending", key=key)
            return await self._send(entry)

    async def discard(self, key: str) -> None:
        """Drop the pending dossier ``key`` (only while the I-VAN never acknowledged it)."""
        with self.journal.claim(self.ma_dvi):
            entry = await asyncio.to_thread(self.journal.get, key)
            if entry is None or entry.state is not EntryState.SIGNED:
                raise UserError("workflow.no_pending", key=key)
            await asyncio.to_thread(self.journal.discard, key)
        log.info("pending dossier %s discarded by the user", key)
        self._set_pending(None)

    async def resume(self, on_resent: Callable[[Resent], None] | None = None) -> list[Transaction]:
        """Re-send what was signed but never acknowledged (saying so through ``on_resent``), refresh what was
        sent but is not final. Transactions of another I-VAN (a reset or replaced one) are left alone."""
        out: list[Transaction] = []
        for entry in await asyncio.to_thread(self.journal.unfinished, self.ma_dvi, self.state.ivan_id):
            if entry.state is EntryState.SIGNED:
                try:
                    tx = await self.resend(entry.key)
                except UserError as exc:
                    if on_resent is not None:
                        on_resent(Resent(entry, None, exc))
                    raise
                if on_resent is not None:
                    on_resent(Resent(entry, tx, None))
                out.append(tx)
            elif entry.ma_gdich is not None:
                try:
                    tx = await self.client.transaction(entry.ma_gdich)
                except IvanError as exc:
                    if exc.status != 404:
                        raise
                    log.warning("transaction %s of dossier %s is unknown to this I-VAN", entry.ma_gdich, entry.key)
                    await asyncio.to_thread(self.journal.detach, entry.key)
                    continue
                if tx.idempotency_key and tx.idempotency_key != entry.key:
                    # the code belongs to another transaction: the one we sent was at another I-VAN instance
                    log.warning("transaction %s at this I-VAN is not dossier %s: left alone", tx.ma_gdich, entry.key)
                    await asyncio.to_thread(self.journal.detach, entry.key)
                    continue
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
        from tui_ibhxh.core.certs import CertificateError, load_certificates

        try:
            der = load_certificates(await asyncio.to_thread(path.read_bytes))[0].der
        except (OSError, CertificateError, IndexError):
            raise UserError("cli.not_a_certificate", path=path) from None
        from tui_ibhxh.core.receipt import verify_receipt

        return xml, verify_receipt(xml, der)

    async def record(self, tx: Transaction) -> bool:
        """A status seen for a transaction of the unit: into the state and the journal; when one of ours becomes
        ACCEPTED, the new registration is read at once (state and config). False when nothing new."""
        known = self.state.transactions.get(tx.ref)
        if known is not None and (known == tx or tx.status.order < known.status.order):
            return False
        self.state.transactions[tx.ref] = tx
        self.hub.changed(Aspect.TRANSACTIONS, transactions=(tx,))
        entry = await asyncio.to_thread(self.journal.by_ref, tx.ref)
        if entry is not None and entry.state is EntryState.SUBMITTED:
            await asyncio.to_thread(self.journal.update_status, entry.key, tx)
        if tx.status is TxStatus.ACCEPTED and (known is None or known.status is not TxStatus.ACCEPTED):
            try:
                await self.refresh_registration()
            except UserError as exc:  # the history goes on; the registration is read again at the next change
                log.warning("registration not refreshed after %s was accepted: %s", tx.ma_gdich, exc.message("en"))
        return True

    async def load_history(self) -> str | None:
        """The newest page of the unit's transactions into the state (older pages on demand:
        :meth:`load_more_history`, so a unit with 100,000 transactions is not read whole at every start); our
        journal entries are reconciled with what is known. Returns the event id the page reflects (open the stream
        from it: nothing falls in between)."""
        state = self.state
        if state.feed.mode is Feed.IDLE:
            self._set_feed(FeedState(Feed.LOADING))
        try:
            page = await self.client.transactions(self.ma_dvi, limit=HISTORY_PAGE)
        except UserError as exc:
            state.history_error = exc
            self.hub.changed(Aspect.TRANSACTIONS)
            raise
        self._merge(page.items)
        if not state.history_loaded:  # a reload keeps the older pages read since, and the cursor past them
            state.history_next = page.next
        state.history_loaded, state.history_error = True, None
        self.hub.changed(Aspect.TRANSACTIONS)
        await self._reconcile_journal()
        return page.last_event_id

    async def load_more_history(self) -> bool:
        """The next older page into the state; False when everything is loaded already. One page at a time: a
        second call while one is under way waits for it."""
        async with self._paging:
            cursor = self.state.history_next
            if cursor is None:
                return False
            page = await self.client.transactions(self.ma_dvi, limit=HISTORY_PAGE, before=cursor)
            self._merge(page.items)
            self.state.history_next = page.next
            self.hub.changed(Aspect.TRANSACTIONS)
            return True

    async def load_all_history(self) -> None:
        """Every older page (an export of the whole history needs them all)."""
        while await self.load_more_history():
            pass

    def _merge(self, items: list[Transaction]) -> list[Transaction]:
        """``items`` read from the I-VAN into the state, never moving a status back (an event can be newer than a
        page); returns those that were new or changed."""
        known = self.state.transactions
        changed = []
        for tx in items:
            old = known.get(tx.ref)
            if old is None or (old != tx and tx.status.order >= old.status.order):
                known[tx.ref] = tx
                changed.append(tx)
        return changed

    async def _reconcile_journal(self) -> None:
        """Our submitted dossiers whose transaction is known: their journal entries take its status (one not in
        the loaded pages is asked for by its code)."""
        state = self.state
        for entry in await asyncio.to_thread(self.journal.unfinished, self.ma_dvi, state.ivan_id):
            if entry.state is not EntryState.SUBMITTED or not entry.ma_gdich:
                continue
            found = state.transactions.get(TxRef(state.ivan_id, entry.ma_gdich))
            if found is None:
                try:
                    found = await self.client.transaction(entry.ma_gdich)
                except UserError as exc:
                    log.warning("transaction %s not read: %s", entry.ma_gdich, exc.message("en"))
                    continue
                self._merge([found])
            if found.idempotency_key in ("", entry.key):
                await asyncio.to_thread(self.journal.update_status, entry.key, found)
                if found.status is TxStatus.ACCEPTED:
                    await self.refresh_registration()

    async def follow_history(self, *, poll_interval: float = 10.0) -> None:
        """Keep the unit's transactions current until cancelled: the whole history, then every change from the
        event stream (resumed from the page's event id), the newest page polled while the stream is down. A
        failed load is retried; nothing here ever raises to the caller except cancellation."""
        while True:
            try:
                since = await self.load_history()
                break
            except UserError as exc:
                self._feed_failed(exc)
                log.warning("history not loaded (%s); retrying in %s s", exc.message("en"), poll_interval)
                await asyncio.sleep(poll_interval)
        async for _tx in self.watch_history(since=since, poll_interval=poll_interval):
            pass

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
        await self.record(latest)
        if on_update is not None:
            on_update(latest)
        if not latest.status.final:

            async def poll() -> list[Transaction]:
                return [await self.client.transaction(ma_gdich)]

            changes = self._changes(poll, poll_interval, known=[latest], poll_while_live=True, since=None)
            try:
                async with asyncio.timeout(timeout):
                    async for tx in changes:
                        if tx.ma_gdich != ma_gdich:
                            continue
                        latest = tx
                        await self.record(tx)
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
        return latest

    async def watch_history(
        self,
        known: Iterable[Transaction] = (),
        *,
        since: str | None = None,
        poll_interval: float = 10.0,
    ) -> AsyncGenerator[Transaction, None]:
        """Every status change of the unit's transactions after ``known`` (and after event ``since``), each once,
        recorded: pushed by the I-VAN's event stream; while the stream is down or refused, the newest page is
        polled instead. ``state.feed`` says which of the two is feeding the changes."""

        async def newest() -> list[Transaction]:
            return (await self.client.transactions(self.ma_dvi, limit=POLL_PAGE)).items

        seen = [*self.state.current_transactions(), *known]
        changes = self._changes(newest, poll_interval, known=seen, poll_while_live=False, since=since)
        try:
            async for tx in changes:
                if await self.record(tx):
                    yield tx
        finally:
            await changes.aclose()

    def _set_feed(self, feed: FeedState) -> None:
        if feed != self.state.feed:
            self.state.feed = feed
            self.hub.changed(Aspect.FEED)

    def _feed_failed(self, exc: Exception) -> None:
        """The stream is down and a poll (or load) failed too: the I-VAN cannot be reached, since the first."""
        feed = self.state.feed
        since = feed.since if feed.mode is Feed.UNREACHABLE and feed.since else self.clock()
        self._set_feed(FeedState(Feed.UNREACHABLE, since=since, error=exc))

    async def _changes(
        self,
        poll: Callable[[], Awaitable[list[Transaction]]],
        poll_interval: float,
        *,
        known: Iterable[Transaction],
        poll_while_live: bool,
        since: str | None,
    ) -> AsyncGenerator[Transaction, None]:
        """Transactions that changed, from the event stream (from event ``since``) and from ``poll`` merged: a
        transaction is yielded only when it differs from what was seen, and never moves back (a late poll after a
        newer event). Without ``since``, one poll runs when the stream opens, so nothing falls in between."""
        queue: asyncio.Queue[Transaction] = asyncio.Queue()
        live: bool | None = None  # unknown / stream open / stream lost
        poll_now = asyncio.Event()

        def connection(up: bool) -> None:
            nonlocal live
            if live is not up:
                live = up
                self._set_feed(FeedState(Feed.LIVE if up else Feed.POLLING))
            if up and since is None:
                poll_now.set()

        async def from_events() -> None:
            try:
                async for event in self.client.events(self.ma_dvi, last_event_id=since, on_connection=connection):
                    await queue.put(event.transaction)
            except IvanError as exc:
                log.warning("event stream refused (%s): polling every %s s instead", exc.key, poll_interval)
                connection(False)

        async def from_polling() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll_now.wait(), poll_interval)
                forced = poll_now.is_set()
                poll_now.clear()
                if live and not poll_while_live and not forced:
                    continue
                try:
                    items = await poll()
                except UserError as exc:
                    log.warning("polling the I-VAN failed: %s", exc.message("en"))
                    if not live:
                        self._feed_failed(exc)
                    continue
                if not live and self.state.feed.mode is Feed.UNREACHABLE:
                    self._set_feed(FeedState(Feed.POLLING))
                for tx in items:
                    await queue.put(tx)

        seen = {tx.ref: tx for tx in known}
        tasks = [asyncio.create_task(from_events()), asyncio.create_task(from_polling())]
        for task in tasks:
            task.add_done_callback(_log_failure)
        try:
            while True:
                tx = await queue.get()
                before = seen.get(tx.ref)
                if before is not None and (tx == before or tx.status.order < before.status.order):
                    continue
                seen[tx.ref] = tx
                yield tx
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):  # a failure was logged as it came
                    await task


def _log_failure(task: asyncio.Task[None]) -> None:
    """A background task that died on its own is logged when it dies (whoever awaits it later may not say)."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.error("task %s failed", task.get_name(), exc_info=exc)


POLL_PAGE = 50  # newest transactions polled while the event stream is down: status changes are recent ones
HISTORY_PAGE = 100  # transactions read at a time for History (the newest at start, older ones as the user scrolls)


__all__ = [
    "CertChoice",
    "DossierPending",
    "Resent",
    "Step",
    "UpdateWorkflow",
    "preferred_choice",
]
