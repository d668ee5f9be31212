"""Vendor PKCS#11 modules: most Vietnamese tokens' modules are not registered with p11-kit, so the user points the
app at the .so once (``ibhxh tokens --add-module``, or ``m`` on the Token screen) and it is remembered."""

from __future__ import annotations

import glob
import json
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DemoEnv
from tui_ibhxh.demo import DEMO_TOKEN_LABEL, SOFTHSM_MODULE
from tui_ibhxh.services.config import load_config, remember_module
from tui_ibhxh.services.errors import UserError
from tui_ibhxh.services.modules import Arch, base_name, pcscd_running, search_dirs, suggest_modules, this_arch
from tui_ibhxh.services.p11kit import Places
from tui_ibhxh.services.token import TokenService

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
    found = suggest_modules([lib / "libeTPkcs11.so"], dirs=[lib, pkcs11])
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


def test_suggestions_cover_versioned_names_and_vendor_dirs_in_opt(tmp_path: Path) -> None:
    root = tmp_path / "root"
    places = Places(root, tmp_path / "home", None, None, "x86_64-linux-gnu")
    shuttle = root / "opt/SecurityData_Linux/redist/x86_64/libshuttle_p11v220.so.1.0.0"  # Feitian ePass3003
    fpt = root / "usr/lib/fptca_v4.so"
    deep = root / "opt/a/b/c/d/e/libeTPkcs11.so"  # deeper than any vendor puts it: not walked to
    for path in (shuttle, fpt, deep, root / "opt/other/libz.so.1"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\x7fELF")
    assert suggest_modules([], dirs=search_dirs(places)) == [fpt, shuttle]
    assert suggest_modules([fpt], dirs=search_dirs(places)) == [shuttle]
    assert base_name(shuttle) == "libshuttle_p11v220.so"


def elf_header(bits: int, machine: int) -> bytes:
    """The first bytes of a shared object (ET_DYN) for the given word size and e_machine, little-endian."""
    ident = b"\x7fELF" + bytes([1 if bits == 32 else 2, 1, 1]) + bytes(9)
    return ident + struct.pack("<HHI", 3, machine, 1) + bytes(32)


def test_a_module_for_another_architecture_is_refused_before_loading(tmp_path: Path) -> None:
    here = this_arch()
    assert here is not None
    other = Arch(32, 3) if here != Arch(32, 3) else Arch(64, 62)  # FPT-CA's module is a 32-bit x86 build
    module = tmp_path / "fptca_v4.so"
    module.write_bytes(elf_header(other.bits, other.machine))
    loaded: list[str] = []

    def loader(path: str) -> Any:
        loaded.append(path)
        raise AssertionError("a foreign module must not be loaded")

    service = TokenService([], loader=loader)
    try:
        with pytest.raises(UserError) as info:
            service.add_module_sync(module)
    finally:
        service.close()
    assert info.value.key == "token.module_arch" and loaded == []
    vi, en = info.value.message("vi"), info.value.message("en")
    assert str(other) in vi and str(here) in vi and str(module) in vi
    assert "x86 32-bit (i386)" in en or "x86-64 (amd64)" in en


def test_cli_refuses_a_32_bit_module_naming_both_architectures(demo_env: DemoEnv, tmp_path: Path) -> None:
    here = this_arch()
    if here != Arch(64, 62):
        pytest.skip(f"the sentence is checked on x86-64; this machine is {here}")
    module = tmp_path / "fptca_v4.so"
    module.write_bytes(elf_header(32, 3))
    refused = demo_env.run("tokens", "--add-module", str(module))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "x86 32-bit (i386)" in refused.stderr and "x86-64 (amd64)" in refused.stderr, refused.stderr


def test_opensc_without_pcscd_is_explained(demo_env: DemoEnv, tmp_path: Path) -> None:
    """The real OpenSC module, no pcscd (its socket pointed at a path where nothing listens, as pcsc-lite reads
    it): no slot at all, and both `ibhxh tokens` and the token service say that pcscd is not running."""
    opensc = Places.from_env({}).module_dir / "opensc-pkcs11.so"
    assert opensc.exists(), "bootstrap installs opensc"
    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(f'[token]\nmodules = ["{opensc}"]\n', encoding="utf-8")
    socket_path = tmp_path / "pcscd.comm"
    probe = DemoEnv(home, {**demo_env.env, "IBHXH_HOME": str(home), "PCSCLITE_CSOCK_NAME": str(socket_path)})
    res = probe.run("tokens")
    assert res.returncode == 0, res.stderr
    assert "Không có token nào được cắm." in res.stdout
    assert "pcscd không chạy" in res.stderr and "apt install pcscd libccid" in res.stderr, res.stderr
    en = probe.run("tokens", "--json", "--lang", "en")
    assert json.loads(en.stdout) == [] and "pcscd is not running" in en.stderr


def test_pcscd_check_connects_to_its_socket(tmp_path: Path) -> None:
    places = Places(tmp_path, tmp_path, None, None, None, pcscd_socket_env=str(tmp_path / "pcscd.comm"))
    assert not pcscd_running(places)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(tmp_path / "pcscd.comm"))
        server.listen(1)
        assert pcscd_running(places)


def test_the_token_list_read_ahead_is_the_first_answer_and_read_once(
    demo_env: DemoEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``prefetch`` (launch.run_tui, before Textual starts) lists the tokens on the PKCS#11 thread; the first
    ``list_tokens`` takes that answer rather than listing again; the next ones list anew."""
    import asyncio

    service = TokenService([Path(SOFTHSM_MODULE)], softhsm2_conf=demo_env.material.softhsm2_conf)
    listings: list[bool] = []
    listed = service._tokens

    def counted(refresh: bool) -> list[tuple[Any, Any]]:
        listings.append(refresh)
        return listed(refresh)

    monkeypatch.setattr(service, "_tokens", counted)
    try:
        service.prefetch()
        service.prefetch()  # one listing however often it is asked for

        async def twice() -> tuple[list[str], list[str]]:
            first = [t.label for t in await service.list_tokens()]
            return first, [t.label for t in await service.list_tokens()]

        assert asyncio.run(twice()) == ([DEMO_TOKEN_LABEL], [DEMO_TOKEN_LABEL])
        assert listings == [True, True]  # the read-ahead, then the second look
    finally:
        service.close()
