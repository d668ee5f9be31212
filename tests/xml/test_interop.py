"""Interoperability: our signatures verify with xmlsec1 (reference tool) and signxml; xmlsec1's with ours.

Both signatures of an envelope (IVAN_PROTOCOL.md §3.2) are checked: the envelope file as it is, and the form
decoded from its NoiDungFile; each is an ordinary enveloped signature in ``{root}/CKy_Dvi``."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from signxml.verifier import VerifyResult, XMLVerifier

from tests.support import pki
from tests.xml import sigtools as st
from tests.xml.conftest import Pki, make_envelope, signed_envelope
from tui_ibhxh.core.dossier import ChangeDossier, build_dossier, dossier_from_root, parse_dossier
from tui_ibhxh.core.envelope import EnvelopeInvalid, build_envelope, verify_envelope
from tui_ibhxh.core.xmldsig import SignatureInvalid, sign_document, verify_document
from tui_ibhxh.core.xmlsafe import parse_xml

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
    assert isinstance(result, VerifyResult) and result.signed_xml is not None
    assert result.signed_xml.findtext("DKI_BHXH/TTDVI/TEN_DVI") == "Công ty TNHH Xây dựng Hà Nội"
    ca_file = pki.write_pem(tmp_path / "ca.pem", p.ca)
    by_ca = verifier().verify(signed, ca_pem_file=str(ca_file))
    assert isinstance(by_ca, VerifyResult) and by_ca.signed_xml is not None


def _xmlsec1_sign(unsigned: bytes, issued: pki.Issued, tmp_path: Path) -> bytes:
    """``unsigned`` signed by the xmlsec1 command line from a profile template put into its empty CKy_Dvi."""
    (tmp_path / "tpl.xml").write_bytes(st.with_template(unsigned, st.template()))
    (tmp_path / "key.pem").write_bytes(issued.key_pem)
    pki.write_pem(tmp_path / "cert.pem", issued)
    res = st.xmlsec1("--sign", "--privkey-pem", "key.pem,cert.pem", "--output", "out.xml", "tpl.xml", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    return (tmp_path / "out.xml").read_bytes()


def test_xmlsec1_signed_dossier_verifies_with_ours(p: Pki, dossier: ChangeDossier, tmp_path: Path) -> None:
    out = _xmlsec1_sign(build_dossier(dossier), p.leaf, tmp_path)
    assert b"\n" in out.split(b"<SignatureValue>")[1]  # xmlsec1 wraps base64 lines: we must cope
    root = parse_xml(out)
    assert [c.tag for c in root] == ["DKI_BHXH", "CKy_Dvi"] and len(root[-1]) == 1  # the template's place
    verified = verify_document(out, trust=p.trust)
    assert verified.certificate.der == p.leaf.der
    assert dossier_from_root(verified.root) == dossier
    assert parse_dossier(out) == dossier
    with pytest.raises(SignatureInvalid) as info:
        verify_document(out.replace(b"<MA_DVI>TA1234A", b"<MA_DVI>TA1234B"), trust=p.trust)
    assert info.value.code == "INVALID"


# --- the envelope: two signatures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def envelope(p: Pki, dossier: ChangeDossier) -> bytes:
    return signed_envelope(dossier, p.leaf)


def _form_of(envelope: bytes) -> bytes:
    """The form file exactly as NoiDungFile carries it (decoded by hand, not by the code under test)."""
    text = parse_xml(envelope).findtext("NoiDung/ThongTinHoSo/ToKhais/FileToKhai/NoiDungFile")
    assert text
    return base64.b64decode(text, validate=True)


def test_xmlsec1_verifies_both_signatures_of_an_envelope(p: Pki, envelope: bytes, tmp_path: Path) -> None:
    pki.write_pem(tmp_path / "ca.pem", p.ca)
    pki.write_pem(tmp_path / "lookalike.pem", p.lookalike_ca)
    form = _form_of(envelope)
    assert form.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<BHXH>') and b"</CKy_Dvi></BHXH>" in form
    (tmp_path / "hoso.xml").write_bytes(envelope)
    (tmp_path / "05_SD-IVAN.xml").write_bytes(form)
    for name in ("hoso.xml", "05_SD-IVAN.xml"):
        ok = st.xmlsec1("--verify", "--trusted-pem", "ca.pem", name, cwd=tmp_path)
        assert ok.returncode == 0, (name, ok.stderr)
        assert "OK" in ok.stdout + ok.stderr
        bad = st.xmlsec1("--verify", "--trusted-pem", "lookalike.pem", name, cwd=tmp_path)
        assert bad.returncode != 0, name
    # each signature covers its own document: a changed envelope field, a changed form
    (tmp_path / "hoso-tampered.xml").write_bytes(envelope.replace(b"<CoQuanQuanLy>903", b"<CoQuanQuanLy>904"))
    (tmp_path / "form-tampered.xml").write_bytes(form.replace(b"<MA_DVI>TA1234A", b"<MA_DVI>TA1234B"))
    for name in ("hoso-tampered.xml", "form-tampered.xml"):
        assert st.xmlsec1("--verify", "--trusted-pem", "ca.pem", name, cwd=tmp_path).returncode != 0, name


def test_xmlsec1_signed_envelope_verifies_with_ours(p: Pki, dossier: ChangeDossier, tmp_path: Path) -> None:
    """Form and envelope both signed by xmlsec1 (an independent implementation) pass the whole check."""
    form = _xmlsec1_sign(build_dossier(dossier), p.leaf, tmp_path)
    out = _xmlsec1_sign(build_envelope(make_envelope(dossier, form)), p.leaf, tmp_path)
    root = parse_xml(out)
    assert [c.tag for c in root] == ["NoiDung", "CKy_Dvi"] and len(root[-1]) == 1
    verified = verify_envelope(out, trust=p.trust)
    assert verified.form == dossier and verified.form_xml == form
    assert verified.certificate.der == p.leaf.der
    with pytest.raises(EnvelopeInvalid) as info:
        verify_envelope(out.replace(b"<CoQuanQuanLy>903", b"<CoQuanQuanLy>904"), trust=p.trust)
    assert (info.value.code, info.value.part) == ("INVALID", "envelope")


def test_signxml_verifies_both_signatures_of_an_envelope(p: Pki, envelope: bytes) -> None:
    for xml, root in ((envelope, "Hoso"), (_form_of(envelope), "BHXH")):
        v = XMLVerifier()
        v.excise_empty_xmlns_declarations = True  # signxml issue #193, as above
        result = v.verify(xml, x509_cert=p.leaf.pem.decode())
        assert isinstance(result, VerifyResult) and result.signed_xml is not None and result.signed_xml.tag == root
