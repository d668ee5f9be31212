"""Hostile and broken dossiers for the simulator's synchronous checks."""

from __future__ import annotations

import re
from typing import Any

import xmlsec
from lxml import etree

from tests.support import pki

XXE = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<!DOCTYPE BHXH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    b"<BHXH><DKI_BHXH>&xxe;</DKI_BHXH></BHXH>"
)

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n'.encode() for i in range(1, 10)
    )
    + b"]>\n<BHXH>&lol9;</BHXH>"
)


def with_doctype(signed: bytes) -> bytes:
    """The signed dossier with an (otherwise harmless) internal DOCTYPE after the declaration."""
    head, sep, rest = signed.partition(b"?>")
    return head + sep + b"\n<!DOCTYPE BHXH [<!ELEMENT BHXH ANY>]>" + rest


def tamper(signed: bytes) -> bytes:
    """Change a contact value after signing: a form's e-mail, an envelope's phone number."""
    if b"<Hoso>" in signed:
        return re.sub(rb"<DienThoai>[^<]*</DienThoai>", b"<DienThoai>0999999999</DienThoai>", signed, count=1)
    return re.sub(rb"<EMAIL>[^<]*</EMAIL>", b"<EMAIL>ke-gian@evil.example</EMAIL>", signed, count=1)


def wrapped(signed: bytes) -> bytes:
    """Signature wrapping: the original content moved into ds:Object, forged content in its place (a form's
    DKI_BHXH, or an envelope's NoiDung)."""
    original = re.search(rb"<(DKI_BHXH|NoiDung)>.*</\1>", signed, re.S)
    assert original is not None
    root = b"BHXH" if original.group(1) == b"DKI_BHXH" else b"Hoso"
    forged = tamper(signed)
    obj = b"<Object><" + root + b">" + original.group(0) + b"</" + root + b"></Object></Signature>"
    return forged.replace(b"</Signature>", obj, 1)


def second_signature(signed: bytes) -> bytes:
    """A copy of the signature after the one in CKy_Dvi (two signatures: refused)."""
    sig = re.search(rb"<Signature .*</Signature>", signed, re.S)
    assert sig is not None
    return signed.replace(b"</CKy_Dvi>", sig.group(0) + b"</CKy_Dvi>", 1)


def other_reference(signed: bytes) -> bytes:
    return signed.replace(b'<Reference URI="">', b'<Reference URI="#DKI">', 1)


def sign_sha1(unsigned: bytes, issued: pki.Issued) -> bytes:
    """An enveloped signature with RSA-SHA1 / SHA-1 digest (refused by the profile)."""
    c = xmlsec.constants
    return xmlsec_signed(unsigned, issued, c14n=c.TransformInclC14N, method=c.TransformRsaSha1, digest=c.TransformSha1)


def sign_exclusive_c14n(unsigned: bytes, issued: pki.Issued) -> bytes:
    """An enveloped signature with exclusive C14N for SignedInfo and the Reference (refused by the profile)."""
    return xmlsec_signed(unsigned, issued, c14n=xmlsec.constants.TransformExclC14N)


def in_key_info(signed: bytes, fragment: bytes, *, where: bytes = b"</KeyInfo>") -> bytes:
    """``fragment`` inserted before ``where`` (inside KeyInfo by default). KeyInfo is not covered by the
    signature, so the signature stays valid: only the profile can refuse it."""
    return signed.replace(where, fragment + where, 1)


Transform = Any  # one of xmlsec.constants.Transform*


def xmlsec_signed(
    unsigned: bytes,
    issued: pki.Issued,
    *,
    c14n: Transform = xmlsec.constants.TransformInclC14N,
    method: Transform = xmlsec.constants.TransformRsaSha256,
    digest: Transform = xmlsec.constants.TransformSha256,
    container: str | None = "CKy_Dvi",
) -> bytes:
    """An enveloped signature made by xmlsec itself (so with any key size it accepts) with these algorithms;
    ``c14n`` serves for SignedInfo and as the Reference's transform after enveloped-signature. It goes where
    the profile puts it: into the empty ``container`` ending the root (added when missing), or (None) as the
    root's last child."""
    root = etree.fromstring(unsigned)
    sig = xmlsec.template.create(root, c14n, method)
    place = root
    if container is not None:
        last = root[-1] if len(root) else None
        empty = last is not None and last.tag == container and not len(last) and not (last.text or "").strip()
        place = last if empty else etree.SubElement(root, container)
    place.append(sig)
    ref = xmlsec.template.add_reference(sig, digest, uri="")
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(ref, c14n)
    x509 = xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
    xmlsec.template.x509_data_add_certificate(x509)
    key = xmlsec.Key.from_memory(issued.key_pem, xmlsec.constants.KeyDataFormatPem)
    key.load_cert_from_memory(issued.pem, xmlsec.constants.KeyDataFormatPem)
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    ctx.sign(sig)
    out: bytes = etree.tostring(root, encoding="UTF-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + out


def utf16(signed: bytes) -> bytes:
    return signed.replace(b'encoding="UTF-8"', b'encoding="UTF-16"').decode("utf-8").encode("utf-16")


def latin1(signed: bytes) -> bytes:
    text = signed.decode("utf-8").replace('encoding="UTF-8"', 'encoding="ISO-8859-1"')
    return text.encode("latin-1", errors="replace")


def oversize(signed: bytes, limit: int = 1_048_576) -> bytes:
    """Padded with a comment before the root's end tag, beyond ``limit`` bytes."""
    pad = b"<!--" + b"x" * (limit - len(signed)) + b"-->"
    end = signed.rindex(b"</")
    return signed[:end] + pad + signed[end:]
