"""Interoperability: our signatures verify with xmlsec1 (reference tool) and signxml; xmlsec1's with ours."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from signxml import XMLVerifier

from tests.support import pki
from tests.xml import sigtools as st
from tests.xml.conftest import Pki
from tui_ibhxh.core.dossier import ChangeDossier, build_dossier, dossier_from_root, parse_dossier
from tui_ibhxh.core.xmldsig import SignatureInvalid, sign_document, verify_document

pytestmark = pytest.mark.skipif(shutil.which("xmlsec1") is None, reason="xmlsec1 command-line tool missing")


@pytest.fixture(scope="module")
def signed(p: Pki, dossier: ChangeDossier) -> bytes:
    return sign_document(build_dossier(dossier), pki.SoftwareSigner(p.leaf))


def test_xmlsec1_verifies_our_signature(p: Pki, signed: bytes, tmp_path: Path) -> None:
    pki.write_pem(tmp_path / "ca.pem", p.ca)
    pki.write_pem(tmp_path / "lookalike.pem", p.lookalike_ca)
    (tmp_path / "signed.xml").write_bytes(signed)
    ok = st.xmlsec1("--verify", "--trusted-pem", "ca.pem", "signed.xml", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "OK" in ok.stdout + ok.stderr
    bad = st.xmlsec1("--verify", "--trusted-pem", "lookalike.pem", "signed.xml", cwd=tmp_path)
    assert bad.returncode != 0
    (tmp_path / "tampered.xml").write_bytes(signed.replace("Xây dựng".encode(), "Xây dụng".encode()))
    bad = st.xmlsec1("--verify", "--trusted-pem", "ca.pem", "tampered.xml", cwd=tmp_path)
    assert bad.returncode != 0


def test_signxml_verifies_our_signature(p: Pki, signed: bytes, tmp_path: Path) -> None:
    def verifier() -> XMLVerifier:
        v = XMLVerifier()
        # signxml canonicalises SignedInfo as a sub-element with lxml, which emits stray xmlns="" when the
        # Signature uses the default namespace (signxml issue #193); this switch undoes that lxml artefact.
        v.excise_empty_xmlns_declarations = True
        return v

    result = verifier().verify(signed, x509_cert=p.leaf.pem.decode())
    assert result.signed_xml is not None
    assert result.signed_xml.findtext("DKI_BHXH/TTDVI/TEN_DVI") == "Công ty TNHH Xây dựng Hà Nội"
    ca_file = pki.write_pem(tmp_path / "ca.pem", p.ca)
    assert verifier().verify(signed, ca_pem_file=str(ca_file)).signed_xml is not None


def test_xmlsec1_signed_dossier_verifies_with_ours(p: Pki, dossier: ChangeDossier, tmp_path: Path) -> None:
    (tmp_path / "tpl.xml").write_bytes(st.with_template(build_dossier(dossier), st.template()))
    (tmp_path / "key.pem").write_bytes(p.leaf.key_pem)
    pki.write_pem(tmp_path / "cert.pem", p.leaf)
    res = st.xmlsec1("--sign", "--privkey-pem", "key.pem,cert.pem", "--output", "out.xml", "tpl.xml", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = (tmp_path / "out.xml").read_bytes()
    assert b"\n" in out.split(b"<SignatureValue>")[1]  # xmlsec1 wraps base64 lines: we must cope
    verified = verify_document(out, trust=p.trust)
    assert verified.certificate.der == p.leaf.der
    assert dossier_from_root(verified.root) == dossier
    assert parse_dossier(out) == dossier
    with pytest.raises(SignatureInvalid) as info:
        verify_document(out.replace(b"<MA_DVI>TA1234A", b"<MA_DVI>TA1234B"), trust=p.trust)
    assert info.value.code == "INVALID"
