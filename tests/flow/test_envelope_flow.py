"""The real BHXH envelope end to end (real simulator process, SoftHSM demo token, `ibhxh` commands, curl): what
is sent, what `submit --out` writes for a portal upload, what the config puts in it, and the provider boundary."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.flow.conftest import PIN, Flow
from tests.flow.test_submit_cli import history, journal_rows
from tui_ibhxh.core.envelope import MA_THUTUC_05, verify_envelope
from tui_ibhxh.core.xmldsig import TrustStore
from tui_ibhxh.demo import DEMO_IVAN_CODE, DEMO_IVAN_NAME, DEMO_UNIT
from tui_ibhxh.services.config import load_config


def trust(flow: Flow) -> TrustStore:
    cfg = load_config(flow.config)
    return TrustStore.from_pem(b"".join(p.read_bytes() for p in cfg.ivan.trust_anchors))


def test_the_dossier_sent_is_the_envelope_with_the_config_in_it(flow: Flow) -> None:
    """`submit --wait` reaches ACCEPTED with the v2 envelope; what was journalled (and sent) carries the config's
    I-VAN name and code, the unit's office code, type and signer, and the form signed by the same certificate."""
    res = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--wait", input=PIN + "\n")
    assert res.returncode == 0, res.stderr + res.stdout
    assert len(journal_rows(flow)) == 1
    with sqlite3.connect(flow.journal) as db:
        (signed,) = db.execute("SELECT signed_xml FROM entries").fetchone()
    verified = verify_envelope(bytes(signed), trust=trust(flow))
    env, form = verified.envelope, verified.form
    assert (env.ma_ivan, env.ten_ivan, form.ten_ivan) == (DEMO_IVAN_CODE, DEMO_IVAN_NAME, DEMO_IVAN_NAME)
    assert (env.ma_so_bhxh, env.ma_so_thue) == (DEMO_UNIT.ma_dvi, DEMO_UNIT.mst) == (form.unit.ma_dvi, form.unit.mst)
    assert (env.co_quan_quan_ly, env.loai_doi_tuong, env.nguoi_ky) == ("903", "1", DEMO_UNIT.nguoi_ky)
    assert env.ma_thu_tuc == MA_THUTUC_05 and env.files[0].ten_file == "05_SD-IVAN.xml"
    assert verified.certificate.serial == flow.new_serial
    assert b"I-VAN (tui-ibhxh)" not in bytes(signed)  # nothing hard-coded any more


def test_the_envelope_names_come_from_the_config(flow: Flow) -> None:
    """Another I-VAN name and code in the config go into the next dossier; without them nothing is signed."""
    text = flow.config.read_text(encoding="utf-8")
    flow.config.write_text(
        text.replace(f'name = "{DEMO_IVAN_NAME}"', 'name = "Công ty I-VAN Thử"').replace(
            f'code = "{DEMO_IVAN_CODE}"', 'code = "00123"'
        ),
        encoding="utf-8",
    )
    out = flow.home / "hoso.xml"
    res = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--out", str(out), input=PIN + "\n")
    assert res.returncode == 0, res.stderr
    env = verify_envelope(out.read_bytes(), trust=trust(flow)).envelope
    assert (env.ma_ivan, env.ten_ivan) == ("00123", "Công ty I-VAN Thử")
    lines = [
        ln for ln in flow.config.read_text(encoding="utf-8").splitlines() if not ln.startswith(("name =", "code ="))
    ]
    flow.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    missing = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", input=PIN + "\n")
    assert missing.returncode == 1 and "[ivan] name" in missing.stderr and "Traceback" not in missing.stderr


