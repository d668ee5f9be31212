"""Enveloped XMLDSig: our profile signs, verifies, and refuses everything outside it with a specific code."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import threading

import pytest
from lxml import etree

from tests.support import pki
from tests.xml import sigtools as st
from tests.xml.conftest import Pki
from tui_ibhxh.core.dossier import ChangeDossier, build_dossier, dossier_from_root
from tui_ibhxh.core.i18n import has, t
from tui_ibhxh.core.xmldsig import (
    ALG_C14N,
    ALG_ENVELOPED,
    DSIG_NS,
    SignatureInvalid,
    TrustStore,
    VerifiedDocument,
    enveloped_content,
    prepare_signature,
    sign_document,
    verify_document,
)
from tui_ibhxh.core.xmlsafe import parse_xml

SIG = f"{{{DSIG_NS}}}"


@pytest.fixture(scope="module")
def unsigned(dossier: ChangeDossier) -> bytes:
    return build_dossier(dossier)


@pytest.fixture(scope="module")
def signed(p: Pki, unsigned: bytes) -> bytes:
    return sign_document(unsigned, pki.SoftwareSigner(p.leaf))


def _code(xml: bytes, p: Pki, **kw: object) -> str:
    kw.setdefault("trust", p.trust)
    with pytest.raises(SignatureInvalid) as info:
        verify_document(xml, **kw)  # type: ignore[arg-type]
    exc = info.value
    assert has(exc.key)
    assert exc.message("vi") and exc.message("en")  # every reason renders in both languages
    return exc.code


# --- the profile --------------------------------------------------------------------------------------------


def test_signature_follows_the_profile(p: Pki, signed: bytes) -> None:
    assert signed.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<BHXH>')
    assert b'<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">' in signed
    assert b"ds:" not in signed and b"\n  " not in signed
    root = parse_xml(signed)
    assert [c.tag for c in root] == ["DKI_BHXH", "CKy_Dvi"]  # §3.3: {root}/CKy_Dvi/Signature, alone
    (sig,) = root[-1]
    assert sig.tag == SIG + "Signature" and sig.prefix is None
    si = sig.find(SIG + "SignedInfo")
    assert si.find(SIG + "CanonicalizationMethod").get("Algorithm") == (
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
    )
    assert si.find(SIG + "SignatureMethod").get("Algorithm") == ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256")
    (ref,) = si.findall(SIG + "Reference")
    assert ref.get("URI") == ""
    assert [tr.get("Algorithm") for tr in ref.find(SIG + "Transforms")] == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
    ]
    assert ref.find(SIG + "DigestMethod").get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"
    cert_b64 = sig.findtext(f"{SIG}KeyInfo/{SIG}X509Data/{SIG}X509Certificate")
    assert base64.b64decode(cert_b64) == p.leaf.der


def test_round_trip(p: Pki, signed: bytes, dossier: ChangeDossier) -> None:
    for kw in (
        {"trust": p.trust},
        {"pinned_cert_der": p.leaf.der},
        {"trust": p.trust, "check_time": pki.now()},
    ):
        verified = verify_document(signed, **kw)
        assert isinstance(verified, VerifiedDocument)
        assert verified.certificate.der == p.leaf.der
        assert verified.certificate.mst == "0101234565"
        assert dossier_from_root(verified.root) == dossier


def test_signed_content_bytes_are_unchanged(unsigned: bytes, signed: bytes) -> None:
    """Vietnamese text (and everything else) keeps its exact bytes: the signature is only inserted, into the
    empty ``CKy_Dvi`` the unsigned form ends with."""
    assert unsigned.endswith(b"<CKy_Dvi/></BHXH>")
    end = unsigned.rindex(b"<CKy_Dvi/>")
    assert signed.startswith(unsigned[:end] + b'<CKy_Dvi><Signature xmlns="http://www.w3.org/2000/09/xmldsig#">')
    assert signed.endswith(b"</Signature></CKy_Dvi></BHXH>")
    assert "Công ty TNHH Xây dựng Hà Nội".encode() in signed
    assert "Nguyễn Thị Hồng Nhung".encode() in signed


def test_two_phase_signing(p: Pki, unsigned: bytes) -> None:
    prepared = prepare_signature(unsigned, p.leaf.der)
    assert prepared.signed_info_c14n.startswith(b'<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#">')
    assert b'xmlns=""' not in prepared.signed_info_c14n
    value: list[bytes] = []
    worker = threading.Thread(target=lambda: value.append(pki.SoftwareSigner(p.leaf).sign(prepared.signed_info_c14n)))
    worker.start()
    worker.join()
    out = prepared.finish(value[0])
    assert verify_document(out, trust=p.trust).certificate.der == p.leaf.der


def test_finish_refuses_a_wrong_signature_value(p: Pki, unsigned: bytes) -> None:
    prepared = prepare_signature(unsigned, p.leaf.der)
    wrong = pki.SoftwareSigner(p.bhxh).sign(prepared.signed_info_c14n)  # another key than the certificate's
    with pytest.raises(SignatureInvalid) as info:
        prepared.finish(wrong)
    assert info.value.code == "INVALID"


def test_refuses_to_sign_twice(p: Pki, signed: bytes) -> None:
    with pytest.raises(SignatureInvalid) as info:
        sign_document(signed, pki.SoftwareSigner(p.leaf))
    assert info.value.code == "ALREADY_SIGNED"


def test_signs_documents_with_namespaces_comments_and_empty_elements(p: Pki) -> None:
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- trước -->\n<r:BHXH xmlns:r="urn:r" xmlns:x="urn:x">'
        '<r:A x:k="v">Tiếng Việt &amp; &lt;b&gt;</r:A><B></B><C/>\n<![CDATA[dữ liệu]]><?pi data?></r:BHXH>\n'
    ).encode()
    out = sign_document(xml, pki.SoftwareSigner(p.leaf))
    assert out.startswith(xml[: xml.rindex(b"</r:BHXH>")])
    verified = verify_document(out, trust=p.trust)
    assert verified.root.tag == "{urn:r}BHXH"


def test_document_without_declaration_gets_one(p: Pki) -> None:
    out = sign_document(b"<BHXH><A>x</A></BHXH>", pki.SoftwareSigner(p.leaf))
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<BHXH><A>x</A><CKy_Dvi><Signature')


@pytest.mark.parametrize(
    ("doc", "before"),
    [
        (b"<BHXH><A>x</A></BHXH>", b"<BHXH><A>x</A><CKy_Dvi>"),  # added when missing
        (b"<BHXH><A>x</A><CKy_Dvi/></BHXH>", b"<BHXH><A>x</A><CKy_Dvi>"),
        (b"<BHXH><A>x</A><CKy_Dvi></CKy_Dvi></BHXH>", b"<BHXH><A>x</A><CKy_Dvi>"),
        (b'<BHXH><A>x</A><CKy_Dvi a="1"/></BHXH>', b'<BHXH><A>x</A><CKy_Dvi a="1">'),  # its attributes kept
        (b"<BHXH><A>x</A><CKy_Dvi> \n</CKy_Dvi></BHXH>", b"<BHXH><A>x</A><CKy_Dvi> \n"),  # signed white space
        (b"<BHXH><A>x</A><CKy_Dvi/><!-- c --></BHXH>", b"<BHXH><A>x</A><CKy_Dvi>"),
        # a CKy_Dvi with content is not the place: a new one ends the root
        (b"<BHXH><A>x</A><CKy_Dvi>y</CKy_Dvi></BHXH>", b"<BHXH><A>x</A><CKy_Dvi>y</CKy_Dvi><CKy_Dvi>"),
    ],
)
def test_signature_goes_into_the_container_ending_the_root(p: Pki, doc: bytes, before: bytes) -> None:
    out = sign_document(doc, pki.SoftwareSigner(p.leaf))
    assert out.split(b"?>\n", 1)[1].startswith(before + b"<Signature")
    verified = verify_document(out, trust=p.trust)
    (sig,) = verified.root[-1]
    assert verified.root[-1].tag == "CKy_Dvi" and sig.tag == SIG + "Signature"


def test_container_none_keeps_the_signature_as_the_roots_last_child(p: Pki) -> None:
    """BHXH's confirmations (``core.receipt``) keep the v1 place; each place is refused where the other is due."""
    doc = b"<BHXH><A>x</A></BHXH>"
    last = sign_document(doc, pki.SoftwareSigner(p.leaf), container=None)
    assert last.endswith(b"<A>x</A><Signature" + last.split(b"<A>x</A><Signature", 1)[1])
    assert b"CKy_Dvi" not in last
    assert verify_document(last, trust=p.trust, container=None).certificate.der == p.leaf.der
    in_container = sign_document(doc, pki.SoftwareSigner(p.leaf))
    assert _code(last, p) == "SIGNATURE_NOT_LAST"
    assert _code(in_container, p, container=None) == "SIGNATURE_NOT_LAST"


