"""Enveloped XMLDSig with the I-VAN protocol's strict profile (IVAN_PROTOCOL.md §3.3).

Profile: one ``<Signature xmlns="http://www.w3.org/2000/09/xmldsig#">`` (default namespace, no prefix) alone in
``{root}/CKy_Dvi`` (:data:`CONTAINER`, the unit's signature element of the BHXH forms and envelope), the root's
last child (BHXH's own confirmations keep it as the root's last child: ``container=None``); RSA-SHA256 with a key
of at least 2048 bits (``core.certs.key_too_weak``); exactly one ``Reference URI=""`` with exactly the
transforms enveloped-signature then inclusive C14N 1.0; SHA-256 digest;
SignedInfo canonicalised with inclusive C14N 1.0 (exclusive C14N and C14N with comments are refused);
``KeyInfo`` holds only one ``X509Data`` with the signing ``X509Certificate`` (optionally the intermediate CA
certificates and one ``X509IssuerSerial`` that must designate the signer) and nothing else; no ``Object``.
This one module is the profile for the client's self-verification, ``ibhxh verify`` and the simulator.

Signing is two-phase so the RSA step (on a PKCS#11 token, in another thread) stays outside ``core``::

    prepared = prepare_signature(xml, cert_der)         # digest + SignedInfo, computed with lxml
    value = token.sign(prepared.signed_info_c14n)       # RSA PKCS#1 v1.5 over SHA-256 (the signer hashes)
    signed = prepared.finish(value)                     # inserts the value, self-verifies with xmlsec

The signature is spliced into the original bytes (into the empty ``CKy_Dvi`` that ends the root, or with a new
one just before the root's end tag), so the signed content keeps its exact bytes. The enveloped-signature
transform removes only the Signature: the empty ``CKy_Dvi`` is part of the signed content.

Verification (:func:`verify_document`) first checks the structure (what xmlsec does not: exactly one
signature, where it is, which algorithms, no ``Object``/wrapping containers, ``URI=""`` only), then the
certificate (pinned and/or a path to a :class:`TrustStore` validated by ``core.certs.validate_path``, the
leaf's validity only when a check time is given), and finally lets xmlsec check digest and signature with the key of the
certificate found in ``KeyInfo``. xmlsec's own X.509 chain verification is not used: it always checks validity
periods at the current clock, which would make ``check_time=None`` (accept expired certificates; BHXH rejects
them later, asynchronously) impossible. Callers must read values only from ``VerifiedDocument.content``: the
element the Reference covers (the root without its Signature), never by a search of the whole document.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final, Protocol

import xmlsec
from cryptography import x509 as cx509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from lxml import etree  # type: ignore[import-untyped, unused-ignore]  # no stubs in the pinned deps

from tui_ibhxh.core.certs import (
    MIN_KEY_BITS,
    CertificateError,
    TrustPath,
    key_too_weak,
    load_certificates,
    names_issuer_serial,
    parse_certificate,
    validate_path,
    within_validity,
)
from tui_ibhxh.core.i18n import fmt_date
from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.xmlsafe import DEFAULT_MAX_BYTES, XmlError, XmlRejected, parse_xml, safe_parser

DSIG_NS: Final = "http://www.w3.org/2000/09/xmldsig#"
_DSIG_PREFIX: Final = f"{{{DSIG_NS}}}"
ALG_RSA_SHA256: Final = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ALG_SHA256: Final = "http://www.w3.org/2001/04/xmlenc#sha256"
ALG_C14N: Final = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ALG_ENVELOPED: Final = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"

#: the one Reference's transforms, in this order
_TRANSFORMS: Final = (ALG_ENVELOPED, ALG_C14N)
_WEAK_RE: Final = re.compile(r"(?:sha-?1|md5)(?![0-9])", re.IGNORECASE)
_XML_DECLARATION: Final = b'<?xml version="1.0" encoding="UTF-8"?>\n'
PATH_CACHE_SIZE: Final = 1024  # validated paths a trust store remembers (one per signer, in practice)
#: where the unit's signature lives in the BHXH forms and the envelope: ``{root}/CKy_Dvi/Signature``
CONTAINER: Final = "CKy_Dvi"


class SignatureInvalid(XmlError):
    """Signing or verification failed: ``code`` is a ``sig.*`` code or an :class:`XmlRejected` code."""


class Signer(Protocol):
    """Does the RSA step: PKCS#1 v1.5 signature over SHA-256(data); CKM_SHA256_RSA_PKCS: the signer hashes."""

    @property
    def certificate_der(self) -> bytes: ...

    def sign(self, data: bytes) -> bytes: ...


