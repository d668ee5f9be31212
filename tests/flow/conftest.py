"""A private copy of the demo (its own SoftHSM token store, config and journal) and a simulator process
seeded with the demo unit, for each test of the whole procedure."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import DemoEnv
from tests.support.cli import run_ibhxh
from tests.support.p11kit_server import P11KitServer, client_only_root
from tests.support.sim_server import SimProcess
from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.services.config import load_config
from tui_ibhxh.services.ivan_client import IvanClient
from tui_ibhxh.services.journal import Journal
from tui_ibhxh.services.token import service_from_config
from tui_ibhxh.services.workflow import UpdateWorkflow

DEMO_PIN = "123456"
# the copies get their own PIN: the demo PIN is a substring of the demo MST, useless to detect a leak
PIN = "73918246"


@dataclass
class Flow:
    home: Path
    sim: SimProcess
    new_serial: str
    registered_serial: str

    @property
    def config(self) -> Path:
        return self.home / "config" / "config.toml"

    @property
    def journal(self) -> Path:
        return self.home / "data" / "journal.sqlite3"

    def point_at(self, base_api: str) -> None:
        """Make the config's [ivan] url the given server (``http://host:port/api/v1`` or without the suffix)."""
        url = base_api.removesuffix("/api/v1")
        lines = self.config.read_text(encoding="utf-8").splitlines()
        lines = [f'url = "{url}"' if line.startswith("url = ") else line for line in lines]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in ("IBHXH_CONFIG", "SOFTHSM2_CONF")}
        env["IBHXH_HOME"] = str(self.home)
        return env

    def run(self, *args: str, input: str | None = None, timeout: float = 90) -> subprocess.CompletedProcess[str]:
        """``ibhxh ARGS`` on this flow's home."""
        return run_ibhxh(*args, env=self.env(), input=input, timeout=timeout)

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """``ibhxh ARGS`` left running (stdout/stderr piped, text), the PIN given on its stdin."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "tui_ibhxh", *args],
            env=self.env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert proc.stdin is not None
        proc.stdin.write(PIN + "\n")
        proc.stdin.close()
        return proc


@asynccontextmanager
async def workflow(flow: Flow) -> AsyncIterator[UpdateWorkflow]:
    """The procedure in-process on the flow's config (token service, journal, I-VAN client), closed after."""
    cfg = load_config(flow.config)
    tokens, journal, client = service_from_config(cfg), Journal(flow.journal), IvanClient(cfg.ivan.url)
    try:
        yield UpdateWorkflow(cfg, tokens=tokens, journal=journal, client=client)
    finally:
        await client.close()
        journal.close()
        tokens.close()


def copy_demo(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst)
    for path in (dst / "config" / "config.toml", dst / "data" / "demo" / "softhsm2.conf"):
        path.write_text(path.read_text(encoding="utf-8").replace(str(src), str(dst)), encoding="utf-8")
    for stale in (dst / "data" / "journal.sqlite3",):
        stale.unlink(missing_ok=True)
    env = dict(os.environ, SOFTHSM2_CONF=str(dst / "data" / "demo" / "softhsm2.conf"))
    subprocess.run(
        [
            "pkcs11-tool",
            "--module",
            "/usr/lib/softhsm/libsofthsm2.so",
            "--token-label",
            "DEMO TOKEN",
            "--login",
            "--pin",
            DEMO_PIN,
            "--change-pin",
            "--new-pin",
            PIN,
        ],
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def flow(demo_env: DemoEnv, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flow]:
    home = tmp_path / "home"  # SimProcess gives the simulator IBHXH_HOME=<db dir>/home: the same demo
    copy_demo(demo_env.home, home)
    marker = request.node.get_closest_marker("sim_args")
    extra = tuple(marker.args) if marker else ()
    delays = request.node.get_closest_marker("sim_delays")
    sim = SimProcess(
        None,
        tmp_path / "sim.sqlite3",
        delays=delays.args if delays else (0, 0),
        extra_args=("--seed", "demo", *extra),
    )
    m = demo_env.material
    f = Flow(home, sim, parse_certificate(m.new_cert_der).serial, parse_certificate(m.registered_cert_der).serial)
    f.point_at(sim.start())
    try:
        yield f
    finally:
        sim.stop()


@dataclass
class Forward:
    """The flow's token on "the user's machine", reached through a real p11-kit server."""

    flow: Flow
    server: P11KitServer


def without_softhsm(flow: Flow) -> None:
    """The flow's config without its token settings: the app on "the server" has no module and no SoftHSM."""
    lines = flow.config.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith(("modules =", "softhsm2_conf ="))]
    flow.config.write_text("\n".join(kept) + "\n", encoding="utf-8")


@pytest.fixture
def forwarded(flow: Flow, p11kit_socket: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Forward]:
    """The flow with its token served by ``p11-kit server``; the app side has no SoftHSM configuration at all (no
    module in its config, no SOFTHSM2_CONF, discovery finds only p11-kit-client.so) and P11_KIT_SERVER_ADDRESS
    set, as after ``ssh -R``."""
    without_softhsm(flow)
    server = P11KitServer(p11kit_socket, flow.home / "data" / "demo" / "softhsm2.conf")
    monkeypatch.setenv("P11_KIT_SERVER_ADDRESS", server.start())
    monkeypatch.setenv("IBHXH_PKCS11_ROOT", str(client_only_root(tmp_path / "server-root")))
    monkeypatch.delenv("SOFTHSM2_CONF", raising=False)
    try:
        yield Forward(flow, server)
    finally:
        server.stop()