# --- tampering ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("<MA_DVI>TA1234A", "<MA_DVI>TA1234B"),
        ("<MST>0101234565", "<MST>0101234568"),
        ("Xây dựng", "Xây dụng"),  # one Vietnamese letter (ự -> ụ)
        ("Hồng Nhung", "Hổng Nhung"),
        ("Trần Duy Hưng", "Trần Duy Hứng"),
        ("ketoan@abc.vn", "ketoan@abd.vn"),
        ("<TEN_THUTUC>Thay đổi", "<TEN_THUTUC>Thay đổl"),
        ("<TEN_IVAN>Công ty", "<TEN_IVAN>Cong ty"),
        ("<NGAY_LAP>24/11/2026", "<NGAY_LAP>25/11/2026"),
        ("5f0c7e4a", "5f0c7e4b"),
        ("<TTCKY_DVI><TTCKY><SERIAL>", "<TTCKY_DVI><TTCKY><SERIAL>0"),
        ("</TTDVI>", " </TTDVI>"),  # whitespace is content too
        ("<BHXH>", '<BHXH a="1">'),
        # the enveloped-signature transform removes only the Signature: CKy_Dvi itself is signed content
        ("<CKy_Dvi>", '<CKy_Dvi a="1">'),
        ("<CKy_Dvi>", "<CKy_Dvi> "),
        ("</Signature></CKy_Dvi>", "</Signature>\n</CKy_Dvi>"),
        ("</CKy_Dvi>", "</CKy_Dvi>\n"),  # white space between root children is signed too
    ],
)
def test_one_changed_character_breaks_the_signature(p: Pki, signed: bytes, old: str, new: str) -> None:
    text = signed.decode()
    assert text.count(old) >= 1
    assert _code(text.replace(old, new, 1).encode(), p) == "INVALID"