def _q(local: str) -> str:
    return _DSIG_PREFIX + local


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _c14n_document(root: etree._Element) -> bytes:
    """Inclusive C14N 1.0 without comments of the whole document (what ``URI=""`` + C14N covers)."""
    data: bytes = etree.tostring(root.getroottree(), method="c14n", exclusive=False, with_comments=False)
    return data


def _c14n_subtree(el: etree._Element) -> bytes:
    """Inclusive C14N 1.0 without comments of ``el`` as a document subset (ancestors' namespaces included).

    lxml's C14N of a sub-element can emit stray ``xmlns=""`` on descendants; serialising the element (which
    carries every in-scope namespace declaration) and re-parsing it first avoids that.
    """
    standalone = etree.fromstring(etree.tostring(el), safe_parser())
    data: bytes = etree.tostring(standalone.getroottree(), method="c14n", exclusive=False, with_comments=False)
    return data


def _find_signatures(root: etree._Element) -> list[etree._Element]:
    return list(root.iter(_q("Signature")))


def _serialise(root: etree._Element) -> bytes:
    data: bytes = etree.tostring(root.getroottree(), encoding="UTF-8", xml_declaration=False)
    return _XML_DECLARATION + data


# --- signing ------------------------------------------------------------------------------------------------


#: the Signature the profile allows, as bytes: built once per signature by formatting (building it with lxml
#: elements cost a sixth of the signing outside the token); ``finish`` fills the empty SignatureValue
_SIGNATURE_TEMPLATE: Final = (
    f'<Signature xmlns="{DSIG_NS}"><SignedInfo>'
    f'<CanonicalizationMethod Algorithm="{ALG_C14N}"/><SignatureMethod Algorithm="{ALG_RSA_SHA256}"/>'
    f'<Reference URI=""><Transforms><Transform Algorithm="{ALG_ENVELOPED}"/><Transform Algorithm="{ALG_C14N}"/>'
    f'</Transforms><DigestMethod Algorithm="{ALG_SHA256}"/><DigestValue>{{digest}}</DigestValue></Reference>'
    "</SignedInfo><SignatureValue></SignatureValue>"
    "<KeyInfo><X509Data><X509Certificate>{certificate}</X509Certificate></X509Data></KeyInfo></Signature>"
)


def _signature_fragment(digest: bytes, certificate_der: bytes) -> bytes:
    """The Signature element (UTF-8 bytes, no declaration) over a document of this ``digest``."""
    return _SIGNATURE_TEMPLATE.format(digest=_b64(digest), certificate=_b64(certificate_der)).encode("ascii")


def _splice(
    xml: bytes, root: etree._Element, fragment: bytes, container: str | None, *, has_container: bool
) -> bytes | None:
    """``xml`` with the Signature ``fragment`` in place — inside the empty ``container`` that ends the root
    (``has_container``) or a new one, or as the root's last child — or None when the bytes do not allow it."""
    name = f"{root.prefix}:{etree.QName(root).localname}" if root.prefix else etree.QName(root).localname
    idx = xml.rfind(b"</" + name.encode("utf-8"))
    if idx < 0:
        return None
    if container is None:
        out = xml[:idx] + fragment + xml[idx:]
    elif has_container:
        tag = container.encode("ascii")
        found = list(re.finditer(rb"<" + tag + rb"\s*(/>|>\s*</" + tag + rb"\s*>)", xml[:idx]))
        m = found[-1] if found else None  # the last one: the container that ends the root
        if m is None or xml[m.end() : idx].strip():
            return None
        out = xml[: m.start()] + b"<" + tag + b">" + fragment + b"</" + tag + b">" + xml[m.end() :]
    else:
        tag = container.encode("ascii")
        out = xml[:idx] + b"<" + tag + b">" + fragment + b"</" + tag + b">" + xml[idx:]
    if not out.lstrip(b"\xef\xbb\xbf").startswith(b"<?xml"):
        out = _XML_DECLARATION + out
    return out


