"""core.certs rules the XMLDSig profile relies on (protocol §3.3): the key-strength rule (also meant for the
certificate list) and matching an ``X509IssuerSerial`` to a certificate."""

from __future__ import annotations

import dataclasses

import pytest

from tests.support import pki
from tui_ibhxh.core.certs import MIN_KEY_BITS, key_too_weak, names_issuer_serial


@pytest.fixture(scope="module")
def ca() -> pki.Issued:
    return pki.make_ca("Test Root CA")


def test_rsa_under_2048_bits_is_too_weak(ca: pki.Issued) -> None:
    weak = pki.issue(ca, key_index=1, key_bits=1024).info
    assert (weak.key_algorithm, weak.key_bits) == ("rsa", 1024) and key_too_weak(weak)
    assert not key_too_weak(pki.issue(ca, key_index=1).info)
    assert MIN_KEY_BITS["rsa"] == 2048
    info = pki.issue(ca, key_index=1).info
    assert key_too_weak(dataclasses.replace(info, key_bits=2047))
    for curve, bits in (("secp256r1", 256), ("secp384r1", 384)):
        assert not key_too_weak(dataclasses.replace(info, key_algorithm="ec", key_bits=bits, key_curve=curve))
    for curve, bits in (("secp192r1", 192), ("secp256k1", 256), ("secp521r1", 521), ("brainpoolP256r1", 256)):
        assert key_too_weak(dataclasses.replace(info, key_algorithm="ec", key_bits=bits, key_curve=curve))


def test_issuer_serial_designates_one_certificate(ca: pki.Issued) -> None:
    leaf = pki.issue(ca, key_index=1)
    serial = str(leaf.cert.serial_number)
    # xmlsec writes the name in RFC 4514 with UTF-8 bytes escaped
    escaped = r"CN=Test Root CA,O=B\E1\BB\99 Th\C3\B4ng tin v\C3\A0 Truy\E1\BB\81n th\C3\B4ng (TEST),C=VN"
    assert names_issuer_serial(leaf.info, escaped, serial)
    assert names_issuer_serial(leaf.info, ca.cert.subject.rfc4514_string(), f" {serial} ")
    assert names_issuer_serial(leaf.info, "CN=test  root ca,O=Bộ Thông tin và Truyền thông (TEST),C=VN", serial)
    assert not names_issuer_serial(leaf.info, escaped, str(leaf.cert.serial_number + 1))
    assert not names_issuer_serial(leaf.info, "CN=Test Root CA,C=VN", serial)  # an RDN missing
    assert not names_issuer_serial(leaf.info, "C=VN,O=Bộ Thông tin và Truyền thông (TEST),CN=Test Root CA", serial)
    assert not names_issuer_serial(leaf.info, "not a name", serial)
    assert not names_issuer_serial(leaf.info, escaped, "0x" + leaf.info.serial)