def test_changed_signed_info_or_value_breaks_the_signature(p: Pki, signed: bytes) -> None:
    root = parse_xml(signed)
    digest = root.find(f"CKy_Dvi/{SIG}Signature/{SIG}SignedInfo/{SIG}Reference/{SIG}DigestValue").text
    value = root.find(f"CKy_Dvi/{SIG}Signature/{SIG}SignatureValue").text
    flipped_digest = ("B" if digest[0] == "A" else "A") + digest[1:]
    flipped_value = value[:10] + ("B" if value[10] == "A" else "A") + value[11:]
    assert _code(signed.replace(digest.encode(), flipped_digest.encode()), p) == "INVALID"
    assert _code(signed.replace(value.encode(), flipped_value.encode()), p) == "INVALID"


def test_comments_are_not_signed_and_cannot_truncate_values(p: Pki, signed: bytes) -> None:
    """<MST>0101<!---->234565</MST> verifies (comments are outside C14N) and readers see the full value."""
    tampered = signed.replace(b"<MST>0101234565", b"<MST>0101<!-- x -->234565", 1)
    verified = verify_document(tampered, trust=p.trust)
    assert verified.root.findtext("DKI_BHXH/TTDVI/MST") == "0101234565"


# --- certificates -------------------------------------------------------------------------------------------


def test_lookalike_ca_is_untrusted(p: Pki, unsigned: bytes) -> None:
    rogue = sign_document(unsigned, pki.SoftwareSigner(p.rogue_leaf))
    assert p.rogue_leaf.info.issuer == p.leaf.info.issuer  # same names, other key
    assert _code(rogue, p) == "UNTRUSTED"
    assert verify_document(rogue, trust=TrustStore([p.lookalike_ca.der])).certificate.der == p.rogue_leaf.der


def test_pinned_certificate_mismatch(p: Pki, signed: bytes) -> None:
    assert _code(signed, p, trust=None, pinned_cert_der=p.bhxh.der) == "CERT_MISMATCH"
    assert _code(signed, p, pinned_cert_der=p.rogue_leaf.der) == "CERT_MISMATCH"


def test_pinned_or_trust_required(signed: bytes) -> None:
    with pytest.raises(ValueError):
        verify_document(signed)


