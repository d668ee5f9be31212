"""Path validation (core.certs.validate_path, cryptography's verifier): every issuer a CA with keyCertSign and a
respected pathLen, valid at the time; intermediates from the token and from KeyInfo; the same answer for the
certificate problems, ``verify_document`` (``ibhxh verify``) and the simulator's submission check."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.support import pki
from tui_ibhxh.core.certs import CheckContext, check_certificate, validate_path
from tui_ibhxh.core.dossier import build_dossier
from tui_ibhxh.core.models import ProblemCode
from tui_ibhxh.core.xmldsig import SignatureInvalid, TrustStore, sign_document, verify_document
from tui_ibhxh.ivan_sim.errors import ApiError
from tui_ibhxh.ivan_sim.verify import verify_submission

NOW = pki.now()


@pytest.fixture(scope="module")
def root() -> pki.Issued:
    return pki.make_ca("Vietnam National Root CA (TEST)", key_index=0)


def _problems(leaf: pki.Issued, root: pki.Issued, intermediates: tuple[pki.Issued, ...] = ()) -> list[ProblemCode]:
    ctx = CheckContext(
        now=NOW, unit_mst="0101234565", anchors=[root.info], intermediates=[c.info for c in intermediates]
    )
    return [p.code for p in check_certificate(leaf.info, has_private_key=True, ctx=ctx)]


def test_intermediate_from_the_token_completes_the_chain(root: pki.Issued) -> None:
    inter = pki.make_ca("VNPT Certification Authority (TEST)", key_index=3, parent=root)
    leaf = pki.issue(inter, key_index=1)
    assert _problems(leaf, root) == [ProblemCode.UNTRUSTED]  # the token's CA certificate is needed
    assert _problems(leaf, root, (inter,)) == []
    path = validate_path(leaf.info, [root.info], [inter.info], at=NOW)
    assert [c.sha256 for c in path.chain] == [leaf.info.sha256, inter.info.sha256, root.info.sha256]
    assert path.issuer is not None and path.issuer.sha256 == inter.info.sha256


@pytest.mark.parametrize(
    ("make_inter", "why"),
    [
        (
            lambda root: pki.issue(root, key_index=3, key_usage=("digital_signature", "key_cert_sign")),
            "basicConstraints",
        ),
        (
            lambda root: pki.make_ca("No keyCertSign", key_index=3, parent=root, key_usage=("digital_signature",)),
            "keyCertSign",
        ),
    ],
    ids=["issuer-not-a-ca", "issuer-without-keyCertSign"],
)
def test_every_issuer_must_be_a_ca_allowed_to_sign_certificates(root: pki.Issued, make_inter, why: str) -> None:  # type: ignore[no-untyped-def]
    inter = make_inter(root)
    leaf = pki.issue(inter, key_index=1)
    path = validate_path(leaf.info, [root.info], [inter.info], at=NOW)
    assert not path.trusted and why in path.reason
    assert ProblemCode.UNTRUSTED in _problems(leaf, root, (inter,))


def test_path_length_constraint_is_enforced(root: pki.Issued) -> None:
    top = pki.make_ca("Sub CA pathLen 0", key_index=3, parent=root, path_length=0)
    below = pki.make_ca("Sub-sub CA", key_index=4, parent=top)
    leaf = pki.issue(below, key_index=1)
    path = validate_path(leaf.info, [root.info], [top.info, below.info], at=NOW)
    assert not path.trusted and "path length" in path.reason
    top1 = pki.make_ca("Sub CA pathLen 1", key_index=3, parent=root, path_length=1)
    below1 = pki.make_ca("Sub-sub CA 1", key_index=4, parent=top1)
    assert validate_path(pki.issue(below1, key_index=1).info, [root.info], [top1.info, below1.info], at=NOW).trusted


def test_issuers_valid_at_the_signing_time_not_now(root: pki.Issued) -> None:
    """An intermediate that expired yesterday: a signature made last month still has its path; one made now not."""
    old = pki.make_ca(
        "Expired Sub CA",
        key_index=5,
        parent=root,
        not_before=NOW - dt.timedelta(days=300),
        not_after=NOW - dt.timedelta(days=1),
    )
    leaf = pki.issue(old, key_index=1, not_before=NOW - dt.timedelta(days=200), days=365)
    assert validate_path(leaf.info, [root.info], [old.info], at=NOW - dt.timedelta(days=30)).trusted
    assert not validate_path(leaf.info, [root.info], [old.info], at=NOW).trusted


def test_an_expired_leaf_is_expired_not_untrusted(root: pki.Issued) -> None:
    leaf = pki.issue(root, key_index=1, not_before=NOW - dt.timedelta(days=100), days=50)
    assert _problems(leaf, root) == [ProblemCode.EXPIRED]


def test_the_same_rule_in_verify_document_and_the_simulator(root: pki.Issued, dossier_xml: bytes) -> None:
    """An issuer not allowed to sign certificates (a CA without keyCertSign), carried in KeyInfo: the client's
    problem list, ibhxh verify (verify_document) and the simulator all refuse the path."""
    from lxml import etree

    fake = pki.make_ca("CA without keyCertSign", key_index=3, parent=root, key_usage=("digital_signature",))
    leaf = pki.issue(fake, key_index=1)
    signed = sign_document(dossier_xml, pki.SoftwareSigner(leaf))
    # add the fake intermediate to KeyInfo, re-signed (KeyInfo is not covered by the signature)
    tree = etree.fromstring(signed)
    x509_data = tree.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Data")
    extra = etree.SubElement(x509_data, "{http://www.w3.org/2000/09/xmldsig#}X509Certificate")
    import base64

    extra.text = base64.b64encode(fake.der).decode()
    with_chain = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(tree, encoding="UTF-8")
    store = TrustStore([root.der])
    with pytest.raises(SignatureInvalid) as refused:
        verify_document(with_chain, trust=store)
    assert refused.value.code == "UNTRUSTED"
    with pytest.raises(ApiError) as sim:
        verify_submission(with_chain, store)
    assert (sim.value.status, sim.value.code) == (422, "CERT_UNTRUSTED")
    assert ProblemCode.UNTRUSTED in _problems(leaf, root, (fake,))
    # a real intermediate in KeyInfo is accepted by both
    inter = pki.make_ca("Real Sub CA", key_index=4, parent=root)
    good_leaf = pki.issue(inter, key_index=1)
    good = sign_document(dossier_xml, pki.SoftwareSigner(good_leaf))
    tree = etree.fromstring(good)
    x509_data = tree.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Data")
    etree.SubElement(x509_data, "{http://www.w3.org/2000/09/xmldsig#}X509Certificate").text = base64.b64encode(
        inter.der
    ).decode()
    good_chain = b'<?xml version="1.0" encoding="UTF-8"?>\n' + etree.tostring(tree, encoding="UTF-8")
    assert verify_document(good_chain, trust=store).certificate.der == good_leaf.der


@pytest.fixture
def dossier_xml() -> bytes:
    from tests.support.sim_server import CONTACT, UNIT_A
    from tui_ibhxh.core.dossier import CertSummary, ChangeDossier

    root = pki.make_ca("Vietnam National Root CA (TEST)", key_index=0)
    cert = pki.issue(root, key_index=1).info
    dossier = ChangeDossier(
        unit=UNIT_A,
        contact=CONTACT,
        ngay_lap=NOW.date(),
        ten_ivan="I-VAN",
        new_cert=CertSummary.from_cert(cert),
        old_cert=CertSummary.from_cert(cert),
        ma_yeucau="5f0c7e4a-3b1d-4c2e-9a8f-0d1e2f3a4b5c",
    )
    return build_dossier(dossier)
