"""The gettext catalogues (tui_ibhxh/locale): loaded in a clean process whatever was imported, every key the code
uses present in both languages with the same placeholders, no key unused, plurals, the .mo compiled from the .po,
and the command line's help in the chosen language."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from scripts import i18n as tool
from tui_ibhxh.core.certs import problem_message
from tui_ibhxh.core.i18n import t
from tui_ibhxh.core.models import Problem, ProblemCode, TxStatus

ROOT = Path(__file__).resolve().parents[2]
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _python(code: str, *args: str) -> str:
    """Run ``code`` in a fresh interpreter (nothing of the package imported beforehand); its stdout."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    res = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


def _ibhxh(*args: str, home: Path) -> str:
    env = {**os.environ, "IBHXH_HOME": str(home)}
    env.pop("IBHXH_CONFIG", None)
    res = subprocess.run(
        [sys.executable, "-m", "tui_ibhxh", *args], capture_output=True, text=True, env=env, check=False
    )
    assert res.returncode == 0, res.stderr
    return res.stdout


@pytest.fixture(scope="module")
def catalogues() -> dict[str, list[tuple[str, tuple[str, ...], bool]]]:
    """lang -> [(key, texts, plural)] read from the .po files."""
    return {
        lang: [(tool._key(m), tool._strings(m), bool(m.pluralizable)) for m in tool.read(lang) if m.id]
        for lang in tool.LANGS
    }


@pytest.mark.parametrize(("lang", "quit_", "status"), [("vi", "Thoát", "Đã gửi"), ("en", "Quit", "Sent")])
def test_catalogues_load_in_a_clean_process(lang: str, quit_: str, status: str) -> None:
    out = _python(
        "import sys\n"
        "from tui_ibhxh.core.i18n import load_catalogues, t\n"
        "load_catalogues()\n"
        "print(t('ui.key.quit', sys.argv[1]), t('status.SENT', sys.argv[1]), sep='|')\n",
        lang,
    )
    assert out.strip() == f"{quit_}|{status}"


def test_status_text_needs_no_other_module_imported_first() -> None:
    """It raised KeyError 'status.SENT' when the workflow had not registered its messages yet."""
    out = _python(
        "import sys\n"
        "from datetime import UTC, datetime\n"
        "from tui_ibhxh.core.models import Transaction, TxStatus\n"
        "from tui_ibhxh.services.report import status_text\n"
        "now = datetime.now(UTC)\n"
        "tx = Transaction('GD-1', 'HS-1', 'TA0001A', '05', 'k', now, TxStatus.ACCEPTED, now)\n"
        "assert 'tui_ibhxh.services.workflow' not in sys.modules\n"
        "print(status_text(tx, 'vi'), status_text(tx, 'en'), sep='|')\n"
    )
    assert out.strip() == "Chấp nhận (Thành công)|Accepted (success)"


def test_unknown_key_raises() -> None:
    with pytest.raises(KeyError):
        t("ui.no_such_key", "en")


# --- plurals ----------------------------------------------------------------------------------------------------


def test_days_left_in_both_languages() -> None:
    """It said "expires in 1 days" and "(1 days left)"."""
    assert "expires in 1 day (on 01/12/2026)" in t("problem.EXPIRES_SOON", "en", count=1, date="01/12/2026")
    assert "expires in 2 days (on 01/12/2026)" in t("problem.EXPIRES_SOON", "en", count=2, date="01/12/2026")
    assert "sau 1 ngày (ngày 01/12/2026)" in t("problem.EXPIRES_SOON", "vi", count=1, date="01/12/2026")
    assert t("check.expiring", "en", serial="AB", date="x", count=1).endswith("(1 day left)")
    assert t("check.expiring", "en", serial="AB", date="x", count=3).endswith("(3 days left)")
    assert t("check.expiring", "vi", serial="AB", date="x", count=1).endswith("(còn 1 ngày)")


def test_problem_message_counts_the_days() -> None:
    from tests.foundation.test_certs import leaf

    info = leaf()
    one = Problem(ProblemCode.EXPIRES_SOON, days=1)
    assert "expires in 1 day " in problem_message(one, info, "en")
    assert "sau 1 ngày " in problem_message(one, info, "vi")
    assert "expires in 0 days " in problem_message(Problem(ProblemCode.EXPIRES_SOON, days=0), info, "en")


