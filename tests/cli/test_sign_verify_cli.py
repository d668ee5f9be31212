"""`ibhxh sign` on the SoftHSM demo token and `ibhxh verify`, checked by independent implementations
(xmlsec1 command line, signxml)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from tests.conftest import DemoEnv
from tests.support import pki
from tests.support.sim_attacks import in_key_info, sign_exclusive_c14n, xmlsec_signed
from tui_ibhxh import demo
from tui_ibhxh.core.certs import load_certificates, parse_certificate
from tui_ibhxh.core.dossier import parse_dossier

PIN = "123456"


def pem(der: bytes) -> bytes:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def signed(demo_env: DemoEnv, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    m = demo_env.material
    d = tmp_path_factory.mktemp("sign")
    # the example the demo provisions for newcomers (README): the change from the registered to the new certificate
    example = demo.example_dossier_path(m.dir)
    (d / "in.xml").write_bytes(example.read_bytes())
    parsed = parse_dossier(example.read_bytes())
    assert parsed.new_cert.serial == parse_certificate(m.new_cert_der).serial
    assert parsed.old_cert.serial == parse_certificate(m.registered_cert_der).serial
    serial = parse_certificate(m.new_cert_der).serial
    res = demo_env.run(
        "sign",
        str(d / "in.xml"),
        "--cert",
        serial,
        "--pin-stdin",
        "--out",
        str(d / "out.xml"),
        input=PIN + "\n",
    )
    assert res.returncode == 0, res.stderr
    assert PIN not in res.stdout + res.stderr
    (d / "new.pem").write_bytes(pem(m.new_cert_der))
    (d / "registered.pem").write_bytes(pem(m.registered_cert_der))
    return {
        "dir": d,
        "in": d / "in.xml",
        "out": d / "out.xml",
        "ca": m.ca_pem,
        "new": d / "new.pem",
        "registered": d / "registered.pem",
    }


def test_token_signature_verifies_with_xmlsec1(signed: dict[str, Path]) -> None:
    res = subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(signed["ca"]), str(signed["out"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    assert "OK" in res.stdout + res.stderr


def test_token_signature_verifies_with_signxml(signed: dict[str, Path]) -> None:
    from signxml import XMLVerifier

    verifier = XMLVerifier()
    verifier.excise_empty_xmlns_declarations = True  # signxml issue #193 with a default-namespace Signature
    result = verifier.verify(signed["out"].read_bytes(), ca_pem_file=str(signed["ca"]))
    assert result.signed_xml is not None


def test_signed_dossier_round_trips(signed: dict[str, Path]) -> None:
    before = parse_dossier(signed["in"].read_bytes())
    assert parse_dossier(signed["out"].read_bytes()) == before
    out = signed["out"].read_bytes()
    assert "Số 1 Trần Duy Hưng, Cầu Giấy, Hà Nội".encode() in out  # Vietnamese bytes untouched
    assert out.rstrip().endswith(b"</Signature></BHXH>")


def test_verify_cli(signed: dict[str, Path], demo_env: DemoEnv) -> None:
    ok = demo_env.run("verify", str(signed["out"]))  # trust anchors from the demo config
    assert ok.returncode == 0 and "hợp lệ" in ok.stdout
    assert demo_env.run("verify", str(signed["out"]), "--cert", str(signed["new"])).returncode == 0
    pinned_other = demo_env.run("verify", str(signed["out"]), "--cert", str(signed["registered"]), "--lang", "en")
    assert pinned_other.returncode == 1 and "CERT_MISMATCH" in pinned_other.stdout
    foreign = demo_env.run("verify", str(signed["out"]), "--trust", str(demo_env.material.bhxh_cert_pem))
    assert foreign.returncode == 1 and "UNTRUSTED" in foreign.stdout


def test_verify_rejects_one_changed_character(signed: dict[str, Path], demo_env: DemoEnv, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(signed["out"].read_bytes().replace("Hưng".encode(), "Hùng".encode(), 1))
    res = demo_env.run("verify", str(bad), "--lang", "en")
    assert res.returncode == 1 and res.stdout.count("\n") == 1 and "[INVALID]" in res.stdout
    assert "Traceback" not in res.stderr
    res2 = subprocess.run(
        ["xmlsec1", "--verify", "--trusted-pem", str(signed["ca"]), str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert res2.returncode != 0


def test_sign_refuses_bad_input(signed: dict[str, Path], demo_env: DemoEnv, tmp_path: Path) -> None:
    m = demo_env.material
    serial = parse_certificate(m.new_cert_der).serial
    out = tmp_path / "x.xml"
    wrong = demo_env.run(
        "sign", str(signed["in"]), "--cert", serial, "--pin-stdin", "--out", str(out), input="000000\n"
    )
    assert wrong.returncode == 1 and "Mã PIN không đúng" in wrong.stderr and "000000" not in wrong.stderr
    assert not out.exists()
    no_pin = demo_env.run("sign", str(signed["in"]), "--cert", serial, "--out", str(out))
    assert no_pin.returncode == 1 and "--pin-stdin" in no_pin.stderr
    ca_serial = load_certificates(m.ca_pem.read_bytes())[0].serial
    ca = demo_env.run("sign", str(signed["in"]), "--cert", ca_serial, "--pin-stdin", "--out", str(out), input=PIN)
    assert ca.returncode == 1 and "NO_PRIVATE_KEY" in ca.stderr
    unknown = demo_env.run("sign", str(signed["in"]), "--cert", "ABCDEF", "--pin-stdin", "--out", str(out), input=PIN)
    assert unknown.returncode == 1 and "ABCDEF" in unknown.stderr
    malformed = tmp_path / "m.xml"
    malformed.write_bytes(b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><BHXH>&a;</BHXH>')
    evil = demo_env.run("sign", str(malformed), "--cert", serial, "--pin-stdin", "--out", str(out), input=PIN)
    assert evil.returncode == 1 and "Traceback" not in evil.stderr and "DOCTYPE" in evil.stderr.upper()
    assert not out.exists()


def test_verify_refuses_what_is_outside_the_profile(signed: dict[str, Path], demo_env: DemoEnv, tmp_path: Path) -> None:
    """``ibhxh verify`` runs the one profile of protocol §3.3: an unsigned copy of the form slipped into
    KeyInfo, exclusive C14N and an RSA-1024 key are refused with a sentence (each was "valid" before)."""
    token_signed = signed["out"].read_bytes()
    cases = {"copy": in_key_info(token_signed, b"<DKI_BHXH><TTDVI><MA_DVI>EVIL</MA_DVI></TTDVI></DKI_BHXH>")}
    ca = pki.make_ca("CLI Test CA")
    pki.write_pem(tmp_path / "ca.pem", ca)
    unsigned = signed["in"].read_bytes()
    cases["exclusive"] = sign_exclusive_c14n(unsigned, pki.issue(ca, key_index=1))
    cases["weak"] = xmlsec_signed(unsigned, pki.issue(ca, key_index=1, key_bits=1024))
    results = {}
    for name, xml in cases.items():
        (tmp_path / f"{name}.xml").write_bytes(xml)
        trust = signed["ca"] if name == "copy" else tmp_path / "ca.pem"
        results[name] = demo_env.run("verify", str(tmp_path / f"{name}.xml"), "--trust", str(trust))
    for res in results.values():
        assert res.returncode == 1 and res.stdout.count("\n") == 1 and "Traceback" not in res.stderr
    assert "[OBJECT_NOT_ALLOWED]" in results["copy"].stdout and "KeyInfo/DKI_BHXH" in results["copy"].stdout
    assert "[BAD_ALGORITHM]" in results["exclusive"].stdout and "xml-exc-c14n" in results["exclusive"].stdout
    assert "[KEY_TOO_WEAK]" in results["weak"].stdout and "2048 bit" in results["weak"].stdout