def _empty_container(root: etree._Element, container: str) -> etree._Element | None:
    """The root's last element child when it is an empty ``container`` (where the signature goes)."""
    children = _elements(root)
    last = children[-1] if children else None
    if last is None or last.tag != container or len(last) or (last.text or "").strip():
        return None
    return last


def _signature_place(root: etree._Element, container: str | None) -> etree._Element:
    """The element the Signature must be the child of; raises SIGNATURE_NOT_LAST when the document has none."""
    if container is None:
        return root
    children = _elements(root)
    last = children[-1] if children else None
    if last is None or last.tag != container:
        raise SignatureInvalid("SIGNATURE_NOT_LAST", "sig.SIGNATURE_NOT_LAST", where=f"{container}/Signature")
    return last


def _spliced_signed_info(out: bytes, original_c14n: bytes, container: str | None) -> bytes | None:
    """The canonical SignedInfo of the Signature spliced into ``out`` (one parse), or None when the splice left
    it out of place or changed what the Reference covers."""
    try:
        new_root = parse_xml(out, max_bytes=len(out))
        sig = _check_place(new_root, container)
    except (XmlRejected, SignatureInvalid):
        return None
    signed_info = sig.find(_q("SignedInfo"))
    parent = sig.getparent()
    if signed_info is None or parent is None:
        return None
    c14n = _c14n_subtree(signed_info)
    parent.remove(sig)
    return c14n if _c14n_document(new_root) == original_c14n else None


@dataclass(frozen=True)
class PreparedSignature:
    """A document with its Signature in place, waiting for the RSA signature value."""

    template: bytes  # the signed document with an empty SignatureValue
    signed_info_c14n: bytes  # what the signer must sign (it hashes with SHA-256 itself)
    certificate_der: bytes
    container: str | None = CONTAINER

    def finish(self, signature_value: bytes) -> bytes:
        """The signed document (UTF-8, XML declaration, not pretty-printed).

        The value is checked against ``certificate_der`` over exactly the SignedInfo that was signed (whose digest
        of the document :func:`prepare_signature` computed and checked), so a wrong value (wrong key on the token,
        a corrupted answer) raises :class:`SignatureInvalid` (INVALID) without parsing the document again; the
        full :func:`verify_document` is what receivers (and the app before sending) run.
        """
        marker = b"<SignatureValue></SignatureValue>"
        idx = self.template.rfind(marker)  # ours is the last one: the Signature ends the root
        if idx >= 0:
            value = f"<SignatureValue>{_b64(signature_value)}</SignatureValue>".encode("ascii")
            out = self.template[:idx] + value + self.template[idx + len(marker) :]
        else:  # not produced by prepare_signature: fill it through lxml
            root = parse_xml(self.template, max_bytes=len(self.template))
            sigs = _find_signatures(root)
            value_el = sigs[-1].find(_q("SignatureValue")) if sigs else None
            if value_el is None:
                raise SignatureInvalid("BAD_STRUCTURE", "sig.BAD_STRUCTURE", detail="no SignatureValue")
            value_el.text = _b64(signature_value)
            out = _serialise(root)
        _check_value(self.certificate_der, signature_value, self.signed_info_c14n)
        return out