@pytest.mark.parametrize(
    ("key", "params", "one", "many"),
    [
        ("ivan.timeout", {"url": "u"}, "within 1 second.", "within 30 seconds."),
        ("ivan.server_error", {"status": 503}, "tried 1 time.", "tried 3 times."),
        ("ui.module.added", {"path": "p"}, "(1 token seen through it)", "(2 tokens seen through it)"),
        ("cli.module_added", {"path": "p"}, "(1 token seen through it)", "(2 tokens seen through it)"),
        ("validation.too_long", {}, "Longer than 1 character.", "Longer than 200 characters."),
    ],
)
def test_english_counts(key: str, params: dict[str, object], one: str, many: str) -> None:
    assert one in t(key, "en", count=1, **params)
    assert many in t(key, "en", count=int(re.findall(r"\d+", many)[0]), **params)


def test_vietnamese_has_one_form_english_two(catalogues: dict[str, list[tuple[str, tuple[str, ...], bool]]]) -> None:
    for lang, forms in (("vi", 1), ("en", 2)):
        plural = [(key, texts) for key, texts, is_plural in catalogues[lang] if is_plural]
        assert len(plural) >= 10, lang
        assert all(len(texts) == forms for _, texts in plural), lang
    assert tool.read("vi").plural_forms == "nplurals=1; plural=0;"
    assert tool.read("en").plural_forms == "nplurals=2; plural=(n != 1);"


# --- keys and placeholders ---------------------------------------------------------------------------------------


def test_every_used_key_exists_and_every_key_is_used() -> None:
    assert tool.problems(tool.scan()) == []


def test_the_scan_finds_keys_and_families() -> None:
    uses = tool.scan()
    assert "workflow.no_pending" in uses.keys  # raised in a UserError
    assert "ui.key.quit" in uses.mentions  # a table of binding descriptions
    assert "cli.token_choose" in uses.plural  # given with count=
    assert {"status.", "help.cmd.", "help.opt."} <= set(uses.prefixes)
    assert "ivan.url" not in uses.keys  # a setting's name handed to the config reader, not a message


#: the I-VAN describes an error twice, mota_loi in Vietnamese and detail in English: each language shows its own
SERVER_TEXT = {"mota_loi": "detail"}


def test_same_placeholders_in_both_languages(catalogues: dict[str, list[tuple[str, tuple[str, ...], bool]]]) -> None:
    by_lang = {lang: {key: (texts, plural) for key, texts, plural in rows} for lang, rows in catalogues.items()}
    assert set(by_lang["vi"]) == set(by_lang["en"])
    for key, (vi, vi_plural) in by_lang["vi"].items():
        en, en_plural = by_lang["en"][key]
        vi_names = {frozenset(_PLACEHOLDER.findall(text)) for text in vi}
        en_names = {frozenset(_PLACEHOLDER.findall(text)) for text in en}
        assert len(vi_names) == len(en_names) == 1, f"{key}: the plural forms differ in placeholders"
        names, english = next(iter(vi_names)), next(iter(en_names))
        assert english in (names, {SERVER_TEXT.get(n, n) for n in names}), f"{key}: {vi} / {en}"
        assert vi_plural == en_plural == ("count" in names), f"{key}: plural iff it has a {{count}}"


def test_every_status_has_its_sentence() -> None:
    for status in TxStatus:
        assert t(f"status.{status}", "vi") != t(f"status.{status}", "en")


def test_mo_files_are_compiled_from_the_po_files() -> None:
    for lang in tool.LANGS:
        assert tool.mo_path(lang).read_bytes() == tool.compiled(tool.read(lang)), "run `make i18n`"


