"""The README's "Try it without make" block, run as written (bash, on loopback): it works whatever port is busy,
writes nothing into the checkout, and the demo certificate's expiry it states is what the app shows."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.foundation.test_demo_data import readme_expiry_days
from tests.support.cli import run_ibhxh

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"


def try_it_block(readme: str) -> str:
    """The bash block that follows "Try it without `make`"."""
    match = re.search(r"Try it without `make`.*?```bash\n(.*?)```", readme, re.DOTALL)
    assert match is not None, "README.md has no 'Try it without make' bash block"
    return match.group(1)


def _untracked() -> set[str]:
    res = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return {line[3:] for line in res.stdout.splitlines() if line.startswith("??")}


@pytest.fixture
def port_8765_busy() -> Iterator[None]:
    """The port the README used to name, held by someone else (as on a shared machine) when it is free."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            holder.bind(("127.0.0.1", 8765))
            holder.listen()
        except OSError:
            pass  # already busy: just as good
        yield


@pytest.mark.usefixtures("port_8765_busy")
def test_try_it_without_make_runs_as_written(tmp_path: Path) -> None:
    readme = README.read_text(encoding="utf-8")
    block = try_it_block(readme)
    assert "8765" not in block  # any free port, never a fixed one
    script = "set -eo pipefail\n" + block + 'echo "IBHXH_HOME=$IBHXH_HOME"\n'
    env = {k: v for k, v in os.environ.items() if k not in ("IBHXH_HOME", "IBHXH_CONFIG", "SOFTHSM2_CONF")}
    env["TMPDIR"] = str(tmp_path)  # mktemp -d: under the test's own directory
    before = _untracked()
    proc = subprocess.Popen(
        ["bash", "-c", script],
        cwd=REPO,  # as the README says: from the checkout
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the simulator it starts is in this group: stopped below whatever happens
    )
    try:
        out, err = proc.communicate(timeout=600)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, f"stdout:\n{out}\nstderr:\n{err}"
    home = Path(out.strip().splitlines()[-1].removeprefix("IBHXH_HOME="))
    assert home.is_relative_to(tmp_path)
    assert _untracked() <= before, f"written into the checkout: {_untracked() - before}"

    # what it did: the change accepted (submit --wait exited 0), the history and its CSV, a signed file
    assert "Chấp nhận (Thành công)" in out  # the history's line
    assert (home / "lich-su.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (home / "signed.xml").exists()
    assert "http://127.0.0.1:" in (home / "config" / "config.toml").read_text(encoding="utf-8")

    # the README's "expiring in N days" is what the app says of the registered demo certificate
    env["IBHXH_HOME"] = str(home)
    res = run_ibhxh("certs", "--json", env=env)
    assert res.returncode == 0, res.stderr
    [registered] = [c for c in json.loads(res.stdout) if "đang đăng ký" in c["label"]]
    [soon] = [p for p in registered["problems"] if p["code"] == "EXPIRES_SOON"]
    days = readme_expiry_days(readme)
    assert soon["days"] == days
    said = f"hết hạn sau {days} ngày"  # the README quotes the app's own words
    assert said in soon["message"] and f'"{said}"' in readme
