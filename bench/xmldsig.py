"""XMLDSig throughput and latency: our token signing and strict verification, each as a ratio against
python-xmlsec's own ``SignatureContext.sign``/``verify`` with a software RSA-2048 key on the same dossier,
measured in the same run.

    python -m bench.xmldsig [-n 200]

Our "sign" includes what the app really does: template + C14N + digest in lxml, the RSA operation on the
SoftHSM token through the PKCS#11 thread, and the self-verification (xmlsec) of the result. Our "verify"
includes the structural checks and the chain check against the trust anchor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import xmlsec
from cryptography.hazmat.primitives import serialization
from lxml import etree

from bench._stats import Timing, measure, table
from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.core.dossier import CertSummary, ChangeDossier, build_dossier
from tui_ibhxh.core.xmldsig import TrustStore, prepare_signature, verify_document
from tui_ibhxh.demo import (
    ABC_NAME,
    CA_NAME,
    DEMO_IVAN_NAME,
    DEMO_PIN,
    SOFTHSM_MODULE,
    demo_material,
    issue_certificate,
    new_rsa_key,
    provision,
)
from tui_ibhxh.services.paths import app_paths
from tui_ibhxh.services.signing import sign_xml_sync
from tui_ibhxh.services.token import TokenService

DSIG = "http://www.w3.org/2000/09/xmldsig#"


def _baseline_sign(xml: bytes, key: xmlsec.Key) -> bytes:
    root = etree.fromstring(xml)
    sig = xmlsec.template.create(root, xmlsec.constants.TransformInclC14N, xmlsec.constants.TransformRsaSha256, ns=None)
    root[len(root) - 1].append(sig)  # into the form's empty CKy_Dvi, as ours
    ref = xmlsec.template.add_reference(sig, xmlsec.constants.TransformSha256, uri="")
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(ref, xmlsec.constants.TransformInclC14N)
    xmlsec.template.add_x509_data(xmlsec.template.ensure_key_info(sig))
    ctx = xmlsec.SignatureContext()
    ctx.key = key
    ctx.sign(sig)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _baseline_verify(signed: bytes, cert_pem: bytes) -> None:
    root = etree.fromstring(signed)
    sig = next(root.iter(f"{{{DSIG}}}Signature"))
    ctx = xmlsec.SignatureContext()
    ctx.key = xmlsec.Key.from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    ctx.verify(sig)


Pair = tuple[Timing, Timing]  # (ours, baseline)


@dataclass(frozen=True)
class Signing:
    """The two goals' pairs, and the floor of the first: the token's own RSA step as the app calls it."""

    sign: Pair
    verify: Pair
    token_step: Timing  # C_Sign over the SignedInfo, through the PKCS#11 thread: what no code of ours can speed up

    def floor_note(self) -> str:
        """One line saying how much of the sign ratio is the token's own RSA step."""
        step, base = self.token_step.p50, self.sign[1].p50
        return (
            f"sign floor: the token's RSA step alone (C_Sign through the PKCS#11 thread) takes {step * 1e3:.2f} ms, "
            f"{step / base:.2f}x xmlsec's whole software sign"
        )


def measure_all(n: int) -> Signing:
    """Sign and verify against python-xmlsec's, and the token's own step."""
    home = os.environ.get("IBHXH_HOME") or tempfile.mkdtemp(prefix="ibhxh-bench-")
    os.environ["IBHXH_HOME"] = home
    paths = app_paths()
    provision(paths)
    m = demo_material(paths)
    new = parse_certificate(m.new_cert_der)
    dossier = ChangeDossier(
        unit=m.unit,
        contact=m.contact,
        ngay_lap=dt.date(2026, 11, 25),
        ten_ivan=DEMO_IVAN_NAME,
        new_cert=CertSummary.from_cert(new),
        old_cert=CertSummary.from_cert(parse_certificate(m.registered_cert_der)),
        ma_yeucau=str(uuid.UUID(int=1)),
    )
    xml = build_dossier(dossier)

    service = TokenService([Path(SOFTHSM_MODULE)], softhsm2_conf=m.softhsm2_conf)
    try:
        token = next(t for t in service.list_tokens_sync() if t.label == m.token_label)
        service.login_sync(token.serial, DEMO_PIN)
        cert = next(c for c in service.certificates_sync(token.serial) if c.info.der == m.new_cert_der)
        ours_sign = measure("sign: token + self-verify", lambda: sign_xml_sync(service, cert, xml), n=n)
        signed = sign_xml_sync(service, cert, xml)
        signer, signed_info = service.signer(cert), prepare_signature(xml, cert.info.der).signed_info_c14n
        token_step = measure("token RSA step alone", lambda: signer.sign(signed_info), n=n)
    finally:
        service.close()

    # baseline: the same document, a software key of the same size, python-xmlsec doing everything
    key = new_rsa_key()
    now = dt.datetime.now(dt.UTC)
    soft_cert = issue_certificate(ABC_NAME, key.public_key(), CA_NAME, key, now, now + dt.timedelta(days=30), ca=False)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    cert_pem = soft_cert.public_bytes(serialization.Encoding.PEM)
    xkey = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
    xkey.load_cert_from_memory(cert_pem, xmlsec.constants.KeyDataFormatCertPem)
    base_sign = measure("xmlsec sign (software key)", lambda: _baseline_sign(xml, xkey), n=n)
    base_signed = _baseline_sign(xml, xkey)

    trust = TrustStore.from_pem(m.ca_pem.read_bytes())
    ours_verify = measure("verify: strict + chain", lambda: verify_document(signed, trust=trust), n=n)
    base_verify = measure("xmlsec verify", lambda: _baseline_verify(base_signed, cert_pem), n=n)
    return Signing((ours_sign, base_sign), (ours_verify, base_verify), token_step)


def run(n: int) -> str:
    """The detailed table of ``python -m bench.xmldsig``."""
    r = measure_all(n)
    return table([r.sign, r.verify]) + f"\n{r.floor_note()}\n(n={n})"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200)
    args = parser.parse_args(argv)
    print(run(args.n))


if __name__ == "__main__":
    main()
