"""Rules for what the user types (contact details, MST), with Vietnamese and English messages.

The I-VAN checks the same rules (asynchronous ``CONTACT_INVALID``), so the app refuses early what BHXH
would reject days later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.vn import mst as vn_mst

from tui_ibhxh.core.i18n import Lang, t
from tui_ibhxh.core.models import Contact

_EMAIL_RE = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
_PHONE_RE = re.compile(r"(?:\+84|0)\d{9,10}")
_PERSONAL_ID_RE = re.compile(r"\d{12}")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

LIMITS = {"diachi_lhe": 255, "dien_thoai": 20, "email": 254, "nguoi_lhe": 100}
CONTACT_FIELDS = ("diachi_lhe", "dien_thoai", "email", "nguoi_lhe")


@dataclass(frozen=True)
class PinRule:
    """How long the token accepts a user PIN: its token info (ulMinPinLen/ulMaxPinLen), else the usual 6–8."""

    min_len: int = 6
    max_len: int = 8

    @classmethod
    def reported(cls, min_len: int | None, max_len: int | None) -> PinRule:
        """The token's own figures when they make sense (CK_UNAVAILABLE_INFORMATION, zeros: the fallback)."""
        if min_len is not None and max_len is not None and 0 < min_len <= max_len <= 1024:
            return cls(min_len, max_len)
        return cls()

    def text(self, lang: Lang) -> str:
        return t("pin.rule", lang, min=self.min_len, max=self.max_len)


def new_pin_problem(old: str, new: str, again: str, rule: PinRule) -> tuple[str, dict[str, int]] | None:
    """Why a new PIN cannot be set (message key and parameters), checked before the token is asked; else None."""
    if not rule.min_len <= len(new) <= rule.max_len:
        return "pin.new_length", {"min": rule.min_len, "max": rule.max_len}
    if new != again:
        return "pin.new_mismatch", {}
    if new == old:
        return "pin.new_same", {}
    return None


@dataclass(frozen=True)
class FieldError:
    field: str
    key: str
    max: int | None = None

    def message(self, lang: Lang) -> str:
        return t(self.key, lang, count=self.max) if self.max is not None else t(self.key, lang)


def email_ok(value: str) -> bool:
    value = value.strip()
    return len(value) <= 254 and ".." not in value and _EMAIL_RE.fullmatch(value) is not None


def normalise_phone(value: str) -> str:
    return re.sub(r"[\s.\-()]", "", value)


def phone_ok(value: str) -> bool:
    return _PHONE_RE.fullmatch(normalise_phone(value.strip())) is not None


def normalise_mst(value: str) -> str:
    """The MST as compared: separators and white space dropped (``0100686209-199`` ≡ ``0100686209199``)."""
    return vn_mst.compact(value).replace(" ", "").upper()


def mst_ok(value: str) -> bool:
    """A valid MST: 10 digits with the check digit (python-stdnum ``stdnum.vn.mst``), optionally a 3-digit branch
    suffix; or, since 1 July 2025, the 12-digit personal identification number of an individual or household
    employer (it has no check digit of its own)."""
    if vn_mst.is_valid(value):
        return True
    return _PERSONAL_ID_RE.fullmatch(value.strip()) is not None


def check_field(name: str, value: str) -> FieldError | None:
    """The first problem of one contact field, or None."""
    text = value.strip()
    if not text:
        return FieldError(name, "validation.required")
    if len(text) > LIMITS[name]:
        return FieldError(name, "validation.too_long", max=LIMITS[name])
    if _CONTROL_RE.search(text):
        return FieldError(name, "validation.control_chars")
    if name == "email" and not email_ok(text):
        return FieldError(name, "validation.email")
    if name == "dien_thoai" and not phone_ok(text):
        return FieldError(name, "validation.phone")
    return None


def check_contact(contact: Contact) -> list[FieldError]:
    errors = [check_field(name, getattr(contact, name)) for name in CONTACT_FIELDS]
    return [e for e in errors if e is not None]


def contact_ok(contact: Contact) -> bool:
    return not check_contact(contact)


def clean_contact(contact: Contact) -> Contact:
    """Whitespace trimmed; what goes into the dossier."""
    return Contact(
        diachi_lhe=" ".join(contact.diachi_lhe.split()),
        dien_thoai=contact.dien_thoai.strip(),
        email=contact.email.strip(),
        nguoi_lhe=" ".join(contact.nguoi_lhe.split()),
    )
