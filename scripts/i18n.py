"""The message catalogues' tooling (Babel): find the keys the code uses, update the .po files, compile the .mo.

    python scripts/i18n.py extract   # tui_ibhxh/locale/ibhxh.pot: every key the code uses (for Poedit's "update")
    python scripts/i18n.py update    # add the keys the code uses and the .po files lack (empty, to translate)
    python scripts/i18n.py compile   # tui_ibhxh/locale/<lang>/LC_MESSAGES/ibhxh.mo from the .po files
    python scripts/i18n.py check     # exit 1 when a key is missing or unused, or a .mo is stale (what tests check)

The msgids are message keys (``ui.key.quit``), not English sentences, so extraction cannot read the code's
calls to ``t`` alone: keys travel in exceptions and variables. The extractor takes every string literal that is
a whole key of a known namespace; an f-string such as ``f"status.{tx.status}"`` uses a family of keys, whose
members are those the catalogues already hold under that prefix. A key given with a ``count=`` argument is
extracted as a plural entry.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tui_ibhxh"
LOCALE = PACKAGE / "locale"
DOMAIN = "ibhxh"
LANGS = ("vi", "en")

#: first segments of message keys; a literal "config.toml" is not a key because its namespace is not a key's
NAMESPACES = frozenset(
    {
        "check",
        "cli",
        "config",
        "demo",
        "envelope",
        "error",
        "field",
        "flag",
        "help",
        "ivan",
        "journal",
        "pin",
        "problem",
        "provider",
        "receipt",
        "reg",
        "sig",
        "sign",
        "sim",
        "status",
        "token",
        "ui",
        "validation",
        "verify",
        "workflow",
        "xml",
    }
)
_KEY = re.compile(r"[a-z][a-z_]*(?:\.[A-Za-z0-9_]+)+")
_PREFIX = re.compile(r"[a-z][a-z_]*(?:\.[A-Za-z0-9_]+)*\.")


def is_key(text: str) -> bool:
    return _KEY.fullmatch(text) is not None and text.split(".", 1)[0] in NAMESPACES


def _is_prefix(text: str) -> bool:
    return _PREFIX.fullmatch(text) is not None and text.split(".", 1)[0] in NAMESPACES


@dataclass
class Uses:
    """What the source uses: keys handed to ``t``/``tr`` or to an error (checked to exist), every other literal
    that looks like a key (a key if the catalogues have it: tables of keys, binding descriptions...), and the
    prefixes of key families built at run time."""

    keys: dict[str, list[str]] = field(default_factory=dict)
    mentions: set[str] = field(default_factory=set)
    plural: set[str] = field(default_factory=set)
    prefixes: dict[str, list[str]] = field(default_factory=dict)

    def covers(self, key: str) -> bool:
        return key in self.keys or key in self.mentions or any(key.startswith(p) for p in self.prefixes)


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def _key_call(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> ast.Call | None:
    """The call a literal is a message key argument of: ``t(key)``, ``self.tr(key)``, ``UserError(key)``,
    ``SignatureInvalid(code, key)`` (through ``a if c else b``), else None."""
    parent = parents.get(node)
    while isinstance(parent, ast.IfExp) and node is not parent.test:
        node, parent = parent, parents.get(parent)
    if not isinstance(parent, ast.Call) or node not in parent.args:
        return None
    name = _callee(parent)
    if name in ("t", "tr") and parent.args[0] is node:
        return parent
    return parent if name.endswith(("Error", "Invalid", "Rejected")) else None


def _scan_tree(tree: ast.AST, where: str, uses: Uses) -> None:
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and is_key(node.value):
            call = _key_call(node, parents)
            if call is None:
                uses.mentions.add(node.value)
                continue
            uses.keys.setdefault(node.value, []).append(f"{where}:{node.lineno}")
            if any(k.arg == "count" for k in call.keywords):
                uses.plural.add(node.value)
        elif isinstance(node, ast.JoinedStr) and node.values:
            head = node.values[0]
            if isinstance(head, ast.Constant) and isinstance(head.value, str) and _is_prefix(head.value):
                uses.prefixes.setdefault(head.value, []).append(f"{where}:{node.lineno}")


def scan(package: Path = PACKAGE) -> Uses:
    """Every key use in the package's Python source."""
    uses = Uses()
    for path in sorted(package.rglob("*.py")):
        _scan_tree(ast.parse(path.read_bytes(), str(path)), str(path.relative_to(package.parent)), uses)
    return uses


