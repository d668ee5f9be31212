"""Every screen and state a user can reach, at 80×24 and 120×40 (pytest-textual-snapshot).

States are steered through the fake backend; ``STATES`` is reused by scripts/screenshots.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from textual.command import CommandList
from textual.pilot import Pilot

from tests.ui.conftest import MakeApp
from tests.ui.fake_backend import (
    NEW,
    NOW,
    PENDING,
    PKI,
    REGISTRATION,
    TOKEN,
    WEAK_CHOICE,
    FakeBackend,
    transaction,
    unreachable_error,
)
from tests.ui.until import fake, select_cert, settled, until
from tui_ibhxh.core.i18n import Lang
from tui_ibhxh.core.models import PinFlags, RegisteredCert, TxStatus
from tui_ibhxh.core.revocation import Revocation, UnknownReason
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.ivan_client import IvanError

SIZES = [(80, 24), (120, 40)]
PIN = "123456"

Steps = Callable[[Pilot[int]], Awaitable[None]]
SnapCompare = Callable[..., bool]  # pytest-textual-snapshot's fixture


@dataclass(frozen=True)
class State:
    name: str
    setup: Callable[[FakeBackend], None]
    steps: Steps


async def settle(pilot: Pilot[int]) -> None:
    """Every worker done or waiting in the fake by design, their messages handled, animations over: the state
    the screenshot shows is the one the screen keeps (no fixed sleep: see ``settled``)."""
    await settled(pilot)
    await pilot.wait_for_scheduled_animations()


async def none(pilot: Pilot[int]) -> None:
    await settle(pilot)


async def to_pin(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def to_certs(pilot: Pilot[int]) -> None:
    await to_pin(pilot)
    await pilot.press(*PIN, "enter")
    await settle(pilot)


async def pin_error(pilot: Pilot[int]) -> None:
    await to_certs(pilot)


async def certs_blocked(pilot: Pilot[int]) -> None:
    """Enter on the registered certificate: refused, in words."""
    await to_certs(pilot)
    await select_cert(pilot, "(đang đăng ký)")
    await pilot.press("enter")
    await settle(pilot)


async def to_contact(pilot: Pilot[int]) -> None:
    await to_certs(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def contact_invalid(pilot: Pilot[int]) -> None:
    await to_contact(pilot)
    await pilot.press("tab", "tab", "end", *(["backspace"] * 7), "tab")
    await settle(pilot)


async def to_confirm(pilot: Pilot[int]) -> None:
    await to_contact(pilot)
    await pilot.press("f5")
    await settle(pilot)


async def confirm_preview(pilot: Pilot[int]) -> None:
    await to_confirm(pilot)
    await pilot.press("f6")
    await settle(pilot)


async def confirm_submit(pilot: Pilot[int]) -> None:
    await to_confirm(pilot)
    await pilot.press("f5")
    await settle(pilot)


async def confirm_progress(pilot: Pilot[int]) -> None:
    await to_confirm(pilot)
    fake(pilot).hang = True
    await pilot.press("f5")
    await settle(pilot)


async def help_token(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await pilot.press("f1")
    await settle(pilot)


async def to_module(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await pilot.press("m")
    await settle(pilot)


async def module_refused(pilot: Pilot[int]) -> None:
    await to_module(pilot)
    await pilot.press(*"/usr/lib/libz.so.1", "enter")
    await settle(pilot)


async def to_change_pin(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await pilot.press("p")
    await settle(pilot)


async def change_pin_typed(pilot: Pilot[int]) -> None:
    await to_change_pin(pilot)
    await pilot.press(*PIN, "enter", *"24681357", "enter", *"24681357", "enter")
    await settle(pilot)


async def to_history(pilot: Pilot[int]) -> None:
    """Logged in (History needs the I-VAN), then F3."""
    await to_certs(pilot)
    await pilot.press("f3")
    await settle(pilot)


async def history_before_login(pilot: Pilot[int]) -> None:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)


async def confirm_pending(pilot: Pilot[int]) -> None:
    """F5 on Xác nhận while a signed dossier never reached the I-VAN: re-send or discard it."""
    await to_confirm(pilot)
    await pilot.press("f5")
    await settle(pilot)


async def confirm_save_file(pilot: Pilot[int]) -> None:
    """F7: sign but save the envelope to a file (for a portal upload): where, prefilled."""
    await to_confirm(pilot)
    await pilot.press("f7")
    await settle(pilot)


async def confirm_saved(pilot: Pilot[int]) -> None:
    await confirm_save_file(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def history_discard(pilot: Pilot[int]) -> None:
    await to_history(pilot)
    await pilot.press("d")
    await settle(pilot)


async def confirm_older(pilot: Pilot[int]) -> None:
    """The registered certificate expires later than the one chosen (the old one, first row): F5 asks for an explicit
    yes."""
    await to_certs(pilot)
    await select_cert(pilot, "(đang đăng ký)")
    await pilot.press("enter", "f5")
    await settle(pilot)
    await pilot.press("f5")
    await settle(pilot)


def certs_row(fragment: str) -> Steps:
    """The certificates step with the cursor on the certificate whose label holds ``fragment``."""

    async def steps(pilot: Pilot[int]) -> None:
        await to_certs(pilot)
        await select_cert(pilot, fragment)
        await settle(pilot)

    return steps


async def certs_after_accept(pilot: Pilot[int]) -> None:
    """The change was accepted while the user was in the procedure: the new certificate is the registered one,
    the old one replaced."""
    await to_certs(pilot)
    fake(pilot).pushed.put_nowait(transaction(3, TxStatus.ACCEPTED, minutes_ago=5))
    await settle(pilot)


async def token_removed(pilot: Pilot[int]) -> None:
    """The token pulled out on the Contact step: back to step 1 with a banner."""
    await to_contact(pilot)
    fake(pilot).token_events.put_nowait([])
    await settle(pilot)


async def history_detail(pilot: Pilot[int]) -> None:
    await to_history(pilot)
    await pilot.press("down")
    await settle(pilot)


async def history_filter(pilot: Pilot[int]) -> None:
    await to_history(pilot)
    await pilot.press("f", "f")
    await settle(pilot)


async def palette_search(pilot: Pilot[int]) -> None:
    """ctrl+p, then "lich su" typed without diacritics: the app's commands that match, with their keys."""
    await settle(pilot)
    await pilot.press("ctrl+p")
    await settle(pilot)
    await pilot.press(*"lich", "space", *"su")
    await until(pilot, lambda: pilot.app.screen.query_one(CommandList).option_count > 0, what="the palette's hits")
    await settle(pilot)


