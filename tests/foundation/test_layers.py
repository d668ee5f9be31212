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


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("import textual.app\nfrom tui_ibhxh.services import token\n", encoding="utf-8")
    assert _imports(bad) == ["textual.app", "tui_ibhxh.services"]
