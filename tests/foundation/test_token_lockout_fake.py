"""PIN lock-out and the count-low / final-try flags. SoftHSM never locks a PIN, so these run against a fake
at the PKCS#11 boundary: a library object that behaves like a hardware token with 3 tries."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pkcs11 import TokenFlag
from pkcs11 import exceptions as p11e

from tui_ibhxh.core.i18n import pin_warnings
from tui_ibhxh.core.models import PinFlags
from tui_ibhxh.core.validation import PinRule
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.token import TokenService

BASE = TokenFlag.TOKEN_INITIALIZED | TokenFlag.LOGIN_REQUIRED | TokenFlag.USER_PIN_INITIALIZED


@dataclass
class FakeToken:
    pin: str = "1234"
    tries: int = 3
    opened: int = 0
    label: str = "Token FPT-CA"
    serial: bytes = b"FPT0000000012345"
    manufacturer_id: str = "FPT"
    model: str = "ePass2003"
    present: bool = True

    @property
    def flags(self) -> int:
        f = BASE
        if self.tries == 0:
            f |= TokenFlag.USER_PIN_LOCKED
        elif self.tries == 1:
            f |= TokenFlag.USER_PIN_FINAL_TRY
        elif self.tries < 3:
            f |= TokenFlag.USER_PIN_COUNT_LOW
        return int(f)

    def open(self, user_pin: str | None = None, rw: bool = False) -> Any:
        self.opened += 1
        if not self.present:
            raise p11e.TokenNotPresent()
        if user_pin is None:  # a public session: C_SetPIN checks the old PIN itself
            return FakeSession(self)
        self.check(user_pin)
        return FakeSession(self)

    def check(self, pin: str) -> None:
        """The token's own count of wrong PINs, shared by C_Login and C_SetPIN."""
        if self.tries == 0:
            raise p11e.PinLocked()
        if pin != self.pin:
            self.tries -= 1
            raise p11e.PinLocked() if self.tries == 0 else p11e.PinIncorrect()
        self.tries = 3


@dataclass
class FakeSession:
    token: FakeToken

    def set_pin(self, old: str, new: str) -> None:
        self.token.check(old)
        self.token.pin = new

    def close(self) -> None:
        pass


@dataclass
class FakeSlot:
    token: FakeToken
    slot_id: int = 7

    def get_token(self) -> FakeToken:
        if not self.token.present:
            raise p11e.TokenNotPresent()
        return self.token


@dataclass
class FakeLib:
    token: FakeToken = field(default_factory=FakeToken)

    def get_slots(self, token_present: bool = False) -> list[FakeSlot]:
        return [FakeSlot(self.token)] if self.token.present or not token_present else []

    def reinitialize(self) -> None:
        pass


@pytest.fixture
def fake(tmp_path: Path) -> tuple[TokenService, FakeToken]:
    module = tmp_path / "libfptca.so"
    module.write_bytes(b"")
    lib = FakeLib()
    return TokenService([module], loader=lambda _path: lib), lib.token


def test_flags_reported_before_typing(fake: tuple[TokenService, FakeToken]) -> None:
    service, token = fake
    for tries, expected in (
        (3, (False, False, False)),
        (2, (True, False, False)),
        (1, (False, True, False)),
        (0, (False, False, True)),
    ):
        token.tries = tries
        [info] = service.list_tokens_sync()
        assert (info.pin.count_low, info.pin.final_try, info.pin.locked) == expected
    assert info.serial == "FPT0000000012345" and info.manufacturer == "FPT" and info.slot_id == 7


def test_wrong_pins_escalate_to_lockout(fake: tuple[TokenService, FakeToken]) -> None:
    service, token = fake
    keys = []
    for _ in range(3):
        with pytest.raises(UserError) as info:
            service.login_sync("FPT0000000012345", "0000")
        keys.append(info.value.key)
    assert keys == ["token.pin_incorrect_low", "token.pin_incorrect_final", "token.pin_locked"]
    # a locked token is not even tried again (each try could cost the user a recovery)
    opened = token.opened
    with pytest.raises(UserError) as info:
        service.login_sync("FPT0000000012345", "1234")
    assert info.value.key == "token.pin_locked" and token.opened == opened
    [tok] = service.list_tokens_sync()
    assert pin_warnings(tok.pin, "vi") == ["Mã PIN của token đã bị khóa."]


def test_final_try_warning_text(fake: tuple[TokenService, FakeToken]) -> None:
    service, token = fake
    token.tries = 1
    [tok] = service.list_tokens_sync()
    assert pin_warnings(tok.pin, "en") == ["Warning: only ONE PIN try left before the token locks."]
    assert "MỘT lần thử" in pin_warnings(tok.pin, "vi")[0]


def test_right_pin_resets_and_removed_token(fake: tuple[TokenService, FakeToken]) -> None:
    service, token = fake
    with pytest.raises(UserError):
        service.login_sync("FPT0000000012345", "0000")
    service.login_sync("FPT0000000012345", "1234")
    assert token.tries == 3
    token.present = False
    assert service.list_tokens_sync() == []
    with pytest.raises(UserError) as info:
        service.login_sync("FPT0000000012345", "1234")
    assert info.value.key == "token.not_found"


def test_change_pin_wrong_old_pin_escalates_like_login(fake: tuple[TokenService, FakeToken]) -> None:
    """C_SetPIN counts wrong old PINs like C_Login: the same explanations, and a locked token is not tried."""
    service, token = fake
    keys = []
    for _ in range(3):
        with pytest.raises(UserError) as info:
            service.change_pin_sync("FPT0000000012345", "0000", "24681357", "24681357")
        keys.append(info.value.key)
    assert keys == ["token.pin_incorrect_low", "token.pin_incorrect_final", "token.pin_locked"]
    opened = token.opened
    with pytest.raises(UserError) as locked:
        service.change_pin_sync("FPT0000000012345", "1234", "24681357", "24681357")
    assert locked.value.key == "token.pin_locked" and token.opened == opened
    assert "Liên hệ nhà cung cấp chứng thư số" in locked.value.message("vi")


def test_change_pin_checks_the_new_pin_before_spending_a_try(fake: tuple[TokenService, FakeToken]) -> None:
    service, token = fake
    assert service.pin_rule_sync("FPT0000000012345") == PinRule(6, 8)  # the token info is not readable: 6–8
    for new, again, key in (("12345", "12345", "pin.new_length"), ("123456789", "123456789", "pin.new_length")):
        with pytest.raises(UserError) as info:
            service.change_pin_sync("FPT0000000012345", "1234", new, again)
        assert info.value.key == key and "từ 6 đến 8 ký tự" in info.value.message("vi")
    with pytest.raises(UserError) as differ:
        service.change_pin_sync("FPT0000000012345", "1234", "24681357", "24681358")
    assert differ.value.key == "pin.new_mismatch"
    assert token.opened == 0 and token.tries == 3  # the token was not even asked
    after = service.change_pin_sync("FPT0000000012345", "1234", "24681357", "24681357")
    assert token.pin == "24681357" and after.pin == PinFlags()
