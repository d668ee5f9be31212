"""The simulator over real HTTP: authentication, registration, submission, history, receipts."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
from collections import Counter
from dataclasses import replace

import aiohttp
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.support import pki
from tests.support.sim_server import (
    CONTACT,
    UNIT_A,
    UNIT_B,
    UNIT_R,
    World,
    bearer,
    get_json,
    login,
    sign_challenge,
    signed_dossier,
    submit,
    token_request,
    wait_final,
)
from tui_ibhxh.core.models import Contact
from tui_ibhxh.core.receipt import verify_receipt


def _error(data: dict[str, object], code: str) -> None:
    assert data["ma_loi"] == code, data
    assert isinstance(data["mota_loi"], str) and data["mota_loi"]
    assert isinstance(data["detail"], str) and data["detail"]


async def test_happy_path_to_accepted_updates_registration(world: World, base: str) -> None:
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)
        status, before = await get_json(s, f"{base}/units/{UNIT_A.ma_dvi}/registration", token)
        assert status == 200
        assert before["certificate"]["sha256"] == world.registered.info.sha256
        assert before["co_quan_bhxh"] == {"ma": "", "ten": "BHXH cơ sở Cầu Giấy"}
        contact = Contact("Số 2 Xuân Thủy, Cầu Giấy, Hà Nội", "0987654321", "nhansu@abc.vn", "Trần Thị B")
        body = signed_dossier(UNIT_A, contact, new=world.new, old=world.registered)
        status, tx = await submit(s, base, token, UNIT_A.ma_dvi, body)
        assert status == 202, tx
        assert tx["status"] == "SENT" and tx["ma_dvi"] == UNIT_A.ma_dvi
        assert tx["loai"] == "Thay đổi thông tin đăng ký sử dụng dịch vụ I-VAN"
        final = await wait_final(s, base, token, tx["ma_gdich"])
        assert final["status"] == "ACCEPTED", final
        assert [e["status"] for e in final["timeline"]] == ["SENT", "RECEIVED", "ACCEPTED"]
        # no delay between RECEIVED and the outcome (this simulator's): both steps in one commit, at one time
        assert final["timeline"][1]["at"] == final["timeline"][2]["at"]
        assert final["ma_loi"] is None
        status, after = await get_json(s, f"{base}/units/{UNIT_A.ma_dvi}/registration", token)
        assert after["version"] == before["version"] + 1
        assert after["certificate"]["sha256"] == world.new.info.sha256
        assert after["certificate"]["serial"] == world.new.info.serial
        assert after["contact"] == {
            "diachi_lhe": contact.diachi_lhe,
            "dien_thoai": contact.dien_thoai,
            "email": contact.email,
            "nguoi_lhe": contact.nguoi_lhe,
        }
        # the signed confirmation, verified against the simulator's BHXH certificate
        async with s.get(f"{base}/transactions/{tx['ma_gdich']}/receipt", headers=bearer(token)) as r:
            assert r.status == 200 and r.content_type == "application/xml"
            xml = await r.read()
        bhxh = x509.load_pem_x509_certificate((world.dir / "bhxh.pem").read_bytes())
        check = verify_receipt(xml, bhxh.public_bytes(Encoding.DER))
        assert check.valid and check.receipt is not None
        assert check.receipt.ma_gdich == tx["ma_gdich"] and check.receipt.accepted
        assert check.receipt.ten_coquan == "BHXH cơ sở Cầu Giấy"
        # the old certificate still authenticates the unit, and so does the new one
        assert await login(s, base, UNIT_A.ma_dvi, world.new)


async def test_same_key_same_body_200_different_body_409(world: World, base: str) -> None:
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
        body = signed_dossier(UNIT_R, CONTACT, new=world.unit_r_new, old=world.unit_r)
        status, first = await submit(s, base, token, UNIT_R.ma_dvi, body)
        assert status == 202
        status, again = await submit(s, base, token, UNIT_R.ma_dvi, body)
        assert status == 200 and again["ma_gdich"] == first["ma_gdich"]
        other = signed_dossier(
            UNIT_R,
            replace(CONTACT, email="ketoan2@abc.vn"),
            new=world.unit_r_new,
            old=world.unit_r,
            key=first["idempotency_key"],
        )
        status, conflict = await submit(s, base, token, UNIT_R.ma_dvi, other)
        assert status == 409
        _error(conflict, "IDEMPOTENCY_CONFLICT")
        # under a known key, a body that fails the checks is a conflict too (not an error of its own)
        for bad in (b"<Hoso>not signed</Hoso>", body.replace(b"<MaSoBHXH>", b"<MaSoBHXH>X", 1)):
            status, conflict = await submit(s, base, token, UNIT_R.ma_dvi, bad, first["idempotency_key"])
            assert status == 409, conflict
            _error(conflict, "IDEMPOTENCY_CONFLICT")


async def test_twenty_concurrent_identical_submissions_make_one_transaction(world: World, base: str) -> None:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as s:
        token = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
        body = signed_dossier(UNIT_R, CONTACT, new=world.unit_r_new, old=world.unit_r)
        results = await asyncio.gather(*(submit(s, base, token, UNIT_R.ma_dvi, body) for _ in range(20)))
        statuses = Counter(status for status, _ in results)
        assert statuses == {202: 1, 200: 19}, statuses
        assert len({tx["ma_gdich"] for _, tx in results}) == 1
        key = results[0][1]["idempotency_key"]
        status, page = await get_json(s, f"{base}/units/{UNIT_R.ma_dvi}/transactions?limit=200", token)
        assert status == 200
        assert sum(1 for tx in page["items"] if tx["idempotency_key"] == key) == 1


async def test_history_is_newest_first_with_cursor(world: World, base: str) -> None:
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
        made = []
        for _ in range(5):
            body = signed_dossier(UNIT_R, CONTACT, new=world.unit_r_new, old=world.unit_r)
            status, tx = await submit(s, base, token, UNIT_R.ma_dvi, body)
            assert status == 202
            made.append(tx["ma_gdich"])
        seen: list[str] = []
        url = f"{base}/units/{UNIT_R.ma_dvi}/transactions?limit=2"
        while True:
            status, page = await get_json(s, url, token)
            assert status == 200 and len(page["items"]) <= 2
            seen += [tx["ma_gdich"] for tx in page["items"]]
            if page["next"] is None:
                break
            url = f"{base}/units/{UNIT_R.ma_dvi}/transactions?limit=2&before={page['next']}"
        assert seen[:5] == made[::-1]
        assert len(seen) == len(set(seen))
        status, _ = await get_json(s, f"{base}/units/{UNIT_R.ma_dvi}/transactions?limit=abc", token)
        assert status == 400


async def test_transaction_and_receipt_access(world: World, base: str) -> None:
    async with aiohttp.ClientSession() as s:
        token_r = await login(s, base, UNIT_R.ma_dvi, world.unit_r)
        token_b = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
        body = signed_dossier(UNIT_R, CONTACT, new=world.unit_r_new, old=world.unit_r)
        status, tx = await submit(s, base, token_r, UNIT_R.ma_dvi, body)
        assert status == 202
        url = f"{base}/transactions/{tx['ma_gdich']}"
        status, err = await get_json(s, url, token_b)
        assert status == 403
        _error(err, "FORBIDDEN")
        status, err = await get_json(s, f"{url}/receipt", token_b)
        assert status == 403
        status, err = await get_json(s, f"{base}/transactions/GD000000000000", token_r)
        assert status == 404
        _error(err, "NOT_FOUND")
        status, err = await get_json(s, f"{base}/transactions/GD000000000000/receipt", token_r)
        assert status == 404


async def test_token_of_one_unit_cannot_read_or_submit_for_another(world: World, base: str) -> None:
    async with aiohttp.ClientSession() as s:
        token_b = await login(s, base, UNIT_B.ma_dvi, world.unit_b)
        for path in ("registration", "transactions", "events"):
            status, err = await get_json(s, f"{base}/units/{UNIT_A.ma_dvi}/{path}", token_b)
            assert status == 403, path
            _error(err, "FORBIDDEN")
        body = signed_dossier(UNIT_A, CONTACT, new=world.new, old=world.registered)
        status, err = await submit(s, base, token_b, UNIT_A.ma_dvi, body)
        assert status == 403
        # the dossier's MA_DVI differs from the path (and the token's unit)
        status, err = await submit(s, base, token_b, UNIT_B.ma_dvi, body)
        assert status == 403
        _error(err, "FORBIDDEN")


async def test_missing_or_bad_token_is_401(base: str) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{base}/units/{UNIT_A.ma_dvi}/registration") as r:
            assert r.status == 401
            _error(await r.json(), "UNAUTHORIZED")
        status, _ = await get_json(s, f"{base}/units/{UNIT_A.ma_dvi}/registration", "not-a-token")
        assert status == 401


async def test_auth_rules(world: World, base: str) -> None:
    async with aiohttp.ClientSession() as s:
        # unknown fields ignored
        async with s.post(f"{base}/auth/challenge", json={"ma_dvi": UNIT_A.ma_dvi, "x": 1}) as r:
            assert r.status == 200
            challenge = (await r.json())["challenge"]
        assert len(base64.b64decode(challenge)) == 32
        status, data = await token_request(s, base, UNIT_A.ma_dvi, world.registered, challenge=challenge)
        assert status == 200 and data["expires_in"] == 900
        # single use
        status, err = await token_request(s, base, UNIT_A.ma_dvi, world.registered, challenge=challenge)
        assert status == 401
        _error(err, "AUTH_FAILED")
        # a certificate of another unit (MST differs)
        status, err = await token_request(s, base, UNIT_A.ma_dvi, world.unit_b)
        assert status == 401
        # a look-alike certificate from an untrusted CA
        rogue = pki.issue(world.rogue_ca, mst=UNIT_A.mst, key_index=2)
        status, err = await token_request(s, base, UNIT_A.ma_dvi, rogue)
        assert status == 401
        # an expired certificate of the unit
        old = pki.issue(world.ca, mst=UNIT_A.mst, not_before=pki.now() - dt.timedelta(days=400), days=30)
        status, err = await token_request(s, base, UNIT_A.ma_dvi, old)
        assert status == 401
        # a signature by another key than the certificate's
        async with s.post(f"{base}/auth/challenge", json={"ma_dvi": UNIT_A.ma_dvi}) as r:
            challenge = (await r.json())["challenge"]
        body = {
            "ma_dvi": UNIT_A.ma_dvi,
            "challenge": challenge,
            "certificate": base64.b64encode(world.registered.der).decode(),
            "signature": sign_challenge(challenge, world.unit_b),
        }
        async with s.post(f"{base}/auth/token", json=body) as r:
            assert r.status == 401
        # missing field, not JSON, unknown unit
        async with s.post(f"{base}/auth/token", json={"ma_dvi": UNIT_A.ma_dvi}) as r:
            assert r.status == 400
            _error(await r.json(), "BAD_REQUEST")
        async with s.post(f"{base}/auth/challenge", data=b"{not json") as r:
            assert r.status == 400
        async with s.post(f"{base}/auth/challenge", json={"ma_dvi": "ZZ9999Z"}) as r:
            assert r.status == 404
            _error(await r.json(), "UNIT_NOT_FOUND")


async def test_unknown_route_and_method_are_json_errors(base: str) -> None:
    async with aiohttp.ClientSession() as s:
        async with s.get(f"{base}/nothing-here") as r:
            assert r.status == 404
            _error(await r.json(), "NOT_FOUND")
        async with s.delete(f"{base}/health") as r:
            assert r.status == 405
            _error(await r.json(), "METHOD_NOT_ALLOWED")