async def history_end(pilot: Pilot[int]) -> None:
    """End: the cursor on the oldest of many transactions, the table scrolled to it."""
    await to_history(pilot)
    await pilot.press("end")
    await settle(pilot)


async def history_filter_none(pilot: Pilot[int]) -> None:
    """Filtered on "Đã gửi" where none is: said so, not "no transaction yet"."""
    await to_history(pilot)
    await pilot.press("f")
    await settle(pilot)


async def history_export(pilot: Pilot[int]) -> None:
    """e: where the CSV goes, prefilled in the default folder."""
    await to_history(pilot)
    await pilot.press("e")
    await settle(pilot)


async def history_receipt(pilot: Pilot[int]) -> None:
    """x on a final transaction: where BHXH's confirmation goes."""
    await to_history(pilot)
    await pilot.press("down", "x")
    await settle(pilot)


def nothing(b: FakeBackend) -> None:
    pass


def no_tokens(b: FakeBackend) -> None:
    b.tokens = []


def final_try(b: FakeBackend) -> None:
    b.tokens = [replace(TOKEN, pin=PinFlags(final_try=True))]


def wrong_pin(b: FakeBackend) -> None:
    b.tokens = [replace(TOKEN, pin=PinFlags(count_low=True))]
    b.login_error = UserError("token.pin_incorrect_low")


