"""Revocation checks over the network: the certificate's OCSP responder first, then its CRL distribution points.

Every fetch is bounded in time (``timeout`` seconds, whole request) and in size; nothing here ever raises for a
network failure: an unreachable CA is a verdict (*unknown: offline*), never a frozen screen or a traceback.
Answers are cached under the data directory (``<data>/revocation/``) until their ``nextUpdate``, so a CRL is
fetched once for all the certificates it covers and the next start needs no network while it holds. The
decisions themselves (signatures, freshness, serial lookup) are ``core.revocation``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, Protocol

from tui_ibhxh.core.certs import revocation_checkable, validate_path
from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.revocation import (
    Revocation,
    RevocationState,
    UnknownReason,
    crl_decision,
    crl_next_update,
    ocsp_decision,
    ocsp_next_update,
    ocsp_request,
    revocation_urls,
)
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.files import write_atomic

if TYPE_CHECKING:  # aiohttp is imported when the network is used, not at start (startup time: bench.startup)
    import aiohttp

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT: Final = 5.0
#: the largest CRL or OCSP answer read (real CRLs of big CAs run to a few MiB)
MAX_BYTES: Final = 16 * 1024 * 1024
#: when no answer is definite, the reason shown: the most telling first
_PRECEDENCE: Final = (UnknownReason.STALE, UnknownReason.INVALID, UnknownReason.OFFLINE)


@dataclass(frozen=True)
class Subject:
    """A certificate to check, with the certificate that issued it (from its validated path)."""

    cert_der: bytes
    issuer_der: bytes


def subjects_for(
    certs: Iterable[CertInfo], anchors: Sequence[CertInfo], intermediates: Sequence[CertInfo], *, at: datetime
) -> dict[str, Subject]:
    """The certificates whose revocation is worth asking (``core.certs.revocation_checkable``), by SHA-256, each
    with the issuer its validated path found."""
    out: dict[str, Subject] = {}
    for info in certs:
        path = validate_path(info, anchors, intermediates, at=at)
        if revocation_checkable(info, path) and path.issuer is not None:
            out[info.sha256] = Subject(info.der, path.issuer.der)
    return out


class _Decide(Protocol):
    def __call__(
        self, data: bytes, cert_der: bytes, issuer_der: bytes, *, now: datetime, source: str
    ) -> Revocation: ...


@dataclass(frozen=True)
class _Source:
    """One place that may answer: an OCSP responder (``body``: the request to POST) or a CRL."""

    key: str  # the cache key
    url: str
    body: bytes | None
    next_update: Callable[[bytes], datetime | None]
    decide: _Decide


class RevocationChecker:
    """Checks certificates against their CA's OCSP responder and CRLs; one instance per app or command."""

    def __init__(self, cache_dir: Path | None, *, timeout: float = DEFAULT_TIMEOUT, max_bytes: int = MAX_BYTES):
        self.cache_dir = cache_dir
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._inflight: dict[str, asyncio.Task[bytes | None]] = {}

    async def check(self, subject: Subject, *, now: datetime | None = None) -> Revocation:
        """The revocation state of one certificate."""
        return (await self.check_all([subject], now=now))[0]

    async def check_all(
        self,
        subjects: Iterable[Subject],
        *,
        now: datetime | None = None,
        on_result: Callable[[Subject, Revocation], None] | None = None,
    ) -> list[Revocation]:
        """The states of several certificates, checked concurrently over one HTTP session (a CRL they share is
        fetched once); ``on_result`` hears of each as soon as it is known."""
        import aiohttp

        items = list(subjects)
        when = now or datetime.now(UTC)
        timeout = aiohttp.ClientTimeout(total=self.timeout, sock_connect=self.timeout)

        async def one(session: aiohttp.ClientSession, subject: Subject) -> Revocation:
            verdict = await self._one(session, subject, when)
            if on_result is not None:
                on_result(subject, verdict)
            return verdict

        async with aiohttp.ClientSession(timeout=timeout, trust_env=False) as session:
            try:
                return list(await asyncio.gather(*(one(session, s) for s in items)))
            finally:
                for task in self._inflight.values():
                    task.cancel()
                self._inflight.clear()

    async def _one(self, session: aiohttp.ClientSession, subject: Subject, now: datetime) -> Revocation:
        """OCSP responders first, then CRL distribution points; the first definite answer wins."""
        urls = revocation_urls(subject.cert_der)
        if not urls.ocsp and not urls.crl:
            return Revocation.unknown(UnknownReason.NO_URL)
        request = ocsp_request(subject.cert_der, subject.issuer_der)
        sources = [
            _Source(f"ocsp {url} {hashlib.sha256(request).hexdigest()}", url, request, ocsp_next_update, ocsp_decision)
            for url in urls.ocsp
        ] + [_Source(f"crl {url}", url, None, crl_next_update, crl_decision) for url in urls.crl]
        failures: list[Revocation] = []
        for source in sources:
            data = await self._cached(source.key, now, source.next_update)
            fresh = data is None
            if data is None:
                data = await self._fetch(session, source.key, source.url, source.body)
            if data is None:
                failures.append(Revocation.unknown(UnknownReason.OFFLINE, source.url))
                continue
            verdict = source.decide(data, subject.cert_der, subject.issuer_der, now=now, source=source.url)
            if verdict.state is not RevocationState.UNKNOWN:
                if fresh:
                    await self._store(source.key, data)
                return verdict
            failures.append(verdict)
        return min(failures, key=lambda r: _PRECEDENCE.index(r.reason) if r.reason in _PRECEDENCE else 99)

    # -- the network, bounded --------------------------------------------------------------------------
    async def _fetch(self, session: aiohttp.ClientSession, key: str, url: str, body: bytes | None) -> bytes | None:
        """The body at ``url`` (POSTed ``body`` for OCSP), or None when it cannot be had in time; concurrent
        requests for the same thing share one fetch."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(self._get(session, url, body))
            self._inflight[key] = task
        return await asyncio.shield(task)

    async def _get(self, session: aiohttp.ClientSession, url: str, body: bytes | None) -> bytes | None:
        import aiohttp

        try:
            async with asyncio.timeout(self.timeout):
                if body is None:
                    response_cm = session.get(url, allow_redirects=True)
                else:
                    headers = {"Content-Type": "application/ocsp-request", "Accept": "application/ocsp-response"}
                    response_cm = session.post(url, data=body, headers=headers)
                async with response_cm as response:
                    if response.status != 200:
                        log.info("revocation: %s answered HTTP %s", url, response.status)
                        return None
                    if response.content_length is not None and response.content_length > self.max_bytes:
                        return None
                    data = await response.content.read(self.max_bytes + 1)
                    return data if len(data) <= self.max_bytes else None
        except (TimeoutError, aiohttp.ClientError, OSError, ValueError) as exc:
            log.info("revocation: %s could not be fetched (%s)", url, type(exc).__name__)
            return None

    # -- the cache ------------------------------------------------------------------------------------
    def _path(self, key: str) -> Path | None:
        if self.cache_dir is None:
            return None
        kind = key.split(" ", 1)[0]
        return self.cache_dir / f"{kind}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}.der"

    async def _cached(self, key: str, now: datetime, next_update: Callable[[bytes], datetime | None]) -> bytes | None:
        """A cached answer still within its ``nextUpdate``, else None."""
        path = self._path(key)
        if path is None:
            return None
        try:
            data = await asyncio.to_thread(path.read_bytes)
        except OSError:
            return None
        until = next_update(data)
        return data if until is not None and until > now else None

    async def _store(self, key: str, data: bytes) -> None:
        path = self._path(key)
        if path is None:
            return
        with contextlib.suppress(OSError, UserError):  # a read-only data directory only costs a fetch next time
            await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True, mode=0o700)
            await asyncio.to_thread(write_atomic, path, data)
