"""Synchronous checks of a submitted dossier (protocol §4): XML, both signatures, trust, schemas, consistency.

The body is the BHXH envelope (protocol §3.2) carrying the signed form 05/SĐ-IVAN; ``core.envelope`` checks
both the way the client and ``ibhxh verify`` do (one implementation): the XMLDSig profile of ``core.xmldsig``
(algorithms, KeyInfo, key of at least 2048 bits), the signing certificate chains to an anchor (422
CERT_UNTRUSTED), signature values (422 SIGNATURE_INVALID), the schemas of the envelope and the form (400
XML_INVALID), the same certificate for both signatures and each form's declared length (422 SIGNATURE_INVALID),
the unit identity of the envelope and the form (403). Values are read only from the verified elements. Validity
periods are *not* checked here: an expired or not-yet-valid certificate is rejected later by "BHXH"
(CERT_EXPIRED / CERT_NOT_YET_VALID).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from tui_ibhxh.core.dossier import ChangeDossier
from tui_ibhxh.core.envelope import Envelope, EnvelopeInvalid, stored_form, verify_envelope
from tui_ibhxh.core.models import CertInfo
from tui_ibhxh.core.xmldsig import TrustStore
from tui_ibhxh.core.xmlsafe import XmlError, parse_xml
from tui_ibhxh.ivan_sim.errors import ApiError


@dataclass(frozen=True)
class VerifiedDossier:
    dossier: ChangeDossier  # the form
    envelope: Envelope
    signer: CertInfo


#: codes of ``core.xmlsafe.XmlRejected`` (the bytes are not acceptable XML at all) and of schema failures
XML_CODES = frozenset({"TOO_LARGE", "NOT_UTF8", "DOCTYPE", "MALFORMED", "EMPTY", "SCHEMA", "INVALID_CHAR"})
#: the envelope's own rules that concern who the unit is
IDENTITY_CODES = frozenset({"UNIT_MISMATCH", "MST_MISMATCH"})


def verify_submission(body: bytes, trust: TrustStore | None) -> VerifiedDossier:
    """The form, the envelope and the signing certificate, or :class:`ApiError` (400 / 403 / 422)."""
    if trust is None:  # bad XML still says so first (with an anchor, verify_envelope parses and says it)
        try:
            parse_xml(body)
        except XmlError as exc:
            raise ApiError(400, "XML_INVALID", f"{exc.code}: {exc.message('en')}") from None
        raise ApiError(422, "CERT_UNTRUSTED", "the simulator has no trust anchor configured (--trust)")
    try:
        verified = verify_envelope(body, trust=trust, check_time=None)
    except EnvelopeInvalid as exc:
        detail = f"{exc.part} {exc.code}: {exc.message('en')}"
        if exc.code in XML_CODES:
            raise ApiError(400, "XML_INVALID", detail) from None
        if exc.code in IDENTITY_CODES:
            raise ApiError(403, "FORBIDDEN", detail) from None
        code = "CERT_UNTRUSTED" if exc.code == "UNTRUSTED" else "SIGNATURE_INVALID"
        raise ApiError(422, code, detail) from None
    return VerifiedDossier(dossier=verified.form, envelope=verified.envelope, signer=verified.certificate)


def stored_dossier(body: bytes) -> ChangeDossier:
    """The form of a submission stored after :func:`verify_submission` accepted it (only such bytes are
    stored), read from the same signed content."""
    return stored_form(body)


@dataclass
class AcceptedForms:
    """The forms of the latest accepted submissions, as verified, kept for the "BHXH" decision so it need not
    parse the stored bytes again (the largest cost of the lifecycle after the signing of the confirmation).
    Bounded; a transaction it no longer holds (evicted, or submitted before a restart) is read from its bytes."""

    capacity: int = 4096
    _forms: OrderedDict[str, ChangeDossier] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # kept on the loop, taken on the verify pool

    def keep(self, ma_gdich: str, form: ChangeDossier) -> None:
        with self._lock:
            self._forms[ma_gdich] = form
            while len(self._forms) > self.capacity:
                self._forms.popitem(last=False)

    def take(self, ma_gdich: str, body: bytes) -> ChangeDossier:
        """The form of the stored submission ``ma_gdich`` whose bytes are ``body`` (forgotten once taken)."""
        with self._lock:
            form = self._forms.pop(ma_gdich, None)
        return form if form is not None else stored_dossier(body)