def prepare_signature(
    xml: bytes,
    certificate_der: bytes,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    container: str | None = CONTAINER,
) -> PreparedSignature:
    """Phase 1 of signing ``xml`` (unsigned) with the key of ``certificate_der``; see the module docstring. The
    Signature goes into ``{root}/{container}`` (added, empty, when the document does not end with one)."""
    try:
        root = parse_xml(xml, max_bytes=max_bytes)
    except XmlRejected as exc:
        raise SignatureInvalid(exc.code, exc.key, **exc.params) from None
    try:
        signer = parse_certificate(certificate_der)
    except CertificateError:
        raise SignatureInvalid("NO_CERTIFICATE", "sig.NO_CERTIFICATE") from None
    if key_too_weak(signer):  # before the token is asked to sign: such a signature would be refused
        raise _key_too_weak(signer)
    if _find_signatures(root):
        raise SignatureInvalid("ALREADY_SIGNED", "sig.ALREADY_SIGNED")
    if any(k.startswith("{http://www.w3.org/XML/1998/namespace}") for k in root.attrib):
        # inclusive C14N would have to carry the root's xml:* attributes into SignedInfo; lxml does not
        raise SignatureInvalid(
            "UNSUPPORTED_DOCUMENT", "sig.UNSUPPORTED_DOCUMENT", detail="xml:* attributes on the root element"
        )
    place = root
    existing = _empty_container(root, container) if container is not None else None
    if container is not None:
        place = existing if existing is not None else etree.SubElement(root, container)
    original_c14n = _c14n_document(root)  # with the empty container: what the Reference will cover
    fragment = _signature_fragment(hashlib.sha256(original_c14n).digest(), certificate_der)
    template = _splice(xml, root, fragment, container, has_container=existing is not None)
    c14n = _spliced_signed_info(template, original_c14n, container) if template is not None else None
    if template is None or c14n is None:
        # fall back to lxml's serialisation (content bytes may be re-encoded, the signed C14N is the same)
        place.append(etree.fromstring(fragment, safe_parser()))
        template = _serialise(root)
        new_root = parse_xml(template, max_bytes=len(template))  # re-parsed: no stray xmlns="" in C14N
        signed_info = _find_signatures(new_root)[0].find(_q("SignedInfo"))
        assert signed_info is not None
        c14n = _c14n_subtree(signed_info)
    return PreparedSignature(
        template=template, signed_info_c14n=c14n, certificate_der=certificate_der, container=container
    )


def sign_document(
    xml: bytes, signer: Signer, *, max_bytes: int = DEFAULT_MAX_BYTES, container: str | None = CONTAINER
) -> bytes:
    """Sign ``xml`` in one call (the signer runs in this thread)."""
    prepared = prepare_signature(xml, signer.certificate_der, max_bytes=max_bytes, container=container)
    return prepared.finish(signer.sign(prepared.signed_info_c14n))


# --- verification -------------------------------------------------------------------------------------------


def _as_info(cert: bytes | CertInfo) -> CertInfo:
    return cert if isinstance(cert, CertInfo) else parse_certificate(cert)


class TrustStore:
    """Trust anchors (and optional intermediate CA certificates) signatures must chain to.

    Build once per configuration and reuse; it holds parsed certificates only (the signature itself is
    checked by xmlsec with the key of the certificate in KeyInfo, after the chain check here).
    """

    def __init__(self, anchors: Iterable[bytes | CertInfo], intermediates: Iterable[bytes | CertInfo] = ()) -> None:
        self.anchors: tuple[CertInfo, ...] = tuple(_as_info(c) for c in anchors)
        self.intermediates: tuple[CertInfo, ...] = tuple(_as_info(c) for c in intermediates)
        if not self.anchors:
            raise ValueError("a trust store needs at least one anchor")
        self._paths: dict[tuple[bytes, tuple[bytes, ...]], TrustPath] = {}

    @classmethod
    def from_pem(cls, anchors_pem: bytes, intermediates_pem: bytes = b"") -> TrustStore:
        return cls(load_certificates(anchors_pem), load_certificates(intermediates_pem) if intermediates_pem else ())

    def path(self, cert: CertInfo, extra: Sequence[CertInfo] = (), *, at: datetime) -> TrustPath:
        """The validated path from ``cert`` (with ``extra`` intermediates, e.g. from KeyInfo) to an anchor: the one
        implementation (``core.certs.validate_path``) the client's checks and the simulator use too.

        A path found is remembered: it holds for every time at which all its certificates are valid, so the next
        dossier of the same signer is not validated again (a path not found is always looked for anew)."""
        key = (cert.der, tuple(c.der for c in extra))
        when = within_validity(cert, at)
        known = self._paths.get(key)
        if known is not None and all(c.not_before <= when <= c.not_after for c in known.chain):
            return known
        found = validate_path(cert, self.anchors, (*self.intermediates, *extra), at=at)
        if found.trusted:
            if len(self._paths) >= PATH_CACHE_SIZE:
                self._paths.pop(next(iter(self._paths)))
            self._paths[key] = found
        return found


