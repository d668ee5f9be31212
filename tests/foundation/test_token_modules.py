"""Vendor PKCS#11 modules: most Vietnamese tokens' modules are not registered with p11-kit, so the user points the
app at the .so once (``ibhxh tokens --add-module``, or ``m`` on the Token screen) and it is remembered."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DemoEnv
from tui_ibhxh.demo import DEMO_TOKEN_LABEL, SOFTHSM_MODULE
from tui_ibhxh.services.config import load_config, remember_module
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.token import TokenService, suggest_modules

# a shared library, but not a PKCS#11 module (zlib is on every Debian machine, whatever the architecture)
NOT_PKCS11 = next(Path(p) for p in sorted(glob.glob("/usr/lib/*/libz.so.1") + glob.glob("/lib/*/libz.so.1")))


def test_added_module_is_used_from_now_on(demo_env: DemoEnv) -> None:
    service = TokenService([], softhsm2_conf=demo_env.material.softhsm2_conf)
    try:
        with pytest.raises(UserError) as none:
            service.list_tokens_sync()
        assert none.value.key == "token.no_module"
        seen = service.add_module_sync(Path(SOFTHSM_MODULE))
        assert [t.label for t in seen] == [DEMO_TOKEN_LABEL]
        assert [t.label for t in service.list_tokens_sync()] == [DEMO_TOKEN_LABEL]
        assert service.add_module_sync(Path(SOFTHSM_MODULE)) == seen and len(service.modules) == 1  # once
    finally:
        service.close()


@pytest.mark.parametrize(
    ("path", "key", "vi"),
    [
        (NOT_PKCS11, "token.module_not_pkcs11", "không phải thư viện PKCS#11"),
        (Path("/opt/khong-co/fptca_v4.so"), "token.module_missing", "Không tìm thấy thư viện PKCS#11"),
    ],
    ids=["not-pkcs11", "missing"],
)
def test_a_module_that_does_not_load_is_refused_and_not_kept(path: Path, key: str, vi: str) -> None:
    service = TokenService([])
    try:
        with pytest.raises(UserError) as info:
            service.add_module_sync(path)
        assert info.value.key == key
        assert vi in info.value.message("vi") and str(path) in info.value.message("vi")  # the path as written
        assert service.modules == [] and service.module_errors == []
    finally:
        service.close()


CONFIG = """# cấu hình của kế toán — giữ nguyên
[token]
# module của hãng
modules = []
"""


def test_remember_keeps_what_was_in_use_and_the_comments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG, encoding="utf-8")
    cfg = load_config(path)
    defaults = [str(p) for p in cfg.module_paths()]  # p11-kit's modules + SoftHSM on this machine
    vendor = tmp_path / "fptca_v4.so"
    vendor.write_bytes(b"\x7fELF")
    assert remember_module(cfg, vendor)
    text = path.read_text(encoding="utf-8")
    assert "# cấu hình của kế toán — giữ nguyên" in text and "# module của hãng" in text
    assert [str(p) for p in load_config(path).token.modules] == [*defaults, str(vendor)]  # nothing disappeared
    assert not remember_module(load_config(path), vendor)  # already there
    link = tmp_path / "link.so"
    link.symlink_to(vendor)
    assert not remember_module(load_config(path), link)  # the same library by another path


def test_suggestions_are_known_vendor_modules_present_and_unused(tmp_path: Path) -> None:
    lib, pkcs11 = tmp_path / "lib", tmp_path / "lib" / "pkcs11"
    pkcs11.mkdir(parents=True)
    for name in ("fptca_v4.so", "libeTPkcs11.so", "libz.so"):
        (lib / name).write_bytes(b"\x7fELF")
    (pkcs11 / "fptca_v4.so").symlink_to(lib / "fptca_v4.so")  # the same library twice
    found = suggest_modules([lib / "libeTPkcs11.so"], dirs=[str(lib), str(pkcs11)])
    assert found == [lib / "fptca_v4.so"]


def test_cli_add_module_remembers_and_lists(demo_env: DemoEnv, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    demo_config = (demo_env.home / "config" / "config.toml").read_text(encoding="utf-8")
    config = demo_config.replace(f'modules = ["{SOFTHSM_MODULE}"]', 'modules = ["/opt/khong-co/vendor.so"]')
    assert config != demo_config
    (home / "config" / "config.toml").write_text(config, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("IBHXH_CONFIG", "SOFTHSM2_CONF")}
    env["IBHXH_HOME"] = str(home)

    def ibhxh(*args: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "tui_ibhxh", *args]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)

    before = ibhxh("tokens")  # the only configured module is missing: said, with the path
    assert before.returncode == 1 and "/opt/khong-co/vendor.so" in before.stderr
    refused = ibhxh("tokens", "--add-module", str(NOT_PKCS11))
    assert refused.returncode == 1 and "không phải thư viện PKCS#11" in refused.stderr
    assert "Traceback" not in refused.stderr
    added = ibhxh("tokens", "--add-module", SOFTHSM_MODULE, "--json")
    assert added.returncode == 0, added.stderr
    assert "Đã thêm module PKCS#11" in added.stderr and "1 token" in added.stderr
    assert [t["label"] for t in json.loads(added.stdout)] == [DEMO_TOKEN_LABEL]
    saved = load_config(home / "config" / "config.toml")
    assert [str(p) for p in saved.token.modules] == ["/opt/khong-co/vendor.so", SOFTHSM_MODULE]
    again = ibhxh("tokens", "--json")  # remembered: the next run sees the token without being told
    assert [t["label"] for t in json.loads(again.stdout)] == [DEMO_TOKEN_LABEL]
    env["IBHXH_HOME"] = str(tmp_path / "fresh")  # no config, no token: how to add a vendor module is said
    fresh = ibhxh("tokens")
    assert fresh.returncode == 0 and "ibhxh tokens --add-module" in fresh.stdout, fresh.stdout + fresh.stderr
