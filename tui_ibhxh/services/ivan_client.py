"""The I-VAN client (protocol v2, ../shared/IVAN_PROTOCOL.md) over aiohttp: the reference implementation of
``services.provider.IvanProvider`` (``[ivan] provider = "tui-ibhxh"``).

- Authentication by proof of possession: the challenge is signed on the token (``sign`` callback).
- TLS verification is always on for https (plus an extra CA bundle from config); connect/read timeouts.
- Bounded retries with exponential backoff on connection errors, 5xx and 429 (``Retry-After`` honoured), only
  for requests that are safe to repeat: GETs, the challenge, and the submission (it carries an
  Idempotency-Key, so the I-VAN answers a repeat with the same transaction).
- Every failure becomes an :class:`IvanError` (a ``UserError``) with a specific, translated message.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import random
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from tui_ibhxh.core.models import (
    Contact,
    RegisteredCert,
    Registration,
    TimelineEntry,
    Transaction,
    TxStatus,
    Unit,
)
from tui_ibhxh.services.errors import UserError, network_cause
from tui_ibhxh.services.provider import HistorySnapshot, IvanError, Page, SignFn, SubmitResult, TxEvent

#: failures that may pass by themselves (the network, a busy or failing I-VAN): worth retrying later
_PASSING = frozenset({"ivan.unreachable", "ivan.timeout", "ivan.server_error", "ivan.rate_limited"})


if TYPE_CHECKING:  # aiohttp is imported with the first session, not at start (startup time: bench.startup)
    import aiohttp

log = logging.getLogger(__name__)


def _dt(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ValueError("expected an ISO-8601 time")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("time without offset")
    return parsed


def parse_transaction(data: Mapping[str, Any]) -> Transaction:
    try:
        return Transaction(
            ma_gdich=str(data["ma_gdich"]),
            so_hso=str(data.get("so_hso") or ""),
            ma_dvi=str(data["ma_dvi"]),
            loai=str(data.get("loai") or ""),
            idempotency_key=str(data.get("idempotency_key") or ""),
            submitted_at=_dt(data["submitted_at"]),
            status=TxStatus(data["status"]),
            status_at=_dt(data.get("status_at") or data["submitted_at"]),
            ma_loi=data.get("ma_loi") or None,
            mota_loi=data.get("mota_loi") or None,
            timeline=tuple(TimelineEntry(TxStatus(e["status"]), _dt(e["at"])) for e in data.get("timeline") or ()),
            ivan_id=str(data.get("ivan_id") or ""),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise IvanError("ivan.bad_response", reason=f"transaction: {exc}") from None


def parse_registration(data: Mapping[str, Any]) -> Registration:
    try:
        contact = data.get("contact") or {}
        cert = data["certificate"]
        office = data.get("co_quan_bhxh") or {}
        if isinstance(office, str):  # protocol v1: the name only
            office = {"ten": office}
        return Registration(
            unit=Unit(
                ma_dvi=str(data["ma_dvi"]),
                mst=str(data["mst"]),
                ten_dvi=str(data.get("ten_dvi") or ""),
                diadiem=str(data.get("diadiem") or ""),
                co_quan_bhxh=str(office.get("ten") or ""),
                ma_co_quan_bhxh=str(office.get("ma") or ""),
            ),
            contact=Contact(
                diachi_lhe=str(contact.get("diachi_lhe") or ""),
                dien_thoai=str(contact.get("dien_thoai") or ""),
                email=str(contact.get("email") or ""),
                nguoi_lhe=str(contact.get("nguoi_lhe") or ""),
            ),
            certificate=RegisteredCert(
                serial=str(cert["serial"]).upper(),
                subject=str(cert.get("subject") or ""),
                issuer=str(cert.get("issuer") or ""),
                not_before=_dt(cert["not_before"]),
                not_after=_dt(cert["not_after"]),
                sha256=str(cert.get("sha256") or "").upper(),
            ),
            updated_at=_dt(data["updated_at"]),
            version=int(data["version"]),
            ivan_id=str(data.get("ivan_id") or ""),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise IvanError("ivan.bad_response", reason=f"registration: {exc}") from None


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4
    backoff: float = 0.5  # seconds, doubled each time, with jitter
    max_delay: float = 10.0


class IvanClient:
    """One client per I-VAN base URL; ``async with IvanClient(...) as c``."""

    def __init__(
        self,
        base_url: str,
        *,
        ca_bundle: Path | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not base_url:
            raise IvanError("ivan.no_url")
        self.base_url = base_url.rstrip("/")
        self.api = f"{self.base_url}/api/v1"
        self._ca_bundle = ca_bundle
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self._session: aiohttp.ClientSession | None = None
        self._token: str | None = None
        self._reauth: Callable[[], Awaitable[None]] | None = None

    # -- session --------------------------------------------------------------------------------------------
    def _ssl(self) -> ssl.SSLContext | bool:
        if not self.base_url.startswith("https://"):
            return True
        ctx = ssl.create_default_context()
        if self._ca_bundle is not None:
            ctx.load_verify_locations(cafile=str(self._ca_bundle))
        return ctx

    async def __aenter__(self) -> IvanClient:
        self._ensure_session()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _ensure_session(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None or self._session.closed:
            timeout = aiohttp.ClientTimeout(sock_connect=self._connect_timeout, sock_read=self._read_timeout)
            connector = aiohttp.TCPConnector(ssl=self._ssl(), limit=8)
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=timeout, headers={"User-Agent": "tui-ibhxh"}
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    # -- low level -----------------------------------------------------------------------------------------
    def _headers(self, extra: Mapping[str, str] | None = None, *, auth: bool = True) -> dict[str, str]:
        headers = dict(extra or {})
        if auth and self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return headers

    async def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry_safe: bool,
        auth: bool = True,
        expect: tuple[int, ...] = (200,),
        raw: bool = False,
    ) -> tuple[int, Any]:
        import aiohttp

        url = f"{self.api}{path}"
        attempts = self.retry.attempts if retry_safe else 1
        reauthed = False
        retry_after = 0.0
        attempt = 0
        while True:
            attempt += 1
            session = self._ensure_session()
            try:
                async with session.request(
                    method, url, json=json_body, data=data, headers=self._headers(headers, auth=auth)
                ) as resp:
                    body = await resp.read()
                    status = resp.status
                    if status in expect:
                        if raw:
                            return status, body
                        return status, _json(body)
                    err = _error_body(body)
                    if status == 401 and auth and self._reauth is not None and not reauthed:
                        reauthed = True
                        await self._reauth()
                        attempt -= 1
                        continue
                    if status == 429 or status >= 500:
                        retry_after = _retry_after(resp.headers.get("Retry-After"))
                        if attempt < attempts:
                            await self._sleep(max(retry_after, self._delay(attempt)))
                            continue
                        if status == 429:
                            raise IvanError("ivan.rate_limited", status=429, count=int(retry_after) or 60)
                        raise IvanError("ivan.server_error", status=status, count=attempt)
                    key = "ivan.unauthorized" if status == 401 else "ivan.rejected"
                    raise IvanError(
                        key,
                        status=status,
                        ma_loi=err.get("ma_loi") or str(status),
                        mota_loi=err.get("mota_loi") or err.get("detail") or f"HTTP {status}",
                        detail=err.get("detail") or err.get("mota_loi") or f"HTTP {status}",
                    )
            except aiohttp.ClientSSLError as exc:
                raise IvanError("ivan.tls", url=self.base_url, reason=_tls_reason(exc, self.base_url)) from None
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
                timeout = isinstance(exc, TimeoutError | aiohttp.ServerTimeoutError)
                if attempt < attempts:
                    await self._sleep(self._delay(attempt))
                    continue
                if timeout:
                    raise IvanError("ivan.timeout", url=self.base_url, count=int(self._read_timeout)) from None
                log.warning("I-VAN %s unreachable: %r", self.base_url, exc)  # the detail; the user gets words
                raise IvanError("ivan.unreachable", url=self.base_url, reason=network_cause(exc)) from None

    def _delay(self, attempt: int) -> float:
        base = self.retry.backoff * (2 ** (attempt - 1))
        return float(min(self.retry.max_delay, base * (0.75 + random.random() / 2)))

    # -- §1 authentication ------------------------------------------------------------------------------
    async def authenticate(self, ma_dvi: str, certificate_der: bytes, sign: SignFn) -> None:
        """Prove possession of a certificate of the unit; later 401s re-run this automatically."""

        async def run() -> None:
            try:
                _, ch = await self._request(
                    "POST", "/auth/challenge", json_body={"ma_dvi": ma_dvi}, retry_safe=True, auth=False
                )
                challenge = base64.b64decode(ch["challenge"], validate=True)
            except (KeyError, TypeError, ValueError):
                raise IvanError("ivan.not_an_ivan", url=self.base_url, reason="challenge") from None
            except IvanError as exc:
                raise self._not_an_ivan(exc) from None
            signature = await sign(challenge)
            try:
                _, tok = await self._request(
                    "POST",
                    "/auth/token",
                    json_body={
                        "ma_dvi": ma_dvi,
                        "challenge": ch["challenge"],
                        "certificate": base64.b64encode(certificate_der).decode("ascii"),
                        "signature": base64.b64encode(signature).decode("ascii"),
                    },
                    retry_safe=False,
                    auth=False,
                )
            except IvanError as exc:
                if exc.key != "ivan.unauthorized":
                    raise
                # another I-VAN (another demo's simulator on a busy port) answers so too: say where we asked
                raise IvanError(
                    "ivan.auth_refused",
                    status=exc.status,
                    ma_loi=exc.ma_loi,
                    url=self.base_url,
                    detail=exc.params.get("detail", ""),
                ) from None
            token = tok.get("access_token") if isinstance(tok, dict) else None
            if not isinstance(token, str) or not token:
                raise IvanError("ivan.bad_response", reason="access_token")
            self._token = token

        await run()
        self._reauth = run

    def _not_an_ivan(self, exc: IvanError) -> IvanError:
        """The first call of a session answered by something that does not speak this protocol (another program
        on the port of ``[ivan] url``): said as such, not as a refusal. An error in the protocol's own JSON
        (``ma_loi``; without one it is the HTTP status) is the I-VAN's answer and stays what it is."""
        foreign = exc.key == "ivan.rejected" and exc.status in (404, 405) and exc.ma_loi == str(exc.status)
        if exc.key == "ivan.bad_response" or foreign:
            return IvanError("ivan.not_an_ivan", url=self.base_url, reason=f"HTTP {exc.status or 200}")
        return exc

    async def _renew(self) -> bool:
        """Re-authenticate (with the certificate and signer of :meth:`authenticate`); False when the I-VAN
        could not be reached or was busy (try again later), an :class:`IvanError` when it refused."""
        assert self._reauth is not None
        try:
            await self._reauth()
        except IvanError as exc:
            if exc.key in _PASSING:
                log.info("re-authentication failed for now (%s); retrying", exc.key)
                return False
            raise
        return True

    # -- §2 registration ----------------------------------------------------------------------------------
    async def registration(self, ma_dvi: str) -> Registration:
        _, data = await self._request("GET", f"/units/{ma_dvi}/registration", retry_safe=True)
        return parse_registration(data)

    # -- §4 submit ---------------------------------------------------------------------------------------
    async def submit(self, ma_dvi: str, signed_xml: bytes, idempotency_key: str) -> SubmitResult:
        status, data = await self._request(
            "POST",
            f"/units/{ma_dvi}/dossiers",
            data=signed_xml,
            headers={"Content-Type": "application/xml", "Idempotency-Key": idempotency_key},
            retry_safe=True,  # the Idempotency-Key makes a repeat return the same transaction
            expect=(200, 202),
        )
        return SubmitResult(parse_transaction(data), created=status == 202)

    # -- §6 history, receipts, events ----------------------------------------------------------------
    async def transactions(self, ma_dvi: str, *, limit: int = 50, before: str | None = None) -> Page:
        query = f"?limit={limit}" + (f"&before={before}" if before else "")
        _, data = await self._request("GET", f"/units/{ma_dvi}/transactions{query}", retry_safe=True)
        try:
            last = data.get("last_event_id")
            return Page(
                [parse_transaction(i) for i in data["items"]],
                data.get("next") or None,
                None if last is None else str(last),
            )
        except (KeyError, TypeError, AttributeError):
            raise IvanError("ivan.bad_response", reason="transactions") from None

    async def history(self, ma_dvi: str, *, page_size: int = 100) -> HistorySnapshot:
        """All pages; the event id is the first page's (the oldest moment read), so the stream opened from it
        replays whatever changed while the later pages were read."""
        items: list[Transaction] = []
        cursor: str | None = None
        first: Page | None = None
        while True:
            page = await self.transactions(ma_dvi, limit=page_size, before=cursor)
            first = first or page
            items.extend(page.items)
            if not page.next:
                return HistorySnapshot(items, first.last_event_id)
            cursor = page.next

    async def transaction(self, ma_gdich: str) -> Transaction:
        _, data = await self._request("GET", f"/transactions/{ma_gdich}", retry_safe=True)
        return parse_transaction(data)

    async def receipt(self, ma_gdich: str) -> bytes:
        _, body = await self._request("GET", f"/transactions/{ma_gdich}/receipt", retry_safe=True, raw=True)
        return bytes(body)

    async def events(
        self,
        ma_dvi: str,
        *,
        last_event_id: str | None = None,
        reconnect_delay: float = 1.0,
        on_connection: Callable[[bool], None] | None = None,
    ) -> AsyncIterator[TxEvent]:
        """Transaction events forever; reconnects with ``Last-Event-ID`` so nothing is missed or repeated.

        A stream ends with its bearer token (``event: expired``, protocol §6): the client re-authenticates
        with the certificate and signer of :meth:`authenticate` and resumes at once, without reporting a lost
        connection. ``on_connection(True)`` when the stream is open, ``(False)`` each time it is lost."""
        import aiohttp

        connected = on_connection or (lambda _up: None)
        last = last_event_id
        failures = 0
        while True:
            headers = {"Accept": "text/event-stream"}
            if last is not None:
                headers["Last-Event-ID"] = last
            renew = False  # the token has expired: re-authenticate, then resume
            try:
                session = self._ensure_session()
                timeout = aiohttp.ClientTimeout(sock_connect=self._connect_timeout, sock_read=None)
                async with session.get(
                    f"{self.api}/units/{ma_dvi}/events", headers=self._headers(headers), timeout=timeout
                ) as resp:
                    if resp.status == 401 and self._reauth is not None:
                        renew = True
                    else:
                        await _stream_opened(resp)
                        failures = 0
                        connected(True)
                        async for event_id, event, data in _sse(resp.content):
                            if event == "expired":  # the token ended the stream: renew it, resume at once
                                renew = self._reauth is not None
                                break
                            if event_id is not None:
                                last = event_id
                            if event == "transaction" and data:
                                try:
                                    payload = json.loads(data)
                                except ValueError:
                                    continue
                                yield TxEvent(event_id or "", parse_transaction(payload))
            except aiohttp.ClientSSLError as exc:  # not a glitch: reconnecting would fail the same way
                raise IvanError("ivan.tls", url=self.base_url, reason=_tls_reason(exc, self.base_url)) from None
            except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError) as exc:
                failures += 1
                log.info("event stream interrupted (%s); reconnecting", type(exc).__name__)
            if renew:
                if await self._renew():
                    continue
                failures += 1
            connected(False)
            await self._sleep(min(self.retry.max_delay, reconnect_delay * min(failures, 5) or reconnect_delay))