def test_babel_extracts_the_keys() -> None:
    from babel.messages.extract import extract_from_dir

    found = {
        message: None
        for _, _, message, _, _ in extract_from_dir(
            str(tool.PACKAGE), method_map=[("**.py", "scripts.i18n:extract_keys")]
        )
    }
    assert "workflow.no_pending" in found
    assert ("cli.token_choose", "cli.token_choose") in found


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) is not installed")
def test_gnu_msgfmt_accepts_the_catalogues(tmp_path: Path) -> None:
    """What Poedit runs when a translator saves."""
    for lang in tool.LANGS:
        res = subprocess.run(
            ["msgfmt", "--check", "-o", str(tmp_path / f"{lang}.mo"), str(tool.po_path(lang))],
            capture_output=True,
            text=True,
            check=False,
        )
        assert res.returncode == 0, res.stderr


# --- --help ------------------------------------------------------------------------------------------------------


def test_help_in_english_with_lang_en(tmp_path: Path) -> None:
    out = _ibhxh("--lang", "en", "--help", home=tmp_path)
    assert "Update the certificate a unit has registered with BHXH" in out
    out = " ".join(out.split())  # argparse wraps lines to the terminal's width
    assert "list the tokens plugged in" in out and "show this help message and exit" in out
    assert "chứng thư" not in out
    sub = " ".join(_ibhxh("submit", "--help", "--lang", "en", home=tmp_path).split())  # --lang after the command
    assert "serial (hex) of the new certificate" in sub and "contact address (default: as registered)" in sub
    assert "địa chỉ" not in sub


def test_help_in_vietnamese_by_default_and_from_the_config(tmp_path: Path) -> None:
    out = _ibhxh("check", "--help", home=tmp_path)
    assert "cảnh báo khi chứng thư đang đăng ký hết hạn trong vòng N ngày" in " ".join(out.split())
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.toml").write_text('[ui]\nlanguage = "en"\n', encoding="utf-8")
    out = _ibhxh("check", "--help", home=tmp_path)
    assert "warn when the registered certificate expires within N days" in " ".join(out.split())


def _walk(command: click.Command, lang: str, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], str | None]]:
    """(path, help) of the command, each of its options (``--help`` itself too) and each subcommand."""
    from tui_ibhxh.cli import Options

    found: list[tuple[tuple[str, ...], str | None]] = [(path, command.help)]
    ctx = click.Context(command, obj=Options(help_lang=lang))  # type: ignore[arg-type]
    help_option = command.get_help_option(ctx)
    for param in command.params:
        if isinstance(param, click.Option) and param.name:
            found.append(((*path, param.name), param.help))
    found.append(((*path, "help"), help_option.help if help_option else None))
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            found += _walk(sub, lang, (*path, name))
    return found


def test_every_command_and_option_has_help_in_both_languages() -> None:
    from tui_ibhxh.cli import command_tree

    vi = _walk(command_tree("vi"), "vi")
    en = _walk(command_tree("en"), "en")
    assert [p for p, _ in vi] == [p for p, _ in en]
    for (path, text_vi), (_, text_en) in zip(vi, en, strict=True):
        assert text_vi and text_en, f"{path}: no help"
        assert text_vi != text_en, f"{path}: the same text in both languages: {text_vi}"
    keys = {tool._key(m) for m in tool.read("en") if m.id and tool._key(m).startswith("help.")}
    named = {"help.ibhxh", "help.example.ibhxh", "help.exit.ibhxh", "help.exit.default"}
    named |= {"help.section.example", "help.section.exit_codes"}
    for path, _ in vi:
        dotted = ".".join(p.replace("-", "_") for p in path)
        named |= {f"help.cmd.{dotted}", f"help.opt.{dotted}", f"help.opt.{path[-1]}" if path else ""}
        named |= {f"help.example.{dotted}", f"help.exit.{dotted}"}
    assert keys <= named, f"help texts for no command or option: {sorted(keys - named)}"


def test_the_wheel_ships_the_compiled_catalogues() -> None:
    """The .mo files are package data (a wheel built from pyproject.toml holds them; the .po stay in the repo)."""
    import tomllib

    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"][
        "package-data"
    ]["tui_ibhxh"]
    shipped = {p for pattern in patterns for p in tool.PACKAGE.glob(pattern)}
    assert {tool.mo_path(lang) for lang in tool.LANGS} <= shipped