def test_validity_only_checked_with_a_time(p: Pki, unsigned: bytes) -> None:
    expired = sign_document(unsigned, pki.SoftwareSigner(p.old_leaf))
    assert verify_document(expired, trust=p.trust).certificate.der == p.old_leaf.der
    assert _code(expired, p, check_time=pki.now()) == "CERT_EXPIRED"
    assert verify_document(expired, trust=p.trust, check_time=pki.now() - dt.timedelta(days=100))
    signed = sign_document(unsigned, pki.SoftwareSigner(p.leaf))
    assert _code(signed, p, check_time=pki.now() - dt.timedelta(days=30)) == "CERT_NOT_YET_VALID"


def test_intermediate_ca(p: Pki, unsigned: bytes) -> None:
    signed = sign_document(unsigned, pki.SoftwareSigner(p.inter_leaf))
    assert _code(signed, p) == "UNTRUSTED"
    store = TrustStore([p.ca.der], intermediates=[p.inter.der])
    assert verify_document(signed, trust=store).certificate.der == p.inter_leaf.der
    assert TrustStore.from_pem(p.ca.pem, p.inter.pem).path(p.inter_leaf.info, at=pki.now()).trusted


def test_intermediate_carried_in_key_info(p: Pki, unsigned: bytes) -> None:
    signed = sign_document(unsigned, pki.SoftwareSigner(p.inter_leaf))
    inter_b64 = base64.b64encode(p.inter.der)
    with_chain = signed.replace(
        b"</X509Certificate>", b"</X509Certificate><X509Certificate>" + inter_b64 + b"</X509Certificate>"
    )
    verified = verify_document(with_chain, trust=p.trust)
    assert verified.certificate.der == p.inter_leaf.der


def test_no_or_bad_certificate(p: Pki, signed: bytes) -> None:
    root = parse_xml(signed)
    cert = root.find(f"CKy_Dvi/{SIG}Signature/{SIG}KeyInfo/{SIG}X509Data/{SIG}X509Certificate").text
    assert _code(signed.replace(cert.encode(), b"bm90IGEgY2VydA=="), p) == "NO_CERTIFICATE"
    assert _code(signed.replace(cert.encode(), b"!!!"), p) == "NO_CERTIFICATE"
    no_key_info = st.xmlsec_sign(st.with_template(b"<BHXH><A>x</A></BHXH>", st.template(with_cert=False)), p.leaf)
    assert _code(no_key_info, p) == "NO_CERTIFICATE"


# --- profile violations (each cryptographically valid, signed by xmlsec) ------------------------------------

DOC = "<BHXH><DKI_BHXH><TEN_DVI>Công ty TNHH Hà Nội</TEN_DVI></DKI_BHXH></BHXH>".encode()


def test_xmlsec_signed_profile_document_verifies(p: Pki) -> None:
    verified = verify_document(st.xmlsec_sign(st.with_template(DOC, st.template()), p.leaf), trust=p.trust)
    assert verified.root.findtext("DKI_BHXH/TEN_DVI") == "Công ty TNHH Hà Nội"


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"sig_alg": st.ALG_RSA_SHA1}, "WEAK_ALGORITHM"),
        ({"digest_alg": st.ALG_SHA1}, "WEAK_ALGORITHM"),
        ({"sig_alg": st.ALG_RSA_SHA1, "digest_alg": st.ALG_SHA1}, "WEAK_ALGORITHM"),
        ({"sig_alg": st.ALG_RSA_SHA512}, "BAD_ALGORITHM"),
        ({"digest_alg": st.ALG_SHA512}, "BAD_ALGORITHM"),
        ({"c14n": st.ALG_C14N_COMMENTS}, "BAD_ALGORITHM"),
        ({"transforms": (ALG_ENVELOPED, st.ALG_C14N_COMMENTS)}, "BAD_TRANSFORM"),
        ({"transforms": (ALG_C14N,)}, "BAD_TRANSFORM"),  # no enveloped-signature
        # exclusive C14N, for SignedInfo or as the Reference's transform (accepted before protocol v2)
        ({"c14n": st.ALG_EXC_C14N, "transforms": (ALG_ENVELOPED, st.ALG_EXC_C14N)}, "BAD_ALGORITHM"),
        ({"c14n": st.ALG_EXC_C14N}, "BAD_ALGORITHM"),
        ({"transforms": (ALG_ENVELOPED, st.ALG_EXC_C14N)}, "BAD_TRANSFORM"),
        ({"transforms": (ALG_ENVELOPED,)}, "BAD_TRANSFORM"),  # C14N only implied
        ({"uris": ("", "")}, "MULTIPLE_REFERENCES"),
    ],
)
def test_profile_violations(p: Pki, kw: dict[str, object], code: str) -> None:
    xml = st.xmlsec_sign(st.with_template(DOC, st.template(**kw)), p.leaf)  # type: ignore[arg-type]
    assert _code(xml, p) == code


