"""Packaging: every Python package locked with its hashes, the build backend that the SPDX licence needs, the
licence itself, and the stylesheet a real file inside the package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;]+)")


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _lock() -> dict[str, tuple[str, int]]:
    """requirements.lock: name -> (version, number of hashes)."""
    found: dict[str, tuple[str, int]] = {}
    current = ""
    for line in (REPO / "requirements.lock").read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            current = _name(match.group(1))
            found[current] = (match.group(2), 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, hashes = found[current]
            found[current] = (version, hashes + 1)
    return found


def test_every_pin_is_locked_with_hashes() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = [*project["dependencies"], *project["optional-dependencies"]["dev"]]
    pins += [line for line in (REPO / "requirements" / "bootstrap.in").read_text().splitlines() if "==" in line]
    lock = _lock()
    for pin in pins:
        match = PIN.match(pin)
        assert match, f"{pin} is not pinned with =="
        assert lock.get(_name(match.group(1)), ("", 0))[0] == match.group(2), f"{pin}: run make lock"
    assert len(lock) > len(pins)  # the transitive ones too
    assert all(hashes > 0 for _, hashes in lock.values()), "an entry of requirements.lock has no hash"
    assert {"pip", "setuptools"} <= set(lock)


def test_bootstrap_installs_the_lock_with_hashes() -> None:
    script = (REPO / "scripts" / "bootstrap.sh").read_text(encoding="utf-8")
    assert "--require-hashes" in script and "-r requirements.lock" in script
    assert "--no-build-isolation" in script  # the project is built by the locked setuptools
    assert "--upgrade" not in script  # nothing at "the newest version"


def test_build_backend_and_licence() -> None:
    data = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert data["build-system"]["requires"] == ["setuptools>=77"]  # PEP 639 licence string; no wheel
    assert data["project"]["license"] == "MIT"
    assert (REPO / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")


def test_stylesheet_is_a_file_inside_the_package() -> None:
    sheet = REPO / "tui_ibhxh" / "ui" / "app.tcss"
    assert sheet.is_file() and not sheet.is_symlink()
    assert "#history" in sheet.read_text(encoding="utf-8")


def test_a_textual_css_where_the_app_starts_is_read_last(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui_ibhxh.ui.app import stylesheets

    monkeypatch.chdir(tmp_path)
    [own] = stylesheets()
    assert Path(own).name == "app.tcss"
    (tmp_path / ".textual.css").write_text("#history { width: 2fr; }\n", encoding="utf-8")
    assert stylesheets() == [own, tmp_path / ".textual.css"]
