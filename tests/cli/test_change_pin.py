"""`ibhxh token change-pin` on a private copy of the SoftHSM demo token: the PIN changes, the old one stops
working and the new one signs; wrong and unsuitable PINs are explained; no PIN is ever printed."""

from __future__ import annotations

import pytest

from tests.conftest import DemoEnv
from tests.flow.conftest import PIN, copy_demo
from tui_ibhxh.core.certs import parse_certificate
from tui_ibhxh.demo import example_dossier_path

NEW_PIN = "58203716"


@pytest.fixture
def home(demo_env: DemoEnv, tmp_path_factory: pytest.TempPathFactory) -> DemoEnv:
    """A copy of the demo with its own token store (user PIN ``PIN``)."""
    home = tmp_path_factory.mktemp("change-pin") / "home"
    copy_demo(demo_env.home, home)
    env = {k: v for k, v in demo_env.env.items() if k != "SOFTHSM2_CONF"}
    return DemoEnv(home, {**env, "IBHXH_HOME": str(home)})


def change(home: DemoEnv, *pins: str, lang: str = "vi"):  # type: ignore[no-untyped-def]
    return home.run("token", "change-pin", "--pin-stdin", "--lang", lang, input="".join(p + "\n" for p in pins))


def sign(home: DemoEnv, pin: str):  # type: ignore[no-untyped-def]
    m = home.material
    serial = parse_certificate(m.new_cert_der).serial
    out = home.home / "signed.xml"
    example = str(example_dossier_path(m.dir))
    return home.run("sign", example, "--cert", serial, "--pin-stdin", "--out", str(out), input=pin + "\n")


def test_change_pin_then_only_the_new_pin_signs(home: DemoEnv) -> None:
    res = change(home, PIN, NEW_PIN, NEW_PIN)
    assert res.returncode == 0, res.stderr
    assert "Đã đổi mã PIN của token DEMO TOKEN" in res.stdout and "Trạng thái mã PIN: bình thường" in res.stdout
    assert PIN not in res.stdout + res.stderr and NEW_PIN not in res.stdout + res.stderr
    old = sign(home, PIN)
    assert old.returncode == 1 and "Mã PIN không đúng" in old.stderr
    assert sign(home, NEW_PIN).returncode == 0


def test_wrong_and_unsuitable_pins_are_explained_and_nothing_changes(home: DemoEnv) -> None:
    wrong = change(home, "11112222", NEW_PIN, NEW_PIN)
    assert wrong.returncode == 1 and "Mã PIN không đúng" in wrong.stderr, wrong.stderr
    assert "Traceback" not in wrong.stderr
    # the length rule is the token's own (SoftHSM: ulMinPinLen 4, ulMaxPinLen 255), not the 6–8 fallback
    short = change(home, PIN, "123", "123")
    assert short.returncode == 1 and "từ 4 đến 255 ký tự" in short.stderr, short.stderr
    differ = change(home, PIN, NEW_PIN, NEW_PIN[::-1])
    assert differ.returncode == 1 and "không giống nhau" in differ.stderr
    same = change(home, PIN, PIN, PIN, lang="en")
    assert same.returncode == 1 and "the same as the current one" in same.stderr
    # the SoftHSM flag after the wrong PIN is shown before anything is typed
    assert "! Cảnh báo: token báo đã có lần nhập PIN sai" in short.stderr
    assert home.run("token", "change-pin").returncode == 1  # no terminal, no --pin-stdin: said, not hung
    texts = "".join(r.stdout + r.stderr for r in (wrong, short, differ, same))
    assert NEW_PIN not in texts and PIN not in texts
    assert sign(home, PIN).returncode == 0  # the PIN is still the old one
    again = change(home, PIN, NEW_PIN, NEW_PIN)  # and a good change clears SoftHSM's "wrong PIN" flag
    assert again.returncode == 0 and "Trạng thái mã PIN: bình thường" in again.stdout