def test_reference_other_than_whole_document(p: Pki) -> None:
    doc = '<BHXH><DKI_BHXH Id="c"><TEN_DVI>Công ty</TEN_DVI></DKI_BHXH></BHXH>'.encode()
    xml = st.xmlsec_sign(st.with_template(doc, st.template(uris=("#c",))), p.leaf, id_attr="Id")
    assert _code(xml, p) == "BAD_REFERENCE_URI"
    assert _code(st.xmlsec_sign(st.with_template(DOC, st.template()), p.leaf).replace(b'URI=""', b""), p) == (
        "BAD_REFERENCE_URI"
    )


def test_exactly_the_two_transforms(p: Pki, signed: bytes) -> None:
    c14n = b'<Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>'
    assert _code(signed.replace(c14n, c14n + c14n), p) == "BAD_TRANSFORM"
    enveloped = b'<Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    assert _code(signed.replace(enveloped + c14n, c14n + enveloped), p) == "BAD_TRANSFORM"  # the other order
    assert _code(signed.replace(c14n, c14n.replace(b"/>", b"><X/></Transform>")), p) == "BAD_STRUCTURE"


def test_xpath_transform_refused(p: Pki, signed: bytes) -> None:
    tampered = signed.replace(
        b'<Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"/>',
        b'<Transform Algorithm="' + st.ALG_XPATH.encode() + b'"><XPath>not(ancestor::MST)</XPath></Transform>',
    )
    assert _code(tampered, p) == "BAD_TRANSFORM"


def test_two_signatures(p: Pki, signed: bytes) -> None:
    root = parse_xml(signed)
    sig = etree.tostring(root[-1][0])
    assert _code(signed.replace(b"</CKy_Dvi>", sig + b"</CKy_Dvi>"), p) == "MULTIPLE_SIGNATURES"  # both in place
    assert _code(signed.replace(b"<CKy_Dvi>", b"<CKy_Dvi>" + sig), p) == "MULTIPLE_SIGNATURES"
    assert _code(signed.replace(b"</BHXH>", sig + b"</BHXH>"), p) == "MULTIPLE_SIGNATURES"
    second = signed.replace(b"</BHXH>", b"<CKy_Dvi>" + sig + b"</CKy_Dvi></BHXH>")
    assert _code(second, p) == "MULTIPLE_SIGNATURES"
    nested = signed.replace(b"<MA_YEUCAU>", sig + b"<MA_YEUCAU>", 1)
    assert _code(nested, p) == "MULTIPLE_SIGNATURES"


def test_no_signature(p: Pki, unsigned: bytes) -> None:
    assert _code(unsigned, p) == "NO_SIGNATURE"


def _moved(signed: bytes, move: str) -> bytes:
    """The signed form with its Signature (still cryptographically valid) moved out of ``BHXH/CKy_Dvi``."""
    root = parse_xml(signed)
    container = root[-1]
    sig = container[0]
    if move == "root-last":  # the v1 place: the root's last child, no CKy_Dvi
        root.remove(container)
        root.append(sig)
    elif move == "after-empty-container":  # the root's last child, after an empty CKy_Dvi
        root.append(sig)
    elif move == "container-not-last":  # CKy_Dvi is not the root's last child
        root.append(etree.Element("X"))
    elif move == "after-signature":  # CKy_Dvi holds something after the Signature
        container.append(etree.Element("X"))
    elif move == "nested-container":  # a CKy_Dvi deeper in the document, an empty one ending the root
        root[0].append(etree.Element("CKy_Dvi"))
        root[0][-1].append(sig)
    elif move == "prefixed-container":  # a namesake in another namespace
        container.tag = "{urn:x}CKy_Dvi"
    else:
        raise AssertionError(move)
    out: bytes = etree.tostring(root, encoding="UTF-8")
    return out


