"""The layer rules of DESIGN.md, checked on the import statements of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "tui_ibhxh"

FORBIDDEN = {
    "core": ("tui_ibhxh.services", "tui_ibhxh.ui", "tui_ibhxh.ivan_sim", "textual", "aiohttp", "pkcs11"),
    "services": ("textual", "tui_ibhxh.ui"),
    "ui": ("tui_ibhxh.ivan_sim",),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _violations(layer: str) -> list[str]:
    found = []
    for path in sorted((PKG / layer).rglob("*.py")):
        for name in _imports(path):
            for banned in FORBIDDEN[layer]:
                if name == banned or name.startswith(banned + "."):
                    found.append(f"{path.relative_to(PKG)} imports {name}")
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_rules(layer: str) -> None:
    assert (PKG / layer).is_dir()
    assert _violations(layer) == []


STEP_SCREENS = ("token", "certificates", "contact", "confirm", "history")


def _modules(path: Path) -> set[str]:
    """Every module ``path`` imports, ``from a import b`` counted as ``a.b`` too (b may be a module)."""
    names = set(_imports(path))
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.update(f"{node.module}.{a.name}" for a in node.names)
    return names


def test_screens_import_neither_the_app_nor_each_other() -> None:
    """The order of the procedure lives in ui/wizard.py: a step screen never opens (nor imports) another step,
    and no screen imports the app (screens reach it as ``Host``) or the router."""
    found = []
    for path in sorted((PKG / "ui" / "screens").glob("*.py")):
        for name in sorted(_modules(path)):
            if name in ("tui_ibhxh.ui.app", "tui_ibhxh.ui.wizard"):
                found.append(f"{path.name} imports {name}")
            step = name.removeprefix("tui_ibhxh.ui.screens.")
            if path.stem in STEP_SCREENS and step in STEP_SCREENS and step != path.stem:
                found.append(f"{path.name} imports {name}")
    assert found == []


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import textual.app\nfrom tui_ibhxh.services import token\n", encoding="utf-8")
    assert _imports(bad) == ["textual.app", "tui_ibhxh.services"]