async def _stream_opened(resp: aiohttp.ClientResponse) -> None:
    """Return when ``resp`` is an open event stream; a passing failure (429, 5xx) raises a connection error
    (the caller reconnects later), a refusal an :class:`IvanError`."""
    import aiohttp

    if resp.status == 200:
        return
    err = _error_body(await resp.read())
    if resp.status == 429 or resp.status >= 500:
        raise aiohttp.ClientConnectionError(f"HTTP {resp.status}")
    raise IvanError(
        "ivan.rejected",
        status=resp.status,
        ma_loi=err.get("ma_loi") or str(resp.status),
        mota_loi=err.get("mota_loi") or f"HTTP {resp.status}",
        detail=err.get("detail") or f"HTTP {resp.status}",
    )


async def _sse(content: aiohttp.StreamReader) -> AsyncIterator[tuple[str | None, str, str]]:
    """Parse a text/event-stream into (id, event, data) tuples (comments/heartbeats skipped)."""
    event_id: str | None = None
    event = "message"
    data: list[str] = []
    while True:
        raw = await content.readline()
        if not raw:
            return
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        if line == "":
            if data or event_id is not None:
                yield event_id, event, "\n".join(data)
            event_id, event, data = None, "message", []
            continue
        if line.startswith(":"):
            continue
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "id":
            event_id = value
        elif name == "event":
            event = value
        elif name == "data":
            data.append(value)


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        raise IvanError("ivan.bad_response", reason="not JSON") from None


