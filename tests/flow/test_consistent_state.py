"""One consistent state across repeats, interruptions, resets and parallel processes (issue 10), with real
processes: the simulator, the SoftHSM demo token, `ibhxh` commands."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.flow.conftest import PIN, Flow
from tests.flow.test_submit_cli import history, journal_rows, submit
from tests.support.cli import run_ibhxh
from tests.support.sim_server import SimProcess
from tui_ibhxh.commands.submit import EXIT_PENDING
from tui_ibhxh.services.config import load_config


def journal(flow: Flow, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(flow.journal) as db:
        return db.execute(sql).fetchall()


def test_a_replaced_ivan_never_collides_with_old_records(flow: Flow, tmp_path: Path) -> None:
    """Submit, replace the I-VAN by a fresh one (what `ibhxh demo --reset` does to the demo's simulator), submit
    again: the second I-VAN reissues the same transaction code, and the journal keeps both apart (it used to fail
    every later PIN entry with an IntegrityError)."""
    first = submit(flow)
    assert first.returncode == 0, first.stderr
    [old] = history(flow)
    fresh = SimProcess(None, tmp_path / "fresh" / "sim.sqlite3", delays=(0, 0), extra_args=("--seed", "demo"))
    (tmp_path / "fresh").mkdir()
    # the fresh simulator seeds the demo unit from the same demo material (the same home)
    (tmp_path / "fresh" / "home").symlink_to(flow.home)
    flow.point_at(fresh.start())
    try:
        second = submit(flow)
        assert second.returncode == 0, second.stderr + second.stdout
        assert "Chấp nhận (Thành công)" in second.stdout
        [new] = history(flow)
        assert new["ma_gdich"] == old["ma_gdich"] and new["ivan_id"] != old["ivan_id"]  # the same code, reissued
        rows = journal(flow, "SELECT ivan_id, ma_gdich, state, status FROM entries ORDER BY created_at")
        assert rows == [
            (old["ivan_id"], old["ma_gdich"], "FINAL", "ACCEPTED"),
            (new["ivan_id"], new["ma_gdich"], "FINAL", "ACCEPTED"),
        ]
        again = flow.run("registration", "--json", "--pin-stdin", input=PIN + "\n")  # the PIN still works
        assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    finally:
        fresh.stop()


def test_demo_reset_starts_over_cleanly(demo_env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """`ibhxh demo --reset` with the demo's own simulator database: submit, reset, submit again, log in again."""
    home = tmp_path / "demo"
    env = dict(demo_env.env, IBHXH_HOME=str(home))
    env.pop("SOFTHSM2_CONF", None)

    def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return run_ibhxh(*args, env=env, input=stdin, timeout=120)

    def one_round() -> str:
        assert run("demo", "--provision-only").returncode == 0
        # SimProcess gives the simulator IBHXH_HOME=<db dir>/home: make that the demo home itself
        (home / "data" / "demo" / "home").symlink_to(home)
        db = home / "data" / "demo" / "ivan-sim.sqlite3"
        sim = SimProcess(None, db, extra_args=("--seed", "demo"))
        sim.start()
        cfg = home / "config" / "config.toml"
        text = cfg.read_text(encoding="utf-8").splitlines()
        url = sim.base.removesuffix("/api/v1")
        cfg.write_text("\n".join(f'url = "{url}"' if ln.startswith("url = ") else ln for ln in text) + "\n")
        try:
            certs = json.loads(run("certs", "--json").stdout)
            new = next(c["serial"] for c in certs if c["usable"])
            res = run("submit", "--cert", new, "--yes", "--pin-stdin", "--wait", stdin="123456\n")
            assert res.returncode == 0, res.stderr + res.stdout
            reg = run("registration", "--json", "--pin-stdin", stdin="123456\n")
            assert reg.returncode == 0 and "Traceback" not in reg.stderr, reg.stderr
            return str(json.loads(reg.stdout)["certificate"]["serial"])
        finally:
            sim.stop()

    first = one_round()
    reset = run("demo", "--reset", "--provision-only")
    assert reset.returncode == 0, reset.stderr
    second = one_round()
    assert first != second  # a new demo token, a new certificate, registered through a fresh I-VAN


def test_parallel_submissions_make_one_dossier(flow: Flow) -> None:
    """20 `ibhxh submit` at once for one unit: one signed dossier, one transaction at the I-VAN; every other
    process is told another dossier is in the way and exits with the documented code, nothing signed."""
    procs = [flow.spawn("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin") for _ in range(20)]
    results = [(p.wait(180), p.stderr.read() if p.stderr else "") for p in procs]
    codes = [code for code, _ in results]
    odd = [(code, err[-600:]) for code, err in results if code not in (0, EXIT_PENDING)]
    assert codes.count(0) == 1 and not odd, (codes, odd)
    for code, err in results:
        assert "Traceback" not in err and (code == 0 or "không ký hồ sơ mới" in err), err
    assert len(history(flow)) == 1
    assert len(journal_rows(flow)) == 1


@pytest.mark.sim_delays(60, 60)
def test_a_dossier_in_progress_is_said_and_nothing_is_signed(flow: Flow) -> None:
    """While the I-VAN is still on a dossier of the unit, a second `submit` exits 4 and signs nothing."""
    flow_args = ("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin")
    first = flow.run(*flow_args, input=PIN + "\n")
    assert first.returncode == 0, first.stderr
    second = flow.run(*flow_args, input=PIN + "\n")
    assert second.returncode == EXIT_PENDING, second.stderr
    assert "đang chờ BHXH trả lời" in second.stderr and "không ký hồ sơ mới" in second.stderr
    assert len(journal_rows(flow)) == 1


def test_an_older_certificate_needs_allow_older(flow: Flow) -> None:
    """Once the new certificate is registered, going back to the old one is a downgrade: refused with both
    expiry dates unless --allow-older says so."""
    assert submit(flow).returncode == 0
    back = flow.run("submit", "--cert", flow.registered_serial, "--yes", "--pin-stdin", "--wait", input=PIN + "\n")
    assert back.returncode == 1, back.stderr
    assert "sớm hơn chứng thư đang đăng ký" in back.stderr and back.stderr.count("/20") >= 2
    assert len(history(flow)) == 1  # nothing was signed or sent
    forced = flow.run(
        "submit",
        "--cert",
        flow.registered_serial,
        "--yes",
        "--pin-stdin",
        "--wait",
        "--allow-older",
        input=PIN + "\n",
    )
    assert forced.returncode == 0, forced.stderr + forced.stdout


def test_the_config_follows_the_registration_at_once(flow: Flow) -> None:
    """`submit --wait` ends with the config's registered certificate updated (read back by the parser), and
    `ibhxh check` answers from it without network even when that certificate is not on the token."""
    assert submit(flow).returncode == 0
    profile = load_config(flow.config).unit()
    assert profile.registered_cert_serial == flow.new_serial
    assert profile.registered_cert_not_after.startswith("20")
    stamp = flow.config.stat().st_mtime_ns
    assert flow.run("registration", "--pin-stdin", input=PIN + "\n").returncode == 0
    assert flow.config.stat().st_mtime_ns == stamp  # nothing changed: the file is not rewritten
    # the registered certificate is known only from the config now (no module, no token)
    text = flow.config.read_text(encoding="utf-8")
    flow.config.write_text(text.replace("libsofthsm2.so", "no-such-module.so"), encoding="utf-8")
    check = flow.run("check", "--lang", "en")
    assert check.returncode == 0, check.stdout + check.stderr
    assert flow.new_serial in check.stdout


@pytest.mark.sim_delays(30, 30)
def test_history_carries_the_ivan_id(flow: Flow) -> None:
    """`history --json` carries the I-VAN's id on every transaction (the key of our records)."""
    assert flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", input=PIN + "\n").returncode == 0
    [tx] = history(flow)
    assert tx["ivan_id"].startswith("SIM-")
