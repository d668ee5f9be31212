"""Domain dataclasses shared by every layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class Unit:
    """An employer (đơn vị) as BHXH knows it."""

    ma_dvi: str
    mst: str
    ten_dvi: str
    diadiem: str = ""
    co_quan_bhxh: str = ""  # the BHXH office's name
    ma_co_quan_bhxh: str = ""  # and its code (CoQuanQuanLy of the envelope, e.g. "903")
    loai_doi_tuong: str = "1"  # LoaiDoiTuong of the envelope
    nguoi_ky: str = ""  # who signs for the unit (NguoiKy of the envelope)


@dataclass(frozen=True)
class Contact:
    """Contact details registered with the I-VAN (địa chỉ liên hệ, điện thoại, e-mail, người liên hệ)."""

    diachi_lhe: str
    dien_thoai: str
    email: str
    nguoi_lhe: str


@dataclass(frozen=True)
class SubjectId:
    """One identifier carried in a subject UID attribute, e.g. ``MST:0101234565``."""

    kind: str  # "MST", "CCCD", "CMND", "MNS", "HC", or whatever prefix the CA used
    value: str


#: UID prefixes of a person's identifier: citizen ID (12 digits), old ID card, passport
PERSONAL_ID_KINDS = frozenset({"CCCD", "CMND", "HC"})


@dataclass(frozen=True)
class CertInfo:
    """What the app needs to know about one X.509 certificate."""

    der: bytes
    serial: str  # upper-case hex, no separators
    subject: str  # readable, most specific first: "CN=..., O=..., C=VN"
    issuer: str
    subject_fields: tuple[tuple[str, str], ...]  # ordered (short name, value) pairs
    issuer_fields: tuple[tuple[str, str], ...]
    common_name: str
    ids: tuple[SubjectId, ...]
    not_before: datetime  # timezone-aware (UTC)
    not_after: datetime
    key_usage: frozenset[str]  # asn1crypto names: "digital_signature", "non_repudiation", ...
    is_ca: bool
    sha256: str  # upper-case hex of the SHA-256 of the DER
    key_algorithm: str  # "rsa", "ec", ...
    key_bits: int
    signature_algorithm: str  # e.g. "sha256_rsa"
    key_curve: str = ""  # EC keys: the named curve ("secp256r1", ...)

    @property
    def mst(self) -> str | None:
        return next((i.value for i in self.ids if i.kind == "MST"), None)

    @property
    def personal_id(self) -> SubjectId | None:
        return next((i for i in self.ids if i.kind in PERSONAL_ID_KINDS), None)

    @property
    def organisation(self) -> str:
        """The subject's O ("" when it has none)."""
        return next((v for k, v in self.subject_fields if k == "O"), "")


class ProblemCode(StrEnum):
    EXPIRED = "EXPIRED"
    NOT_YET_VALID = "NOT_YET_VALID"
    EXPIRES_SOON = "EXPIRES_SOON"
    NO_PRIVATE_KEY = "NO_PRIVATE_KEY"
    IS_CA = "IS_CA"
    MST_MISMATCH = "MST_MISMATCH"
    NOT_FOR_SIGNING = "NOT_FOR_SIGNING"
    UNTRUSTED = "UNTRUSTED"
    SAME_AS_REGISTERED = "SAME_AS_REGISTERED"
    OLDER_THAN_REGISTERED = "OLDER_THAN_REGISTERED"  # expires before the registered one: a downgrade
    KEY_TOO_WEAK = "KEY_TOO_WEAK"  # RSA under 2048 bits, an EC curve other than P-256/P-384
    PERSONAL_CERTIFICATE = "PERSONAL_CERTIFICATE"  # a person's certificate, not the organisation's
    REVOKED = "REVOKED"  # the CA revoked it (CRL or OCSP)
    REVOCATION_UNKNOWN = "REVOCATION_UNKNOWN"  # not known whether revoked (offline, no URL, stale, checking)


#: problems that forbid using a certificate to sign the change dossier (the others need the user's eyes:
#: OLDER_THAN_REGISTERED an explicit acknowledgement)
BLOCKING: frozenset[ProblemCode] = frozenset(ProblemCode) - {
    ProblemCode.EXPIRES_SOON,
    ProblemCode.OLDER_THAN_REGISTERED,
    ProblemCode.REVOCATION_UNKNOWN,
}


@dataclass(frozen=True)
class Problem:
    code: ProblemCode
    days: int | None = None  # EXPIRES_SOON: whole days left
    detail: str = ""  # e.g. the MST found, the revocation date, why the revocation state is unknown
    source: str = ""  # REVOKED / REVOCATION_UNKNOWN: the CRL or OCSP URL concerned

    @property
    def blocking(self) -> bool:
        return self.code in BLOCKING


@dataclass(frozen=True)
class TokenCert:
    """A certificate object found on a token, paired with its key through CKA_ID."""

    info: CertInfo
    label: str
    key_id: str  # CKA_ID as upper-case hex ("" when the object has none)
    has_private_key: bool
    token_serial: str
    token_label: str


@dataclass(frozen=True)
class RegisteredCert:
    """The certificate as the I-VAN reports it in the registration (protocol §2)."""

    serial: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    sha256: str


@dataclass(frozen=True)
class Registration:
    unit: Unit
    contact: Contact
    certificate: RegisteredCert
    updated_at: datetime
    version: int
    ivan_id: str = ""  # the I-VAN instance that holds this registration


class TxStatus(StrEnum):
    SENT = "SENT"
    RECEIVED = "RECEIVED"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"

    @property
    def final(self) -> bool:
        return self in (TxStatus.ACCEPTED, TxStatus.REJECTED)

    @property
    def order(self) -> int:
        """How far along the lifecycle (protocol §5): statuses only move forward, so a lower one is stale."""
        return 2 if self.final else (1 if self is TxStatus.RECEIVED else 0)


@dataclass(frozen=True)
class TimelineEntry:
    status: TxStatus
    at: datetime


@dataclass(frozen=True)
class Transaction:
    """A transaction as the I-VAN reports it; ``ivan_id`` + ``ma_gdich`` identify it (a code alone may repeat
    across I-VAN instances, e.g. after a reset)."""

    ma_gdich: str
    so_hso: str
    ma_dvi: str
    loai: str
    idempotency_key: str
    submitted_at: datetime
    status: TxStatus
    status_at: datetime
    ma_loi: str | None = None
    mota_loi: str | None = None
    timeline: tuple[TimelineEntry, ...] = field(default_factory=tuple)
    ivan_id: str = ""  # the issuing I-VAN instance ("" when it did not say)

    @property
    def ref(self) -> TxRef:
        return TxRef(self.ivan_id, self.ma_gdich)


@dataclass(frozen=True, order=True)
class TxRef:
    """The identity of a transaction across I-VAN instances (IVAN_PROTOCOL.md §5)."""

    ivan_id: str
    ma_gdich: str


@dataclass(frozen=True)
class PinFlags:
    """What the token says about its user PIN (shown before the user types)."""

    count_low: bool = False
    final_try: bool = False
    locked: bool = False
    to_be_changed: bool = False


@dataclass(frozen=True)
class TokenInfo:
    """One token present in a reader (a PKCS#11 slot with a token)."""

    module: str  # path of the PKCS#11 module that sees it
    slot_id: int
    label: str
    manufacturer: str
    model: str
    serial: str
    pin: PinFlags
    login_required: bool = True
    forwarded: bool = False  # on the user's own machine, reached over SSH (p11-kit client)

    @property
    def key(self) -> tuple[str, str]:
        """Stable identity across polls: module + token serial."""
        return (self.module, self.serial)
