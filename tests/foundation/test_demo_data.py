"""Demo data is current (issue #17): post-2025 administrative names — districts were abolished on 1 July 2025, so
no "Quận"/"Huyện" in the demo certificates' subjects, the demo unit and contact, the configs the demo and the
simulator document, or the README —, the demo unit carries its BHXH office code, and "expires in N days" is
counted as the app shows it, by the calendar in Vietnam."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tui_ibhxh import demo
from tui_ibhxh.core.certs import days_left
from tui_ibhxh.ivan_sim import config as sim_config
from tui_ibhxh.services import config as app_config
from tui_ibhxh.services.paths import app_paths

ROOT = Path(__file__).resolve().parents[2]
DISTRICT = re.compile(r"\b(quận|huyện|thị xã)\b", re.IGNORECASE)


def _demo_config_text(tmp_path: Path) -> str:
    """The config ``ibhxh demo`` writes (from stand-in material: its text does not depend on the token)."""
    paths = app_paths(home=tmp_path)
    d = tmp_path / "demo"
    material = demo.DemoMaterial(
        dir=d,
        softhsm2_conf=d / "softhsm2.conf",
        ca_pem=d / "ca.pem",
        bhxh_cert_pem=d / "bhxh.pem",
        bhxh_key_pem=d / "bhxh.key.pem",
        registered_cert_der=b"registered",
        new_cert_der=b"new",
        unit=demo.DEMO_UNIT,
        contact=demo.DEMO_CONTACT,
    )
    demo._write_config(paths, material, overwrite=True)
    return paths.config_file.read_text(encoding="utf-8")


def test_no_district_in_demo_data(tmp_path: Path) -> None:
    texts = {f"subject of {spec.key}": spec.subject.rfc4514_string() for spec in demo.DEMO_CERTS}
    texts["BHXH signing certificate"] = demo.BHXH_NAME.rfc4514_string()
    texts["demo unit"] = repr(demo.DEMO_UNIT)
    texts["demo contact"] = repr(demo.DEMO_CONTACT)
    texts["demo config"] = _demo_config_text(tmp_path)
    texts["config example"] = app_config.__doc__ or ""
    texts["simulator TOML example"] = sim_config.__doc__ or ""
    texts["README"] = (ROOT / "README.md").read_text(encoding="utf-8")
    for where, text in texts.items():
        assert not DISTRICT.search(text), f"{where}: {DISTRICT.search(text)}"
    # ward + province, as addresses are written since 1 July 2025
    assert "L=Phường Cầu Giấy" in texts["subject of registered"]
    assert "ST=Thành phố Hà Nội" in texts["subject of registered"]


def test_the_demo_unit_has_its_bhxh_office_code(tmp_path: Path) -> None:
    assert demo.DEMO_UNIT.ma_co_quan_bhxh == "903" and demo.DEMO_UNIT.co_quan_bhxh == "BHXH cơ sở Cầu Giấy"
    text = _demo_config_text(tmp_path)
    assert 'ma_co_quan_bhxh = "903"' in text
    cfg = app_config.parse_config(text, tmp_path / "config.toml")
    assert cfg.unit().unit.ma_co_quan_bhxh == "903"


@pytest.mark.parametrize(
    ("not_after", "now", "days"),
    [
        # provisioned now with a 7-day certificate: 7, not 6 a second later
        ("2026-12-03T03:00:00+00:00", "2026-11-26T03:00:01+00:00", 7),
        # counted in Vietnam (UTC+7): 23:30 UTC on 26/11 is 27/11 there
        ("2026-12-03T03:00:00+00:00", "2026-11-26T23:30:00+00:00", 6),
        ("2026-12-03T03:00:00+00:00", "2026-12-03T02:00:00+00:00", 0),
    ],
)
def test_days_left_by_the_calendar_in_vietnam(not_after: str, now: str, days: int) -> None:
    assert days_left(datetime.fromisoformat(not_after), datetime.fromisoformat(now)) == days


def test_the_readme_says_the_expiry_the_demo_is_provisioned_with() -> None:
    """The README's "expiring in N days" is the registered demo certificate's validity, which the app shows as N
    on the day it is provisioned (tests/test_readme.py checks what `ibhxh certs --json` says)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    claimed = readme_expiry_days(readme)
    [registered] = [spec for spec in demo.DEMO_CERTS if spec.key == "registered"]
    assert claimed == registered.not_after_days
    now = datetime.now(UTC)
    assert days_left(now + timedelta(days=registered.not_after_days), now) == claimed


def readme_expiry_days(readme: str) -> int:
    """N of the README's "(a) the certificate currently registered … expiring in N days"."""
    match = re.search(r"\(a\) the certificate currently registered .*?expiring in (\d+) days", readme, re.DOTALL)
    assert match is not None, "the README no longer says when the registered demo certificate expires"
    return int(match.group(1))