def extract_keys(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, str | tuple[str, str], list[str]]]:
    """Babel extraction method: the keys one Python file hands to ``t`` or to an error (plural ones as a
    (key, key) pair), and its other key-like literals that the catalogues hold."""
    uses = Uses()
    _scan_tree(ast.parse(fileobj.read()), "", uses)
    known = {_key(m) for m in read("en") if m.id}
    for key in sorted(set(uses.keys) | (uses.mentions & known)):
        line = int(uses.keys[key][0].rsplit(":", 1)[1]) if key in uses.keys else 0
        if key in uses.plural:  # Babel keeps both msgids for a function of its ngettext spec
            yield line, "ngettext", (key, key), []
        else:
            yield line, "gettext", key, []


# --- catalogues (Babel) ---------------------------------------------------------------------------------------


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"


def read(lang: str) -> Any:
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as fh:
        return read_po(fh, locale=lang, domain=DOMAIN)


def write(lang: str, catalog: Any) -> None:
    from babel.messages.pofile import write_po

    buf = io.BytesIO()
    write_po(buf, catalog, width=120, no_location=True, sort_output=True, include_previous=False)
    po_path(lang).write_bytes(buf.getvalue())


def compiled(catalog: Any) -> bytes:
    """The .mo bytes of a catalogue (deterministic for one Babel version: its dates come from the .po header)."""
    from babel.messages.mofile import write_mo

    buf = io.BytesIO()
    write_mo(buf, catalog)
    return buf.getvalue()


def template(uses: Uses) -> Any:
    """The .pot: every key the code uses, the members of each run-time family taken from the catalogues."""
    from babel.messages.catalog import Catalog

    pot = Catalog(domain=DOMAIN, project="tui-ibhxh", fuzzy=False)
    known = {_key(m): m for m in read("en") if m.id}
    plural = uses.plural | {k for k, m in known.items() if m.pluralizable}
    for key in sorted(set(uses.keys) | {k for k in known if uses.covers(k)}):
        where = [(path, int(line)) for path, line in (p.rsplit(":", 1) for p in uses.keys.get(key, [])[:3])]
        pot.add((key, key) if key in plural else key, locations=where)
    return pot


def _cmd_extract(uses: Uses) -> int:
    from babel.messages.pofile import write_po

    with (LOCALE / f"{DOMAIN}.pot").open("wb") as fh:
        write_po(fh, template(uses), width=120, sort_output=True, include_lineno=True)
    print(f"wrote {LOCALE / (DOMAIN + '.pot')}")
    return 0


def _cmd_update(uses: Uses) -> int:
    pot = template(uses)
    for lang in LANGS:
        catalog = read(lang)
        added = [_key(m) for m in pot if m.id and m.id not in catalog]
        for message in pot:
            if message.id and message.id not in catalog:
                catalog.add(message.id, string=("",) * catalog.num_plurals if message.pluralizable else "")
        write(lang, catalog)
        for key in added:
            print(f"{po_path(lang).relative_to(ROOT)}: added {key} (to translate)")
    return 0


def _cmd_compile(uses: Uses) -> int:
    for lang in LANGS:
        mo_path(lang).write_bytes(compiled(read(lang)))
    return 0


def problems(uses: Uses) -> list[str]:
    """Keys used but missing or empty in a language, keys nobody uses, and stale .mo files."""
    found: list[str] = []
    for lang in LANGS:
        catalog = read(lang)
        have = {_key(m) for m in catalog if m.id and all(_strings(m))}
        found += [
            f"{lang}: {k} is used ({v[0]}) but has no text" for k, v in sorted(uses.keys.items()) if k not in have
        ]
        found += [f"{lang}: {k} is used by nobody" for k in sorted(have) if not uses.covers(k)]
        if not mo_path(lang).is_file() or mo_path(lang).read_bytes() != compiled(catalog):
            found.append(f"{mo_path(lang).relative_to(ROOT)} is not compiled from its .po: run `make i18n`")
    return found


def _key(message: Any) -> str:
    return message.id if isinstance(message.id, str) else str(message.id[0])


def _strings(message: Any) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, (tuple, list)) else (message.string,)


def _cmd_check(uses: Uses) -> int:
    found = problems(uses)
    for line in found:
        print(line)
    return 1 if found else 0


COMMANDS = {"extract": _cmd_extract, "update": _cmd_update, "compile": _cmd_compile, "check": _cmd_check}


def main(argv: list[str]) -> int:
    if not argv or any(a not in COMMANDS for a in argv):
        print(__doc__)
        return 2
    uses = scan()
    for name in argv:
        if COMMANDS[name](uses):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
