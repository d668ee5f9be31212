"""The I-VAN simulator as a real subprocess for tests, a small software PKI world, and client helpers.

Usage::

    world = make_world(tmp_path)                       # CA, certificates, sim.toml with the test units
    server = SimProcess(world.toml, tmp_path / "sim.sqlite3", delays=(0, 0))
    base = server.start()                              # "http://127.0.0.1:PORT/api/v1"
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, UNIT_A.ma_dvi, world.registered)
        body = signed_dossier(world, UNIT_A, CONTACT, new=world.new, old=world.registered)
        status, data = await submit(s, base, token, UNIT_A.ma_dvi, body)
    server.kill()                                      # SIGKILL; start() again on the same db
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os
import re
import select
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from tests.support import pki
from tui_ibhxh.core.dossier import CertSummary, ChangeDossier
from tui_ibhxh.core.envelope import sign_dossier, stored_form
from tui_ibhxh.core.models import Contact, Unit

REPO = Path(__file__).resolve().parents[2]
URL_RE = re.compile(r"^(http://\S+)\n")  # the first line of the simulator's stdout: the address it took

UNIT_A = Unit("TA1234A", "0101234565", "Công ty TNHH ABC", "Hà Nội", "BHXH cơ sở Cầu Giấy")
UNIT_B = Unit("TB5678B", "0309876547", "Công ty Cổ phần XYZ", "TP. Hồ Chí Minh", "BHXH cơ sở Sài Gòn")
UNIT_R = Unit("TR0001R", "0100000010", "Công ty TNHH Từ Chối", "Hà Nội", "BHXH cơ sở Ba Đình")
CONTACT = Contact("Số 1 Trần Duy Hưng, Cầu Giấy, Hà Nội", "0912345678", "ketoan@abc.vn", "Nguyễn Văn A")
REVOKED_SERIAL = 0x5A17C0DE


@dataclass(frozen=True)
class World:
    dir: Path
    toml: Path
    ca: pki.Issued
    rogue_ca: pki.Issued  # not trusted by the simulator
    registered: pki.Issued  # unit A's certificate on record (expires in 7 days)
    new: pki.Issued  # unit A's new certificate
    unit_b: pki.Issued  # unit B's certificate on record
    unit_r: pki.Issued  # unit R's certificate on record
    unit_r_new: pki.Issued
    extra: dict[str, pki.Issued] = field(default_factory=dict)


def _unit_toml(u: Unit, cert: str) -> str:
    return (
        f'[[units]]\nma_dvi = "{u.ma_dvi}"\nmst = "{u.mst}"\nten_dvi = "{u.ten_dvi}"\n'
        f'diadiem = "{u.diadiem}"\n'
        f'co_quan_bhxh = "{u.co_quan_bhxh}"\ndiachi_lhe = "{CONTACT.diachi_lhe}"\n'
        f'dien_thoai = "{CONTACT.dien_thoai}"\nemail = "{CONTACT.email}"\nnguoi_lhe = "{CONTACT.nguoi_lhe}"\n'
        f'cert = "{cert}"\n\n'
    )


def make_world(d: Path, *, units: tuple[Unit, ...] = (UNIT_A, UNIT_B, UNIT_R), settings: str = "") -> World:
    """The PKI and ``sim.toml`` of the test units; ``settings``: more top-level TOML lines (e.g.
    ``token_ttl = 2``; a simulator that does not know a key ignores it)."""
    d.mkdir(parents=True, exist_ok=True)
    now = pki.now()
    ca = pki.make_ca("Test Root CA (sim)")
    rogue = pki.make_ca("Rogue CA", key_index=4)
    registered = pki.issue(ca, mst=UNIT_A.mst, key_index=1, not_before=now - dt.timedelta(days=358), days=365)
    new = pki.issue(ca, mst=UNIT_A.mst, key_index=2, days=730)
    unit_b = pki.issue(ca, cn="CONG TY CO PHAN XYZ", o="Công ty Cổ phần XYZ", mst=UNIT_B.mst, key_index=3)
    unit_r = pki.issue(ca, cn="CONG TY TU CHOI", o="Công ty TNHH Từ Chối", mst=UNIT_R.mst, key_index=5)
    unit_r_new = pki.issue(ca, cn="CONG TY TU CHOI", o="Công ty TNHH Từ Chối", mst=UNIT_R.mst, key_index=6)
    pki.write_pem(d / "ca.pem", ca)
    certs = {UNIT_A.ma_dvi: registered, UNIT_B.ma_dvi: unit_b, UNIT_R.ma_dvi: unit_r}
    text = f'trust = ["ca.pem"]\nrevoked = ["{REVOKED_SERIAL:X}"]\n{settings}\n\n'
    for u in units:
        pki.write_pem(d / f"{u.ma_dvi}.pem", certs[u.ma_dvi])
        text += _unit_toml(u, f"{u.ma_dvi}.pem")
    toml = d / "sim.toml"
    toml.write_text(text, encoding="utf-8")
    return World(d, toml, ca, rogue, registered, new, unit_b, unit_r, unit_r_new)


class SimProcess:
    """``python -m tui_ibhxh sim serve --port 0 ...`` in a subprocess, restartable on the same database."""

    def __init__(
        self,
        toml: Path | None,
        db: Path,
        *,
        delays: tuple[float, float] = (0, 0),
        heartbeat: float = 0.5,
        rate_limit: tuple[int, float] | None = None,
        auth_rate_limit: tuple[int, float] | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.toml, self.db = toml, db
        self.args = [
            "--delays",
            f"{delays[0]},{delays[1]}",
            "--heartbeat",
            str(heartbeat),
            *(["--rate-limit", f"{rate_limit[0]},{rate_limit[1]}"] if rate_limit else []),
            *(["--auth-rate-limit", f"{auth_rate_limit[0]},{auth_rate_limit[1]}"] if auth_rate_limit else []),
            *extra_args,
        ]
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""
        self.log = db.with_suffix(".log")

    def start(self, timeout: float = 20.0) -> str:
        env = dict(os.environ, PYTHONUNBUFFERED="1", IBHXH_HOME=str(self.db.parent / "home"))
        env.pop("IBHXH_CONFIG", None)
        # IBHXH_SIM_ENTRY=module: ``python -m tui_ibhxh.ivan_sim`` (the simulator without the other commands)
        if os.environ.get("IBHXH_SIM_ENTRY") == "module":
            cmd = [sys.executable, "-m", "tui_ibhxh.ivan_sim", "--lang", "en", "serve", "--host", "127.0.0.1"]
        else:
            cmd = [sys.executable, "-m", "tui_ibhxh", "--lang", "en", "sim", "serve", "--host", "127.0.0.1"]
        cmd += ["--port", "0", "--db", str(self.db), *self.args]
        if self.toml is not None:
            cmd += ["--sim-config", str(self.toml)]
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log
            )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        buf = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                buf += chunk
                m = URL_RE.search(buf.decode("utf-8", "replace"))
                if m:
                    self.base = m.group(1) + "/api/v1"
                    return self.base
            elif self.proc.poll() is not None:
                break
        self.kill()
        raise RuntimeError(f"simulator did not start: {buf!r}\n{self.log.read_text(errors='replace')}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        code = self.proc.returncode
        self.proc = None
        return code


# --- dossiers -----------------------------------------------------------------------------------------------
def change_dossier(
    unit: Unit, contact: Contact, *, new: pki.Issued, old: pki.Issued, key: str | None = None
) -> ChangeDossier:
    return ChangeDossier(
        unit=unit,
        contact=contact,
        ngay_lap=dt.date.today(),
        ten_ivan="I-VAN simulator",
        new_cert=CertSummary.from_cert(new.info),
        old_cert=CertSummary.from_cert(old.info),
        ma_yeucau=key or str(uuid.uuid4()),
    )


MA_IVAN = "00099"  # the simulator's I-VAN code in the envelopes tests send


def signed_dossier(
    unit: Unit,
    contact: Contact,
    *,
    new: pki.Issued,
    old: pki.Issued,
    signer: pki.Issued | None = None,
    key: str | None = None,
    **changes: Any,
) -> bytes:
    """The envelope of a form registering ``new`` instead of ``old``, both signed with ``signer`` (default
    ``new``). ``changes`` replace fields of the ChangeDossier (e.g. ``new_cert=...``)."""
    d = replace(change_dossier(unit, contact, new=new, old=old, key=key), **changes)
    return sign_dossier(d, pki.SoftwareSigner(signer or new), ma_ivan=MA_IVAN)


def dossier_key(body: bytes) -> str:
    """The request key (MA_YEUCAU) of the form inside an envelope."""
    return stored_form(body).ma_yeucau


# --- client -------------------------------------------------------------------------------------------------
def sign_challenge(challenge: str, issued: pki.Issued) -> str:
    sig = issued.key.sign(base64.b64decode(challenge), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(sig).decode()


async def token_request(
    s: aiohttp.ClientSession, base: str, ma_dvi: str, issued: pki.Issued, *, challenge: str | None = None
) -> tuple[int, dict[str, Any]]:
    if challenge is None:
        async with s.post(f"{base}/auth/challenge", json={"ma_dvi": ma_dvi}) as r:
            assert r.status == 200, await r.text()
            challenge = (await r.json())["challenge"]
    body = {
        "ma_dvi": ma_dvi,
        "challenge": challenge,
        "certificate": base64.b64encode(issued.der).decode(),
        "signature": sign_challenge(challenge, issued),
    }
    async with s.post(f"{base}/auth/token", json=body) as r:
        return r.status, await r.json()


async def login(s: aiohttp.ClientSession, base: str, ma_dvi: str, issued: pki.Issued) -> str:
    status, data = await token_request(s, base, ma_dvi, issued)
    assert status == 200, data
    return str(data["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def submit(
    s: aiohttp.ClientSession, base: str, token: str, ma_dvi: str, body: bytes, key: str | None = None
) -> tuple[int, dict[str, Any]]:
    headers = {
        **bearer(token),
        "Content-Type": "application/xml",
        "Idempotency-Key": key or dossier_key(body),
    }
    async with s.post(f"{base}/units/{ma_dvi}/dossiers", data=body, headers=headers) as r:
        return r.status, json.loads(await r.text())


async def get_json(s: aiohttp.ClientSession, url: str, token: str) -> tuple[int, Any]:
    async with s.get(url, headers=bearer(token)) as r:
        return r.status, json.loads(await r.text())


async def wait_final(
    s: aiohttp.ClientSession, base: str, token: str, ma_gdich: str, timeout: float = 15.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        status, tx = await get_json(s, f"{base}/transactions/{ma_gdich}", token)
        assert status == 200, tx
        if tx["status"] in ("ACCEPTED", "REJECTED"):
            return dict(tx)
        if time.monotonic() > deadline:
            raise AssertionError(f"{ma_gdich} still {tx['status']}")
        await asyncio.sleep(0.05)