@dataclass(frozen=True)
class VerifiedDocument:
    """A document whose signature verified.

    ``content`` is what the signature covers and the only place to read values from: the root element without
    its enveloped Signature (so nothing in KeyInfo can ever be read as content), comments removed (they are not
    signed). ``root`` is the checked tree itself, Signature included."""

    root: etree._Element
    content: etree._Element
    certificate: CertInfo


def enveloped_content(root: etree._Element) -> etree._Element:
    """What ``Reference URI=""`` with the enveloped-signature transform covers: a copy of ``root`` without its
    Signature (an empty ``CKy_Dvi`` stays: it is signed content). For a document verified with
    :func:`verify_document`, and for the bytes of one verified earlier (e.g. a dossier the I-VAN stored after
    verifying it)."""
    content = copy.deepcopy(root)
    for sig in list(content.iter(_q("Signature"))):
        parent = sig.getparent()
        if parent is not None:
            parent.remove(sig)
    return content


def _alg(el: etree._Element | None, what: str) -> str:
    if el is None:
        raise SignatureInvalid("BAD_STRUCTURE", "sig.BAD_STRUCTURE", detail=f"{what} missing")
    return el.get("Algorithm") or ""


def _elements(parent: etree._Element) -> list[etree._Element]:
    return [c for c in parent if isinstance(c.tag, str)]


def _name(el: etree._Element) -> str:
    qname = etree.QName(el)
    return f"{el.prefix}:{qname.localname}" if el.prefix else qname.localname


def _check_signature_alg(alg: str, allowed: str) -> None:
    if _WEAK_RE.search(alg):
        raise SignatureInvalid("WEAK_ALGORITHM", "sig.WEAK_ALGORITHM", algorithm=alg)
    if alg != allowed:
        raise SignatureInvalid("BAD_ALGORITHM", "sig.BAD_ALGORITHM", algorithm=alg)


def _no_children(el: etree._Element) -> None:
    """Algorithm elements of the profile take no parameters (no InclusiveNamespaces, XPath, ...)."""
    children = _elements(el)
    if children:
        raise SignatureInvalid("BAD_STRUCTURE", "sig.BAD_STRUCTURE", detail=f"unexpected {_name(children[0])}")


def _no_text(el: etree._Element) -> None:
    """Only white space between the elements of a container (no mixed content to smuggle values in)."""
    if (el.text or "").strip() or any((c.tail or "").strip() for c in el):
        raise SignatureInvalid("BAD_STRUCTURE", "sig.BAD_STRUCTURE", detail=f"text inside {_name(el)}")


def _dsig_local(tag: str) -> str:
    """The local name of an XMLDSig tag, any other tag as it is (string work: a QName each cost more)."""
    return tag[len(_DSIG_PREFIX) :] if tag.startswith(_DSIG_PREFIX) else tag


def _expect(parent: etree._Element, names: Sequence[str], optional: frozenset[str] = frozenset()) -> None:
    """``parent``'s element children are exactly ``names`` in order (those in ``optional`` may be missing)."""
    got = [_dsig_local(c.tag) for c in _elements(parent)]
    want = [n for n in names if n in got or n not in optional]
    if got != want:
        raise SignatureInvalid(
            "BAD_STRUCTURE",
            "sig.BAD_STRUCTURE",
            detail=f"{etree.QName(parent).localname} holds {', '.join(map(str, got)) or 'nothing'}",
        )


def _check_place(root: etree._Element, container: str | None) -> etree._Element:
    """Exactly one Signature, alone where the profile puts it; returns it."""
    sigs = _find_signatures(root)
    if not sigs:
        raise SignatureInvalid("NO_SIGNATURE", "sig.NO_SIGNATURE")
    if len(sigs) > 1:
        raise SignatureInvalid("MULTIPLE_SIGNATURES", "sig.MULTIPLE_SIGNATURES", count=len(sigs))
    sig = sigs[0]
    place = _signature_place(root, container)
    where = "Signature" if container is None else f"{container}/Signature"
    if sig.getparent() is not place or _elements(place)[-1] is not sig:
        raise SignatureInvalid("SIGNATURE_NOT_LAST", "sig.SIGNATURE_NOT_LAST", where=where)
    if container is not None:
        if len(_elements(place)) != 1:
            raise SignatureInvalid(
                "BAD_STRUCTURE", "sig.BAD_STRUCTURE", detail=f"{container} holds more than Signature"
            )
        _no_text(place)
    return sig