def _error_body(body: bytes) -> dict[str, str]:
    try:
        data = json.loads(body)
    except ValueError:
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: str(v) for k, v in data.items() if k in ("ma_loi", "mota_loi", "detail") and v is not None}


def _retry_after(value: str | None) -> float:
    if not value:
        return 0.0
    try:
        return max(0.0, float(value))
    except ValueError:
        return 0.0


def _tls_reason(exc: aiohttp.ClientSSLError, url: str) -> UserError:
    """What OpenSSL said, in the user's words (untrusted CA, expired, wrong host name, else that the handshake
    failed); OpenSSL's own text goes to the log, never to the screen."""
    cause = getattr(exc, "certificate_error", None)
    text = getattr(cause, "verify_message", None) or (str(cause) if cause is not None else "") or str(exc)
    log.warning("TLS handshake with %s failed: %s", url, text)
    lowered = text.lower()
    if "mismatch" in lowered or "hostname" in lowered:
        return UserError("ivan.tls.wrong_host", host=urlparse(url).hostname or url)
    if "expired" in lowered:
        return UserError("ivan.tls.expired")
    if "issuer" in lowered or "self-signed" in lowered or "self signed" in lowered:
        return UserError("ivan.tls.untrusted")
    return UserError("ivan.tls.other")


__all__ = [
    "HistorySnapshot",
    "IvanClient",
    "IvanError",
    "Page",
    "RetryPolicy",
    "SignFn",
    "SubmitResult",
    "TxEvent",
    "parse_registration",
    "parse_transaction",
]
