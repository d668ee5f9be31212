"""The whole procedure from the shell: simulator process + SoftHSM demo token, no mocks of our services."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlparse

import pytest

from tests.flow.conftest import PIN, Flow
from tests.support.fault_proxy import ProxyThread
from tui_ibhxh.services.config import load_config


class Lines:
    """The lines of a child's stream, read by a thread: waiting for one never blocks past a deadline."""

    def __init__(self, stream: IO[str]) -> None:
        import queue
        import threading

        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()

        def read() -> None:
            for line in iter(stream.readline, ""):
                self._queue.put(line)

        threading.Thread(target=read, daemon=True).start()

    def next(self, timeout: float) -> str | None:
        import queue

        try:
            line = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        self.seen.append(line)
        return line

    def wait_for(self, fragment: str, timeout: float) -> bool:
        import time

        deadline = time.monotonic() + timeout
        while not any(fragment in line for line in self.seen):
            if self.next(max(0.0, deadline - time.monotonic())) is None:
                return False
        return True


def json_statuses(lines: Lines, until: str, timeout: float) -> list[str]:
    import time

    statuses: list[str] = []
    deadline = time.monotonic() + timeout
    while until not in statuses:
        line = lines.next(max(0.0, deadline - time.monotonic()))
        if line is None:
            break
        if line.strip():
            statuses.append(json.loads(line)["status"])
    return statuses


def submit(flow: Flow, *extra: str, lang: str = "vi"):  # type: ignore[no-untyped-def]
    return flow.run(
        "submit",
        "--cert",
        flow.new_serial,
        "--yes",
        "--pin-stdin",
        "--wait",
        "--lang",
        lang,
        *extra,
        input=PIN + "\n",
    )


def registration(flow: Flow) -> dict[str, Any]:
    res = flow.run("registration", "--json", "--pin-stdin", input=PIN + "\n")
    assert res.returncode == 0, res.stderr
    data: dict[str, Any] = json.loads(res.stdout)
    return data


def history(flow: Flow) -> list[dict[str, Any]]:
    res = flow.run("history", "--json", "--pin-stdin", input=PIN + "\n")
    assert res.returncode == 0, res.stderr
    rows: list[dict[str, Any]] = json.loads(res.stdout)
    return rows


def journal_rows(flow: Flow) -> list[tuple]:  # type: ignore[type-arg]
    with sqlite3.connect(flow.journal) as db:
        return db.execute("SELECT * FROM entries").fetchall()


def test_happy_path_accepted_and_registration_updated(flow: Flow) -> None:
    before = registration(flow)
    assert before["certificate"]["serial"] == flow.registered_serial
    res = submit(flow)
    assert res.returncode == 0, res.stderr + res.stdout
    assert "Chấp nhận (Thành công)" in res.stdout and flow.new_serial in res.stdout
    assert PIN not in res.stdout + res.stderr
    after = registration(flow)
    assert after["certificate"]["serial"] == flow.new_serial and after["version"] == before["version"] + 1
    [tx] = history(flow)
    assert tx["status"] == "ACCEPTED" and [e["status"] for e in tx["timeline"]] == [
        "SENT",
        "RECEIVED",
        "ACCEPTED",
    ]
    # the config remembers the new registration: the new certificate is now SAME_AS_REGISTERED offline
    certs = json.loads(flow.run("certs", "--json").stdout)
    new = next(c for c in certs if c["serial"] == flow.new_serial)
    assert [p["code"] for p in new["problems"]] == ["SAME_AS_REGISTERED"]
    # the journal holds the signed dossier, final, and never the PIN
    data = flow.journal.read_bytes() + b"".join(p.read_bytes() for p in flow.journal.parent.glob("journal*"))
    assert PIN.encode() not in data
    # receipt verified against the configured BHXH certificate, HTML rendered
    out = flow.home / "receipt.html"
    rec = flow.run("receipt", tx["ma_gdich"], "--html", "--out", str(out), "--pin-stdin", input=PIN + "\n")
    assert rec.returncode == 0, rec.stderr
    assert "hợp lệ" in rec.stderr and "BẢO HIỂM XÃ HỘI VIỆT NAM" in out.read_text(encoding="utf-8")
    # export: Vietnamese headers, UTF-8 with BOM
    csv_path = flow.home / "lich-su.csv"
    exp = flow.run("export", "--csv", str(csv_path), "--pin-stdin", input=PIN + "\n")
    assert exp.returncode == 0, exp.stderr
    raw = csv_path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][0] == "Mã giao dịch" and rows[1][5] == "Chấp nhận (Thành công)"