def _child(children: list[etree._Element], local: str) -> etree._Element | None:
    """The first of ``children`` that is the XMLDSig element ``local``: what ``find`` gives, without its path
    engine (a dozen of them made a good part of the profile's checks)."""
    tag = _q(local)
    return next((c for c in children if c.tag == tag), None)


def _check_structure(root: etree._Element, container: str | None) -> etree._Element:
    """Everything xmlsec does not check; returns the one Signature element."""
    sig = _check_place(root, container)
    inside = set(sig.iter())
    stray = next((el for el in root.iter(_q("*")) if el not in inside), None)
    if stray is not None:  # e.g. a ds:Object or SignedInfo copy wrapping the original content elsewhere
        raise SignatureInvalid("OBJECT_NOT_ALLOWED", "sig.OBJECT_NOT_ALLOWED", element=etree.QName(stray).localname)
    sig_children = _elements(sig)
    for child in sig_children:
        if child.tag not in (_q("SignedInfo"), _q("SignatureValue"), _q("KeyInfo")):
            raise SignatureInvalid("OBJECT_NOT_ALLOWED", "sig.OBJECT_NOT_ALLOWED", element=_name(child))
    _expect(sig, ("SignedInfo", "SignatureValue", "KeyInfo"), frozenset({"KeyInfo"}))
    signed_info = _child(sig_children, "SignedInfo")
    assert signed_info is not None
    info_children = _elements(signed_info)
    refs = [c for c in info_children if c.tag == _q("Reference")]
    if len(refs) != 1:
        raise SignatureInvalid("MULTIPLE_REFERENCES", "sig.MULTIPLE_REFERENCES", count=len(refs))
    _expect(signed_info, ("CanonicalizationMethod", "SignatureMethod", "Reference"))
    c14n = _child(info_children, "CanonicalizationMethod")
    _check_signature_alg(_alg(c14n, "CanonicalizationMethod"), ALG_C14N)  # no exclusive C14N, no comments
    assert c14n is not None
    _no_children(c14n)
    sig_method = _child(info_children, "SignatureMethod")
    _check_signature_alg(_alg(sig_method, "SignatureMethod"), ALG_RSA_SHA256)
    assert sig_method is not None
    _no_children(sig_method)
    ref = refs[0]
    uri = ref.get("URI")
    if uri != "":
        raise SignatureInvalid("BAD_REFERENCE_URI", "sig.BAD_REFERENCE_URI", uri="(none)" if uri is None else uri)
    _expect(ref, ("Transforms", "DigestMethod", "DigestValue"), frozenset({"Transforms"}))
    ref_children = _elements(ref)
    transforms = _child(ref_children, "Transforms")
    algs = []
    for tr in _elements(transforms) if transforms is not None else []:
        if tr.tag != _q("Transform"):
            raise SignatureInvalid("BAD_STRUCTURE", "sig.BAD_STRUCTURE", detail="unexpected element in Transforms")
        alg = tr.get("Algorithm") or ""
        if alg not in _TRANSFORMS:
            raise SignatureInvalid("BAD_TRANSFORM", "sig.BAD_TRANSFORM", algorithm=alg)
        _no_children(tr)
        algs.append(alg)
    if tuple(algs) != _TRANSFORMS:  # both, in this order: an implicit C14N is not the profile's
        raise SignatureInvalid("BAD_TRANSFORM", "sig.BAD_TRANSFORM", algorithm=" + ".join(algs) or "(none)")
    _check_signature_alg(_alg(_child(ref_children, "DigestMethod"), "DigestMethod"), ALG_SHA256)
    _check_key_info(_child(sig_children, "KeyInfo"))
    return sig


def _check_key_info(key_info: etree._Element | None) -> None:
    """KeyInfo holds one X509Data and nothing else; X509Data only X509Certificate elements and at most one
    X509IssuerSerial. Anything else (a KeyName, a RetrievalMethod, a copy of the content, an xi:include) is
    refused: what the signature does not cover must not carry anything a reader could pick up."""
    if key_info is None:
        return  # no certificate: NO_CERTIFICATE
    _only(key_info, ("X509Data",))
    _expect(key_info, ("X509Data",))
    x509_data = _elements(key_info)[0]
    _only(x509_data, ("X509Certificate", "X509IssuerSerial"))
    serials = x509_data.findall(_q("X509IssuerSerial"))
    if len(serials) > 1:
        raise SignatureInvalid("BAD_STRUCTURE", "sig.BAD_STRUCTURE", detail="X509Data holds several X509IssuerSerial")
    for serial in serials:
        _no_text(serial)
        _expect(serial, ("X509IssuerName", "X509SerialNumber"))
        for part in serial:
            _no_children(part)


