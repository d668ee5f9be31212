"""Fixtures of the XML tests: a software PKI (session scope: RSA keys are generated once), a dossier, and the
envelope around it (IVAN_PROTOCOL.md §3.2)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pytest

from tests.support import pki
from tui_ibhxh.core.dossier import CertSummary, ChangeDossier, build_dossier
from tui_ibhxh.core.envelope import Envelope, FormFile, build_envelope
from tui_ibhxh.core.models import Contact, Unit
from tui_ibhxh.core.xmldsig import TrustStore, sign_document

# key indexes of tests.support.pki.rsa_key used here
K_CA, K_LEAF, K_LOOKALIKE, K_BHXH, K_INTER = 0, 1, 2, 3, 4


@dataclass(frozen=True)
class Pki:
    ca: pki.Issued
    lookalike_ca: pki.Issued  # same name as ``ca``, other key
    leaf: pki.Issued  # issued by ``ca``
    old_leaf: pki.Issued  # the registered (old) certificate, expired
    rogue_leaf: pki.Issued  # same subject as ``leaf`` but issued by ``lookalike_ca``
    bhxh: pki.Issued  # BHXH's confirmation signer
    inter: pki.Issued  # intermediate CA under ``ca``
    inter_leaf: pki.Issued  # issued by ``inter``

    @property
    def trust(self) -> TrustStore:
        return TrustStore([self.ca.der])


@pytest.fixture(scope="session")
def p() -> Pki:
    ca = pki.make_ca("Test Root CA", key_index=K_CA)
    lookalike = pki.make_ca("Test Root CA", key_index=K_LOOKALIKE)
    inter = pki.make_ca("Test Issuing CA", key_index=K_INTER, parent=ca)
    now = pki.now()
    return Pki(
        ca=ca,
        lookalike_ca=lookalike,
        leaf=pki.issue(ca, key_index=K_LEAF),
        old_leaf=pki.issue(
            ca,
            key_index=K_LEAF,
            not_before=now - dt.timedelta(days=800),
            not_after=now - dt.timedelta(days=35),
        ),
        rogue_leaf=pki.issue(lookalike, key_index=K_LEAF),
        bhxh=pki.issue(
            ca,
            cn="BAO HIEM XA HOI VIET NAM",
            mst=None,
            o="Bảo hiểm xã hội Việt Nam",
            l=None,
            key_index=K_BHXH,
        ),
        inter=inter,
        inter_leaf=pki.issue(inter, key_index=K_LEAF),
    )


def make_dossier(p: Pki, **unit_overrides: str) -> ChangeDossier:
    unit = dict(ma_dvi="TA1234A", mst="0101234565", ten_dvi="Công ty TNHH Xây dựng Hà Nội", diadiem="Hà Nội")
    unit.update(unit_overrides)
    return ChangeDossier(
        unit=Unit(**unit),
        contact=Contact(
            diachi_lhe="Số 1 Trần Duy Hưng, phường Cầu Giấy, Hà Nội",
            dien_thoai="0912345678",
            email="ketoan@abc.vn",
            nguoi_lhe="Nguyễn Thị Hồng Nhung",
        ),
        ngay_lap=dt.date(2026, 11, 24),
        ten_ivan="Công ty Cổ phần I-VAN Việt",
        new_cert=CertSummary.from_cert(p.leaf.info),
        old_cert=CertSummary.from_cert(p.old_leaf.info),
        ma_yeucau="5f0c7e4a-3b1d-4c2e-9a8f-0d1e2f3a4b5c",
    )


@pytest.fixture(scope="session")
def dossier(p: Pki) -> ChangeDossier:
    return make_dossier(p)


def make_envelope(d: ChangeDossier, signed_form: bytes, **overrides: object) -> Envelope:
    """The envelope a unit sends around ``signed_form``: its identity taken from the form ``d``."""
    e = Envelope(
        ma_ivan="00040",
        ten_ivan=d.ten_ivan,
        ten_doi_tuong=d.unit.ten_dvi,
        ma_so_bhxh=d.unit.ma_dvi,
        loai_doi_tuong="1",
        ma_so_thue=d.unit.mst,
        nguoi_ky="Nguyễn Văn An",
        dien_thoai=d.contact.dien_thoai,
        co_quan_quan_ly="903",
        ngay_lap=d.ngay_lap,
        files=(FormFile(content=signed_form),),
    )
    return dataclasses.replace(e, **overrides)  # type: ignore[arg-type]


def signed_envelope(
    d: ChangeDossier, form_signer: pki.Issued, envelope_signer: pki.Issued | None = None, **overrides: object
) -> bytes:
    """Form ``d`` signed by ``form_signer``, in an envelope (``overrides`` applied) signed by ``envelope_signer``
    (the same certificate unless given), as the client does it on the token."""
    form = sign_document(build_dossier(d), pki.SoftwareSigner(form_signer))
    envelope = build_envelope(make_envelope(d, form, **overrides))
    return sign_document(envelope, pki.SoftwareSigner(envelope_signer or form_signer))
