"""``ibhxh sim serve`` options: --seed-cert + --trust register the demo unit; --seed demo needs the demo;
rate limits and the token lifetime come from options or the TOML file."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import aiohttp
import click
import pytest

from tests.support import pki
from tests.support.sim_server import REPO, SimProcess, get_json, login
from tui_ibhxh.commands import sim
from tui_ibhxh.demo import DEMO_CONTACT, DEMO_UNIT
from tui_ibhxh.ivan_sim.config import load_toml
from tui_ibhxh.services.paths import app_paths


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[pki.Issued, str]]:
    ca = pki.make_ca("Seed CA")
    cert = pki.issue(ca, mst=DEMO_UNIT.mst, key_index=1)
    pki.write_pem(tmp_path / "ca.pem", ca)
    pki.write_pem(tmp_path / "registered.pem", cert)
    args = ("--seed-cert", str(tmp_path / "registered.pem"), "--trust", str(tmp_path / "ca.pem"))
    proc = SimProcess(None, tmp_path / "sim.sqlite3", extra_args=args)
    yield cert, proc.start()
    proc.stop()


async def test_seed_cert_registers_the_demo_unit(seeded: tuple[pki.Issued, str]) -> None:
    cert, base = seeded
    async with aiohttp.ClientSession() as s:
        token = await login(s, base, DEMO_UNIT.ma_dvi, cert)
        status, reg = await get_json(s, f"{base}/units/{DEMO_UNIT.ma_dvi}/registration", token)
    assert status == 200
    assert (reg["ma_dvi"], reg["mst"], reg["ten_dvi"]) == ("TA1234A", "0101234565", "Công ty TNHH ABC")
    assert reg["co_quan_bhxh"] == {"ma": "903", "ten": "BHXH cơ sở Cầu Giấy"}
    assert reg["contact"]["email"] == DEMO_CONTACT.email and reg["version"] == 1
    assert reg["certificate"]["serial"] == cert.info.serial


def test_seed_demo_without_a_demo_says_what_to_do(tmp_path: Path) -> None:
    env = dict(os.environ, IBHXH_HOME=str(tmp_path / "home"))
    if env.get("IBHXH_SIM_ENTRY") == "module":
        cmd = [sys.executable, "-m", "tui_ibhxh.ivan_sim", "--lang", "en", "serve"]
    else:
        cmd = [sys.executable, "-m", "tui_ibhxh", "--lang", "en", "sim", "serve"]
    res = subprocess.run(
        [*cmd, "--port", "0", "--seed", "demo"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert res.returncode == 1
    assert "ibhxh demo --provision-only" in res.stderr
    assert "Traceback" not in res.stderr


def test_limits_and_token_lifetime_from_options_and_toml(tmp_path: Path) -> None:
    paths = app_paths(home=tmp_path / "home")

    def parse(*argv: str) -> SimpleNamespace:
        return SimpleNamespace(**sim.run_serve.make_context("serve", [*argv]).params)

    serve = ["--db", str(tmp_path / "sim.sqlite3")]
    cfg = sim.build_config(parse(*serve), paths)
    assert (cfg.rate_burst, cfg.auth_rate_burst, cfg.token_ttl) == (300, 60, 900.0)  # the defaults
    options = ["--rate-limit", "9,2", "--auth-rate-limit", "7,0.5", "--token-ttl", "30"]
    cfg = sim.build_config(parse(*serve, *options), paths)
    assert (cfg.rate_burst, cfg.rate_per_second, cfg.auth_rate_burst, cfg.auth_rate_per_second) == (9, 2.0, 7, 0.5)
    assert cfg.token_ttl == 30.0
    for bad in ("0", "-5", "nan", "x"):
        with pytest.raises(click.BadParameter):
            parse(*serve, "--token-ttl", bad)
    toml = tmp_path / "sim.toml"
    toml.write_text("auth_rate_limit = [11, 1.5]\ntoken_ttl = 2.5\n", encoding="utf-8")
    cfg = load_toml(toml)
    assert (cfg.auth_rate_burst, cfg.auth_rate_per_second, cfg.token_ttl) == (11, 1.5, 2.5)