def _only(parent: etree._Element, allowed: Sequence[str]) -> None:
    """``parent`` holds only the XMLDSig elements named ``allowed`` (and white space between them)."""
    _no_text(parent)
    for child in _elements(parent):
        if not child.tag.startswith(_DSIG_PREFIX) or _dsig_local(child.tag) not in allowed:
            element = f"{etree.QName(parent).localname}/{_name(child)}"
            raise SignatureInvalid("OBJECT_NOT_ALLOWED", "sig.OBJECT_NOT_ALLOWED", element=element)


def _key_info_certs(sig: etree._Element) -> list[bytes]:
    certs: list[bytes] = []
    for el in sig.findall(f"{_q('KeyInfo')}/{_q('X509Data')}/{_q('X509Certificate')}"):
        _no_children(el)
        try:
            certs.append(base64.b64decode("".join((el.text or "").split()), validate=True))
        except (binascii.Error, ValueError):
            raise SignatureInvalid("NO_CERTIFICATE", "sig.NO_CERTIFICATE") from None
    return certs


def _signing_cert(sig: etree._Element) -> tuple[CertInfo, list[CertInfo]]:
    """The signing certificate and the other certificates of KeyInfo (intermediate CAs)."""
    try:
        infos = [parse_certificate(der) for der in _key_info_certs(sig)]
    except CertificateError:
        raise SignatureInvalid("NO_CERTIFICATE", "sig.NO_CERTIFICATE") from None
    if not infos:
        raise SignatureInvalid("NO_CERTIFICATE", "sig.NO_CERTIFICATE")
    if len(infos) == 1:
        leaf, extra = infos[0], []
    else:
        # several: the leaf is the one that issued none of the others; the others must be CAs
        leaves = [c for c in infos if not any(o is not c and o.issuer_fields == c.subject_fields for o in infos)]
        if len(leaves) != 1:
            raise SignatureInvalid("NO_CERTIFICATE", "sig.NO_CERTIFICATE")
        leaf, extra = leaves[0], [c for c in infos if c is not leaves[0]]
        if not all(c.is_ca for c in extra):
            raise SignatureInvalid(
                "BAD_STRUCTURE", "sig.BAD_STRUCTURE", detail="KeyInfo holds a certificate that is not a CA's"
            )
    issuer_serial = sig.find(f"{_q('KeyInfo')}/{_q('X509Data')}/{_q('X509IssuerSerial')}")
    if issuer_serial is not None and not names_issuer_serial(
        leaf,
        issuer_serial.findtext(_q("X509IssuerName")) or "",
        issuer_serial.findtext(_q("X509SerialNumber")) or "",
    ):
        raise SignatureInvalid("ISSUER_SERIAL_MISMATCH", "sig.ISSUER_SERIAL_MISMATCH")
    if key_too_weak(leaf):
        raise _key_too_weak(leaf)
    return leaf, extra


def _key_too_weak(cert: CertInfo) -> SignatureInvalid:
    return SignatureInvalid(
        "KEY_TOO_WEAK",
        "sig.KEY_TOO_WEAK",
        algorithm=cert.key_algorithm.upper(),
        bits=cert.key_bits,
        minimum=MIN_KEY_BITS[cert.key_algorithm],
    )


@lru_cache(maxsize=256)
def _public_key(cert_der: bytes) -> Any:
    return cx509.load_der_x509_certificate(cert_der).public_key()


