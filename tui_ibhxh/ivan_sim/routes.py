"""HTTP handlers of protocol v1 (all under ``/api/v1``)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tui_ibhxh import __version__
from tui_ibhxh.core.xmldsig import TrustStore
from tui_ibhxh.ivan_sim import auth
from tui_ibhxh.ivan_sim.errors import ApiError
from tui_ibhxh.ivan_sim.events import parse_last_event_id, stream_events
from tui_ibhxh.ivan_sim.openapi import openapi_document
from tui_ibhxh.ivan_sim.pki import CRL_CONTENT_TYPE, OCSP_CONTENT_TYPE, OCSP_PATH, Authority
from tui_ibhxh.ivan_sim.state import STATE, SimState
from tui_ibhxh.ivan_sim.store import NewSubmission, SubmitOutcome, TxRecord
from tui_ibhxh.ivan_sim.verify import VerifiedDossier, verify_submission
from tui_ibhxh.ivan_sim.views import registration_json, transaction_json

PREFIX = "/api/v1"
MAX_PAGE = 200


def _json(data: Any, status: int = 200) -> web.Response:
    return _json_text(json.dumps(data, ensure_ascii=False), status)


def _json_text(text: str, status: int = 200) -> web.Response:
    return web.Response(status=status, text=text, content_type="application/json", charset="utf-8")


async def read_body(request: web.Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (413 beyond, whatever Content-Length says)."""
    if request.content_length is not None and request.content_length > limit:
        raise ApiError(413, "TOO_LARGE", f"the body is {request.content_length} bytes; at most {limit}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.content.iter_chunked(65536):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "TOO_LARGE", f"the body exceeds {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json(request: web.Request, limit: int, required: tuple[str, ...]) -> dict[str, str]:
    raw = await read_body(request, limit)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "BAD_REQUEST", "the body is not UTF-8 JSON") from None
    if not isinstance(data, dict):
        raise ApiError(400, "BAD_REQUEST", "the body must be a JSON object")
    out: dict[str, str] = {}
    for name in required:
        value = data.get(name)
        if not isinstance(value, str) or not value.strip():
            raise ApiError(400, "BAD_REQUEST", f"required field '{name}' is missing or not a string")
        out[name] = value.strip()
    return out  # unknown fields are ignored


def _state(request: web.Request) -> SimState:
    return request.app[STATE]


# --- auth ---------------------------------------------------------------------------------------------------
# Strangers can call these: they spend the client address's budget, first of all (before the body is read),
# never a unit's; an unknown unit is refused before anything is stored or allocated for it (protocol §7).
async def post_challenge(request: web.Request) -> web.Response:
    state = _state(request)
    state.rate_limit_client(request)
    body = await read_json(request, state.config.max_body, ("ma_dvi",))
    return _json(await auth.issue_challenge(state, body["ma_dvi"]))


async def post_token(request: web.Request) -> web.Response:
    state = _state(request)
    state.rate_limit_client(request)
    body = await read_json(request, state.config.max_body, ("ma_dvi", "challenge", "certificate", "signature"))
    return _json(
        await auth.issue_token(state, body["ma_dvi"], body["challenge"], body["certificate"], body["signature"])
    )


# --- registration -------------------------------------------------------------------------------------------
async def get_registration(request: web.Request) -> web.Response:
    state = _state(request)
    ma_dvi = request.match_info["ma_dvi"]
    await auth.require_unit(state, request, ma_dvi)
    rec = await state.store.run(state.store.get_unit, ma_dvi)
    if rec is None:
        raise ApiError(404, "UNIT_NOT_FOUND")
    return _json(
        registration_json(rec.unit, rec.contact, rec.cert_der, rec.updated_at, rec.version, state.store.ivan_id)
    )


# --- submission ---------------------------------------------------------------------------------------------
def _tx_response(rec: TxRecord, status: int) -> web.Response:
    return _json_text(rec.json, status)


def _sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _verify_and_hash(body: bytes, trust: TrustStore | None) -> tuple[VerifiedDossier, str]:
    """Both on the verification thread: hashing a body releases the GIL, and on the event loop every release hands
    it to a verification in progress, which the loop then waits to get it back from."""
    return verify_submission(body, trust), _sha256(body)


async def _verify(state: SimState, body: bytes, ma_dvi: str, key: str) -> tuple[VerifiedDossier, str]:
    """The checks of a submission (protocol §4) and its body's SHA-256, or :class:`ApiError`. They come before the
    idempotency record is looked at: a new dossier (the usual case) then needs no trip to the store's thread but the
    one that stores it, where a retry (rare) is found all the same."""
    loop = asyncio.get_running_loop()
    verified, body_sha256 = await loop.run_in_executor(state.verify_pool, _verify_and_hash, body, state.trust)
    if verified.envelope.ma_so_bhxh != ma_dvi:
        raise ApiError(403, "FORBIDDEN", f"MaSoBHXH {verified.envelope.ma_so_bhxh} in the envelope is not {ma_dvi}")
    if verified.dossier.unit.ma_dvi != ma_dvi:
        raise ApiError(403, "FORBIDDEN", f"MA_DVI {verified.dossier.unit.ma_dvi} in the form is not {ma_dvi}")
    if verified.dossier.ma_yeucau != key:
        raise ApiError(400, "BAD_REQUEST", "the Idempotency-Key header differs from MA_YEUCAU in the dossier")
    return verified, body_sha256


async def post_dossier(request: web.Request) -> web.Response:
    state = _state(request)
    store = state.store
    ma_dvi = request.match_info["ma_dvi"]
    await auth.require_unit(state, request, ma_dvi)
    body = await read_body(request, state.config.max_body)
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key or len(key) > 100:
        raise ApiError(400, "BAD_REQUEST", "the Idempotency-Key header (the MA_YEUCAU UUID) is required")
    try:
        verified, body_sha256 = await _verify(state, body, ma_dvi, key)
    except ApiError:
        # a retry is answered from its idempotency record even if its dossier no longer passes (e.g. after a change
        # of trust anchors), and a different body under a known key is a conflict whatever is wrong with it
        known = await store.run(store.find_idempotent, ma_dvi, key)
        if known is None:
            raise
        return await _replay(state, known, _sha256(body))
    now = time.time()
    new = NewSubmission(
        ma_dvi=ma_dvi,
        idempotency_key=key,
        body_sha256=body_sha256,
        dossier=body,
        signer_der=verified.signer.der,
        worker=state.worker.index,
    )
    # the check-and-insert is one BEGIN IMMEDIATE transaction: concurrent twins see each other
    outcome, rec = await state.commits.submit(new, now, now + state.config.delays[0])
    if outcome is SubmitOutcome.CONFLICT:
        raise ApiError(409, "IDEMPOTENCY_CONFLICT")
    if outcome is SubmitOutcome.CREATED:
        state.forms.keep(rec.tx.ma_gdich, verified.dossier)
        state.wake.set()
        state.broadcaster.notify(ma_dvi)
        return _tx_response(rec, 202)
    return _tx_response(rec, 200)


async def _replay(state: SimState, known: tuple[str, str], body_sha256: str) -> web.Response:
    stored_sha256, ma_gdich = known
    if stored_sha256 != body_sha256:
        raise ApiError(409, "IDEMPOTENCY_CONFLICT")
    rec = await state.store.run(state.store.get_transaction, ma_gdich)
    if rec is None:  # cannot happen: both rows are written in one transaction
        raise ApiError(500, "SE999", "idempotency record without transaction")
    return _tx_response(rec, 200)


# --- history ------------------------------------------------------------------------------------------------
def _int_param(request: web.Request, name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "" or raw == "null":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "BAD_REQUEST", f"'{name}' must be an integer") from None
    if not lo <= value <= hi:
        raise ApiError(400, "BAD_REQUEST", f"'{name}' must be between {lo} and {hi}")
    return value


async def get_transactions(request: web.Request) -> web.Response:
    state = _state(request)
    ma_dvi = request.match_info["ma_dvi"]
    await auth.require_unit(state, request, ma_dvi)
    limit = _int_param(request, "limit", 50, 1, MAX_PAGE)
    before = _int_param(request, "before", None, 1, 2**62)
    assert limit is not None
    page = await state.store.run(state.store.list_transactions, ma_dvi, limit, before)
    return _json(
        {
            "items": [transaction_json(r.tx) for r in page.records],
            "next": None if page.next_seq is None else str(page.next_seq),
            "last_event_id": str(page.last_event_id),
        }
    )


async def _own_transaction(state: SimState, request: web.Request) -> TxRecord:
    unit = await auth.token_unit(state, request)
    state.rate_limit(unit)
    ma_gdich = request.match_info["ma_gdich"]
    rec = await state.store.run(state.store.get_transaction, ma_gdich)
    if rec is None:
        raise ApiError(404, "NOT_FOUND", f"no transaction {ma_gdich}")
    if rec.tx.ma_dvi != unit:
        raise ApiError(403, "FORBIDDEN", f"transaction {ma_gdich} belongs to another unit")
    return rec


async def get_transaction(request: web.Request) -> web.Response:
    rec = await _own_transaction(_state(request), request)
    return _tx_response(rec, 200)


async def get_receipt(request: web.Request) -> web.Response:
    state = _state(request)
    rec = await _own_transaction(state, request)
    if not rec.tx.status.final:
        raise ApiError(409, "RECEIPT_NOT_READY", f"transaction {rec.tx.ma_gdich} is {rec.tx.status}")
    receipt = await state.store.run(state.store.receipt, rec.tx.ma_gdich)
    if receipt is None:
        raise ApiError(404, "NOT_FOUND", f"no confirmation for {rec.tx.ma_gdich}")
    return web.Response(body=receipt, content_type="application/xml", charset="utf-8")


# --- events -------------------------------------------------------------------------------------------------
async def get_events(request: web.Request) -> web.StreamResponse:
    state = _state(request)
    store = state.store
    ma_dvi = request.match_info["ma_dvi"]
    grant = await auth.require_grant(state, request, ma_dvi)
    after = parse_last_event_id(request.headers.get("Last-Event-ID"))
    if after is None:
        after = await store.run(store.last_event_id, ma_dvi)

    async def events_after(last: int) -> list[tuple[int, str]]:
        return await store.run(store.events_after, ma_dvi, last)

    return await stream_events(
        request,
        ma_dvi=ma_dvi,
        after=after,
        events_after=events_after,
        broadcaster=state.broadcaster,
        heartbeat=state.config.heartbeat,
        expires_at=grant.expires_at,  # the stream ends with its token (protocol §6)
    )


# --- PKI (protocol §8) ---------------------------------------------------------------------------------------
# Unauthenticated, like /auth/*: they spend the client address's budget.
def _authority(state: SimState, request: web.Request) -> Authority:
    state.rate_limit_client(request)
    if state.authority is None:
        raise ApiError(404, "NOT_FOUND", "this simulator publishes no CA's revocation data (--ca-cert/--ca-key)")
    return state.authority


async def get_crl(request: web.Request) -> web.Response:
    authority = _authority(_state(request), request)
    if request.match_info["name"] != authority.name:
        raise ApiError(404, "NOT_FOUND", f"no CA named {request.match_info['name']}; this one is {authority.name}")
    crl = authority.crl(datetime.now(UTC).replace(microsecond=0))
    return web.Response(body=crl, content_type=CRL_CONTENT_TYPE)


async def post_ocsp(request: web.Request) -> web.Response:
    state = _state(request)
    authority = _authority(state, request)
    body = await read_body(request, state.config.max_body)
    answer = authority.ocsp(body, datetime.now(UTC).replace(microsecond=0))
    return web.Response(body=answer, content_type=OCSP_CONTENT_TYPE)


# --- service ------------------------------------------------------------------------------------------------
async def get_health(request: web.Request) -> web.Response:
    return _json({"status": "ok", "version": __version__})


async def get_openapi(request: web.Request) -> web.Response:
    return _json(openapi_document())


ROUTES: tuple[tuple[str, str, Any], ...] = (
    ("POST", "/auth/challenge", post_challenge),
    ("POST", "/auth/token", post_token),
    ("GET", "/units/{ma_dvi}/registration", get_registration),
    ("POST", "/units/{ma_dvi}/dossiers", post_dossier),
    ("GET", "/units/{ma_dvi}/transactions", get_transactions),
    ("GET", "/units/{ma_dvi}/events", get_events),
    ("GET", "/transactions/{ma_gdich}", get_transaction),
    ("GET", "/transactions/{ma_gdich}/receipt", get_receipt),
    ("GET", "/pki/{name}.crl", get_crl),
    ("POST", OCSP_PATH, post_ocsp),
    ("GET", "/health", get_health),
    ("GET", "/openapi.json", get_openapi),
)


def add_routes(app: web.Application) -> None:
    for method, path, handler in ROUTES:
        app.router.add_route(method, PREFIX + path, handler)
