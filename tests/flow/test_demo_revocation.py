"""The demo token's certificates checked as a CA would, end to end: SoftHSM demo token, the simulator process serving
the demo CA's CRL and OCSP at the fixed loopback port the certificates name, the real commands."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from tests.flow.conftest import PIN, Flow
from tests.support.sim_server import SimProcess


def certs_json(flow: Flow) -> dict[str, dict[str, Any]]:
    res = flow.run("certs", "--json")
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    return {row["label"]: row for row in json.loads(res.stdout)}


def codes(row: dict[str, Any]) -> list[str]:
    return [p["code"] for p in row["problems"]]


def forget_answers(flow: Flow) -> None:
    """The CA's answers are cached until their nextUpdate: drop them to ask again."""
    shutil.rmtree(flow.home / "data" / "revocation", ignore_errors=True)


def test_demo_token_revoked_and_personal_certificates(flow: Flow) -> None:
    rows = certs_json(flow)
    revoked = rows["Chứng thư số Công ty TNHH ABC (đã bị thu hồi)"]
    assert codes(revoked) == ["REVOKED"] and not revoked["usable"]
    [problem] = revoked["problems"]
    assert problem["blocking"] and problem["source"].endswith("/api/v1/pki/ocsp") and "thu hồi" in problem["message"]
    director = rows["Chứng thư cá nhân Giám đốc Nguyễn Văn An"]
    assert codes(director) == ["PERSONAL_CERTIFICATE"] and not director["usable"]
    assert "cần chứng thư số của đơn vị/công ty" in director["problems"][0]["message"]
    assert "T=Giám đốc" in director["subject"] and "telephoneNumber=0912345678" in director["subject"]
    assert codes(rows["Chứng thư số Công ty TNHH ABC (mới)"]) == []  # the CA says good
    assert "REVOCATION_UNKNOWN" not in codes(rows["Chứng thư số Công ty TNHH ABC (đang đăng ký)"])


def test_offline_the_state_is_unknown_and_not_blocking(flow: Flow) -> None:
    flow.sim.stop()
    forget_answers(flow)
    rows = certs_json(flow)
    new = rows["Chứng thư số Công ty TNHH ABC (mới)"]
    assert codes(new) == ["REVOCATION_UNKNOWN"] and new["usable"]
    assert new["problems"][0]["detail"] == "offline" and "127.0.0.1" in new["problems"][0]["message"]
    en = json.loads(flow.run("--lang", "en", "certs", "--json").stdout)
    assert any("could not be reached" in p["message"] for r in en for p in r["problems"])


def test_submit_refuses_a_revoked_certificate_before_signing(flow: Flow) -> None:
    revoked = next(
        r["serial"] for r in certs_json(flow).values() if r["label"] == "Chứng thư số Công ty TNHH ABC (đã bị thu hồi)"
    )
    res = flow.run("submit", "--cert", revoked, "--yes", "--pin-stdin", input=PIN + "\n")
    assert res.returncode != 0 and "thu hồi" in res.stderr and "Traceback" not in res.stderr
    if flow.journal.exists():  # nothing was signed
        with sqlite3.connect(flow.journal) as db:
            assert db.execute("SELECT COUNT(*) FROM entries").fetchone() == (0,)


def test_check_reports_a_revoked_registered_certificate(flow: Flow, tmp_path: Path) -> None:
    """The CA revokes the registered certificate: `ibhxh check` says so on one line and exits 1."""
    before = flow.run("check", "--days", "3")  # the demo's newer certificate is not registered yet: exit 1 too
    assert before.returncode == 1 and "thu hồi" not in before.stdout, before.stdout + before.stderr
    flow.sim.stop()
    forget_answers(flow)
    sim = SimProcess(
        None, tmp_path / "sim-revoking.sqlite3", extra_args=("--seed", "demo", "--revoked", flow.registered_serial)
    )
    sim.start()
    try:
        res = flow.run("check", "--days", "3")
    finally:
        sim.stop()
    assert res.returncode == 1, res.stdout + res.stderr
    [line] = res.stdout.strip().splitlines()
    assert line.startswith(f"Chứng thư đang đăng ký {flow.registered_serial} đã bị tổ chức chứng thực thu hồi")
    assert f"ibhxh submit --cert {flow.new_serial}" in line
