"""Shared fixtures. Every test runs with IBHXH_HOME pointing into its own temporary directory, so no test
ever reads or writes the real home directory. The demo (SoftHSM token + demo CA) is provisioned once per
session, by the real command, into a session temporary directory."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.cli import run_ibhxh

if TYPE_CHECKING:
    from tui_ibhxh.demo import DemoMaterial

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def pkcs11_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """PKCS#11 module discovery never sees what this machine has installed: an empty tree stands for ``/``
    (``IBHXH_PKCS11_ROOT``), the home has no ``~/.config/pkcs11``, no token is forwarded over SSH and pcscd is
    not there. Tests that need modules build them under a root of their own."""
    base = tmp_path_factory.mktemp("pkcs11-host")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("IBHXH_PKCS11_ROOT", str(base / "root"))
        mp.setenv("HOME", str(base / "home"))
        mp.setenv("XDG_RUNTIME_DIR", str(base / "run"))
        mp.delenv("P11_KIT_SERVER_ADDRESS", raising=False)
        mp.delenv("PCSCLITE_CSOCK_NAME", raising=False)
        yield base


@pytest.fixture(scope="session")
def p11kit_socket(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One socket path for the whole run, whichever test asks first: python-pkcs11 loads p11-kit-client.so once
    per process, and the client takes the server address when it is loaded."""
    path = tmp_path_factory.getbasetemp() / "p11kit" / "pkcs11"
    path.parent.mkdir(exist_ok=True)
    return path


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "ibhxh-home"
    monkeypatch.setenv("IBHXH_HOME", str(home))
    monkeypatch.delenv("IBHXH_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    return home


@dataclass(frozen=True)
class DemoEnv:
    home: Path
    env: dict[str, str]

    @property
    def material(self) -> DemoMaterial:
        from tui_ibhxh.demo import demo_material
        from tui_ibhxh.services.paths import app_paths

        return demo_material(app_paths({"IBHXH_HOME": str(self.home)}))

    def run(self, *args: str, input: str | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """``ibhxh ARGS`` on this demo home."""
        return run_ibhxh(*args, env=self.env, input=input, timeout=timeout)


@pytest.fixture(scope="session")
def demo_env(tmp_path_factory: pytest.TempPathFactory, pkcs11_host: Path) -> Iterator[DemoEnv]:
    """A provisioned demo home. The process-wide SOFTHSM2_CONF points at its token store, so in-process
    token tests see the demo token (python-pkcs11 loads SoftHSM once per process)."""
    home = tmp_path_factory.mktemp("demo-home")
    env = {k: v for k, v in os.environ.items() if k not in ("IBHXH_CONFIG",)}
    env["IBHXH_HOME"] = str(home)
    res = run_ibhxh("demo", "--provision-only", env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    conf = home / "data" / "demo" / "softhsm2.conf"
    os.environ["SOFTHSM2_CONF"] = str(conf)
    env["SOFTHSM2_CONF"] = str(conf)
    yield DemoEnv(home=home, env=env)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sim_args(*args): extra `ibhxh sim serve` arguments (flow fixture)")
    config.addinivalue_line("markers", "sim_delays(a, b): lifecycle delays of the simulator (flow fixture)")
