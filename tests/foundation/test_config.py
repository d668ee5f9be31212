"""config.toml: typed reading, clear errors naming file and key, saving keeps comments and unknown keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui_ibhxh.services.config import load_config, save_config, set_value
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.paths import app_paths

SAMPLE = """\
# my own notes about this machine
default_unit = "hn"   # trailing comment

[ivan]
url = "https://ivan.example.vn/"
trust_anchors = ["~/ca/root.pem"]
connect_timeout = 5
some_future_option = true   # unknown key: must survive

[token]
modules = ["/usr/lib/fptca_v4.so"]

[units.hn]
ma_dvi = "TA1234A"
mst = "0101234567"
ten_dvi = "Công ty TNHH ABC"
diadiem = "Hà Nội"

[ui]
language = "en"
theme = "ansi-dark"
mouse = false
[ui.keymap]
submit = "f5"

[plugins.x]   # a whole unknown table
a = 1
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_typed_values(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, SAMPLE))
    assert cfg.ivan.url == "https://ivan.example.vn"
    assert cfg.ivan.connect_timeout == 5.0
    assert cfg.ivan.trust_anchors == [Path("~/ca/root.pem").expanduser()]
    assert cfg.token.modules == [Path("/usr/lib/fptca_v4.so")]
    assert cfg.module_paths() == [Path("/usr/lib/fptca_v4.so")]
    assert cfg.unit().unit.ten_dvi == "Công ty TNHH ABC"
    assert cfg.ui.language == "en" and cfg.ui.keymap == {"submit": "f5"}
    assert cfg.ui.theme == "ansi-dark" and cfg.ui.mouse is False


def test_round_trip_keeps_comments_and_unknown_keys(tmp_path: Path) -> None:
    path = write(tmp_path, SAMPLE)
    cfg = load_config(path)
    set_value(cfg, "units.hn.registered_cert_sha256", "AB" * 32)
    set_value(cfg, "ui.theme", "textual-light")
    save_config(cfg)
    text = path.read_text(encoding="utf-8")
    for kept in (
        "# my own notes about this machine",
        "# trailing comment",
        "some_future_option = true",
        "# unknown key: must survive",
        "[plugins.x]",
        "Công ty TNHH ABC",
    ):
        assert kept in text
    assert 'registered_cert_sha256 = "' + "AB" * 32 + '"' in text
    again = load_config(path)
    assert again.unit().registered_cert_sha256 == "AB" * 32 and again.ui.theme == "textual-light"
    assert path.stat().st_mode & 0o777 == 0o600
    # nothing else changed: saving an unmodified config gives the same bytes
    before = path.read_bytes()
    save_config(load_config(path))
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("text", "key", "vi", "en"),
    [
        ("[ivan]\nurl = 5\n", "ivan.url", "chuỗi", "quoted string"),
        ('[ivan]\nurl = "ftp://x"\n', "ivan.url", "https://", "https://"),
        ("[ivan]\nread_timeout = -1\n", "ivan.read_timeout", "số dương", "positive number"),
        ('[token]\nmodules = "/x.so"\n', "token.modules", "danh sách", "list of strings"),
        ('[units.a]\nma_dvi = "X"\nten_dvi = "Y"\n', "units.a.mst", "bắt buộc", "required"),
        ('default_unit = "nope"\n', "default_unit", "[units.", "[units."),
        ('[ui]\nlanguage = "fr"\n', "ui.language", '"vi"', '"vi"'),
        ('[ui]\nmouse = "no"\n', "ui.mouse", "true", "true"),
        ("ivan = 3\n", "ivan", "bảng", "table"),
    ],
)
def test_bad_value_names_file_key_and_problem(tmp_path: Path, text: str, key: str, vi: str, en: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(UserError) as info:
        load_config(path)
    for lang, word in (("vi", vi), ("en", en)):
        msg = info.value.message(lang)  # type: ignore[arg-type]
        assert str(path) in msg and key in msg and word in msg


def test_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, '[ivan]\nurl = "x\n')
    with pytest.raises(UserError) as info:
        load_config(path)
    assert "dòng 2" in info.value.message("vi") and "line 2" in info.value.message("en")
    assert str(path) in info.value.message("vi")


def test_missing_file_is_empty_config(tmp_path: Path) -> None:
    cfg = load_config(tmp_path / "none.toml")
    assert cfg.units == {} and cfg.ui.language == "vi"
    with pytest.raises(UserError) as info:
        cfg.unit()
    assert info.value.key == "config.no_unit"


def test_home_isolates_every_path(tmp_path: Path) -> None:
    paths = app_paths({"IBHXH_HOME": str(tmp_path / "h")})
    for p in (
        paths.config_dir,
        paths.data_dir,
        paths.log_dir,
        paths.config_file,
        paths.journal,
        paths.demo_dir,
    ):
        assert str(p).startswith(str(tmp_path / "h"))
    assert app_paths({"IBHXH_HOME": str(tmp_path), "IBHXH_CONFIG": "/etc/x.toml"}).config_file == Path("/etc/x.toml")
    default = app_paths({})
    assert "tui-ibhxh" in str(default.config_dir) and "tui-ibhxh" in str(default.data_dir)
