"""Helpers for signature tests: signature templates with any algorithms, signed by python-xmlsec or xmlsec1.

They produce *cryptographically valid* signatures outside our profile, so the tests show that our verifier
refuses them for the profile reason, not because the signature is broken.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import xmlsec
from lxml import etree

from tests.support import pki
from tui_ibhxh.core.xmldsig import (
    ALG_C14N,
    ALG_ENVELOPED,
    ALG_RSA_SHA256,
    ALG_SHA256,
    CONTAINER,
    DSIG_NS,
)

ALG_RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
ALG_SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
ALG_RSA_SHA512 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"
ALG_SHA512 = "http://www.w3.org/2001/04/xmlenc#sha512"
ALG_EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ALG_C14N_COMMENTS = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
ALG_XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"


def template(
    *,
    c14n: str = ALG_C14N,
    sig_alg: str = ALG_RSA_SHA256,
    digest_alg: str = ALG_SHA256,
    transforms: tuple[str, ...] = (ALG_ENVELOPED, ALG_C14N),
    uris: tuple[str, ...] = ("",),
    with_cert: bool = True,
) -> str:
    """A ``<Signature>`` template (default namespace) to put in place with :func:`with_template`."""
    refs = "".join(
        f'<Reference URI="{uri}"><Transforms>'
        + "".join(f'<Transform Algorithm="{a}"/>' for a in transforms)
        + f'</Transforms><DigestMethod Algorithm="{digest_alg}"/><DigestValue/></Reference>'
        for uri in uris
    )
    key_info = "<KeyInfo><X509Data/></KeyInfo>" if with_cert else ""
    return (
        f'<Signature xmlns="{DSIG_NS}"><SignedInfo><CanonicalizationMethod Algorithm="{c14n}"/>'
        f'<SignatureMethod Algorithm="{sig_alg}"/>{refs}</SignedInfo><SignatureValue/>{key_info}</Signature>'
    )


def with_template(xml: bytes, tpl: str, *, container: str | None = CONTAINER) -> bytes:
    """``xml`` with ``tpl`` where the profile puts the signature: in the empty ``container`` that ends the root
    (filled, or added when missing), or (``container=None``, BHXH's confirmations) as the root's last child."""
    if container is None:
        root_end = xml.rindex(b"</")
        return xml[:root_end] + tpl.encode() + xml[root_end:]
    empty = f"<{container}/>".encode()
    filled = f"<{container}>{tpl}</{container}>".encode()
    if empty in xml:
        return xml.replace(empty, filled, 1)
    root_end = xml.rindex(b"</")
    return xml[:root_end] + filled + xml[root_end:]


def xmlsec_sign(xml_with_template: bytes, issued: pki.Issued, *, id_attr: str | None = None) -> bytes:
    """Sign a document holding a template in-process with python-xmlsec (any algorithm it supports)."""
    root = etree.fromstring(xml_with_template)
    if id_attr:
        for el in root.iter():
            if el.get(id_attr):
                xmlsec.tree.add_ids(root, [id_attr])
                break
    (sig,) = root.iter(f"{{{DSIG_NS}}}Signature")
    x509 = sig.find(f"{{{DSIG_NS}}}KeyInfo/{{{DSIG_NS}}}X509Data")
    if x509 is not None:
        etree.SubElement(x509, f"{{{DSIG_NS}}}X509Certificate")
    ctx = xmlsec.SignatureContext()
    key = xmlsec.Key.from_memory(issued.key_pem, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_memory(issued.pem, xmlsec.constants.KeyDataFormatPem)
    ctx.key = key
    ctx.sign(sig)
    out: bytes = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=True)
    return out


def xmlsec1(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the ``xmlsec1`` command-line tool."""
    return subprocess.run(
        ["xmlsec1", *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=30, check=False
    )