def not_pkcs11(b: FakeBackend) -> None:
    b.tokens = []
    b.module_error = UserError("token.module_not_pkcs11", path="/usr/lib/libz.so.1")


def forwarded(b: FakeBackend) -> None:
    b.tokens = [replace(TOKEN, module="/usr/lib/x86_64-linux-gnu/pkcs11/p11-kit-client.so", forwarded=True)]


def pcscd_down(b: FakeBackend) -> None:
    b.tokens = []
    b.notices = [UserError("token.pcscd_not_running", path="/usr/lib/x86_64-linux-gnu/pkcs11/opensc-pkcs11.so")]


def forward_gone(b: FakeBackend) -> None:
    b.tokens = []
    b.notices = [UserError("token.forward_none")]


def wrong_old_pin(b: FakeBackend) -> None:
    b.pin_error = UserError("token.pin_incorrect_final")


def ivan_down_at_login(b: FakeBackend) -> None:
    b.login_error = IvanError(
        "ivan.unreachable", url="https://ivan.example.vn", reason=UserError("error.cause.refused")
    )


def hang(b: FakeBackend) -> None:
    b.hang = True


def send_fails(b: FakeBackend) -> None:
    b.submit_error = UserError(
        "workflow.send_failed_kept",
        cause=unreachable_error(),
        key="00000000-0000-4000-8000-000000000004",
    )


def empty_history(b: FakeBackend) -> None:
    b.history = []


def many_transactions(b: FakeBackend) -> None:
    """Two years of monthly changes and their rejections: more rows than the screen holds."""
    statuses = [TxStatus.ACCEPTED, TxStatus.REJECTED, TxStatus.RECEIVED, TxStatus.SENT]
    b.history = [
        transaction(n, statuses[n % 4], minutes_ago=60 * 24 * 7 * n, ma_loi="CERT_REVOKED" if n % 4 == 1 else None)
        for n in range(1, 61)
    ]


def all_accepted(b: FakeBackend) -> None:
    b.history = [tx for tx in b.history if tx.status is TxStatus.ACCEPTED]


def history_fails(b: FakeBackend) -> None:
    b.history_error = IvanError(
        "ivan.unreachable", url="https://ivan.example.vn", reason=UserError("error.cause.refused")
    )


def pending(b: FakeBackend) -> None:
    b.pending = PENDING


def unreachable(b: FakeBackend) -> None:
    b.live = False
    b.unreachable_since = NOW - timedelta(minutes=12)


def older_chosen(b: FakeBackend) -> None:
    """On record: the new certificate (the change went through); the user picks the old one again."""
    new = RegisteredCert(NEW.serial, NEW.subject, NEW.issuer, NEW.not_before, NEW.not_after, NEW.sha256)
    b.registration_now = replace(REGISTRATION, certificate=new, version=8)


def revocation_hangs(b: FakeBackend) -> None:
    """The CAs do not answer (yet): every certificate's row says it is being checked."""
    b.revocation_hang = True


def revocation_offline(b: FakeBackend) -> None:
    """No CA can be reached: not known, and why, on every row (not blocking)."""
    for choice in b.choices_list:
        b.verdicts[choice.cert.info.sha256] = Revocation.unknown(UnknownReason.OFFLINE, f"{PKI}/ocsp")


def weak_key(b: FakeBackend) -> None:
    b.choices_list.append(WEAK_CHOICE)


def stream_down(b: FakeBackend) -> None:
    b.live = False


def live(b: FakeBackend) -> None:
    accepted = transaction(3, TxStatus.ACCEPTED, minutes_ago=5)
    b.events_script = [accepted]