def test_english_and_not_waiting(flow: Flow) -> None:
    res = flow.run(
        "submit",
        "--cert",
        flow.new_serial,
        "--yes",
        "--pin-stdin",
        "--lang",
        "en",
        "--json",
        input=PIN + "\n",
    )
    assert res.returncode == 0, res.stderr
    tx = json.loads(res.stdout)
    assert tx["status"] in ("SENT", "RECEIVED", "ACCEPTED") and "Dossier sent" in res.stderr


def test_rejection_prints_the_vietnamese_reason(flow: Flow) -> None:
    """BHXH's own CERT_REVOKED: the demo CA's OCSP/CRL are not served (``--pki-port 0``), so the client cannot know
    and signs (not known is not blocking); the simulator rejects, in Vietnamese."""
    flow.sim.stop()
    flow.sim.args += ["--revoked", flow.new_serial, "--pki-port", "0"]
    flow.point_at(flow.sim.start())
    res = submit(flow)
    assert res.returncode == 2, res.stderr
    assert "Từ chối" in res.stdout and "CERT_REVOKED" in res.stdout
    en = flow.run("history", "--pin-stdin", "--lang", "en", input=PIN + "\n")
    assert "CERT_REVOKED" in en.stdout


def test_refuses_blocked_certificate_and_bad_contact(flow: Flow) -> None:
    res = flow.run("submit", "--cert", flow.registered_serial, "--yes", "--pin-stdin", input=PIN + "\n")
    assert res.returncode == 1 and "SAME" not in res.stdout
    assert "chứng thư đang đăng ký" in res.stderr.lower() or "đang đăng ký" in res.stderr
    bad = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--email", "ketoan@", input=PIN + "\n")
    assert bad.returncode == 1 and "E-mail không hợp lệ" in bad.stderr
    assert not flow.journal.exists() or journal_rows(flow) == []


def test_wrong_pin_is_clear(flow: Flow) -> None:
    res = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", input="999999\n")
    assert res.returncode == 1 and "Mã PIN không đúng" in res.stderr
    assert "999999" not in res.stderr + res.stdout and "Traceback" not in res.stderr


def test_server_down_after_journal_then_resent_once(flow: Flow) -> None:
    base = flow.sim.base
    # authentication and registration work; the POST of the dossier finds the server gone
    host, port = urlparse(base).hostname or "", urlparse(base).port or 0
    with ProxyThread(host, port) as proxy:
        flow.point_at(f"http://127.0.0.1:{proxy.port}")
        proxy.faults = [("POST", "/dossiers", "reset")] * 10
        res = submit(flow)
    assert res.returncode == 1, res.stdout
    assert "lưu trong nhật ký" in res.stderr and "Traceback" not in res.stderr
    [row] = journal_rows(flow)
    flow.point_at(base)
    again = submit(flow)
    assert again.returncode == 0, again.stderr
    assert "gửi lại" in again.stderr
    assert len(history(flow)) == 1  # sent once in total
    assert len(journal_rows(flow)) == 1 and row


def test_answer_lost_after_post_gives_one_transaction(flow: Flow) -> None:
    host, port = urlparse(flow.sim.base).hostname or "", urlparse(flow.sim.base).port or 0
    with ProxyThread(host, port) as proxy:
        flow.point_at(f"http://127.0.0.1:{proxy.port}")
        proxy.faults = [("POST", "/dossiers", "drop_response")]
        res = submit(flow)
        assert res.returncode == 0, res.stderr
        posts = [s for s in proxy.seen if s[0] == "POST" and "/dossiers" in s[1]]
    assert [a for *_, a in posts] == ["drop_response", "pass"]  # retried with the same key
    flow.point_at(flow.sim.base)
    [tx] = history(flow)
    assert tx["status"] == "ACCEPTED"


