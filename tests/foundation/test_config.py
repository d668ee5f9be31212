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
mst = "0101234565"
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


def test_every_key_the_app_writes_is_read_back(tmp_path: Path) -> None:
    """Each key written through set_value/save_config (the workflow's cached registration, the modules the app
    remembers, every documented setting) comes back from the parser with the same value."""
    cfg = load_config(tmp_path / "config.toml")
    values: dict[str, object] = {
        "default_unit": "abc",
        "ivan.url": "https://ivan.example.vn",
        "ivan.name": "Công ty I-VAN ABC",
        "ivan.code": "00040",
        "ivan.provider": "tui-ibhxh",
        "ivan.trust_anchors": [str(tmp_path / "ca.pem")],
        "ivan.bhxh_certificate": str(tmp_path / "bhxh.pem"),
        "ivan.ca_bundle": str(tmp_path / "bundle.pem"),
        "ivan.connect_timeout": 5.0,
        "ivan.read_timeout": 20.0,
        "token.modules": ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/fptca_v4.so"],
        "token.softhsm2_conf": str(tmp_path / "softhsm2.conf"),
        "token.poll_interval": 0.5,
        "units.abc.ma_dvi": "TA1234A",
        "units.abc.mst": "0101234565",
        "units.abc.ten_dvi": "Công ty TNHH ABC",
        "units.abc.diadiem": "Hà Nội",
        "units.abc.co_quan_bhxh": "BHXH cơ sở Cầu Giấy",
        "units.abc.ma_co_quan_bhxh": "903",
        "units.abc.loai_doi_tuong": "1",
        "units.abc.nguoi_ky": "Trần Văn Bình",
        "units.abc.registered_cert_sha256": "AB" * 32,
        "units.abc.registered_cert_serial": "5F1A2B3C",
        "units.abc.registered_cert_not_after": "2026-12-01T02:30:00+00:00",
        "ui.language": "en",
        "ui.theme": "ansi-dark",
        "ui.mouse": False,
        "ui.keymap.app.history": "f9",
    }
    for dotted, value in values.items():
        if dotted.startswith("ui.keymap."):
            set_value(cfg, "ui.keymap", {dotted.removeprefix("ui.keymap."): value})
        else:
            set_value(cfg, dotted, value)
    save_config(cfg)
    back = load_config(tmp_path / "config.toml")
    unit = back.unit()
    read = {
        "default_unit": back.default_unit,
        "ivan.url": back.ivan.url,
        "ivan.name": back.ivan.name,
        "ivan.code": back.ivan.code,
        "ivan.provider": back.ivan.provider,
        "ivan.trust_anchors": [str(p) for p in back.ivan.trust_anchors],
        "ivan.bhxh_certificate": str(back.ivan.bhxh_certificate),
        "ivan.ca_bundle": str(back.ivan.ca_bundle),
        "ivan.connect_timeout": back.ivan.connect_timeout,
        "ivan.read_timeout": back.ivan.read_timeout,
        "token.modules": [str(p) for p in back.token.modules],
        "token.softhsm2_conf": str(back.token.softhsm2_conf),
        "token.poll_interval": back.token.poll_interval,
        "units.abc.ma_dvi": unit.unit.ma_dvi,
        "units.abc.mst": unit.unit.mst,
        "units.abc.ten_dvi": unit.unit.ten_dvi,
        "units.abc.diadiem": unit.unit.diadiem,
        "units.abc.co_quan_bhxh": unit.unit.co_quan_bhxh,
        "units.abc.ma_co_quan_bhxh": unit.unit.ma_co_quan_bhxh,
        "units.abc.loai_doi_tuong": unit.unit.loai_doi_tuong,
        "units.abc.nguoi_ky": unit.unit.nguoi_ky,
        "units.abc.registered_cert_sha256": unit.registered_cert_sha256,
        "units.abc.registered_cert_serial": unit.registered_cert_serial,
        "units.abc.registered_cert_not_after": unit.registered_cert_not_after,
        "ui.language": back.ui.language,
        "ui.theme": back.ui.theme,
        "ui.mouse": back.ui.mouse,
        "ui.keymap.app.history": back.ui.keymap.get("app.history"),
    }
    assert read == values


def test_a_registered_time_without_offset_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[units.a]\nma_dvi = "TA1234A"\nmst = "0101234565"\nten_dvi = "ABC"\n'
        'registered_cert_not_after = "2026-12-01"\n',
        encoding="utf-8",
    )
    with pytest.raises(UserError) as info:
        load_config(path)
    assert "units.a.registered_cert_not_after" in info.value.message("en")


@pytest.mark.parametrize("mst", ["0101234567", "0309876543", "0100000000", "0100686209-000", "01012345", "abc"])
def test_an_invalid_mst_is_one_message_naming_the_file_and_the_key(tmp_path: Path, mst: str) -> None:
    path = write(tmp_path, SAMPLE.replace('mst = "0101234565"', f'mst = "{mst}"'))
    with pytest.raises(UserError) as info:
        load_config(path)
    vi, en = info.value.message("vi"), info.value.message("en")
    assert str(path) in vi and "units.hn.mst" in vi and "chữ số kiểm tra" in vi
    assert str(path) in en and "units.hn.mst" in en and "check digit" in en
    assert "Traceback" not in vi + en and "Error" not in vi + en


@pytest.mark.parametrize("mst", ["0101300842", "0100686209", "0100686209-199", "0100686209199", "001080012345"])
def test_valid_msts_a_branch_and_the_12_digit_personal_number(tmp_path: Path, mst: str) -> None:
    cfg = load_config(write(tmp_path, SAMPLE.replace('mst = "0101234565"', f'mst = "{mst}"')))
    assert cfg.unit().unit.mst == mst


def test_the_envelope_keys_are_read(tmp_path: Path) -> None:
    """[ivan] name, code, provider and the unit's office code, type and signer: what every dossier carries."""
    path = tmp_path / "config.toml"
    path.write_text(
        '[ivan]\nname = "Công ty I-VAN ABC"\ncode = "00040"\nprovider = "tui-ibhxh"\n'
        '[units.a]\nma_dvi = "TA1234A"\nmst = "0101234565"\nten_dvi = "ABC"\nma_co_quan_bhxh = "903"\n'
        'loai_doi_tuong = "2"\nnguoi_ky = "Trần Văn Bình"\n',
        encoding="utf-8",
    )
    cfg = load_config(path)
    unit = cfg.unit().unit
    assert (cfg.ivan.name, cfg.ivan.code, cfg.ivan.provider) == ("Công ty I-VAN ABC", "00040", "tui-ibhxh")
    assert (unit.ma_co_quan_bhxh, unit.loai_doi_tuong, unit.nguoi_ky) == ("903", "2", "Trần Văn Bình")
    path.write_text('[units.a]\nma_dvi = "TA1234A"\nmst = "0101234565"\nten_dvi = "ABC"\n', encoding="utf-8")
    defaults = load_config(path)
    assert defaults.ivan.provider == "tui-ibhxh" and defaults.unit().unit.loai_doi_tuong == "1"