@pytest.mark.parametrize(
    "move",
    ["root-last", "after-empty-container", "container-not-last", "after-signature", "nested-container",
     "prefixed-container"],
)  # fmt: skip
def test_signature_not_in_its_container(p: Pki, signed: bytes, move: str) -> None:
    with pytest.raises(SignatureInvalid) as info:
        verify_document(_moved(signed, move), trust=p.trust)
    assert info.value.code == "SIGNATURE_NOT_LAST"
    assert "CKy_Dvi/Signature" in info.value.message("vi") and "CKy_Dvi/Signature" in info.value.message("en")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b"<CKy_Dvi>", b"<CKy_Dvi><X/>"),  # an element before the Signature
        (b"<CKy_Dvi>", b"<CKy_Dvi><MA_DVI>EVIL</MA_DVI>"),
        (b"<CKy_Dvi>", b"<CKy_Dvi>MA_DVI=EVIL"),  # text beside it
        (b"</Signature></CKy_Dvi>", b"</Signature>EVIL</CKy_Dvi>"),
    ],
)
def test_container_holds_only_the_signature(p: Pki, signed: bytes, old: bytes, new: bytes) -> None:
    assert _code(signed.replace(old, new, 1), p) == "BAD_STRUCTURE"


def test_signed_document_wrapped_in_a_forged_one(p: Pki, signed: bytes) -> None:
    """The whole signed form inside a forged one: wherever it goes, its Signature is not the forged root's."""
    body = signed.split(b"?>\n", 1)[1]
    forged = b"<BHXH><DKI_BHXH><TTDVI><MA_DVI>EVIL</MA_DVI></TTDVI></DKI_BHXH>"
    for wrapped in (
        forged + b"<WRAP>" + body + b"</WRAP><CKy_Dvi/></BHXH>",
        forged + b"<CKy_Dvi/><WRAP>" + body + b"</WRAP></BHXH>",
        forged + b"<CKy_Dvi>" + body + b"</CKy_Dvi></BHXH>",  # inside the container itself
    ):
        assert _code(wrapped, p) == "SIGNATURE_NOT_LAST"


def _wrapped(signed: bytes, where: str) -> bytes:
    """The signed content moved into a container, forged content (MA_DVI EVIL1) in its place."""
    root = parse_xml(signed)
    original = root[0]
    forged = etree.fromstring(etree.tostring(original))
    forged.find("TTDVI/MA_DVI").text = "EVIL1"
    cky = root[-1]
    sig = cky[0]
    container = etree.Element(SIG + "Object" if where.startswith("object") else "WRAP")
    if where == "object-in-signature":
        sig.append(container)
    elif where.endswith("-in-container"):  # beside the Signature, in CKy_Dvi
        cky.insert(0, container)
    elif where == "second-container":  # the original in a CKy_Dvi of its own, before the signature's
        container = etree.Element("CKy_Dvi")
        root.insert(1, container)
    else:
        root.insert(1, container)
    container.append(original)  # moves it
    root.insert(0, forged)
    out: bytes = etree.tostring(root, encoding="UTF-8")
    return out


@pytest.mark.parametrize(
    ("where", "code"),
    [("object-in-signature", "OBJECT_NOT_ALLOWED"), ("object-before-signature", "OBJECT_NOT_ALLOWED"),
     ("object-in-container", "BAD_STRUCTURE"), ("plain-in-container", "BAD_STRUCTURE"),
     ("second-container", "INVALID"), ("plain", "INVALID")],
)  # fmt: skip
def test_signature_wrapping(p: Pki, signed: bytes, where: str, code: str) -> None:
    xml = _wrapped(signed, where)
    assert b"EVIL1" in xml and b"TA1234A" in xml
    assert _code(xml, p) == code


def test_forged_content_with_copied_signature(p: Pki, signed: bytes) -> None:
    forged = signed.replace(b"<MA_DVI>TA1234A", b"<MA_DVI>EVIL").replace(b"<MST>0101234565", b"<MST>0309999999")
    assert _code(forged, p) == "INVALID"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b'<!DOCTYPE BHXH [<!ENTITY x "y">]><BHXH/>', "DOCTYPE"),
        (b"<BHXH><A></BHXH>", "MALFORMED"),
        ('<?xml version="1.0" encoding="UTF-16"?><BHXH/>'.encode("utf-16"), "NOT_UTF8"),
    ],
)
def test_parse_errors_surface_as_signature_invalid(p: Pki, data: bytes, code: str) -> None:
    assert _code(data, p) == code