STATES = [
    State("token_list", nothing, none),
    State("token_empty", no_tokens, none),
    State("token_loading", hang, none),
    State("token_final_try", final_try, none),
    State("token_forwarded", forwarded, none),
    State("token_forward_gone", forward_gone, none),
    State("token_pcscd_not_running", pcscd_down, none),
    State("change_pin_modal", nothing, to_change_pin),
    State("change_pin_wrong", wrong_old_pin, change_pin_typed),
    State("change_pin_done", nothing, change_pin_typed),
    State("module_modal", no_tokens, to_module),
    State("module_refused", not_pkcs11, module_refused),
    State("pin_modal", nothing, to_pin),
    State("pin_wrong", wrong_pin, pin_error),
    State("login_ivan_unreachable", ivan_down_at_login, pin_error),
    State("help", nothing, help_token),
    State("certs", nothing, to_certs),
    State("certs_blocked", nothing, certs_blocked),
    State("certs_revoked", nothing, certs_row("(đã bị thu hồi)")),
    State("certs_personal", nothing, certs_row("cá nhân")),
    State("certs_checking", revocation_hangs, to_certs),
    State("certs_revocation_unknown", revocation_offline, to_certs),
    State("certs_key_too_weak", weak_key, certs_row("1024 bit")),
    State("contact", nothing, to_contact),
    State("contact_invalid", nothing, contact_invalid),
    State("confirm", nothing, to_confirm),
    State("confirm_preview", nothing, confirm_preview),
    State("confirm_progress", nothing, confirm_progress),
    State("confirm_success", nothing, confirm_submit),
    State("confirm_error", send_fails, confirm_submit),
    State("history", nothing, to_history),
    State("history_empty", empty_history, to_history),
    State("history_detail_rejected", nothing, history_detail),
    State("history_filter", nothing, history_filter),
    State("history_filter_none", all_accepted, history_filter_none),
    State("history_many_end", many_transactions, history_end),
    State("history_export_dialog", nothing, history_export),
    State("history_receipt_dialog", nothing, history_receipt),
    State("history_live_accepted", live, to_history),
    State("history_polling", stream_down, to_history),
    State("history_error", history_fails, to_history),
    State("history_not_logged_in", nothing, history_before_login),
    State("history_pending", pending, to_history),
    State("history_discard_confirm", pending, history_discard),
    State("history_unreachable", unreachable, to_history),
    State("confirm_pending", pending, confirm_pending),
    State("confirm_older", older_chosen, confirm_older),
    State("certs_after_accept", nothing, certs_after_accept),
    State("token_removed", nothing, token_removed),
    State("confirm_save_file", nothing, confirm_save_file),
    State("confirm_saved", nothing, confirm_saved),
]
#: Textual's own command palette over the app (its content is the app's; not in STATES: the colour checks are for
#: the app's screens)
PALETTE = State("palette_search", nothing, palette_search)


def backend_for(state: State, lang: Lang = "vi") -> FakeBackend:
    backend = FakeBackend(lang)
    state.setup(backend)
    return backend


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("state", STATES, ids=lambda s: s.name)
def test_snapshot(snap_compare: SnapCompare, make_app: MakeApp, state: State, size: tuple[int, int]) -> None:
    app = make_app(backend_for(state))
    assert snap_compare(app, terminal_size=size, run_before=state.steps)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_palette(snap_compare: SnapCompare, make_app: MakeApp, size: tuple[int, int]) -> None:
    app = make_app(backend_for(PALETTE))
    assert snap_compare(app, terminal_size=size, run_before=PALETTE.steps)


def test_snapshot_too_small(snap_compare: SnapCompare, make_app: MakeApp) -> None:
    """Below the 80×24 a screen needs: the sentence saying so, nothing cut."""
    (state,) = [s for s in STATES if s.name == "certs"]
    assert snap_compare(make_app(backend_for(state)), terminal_size=(60, 18), run_before=state.steps)


@pytest.mark.parametrize(
    "state",
    [s for s in STATES if s.name in ("token_list", "certs", "confirm", "confirm_success", "history")],
    ids=lambda s: s.name,
)
def test_snapshot_english(snap_compare: SnapCompare, make_app: MakeApp, state: State) -> None:
    app = make_app(backend_for(state, "en"), lang="en")
    assert snap_compare(app, terminal_size=(100, 30), run_before=state.steps)
