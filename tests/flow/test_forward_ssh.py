"""The README's SSH set-up, for real, on loopback: a throwaway sshd (its own host key, an authorised user key and
config in a temporary directory, a free port), ``p11-kit server`` on "the user's machine" serving the flow's
SoftHSM token, and ``ssh -R`` carrying its socket to ``$XDG_RUNTIME_DIR/p11-kit/pkcs11`` on "the server", where
ibhxh runs with no token configuration at all and finds the token by itself. Closing SSH is an unplug."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.flow.conftest import PIN, Flow, without_softhsm
from tests.support.cli import run_ibhxh
from tests.support.p11kit_server import P11KitServer, client_only_root

SSHD = Path("/usr/sbin/sshd")


def sshd_unavailable() -> str | None:
    """Why sshd cannot run here, in words, or None."""
    if os.geteuid() != 0:
        uid = os.geteuid()
        return f"sshd must be started as root (it changes to the logged-in user itself); the tests run as uid {uid}"
    if not SSHD.exists() or shutil.which("ssh") is None or shutil.which("ssh-keygen") is None:
        return "openssh-server and openssh-client are not installed (scripts/bootstrap.sh installs them)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Sshd:
    dir: Path
    port: int

    def ssh(self, *args: str) -> list[str]:
        """The ssh command line of "the user" for this server, before the forwarding options and the command."""
        return [
            "ssh",
            "-F",
            "/dev/null",
            "-i",
            str(self.dir / "user_key"),
            "-o",
            f"UserKnownHostsFile={self.dir / 'known_hosts'}",
            "-o",
            "StrictHostKeyChecking=accept-new",
            "-o",
            "BatchMode=yes",
            "-o",
            "ExitOnForwardFailure=yes",
            "-p",
            str(self.port),
            *args,
        ]


@pytest.fixture
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    reason = sshd_unavailable()
    if reason is not None:
        pytest.skip(reason)
    d = tmp_path_factory.mktemp("sshd")
    for key in ("host_key", "user_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(d / key)], check=True)
    (d / "authorized_keys").write_text((d / "user_key.pub").read_text())
    port = free_port()
    (d / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {d / 'host_key'}\nPidFile {d / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {d / 'authorized_keys'}\nPubkeyAuthentication yes\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nUsePAM no\nStrictModes no\n"
        "AllowStreamLocalForwarding yes\nStreamLocalBindUnlink yes\n"
    )
    # sshd's privilege-separation directory; the packaged service creates it when it starts, this one does not
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = (d / "sshd.log").open("w")
    proc = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(d / "sshd_config")], stderr=log, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while "Server listening" not in (d / "sshd.log").read_text():
            assert proc.poll() is None, (d / "sshd.log").read_text()
            assert time.monotonic() < deadline, "sshd did not start"
            time.sleep(0.05)
        yield Sshd(d, port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


def test_token_forwarded_with_ssh_R(flow: Flow, sshd: Sshd, tmp_path_factory: pytest.TempPathFactory) -> None:
    base = tmp_path_factory.mktemp("fw")
    without_softhsm(flow)
    # the user's machine: p11-kit server with the token
    server = P11KitServer(base / "user.sock", flow.home / "data" / "demo" / "softhsm2.conf")
    local = server.start()
    # the server: a runtime directory for the forwarded socket, a module tree with p11-kit-client.so only
    runtime = base / "run"
    (runtime / "p11-kit").mkdir(parents=True)
    remote_socket = runtime / "p11-kit" / "pkcs11"
    env = {
        "IBHXH_HOME": str(flow.home),
        "IBHXH_PKCS11_ROOT": str(client_only_root(base / "root")),
        "XDG_RUNTIME_DIR": str(runtime),  # no P11_KIT_SERVER_ADDRESS: the default socket is found
        "HOME": str(base / "home"),
    }

    def remote(*args: str) -> str:
        return shlex.join(["env", *(f"{k}={v}" for k, v in env.items()), sys.executable, "-m", "tui_ibhxh", *args])

    forward = ["-R", f"{remote_socket}:{local.removeprefix('unix:path=')}", "root@127.0.0.1"]
    try:

        def over_ssh(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
            cmd = sshd.ssh(*forward, remote(*args))
            return subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120, check=False)

        tokens = over_ssh("tokens", "--json")
        assert tokens.returncode == 0, tokens.stderr + (sshd.dir / "sshd.log").read_text()
        [token] = json.loads(tokens.stdout)
        assert token["label"] == "DEMO TOKEN" and token["forwarded"] is True
        certs = json.loads(over_ssh("certs", "--json").stdout)
        assert [c["serial"] for c in certs if c["usable"]] == [flow.new_serial]
        submitted = over_ssh("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--wait", stdin=PIN + "\n")
        assert submitted.returncode == 0, submitted.stderr
        assert "Chấp nhận (Thành công)" in submitted.stdout + submitted.stderr

        # SSH closed: the forwarded socket stays behind on the server, dead; the token is gone, and it is said
        after = run_ibhxh("tokens", env={**flow.env(), **env})
        assert remote_socket.exists()
        assert after.returncode == 0 and "Không có token nào được cắm." in after.stdout, after.stdout + after.stderr
        assert "Chưa thấy token nào trên máy của bạn qua SSH" in after.stderr, after.stderr
    finally:
        server.stop()