def test_reason_messages_in_both_languages() -> None:
    for code in (
        "NO_SIGNATURE", "MULTIPLE_SIGNATURES", "SIGNATURE_NOT_LAST", "MULTIPLE_REFERENCES",
        "BAD_REFERENCE_URI", "BAD_TRANSFORM", "WEAK_ALGORITHM", "BAD_ALGORITHM", "NO_CERTIFICATE",
        "CERT_MISMATCH", "UNTRUSTED",
        "INVALID", "OBJECT_NOT_ALLOWED", "CERT_EXPIRED", "CERT_NOT_YET_VALID", "KEY_TOO_WEAK",
        "ISSUER_SERIAL_MISMATCH",
    ):  # fmt: skip
        assert has(f"sig.{code}")
    assert "SHA-1" in t("sig.WEAK_ALGORITHM", "en", algorithm="x")


def test_trust_store_needs_an_anchor() -> None:
    with pytest.raises(ValueError):
        TrustStore([])


def test_verified_root_is_what_was_checked(p: Pki, signed: bytes, dossier: ChangeDossier) -> None:
    verified = verify_document(signed, trust=p.trust)
    assert verified.root[-1].tag == "CKy_Dvi" and verified.root[-1][0].tag == SIG + "Signature"
    assert dossier_from_root(verified.root) == dataclasses.replace(dossier)


def test_content_is_what_the_reference_covers(p: Pki, signed: bytes, dossier: ChangeDossier) -> None:
    verified = verify_document(signed, trust=p.trust)
    # the root without its Signature: the empty CKy_Dvi stays (it is signed content)
    assert [c.tag for c in verified.content] == ["DKI_BHXH", "CKy_Dvi"]
    assert len(verified.content[-1]) == 0 and not verified.content[-1].text
    assert not list(verified.content.iter(SIG + "*"))
    assert dossier_from_root(verified.content) == dossier
    assert etree.tostring(enveloped_content(parse_xml(signed)), method="c14n") == etree.tostring(
        parse_xml(build_dossier(dossier)), method="c14n"
    )


def test_self_closing_root_falls_back_to_lxml_serialisation(p: Pki) -> None:
    out = sign_document(b'<BHXH a="1"/>', pki.SoftwareSigner(p.leaf))
    assert out.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<BHXH a="1"><CKy_Dvi><Signature')
    assert verify_document(out, trust=p.trust).root.get("a") == "1"


def test_xml_attributes_on_root_are_refused_for_signing(p: Pki) -> None:
    with pytest.raises(SignatureInvalid) as info:
        sign_document(b'<BHXH xml:lang="vi"><A/></BHXH>', pki.SoftwareSigner(p.leaf))
    assert info.value.code == "UNSUPPORTED_DOCUMENT"


# --- KeyInfo holds only the signer's X509Data (protocol §3.3) -----------------------------------------------


def _in_key_info(signed: bytes, fragment: bytes, *, where: bytes = b"</KeyInfo>") -> bytes:
    """``fragment`` added inside KeyInfo (or before ``where``): KeyInfo is not signed, so the signature stays
    cryptographically valid and only the profile can refuse it."""
    assert signed.count(where) == 1
    return signed.replace(where, fragment + where)


XI = b'xmlns:xi="http://www.w3.org/2001/XInclude"'


