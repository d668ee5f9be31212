"""Rules for what the user types (contact details, MST), with Vietnamese and English messages.

The I-VAN checks the same rules (asynchronous ``CONTACT_INVALID``), so the app refuses early what BHXH
would reject days later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

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


#: what an MST is written with besides its digits, dropped before it is checked or compared: spaces, hyphens and
#: dots, and their Unicode look-alikes (those python-stdnum's ``stdnum.vn.mst.compact`` drops)
_MST_SEPARATORS = (
    " -.\xa0\xaf\xb7\u02d7\u02d9\u0387\u058a\u05be\u06d4\u0701\u0702\u0830\u0f0b\u0f0c\u1680\u16eb\u180a"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2010\u2011\u2012\u2013\u2014\u2015"
    "\u2022\u2024\u2027\u202f\u203e\u2043\u205f\u207b\u208b\u2212\u2219\u22c5\u23af\u23ba\u23bb\u23bc\u23bd"
    "\u23e4\u2e31\u2e33\u3000\u3002\u30fb\ufbb2\ufbb3\ufe52\ufe63\uff0d\uff0e\uff65\uffe3\U00010101\U0001091f"
    "\U00010a50"
)
#: full-width and mathematical digits read as the ASCII digit (as python-stdnum does)
_MST_DIGITS = {
    ord(c): str(i % 10)
    for i, c in enumerate(
        ["\uff10", "\uff11", "\uff12", "\uff13", "\uff14", "\uff15", "\uff16", "\uff17", "\uff18", "\uff19"]
    )
} | {cp: str((cp - 0x1D7CE) % 10) for cp in range(0x1D7CE, 0x1D800)}
_MST_COMPACT = str.maketrans(_MST_DIGITS | dict.fromkeys(map(ord, _MST_SEPARATORS)))
_MST_RE = re.compile(r"[0-9]{10}(?:[0-9]{3})?")
_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def normalise_mst(value: str) -> str:
    """The MST as compared: separators and white space dropped (``0100686209-199`` ≡ ``0100686209199``)."""
    return value.translate(_MST_COMPACT).strip().upper()


def mst_check_digit_ok(value: str) -> bool:
    """An enterprise MST (mã số thuế): 10 digits, the 10th a check digit over the first 9 (weights 31 … 3, mod 11;
    a remainder of 0 has no digit), optionally a 3-digit branch suffix other than 000; digits 3–9 not all zero.
    The rule of python-stdnum's ``stdnum.vn.mst``, here in a few lines: its import (pydoc, pkgutil) was a cost of
    every start, where the config's MST is checked (tests/foundation compare the two)."""
    number = normalise_mst(value)
    if _MST_RE.fullmatch(number) is None or number[2:9] == "0000000" or number[10:] == "000":
        return False
    total = sum(w * int(n) for w, n in zip(_MST_WEIGHTS, number, strict=False))
    return number[9] == str(10 - total % 11)


def mst_ok(value: str) -> bool:
    """A valid MST: 10 digits with the check digit, optionally a 3-digit branch suffix (``mst_check_digit_ok``);
    or, since 1 July 2025, the 12-digit personal identification number of an individual or household employer (it
    has no check digit of its own)."""
    if mst_check_digit_ok(value):
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
