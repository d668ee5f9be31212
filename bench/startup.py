"""Startup as a user feels it: a whole process (interpreter, imports, first frame) from ``exec`` until the token
list is on an 80×24 terminal, and that process's peak RSS at that moment; both against a bare Textual "hello" app
started the same way (same interpreter, same pseudo-terminal), measured in the same run, alternately.

    python -m bench.startup [-n 7]

Our app runs as ``ibhxh`` on a provisioned demo home (SoftHSM token, demo config); it is "at the token list" when
the demo token's label has been painted. The hello app is there when its text has been painted. The terminal is a
real pty: what is timed is what reaches the screen, not an in-process event. The package's bytecode is compiled
first, as an installed wheel's is (PYTHONDONTWRITEBYTECODE would otherwise have every start recompile it).
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from dataclasses import dataclass
from pathlib import Path

HELLO = """\
from textual.app import App, ComposeResult
from textual.widgets import Static


class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("Xin chao tui")


Hello().run()
"""
HELLO_MARK = "Xin chao tui"

#: the floor of "startup to the token list" on this toolkit: the first screen's widgets (header, step line, heading,
#: the token table with the demo token's row, three lines of state, footer with its five keys) in a bare Textual
#: app that imports what that screen cannot do without (python-pkcs11, tomllib), none of the app's own code. What
#: the app takes beyond it is its own: its modules, config, journal, state, catalogues and the real token listing.
SCREEN = """\
import sys
import tomllib  # the config
import pkcs11  # the token list
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

KEYS = [("enter", "Nhập PIN"), ("ctrl+q", "Thoát"), ("f1", "Trợ giúp"), ("f3", "Lịch sử"), ("f2", "Quy trình")]


class Screen1(App[None]):
    BINDINGS = [Binding(key, "bell", label) for key, label in KEYS]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(" ▶ 1 Token ›   2 Chứng thư ›   3 Liên hệ ›   4 Kiểm tra và nộp ›   5 Lịch sử")
        yield Static("Bước 1 — Chọn token và nhập mã PIN")
        yield DataTable(cursor_type="row", zebra_stripes=True)
        yield Static("↑↓ chọn token, ⏎ nhập mã PIN.")
        yield Static("")
        yield Static("")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Nhãn", "PIN", "Số sê-ri", "Hãng", "Loại")
        table.add_row(sys.argv[1], "bình thường", "f30040976b5d6efc", "SoftHSM project", "SoftHSM v2")


Screen1().run()
"""

#: escape sequences (CSI, OSC, two-byte ESC x) removed before looking for the text on the screen
_ESCAPES = re.compile(rb"\x1b\[[0-9;?<>=$ ]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()#][0-9A-Za-z]|\x1b[=>78]")


@dataclass(frozen=True)
class Start:
    seconds: float  # exec → the mark painted
    peak_rss_mb: float  # VmHWM of the process when the mark was painted


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


def start_once(argv: list[str], mark: str, env: dict[str, str], *, timeout: float = 60.0) -> Start:
    """Run ``argv`` on a fresh 80×24 pty until ``mark`` shows in its output; then stop it."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program on the pty
        try:
            os.execve(argv[0], argv, env)
        finally:
            os._exit(127)
    t0 = time.perf_counter()
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    seen = b""
    wanted = mark.encode()
    try:
        while True:
            left = timeout - (time.perf_counter() - t0)
            if left <= 0:
                raise TimeoutError(f"{mark!r} not shown within {timeout:.0f} s by {argv}: {seen[-600:]!r}")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child is gone
                raise RuntimeError(f"{argv} ended before showing {mark!r}: {seen[-600:]!r}") from None
            seen += chunk
            if wanted in _ESCAPES.sub(b"", seen):
                elapsed = time.perf_counter() - t0
                return Start(elapsed, _peak_rss_mb(pid))
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(fd)


@dataclass(frozen=True)
class Startup:
    ours: list[Start]
    hello: list[Start]
    screen: list[Start]  # SCREEN: the same first screen in a bare Textual app

    @property
    def seconds(self) -> tuple[float, float]:
        return statistics.median(s.seconds for s in self.ours), statistics.median(s.seconds for s in self.hello)

    def floor_note(self) -> str:
        """One line saying how much of the startup ratio the first screen itself costs on this toolkit."""
        ours, hello = self.seconds
        screen = statistics.median(s.seconds for s in self.screen)
        return (
            f"startup floor: the same first screen in a bare Textual app (python-pkcs11 and tomllib imported, none "
            f"of ours) takes {screen * 1e3:.0f} ms, {screen / hello:.2f}x the hello app; the app's own code adds "
            f"{(ours - screen) * 1e3:.0f} ms"
        )

    @property
    def rss_mb(self) -> tuple[float, float]:
        return statistics.median(s.peak_rss_mb for s in self.ours), statistics.median(s.peak_rss_mb for s in self.hello)


def run(n: int) -> Startup:
    import compileall

    import tui_ibhxh
    from tui_ibhxh.demo import provision
    from tui_ibhxh.services.paths import app_paths

    # the package's bytecode written, as pip does when it installs the wheel (the libraries in the venv have theirs)
    compileall.compile_dir(Path(tui_ibhxh.__file__).parent, quiet=1)
    tmp = Path(tempfile.mkdtemp(prefix="ibhxh-bench-start-"))
    home = tmp / "home"
    material, _ = provision(app_paths(home=home))
    hello, screen = tmp / "hello.py", tmp / "screen.py"
    hello.write_text(HELLO, encoding="utf-8")
    screen.write_text(SCREEN, encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IBHXH_", "TEXTUAL"))}
    env |= {"TERM": "xterm-256color", "COLORTERM": "truecolor", "LANG": "C.UTF-8"}
    ours_argv = [str(bin_dir / "ibhxh"), "--home", str(home), "--lang", "vi"]
    hello_argv = [sys.executable, str(hello)]
    screen_argv = [sys.executable, str(screen), material.token_label]
    # a first run of each, not counted: the page cache warm for all
    start_once(hello_argv, HELLO_MARK, env)
    start_once(ours_argv, material.token_label, env)
    start_once(screen_argv, material.token_label, env)
    ours, base, floor = [], [], []
    for _ in range(n):  # in turn: a load that comes and goes touches all three
        base.append(start_once(hello_argv, HELLO_MARK, env))
        ours.append(start_once(ours_argv, material.token_label, env))
        floor.append(start_once(screen_argv, material.token_label, env))
    return Startup(ours, base, floor)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=7, help="starts of each (median)")
    args = parser.parse_args(argv)
    result = run(args.n)
    (ours, hello), (ours_mb, hello_mb) = result.seconds, result.rss_mb
    print(f"{'measure':<44} {'ours':>9} {'hello':>9} {'ratio':>7}")
    print(f"{'startup to the token list, 80x24 (ms)':<44} {ours * 1e3:>9.0f} {hello * 1e3:>9.0f} {ours / hello:>6.2f}x")
    print(f"{'peak RSS at the token list (MB)':<44} {ours_mb:>9.1f} {hello_mb:>9.1f} {ours_mb / hello_mb:>6.2f}x")
    print(result.floor_note())


if __name__ == "__main__":
    main()