def test_answer_lost_every_time_then_next_run(flow: Flow) -> None:
    host, port = urlparse(flow.sim.base).hostname or "", urlparse(flow.sim.base).port or 0
    with ProxyThread(host, port) as proxy:
        flow.point_at(f"http://127.0.0.1:{proxy.port}")
        proxy.faults = [("POST", "/dossiers", "drop_response")] * 10
        res = submit(flow)
    assert res.returncode == 1 and "lưu trong nhật ký" in res.stderr
    flow.point_at(flow.sim.base)
    again = submit(flow)
    assert again.returncode == 0, again.stderr
    assert len(history(flow)) == 1


@pytest.mark.parametrize("fault", ["503", "429", "reset"])
def test_transient_faults_are_retried(flow: Flow, fault: str) -> None:
    host, port = urlparse(flow.sim.base).hostname or "", urlparse(flow.sim.base).port or 0
    with ProxyThread(host, port) as proxy:
        flow.point_at(f"http://127.0.0.1:{proxy.port}")
        proxy.faults = [
            ("GET", "/registration", fault),
            ("POST", "/dossiers", fault),
            ("POST", "/dossiers", fault),
        ]
        res = submit(flow)
        assert res.returncode == 0, res.stderr
        assert [a for _, p, a in proxy.seen if "/dossiers" in p][:3] == [fault, fault, "pass"]
    flow.point_at(flow.sim.base)
    assert len(history(flow)) == 1


def test_check_exit_codes(flow: Flow) -> None:
    res = flow.run("check", "--days", "30")
    assert res.returncode == 1 and res.stdout.count("\n") == 1
    assert flow.registered_serial in res.stdout and flow.new_serial in res.stdout
    assert submit(flow).returncode == 0
    ok = flow.run("check", "--days", "30")
    assert ok.returncode == 0 and flow.new_serial in ok.stdout
    soon = flow.run("check", "--days", "1000", "--lang", "en")
    assert soon.returncode == 1 and "expires" in soon.stdout


def logged(log: Path, fragment: str, timeout: float) -> bool:
    """Whether the simulator's log (its access log among it) says ``fragment`` within ``timeout`` seconds."""
    import time

    deadline = time.monotonic() + timeout
    while fragment not in log.read_text(encoding="utf-8", errors="replace"):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_history_watch_follows_the_event_stream(flow: Flow) -> None:
    watcher = flow.spawn("history", "--watch", "--json", "--pin-stdin")
    try:
        assert watcher.stdout is not None
        # the watcher has its page (and the page's last event id): every later event reaches it, live or replayed
        page = f"GET /api/v1/units/{load_config(flow.config).unit().unit.ma_dvi}/transactions 200"
        assert logged(flow.sim.log, page, 60), flow.sim.log.read_text(encoding="utf-8", errors="replace")
        res = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", input=PIN + "\n")
        assert res.returncode == 0, res.stderr
        assert json_statuses(Lines(watcher.stdout), "ACCEPTED", 30) == ["SENT", "RECEIVED", "ACCEPTED"]
    finally:
        watcher.kill()
        watcher.wait(10)


def _run_with_stderr_on_a_terminal(flow: Flow, *args: str) -> tuple[int, str, str]:
    """Run the CLI with stdin/stdout piped and stderr on a pseudo-terminal; (exit code, stdout, terminal text)."""
    import os
    import pty
    import subprocess
    import sys
    import threading

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui_ibhxh", *args],
        env=flow.env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=slave,
    )
    os.close(slave)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the child closed the terminal
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    out, _ = proc.communicate(PIN.encode() + b"\n", timeout=90)
    reader.join(timeout=10)
    os.close(master)
    return proc.returncode, out.decode(), b"".join(chunks).decode(errors="replace")


@pytest.mark.sim_delays(1.5, 1.5)
def test_long_waits_show_progress_on_a_terminal_and_stay_plain_when_piped(flow: Flow) -> None:
    args = ("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--wait")
    code, out, terminal = _run_with_stderr_on_a_terminal(flow, *args)
    assert code == 0, terminal
    # one line rewritten in place, saying what it waits for and for how long
    assert "\r\x1b[K" in terminal and "Đang chờ BHXH xử lý giao dịch" in terminal
    elapsed = [int(s) for s in re.findall(r"\((\d+) giây\)", terminal)]
    assert elapsed and max(elapsed) >= 2, terminal
    assert "\x1b" not in out and "Chấp nhận (Thành công)" in out  # stdout was piped: plain
    assert PIN not in terminal + out
    piped = flow.run("history", "--pin-stdin", input=PIN + "\n")
    assert "\x1b" not in piped.stdout + piped.stderr