def _check_value(cert_der: bytes, value: bytes, signed_info_c14n: bytes) -> None:
    """RSA PKCS#1 v1.5 / SHA-256 ``value`` over ``signed_info_c14n`` by the key of ``cert_der``."""
    key = _public_key(cert_der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureInvalid("BAD_ALGORITHM", "sig.BAD_ALGORITHM", algorithm=type(key).__name__)
    try:
        key.verify(value, signed_info_c14n, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        raise SignatureInvalid("INVALID", "sig.INVALID", detail="the signature value does not match") from None


@lru_cache(maxsize=256)
def _xmlsec_key(cert_der: bytes) -> Any:
    """The certificate's public key for xmlsec, loaded once. The key alone, without the certificate: a context
    takes a copy of its key, and copying one that carries its certificate costs about as much as checking the
    signature (xmlsec's X.509 checks are not used, see the module docstring: the key is all it needs)."""
    try:
        spki = _public_key(cert_der).public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return xmlsec.Key.from_memory(spki, xmlsec.constants.KeyDataFormatDer)
    except (ValueError, xmlsec.Error) as exc:
        raise SignatureInvalid("NO_CERTIFICATE", "sig.NO_CERTIFICATE") from exc


def _xmlsec_verify(sig: etree._Element, cert_der: bytes) -> None:
    """xmlsec checks digest and signature with the key of ``cert_der`` (the path was validated before)."""
    ctx = xmlsec.SignatureContext()
    ctx.key = _xmlsec_key(cert_der)
    # defence in depth: xmlsec refuses anything outside the profile even if a check above were missed
    ctx.enable_signature_transform(xmlsec.constants.TransformInclC14N)
    ctx.enable_signature_transform(xmlsec.constants.TransformRsaSha256)
    for transform in (
        xmlsec.constants.TransformEnveloped,
        xmlsec.constants.TransformInclC14N,
        xmlsec.constants.TransformSha256,
    ):
        ctx.enable_reference_transform(transform)
    try:
        ctx.verify(sig)
    except xmlsec.VerificationError as exc:
        raise SignatureInvalid("INVALID", "sig.INVALID", detail=str(exc) or "verification failed") from None
    except xmlsec.Error as exc:
        raise SignatureInvalid("INVALID", "sig.INVALID", detail=str(exc) or "xmlsec error") from None


def verify_document(
    xml: bytes,
    *,
    pinned_cert_der: bytes | None = None,
    trust: TrustStore | None = None,
    check_time: datetime | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    container: str | None = CONTAINER,
) -> VerifiedDocument:
    """Verify the enveloped signature of ``xml``; raise :class:`SignatureInvalid` with the reason.

    ``pinned_cert_der``: the signing certificate must be exactly this one. ``trust``: a validated path must lead
    from it to an anchor. At least one is required. ``check_time``: also require the signing certificate to be
    valid at that time, and its issuers then; None: the leaf's validity is not checked (its issuers are checked
    within the leaf's validity period).
    """
    if pinned_cert_der is None and trust is None:
        raise ValueError("verify_document needs pinned_cert_der or trust")
    try:
        root = parse_xml(xml, max_bytes=max_bytes)
    except XmlRejected as exc:
        raise SignatureInvalid(exc.code, exc.key, **exc.params) from None
    sig = _check_structure(root, container)
    cert, extra = _signing_cert(sig)
    if pinned_cert_der is not None and cert.der != pinned_cert_der:
        raise SignatureInvalid("CERT_MISMATCH", "sig.CERT_MISMATCH", serial=cert.serial)
    if check_time is not None:
        if check_time > cert.not_after:
            raise SignatureInvalid("CERT_EXPIRED", "sig.CERT_EXPIRED", date=fmt_date(cert.not_after))
        if check_time < cert.not_before:
            raise SignatureInvalid("CERT_NOT_YET_VALID", "sig.CERT_NOT_YET_VALID", date=fmt_date(cert.not_before))
    if trust is not None and not trust.path(cert, extra, at=check_time or datetime.now(UTC)).trusted:
        raise SignatureInvalid("UNTRUSTED", "sig.UNTRUSTED", issuer=cert.issuer)
    _xmlsec_verify(sig, cert.der)  # one pass: the path was validated above (xmlsec's own X.509 checks are not used)
    # Comments are outside the signed content (C14N without comments) and would split text nodes
    # (<MST>0101<!---->234565</MST>): remove them, merging the text around them, before anyone reads.
    etree.strip_tags(root, etree.Comment)
    return VerifiedDocument(root=root, content=enveloped_content(root), certificate=cert)
