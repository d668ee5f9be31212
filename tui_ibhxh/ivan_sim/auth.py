"""Authentication by proof of possession of a unit's certificate (protocol §1) and bearer tokens."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from tui_ibhxh.core.certs import CertificateError, parse_certificate, validate_path
from tui_ibhxh.core.validation import normalise_mst
from tui_ibhxh.ivan_sim.errors import ApiError
from tui_ibhxh.ivan_sim.state import SimState
from tui_ibhxh.ivan_sim.views import iso


def _b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ApiError(400, "BAD_REQUEST", f"'{field}' is not valid base64") from None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


async def issue_challenge(state: SimState, ma_dvi: str) -> dict[str, Any]:
    if await state.store.run(state.store.get_unit, ma_dvi) is None:
        raise ApiError(404, "UNIT_NOT_FOUND", f"unit {ma_dvi} is not registered")
    raw = secrets.token_bytes(32)
    challenge = base64.b64encode(raw).decode("ascii")
    now = time.time()
    expires = now + state.config.challenge_ttl
    await state.store.run(state.store.add_challenge, challenge, ma_dvi, expires, now)
    return {"challenge": challenge, "expires_at": iso(expires)}


def _fail(detail: str) -> ApiError:
    return ApiError(401, "AUTH_FAILED", detail)


async def issue_token(state: SimState, ma_dvi: str, challenge: str, cert_b64: str, sig_b64: str) -> dict[str, Any]:
    raw = _b64(challenge, "challenge")
    cert_der = _b64(cert_b64, "certificate")
    signature = _b64(sig_b64, "signature")
    canonical = base64.b64encode(raw).decode("ascii")
    record = await state.store.run(state.store.get_unit, ma_dvi)
    if record is None:
        raise ApiError(404, "UNIT_NOT_FOUND", f"unit {ma_dvi} is not registered")
    now = time.time()
    # single use: consumed by the first attempt, whatever its outcome
    if not await state.store.run(state.store.consume_challenge, canonical, ma_dvi, now):
        raise _fail("the challenge is unknown, expired or already used")
    try:
        info = parse_certificate(cert_der)
        public_key = x509.load_der_x509_certificate(cert_der).public_key()
    except (CertificateError, ValueError, UnsupportedAlgorithm):
        raise _fail("the certificate is not a readable X.509 certificate") from None
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise _fail("only RSA certificates are supported")
    try:
        public_key.verify(signature, raw, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise _fail("the signature over the challenge does not verify with the certificate") from None
    at = datetime.now(UTC)
    if not info.not_before <= at <= info.not_after:
        raise _fail(f"certificate {info.serial} is not valid now")
    if not validate_path(info, state.anchors, at=at).trusted:
        raise _fail(f"certificate {info.serial} does not chain to a trust anchor")
    if info.mst is None or normalise_mst(info.mst) != normalise_mst(record.unit.mst):
        raise _fail(f"the certificate's tax code ({info.mst}) is not the unit's ({record.unit.mst})")
    token = secrets.token_urlsafe(32)
    ttl = state.config.token_ttl
    await state.store.run(state.store.add_token, token_hash(token), ma_dvi, info.sha256, now + ttl, now)
    return {"access_token": token, "token_type": "Bearer", "expires_in": int(ttl)}


@dataclass(frozen=True)
class Grant:
    """What a live bearer token grants: one unit, until ``expires_at`` (epoch seconds)."""

    unit: str
    expires_at: float


async def token_grant(state: SimState, request: web.Request) -> Grant:
    """The grant of the request's bearer token (401 when missing, unknown or expired)."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "UNAUTHORIZED", "missing bearer token")
    digest, now = token_hash(token.strip()), time.time()
    known = state.grants.get(digest)
    if known is not None and known[1] > now:
        return Grant(*known)
    found = await state.store.run(state.store.token_grant, digest, now)
    if found is None:
        raise ApiError(401, "UNAUTHORIZED", "unknown or expired access token")
    state.grants.put(digest, found)
    return Grant(*found)


async def token_unit(state: SimState, request: web.Request) -> str:
    """The unit of the request's bearer token (401 when missing, unknown or expired)."""
    return (await token_grant(state, request)).unit


async def require_grant(state: SimState, request: web.Request, ma_dvi: str) -> Grant:
    """401 without a live token, 403 when the token belongs to another unit; then rate-limits the unit."""
    grant = await token_grant(state, request)
    if grant.unit != ma_dvi:
        raise ApiError(403, "FORBIDDEN", f"the access token is for unit {grant.unit}, not {ma_dvi}")
    state.rate_limit(grant.unit)
    return grant


async def require_unit(state: SimState, request: web.Request, ma_dvi: str) -> str:
    """:func:`require_grant`, for handlers that need only the unit."""
    return (await require_grant(state, request, ma_dvi)).unit