def test_https_ivan_with_a_private_ca_from_the_config(flow: Flow, tmp_path_factory: pytest.TempPathFactory) -> None:
    """[ivan] url https + [ivan] ca_bundle reach the I-VAN through the real TLS handshake; without the bundle
    the command fails with the Vietnamese TLS message (exit 1, no traceback)."""
    import ssl

    from tests.support import pki

    tmp = tmp_path_factory.mktemp("tls")
    ca = pki.make_ca("I-VAN TLS CA thử nghiệm", key_index=10)
    server = pki.tls_server(ca, "127.0.0.1")
    pki.write_pem(tmp / "server.pem", server)
    (tmp / "server.key").write_bytes(server.key_pem)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tmp / "server.pem", tmp / "server.key")
    bundle = pki.write_pem(tmp / "ivan-ca.pem", ca)
    sim = urlparse(flow.sim.base)
    assert sim.hostname and sim.port
    with ProxyThread(sim.hostname, sim.port, tls=ctx) as proxy:
        flow.point_at(f"https://127.0.0.1:{proxy.port}")
        refused = flow.run("registration", "--pin-stdin", input=PIN + "\n")
        assert refused.returncode == 1 and "Traceback" not in refused.stderr
        assert "chứng chỉ TLS" in refused.stderr and "[ivan] ca_bundle" in refused.stderr
        text = flow.config.read_text(encoding="utf-8")
        flow.config.write_text(text.replace("[ivan]\n", f'[ivan]\nca_bundle = "{bundle}"\n', 1), encoding="utf-8")
        ok = flow.run("registration", "--json", "--pin-stdin", input=PIN + "\n")
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["certificate"]["serial"] == flow.registered_serial


@pytest.mark.sim_delays(1.5, 1.5)
@pytest.mark.parametrize("fault", ["503", "404"], ids=["stream-failing", "stream-refused"])
def test_history_watch_polls_while_the_event_stream_is_down(flow: Flow, fault: str) -> None:
    """503: the stream keeps failing (reconnects), 404: the I-VAN refuses it for good. Either way the watch
    polls the history and still reports every change once, in order; when the stream is back it says so."""

    sim = urlparse(flow.sim.base)
    assert sim.hostname and sim.port
    with ProxyThread(sim.hostname, sim.port) as proxy:
        proxy.persistent.append(("GET", "/events", fault))
        flow.point_at(f"http://127.0.0.1:{proxy.port}")
        watcher = flow.spawn("history", "--watch", "--json", "--pin-stdin", "--poll-interval", "0.3")
        assert watcher.stdout is not None and watcher.stderr is not None
        errors, out = Lines(watcher.stderr), Lines(watcher.stdout)
        try:
            assert errors.wait_for("Mất luồng sự kiện", 20), errors.seen
            res = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", input=PIN + "\n")
            assert res.returncode == 0, res.stderr
            # polled every 0.3 s while each status lasts 1.5 s: every change seen, once, forward only
            assert json_statuses(out, "ACCEPTED", 30) == ["SENT", "RECEIVED", "ACCEPTED"]
            assert any("/transactions" in path for _, path, _ in proxy.seen)
            if fault == "503":
                proxy.persistent.clear()  # the stream is back
                assert errors.wait_for("Đã kết nối lại", 20), errors.seen
        finally:
            watcher.kill()
            watcher.wait(10)
        assert "Traceback" not in "".join(errors.seen) and PIN not in "".join(errors.seen)


@pytest.mark.sim_delays(5, 5)
def test_ctrl_c_while_waiting_says_the_dossier_went_and_how_to_follow(flow: Flow) -> None:
    import signal

    proc = flow.spawn("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--wait")
    assert proc.stderr is not None
    errors = Lines(proc.stderr)
    try:
        assert errors.wait_for("Đang chờ BHXH", 30), errors.seen
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    errors.wait_for("Đã dừng chờ", 2)
    text = "".join(errors.seen)
    assert "Đã dừng chờ" in text and "ibhxh history --watch" in text and "Traceback" not in text
    [tx] = history(flow)
    assert tx["ma_gdich"] in text  # the transaction the user can follow