def test_submit_out_writes_a_file_a_portal_takes_and_never_sends_it(flow: Flow, tmp_path: Path) -> None:
    """`submit --out DIR` signs and writes the envelope (05_SD-IVAN in its name) without sending it; it is
    journalled as handed over and never re-sent; `ibhxh verify` accepts it, xmlsec1 verifies both signatures, and
    the simulator accepts it when POSTed by hand with curl."""
    out_dir = tmp_path / "portal"  # not there yet: made
    res = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--out", str(out_dir), input=PIN + "\n")
    assert res.returncode == 0, res.stderr
    [written] = list(out_dir.iterdir())
    assert written.name.startswith("05_SD-IVAN_") and written.suffix == ".xml" and str(written) in res.stdout
    assert history(flow) == []  # nothing was sent
    [(state, file_path)] = sqlite3.connect(flow.journal).execute("SELECT state, file_path FROM entries").fetchall()
    assert (state, file_path) == ("HANDED_OVER", str(written))
    again = flow.run("registration", "--pin-stdin", input=PIN + "\n")  # a later run does not send it either
    assert again.returncode == 0 and history(flow) == []

    ca = load_config(flow.config).ivan.trust_anchors[0]
    verify = flow.run("verify", str(written), "--trust", str(ca))
    assert verify.returncode == 0 and "05_SD-IVAN.xml" in verify.stdout, verify.stdout + verify.stderr
    xmlsec1 = shutil.which("xmlsec1")
    assert xmlsec1 is not None
    outer = subprocess.run(
        [xmlsec1, "--verify", "--trusted-pem", str(ca), str(written)], capture_output=True, check=False
    )
    assert outer.returncode == 0, outer.stderr
    form = tmp_path / "05_SD-IVAN.xml"
    form.write_bytes(verify_envelope(written.read_bytes(), trust=trust(flow)).form_xml)
    inner = subprocess.run([xmlsec1, "--verify", "--trusted-pem", str(ca), str(form)], capture_output=True, check=False)
    assert inner.returncode == 0, inner.stderr

    token = _token(flow)
    key = verify_envelope(written.read_bytes(), trust=trust(flow)).form.ma_yeucau
    posted = subprocess.run(
        [
            "curl", "-sS", "-o", "-", "-w", "\\n%{http_code}",
            "-H", f"Authorization: Bearer {token}", "-H", "Content-Type: application/xml",
            "-H", f"Idempotency-Key: {key}", "--data-binary", f"@{written}",
            f"{flow.sim.base}/units/{DEMO_UNIT.ma_dvi}/dossiers",
        ],
        capture_output=True, text=True, check=False, timeout=30,
    )  # fmt: skip
    body, _, status = posted.stdout.rpartition("\n")
    assert status == "202", posted.stdout + posted.stderr
    assert json.loads(body)["idempotency_key"] == key


def _token(flow: Flow) -> str:
    """A bearer token for the demo unit, obtained like the app does (challenge signed with the demo key)."""
    import asyncio

    from tui_ibhxh.services.workflow import UpdateWorkflow

    async def login() -> str:
        wf = UpdateWorkflow.from_config(load_config(flow.config))
        try:
            [tok] = [t for t in await wf.list_tokens() if t.label == "DEMO TOKEN"]
            await wf.login(tok, PIN)
            await wf.connect()
            token = getattr(wf.client, "_token", None)
            assert isinstance(token, str)
            return token
        finally:
            await wf.close()

    return asyncio.run(login())


def test_an_unknown_provider_is_said_in_words(flow: Flow) -> None:
    text = flow.config.read_text(encoding="utf-8")
    flow.config.write_text(text.replace('provider = "tui-ibhxh"', 'provider = "ivan-xyz"'), encoding="utf-8")
    res = flow.run("registration", "--pin-stdin", input=PIN + "\n")
    assert res.returncode == 1 and "ivan-xyz" in res.stderr and "tui-ibhxh" in res.stderr
    assert "Traceback" not in res.stderr


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_verify_names_the_part_that_failed(flow: Flow, tmp_path: Path, lang: str) -> None:
    """A dossier changed after signing: `ibhxh verify` says which part failed, in the chosen language (the
    form's own failures are covered with software keys in tests/xml)."""
    out = tmp_path / "hoso.xml"
    res = flow.run("submit", "--cert", flow.new_serial, "--yes", "--pin-stdin", "--out", str(out), input=PIN + "\n")
    assert res.returncode == 0, res.stderr
    ca = load_config(flow.config).ivan.trust_anchors[0]
    broken = tmp_path / "broken.xml"
    broken.write_bytes(out.read_bytes().replace(b"<DienThoai>", b"<DienThoai>0"))
    said = flow.run("verify", str(broken), "--trust", str(ca), "--lang", lang)
    assert said.returncode == 1
    assert ("phong bì hồ sơ" if lang == "vi" else "the dossier envelope") in said.stdout, said.stdout
