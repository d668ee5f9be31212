"""A real ``p11-kit server`` serving a SoftHSM token store on a unix socket (the user's machine, in the SSH
forwarding tests), and a module tree where discovery finds ``p11-kit-client.so`` and nothing else.

``p11-kit server`` daemonises (it leads its own session) and forks one ``p11-kit-remote`` per connection; it keeps
the caller's stdout, so its output goes to a file. Stopping it kills the whole session, connections included:
what the client sees when the SSH session closes.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from tui_ibhxh.demo import SOFTHSM_MODULE
from tui_ibhxh.services.p11kit import CLIENT_MODULE, Places


class P11KitServer:
    """``start()`` / ``stop()`` as often as needed, always on the same socket."""

    def __init__(self, socket: Path, softhsm2_conf: Path) -> None:
        self.socket = socket
        self.softhsm2_conf = softhsm2_conf
        self.pid: int | None = None

    @property
    def address(self) -> str:
        return f"unix:path={self.socket}"

    def start(self, timeout: float = 10) -> str:
        assert self.pid is None, "already running"
        self.socket.unlink(missing_ok=True)
        out = self.socket.with_name(self.socket.name + ".out")
        env = {k: v for k, v in os.environ.items() if k != "P11_KIT_SERVER_ADDRESS"}
        env["SOFTHSM2_CONF"] = str(self.softhsm2_conf)
        provider = os.path.realpath(SOFTHSM_MODULE)
        with out.open("w") as fh:  # never a pipe: the daemon keeps it open
            cmd = ["p11-kit", "server", "--provider", provider, "-n", str(self.socket), "pkcs11:"]
            subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, check=True)
        printed = out.read_text()
        found = re.search(r"P11_KIT_SERVER_PID=(\d+);", printed)
        assert found is not None, printed
        self.pid = int(found.group(1))
        deadline = time.monotonic() + timeout
        while not self.socket.exists():
            assert time.monotonic() < deadline, f"p11-kit server did not listen on {self.socket}: {printed}"
            time.sleep(0.05)
        return self.address

    def stop(self, timeout: float = 10) -> None:
        """Kill the server and its connections, and wait until they are gone."""
        if self.pid is None:
            return
        pid, self.pid = self.pid, None
        try:
            os.killpg(pid, signal.SIGTERM)  # the daemon's session: the listener and every p11-kit-remote
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while _alive(pid) or any(_alive(child) for child in _session(pid)):
            assert time.monotonic() < deadline, "p11-kit server did not stop"
            time.sleep(0.05)
        self.socket.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _session(sid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[3]) == sid:  # the session id
                found.append(int(entry.name))
    return found


def client_only_root(root: Path) -> Path:
    """A tree standing for ``/`` (IBHXH_PKCS11_ROOT) whose module directory holds only the real
    p11-kit-client.so: no SoftHSM, no OpenSC, no registry. Returns ``root``."""
    client = Places.from_env({}).module_dir / CLIENT_MODULE
    assert client.exists(), "bootstrap installs p11-kit-modules"
    moddir = Places.from_env({"IBHXH_PKCS11_ROOT": str(root)}).module_dir
    moddir.mkdir(parents=True, exist_ok=True)
    (moddir / CLIENT_MODULE).symlink_to(client)
    return root
