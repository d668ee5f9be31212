"""PKCS#11 tokens (python-pkcs11): modules, presence polling, PIN login, certificates, signing.

Every PKCS#11 call runs on ONE dedicated thread (python-pkcs11 and SoftHSM crash on concurrent sessions);
``TokenService`` is the async facade over it, with blocking twins (``*_sync``) for scripts and the CLI.
PKCS#11 exceptions have an empty ``str()``: each type is mapped to a translated ``UserError``.
The PIN goes straight to C_Login and is never logged, stored, or kept after the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sys
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import pkcs11
from pkcs11 import Attribute, Mechanism, ObjectClass, TokenFlag
from pkcs11 import exceptions as p11e

from tui_ibhxh.core.models import PinFlags, TokenCert, TokenInfo
from tui_ibhxh.core.validation import PinRule, new_pin_problem
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.modules import foreign_arch, is_reader_module, pcscd_running
from tui_ibhxh.services.p11kit import Places, forwarding_module, is_forwarding_module, is_trust_module

log = logging.getLogger(__name__)
FIND_ATTEMPTS = 3  # lookups of a token by serial before it is said to be absent
LIST_ATTEMPTS = 3  # listings before "no token" is believed
LOGIN_ATTEMPTS = 3  # C_Login tries when the token store answers with a general (not a PIN) error
T = TypeVar("T")


class LibLike(Protocol):
    """The part of ``pkcs11.lib`` we use (a fake implements it for PIN lock-out tests)."""

    def get_slots(self, token_present: bool = False) -> Any: ...
    def reinitialize(self) -> None: ...


LibLoader = Callable[[str], LibLike]


def _default_loader(path: str) -> LibLike:
    lib: LibLike = pkcs11.lib(path)
    return lib


def pin_flags(flags: int) -> PinFlags:
    return PinFlags(
        count_low=bool(flags & TokenFlag.USER_PIN_COUNT_LOW),
        final_try=bool(flags & TokenFlag.USER_PIN_FINAL_TRY),
        locked=bool(flags & TokenFlag.USER_PIN_LOCKED),
        to_be_changed=bool(flags & TokenFlag.USER_PIN_TO_BE_CHANGED),
    )


_REMOVED = (p11e.TokenNotPresent, p11e.DeviceRemoved, p11e.SlotIDInvalid, p11e.TokenNotRecognised)
_SESSION_GONE = (
    p11e.SessionClosed,
    p11e.SessionHandleInvalid,
    p11e.KeyHandleInvalid,
    p11e.ObjectHandleInvalid,
)


def map_error(exc: BaseException, *, flags: PinFlags | None = None, forwarded: bool = False) -> UserError:
    """A translated, specific message for a PKCS#11 exception (whose ``str()`` is usually empty).

    A forwarded token whose connection is gone (SSH closed, p11-kit server stopped) fails with a device error:
    for the user that is an unplugged token, said with what to do about the forward."""
    if isinstance(exc, UserError):
        return exc
    if forwarded and isinstance(exc, _REMOVED + _SESSION_GONE + (p11e.DeviceError, p11e.GeneralError)):
        return UserError("token.forward_lost")
    if isinstance(exc, p11e.PinIncorrect):
        if flags is not None and flags.locked:
            return UserError("token.pin_locked")
        if flags is not None and flags.final_try:
            return UserError("token.pin_incorrect_final")
        if flags is not None and flags.count_low:
            return UserError("token.pin_incorrect_low")
        return UserError("token.pin_incorrect")
    if isinstance(exc, p11e.PinLocked):
        return UserError("token.pin_locked")
    if isinstance(exc, p11e.PinLenRange | p11e.PinInvalid):
        return UserError("token.pin_invalid")
    if isinstance(exc, p11e.PinExpired):
        return UserError("token.pin_expired")
    if isinstance(exc, _REMOVED + _SESSION_GONE):
        return UserError("token.removed")
    if isinstance(exc, p11e.UserNotLoggedIn):
        return UserError("token.not_logged_in")
    if isinstance(exc, p11e.DeviceError | p11e.DeviceMemory | p11e.GeneralError):
        log.warning("token device error: %r", exc)  # the PKCS#11 name for the log; the user gets words
        return UserError("token.device_error")
    if isinstance(exc, p11e.OperationActive | p11e.SessionCount):
        return UserError("token.busy")
    log.warning("token error: %r", exc)
    return UserError("token.error")


def _quiet_unraisable(previous: Callable[[Any], object]) -> Callable[[Any], object]:
    """python-pkcs11 ends an interrupted object search in ``__del__``; when the token is gone that raises again
    and Python prints a traceback on stderr (over the TUI). Those are logged instead; anything else as before."""

    def hook(unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, p11e.PKCS11Error):
            log.debug("PKCS#11 error while finalising an object: %s", type(unraisable.exc_value).__name__)
            return
        previous(unraisable)

    return hook


sys.unraisablehook = _quiet_unraisable(sys.unraisablehook)


class _Worker:
    """The one thread of the process that makes PKCS#11 calls.

    python-pkcs11 caches one library object per module path for the whole process, so every
    TokenService of the process shares this thread: calls are serialised process-wide.
    """

    def __init__(self) -> None:
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.ident: int | None = None

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pkcs11")
            executor = self._executor

        def run() -> T:
            self.ident = threading.get_ident()
            return fn()

        return executor.submit(run)


_worker = _Worker()


@dataclass
class _Open:
    """The logged-in session of one token (at most one at a time)."""

    module: str
    serial: str
    label: str
    session: Any
    forwarded: bool = False
    #: private keys found in this session, by CKA_ID (hex): looked up once per session, not once per signature
    keys: dict[str, Any] = field(default_factory=dict)


def _refusal(module: str) -> UserError | None:
    """Why a module is not even loaded: missing, a trust store, or built for another architecture (loading that
    would only say "wrong ELF class"; the user needs both architectures named)."""
    if not Path(module).exists():
        key = "token.forward_no_client" if is_forwarding_module(module) else "token.module_missing"
        return UserError(key, path=module)
    if is_trust_module(module):
        return UserError("token.module_trust", path=module)
    foreign = foreign_arch(module)
    if foreign is not None:
        return UserError("token.module_arch", path=module, module_arch=str(foreign[0]), machine_arch=str(foreign[1]))
    return None


class TokenService:
    """All token access. Construct once per process; ``close()`` at exit."""

    def __init__(
        self,
        modules: Sequence[Path],
        *,
        softhsm2_conf: Path | None = None,
        loader: LibLoader = _default_loader,
        places: Places | None = None,
        poll_interval: float = 1.0,
    ) -> None:
        self.poll_interval = poll_interval  # [token] poll_interval: how often watch() looks
        self._places = places or Places.from_env()
        forwarded = forwarding_module(self._places)  # a token forwarded over SSH: in addition to the others
        wanted = [m for m in modules if not is_trust_module(m)]  # older configs may list p11-kit's trust store
        # one library reachable by two paths (symlinks) is loaded once: a second C_Initialize fails
        self.modules = list(
            dict.fromkeys(
                os.path.realpath(m) if Path(m).exists() else str(m)
                for m in [*wanted, *([forwarded] if forwarded else [])]
            )
        )
        self._softhsm2_conf = softhsm2_conf
        self._loader = loader
        self._libs: dict[str, LibLike] = {}
        self._open: _Open | None = None
        self._module_errors: dict[str, UserError] = {}
        self._notices: dict[str, UserError] = {}
        self._closed = False
        self._prefetched: Future[list[TokenInfo]] | None = None

    # -- plumbing -------------------------------------------------------------------------------------
    def _on_worker(self) -> bool:
        return threading.get_ident() == _worker.ident

    def _submit(self, fn: Callable[[], T]) -> Future[T]:
        if self._closed:
            raise UserError("token.error", error="closed")
        return _worker.submit(fn)

    def run_sync(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the PKCS#11 thread and wait (safe to call from that thread too)."""
        if self._on_worker():
            return fn()
        return self._submit(fn).result()

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on the PKCS#11 thread without blocking the event loop."""
        return await asyncio.wrap_future(self._submit(fn))

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.run_sync(self._logout)
        finally:
            self._closed = True

    # -- modules and tokens (worker thread only) ------------------------------------------------------
    def _lib(self, module: str) -> LibLike | None:
        if module in self._libs:
            return self._libs[module]
        refusal = _refusal(module)
        if refusal is not None:
            self._module_errors[module] = refusal
            return None
        if self._softhsm2_conf is not None:
            os.environ["SOFTHSM2_CONF"] = str(self._softhsm2_conf)
        try:
            lib = self._loader(module)
        except Exception as exc:  # a broken module raises anything, incl. OSError wrapped in PKCS11Error
            reason = str(exc).split(": ")[-1] or type(exc).__name__
            if "C_GetFunctionList" in reason:  # a shared library, but not a PKCS#11 module
                self._module_errors[module] = UserError("token.module_not_pkcs11", path=module)
                return None
            log.warning("PKCS#11 module %s cannot be loaded: %s", module, reason)  # the detail; the user gets words
            self._module_errors[module] = UserError("token.module_broken", path=module)
            return None
        self._module_errors.pop(module, None)
        self._libs[module] = lib
        return lib

    def _refresh(self, lib: LibLike) -> None:
        """Re-initialise so newly inserted/removed tokens show up; never while a session is open."""
        if self._open is None:
            if self._softhsm2_conf is not None:  # SoftHSM re-reads its configuration on C_Initialize
                os.environ["SOFTHSM2_CONF"] = str(self._softhsm2_conf)
            try:
                lib.reinitialize()
            except p11e.PKCS11Error as exc:
                log.warning("PKCS#11 reinitialize failed: %s", type(exc).__name__)

    def _tokens(self, refresh: bool) -> list[tuple[TokenInfo, Any]]:
        """The tokens present. An empty answer is asked again twice: a file token store written by another
        process at that moment (SoftHSM, several ibhxh at once) reads as no token at all for a few milliseconds."""
        for attempt in range(LIST_ATTEMPTS):
            found = self._tokens_once(refresh or attempt > 0)
            if found or attempt + 1 == LIST_ATTEMPTS:
                return found
            time.sleep(0.05 * (attempt + 1))
        return []

    def _tokens_once(self, refresh: bool) -> list[tuple[TokenInfo, Any]]:
        if not self.modules:
            raise UserError("token.no_module")
        found: list[tuple[TokenInfo, Any]] = []
        notices: dict[str, UserError] = {}
        for module in self.modules:
            lib = self._lib(module)
            if lib is None:
                continue
            forwarded = is_forwarding_module(module)
            if refresh:
                self._refresh(lib)
            try:
                slots = list(lib.get_slots(token_present=True))
            except p11e.PKCS11Error as exc:
                self._module_errors[module] = map_error(exc, forwarded=forwarded)
                if forwarded and self._open is not None and self._open.module == module:
                    self._open = None  # the session went with the connection; the next listing reconnects
                continue
            self._module_errors.pop(module, None)
            before = len(found)
            for slot in slots:
                try:
                    token = slot.get_token()
                    flags = int(token.flags)
                except p11e.PKCS11Error:
                    continue  # removed between the two calls
                if not flags & TokenFlag.TOKEN_INITIALIZED:
                    continue  # SoftHSM's spare empty slot
                serial = (
                    token.serial.decode("ascii", "replace") if isinstance(token.serial, bytes) else str(token.serial)
                )
                info = TokenInfo(
                    module=module,
                    slot_id=int(slot.slot_id),
                    label=str(token.label).strip(),
                    manufacturer=str(token.manufacturer_id).strip(),
                    model=str(token.model).strip(),
                    serial=serial.strip(),
                    pin=pin_flags(flags),
                    login_required=bool(flags & TokenFlag.LOGIN_REQUIRED),
                    forwarded=forwarded,
                )
                found.append((info, token))
            if len(found) == before:
                notice = self._why_none(module, lib, forwarded)
                if notice is not None:
                    notices[module] = notice
        self._notices = notices
        if self._open is not None and not any(
            info.module == self._open.module and info.serial == self._open.serial for info, _ in found
        ):
            # the logged-in token is gone: its session is dead, and while it is held the library is never
            # re-initialised, so the token would not be seen again when it is plugged back in
            self._logout()
        if not found and self._module_errors and len(self._module_errors) == len(self.modules):
            raise next(iter(self._module_errors.values()))
        return found

    def _find(self, serial: str, *, refresh: bool = False) -> tuple[TokenInfo, Any]:
        """The token ``serial``; looked for again after a re-initialisation, and then a few times more: a token
        store being written by another process (SoftHSM's files, several ibhxh at once) reads as absent for a
        moment."""
        for attempt in range(FIND_ATTEMPTS):
            for info, token in self._tokens(refresh=refresh or attempt > 0):
                if info.serial == serial:
                    return info, token
            if attempt:
                time.sleep(0.05 * attempt)  # the PKCS#11 thread: nothing else waits on it
        raise UserError("token.not_found", label=serial)

    # -- public API: listing ------------------------------------------------------------------------
    def _listing(self) -> list[TokenInfo]:
        """The tokens present now (on the PKCS#11 thread)."""
        return [info for info, _ in self._tokens(refresh=True)]

    def list_tokens_sync(self) -> list[TokenInfo]:
        return self.run_sync(self._listing)

    async def list_tokens(self) -> list[TokenInfo]:
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None:
            return await asyncio.wrap_future(prefetched)
        return await self.run(self._listing)

    def prefetch(self) -> None:
        """Start listing the tokens now, on the PKCS#11 thread, without waiting: the next ``list_tokens`` (the
        app's first look, once its screen is up) takes this answer. The app starts it before Textual's own start,
        so that the module's loading and the listing overlap the first screen's making (bench/startup.py)."""
        if self._prefetched is None:
            self._prefetched = self._submit(self._listing)

    def _add_module(self, path: Path) -> list[TokenInfo]:
        module = os.path.realpath(path) if path.exists() else str(path)
        if self._lib(module) is None:
            error = self._module_errors.pop(module)  # not one of ours: no lasting warning about it
            raise UserError(error.key, **{**error.params, "path": str(path)})  # the path as the user wrote it
        if module not in self.modules:
            self.modules.append(module)
        return [info for info in self._listing() if info.module == module]

    def add_module_sync(self, path: Path) -> list[TokenInfo]:
        """Load a vendor's PKCS#11 module (it must load) and use it from now on; the tokens seen through it."""
        return self.run_sync(lambda: self._add_module(path))

    async def add_module(self, path: Path) -> list[TokenInfo]:
        return await self.run(lambda: self._add_module(path))

    @property
    def module_errors(self) -> list[UserError]:
        """Modules that could not be loaded in the last listing (shown as warnings)."""
        return list(self._module_errors.values())

    @property
    def notices(self) -> list[UserError]:
        """Why a module showed no token in the last listing, when something can be said (shown as warnings)."""
        return list(self._notices.values())

    def _why_none(self, module: str, lib: LibLike, forwarded: bool) -> UserError | None:
        if forwarded:
            return UserError("token.forward_none")
        if is_reader_module(module):
            try:
                readers = list(lib.get_slots(token_present=False))
            except p11e.PKCS11Error:
                readers = []
            if not readers and not pcscd_running(self._places):
                return UserError("token.pcscd_not_running", path=module)
        return None

    async def watch(self, interval: float | None = None) -> AsyncIterator[list[TokenInfo]]:
        """Yield the token list now and again each time it changes (insertion, removal, PIN flags); it looks every
        ``interval`` seconds (default: ``[token] poll_interval``)."""
        last: tuple[list[TokenInfo], list[str]] | None = None
        while True:
            try:
                current = await self.list_tokens()
            except UserError:
                current = []
            state = (current, [n.key for n in self.notices])
            if state != last:  # a notice (pcscd, the forward) may change while the list stays empty
                last = state
                yield current
            await asyncio.sleep(self.poll_interval if interval is None else interval)

    # -- login ------------------------------------------------------------------------------------------
    def _login(self, serial: str, pin: str) -> TokenInfo:
        self._logout()
        info, token = self._find(serial, refresh=True)
        if info.pin.locked:
            raise UserError("token.pin_locked")
        try:
            session = None
            for attempt in range(LOGIN_ATTEMPTS):
                try:
                    session = token.open(user_pin=pin)
                    break
                except p11e.GeneralError:
                    # not a PIN failure (no try is spent): a token store busy in another process (SoftHSM's files)
                    if attempt + 1 == LOGIN_ATTEMPTS or info.forwarded:
                        raise
                    time.sleep(0.05 * (attempt + 1))
                    info, token = self._find(serial, refresh=True)
        except p11e.PKCS11Error as exc:
            after: PinFlags | None = None
            try:
                after = self._find(serial)[0].pin
            except UserError:
                after = None
            raise map_error(exc, flags=after, forwarded=info.forwarded) from None
        finally:
            del pin
        assert session is not None
        self._open = _Open(info.module, serial, info.label, session, forwarded=info.forwarded)
        return info

    def login_sync(self, serial: str, pin: str) -> TokenInfo:
        return self.run_sync(lambda: self._login(serial, pin))

    async def login(self, serial: str, pin: str) -> TokenInfo:
        """Open a session on token ``serial`` and log the user in; the PIN is not kept."""
        return await self.run(lambda: self._login(serial, pin))

    def _logout(self) -> None:
        opened, self._open = self._open, None
        if opened is None:
            return
        with contextlib.suppress(p11e.PKCS11Error):  # already gone with the token
            opened.session.close()

    @property
    def logged_in_serial(self) -> str | None:
        return self._open.serial if self._open is not None else None

    # -- PIN change -------------------------------------------------------------------------------------------
    def _pin_rule(self, serial: str) -> PinRule:
        info, _token = self._find(serial)
        if Path(info.module).exists() and self._loader is _default_loader:
            from tui_ibhxh.services import tokeninfo  # ctypes: for the PIN dialogs only (startup: bench/startup.py)

            lengths = tokeninfo.pin_lengths(info.module, info.slot_id, info.serial)
            if lengths is not None:
                return PinRule.reported(*lengths)
        return PinRule()

    def pin_rule_sync(self, serial: str) -> PinRule:
        return self.run_sync(lambda: self._pin_rule(serial))

    async def pin_rule(self, serial: str) -> PinRule:
        """How long a new PIN may be, as the token says (ulMinPinLen/ulMaxPinLen), else 6–8."""
        return await self.run(lambda: self._pin_rule(serial))

    def _change_pin(self, serial: str, old: str, new: str, again: str) -> TokenInfo:
        info, token = self._find(serial, refresh=self._open is None)
        if info.pin.locked:
            raise UserError("token.pin_locked")
        problem = new_pin_problem(old, new, again, self._pin_rule(serial))
        if problem is not None:
            raise UserError(problem[0], **problem[1])
        try:
            session = token.open(rw=True)
        except p11e.PKCS11Error as exc:
            raise map_error(exc, forwarded=info.forwarded) from None
        try:
            session.set_pin(old, new)
        except p11e.PKCS11Error as exc:
            if isinstance(exc, p11e.PinLenRange):
                rule = self._pin_rule(serial)
                raise UserError("pin.new_length", min=rule.min_len, max=rule.max_len) from None
            try:
                after: PinFlags | None = self._find(serial)[0].pin
            except UserError:
                after = None
            raise map_error(exc, flags=after, forwarded=info.forwarded) from None
        finally:
            del old, new, again
            with contextlib.suppress(p11e.PKCS11Error):
                session.close()
        return self._find(serial)[0]

    def change_pin_sync(self, serial: str, old: str, new: str, again: str) -> TokenInfo:
        return self.run_sync(lambda: self._change_pin(serial, old, new, again))

    async def change_pin(self, serial: str, old: str, new: str, again: str) -> TokenInfo:
        """Change the user PIN (C_SetPIN in a read-write session); the token as it is after, with its PIN flags.
        The new PIN is checked first (length from the token, typed twice alike, not the old one): no try is
        spent on a PIN the token would refuse. No PIN is kept."""
        return await self.run(lambda: self._change_pin(serial, old, new, again))

    # -- certificates -------------------------------------------------------------------------------------
    def _certificates(self, serial: str) -> list[TokenCert]:
        opened = self._open
        if opened is not None and opened.serial == serial:
            return self._read_certs(opened.session, serial, opened.label, logged_in=True, forwarded=opened.forwarded)
        info, token = self._find(serial)
        try:
            session = token.open()
        except p11e.PKCS11Error as exc:
            raise map_error(exc, forwarded=info.forwarded) from None
        try:
            return self._read_certs(session, serial, info.label, logged_in=False, forwarded=info.forwarded)
        finally:
            with contextlib.suppress(p11e.PKCS11Error):
                session.close()

    @staticmethod
    def _read_certs(session: Any, serial: str, label: str, *, logged_in: bool, forwarded: bool) -> list[TokenCert]:
        try:
            # get_objects() is lazy: materialise before any nested call on the session
            certs = list(session.get_objects({Attribute.CLASS: ObjectClass.CERTIFICATE}))
            key_class = ObjectClass.PRIVATE_KEY if logged_in else ObjectClass.PUBLIC_KEY
            keys = list(session.get_objects({Attribute.CLASS: key_class}))
            key_ids = {bytes(_attr(k, Attribute.ID) or b"") for k in keys}
            if not logged_in:
                # vendors store a public-key object beside each private key; some also expose private keys
                key_ids |= {
                    bytes(_attr(k, Attribute.ID) or b"")
                    for k in list(session.get_objects({Attribute.CLASS: ObjectClass.PRIVATE_KEY}))
                }
            # the certificate code is imported when a token's certificates are read, not at start (bench/startup.py)
            from tui_ibhxh.core.certs import CertificateError, parse_certificate

            result: list[TokenCert] = []
            for obj in certs:
                der = _attr(obj, Attribute.VALUE)
                if not der:
                    continue
                try:
                    info = parse_certificate(bytes(der))
                except CertificateError:
                    log.warning("skipping an unreadable certificate object on token %s", serial)
                    continue
                cka_id = bytes(_attr(obj, Attribute.ID) or b"")
                result.append(
                    TokenCert(
                        info=info,
                        label=_text(_attr(obj, Attribute.LABEL)),
                        key_id=cka_id.hex().upper(),
                        has_private_key=bool(cka_id) and cka_id in key_ids,
                        token_serial=serial,
                        token_label=label,
                    )
                )
            return result
        except p11e.PKCS11Error as exc:
            raise map_error(exc, forwarded=forwarded) from None

    def certificates_sync(self, serial: str) -> list[TokenCert]:
        return self.run_sync(lambda: self._certificates(serial))

    async def certificates(self, serial: str) -> list[TokenCert]:
        """Certificates on the token; a key is paired through CKA_ID (public key before login)."""
        return await self.run(lambda: self._certificates(serial))

    # -- signing ------------------------------------------------------------------------------------------
    def _sign(self, serial: str, key_id: str, data: bytes) -> bytes:
        opened = self._open
        if opened is None or opened.serial != serial:
            raise UserError("token.not_logged_in")
        cached = opened.keys.get(key_id)
        if cached is not None:
            try:
                return bytes(cached.sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
            except p11e.PKCS11Error:  # a stale handle, or the token gone: found again below, which says which
                opened.keys.pop(key_id, None)
        try:
            keys = list(
                opened.session.get_objects(
                    {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.ID: bytes.fromhex(key_id)}
                )
            )
            if not keys:
                if not self._present(serial):  # SoftHSM: a removed token's objects just vanish
                    self._open = None
                    raise UserError("token.forward_lost" if opened.forwarded else "token.removed")
                raise UserError("token.key_missing", serial=key_id)
            signature = bytes(keys[0].sign(data, mechanism=Mechanism.SHA256_RSA_PKCS))
            opened.keys[key_id] = keys[0]
            return signature
        except p11e.PKCS11Error as exc:
            error = map_error(exc, forwarded=opened.forwarded)
            if error.key in ("token.removed", "token.forward_lost"):
                self._open = None
            raise error from None

    def _present(self, serial: str) -> bool:
        try:
            return any(info.serial == serial for info, _ in self._tokens(refresh=False))
        except UserError:
            return False

    def signer(self, cert: TokenCert) -> TokenSigner:
        return TokenSigner(self, cert)


class TokenSigner:
    """RSA PKCS#1 v1.5 with SHA-256 (CKM_SHA256_RSA_PKCS) by the token's private key of ``cert``.

    Satisfies ``core.xmldsig.Signer``: ``sign`` blocks (run it off the event loop); ``sign_async`` does not.
    """

    def __init__(self, service: TokenService, cert: TokenCert) -> None:
        self._service = service
        self.cert = cert

    @property
    def certificate_der(self) -> bytes:
        return self.cert.info.der

    def sign(self, data: bytes) -> bytes:
        return self._service.run_sync(lambda: self._service._sign(self.cert.token_serial, self.cert.key_id, data))

    async def sign_async(self, data: bytes) -> bytes:
        return await self._service.run(lambda: self._service._sign(self.cert.token_serial, self.cert.key_id, data))


def _attr(obj: Any, attr: Attribute) -> Any:
    try:
        return obj[attr]
    except (p11e.AttributeTypeInvalid, p11e.AttributeSensitive, KeyError):
        return None


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def service_from_config(cfg: Any) -> TokenService:
    """A TokenService for a loaded ``services.config.Config``."""
    return TokenService(
        cfg.module_paths(), softhsm2_conf=cfg.token.softhsm2_conf, poll_interval=cfg.token.poll_interval
    )