@pytest.mark.parametrize(
    ("fragment", "where", "element"),
    [
        # an unsigned copy of the content with other values, where a careless reader might search for it
        (b"<DKI_BHXH><TTDVI><MA_DVI>EVIL</MA_DVI></TTDVI></DKI_BHXH>", b"</KeyInfo>", "KeyInfo/DKI_BHXH"),
        (b"<DKI_BHXH><TTDVI><MA_DVI>EVIL</MA_DVI></TTDVI></DKI_BHXH>", b"</X509Data>", "X509Data/DKI_BHXH"),
        (b"<xi:include " + XI + b' href="file:///etc/passwd" parse="text"/>', b"</KeyInfo>", "KeyInfo/xi:include"),
        (b"<xi:include " + XI + b' href="file:///etc/passwd" parse="text"/>', b"</X509Data>", "X509Data/xi:include"),
        (b"<KeyName>signer</KeyName>", b"</KeyInfo>", "KeyInfo/KeyName"),
        (b"<X509SubjectName>CN=CONG TY TNHH ABC</X509SubjectName>", b"</X509Data>", "X509Data/X509SubjectName"),
        (b'<RetrievalMethod URI="http://evil.example/cert"/>', b"</KeyInfo>", "KeyInfo/RetrievalMethod"),
    ],
)
def test_key_info_holds_nothing_else(p: Pki, signed: bytes, fragment: bytes, where: bytes, element: str) -> None:
    xml = _in_key_info(signed, fragment, where=where)
    with pytest.raises(SignatureInvalid) as info:
        verify_document(xml, trust=p.trust)
    assert info.value.code == "OBJECT_NOT_ALLOWED" and element in info.value.message("en")


def test_key_info_structure(p: Pki, signed: bytes) -> None:
    x509_data = signed[signed.index(b"<X509Data>") : signed.index(b"</KeyInfo>")]
    assert _code(_in_key_info(signed, x509_data), p) == "BAD_STRUCTURE"  # two X509Data
    assert _code(_in_key_info(signed, b"MA_DVI=EVIL", where=b"</X509Data>"), p) == "BAD_STRUCTURE"  # text
    assert verify_document(_in_key_info(signed, b"<!-- a comment -->", where=b"</X509Data>"), trust=p.trust)


def _issuer_serial(name: str, serial: int) -> bytes:
    return (
        f"<X509IssuerSerial><X509IssuerName>{name}</X509IssuerName>"
        f"<X509SerialNumber>{serial}</X509SerialNumber></X509IssuerSerial>"
    ).encode()


def test_issuer_serial_must_designate_the_signer(p: Pki, signed: bytes) -> None:
    escaped = r"CN=Test Root CA,O=B\E1\BB\99 Th\C3\B4ng tin v\C3\A0 Truy\E1\BB\81n th\C3\B4ng (TEST),C=VN"
    serial = p.leaf.cert.serial_number
    good = _in_key_info(signed, _issuer_serial(escaped, serial), where=b"</X509Data>")  # as xmlsec writes it
    assert verify_document(good, trust=p.trust).certificate.der == p.leaf.der
    other = _in_key_info(signed, _issuer_serial(escaped, serial + 1), where=b"</X509Data>")
    assert _code(other, p) == "ISSUER_SERIAL_MISMATCH"
    other = _in_key_info(signed, _issuer_serial("CN=Rogue CA,C=VN", serial), where=b"</X509Data>")
    assert _code(other, p) == "ISSUER_SERIAL_MISMATCH"
    twice = _in_key_info(good, _issuer_serial(escaped, serial), where=b"</X509Data>")
    assert _code(twice, p) == "BAD_STRUCTURE"
    extra = good.replace(b"</X509SerialNumber>", b"</X509SerialNumber><X509SKI>AA==</X509SKI>")
    assert _code(extra, p) == "BAD_STRUCTURE"


def test_intermediates_in_key_info_must_be_cas(p: Pki, unsigned: bytes) -> None:
    signed = sign_document(unsigned, pki.SoftwareSigner(p.inter_leaf))
    other_leaf = base64.b64encode(p.leaf.der)
    with_leaf = signed.replace(
        b"</X509Certificate>", b"</X509Certificate><X509Certificate>" + other_leaf + b"</X509Certificate>"
    )
    assert _code(with_leaf, p) == "NO_CERTIFICATE"  # two leaves: which one signed?


# --- key strength --------------------------------------------------------------------------------------------


def test_rsa_key_under_2048_bits_is_refused(p: Pki, unsigned: bytes) -> None:
    weak = pki.issue(p.ca, key_index=1, key_bits=1024)
    xml = st.xmlsec_sign(st.with_template(DOC, st.template()), weak)  # cryptographically valid, trusted CA
    with pytest.raises(SignatureInvalid) as info:
        verify_document(xml, trust=p.trust)
    assert info.value.code == "KEY_TOO_WEAK"
    assert "1024" in info.value.message("vi") and "2048" in info.value.message("en")
    with pytest.raises(SignatureInvalid) as info:  # the client refuses before asking the token to sign
        prepare_signature(unsigned, weak.der)
    assert info.value.code == "KEY_TOO_WEAK"
