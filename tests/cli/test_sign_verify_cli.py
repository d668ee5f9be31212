"""`ibhxh sign` on the SoftHSM demo token and `ibhxh verify`, checked by independent implementations
(xmlsec1 command line, signxml).

The signature goes into ``{root}/CKy_Dvi`` (IVAN_PROTOCOL.md §3.3), for the form 05 and for the envelope
``Hoso`` around it (§3.2) alike; ``ibhxh verify`` checks an envelope completely (both signatures, the form
inside) and its one-line reason names the part that failed."""

from __future__ import annotations

import base64
import dataclasses
import re
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
from tui_ibhxh.core.envelope import TEN_FILE_05, Envelope, FormFile, build_envelope
from tui_ibhxh.core.xmlsafe import parse_xml

PIN = "123456"
#: how the one-line reason names the part of an envelope that failed (core.envelope)
ENVELOPE_PART = {"vi": "phong bì hồ sơ (Hoso)", "en": "the dossier envelope (Hoso)"}
FORM_PART = {"vi": f"tờ khai {TEN_FILE_05} trong hồ sơ", "en": f"form {TEN_FILE_05} inside the dossier"}


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
    from signxml.verifier import VerifyResult, XMLVerifier

    verifier = XMLVerifier()
    verifier.excise_empty_xmlns_declarations = True  # signxml issue #193 with a default-namespace Signature
    result = verifier.verify(signed["out"].read_bytes(), ca_pem_file=str(signed["ca"]))
    assert isinstance(result, VerifyResult) and result.signed_xml is not None


def test_signed_dossier_round_trips(signed: dict[str, Path]) -> None:
    before = parse_dossier(signed["in"].read_bytes())
    assert parse_dossier(signed["out"].read_bytes()) == before
    out = signed["out"].read_bytes()
    assert "Trần Duy Hưng".encode() in before.contact.diachi_lhe.encode()
    assert before.contact.diachi_lhe.encode() in out  # Vietnamese bytes untouched


def test_sign_puts_the_signature_in_cky_dvi(signed: dict[str, Path]) -> None:
    """The unsigned form ends with an empty CKy_Dvi: the signature goes into it, every other byte unchanged."""
    unsigned, out = signed["in"].read_bytes(), signed["out"].read_bytes()
    assert unsigned.endswith(b"<CKy_Dvi/></BHXH>")
    assert out.startswith(unsigned[: unsigned.rindex(b"<CKy_Dvi/>")] + b"<CKy_Dvi><Signature ")
    assert out.endswith(b"</Signature></CKy_Dvi></BHXH>")
    root = parse_xml(out)
    assert [c.tag for c in root] == ["DKI_BHXH", "CKy_Dvi"]
    assert [c.tag for c in root[-1]] == ["{http://www.w3.org/2000/09/xmldsig#}Signature"]


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
    # the v1 place (the root's last child) is no longer the profile's
    cases["v1"] = xmlsec_signed(unsigned.replace(b"<CKy_Dvi/>", b""), pki.issue(ca, key_index=1), container=None)
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
    assert "[SIGNATURE_NOT_LAST]" in results["v1"].stdout and "CKy_Dvi/Signature" in results["v1"].stdout


# --- the envelope: form and envelope both signed on the token -----------------------------------------------


def _token_sign(demo_env: DemoEnv, unsigned: bytes, out: Path, serial: str) -> bytes:
    """``unsigned`` signed with ``ibhxh sign`` by the token certificate ``serial`` (written to ``out``)."""
    src = out.with_suffix(".unsigned.xml")
    src.write_bytes(unsigned)
    res = demo_env.run("sign", str(src), "--cert", serial, "--pin-stdin", "--out", str(out), input=PIN + "\n")
    assert res.returncode == 0, res.stderr
    return out.read_bytes()


def _envelope_around(demo_env: DemoEnv, form: bytes, **overrides: object) -> bytes:
    """The unsigned envelope of the demo unit around ``form`` (what the workflow builds from the config)."""
    m = demo_env.material
    dossier = parse_dossier(form)
    envelope = Envelope(
        ma_ivan="00040",
        ten_ivan=dossier.ten_ivan,
        ten_doi_tuong=m.unit.ten_dvi,
        ma_so_bhxh=m.unit.ma_dvi,
        loai_doi_tuong=m.unit.loai_doi_tuong,
        ma_so_thue=m.unit.mst,
        nguoi_ky=m.unit.nguoi_ky or m.contact.nguoi_lhe,
        dien_thoai=m.contact.dien_thoai,
        co_quan_quan_ly=m.unit.ma_co_quan_bhxh or "903",
        ngay_lap=dossier.ngay_lap,
        files=(FormFile(content=form),),
    )
    return build_envelope(dataclasses.replace(envelope, **overrides))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def hoso(signed: dict[str, Path], demo_env: DemoEnv) -> Path:
    """The token-signed form in an envelope signed on the token with the same certificate."""
    serial = parse_certificate(demo_env.material.new_cert_der).serial
    out = signed["dir"] / "hoso.xml"
    _token_sign(demo_env, _envelope_around(demo_env, signed["out"].read_bytes()), out, serial)
    return out


