"""Every synchronous refusal (nothing stored) and every asynchronous rejection code, triggered for real."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.support import pki, sim_attacks
from tests.support.sim_server import (
    CONTACT,
    MA_IVAN,
    REVOKED_SERIAL,
    UNIT_A,
    UNIT_R,
    World,
    bearer,
    change_dossier,
    get_json,
    login,
    signed_dossier,
    submit,
    wait_final,
)
from tui_ibhxh.core.dossier import CertSummary, ChangeDossier, build_dossier
from tui_ibhxh.core.envelope import Envelope, build_envelope
from tui_ibhxh.core.models import Contact
from tui_ibhxh.core.receipt import verify_receipt
from tui_ibhxh.core.xmldsig import TrustStore, sign_document
from tui_ibhxh.ivan_sim.errors import MESSAGES
from tui_ibhxh.ivan_sim.verify import stored_dossier, verify_submission

FAST = 1.0  # seconds: hostile input must be refused quickly


async def _count(s: aiohttp.ClientSession, base: str, token: str, ma_dvi: str) -> int:
    status, page = await get_json(s, f"{base}/units/{ma_dvi}/transactions?limit=200", token)
    assert status == 200
    return len(page["items"])


#: an unsigned copy of the form with other values: must never be stored, let alone read
FORGED_COPY = b"<DKI_BHXH><TTDVI><MA_DVI>TA1234A</MA_DVI><EMAIL>ke-gian@evil.example</EMAIL></TTDVI></DKI_BHXH>"
XINCLUDE = b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="file:///etc/passwd" parse="text"/>'


def _valid(world: World) -> bytes:
    return signed_dossier(UNIT_R, CONTACT, new=world.unit_r_new, old=world.unit_r)


def _form(world: World, new: pki.Issued | None = None) -> ChangeDossier:
    return change_dossier(UNIT_R, CONTACT, new=new or world.unit_r_new, old=world.unit_r)


def _unsigned(world: World, new: pki.Issued | None = None) -> bytes:
    """The unsigned form."""
    return build_dossier(_form(world, new))


def _envelope(d: ChangeDossier, form: bytes, *, change: tuple[bytes, bytes] | None = None) -> bytes:
    """The unsigned envelope around ``form`` (``change``: one byte replacement in it before signing)."""
    xml = build_envelope(Envelope.for_form(d, form, ma_ivan=MA_IVAN))
    if change is not None:
        assert change[0] in xml, change
        xml = xml.replace(*change)
    return xml


def _signed_around(
    world: World, form: bytes, *, by: pki.Issued | None = None, change: tuple[bytes, bytes] | None = None
) -> bytes:
    """``form`` (signed or not, valid or not) inside a correctly signed envelope: only the form can fail."""
    return sign_document(_envelope(_form(world), form, change=change), pki.SoftwareSigner(by or world.unit_r_new))


def _signed_form(world: World) -> bytes:
    return sign_document(_unsigned(world), pki.SoftwareSigner(world.unit_r_new))


def _xmlsec_both(world: World, issued: pki.Issued, **algorithms: Any) -> bytes:
    """Form and envelope signed by xmlsec itself with these algorithms (any key size it takes)."""
    d = _form(world, issued)
    form = sim_attacks.xmlsec_signed(build_dossier(d), issued, **algorithms)
    return sim_attacks.xmlsec_signed(_envelope(d, form), issued, **algorithms)


def _weak(world: World) -> bytes:
    """Signed (by xmlsec) with an RSA-1024 certificate of unit R from the trusted CA."""
    weak = pki.issue(world.ca, cn="CONG TY TU CHOI", mst=UNIT_R.mst, key_index=7, key_bits=1024)
    return _xmlsec_both(world, weak)


SHA1 = {
    "c14n": xmlsec.constants.TransformInclC14N,
    "method": xmlsec.constants.TransformRsaSha1,
    "digest": xmlsec.constants.TransformSha1,
}

SYNC_CASES: dict[str, tuple[Callable[[World], bytes], int, str]] = {
    "malformed": (lambda w: _valid(w)[:-40], 400, "XML_INVALID"),
    "doctype": (lambda w: sim_attacks.with_doctype(_valid(w)), 400, "XML_INVALID"),
    "xxe": (lambda w: sim_attacks.XXE, 400, "XML_INVALID"),
    "billion_laughs": (lambda w: sim_attacks.BILLION_LAUGHS, 400, "XML_INVALID"),
    "utf16": (lambda w: sim_attacks.utf16(_valid(w)), 400, "XML_INVALID"),
    "latin1": (lambda w: sim_attacks.latin1(_valid(w)), 400, "XML_INVALID"),
    "envelope_schema_invalid": (
        lambda w: sign_document(
            _envelope(_form(w), _signed_form(w), change=(b"<QuyTrinhISO></QuyTrinhISO>", b"")),
            pki.SoftwareSigner(w.unit_r_new),
        ),
        400,
        "XML_INVALID",
    ),
    "form_schema_invalid": (
        lambda w: _signed_around(
            w,
            sign_document(
                _unsigned(w).replace(b"<TEN_THUTUC>", b"<TEN_THU_TUC>").replace(b"</TEN_THUTUC>", b"</TEN_THU_TUC>"),
                pki.SoftwareSigner(w.unit_r_new),
            ),
        ),
        400,
        "XML_INVALID",
    ),
    "a_bare_form": (_signed_form, 400, "XML_INVALID"),  # the form alone is not what an I-VAN takes
    "unsigned": (lambda w: _envelope(_form(w), _signed_form(w)), 422, "SIGNATURE_INVALID"),
    "form_unsigned": (lambda w: _signed_around(w, _unsigned(w)), 422, "SIGNATURE_INVALID"),
    "tampered": (lambda w: sim_attacks.tamper(_valid(w)), 422, "SIGNATURE_INVALID"),
    "form_tampered": (lambda w: _signed_around(w, sim_attacks.tamper(_signed_form(w))), 422, "SIGNATURE_INVALID"),
    "wrapped": (lambda w: sim_attacks.wrapped(_valid(w)), 422, "SIGNATURE_INVALID"),
    "form_wrapped": (lambda w: _signed_around(w, sim_attacks.wrapped(_signed_form(w))), 422, "SIGNATURE_INVALID"),
    "two_signatures": (lambda w: sim_attacks.second_signature(_valid(w)), 422, "SIGNATURE_INVALID"),
    "other_reference": (lambda w: sim_attacks.other_reference(_valid(w)), 422, "SIGNATURE_INVALID"),
    "sha1": (lambda w: _xmlsec_both(w, w.unit_r_new, **SHA1), 422, "SIGNATURE_INVALID"),
    # the strict profile (protocol §3.3); each of these was accepted (202) and stored before
    "exclusive_c14n": (
        lambda w: _xmlsec_both(w, w.unit_r_new, c14n=xmlsec.constants.TransformExclC14N),
        422,
        "SIGNATURE_INVALID",
    ),
    "rsa_1024": (_weak, 422, "SIGNATURE_INVALID"),
    "copy_in_key_info": (lambda w: sim_attacks.in_key_info(_valid(w), FORGED_COPY), 422, "SIGNATURE_INVALID"),
    "copy_in_x509_data": (
        lambda w: sim_attacks.in_key_info(_valid(w), FORGED_COPY, where=b"</X509Data>"),
        422,
        "SIGNATURE_INVALID",
    ),
    "xinclude_in_key_info": (lambda w: sim_attacks.in_key_info(_valid(w), XINCLUDE), 422, "SIGNATURE_INVALID"),
    "xinclude_in_x509_data": (
        lambda w: sim_attacks.in_key_info(_valid(w), XINCLUDE, where=b"</X509Data>"),
        422,
        "SIGNATURE_INVALID",
    ),
    "untrusted": (
        lambda w: signed_dossier(UNIT_R, CONTACT, new=pki.issue(w.rogue_ca, mst=UNIT_R.mst, key_index=6), old=w.unit_r),
        422,
        "CERT_UNTRUSTED",
    ),
    # protocol §3.2 / §4: both signatures by one certificate, the form's length as declared, one unit
    "different_signers": (lambda w: _signed_around(w, _signed_form(w), by=w.unit_r), 422, "SIGNATURE_INVALID"),
    "wrong_length": (
        lambda w: _signed_around(w, _signed_form(w), change=(b"<DoDaiFile>", b"<DoDaiFile>1")),
        422,
        "SIGNATURE_INVALID",
    ),
    "envelope_of_another_unit": (
        lambda w: _signed_around(w, _signed_form(w), change=(b"<MaSoBHXH>TR0001R<", b"<MaSoBHXH>TA1234A<")),
        403,
        "FORBIDDEN",
    ),
    "envelope_with_another_mst": (
        lambda w: _signed_around(
            w, _signed_form(w), change=(f"<MaSoThue>{UNIT_R.mst}<".encode(), b"<MaSoThue>0101234565<")
        ),
        403,
        "FORBIDDEN",
    ),
}


@pytest.mark.parametrize("case", sorted(SYNC_CASES))
async def test_synchronous_refusals(world: World, base: str, case: str) -> None:
    make, expected_status, expected_code = SYNC_CASES[case]
    body = make(world)
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
        before = await _count(s, base, token, UNIT_R.ma_dvi)
        headers = {**bearer(token), "Content-Type": "application/xml", "Idempotency-Key": str(uuid.uuid4())}
        start = time.perf_counter()
        async with s.post(f"{base}/units/{UNIT_R.ma_dvi}/dossiers", data=body, headers=headers) as r:
            elapsed = time.perf_counter() - start
            data = await r.json()
            assert (r.status, data["ma_loi"]) == (expected_status, expected_code), data
        assert data["mota_loi"] == MESSAGES[expected_code][0]
        assert elapsed < FAST
        assert await _count(s, base, token, UNIT_R.ma_dvi) == before  # nothing stored


async def test_oversize_body_is_413(world: World, base: str) -> None:
    body = sim_attacks.oversize(_valid(world), 1_048_576 + 10)
    assert len(body) > 1_048_576
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
        headers = {**bearer(token), "Content-Type": "application/xml", "Idempotency-Key": str(uuid.uuid4())}
        url = f"{base}/units/{UNIT_R.ma_dvi}/dossiers"
        async with s.post(url, data=body, headers=headers) as r:
            assert r.status == 413
            assert (await r.json())["ma_loi"] == "TOO_LARGE"

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked upload
            for i in range(0, len(body), 65536):
                yield body[i : i + 65536]

        async with s.post(url, data=chunks(), headers=headers) as r:
            assert r.status == 413
            assert (await r.json())["ma_loi"] == "TOO_LARGE"


async def test_missing_idempotency_key_is_400(world: World, base: str) -> None:
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
        headers = {**bearer(token), "Content-Type": "application/xml"}
        async with s.post(f"{base}/units/{UNIT_R.ma_dvi}/dossiers", data=_valid(world), headers=headers) as r:
            assert r.status == 400


def _r_cert(world: World, **kw: Any) -> pki.Issued:
    return pki.issue(world.ca, cn="CONG TY TU CHOI", o="Công ty TNHH Từ Chối", mst=UNIT_R.mst, key_index=7, **kw)


ASYNC_CASES: dict[str, Callable[[World], bytes]] = {
    "CERT_EXPIRED": lambda w: signed_dossier(
        UNIT_R,
        CONTACT,
        new=_r_cert(w, not_before=pki.now() - dt.timedelta(days=360), days=30),  # the CA is 365 days old
        old=w.unit_r,
    ),
    "CERT_NOT_YET_VALID": lambda w: signed_dossier(
        UNIT_R, CONTACT, new=_r_cert(w, not_before=pki.now() + dt.timedelta(days=10)), old=w.unit_r
    ),
    "MST_MISMATCH": lambda w: signed_dossier(
        UNIT_R, CONTACT, new=pki.issue(w.ca, mst="0109999999", key_index=7), old=w.unit_r
    ),
    "CERT_SAME_AS_REGISTERED": lambda w: signed_dossier(UNIT_R, CONTACT, new=w.unit_r, old=w.unit_r),
    "CERT_REVOKED": lambda w: signed_dossier(UNIT_R, CONTACT, new=_r_cert(w, serial=REVOKED_SERIAL), old=w.unit_r),
    "CONTACT_INVALID": lambda w: signed_dossier(
        UNIT_R, Contact(CONTACT.diachi_lhe, "12345", "khong-phai-email", "A"), new=w.unit_r_new, old=w.unit_r
    ),
    "TTCKY_MISMATCH": lambda w: signed_dossier(
        UNIT_R,
        CONTACT,
        new=w.unit_r_new,
        old=w.unit_r,
        new_cert=replace(CertSummary.from_cert(w.unit_r_new.info), serial="0A1B2C3D"),
    ),
}


@pytest.mark.parametrize("code", sorted(ASYNC_CASES))
async def test_asynchronous_rejections(world: World, base: str, code: str) -> None:
    body = ASYNC_CASES[code](world)
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
        status, tx = await submit(s, base, token, UNIT_R.ma_dvi, body)
        assert status == 202, tx
        final = await wait_final(s, base, token, tx["ma_gdich"])
        assert final["status"] == "REJECTED"
        assert final["ma_loi"] == code
        assert final["mota_loi"] == MESSAGES[code][0]
        assert [e["status"] for e in final["timeline"]] == ["SENT", "RECEIVED", "REJECTED"]
        async with s.get(f"{base}/transactions/{tx['ma_gdich']}/receipt", headers=bearer(token)) as r:
            assert r.status == 200
            xml = await r.read()
        bhxh = x509.load_pem_x509_certificate((world.dir / "bhxh.pem").read_bytes())
        check = verify_receipt(xml, bhxh.public_bytes(Encoding.DER))
        assert check.valid and check.receipt is not None
        assert not check.receipt.accepted and check.receipt.ma_loi == code
        status, reg = await get_json(s, f"{base}/units/{UNIT_R.ma_dvi}/registration", token)
        assert reg["certificate"]["sha256"] == world.unit_r.info.sha256  # unchanged


async def test_unit_a_untouched_by_refusals(world: World, base: str) -> None:
    """A dossier for unit A signed by unit A's key but with an unknown signer is 422, never 202."""
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)
        body = signed_dossier(UNIT_A, CONTACT, new=world.new, old=world.registered, signer=world.unit_b)
        status, err = await submit(s, base, token, UNIT_A.ma_dvi, body)
        # signed by another (trusted) certificate than TTCKY_DVI describes: accepted for transmission,
        # then rejected by BHXH (its MST is not unit A's)
        assert status == 202
        final = await wait_final(s, base, token, err["ma_gdich"])
        assert final["ma_loi"] == "MST_MISMATCH"


def test_values_are_read_from_the_signed_content_only(world: World) -> None:
    """Whatever sits outside the content the Reference covers is never read, neither when the dossier is
    verified nor when the stored dossier is decided later."""
    valid = _valid(world)
    forged = sim_attacks.in_key_info(valid, FORGED_COPY)
    verified = verify_submission(valid, TrustStore([world.ca.der])).dossier
    assert stored_dossier(forged) == stored_dossier(valid) == verified
    assert stored_dossier(forged).contact.email == CONTACT.email