def _verify(demo_env: DemoEnv, path: Path, lang: str, *extra: str) -> subprocess.CompletedProcess[str]:
    res = demo_env.run("verify", str(path), "--lang", lang, *extra)
    assert "Traceback" not in res.stderr
    return res


def test_envelope_signed_on_the_token_verifies(hoso: Path, signed: dict[str, Path], demo_env: DemoEnv) -> None:
    xml = hoso.read_bytes()
    root = parse_xml(xml)
    assert [c.tag for c in root] == ["NoiDung", "CKy_Dvi"] and len(root[-1]) == 1
    form = base64.b64decode(root.findtext("NoiDung/ThongTinHoSo/ToKhais/FileToKhai/NoiDungFile"))
    assert form == signed["out"].read_bytes()  # the signed form's exact bytes
    for lang, word in (("vi", "Hồ sơ hợp lệ"), ("en", "Valid dossier")):
        ok = _verify(demo_env, hoso, lang)
        assert ok.returncode == 0 and word in ok.stdout and TEN_FILE_05 in ok.stdout, ok.stdout
    assert _verify(demo_env, hoso, "en", "--cert", str(signed["new"])).returncode == 0
    other = _verify(demo_env, hoso, "en", "--cert", str(signed["registered"]))
    assert other.returncode == 1 and "[CERT_MISMATCH]" in other.stdout and ENVELOPE_PART["en"] in other.stdout


def test_xmlsec1_verifies_both_token_signatures(hoso: Path, signed: dict[str, Path], tmp_path: Path) -> None:
    form = tmp_path / TEN_FILE_05
    form.write_bytes(base64.b64decode(parse_xml(hoso.read_bytes()).findtext(".//NoiDungFile")))
    for path in (hoso, form):
        res = subprocess.run(
            ["xmlsec1", "--verify", "--trusted-pem", str(signed["ca"]), str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, (path.name, res.stderr)


def _expect(res: subprocess.CompletedProcess[str], code: str, part: dict[str, str], lang: str) -> None:
    """One line: the code, and which part of the envelope failed."""
    assert res.returncode == 1 and res.stdout.count("\n") == 1, res.stdout
    assert f"[{code}]" in res.stdout and part[lang] in res.stdout, res.stdout


def test_verify_names_the_envelope_when_it_was_changed(hoso: Path, demo_env: DemoEnv, tmp_path: Path) -> None:
    bad = tmp_path / "hoso-tampered.xml"
    bad.write_bytes(re.sub(rb"<DienThoai>[^<]*<", b"<DienThoai>0999999999<", hoso.read_bytes(), count=1))
    for lang in ("vi", "en"):
        _expect(_verify(demo_env, bad, lang), "INVALID", ENVELOPE_PART, lang)


def test_verify_names_the_form_when_its_signature_fails(
    hoso: Path, signed: dict[str, Path], demo_env: DemoEnv, tmp_path: Path
) -> None:
    """The form changed and re-encoded, the envelope signed again on the token: its own signature is sound,
    the form's is not."""
    serial = parse_certificate(demo_env.material.new_cert_der).serial
    form = signed["out"].read_bytes()
    tampered = form.replace("Hưng".encode(), "Hùng".encode(), 1)
    assert tampered != form
    bad = tmp_path / "form-tampered.xml"
    _token_sign(demo_env, _envelope_around(demo_env, tampered), bad, serial)
    for lang in ("vi", "en"):
        _expect(_verify(demo_env, bad, lang), "INVALID", FORM_PART, lang)


def test_verify_refuses_two_certificates(signed: dict[str, Path], demo_env: DemoEnv, tmp_path: Path) -> None:
    """The form signed with the new certificate, the envelope with the registered one (same unit, same token)."""
    registered = parse_certificate(demo_env.material.registered_cert_der).serial
    bad = tmp_path / "two-signers.xml"
    _token_sign(demo_env, _envelope_around(demo_env, signed["out"].read_bytes()), bad, registered)
    res = _verify(demo_env, bad, "en")
    _expect(res, "DIFFERENT_SIGNERS", FORM_PART, "en")
    assert registered in res.stdout and parse_certificate(demo_env.material.new_cert_der).serial in res.stdout


def test_verify_refuses_another_unit_on_the_envelope(
    signed: dict[str, Path], demo_env: DemoEnv, tmp_path: Path
) -> None:
    serial = parse_certificate(demo_env.material.new_cert_der).serial
    bad = tmp_path / "other-unit.xml"
    _token_sign(demo_env, _envelope_around(demo_env, signed["out"].read_bytes(), ma_so_bhxh="TB9999B"), bad, serial)
    for lang in ("vi", "en"):
        _expect(_verify(demo_env, bad, lang), "UNIT_MISMATCH", ENVELOPE_PART, lang)
